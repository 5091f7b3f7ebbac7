"""Standard exports use case: the OMOP CDM v5.4 tables or the MS Data Alliance core dataset of
the actor's centre (every centre for the command line), de-identified as the registry export
(same key, so the same pseudonyms and date shifts), read in batches of patients in one read
transaction and audited once as an export."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select

from plexms.core.errors import InputError
from plexms.interop.registry import Pseudonymiser
from plexms.interop.standard.deid import Deidentifier
from plexms.interop.standard.msda import MSDA_TABLES, msda_rows, msda_schema
from plexms.interop.standard.omop import omop_rows
from plexms.interop.standard.omop_ddl import OMOP_TABLES, arrow_schema
from plexms.interop.standard.writer import StandardWriter
from plexms.services import audit
from plexms.services._replica import replica_read
from plexms.services._usecase import use_case
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.services.sharing.registry_export import registry_secret
from plexms.store.models import Centre
from plexms.store.patient_records import live_patient_ids
from plexms.store.standard_queries import read_standard_batch

__all__ = ["STANDARDS", "export_standard"]

STANDARDS = ("omop", "msda")
Progress = Callable[[int, int], None]


@use_case(Permission.EXPORT)
def export_standard(
    ctx: ServiceContext,
    out_dir: Path,
    standard: str,
    *,
    formats: Sequence[str] = ("csv", "parquet"),
    batch_size: int = 1000,
    secret: bytes | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Write the ``standard`` (omop or msda) tables to ``out_dir``: ``<table>.csv`` and
    ``<table>/centre=<pid>/year=<yyyy>/*.parquet``."""
    if standard not in STANDARDS:
        raise InputError("format", f"unknown standard {standard!r}", allowed="omop, msda")
    if not formats or set(formats) - {"csv", "parquet"}:
        raise InputError("format", f"unknown format in {list(formats)}", allowed="csv, parquet")
    if not 1 <= batch_size <= 100_000:
        raise InputError("batch_size", f"{batch_size} patients", allowed="1 to 100000")
    pseudo = Pseudonymiser(secret if secret is not None else registry_secret(ctx.settings))
    deid = Deidentifier(pseudo, reference_year=ctx.now.year)
    centre_id = None if ctx.actor is None or ctx.actor.is_system else ctx.actor.centre_id
    build: Callable[[dict[str, list[dict[str, Any]]], Deidentifier], dict[str, list[Any]]]
    if standard == "omop":
        schemas = {t: arrow_schema(t) for t in OMOP_TABLES}
        build = omop_rows
    else:
        schemas = {t: msda_schema(t) for t in MSDA_TABLES}
        build = msda_rows
    with replica_read(ctx) as session, StandardWriter(Path(out_dir), schemas, formats) as writer:
        centres = session.scalars(
            select(Centre.id)
            if centre_id is None
            else select(Centre.id).where(Centre.id == centre_id)
        ).all()
        writer.clear_centres(deid.pid("centre", c) for c in centres)
        ids = live_patient_ids(session, centre_id)
        for first in range(0, len(ids), batch_size):
            chunk = ids[first : first + batch_size]
            raw = read_standard_batch(session, chunk[0], chunk[-1], centre_id)
            writer.write(build(raw, deid))
            if progress is not None:
                progress(first + len(chunk), len(ids))
        counts = dict(writer.counts)
        files = sorted({p.name for p in writer.paths})
    audit.record_alone(
        ctx,
        "export",
        entity="registry",
        detail={"format": standard, "formats": list(formats), "patients": len(ids), **counts},
    )
    return {
        "standard": standard,
        "patients": len(ids),
        "rows": counts,
        "files": files,
        "out": str(out_dir),
    }
