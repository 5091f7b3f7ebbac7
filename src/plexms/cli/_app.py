"""The root ``plexms`` command: its help, ``--version``, the catch-all for the error tree, and
the one way a command opens the database."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from plexms import __version__
from plexms.cli.errors import epilog, fail
from plexms.core.errors import PlexmsError

if TYPE_CHECKING:
    from plexms.services.context import ServiceContext

__all__ = ["app", "system_context"]


class _Root(TyperGroup):
    """Answers an error of the tree no command caught (e.g. the database is unavailable) with
    its exit status and ``{"error": ...}``, instead of a traceback and status 1."""

    def invoke(self, ctx: Any) -> Any:  # Typer's own (vendored) click Context
        try:
            return super().invoke(ctx)
        except (PlexmsError, OSError) as exc:
            fail(exc)


app = typer.Typer(
    name="plexms",
    help="plexms: therapeutic plasma exchange (TPE) programme software for multiple sclerosis.",
    epilog=epilog(),
    cls=_Root,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"plexms {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """plexms command line."""


def system_context() -> ServiceContext:
    """The command line's context (actor ``system``) on the configured database, which must
    answer (:class:`~plexms.services.errors.DatabaseUnavailable` otherwise; exit 7).

    Not migrated here: ``plexms db upgrade`` does that. The caller disposes of ``ctx.db``.
    """
    from plexms.services import ops
    from plexms.settings import get_settings

    return ops.system_context(get_settings(), migrate_first=False)
