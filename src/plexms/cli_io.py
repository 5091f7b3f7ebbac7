"""JSON in and out for the command line, and the fast path of ``plexms calc NAME``.

``plexms calc NAME`` (the machine contract) is answered here without building the whole
command line: only the one calculator's module is imported, not Typer, the database layer or
the other calculators (about a second of start-up saved on every call; a caller scoring one
request per process feels it). Every other command goes to :mod:`plexms.cli`, which uses the
same functions, so both paths give the same output and exit status.
"""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

__all__ = ["EXIT_INPUT", "EXIT_OK", "EXIT_PARTIAL", "answer_calc", "emit_json", "main"]

EXIT_OK = 0
EXIT_INPUT = 2
EXIT_PARTIAL = 3


def _json_default(value: Any) -> Any:
    # NumPy scalars and arrays, dates: everything else is a bug and fails loudly.
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def emit_json(body: Any, *, compact: bool = False) -> None:
    """Write one JSON value to stdout."""
    if compact:
        text = json.dumps(body, default=_json_default, ensure_ascii=False, separators=(",", ":"))
    else:
        text = json.dumps(body, default=_json_default, ensure_ascii=False, indent=2)
    sys.stdout.write(text + "\n")


def fail_input(field: str, message: str) -> NoReturn:
    """Answer ``{"error": ...}`` naming ``field`` and exit 2."""
    emit_json({"error": {"field": field, "message": message}})
    raise SystemExit(EXIT_INPUT)


def read_json_stdin() -> Any:
    """The JSON value on stdin, or exit 2 with an error body naming the problem."""
    text = sys.stdin.read()
    if not text.strip():
        fail_input("request", "no JSON on standard input")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        fail_input("request", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")


def answer_calc(name: str, payload: Any) -> int:
    """Answer ``payload`` with calculator ``name``; the contract's exit status. The clock is
    read here, at the edge (the plan's default start is today at the centre)."""
    from plexms.clock import utcnow
    from plexms.services import calc

    outcome = calc.run(name, payload, now=utcnow())
    emit_json(outcome.body, compact=outcome.batch)
    if outcome.ok:
        return EXIT_OK
    return EXIT_PARTIAL if outcome.batch else EXIT_INPUT


def main() -> None:
    """Console-script entry point: ``calc NAME`` here, everything else in :mod:`plexms.cli`."""
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "calc" and not args[1].startswith("-"):
        from plexms.services import calc

        if args[1] in calc.module_names():
            raise SystemExit(answer_calc(args[1], read_json_stdin()))
    from plexms.cli import main as full

    full()
