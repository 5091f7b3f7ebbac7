"""``plexms registry``: the de-identified registry tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plexms.cli._app import system_context
from plexms.cli_io import emit_json
from plexms.cli_io import fail_input as _fail_input

__all__ = ["registry_app", "registry_check_facts", "registry_export", "registry_federate"]

registry_app = typer.Typer(help="De-identified registry tables.", no_args_is_help=True)


@registry_app.command("export")
def registry_export(
    out: Annotated[Path, typer.Option("--out", help="Directory for the table files.")],
    output_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="csv, parquet or both (the registry tables); omop (OMOP CDM v5.4) or msda "
            "(MS Data Alliance core dataset): CSV plus Parquet partitioned by centre and year.",
        ),
    ] = "both",
    batch_size: Annotated[int, typer.Option("--batch-size", help="Patients per batch.")] = 1000,
) -> None:
    """Courses, sessions, adverse events and outcomes (or the OMOP / MSDA tables):
    pseudonymous ids, shifted dates."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from plexms.services.sharing import registry_export as registry
    from plexms.services.sharing import standard_export

    choices = {"csv": ("csv",), "parquet": ("parquet",), "both": ("csv", "parquet")}
    if output_format not in (*choices, *standard_export.STANDARDS):
        _fail_input("format", "one of csv, parquet, both, omop, msda")
    ctx = system_context()
    columns = (TextColumn("patients"), BarColumn(), TextColumn("{task.completed}/{task.total}"))
    try:
        stderr = Console(stderr=True)  # stdout carries the JSON summary only
        with Progress(*columns, TimeRemainingColumn(), console=stderr, transient=True) as bar:
            task = bar.add_task("export", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            if output_format in standard_export.STANDARDS:
                summary = standard_export.export_standard(
                    ctx, out, output_format, batch_size=batch_size, progress=advance
                )
            else:
                summary = registry.export_registry(
                    ctx,
                    out,
                    formats=choices[output_format],
                    batch_size=batch_size,
                    progress=advance,
                )
    except ValueError as exc:
        _fail_input(getattr(exc, "field", "registry"), str(exc))
    finally:
        ctx.db.dispose()
    emit_json(summary)


@registry_app.command("check-facts")
def registry_check_facts(
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Count the facts again from scratch first.")
    ] = False,
) -> None:
    """Compare the dashboard's precomputed facts with a recount from the clinical tables and
    print JSON (``courses`` and ``cells`` that differ: 0 and 0 when true); exit 1 if any."""
    from plexms.services.sharing import registry

    ctx = system_context()
    try:
        found = registry.check_facts(ctx, rebuild=rebuild)
    finally:
        ctx.db.dispose()
    emit_json(found)
    if found["courses"] or found["cells"]:
        raise typer.Exit(1)


@registry_app.command("federate")
def registry_federate(
    indication: Annotated[
        str | None, typer.Option("--indication", help="Only this indication.")
    ] = None,
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="summary (rates and adverse events) or priors (the kinetic priors pooled "
            "from every node's fitted courses).",
        ),
    ] = "summary",
) -> None:
    """Ask every configured registry node (PLEXMS_FEDERATION_NODES) and print the pooled
    answer as JSON: rates with Wilson intervals, a funnel point per node, the nodes missing
    (``--kind priors``: per kinetic parameter the pooled log-normal and the nodes withholding)."""
    from plexms.services.sharing import federation

    if kind not in federation.QUERY_KINDS:
        _fail_input("kind", "one of " + ", ".join(federation.QUERY_KINDS))
    if kind == "priors" and indication:
        _fail_input("indication", "the priors query takes no filters")
    ctx = system_context()
    try:
        if kind == "priors":
            body = federation.federated_priors(ctx).to_dict()
        else:
            body = federation.federated_dashboard(
                ctx, {"indication": indication} if indication else {}
            ).to_dict()
    finally:
        ctx.db.dispose()
    emit_json(body)
