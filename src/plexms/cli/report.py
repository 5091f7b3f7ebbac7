"""``plexms report``: PDF reports of a patient's TPE course."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plexms.cli._app import system_context
from plexms.cli.errors import fail
from plexms.cli_io import emit_json

__all__ = ["report_app", "report_course", "report_handout"]

report_app = typer.Typer(help="PDF reports of a patient's TPE course.", no_args_is_help=True)


def _write_report(kind: str, patient: int, course: int | None, out: Path) -> None:
    from plexms.services.errors import ServiceError
    from plexms.services.sharing import reports

    ctx = system_context()
    render = reports.course_summary_pdf if kind == "course" else reports.patient_handout_pdf
    try:
        pdf = render(ctx, patient, course_id=course)
    except ServiceError as exc:
        fail(exc, "patient" if course is None else "course")
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
