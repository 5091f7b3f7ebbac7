"""``plexms fhir``: FHIR R4 export and import of patient records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from plexms.cli._app import system_context
from plexms.cli.errors import fail
from plexms.cli_io import EXIT_INPUT, emit_json
from plexms.cli_io import fail_input as _fail_input
from plexms.services.errors import ServiceError

__all__ = ["fhir_app", "fhir_export", "fhir_import"]

fhir_app = typer.Typer(help="FHIR R4 export and import of patient records.", no_args_is_help=True)


@fhir_app.command("export")
def fhir_export(
    out: Annotated[Path, typer.Option("--out", help="Directory for one <id>.json per patient.")],
    patient: Annotated[int | None, typer.Option("--patient", help="Export this patient.")] = None,
    all_patients: Annotated[bool, typer.Option("--all", help="Export every patient.")] = False,
    transaction: Annotated[
        bool, typer.Option("--transaction", help="Bundle type transaction (for a FHIR server).")
    ] = False,
) -> None:
    """Write FHIR R4 Bundles, one <patient id>.json per patient."""
    from plexms.services.sharing import interop

    if (patient is None) == (not all_patients):
        _fail_input("patient", "give exactly one of --patient ID or --all")
    ctx = system_context()
    kind = "transaction" if transaction else "collection"
    out.mkdir(parents=True, exist_ok=True)
    try:
        pairs = (
            [(patient, interop.export_fhir(ctx, patient, bundle_type=kind))]
            if patient is not None
            else interop.export_fhir_all(ctx, bundle_type=kind)
        )
        count = 0
        for patient_id, bundle in pairs:
            (out / f"{patient_id}.json").write_text(json.dumps(bundle, indent=2) + "\n")
            count += 1
    except ServiceError as exc:
        fail(exc, "patient")
    finally:
        ctx.db.dispose()
    emit_json({"exported": count, "out": str(out)})


@fhir_app.command("import")
def fhir_import(
    file: Annotated[Path, typer.Argument(help="A FHIR R4 Bundle (JSON).")],
    centre: Annotated[
        str | None, typer.Option("--centre", help="Centre code (needed when several exist).")
    ] = None,
) -> None:
    """Import a FHIR Bundle all or nothing; exit 2 with every problem listed if rejected."""
    from plexms.services.sharing import interop

    ctx = system_context()
    try:
        summary = interop.import_fhir(ctx, file.read_bytes(), centre_code=centre)
    except interop.BundleRejected as exc:
        emit_json({"error": exc.to_dict()})
        raise typer.Exit(EXIT_INPUT) from None
    except ServiceError as exc:
        fail(exc, "centre")
    finally:
        ctx.db.dispose()
    emit_json(summary)
