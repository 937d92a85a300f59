"""The decision log's durable spool: batches the database could not take, kept on local disk.

One file per batch (`<pid>-<uuid>.jsonl` in the spool folder, one JSON array per row, in the
decision log's column order). A file is written under a temporary name, fsynced and renamed, so
it is either whole or absent. Whoever replays a file holds an exclusive lock on it (the service's
workers share the folder) and deletes it only once its rows are committed; every row carries
its decision_id and the table ignores an id it already holds, so a replay cut off between the
commit and the delete never writes a decision twice.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["DecisionSpool"]

log = logging.getLogger(__name__)

SUFFIX = ".jsonl"
UNREADABLE_SUFFIX = ".unreadable"


class DecisionSpool:
    """Decision-log batches on disk, waiting for the database."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def put(self, rows: Sequence[Sequence[Any]]) -> Path:
        """Write one batch durably; raises OSError when the disk cannot take it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{os.getpid()}-{uuid.uuid4().hex}"
        partial = self.folder / f".{name}.part"
        final = self.folder / f"{name}{SUFFIX}"
        with partial.open("w", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(list(row), default=str) + "\n")
            out.flush()
            os.fsync(out.fileno())
        partial.rename(final)
        _fsync_folder(self.folder)
        return final

    def files(self) -> list[Path]:
        """Spooled batches, oldest first."""
        if not self.folder.is_dir():
            return []
        found = [path for path in self.folder.glob(f"*{SUFFIX}") if not path.name.startswith(".")]
        return sorted(found, key=_modified_or_zero)

    @contextmanager
    def claim(self, path: Path) -> Iterator[list[list[Any]] | None]:
        """The rows of one spooled batch, under an exclusive lock; None if another holds it.

        Delete the file inside the block once its rows are committed.
        """
        try:
            handle = path.open("r", encoding="utf-8")
        except FileNotFoundError:  # replayed by another worker since it was listed
            yield None
            return
        with handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield None
                return
            if os.fstat(handle.fileno()).st_nlink == 0:  # deleted while we waited
                yield None
                return
            try:
                rows = [json.loads(line) for line in handle if line.strip()]
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                kept = path.with_suffix(UNREADABLE_SUFFIX)
                path.rename(kept)
                log.error("decision spool: %s cannot be read (%s); kept as %s", path, exc, kept)
                yield None
                return
            yield rows


def _modified_or_zero(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
