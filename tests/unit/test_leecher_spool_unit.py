"""The leecher's SQLite spool: arrival order, crash safety (SIGKILL, then reopen), bounds,
and the durable resync requests; plus the signal batching of oversized events."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ayon_ftrack_sync.sync.events import EntityChange, ProjectEvent, ValueChange
from ayon_ftrack_sync.workers.leecher import _batches
from ayon_ftrack_sync.workers.spool import ResyncRequest, Spool, SpoolFull, SpoolLocked
from tests.helpers import REPO_ROOT


def event(event_id: str, project: str = "p1", entities: int = 1, value: str = "v") -> ProjectEvent:
    return ProjectEvent(
        event_id=event_id,
        project_id=project,
        changes=[
            EntityChange(
                action="update",
                entity_id=f"{event_id}-e{i}",
                table="task",
                keys=["name"],
                changes={"name": ValueChange(old=None, new=value)},
                parents=[f"{event_id}-e{i}", project],
            )
            for i in range(entities)
        ],
    )


def test_oldest_first_and_delete_after_hand_over(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite3")
    seqs = [spool.append(f"ev{i}", [event(f"ev{i}")]) for i in range(5)]
    assert seqs == sorted(seqs) and len(spool) == 5
    first = spool.oldest(3)
    assert [r.event_id for r in first] == ["ev0", "ev1", "ev2"]
    assert first[0].events[0].changes[0].entity_id == "ev0-e0"  # decoded back into models
    spool.delete([r.seq for r in first])
    assert [r.event_id for r in spool.oldest(10)] == ["ev3", "ev4"]
    spool.append("ev5", [event("ev5")])
    assert [r.event_id for r in spool.oldest(10)] == ["ev3", "ev4", "ev5"]
    spool.close()
    reopened = Spool(tmp_path / "spool.sqlite3")
    assert [r.event_id for r in reopened.oldest(10)] == ["ev3", "ev4", "ev5"]
    assert len(reopened) == 3 and reopened.size_bytes > 0
    reopened.close()


def test_acknowledged_appends_survive_sigkill(tmp_path: Path) -> None:
    """A writer process prints each seq after its append returned, then is SIGKILLed
    mid-stream: every acknowledged record is there after reopening, in order."""
    path = tmp_path / "spool.sqlite3"
    script = textwrap.dedent(
        f"""
        import sys
        from ayon_ftrack_sync.workers.spool import Spool
        from tests.unit.test_leecher_spool_unit import event
        from pathlib import Path
        spool = Spool(Path({str(path)!r}))
        i = 0
        while True:
            seq = spool.append(f"ev{{i}}", [event(f"ev{{i}}")])
            print(seq, flush=True)
            i += 1
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
    )
    acked: list[int] = []
    try:
        assert process.stdout is not None
        while len(acked) < 50:
            line = process.stdout.readline()
            assert line, "writer died early"
            acked.append(int(line))
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    assert process.returncode == -signal.SIGKILL
    spool = Spool(path)
    records = spool.oldest(100_000)
    stored = [r.seq for r in records]
    assert stored[: len(acked)] == acked  # nothing acknowledged was lost, order kept
    assert [r.event_id for r in records] == [f"ev{i}" for i in range(len(records))]
    spool.close()


def test_bounded_by_records_and_bytes(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite3", max_records=3)
    for i in range(3):
        spool.append(f"ev{i}", [event(f"ev{i}")])
    with pytest.raises(SpoolFull, match="full"):
        spool.append("ev3", [event("ev3")])
    assert len(spool) == 3 and [r.event_id for r in spool.oldest(10)][-1] == "ev2"
    spool.delete([spool.oldest(1)[0].seq])
    spool.append("ev3", [event("ev3")])  # room again
    assert [r.event_id for r in spool.oldest(10)] == ["ev1", "ev2", "ev3"]
    spool.close()

    small = Spool(tmp_path / "bytes.sqlite3", max_bytes=2_000)
    small.append("a", [event("a")])
    with pytest.raises(SpoolFull):
        small.append("big", [event("big", value="x" * 5_000)])
    assert [r.event_id for r in small.oldest(10)] == ["a"]
    small.close()


def test_resync_requests_are_durable_and_atomic_with_delete(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite3"
    spool = Spool(path, max_records=1)
    seq = spool.append("toggle", [event("toggle")])
    spool.delete([seq], [ResyncRequest("p1", "auto-sync-on/toggle", "auto-sync switched on")])
    spool.add_resyncs([ResyncRequest("p2", "overflow/x", "spool full")])
    spool.add_resyncs([ResyncRequest("p2", "overflow/y", "spool full")])  # one per project
    spool.close()
    spool = Spool(path)
    requests = spool.resyncs()
    assert [(r.project_id, r.request_id) for r in requests] == [
        ("p1", "auto-sync-on/toggle"),
        ("p2", "overflow/y"),
    ]
    assert len(spool) == 0
    spool.resync_done(ResyncRequest("p2", "overflow/x", "stale"))  # not the pending one
    spool.resync_done(requests[0])
    assert [r.request_id for r in spool.resyncs()] == ["overflow/y"]
    spool.close()


def test_signal_batches_stay_small_and_split_events_keep_derivable_ids() -> None:
    events = [event(f"ev{i}", entities=3) for i in range(20)] + [event("huge", entities=400)]
    batches = _batches(events, max_bytes=20_000)
    assert len(batches) > 2
    assert all(sum(len(e.model_dump_json()) for e in b) <= 20_000 for b in batches)
    flat = [e for b in batches for e in b]
    ids = [e.event_id for e in flat]
    assert ids[:20] == [f"ev{i}" for i in range(20)]
    assert ids[20] == "huge" and ids[21:] == [f"huge#{n}" for n in range(1, len(ids) - 20)]
    huge_entities = [c.entity_id for e in flat[20:] for c in e.changes]
    assert huge_entities == [f"huge-e{i}" for i in range(400)]  # nothing lost, order kept


def test_an_unreadable_record_is_reported_not_blocking(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite3"
    spool = Spool(path)
    spool.append("good1", [event("good1")])
    spool.close()
    with sqlite3.connect(path) as db:  # e.g. written by an incompatible version
        db.execute(
            "INSERT INTO events (event_id, received_at, size, payload) VALUES (?, 0, 9, ?)",
            ("bad", '[{"x": 1}]'),
        )
    spool = Spool(path)
    spool.append("good2", [event("good2")])
    records = spool.oldest(10)
    assert [r.event_id for r in records] == ["good1", "bad", "good2"]
    assert records[1].events == [] and "ValidationError" in (records[1].problem or "")
    assert records[0].problem is None and records[2].events[0].event_id == "good2"
    spool.close()


def test_one_process_per_spool(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite3"
    spool = Spool(path)
    other = subprocess.run(
        [
            sys.executable,
            "-c",
            f"from pathlib import Path\n"
            f"from ayon_ftrack_sync.workers.spool import Spool\nSpool(Path({str(path)!r}))",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert other.returncode != 0 and "SpoolLocked" in other.stderr and "in use" in other.stderr
    spool.close()
    with pytest.raises(SpoolLocked):  # the same process twice is refused as well
        first = Spool(path)
        try:
            Spool(path)
        finally:
            first.close()
    Spool(path).close()  # free again once closed
