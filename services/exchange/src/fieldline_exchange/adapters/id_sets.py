"""A set of ids whose memory stays bounded however many ids a file holds (docs/contexts/
exchange.md, *Reading CommerceML*: constant memory): kept in memory up to `limit`, then moved
to a private SQLite file in the temporary directory (deleted when the set is closed or
dropped), where later lookups find them by primary key.

What an import must remember grows with the file — the ids seen (to refuse duplicates), the
products defined or known (to resolve offers), the offers a full package prices (to prune the
lists) — so each of those is one of these: the memory of a 100,000-product import and of a
200,000-product one is the same few sets of `limit` ids.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import weakref
from collections.abc import Iterable, Iterator

LIMIT = 50_000  # ids kept in memory before they move to disk (~5 MB of short ids)


class IdSet:
    def __init__(self, ids: Iterable[str] = (), *, limit: int | None = None) -> None:
        self.limit = limit or LIMIT
        self._memory: set[str] = set()
        self._db: sqlite3.Connection | None = None
        self._finalizer: weakref.finalize | None = None
        self.update(ids)

    def __len__(self) -> int:
        if self._db is None:
            return len(self._memory)
        self._spill()  # (ids `include`d may be on disk already: counted once there)
        count: int = self._db.execute("SELECT count(*) FROM ids").fetchone()[0]
        return count

    def __contains__(self, id_: object) -> bool:
        if id_ in self._memory:
            return True
        if self._db is None or not isinstance(id_, str):
            return False
        found = self._db.execute("SELECT 1 FROM ids WHERE id = ?", (id_,)).fetchone()
        return found is not None

    def __iter__(self) -> Iterator[str]:
        if self._db is None:
            yield from list(self._memory)
            return
        self._spill()
        for (id_,) in self._db.execute("SELECT id FROM ids ORDER BY id"):
            yield id_

    def add(self, id_: str) -> bool:
        """Remember `id_`; False when it was there already (a lookup on disk once spilled)."""
        if id_ in self:
            return False
        self.include(id_)
        return True

    def include(self, id_: str) -> None:
        """Remember `id_` without asking whether it is there (a duplicate collapses when the
        ids move to disk): what building a set needs, at memory speed."""
        self._memory.add(id_)
        if len(self._memory) >= self.limit:
            self._spill()

    def update(self, ids: Iterable[str]) -> None:
        for id_ in ids:
            self.include(id_)

    def close(self) -> None:
        """Drop the ids (and the file, if any)."""
        self._memory.clear()
        if self._finalizer is not None:
            self._finalizer()
            self._finalizer = None
        self._db = None

    @property
    def on_disk(self) -> bool:
        return self._db is not None

    def _spill(self) -> None:
        if not self._memory:
            return
        if self._db is None:
            fd, path = tempfile.mkstemp(prefix="fieldline-ids-", suffix=".sqlite3")
            os.close(fd)
            # One reader at a time, but not always on the thread that made it (an import's
            # batches are read on its reader thread, applied on the event loop's).
            db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode = OFF")
            db.execute("PRAGMA synchronous = OFF")
            db.execute("CREATE TABLE ids (id TEXT PRIMARY KEY) WITHOUT ROWID")
            self._db = db
            self._finalizer = weakref.finalize(self, _remove, db, path)
        self._db.execute("BEGIN")
        self._db.executemany("INSERT OR IGNORE INTO ids VALUES (?)", ((i,) for i in self._memory))
        self._db.execute("COMMIT")
        self._memory.clear()


def _remove(db: sqlite3.Connection, path: str) -> None:
    db.close()
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
