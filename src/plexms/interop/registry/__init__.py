"""De-identified registry tables (CSV and Parquet) of courses, sessions, adverse events and
outcomes, built column-wise in batches of patients so any size of registry streams through.

Pseudonyms are HMAC-SHA256 of ``kind:id`` keyed with the installation's secret; each patient's
dates move by one pseudo-random number of days derived the same way (intervals within a
patient stay exact). Names, MRN, contact details, free text and real ids never leave.

Rooms: :mod:`.pseudonym` (the keyed ids and shifts), :mod:`plexms.interop.registry_columns`
(names, types, meanings), :mod:`.tables` (a batch's export columns from the source columns
the store reads: ``plexms.store.registry_queries.read_batch``), :mod:`.writer` (CSV exactly as
``csv.writer`` writes ``_cell`` of each value, formulas neutralised; Parquet from the same
Arrow tables).
"""

from __future__ import annotations

from plexms.interop.registry.pseudonym import MAX_SHIFT_DAYS, Pseudonymiser
from plexms.interop.registry.tables import _age, _ages, _fluids, registry_tables
from plexms.interop.registry.writer import (
    FORMATS,
    RegistryWriter,
    _cell,
    _csv_float,
    _csv_text,
    neutralise,
)

__all__ = [
    "FORMATS",
    "MAX_SHIFT_DAYS",
    "Pseudonymiser",
    "RegistryWriter",
    "neutralise",
    "registry_tables",
]

# the row-by-row definitions, for the tests that compare the column code with them
_DEFINITIONS = (_age, _ages, _cell, _csv_float, _csv_text, _fluids)
