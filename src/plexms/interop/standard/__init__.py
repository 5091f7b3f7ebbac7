"""Standard exports of the registry: OMOP CDM v5.4 tables and the MS Data Alliance core
dataset, de-identified as the registry export (:mod:`plexms.interop.registry`'s pseudonyms
and date shifts), written as CSV and as Parquet partitioned by centre and year.

Rooms: :mod:`.omop_ddl` (the CDM tables' columns), :mod:`.concepts` (concept ids and their
sources), :mod:`.deid` (ids and dates), :mod:`.omop` and :mod:`.msda` (rows from the plain
source rows the service reads), :mod:`.writer` (CSV and partitioned Parquet), :mod:`.docs`
(``docs/omop-mapping.md``).
"""

from __future__ import annotations

__all__: list[str] = []
