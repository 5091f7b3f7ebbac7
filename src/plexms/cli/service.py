"""Running the service and its operations: ``serve``, ``demo``, ``db``, ``users``, ``backup``,
``restore`` and ``audit``."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from plexms.cli._app import system_context
from plexms.cli.errors import EXIT_INTEGRITY, fail
from plexms.cli_io import EXIT_INPUT, emit_json
from plexms.cli_io import fail_input as _fail_input

__all__ = [
    "audit_verify",
    "backup_command",
    "db_upgrade",
    "demo_command",
    "restore_command",
    "serve_command",
    "users_create",
    "users_set_password",
]

db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)


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

    from plexms.services import ops
    from plexms.settings import get_settings

    settings = get_settings()
    ops.upgrade(settings.database_url)
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Several workers: count requests in prometheus_client's multiprocess files so that
        # /metrics from any worker reports them all (a fresh directory for this server).
        metrics_dir = Path(settings.data_dir) / f"metrics-{port}"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True, mode=0o700)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
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
    from plexms.services.admin import users
    from plexms.services.calc import error_body
    from plexms.services.errors import ServiceError
    from plexms.services.schemas import UserIn

    password = sys.stdin.readline().rstrip("\r\n")
    ctx = system_context()
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
        fail(exc, exc.field or "user", exc.detail)
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
    from plexms.services.admin import users
    from plexms.services.calc import error_body
    from plexms.services.errors import ServiceError

    password = sys.stdin.readline().rstrip("\r\n")
    ctx = system_context()
    try:
        user = users.set_password(ctx, username, password)
    except InputError as exc:
        emit_json(error_body(exc))
        raise typer.Exit(EXIT_INPUT) from None
    except ServiceError as exc:
        fail(exc, exc.field or "username", exc.detail)
    finally:
        ctx.db.dispose()
    emit_json(user.model_dump(mode="json"))


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
    from plexms.services.admin import demo

    if registry is not None:  # plexms.services.sharing.registry_demo: COPY / executemany in bulk
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        from plexms.services.sharing import registry_demo

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
    from plexms.services import ops
    from plexms.settings import get_settings

    settings = get_settings()
    ctx = ops.system_context(settings)  # migrated first
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


def backup_command(
    target: Annotated[Path, typer.Argument(help="File to write (SQLite copy or pg_dump -Fc).")],
) -> None:
    """Back up the database online (SQLite backup API; pg_dump for PostgreSQL)."""
    from plexms.services import ops
    from plexms.settings import get_settings

    try:
        result = ops.backup(get_settings().database_url, str(target))
    except ops.BackupError as exc:
        fail(exc, "backup")
    emit_json(
        {
            "backup": str(result.path),
            "bytes": result.bytes,
            "seconds": round(result.seconds, 3),
            "backend": result.backend,
        }
    )


def restore_command(
    source: Annotated[Path, typer.Argument(help="A file written by plexms backup.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Replace the database without asking.")
    ] = False,
) -> None:
    """Replace the database with a backup (stop the service first)."""
    from plexms.services import ops
    from plexms.settings import get_settings

    if not yes:
        _fail_input("yes", "restore replaces the whole database: add --yes to confirm")
    try:
        result = ops.restore(get_settings().database_url, str(source))
    except ops.BackupError as exc:
        fail(exc, "restore")
    emit_json(
        {
            "restored": str(result.path),
            "seconds": round(result.seconds, 3),
            "backend": result.backend,
        }
    )


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit trail's hash chain; exit 9 when any row was edited, deleted, inserted
    or reordered."""
    from plexms.services.admin import audit_log

    ctx = system_context()
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
        raise typer.Exit(EXIT_INTEGRITY)
