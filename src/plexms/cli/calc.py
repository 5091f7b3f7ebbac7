"""``plexms calc NAME``: every calculator as a command speaking JSON on stdin/stdout.

The machine contract: one JSON object (or a JSON array of objects) on standard input, one JSON
value on standard output. Exit status: 0 every request answered; 2 bad input (the request, or
the whole batch, could not be read); 3 a batch in which at least one element got an
``{"error": ...}`` in its place (the others are still answered). The entry point answers the
same commands without Typer (:mod:`plexms.cli_io`), with the same output and status.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from plexms.cli_io import EXIT_OK, answer_calc, emit_json, read_json_stdin
from plexms.services import calc as calc_service

__all__ = ["calc_app", "run_calc"]

calc_app = typer.Typer(
    help="Clinical calculations speaking JSON on stdin/stdout (the machine contract).",
    no_args_is_help=True,
)


def run_calc(name: str, payload: Any) -> None:
    """Answer ``payload`` with calculator ``name`` and exit with the contract's status."""
    status = answer_calc(name, payload)
    if status != EXIT_OK:
        raise typer.Exit(status)


def _register_calc(calc: calc_service.Calculator[Any, Any]) -> None:
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
