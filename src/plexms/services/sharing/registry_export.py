"""Registry export use case: de-identified CSV/Parquet of the actor's centre (every centre for
the command line), streamed in batches of patients (one read transaction, so one consistent
snapshot; on the read replica when there is one), audited once as an export.

The pseudonym key is derived from ``PLEXMS_SECRET_KEY`` when set; otherwise it is the
installation's own random key, created once in the data directory (``registry-secret.key``,
mode 0600), so ids stay the same from one export to the next.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from plexms.core.errors import InputError
from plexms.interop.registry import FORMATS, Pseudonymiser, RegistryWriter, registry_tables
from plexms.services import audit
from plexms.services._replica import replica_read, source_of
from plexms.services._usecase import use_case
from plexms.services.context import ServiceContext
from plexms.services.permissions import Permission
from plexms.settings import Settings
from plexms.store.patient_records import live_patient_ids
from plexms.store.private import private_folder
from plexms.store.registry_queries import read_batch

__all__ = ["FORMATS", "SECRET_FILE", "export_registry", "registry_secret"]

SECRET_FILE = "registry-secret.key"  # noqa: S105 - a file name, not a secret
Progress = Callable[[int, int], None]


def registry_secret(settings: Settings) -> bytes:
    """The installation's pseudonym key (derived from the secret key, else a key file)."""
    raw: Any = settings.secret_key
    if hasattr(raw, "get_secret_value"):
        raw = raw.get_secret_value()
    if raw:
        return hmac.new(str(raw).encode(), b"plexms registry pseudonyms", hashlib.sha256).digest()
    path = Path(settings.data_dir) / SECRET_FILE
    if not path.exists():
        private_folder(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
    return path.read_bytes()


@use_case(Permission.EXPORT)
def export_registry(
    ctx: ServiceContext,
    out_dir: Path,
    *,
    formats: Sequence[str] = FORMATS,
    batch_size: int = 1000,
    secret: bytes | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Write ``courses``, ``sessions``, ``adverse_events`` and ``outcomes`` to ``out_dir``."""
    if not formats or set(formats) - set(FORMATS):
        raise InputError("format", f"unknown format in {list(formats)}", allowed="csv, parquet")
    if not 1 <= batch_size <= 100_000:
        raise InputError("batch_size", f"{batch_size} patients", allowed="1 to 100000")
    pseudo = Pseudonymiser(secret if secret is not None else registry_secret(ctx.settings))
    centre_id = None if ctx.actor is None or ctx.actor.is_system else ctx.actor.centre_id
    with (
        replica_read(ctx) as session,
        RegistryWriter(Path(out_dir), formats) as writer,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="registry-read") as reader,
    ):
        ids = live_patient_ids(session, centre_id)
        connection = session.connection()
        chunks = [ids[first : first + batch_size] for first in range(0, len(ids), batch_size)]
        done = 0

        def read(chunk: list[int]) -> Future[dict[str, Any]]:
            return reader.submit(read_batch, connection, chunk[0], chunk[-1], centre_id)

        # the next batch is read (the database working, the driver waiting) while this one
        # is pseudonymised and written; only the reader thread uses the connection meanwhile
        pending: Future[dict[str, Any]] | None = None
        for i, chunk in enumerate(chunks):
            raw = (pending or read(chunk)).result()
            pending = read(chunks[i + 1]) if i + 1 < len(chunks) else None
            for table, data in registry_tables(raw, pseudo).items():
                writer.write(table, data)
            done += len(chunk)
            if progress is not None:
                progress(done, len(ids))
        counts, paths = dict(writer.counts), [p.name for p in writer.paths]
        source = source_of(session)
    audit.record_alone(
        ctx,
        "export",
        entity="registry",
        detail={"format": "registry", "formats": list(formats), "patients": len(ids), **counts},
    )
    return {
        "patients": len(ids),
        "rows": counts,
        "files": paths,
        "out": str(out_dir),
        "read_from": source.database,
    }
