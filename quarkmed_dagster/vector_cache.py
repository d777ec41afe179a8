"""Content-addressed cache of text embeddings: an in-process LRU over an optional SQLite file.

Keys are a digest of (model namespace, text), so a vector is reused whenever the same text
is encoded again by the same model, in this process (memory) or in a later one (file).
The baselines encode the same evidence sentences on many calls (three personas, one
verifier call per point, one judge call per candidate), so most lookups hit.

The file is opened in WAL mode with a busy timeout so several processes (Dagster's
multiprocess executor, gateway worker processes) can share it; if it cannot be opened or
written, the cache keeps working from memory and says so once in the log. A cache never
changes a vector: values are the float32 rows the encoder produced, returned as copies.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

_SCHEMA = "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)"
_CHUNK = 500


class VectorCache:
    """Thread-safe text -> vector cache; ``dimension`` float32 values per entry."""

    def __init__(
        self,
        namespace: str,
        dimension: int,
        max_entries: int = 50_000,
        path: Path | str | None = None,
    ) -> None:
        self.namespace, self.dimension, self.max_entries = namespace, dimension, max_entries
        self._memory: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._con: sqlite3.Connection | None = None
        self._pid = os.getpid()
        self.path = Path(path) if path is not None else None
        self.hits_memory = self.hits_file = 0
        if self.path is not None:
            self._open(self.path)

    def _open(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(path, timeout=60, check_same_thread=False)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.execute(_SCHEMA)
            con.commit()
            self._con, self._pid = con, os.getpid()
        except (OSError, sqlite3.Error) as error:
            log.warning(
                "embedding cache file %s unusable (%s); caching in memory only", path, error
            )

    def key(self, text: str) -> str:
        digest = hashlib.blake2b(digest_size=16)
        digest.update(self.namespace.encode())
        digest.update(b"\0")
        digest.update(text.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def get_many(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Cached vectors for the keys found (memory first, then the file)."""
        found: dict[str, np.ndarray] = {}
        wanted = list(dict.fromkeys(keys))
        with self._lock:
            for key in wanted:
                vector = self._memory.get(key)
                if vector is not None:
                    self._memory.move_to_end(key)
                    found[key] = vector
            self.hits_memory += len(found)
            rest = [k for k in wanted if k not in found]
            from_file = self._read_file(rest) if rest else {}
            self.hits_file += len(from_file)
            for key, vector in from_file.items():
                self._remember(key, vector)
        found.update(from_file)
        return found

    def put_many(self, vectors: Mapping[str, np.ndarray]) -> None:
        rows = {k: np.array(v, dtype=np.float32) for k, v in vectors.items()}  # own copies
        with self._lock:
            for key, vector in rows.items():
                self._remember(key, vector)
            self._write_file(rows)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "hits_memory": self.hits_memory,
                "hits_file": self.hits_file,
                "entries_memory": len(self._memory),
            }

    def _remember(self, key: str, vector: np.ndarray) -> None:
        vector.setflags(write=False)
        self._memory[key] = vector
        self._memory.move_to_end(key)
        while len(self._memory) > self.max_entries:
            self._memory.popitem(last=False)

    def _connection(self) -> sqlite3.Connection | None:
        """The file connection; a forked child opens its own (SQLite forbids sharing)."""
        if self._con is not None and self._pid != os.getpid() and self.path is not None:
            self._con = None
            self._open(self.path)
        return self._con

    def _read_file(self, keys: list[str]) -> dict[str, np.ndarray]:
        con = self._connection()
        if con is None:
            return {}
        out: dict[str, np.ndarray] = {}
        try:
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = con.execute(
                    f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk
                ).fetchall()
                for key, blob in rows:
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.shape == (self.dimension,):
                        out[key] = vector
        except sqlite3.Error as error:
            self._give_up_file(error)
        return out

    def _write_file(self, rows: Mapping[str, np.ndarray]) -> None:
        con = self._connection()
        if con is None or not rows:
            return
        try:
            con.executemany(
                "INSERT OR IGNORE INTO vectors VALUES (?, ?)",
                [(key, vector.tobytes()) for key, vector in rows.items()],
            )
            con.commit()
        except sqlite3.Error as error:
            self._give_up_file(error)

    def _give_up_file(self, error: sqlite3.Error) -> None:
        log.warning("embedding cache file %s failed (%s); caching in memory only", self.path, error)
        con, self._con = self._con, None
        if con is not None:
            con.close()
