"""``plexms reminders run``: send the appointment reminders that are due (run it from a timer,
e.g. every 5 minutes; two runs at once never send a message twice)."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer

from plexms.cli._app import system_context
from plexms.cli_io import emit_json

__all__ = ["reminders_app", "reminders_run"]

reminders_app = typer.Typer(help="Appointment reminders by e-mail.", no_args_is_help=True)


@reminders_app.command("run")
def reminders_run(
    limit: Annotated[int, typer.Option("--limit", min=1, max=10000, help="Most to send.")] = 200,
) -> None:
    """Send every centre's due reminders; prints {"sent", "failed", "superseded", "waiting"}."""
    from plexms.services.sharing import reminders

    ctx = system_context()
    try:
        report = reminders.deliver_due(ctx, limit=limit)
    finally:
        ctx.db.dispose()
    emit_json(dataclasses.asdict(report))
