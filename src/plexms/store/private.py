"""Patient data on disk is private: the data folder ``0700``, the SQLite database, its
journal files and every backup ``0600``, whatever the process's umask (issue 15, item 8).

SQLite creates ``-wal``, ``-shm`` and ``-journal`` with the mode of the database file (and
``fchmod``\\ s them to it when a umask got in the way), so creating the database file ``0600``
before SQLite opens it is enough for them; files left readable by an older version are
tightened when the database is opened.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["FILE_MODE", "FOLDER_MODE", "private_file", "private_folder", "private_sqlite"]

FOLDER_MODE = 0o700
FILE_MODE = 0o600
_JOURNALS = ("-wal", "-shm", "-journal")


def private_folder(path: Path) -> None:
    """Create ``path`` (and missing parents) with the folder itself ``0700``. A folder that
    exists already is left as it is: it may be shared (``/tmp``, a home directory)."""
    if path.is_dir():
        return
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, FOLDER_MODE)


def private_file(path: Path) -> None:
    """``path`` exists and is ``0600`` (created empty if missing, umask-proof)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


def private_sqlite(path: Path) -> None:
    """The database file ``path`` (created empty if missing: SQLite takes an empty file as a
    new database), its folder and any journal files beside it, private."""
    private_folder(path.parent)
    if path.exists() and not path.is_file():
        return  # not a database: SQLite says so when it opens it (DatabaseUnavailable)
    private_file(path)
    for suffix in _JOURNALS:
        journal = path.with_name(path.name + suffix)
        if journal.exists():
            os.chmod(journal, FILE_MODE)
