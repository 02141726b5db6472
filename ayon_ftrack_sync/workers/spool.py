"""The leecher's durable local queue: SQLite in WAL mode under the service state directory.

ftrack's hub never replays history, so an event is only safe once it is on disk. The leecher
writes every decoded event here first (that write is its "ack"), and a forwarder hands the
oldest records to Temporal and deletes them only after Temporal accepted them. A crash at any
point therefore loses nothing: at worst a record is handed over twice, and the project workflow
drops the repeat by ftrack event id.

Two tables:

* ``events``: decoded per-project batches in arrival order (``seq`` is monotonic).
* ``resyncs``: full syncs still to request (auto-sync switched on, or events refused because
  the spool was full). They are durable for the same reason as events: a request that was
  lost would leave a project silently out of step.

The spool is bounded (records and bytes). When full, ``append`` raises ``SpoolFull`` instead of
growing without limit; the caller logs the event id as an error and records a resync for the
affected projects, which repairs what was refused (never a silent drop).
"""

from __future__ import annotations

import fcntl
import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ayon_ftrack_sync.sync.events import ProjectEvent

#: Default file name inside ``service.state_dir``.
SPOOL_FILE_NAME = "leecher-spool.sqlite3"
DEFAULT_MAX_RECORDS = 100_000
DEFAULT_MAX_BYTES = 512 * 1024 * 1024

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL,
    received_at REAL NOT NULL,
    size INTEGER NOT NULL,
    payload TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS resyncs (
    project_id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    requested_at REAL NOT NULL
);
"""


class SpoolFull(RuntimeError):
    """The spool reached its bound; the event was NOT stored (the caller must report it)."""


class SpoolLocked(RuntimeError):
    """Another process (a second leecher) uses this spool file; each needs its own."""


@dataclass(frozen=True)
class SpoolRecord:
    """One stored hub event: its decoded per-project parts, in arrival order (``seq``)."""

    seq: int
    event_id: str
    received_at: float
    events: list[ProjectEvent]
    #: why the stored payload could not be read back (then ``events`` is empty)
    problem: str | None = None


@dataclass(frozen=True)
class ResyncRequest:
    """A full sync still to be requested for a project (durable until Temporal accepted it)."""

    project_id: str
    request_id: str
    reason: str


class Spool:
    """Thread-safe: the hub thread appends while the forwarder reads and deletes.

    One connection guarded by a lock: both sides do short local transactions, and a single
    writer avoids ``database is locked`` retries altogether.
    """

    def __init__(
        self,
        path: Path,
        *,
        max_records: int = DEFAULT_MAX_RECORDS,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        if max_records < 1 or max_bytes < 1:
            raise ValueError("spool bounds must be positive")
        self.path = path
        self.max_records = max_records
        self.max_bytes = max_bytes
        path.parent.mkdir(parents=True, exist_ok=True)
        # one process per spool: the size bookkeeping and the hand-over order assume it
        self._lock_file = open(path.with_name(path.name + ".lock"), "a+")
        try:
            fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock_file.close()
            raise SpoolLocked(
                f"spool {path} is in use by another process (a second leecher needs its own "
                "--spool-path)"
            ) from None
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        # WAL: readers never block the writer; synchronous=FULL: a committed append survives
        # power loss too, which is what makes the append an acknowledgement.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        row = self._db.execute("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM events").fetchone()
        self._count, self._bytes = int(row[0]), int(row[1])
        self._closed = False

    # -- events ----------------------------------------------------------------------------

    def append(self, event_id: str, events: Sequence[ProjectEvent]) -> int:
        """Store one decoded hub event durably; returns its sequence number.

        Raises ``SpoolFull`` (nothing stored) when the record or byte bound is reached.
        """
        payload = json.dumps([event.model_dump(mode="json") for event in events])
        size = len(payload)
        with self._lock:
            self._check_open()
            if self._count >= self.max_records or self._bytes + size > self.max_bytes:
                raise SpoolFull(
                    f"spool {self.path} is full ({self._count} records, {self._bytes} bytes; "
                    f"bounds {self.max_records} records, {self.max_bytes} bytes)"
                )
            cursor = self._db.execute(
                "INSERT INTO events (event_id, received_at, size, payload) VALUES (?, ?, ?, ?)",
                (event_id, time.time(), size, payload),
            )
            self._count += 1
            self._bytes += size
            return int(cursor.lastrowid or 0)

    def oldest(self, limit: int) -> list[SpoolRecord]:
        """The ``limit`` oldest records, oldest first (they stay until ``delete``)."""
        with self._lock:
            self._check_open()
            rows = self._db.execute(
                "SELECT seq, event_id, received_at, payload FROM events ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [_record(*row) for row in rows]

    def delete(self, seqs: Iterable[int], resyncs: Iterable[ResyncRequest] = ()) -> None:
        """Remove handed-over records and, in the same transaction, record resyncs to request.

        One transaction: a crash can never delete the toggle event and forget its resync.
        """
        seq_list = list(seqs)
        resync_list = list(resyncs)
        with self._lock:
            self._check_open()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                removed = 0
                for chunk_start in range(0, len(seq_list), 500):
                    chunk = seq_list[chunk_start : chunk_start + 500]
                    marks = ",".join("?" * len(chunk))
                    size = self._db.execute(
                        "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM events "
                        f"WHERE seq IN ({marks})",
                        chunk,
                    ).fetchone()
                    self._db.execute(f"DELETE FROM events WHERE seq IN ({marks})", chunk)
                    removed += int(size[0])
                    self._bytes -= int(size[1])
                for request in resync_list:
                    self._insert_resync(request)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                row = self._db.execute(
                    "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM events"
                ).fetchone()
                self._count, self._bytes = int(row[0]), int(row[1])
                raise
            self._count -= removed

    def __len__(self) -> int:
        return self._count

    @property
    def size_bytes(self) -> int:
        return self._bytes

    # -- resync requests -------------------------------------------------------------------

    def add_resyncs(self, requests: Iterable[ResyncRequest]) -> None:
        """Record full syncs to request (tiny rows, allowed even when the spool is full)."""
        with self._lock:
            self._check_open()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for request in requests:
                    self._insert_resync(request)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def resyncs(self) -> list[ResyncRequest]:
        with self._lock:
            self._check_open()
            rows = self._db.execute(
                "SELECT project_id, request_id, reason FROM resyncs ORDER BY requested_at"
            ).fetchall()
        return [ResyncRequest(str(p), str(r), str(reason)) for p, r, reason in rows]

    def resync_done(self, request: ResyncRequest) -> None:
        """Forget a request once Temporal accepted it (only that request: a newer one stays)."""
        with self._lock:
            self._check_open()
            self._db.execute(
                "DELETE FROM resyncs WHERE project_id = ? AND request_id = ?",
                (request.project_id, request.request_id),
            )

    def _insert_resync(self, request: ResyncRequest) -> None:
        # one pending request per project is enough: a full sync covers all earlier reasons
        self._db.execute(
            "INSERT INTO resyncs (project_id, request_id, reason, requested_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT(project_id) DO UPDATE SET "
            "request_id = excluded.request_id, reason = excluded.reason",
            (request.project_id, request.request_id, request.reason, time.time()),
        )

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()
                self._lock_file.close()  # releases the flock

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"spool {self.path} is closed")


def _record(seq: int, event_id: str, received_at: float, payload: str) -> SpoolRecord:
    """A stored row back as models; an unreadable one (say, written by an incompatible
    version) is returned with its problem instead of blocking the queue forever."""
    try:
        events = [ProjectEvent.model_validate(item) for item in json.loads(payload)]
    except (ValueError, TypeError) as exc:
        return SpoolRecord(
            int(seq), str(event_id), float(received_at), [], f"{type(exc).__name__}: {exc}"[:300]
        )
    return SpoolRecord(int(seq), str(event_id), float(received_at), events)
