"""Many small cache entries (one per document) in one SQLite file, keyed by a digest of their inputs.

A file per entry cost 0.8 ms of system time to create on the project's reference machine (1.6 s per
1,000 documents, a third of the corpus stage); one SQLite transaction writes a thousand in 0.05 s.
SQLite (standard library) also keeps an interrupted write from leaving half an entry, and lets builds
that share a cache read and write at the same time. An entry is only ever a speed-up: a damaged file
reads as empty and is started afresh, so its entries are recomputed, never trusted.
"""
from __future__ import annotations

import contextlib
import pickle
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

_BATCH = 500  # keys per query: SQLite limits the parameters of one statement


class Entries:
    def __init__(self, path: Path):
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # timeout: another build writing, wait for it; isolation_level None: transactions are begun explicitly
        con = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        if con.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            # Readers do not wait for a writer. Switching fails at once, not after the timeout, while another
            # connection holds the file: that one is switching it, and the mode stays with the file.
            with contextlib.suppress(sqlite3.OperationalError):
                con.execute("PRAGMA journal_mode=WAL")
        con.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
        return con

    def get(self, keys: Sequence[str]) -> dict[str, bytes]:
        """The entries there are for ``keys``."""
        found: dict[str, bytes] = {}
        try:
            with contextlib.closing(self._connect()) as con:
                for i in range(0, len(keys), _BATCH):
                    chunk = list(keys[i:i + _BATCH])
                    found.update(con.execute(f"SELECT key, value FROM entries WHERE key IN ({','.join('?' * len(chunk))})", chunk))
        except sqlite3.DatabaseError:  # not a database, or damaged: as if empty
            return {}
        return found

    def load(self, keys: Sequence[str]) -> dict[str, Any]:
        """The pickled objects there are for ``keys``; a damaged entry is left out (recomputed, never trusted)."""
        return {key: obj for key, (obj, _) in self.load_pickles(keys).items()}

    def load_pickles(self, keys: Sequence[str]) -> dict[str, tuple[Any, bytes]]:
        """``load``, with each object's pickle beside it."""
        found = {}
        for key, data in self.get(keys).items():
            with contextlib.suppress(Exception):
                found[key] = (pickle.loads(data), data)
        return found

    def put(self, items: Iterable[tuple[str, bytes]]) -> None:
        """Add or replace entries, all in one transaction. Entries are only a speed-up: when the file stays
        locked or cannot be written, they are not kept, and the build goes on."""
        items = list(items)
        if not items:
            return
        try:
            self._put(items)
        except sqlite3.OperationalError:  # locked for a minute, read-only, disk full
            return
        except sqlite3.DatabaseError:  # damaged: start the file afresh
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            with contextlib.suppress(sqlite3.DatabaseError):
                self._put(items)

    def _put(self, items: list[tuple[str, bytes]]) -> None:
        with contextlib.closing(self._connect()) as con:
            con.execute("BEGIN IMMEDIATE")  # the write lock now, waiting for another writer, not halfway through
            try:
                con.executemany("INSERT OR REPLACE INTO entries (key, value) VALUES (?, ?)", items)
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
