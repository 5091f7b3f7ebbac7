"""The ``plexms`` command line. Calls services only.

``plexms calc NAME`` is the machine contract: one JSON object (or a JSON array of objects) on
standard input, one JSON value on standard output. Exit status: 0 every request answered;
2 bad input (the request, or the whole batch, could not be read); 3 a batch in which at least
one element got an ``{"error": ...}`` in its place (the others are still answered).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from plexms import __version__
from plexms.cli_io import (
    EXIT_INPUT,
    EXIT_OK,
    EXIT_PARTIAL,
    answer_calc,
    emit_json,
    read_json_stdin,
)
from plexms.cli_io import fail_input as _fail_input
from plexms.services import calc as calc_service

__all__ = ["EXIT_INPUT", "EXIT_OK", "EXIT_PARTIAL", "app", "emit_json", "main", "read_json_stdin"]

app = typer.Typer(
    name="plexms",
    help="plexms: therapeutic plasma exchange (TPE) programme software for multiple sclerosis.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
calc_app = typer.Typer(
    help="Clinical calculations speaking JSON on stdin/stdout (the machine contract).",
    no_args_is_help=True,
)
app.add_typer(calc_app, name="calc")


def _version(value: bool) -> None:
    if value:
        print(f"plexms {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """plexms command line."""


def run_calc(name: str, payload: Any) -> None:
    """Answer ``payload`` with calculator ``name`` and exit with the contract's status."""
    status = answer_calc(name, payload)
    if status != EXIT_OK:
        raise typer.Exit(status)


def _register_calc(calc: calc_service.Calculator) -> None:
    def command(
        schema: Annotated[
            bool, typer.Option("--schema", help="Print the request's JSON Schema and exit.")
        ] = False,
    ) -> None:
        if schema:
            emit_json(calc.request_model.model_json_schema())
            return
        run_calc(calc.name, read_json_stdin())

    help_text = (
        f"{calc.summary}\n\n{calc.help}\n\n"
        "Input: one JSON object, or a JSON array of them, on stdin. Output: one JSON value on "
        "stdout. Exit 0 ok; 2 bad input, answered with "
        '{"error": {"field", "message", "allowed"}}; 3 a batch with some errors.'
    )
    calc_app.command(name=calc.name, help=help_text, rich_help_panel=None)(command)


for _calc in calc_service.calculators().values():
    _register_calc(_calc)


# --- fhir (issue 7: interoperability) ---------------------------------------------------------
fhir_app = typer.Typer(help="FHIR R4 export and import of patient records.", no_args_is_help=True)
app.add_typer(fhir_app, name="fhir")


def _system_context() -> Any:
    from plexms.services.context import SYSTEM, ServiceContext
    from plexms.settings import get_settings
    from plexms.store.database import Database

    settings = get_settings()
    return ServiceContext(db=Database(settings.database_url), actor=SYSTEM, settings=settings)


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
    from plexms.services import interop

    if (patient is None) == (not all_patients):
        _fail_input("patient", "give exactly one of --patient ID or --all")
    ctx = _system_context()
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
    except LookupError as exc:
        _fail_input("patient", str(exc))
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
    from plexms.services import interop

    ctx = _system_context()
    try:
        summary = interop.import_fhir(ctx, file.read_bytes(), centre_code=centre)
    except interop.BundleRejected as exc:
        emit_json({"error": exc.to_dict()})
        raise typer.Exit(EXIT_INPUT) from None
    except LookupError as exc:
        _fail_input("centre", str(exc))
    finally:
        ctx.db.dispose()
    emit_json(summary)


# --- end fhir ---------------------------------------------------------------------------------


# --- plexms plan: the plan calculator as a readable table -------------------------------------


def _plan_payload(**options: Any) -> dict[str, Any]:
    return {key: value for key, value in options.items() if value is not None}


def _show_plan_error(error: dict[str, Any]) -> None:
    from rich.console import Console

    console = Console(stderr=True, highlight=False)
    text = f"[bold red]Cannot plan:[/] {error.get('field')}: {error.get('message')}"
    if error.get("allowed"):
        text += f" (allowed: {error['allowed']})"
    console.print(text, markup=True)
    for option in error.get("alternatives", []):
        console.print(f"  - {option}", markup=False)


def _show_plan(body: dict[str, Any]) -> None:
    import datetime

    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    method_sources = body["derivations"]["total_blood_volume_ml"]["sources"]
    console.print(
        f"[bold]TPE plan[/]: volumes by the {body['volume_method_label']} "
        f"({', '.join(method_sources)})"
    )
    rep, ac, bal = body["replacement"], body["anticoagulant"], body["fluid_balance"]
    vials = " + ".join(f"{v['count']} x {v['size_ml']} mL" for v in rep["albumin_vials"]) or "-"
    rows = [
        ("Total blood volume", f"{body['total_blood_volume_ml']:.0f} mL"),
        ("Plasma volume", f"{body['plasma_volume_ml']:.0f} mL"),
        ("Plasma volumes per exchange", f"{body['plasma_volumes_per_exchange']:.2f}"),
        ("Exchange volume", f"{body['exchange_volume_ml']:.0f} mL"),
        ("5% albumin", f"{rep['albumin_5pct_ml']:.0f} mL = {rep['albumin_g']:g} g ({vials})"),
        ("0.9% saline", f"{rep['saline_ml']:.0f} mL"),
        (
            "Plasma",
            f"{rep['plasma_ml']:.0f} mL"
            + (f" ({rep['plasma_reason']})" if rep["plasma_reason"] else ""),
        ),
        ("Calcium gluconate 10%", f"{body['calcium_gluconate_10pct_ml']:g} mL"),
        ("ACD-A", f"{ac['volume_ml']:.0f} mL at {ac['inlet_to_ac_ratio']:g}:1"),
        (
            "Citrate to patient",
            f"{ac['citrate_infusion_rate_mg_kg_min']:.2f} mg/kg/min "
            f"(limit {ac['citrate_limit_mg_kg_min']:g}{', ABOVE' if ac['above_limit'] else ''})",
        ),
        (
            "Whole blood processed",
            f"{body['whole_blood_processed_ml']:.0f} mL "
            f"({body['blood_volumes_processed']:.2f} x blood volume)",
        ),
        (
            "Run / chair time",
            f"{body['run_minutes']} / {body['session_minutes']} min "
            f"at {body['inlet_flow_ml_min']:g} mL/min",
        ),
        (
            "Fluid balance",
            f"{bal['net_ml']:+.0f} mL (in {bal['in_ml']:.0f}, out {bal['out_ml']:.0f})",
        ),
    ]
    table = Table(title="Each exchange", show_header=False)
    table.add_column("Quantity")
    table.add_column("Value")
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)

    course = body["course"]
    schedule = Table(
        title=f"Course: {course['first_date']} to {course['last_date']} "
        f"({course['course_days']} days)"
    )
    schedule.caption = "IgG and fibrinogen: predicted level before -> after each exchange"
    for heading in ("#", "Date", "Start", "End", "IgG", "Fibrinogen"):
        schedule.add_column(heading)
    predicted = body["predicted"]
    for appt, igg, fib in zip(
        body["schedule"], predicted["igg"], predicted["fibrinogen"], strict=True
    ):
        day = datetime.date.fromisoformat(appt["date"])
        schedule.add_row(
            str(appt["exchange"]),
            f"{day:%a} {appt['date']}",
            appt["start"],
            appt["end"],
            f"{igg['pre']:.0%} -> {igg['post']:.0%}",
            f"{fib['pre']:.0%} -> {fib['post']:.0%}",
        )
    console.print(schedule)
    for label, key, style in (("Warning", "warnings", "yellow"), ("Note", "notes", "dim")):
        for text in body[key]:
            console.print(f"[{style}]{label}:[/] ", end="")
            console.print(text, markup=False)
    console.print("[bold]Sources[/]")
    for source in body["sources"]:
        console.print(f"  {source['key']}: {source['citation']}", markup=False)


@app.command("plan")
def plan_command(
    sex: Annotated[str, typer.Option(help="female or male.")],
    height_cm: Annotated[float, typer.Option(help="Height in cm.")],
    weight_kg: Annotated[float, typer.Option(help="Weight in kg.")],
    hematocrit: Annotated[float, typer.Option(help="Hematocrit as a fraction, e.g. 0.40.")],
    volume_method: Annotated[
        str | None, typer.Option(help="nadler (default), kaplan, weight or lemmens.")
    ] = None,
    plasma_volumes_per_exchange: Annotated[
        float | None, typer.Option(help="Default 1.0 (MS protocol 1.0-1.5).")
    ] = None,
    exchanges: Annotated[int | None, typer.Option(help="Default 5 (protocol 5-7).")] = None,
    start_date: Annotated[
        str | None, typer.Option(help="ISO date; default today at the centre.")
    ] = None,
    interval_days: Annotated[int | None, typer.Option(help="Default 2.")] = None,
    course_days: Annotated[int | None, typer.Option(help="Default 14.")] = None,
    inlet_flow_ml_min: Annotated[float | None, typer.Option(help="Default 60.")] = None,
) -> None:
    """Plan a course for one patient and print it as tables (same numbers as `calc plan`)."""
    payload = _plan_payload(
        sex=sex,
        height_cm=height_cm,
        weight_kg=weight_kg,
        hematocrit=hematocrit,
        volume_method=volume_method,
        plasma_volumes_per_exchange=plasma_volumes_per_exchange,
        exchanges=exchanges,
        start_date=start_date,
        interval_days=interval_days,
        course_days=course_days,
        inlet_flow_ml_min=inlet_flow_ml_min,
    )
    outcome = calc_service.run("plan", payload)
    if not outcome.ok:
        _show_plan_error(outcome.body["error"])
        raise typer.Exit(EXIT_INPUT)
    _show_plan(outcome.body)


# --- report (issue 7: PDF reports) ------------------------------------------------------------
report_app = typer.Typer(help="PDF reports of a patient's TPE course.", no_args_is_help=True)
app.add_typer(report_app, name="report")


def _write_report(kind: str, patient: int, course: int | None, out: Path) -> None:
    from plexms.services import reports
    from plexms.services.errors import ServiceError

    ctx = _system_context()
    render = reports.course_summary_pdf if kind == "course" else reports.patient_handout_pdf
    try:
        pdf = render(ctx, patient, course_id=course)
    except ServiceError as exc:
        _fail_input("patient" if course is None else "course", str(exc))
    finally:
        ctx.db.dispose()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    emit_json({"report": kind, "patient": patient, "bytes": len(pdf), "out": str(out)})


@report_app.command("course")
def report_course(
    patient: Annotated[int, typer.Option("--patient", help="Patient id.")],
    out: Annotated[Path, typer.Option("--out", help="PDF file to write.")],
    course: Annotated[
        int | None, typer.Option("--course", help="Course id (default latest).")
    ] = None,
) -> None:
    """Course summary for the referring neurologist (PDF; kept with the record, audited)."""
    _write_report("course", patient, course, out)


@report_app.command("handout")
def report_handout(
    patient: Annotated[int, typer.Option("--patient", help="Patient id.")],
    out: Annotated[Path, typer.Option("--out", help="PDF file to write.")],
    course: Annotated[
        int | None, typer.Option("--course", help="Course id (default latest).")
    ] = None,
) -> None:
    """Patient handout: TPE explained, appointments, side effects, contacts (PDF)."""
    _write_report("handout", patient, course, out)


# --- end report -------------------------------------------------------------------------------


# --- registry (issue 7: de-identified registry export) -----------------------------------------
registry_app = typer.Typer(help="De-identified registry tables.", no_args_is_help=True)
app.add_typer(registry_app, name="registry")


@registry_app.command("export")
def registry_export(
    out: Annotated[Path, typer.Option("--out", help="Directory for the table files.")],
    output_format: Annotated[str, typer.Option("--format", help="csv, parquet or both.")] = "both",
    batch_size: Annotated[int, typer.Option("--batch-size", help="Patients per batch.")] = 1000,
) -> None:
    """Courses, sessions, adverse events and outcomes: pseudonymous ids, shifted dates."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from plexms.services import registry_export as registry

    choices = {"csv": ("csv",), "parquet": ("parquet",), "both": ("csv", "parquet")}
    if output_format not in choices:
        _fail_input("format", "one of csv, parquet, both")
    ctx = _system_context()
    columns = (TextColumn("patients"), BarColumn(), TextColumn("{task.completed}/{task.total}"))
    try:
        stderr = Console(stderr=True)  # stdout carries the JSON summary only
        with Progress(*columns, TimeRemainingColumn(), console=stderr, transient=True) as bar:
            task = bar.add_task("export", total=None)
            summary = registry.export_registry(
                ctx,
                out,
                formats=choices[output_format],
                batch_size=batch_size,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except ValueError as exc:
        _fail_input(getattr(exc, "field", "registry"), str(exc))
    finally:
        ctx.db.dispose()
    emit_json(summary)


# --- end registry -----------------------------------------------------------------------------


# --- service and operations (issue 5: record, API, audit) -------------------------------------
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")


def _ops_context() -> Any:
    from plexms.services.context import SYSTEM, ServiceContext
    from plexms.settings import get_settings
    from plexms.store.database import Database

    settings = get_settings()
    return ServiceContext(db=Database(settings.database_url), actor=SYSTEM, settings=settings)


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes.", min=1)] = 1,
    proxy_headers: Annotated[
        bool, typer.Option(help="Trust X-Forwarded-* from --forwarded-allow-ips (TLS proxy).")
    ] = True,
    forwarded_allow_ips: Annotated[
        str, typer.Option("--forwarded-allow-ips", help="Proxies whose headers are trusted.")
    ] = "127.0.0.1",
) -> None:
    """Serve the API and the web app (database from PLEXMS_DATABASE_URL, migrated on start)."""
    import uvicorn

    from plexms.settings import get_settings
    from plexms.store.migrate import upgrade

    upgrade(get_settings().database_url)
    uvicorn.run(
        "plexms.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
        access_log=False,
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration to the database (PLEXMS_DATABASE_URL)."""
    from plexms.services import ops
    from plexms.settings import get_settings

    emit_json({"revision": ops.upgrade(get_settings().database_url)})


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="Login name (lower case, 3-64 characters).")],
    role: Annotated[
        str, typer.Option("--role", help="admin, physician, nurse, coordinator or viewer.")
    ],
    centre: Annotated[
        str | None, typer.Option("--centre", help="Centre code (needed when several exist).")
    ] = None,
    display_name: Annotated[str, typer.Option("--display-name")] = "",
) -> None:
    """Create a user; the password (>= 12 characters) is read from the first line of stdin."""
    from pydantic import ValidationError

    from plexms.core.errors import InputError
    from plexms.services import users
    from plexms.services.calc import error_body
    from plexms.services.errors import ServiceError
    from plexms.services.schemas import UserIn

    password = sys.stdin.readline().rstrip("\r\n")
    ctx = _ops_context()
    try:
        data = UserIn(
            username=username,
            password=password,
            role=role,  # type: ignore[arg-type]
            display_name=display_name,
        )
        user = users.create_user(ctx, data, centre_code=centre)
    except (InputError, ValidationError) as exc:
        emit_json(error_body(exc))
        raise typer.Exit(EXIT_INPUT) from None
    except ServiceError as exc:
        _fail_input(exc.field or "user", exc.detail)
    finally:
        ctx.db.dispose()
    emit_json(user.model_dump(mode="json"))


@users_app.command("set-password")
def users_set_password(
    username: Annotated[str, typer.Argument(help="The user's login name.")],
) -> None:
    """Set a user's password (read from the first line of stdin, >= 12 characters); unlocks
    the account and ends all its sessions and API tokens."""
    from plexms.core.errors import InputError
    from plexms.services import users
    from plexms.services.calc import error_body
    from plexms.services.errors import ServiceError

    password = sys.stdin.readline().rstrip("\r\n")
    ctx = _ops_context()
    try:
        user = users.set_password(ctx, username, password)
    except InputError as exc:
        emit_json(error_body(exc))
        raise typer.Exit(EXIT_INPUT) from None
    except ServiceError as exc:
        _fail_input(exc.field or "username", exc.detail)
    finally:
        ctx.db.dispose()
    emit_json(user.model_dump(mode="json"))


@app.command("demo")
def demo_command(
    registry: Annotated[
        int | None, typer.Option(help="Also bulk-load N synthetic registry patients.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the registry.")] = 2026,
) -> None:
    """Seed an empty database with the demo clinic, its users and synthetic patients.

    The users' password is PLEXMS_DEMO_PASSWORD, or generated and printed once.
    """
    from plexms.core.errors import InputError
    from plexms.services import demo

    if registry is not None:  # plexms.services.registry_demo: COPY / executemany in bulk
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        from plexms.services import registry_demo

        columns = (*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn())
        try:
            stderr = Console(stderr=True)  # stdout carries the JSON summary only
            with Progress(*columns, TimeRemainingColumn(), console=stderr, transient=True) as bar:
                task = bar.add_task("registry patients", total=registry)
                loaded = registry_demo.run_demo(
                    registry, seed, progress=lambda done, _: bar.update(task, completed=done)
                )
        except InputError as exc:
            _fail_input(exc.field, exc.message)
        emit_json(loaded)
        return
    from plexms.settings import get_settings
    from plexms.store.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    ctx = _ops_context()
    try:
        result = demo.seed(ctx, settings.demo_password)
    except InputError as exc:
        _fail_input(exc.field, exc.message)
    finally:
        ctx.db.dispose()
    emit_json(
        {
            "centre_id": result.centre_id,
            "users": list(result.usernames),
            "password": result.password if result.generated_password else "(PLEXMS_DEMO_PASSWORD)",
            "patients": result.patients,
        }
    )


@app.command("backup")
def backup_command(
    target: Annotated[Path, typer.Argument(help="File to write (SQLite copy or pg_dump -Fc).")],
) -> None:
    """Back up the database online (SQLite backup API; pg_dump for PostgreSQL)."""
    from plexms.services import ops
    from plexms.settings import get_settings
    from plexms.store.backup import BackupError

    try:
        result = ops.backup(get_settings().database_url, str(target))
    except BackupError as exc:
        _fail_input("backup", str(exc))
    emit_json(
        {
            "backup": str(result.path),
            "bytes": result.bytes,
            "seconds": round(result.seconds, 3),
            "backend": result.backend,
        }
    )


@app.command("restore")
def restore_command(
    source: Annotated[Path, typer.Argument(help="A file written by plexms backup.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Replace the database without asking.")
    ] = False,
) -> None:
    """Replace the database with a backup (stop the service first)."""
    from plexms.services import ops
    from plexms.settings import get_settings
    from plexms.store.backup import BackupError

    if not yes:
        _fail_input("yes", "restore replaces the whole database: add --yes to confirm")
    try:
        result = ops.restore(get_settings().database_url, str(source))
    except BackupError as exc:
        _fail_input("restore", str(exc))
    emit_json(
        {
            "restored": str(result.path),
            "seconds": round(result.seconds, 3),
            "backend": result.backend,
        }
    )


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit trail's hash chain; exit 1 when any row was edited, deleted, inserted
    or reordered."""
    from plexms.services import audit_log

    ctx = _ops_context()
    try:
        report = audit_log.verify(ctx)
    finally:
        ctx.db.dispose()
    emit_json(
        {
            "ok": report.ok,
            "rows": report.rows,
            "head_seq": report.head_seq,
            "problems": [{"seq": p.seq, "problem": p.problem} for p in report.problems],
        }
    )
    if not report.ok:
        raise typer.Exit(1)


# --- end service and operations ---------------------------------------------------------------


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
