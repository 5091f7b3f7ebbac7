"""The ``plexms`` command line. Calls services only (never the store).

``plexms calc NAME`` is the machine contract: one JSON object (or a JSON array of objects) on
standard input, one JSON value on standard output. Exit status: 0 every request answered;
2 bad input (the request, or the whole batch, could not be read); 3 a batch in which at least
one element got an ``{"error": ...}`` in its place (the others are still answered). Every
other kind of failure has its own status too (:mod:`plexms.cli.errors`, docs/cli.md).

One module per command group; the command tree is put together below, in the order
``plexms --help`` lists it (:mod:`plexms.cli._app` holds the root command).
"""

from __future__ import annotations

from plexms.cli import calc, fhir, plan, registry, reminders, report, service
from plexms.cli._app import app
from plexms.cli_io import EXIT_INPUT, EXIT_OK, EXIT_PARTIAL, emit_json, read_json_stdin

__all__ = ["EXIT_INPUT", "EXIT_OK", "EXIT_PARTIAL", "app", "emit_json", "main", "read_json_stdin"]

app.command("plan")(plan.plan_command)
app.command("serve")(service.serve_command)
app.command("demo")(service.demo_command)
app.command("backup")(service.backup_command)
app.command("restore")(service.restore_command)
app.add_typer(calc.calc_app, name="calc")
app.add_typer(fhir.fhir_app, name="fhir")
app.add_typer(report.report_app, name="report")
app.add_typer(registry.registry_app, name="registry")
app.add_typer(reminders.reminders_app, name="reminders")
app.add_typer(service.db_app, name="db")
app.add_typer(service.users_app, name="users")
app.add_typer(service.audit_app, name="audit")


def main() -> None:
    """Console-script entry point."""
    app()
