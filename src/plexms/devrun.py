"""What ``make run`` starts: migrate the SQLite database, seed the demo clinic if the database
is empty, print the URL and the demo sign-in, and serve.

The demo password (``PLEXMS_DEMO_PASSWORD`` or generated once) is kept in
``<data dir>/demo-credentials.txt`` (mode 0600) so later runs can print it again.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

__all__ = ["CREDENTIALS", "main", "prepare"]

CREDENTIALS = "demo-credentials.txt"


def _write_credentials(path: Path, password: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(password + "\n")
    path.chmod(0o600)


def prepare(data_dir: Path | None = None) -> tuple[str, str | None]:
    """Migrate, seed when empty; returns ``(database_url, demo password or None)``."""
    from plexms.services import ops
    from plexms.services.admin import demo
    from plexms.settings import get_settings

    settings = get_settings()
    data_dir = data_dir or settings.data_dir
    creds = data_dir / CREDENTIALS
    ctx = ops.system_context(settings)
    try:
        if not demo.is_seeded(ctx):
            print("plexms: seeding the demo clinic (synthetic patients)...")
            result = demo.seed(ctx, settings.demo_password)
            _write_credentials(creds, result.password)
    finally:
        ctx.db.dispose()
    password = settings.demo_password
    if password is None and creds.exists():
        password = creds.read_text().strip()
    return settings.database_url, password


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    url, password = prepare()
    print(f"plexms database: {url}")
    print(f"plexms is running at http://{args.host}:{args.port}/  (API docs: /api/docs)")
    if password:
        print("Sign in as admin, physician, nurse, coordinator or viewer with password:")
        print(f"  {password}")
    else:
        print("Demo users exist but their password is not on file: set PLEXMS_DEMO_PASSWORD")
    import uvicorn

    uvicorn.run(
        "plexms.app:create_app", factory=True, host=args.host, port=args.port, access_log=False
    )


if __name__ == "__main__":
    main()
