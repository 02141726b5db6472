"""AYON -> ftrack under process death: the AYON listener SIGKILLed mid-stream, and the worker
SIGKILLed mid-stream, while a person keeps editing AYON through ayon_api.

Everything is the production path: AYON edits (sender type `test`) on the AYON emulator; the
real AYON listener (`ayon-ftrack-sync ayon-listener`, a child process, where it is killed) or
in process; the real leecher in process (the echoes of the sync's ftrack writes come back
through it); the real worker (`ayon-ftrack-sync worker`, a child process, where it is killed)
with the real activities; the real clients; a real Temporal dev server.

After the restart: no AYON event is left unprocessed (every source event has an enrolled job
that is finished, the project workflow handled every change) and none is applied twice (the
service made exactly one ftrack write carrying each change).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ayon_api
import pytest
from temporalio.api.enums.v1 import EventType, PendingActivityState, TimeoutType
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from ayon_ftrack_sync.emulators.ayon import AyonEmulator
from ayon_ftrack_sync.emulators.ftrack import FtrackEmulator
from ayon_ftrack_sync.sync.identity import ftrack_id_for
from ayon_ftrack_sync.workflows.project_sync import workflow_id_for
from tests.conftest import WorkerFactory
from tests.helpers import local_binary, temporal_address, wait_for
from tests.integration.test_full_sync_rules import by_name, contexts, linked
from tests.integration.two_way_support import (
    FtrackWrite,
    FtrackWrites,
    TwoWay,
    jobs_by_source,
    source_events,
    synced,
    two_way,
    unfinished,
)
from tests.reliability.incremental_support import assert_healthy, worker_env
from tests.reliability.test_full_sync_reliability import WorkerProcess

log = logging.getLogger(__name__)

#: AYON edits in a stream: 10 new shots, 24 shot descriptions, 6 shot frameStart values
CREATES, DESCRIPTIONS, FRAMES = 10, 24, 6


class ListenerProcess:
    """`ayon-ftrack-sync ayon-listener` in its own process group, killed by its pid."""

    def __init__(self, env: dict[str, str], task_queue: str, log_path: Path) -> None:
        self.log_path = log_path
        with log_path.open("w") as out:
            self.process = subprocess.Popen(
                [
                    str(local_binary("ayon-ftrack-sync")),
                    "ayon-listener",
                    "--task-queue",
                    task_queue,
                    "--health-interval",
                    "2",
                ],
                cwd=log_path.parent,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(
            lambda: (
                "AYON listener started" in self.log_path.read_text()
                or self.process.poll() is not None
            ),
            timeout=30,
            what="the AYON listener process to start",
        )
        assert self.process.poll() is None, self.log_path.read_text()

    def kill(self) -> None:
        """SIGKILL: no graceful stop, the jobs it holds stay open in AYON."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


# -- the stream of AYON edits -----------------------------------------------------------------


@dataclass
class Change:
    """One AYON edit by a person and what ftrack must show for it."""

    kind: str  # create / description / frame
    ayon_id: str
    ftrack_id: str
    value: Any
    apply: Callable[[ayon_api.ServerAPI], None] = field(repr=False)


def plan_changes(both: TwoWay, project_id: str, project: str) -> list[Change]:
    """Edits of distinct entities (every final value is the value of one edit), interleaved."""
    nodes = contexts(both.ftrack, project_id)
    shots = sorted((n for n in nodes.values() if n["type"] == "Shot"), key=lambda n: n["name"])
    assert len(shots) >= DESCRIPTIONS + FRAMES, len(shots)
    ayon_of = linked(both.ayon, project)
    parent = ayon_of[by_name(nodes, "sq010")["id"]]["id"]
    creates: list[Change] = []
    for i in range(CREATES):
        folder_id = uuid.uuid4().hex
        name = f"made_in_ayon_{i:02d}"

        def create(api: ayon_api.ServerAPI, folder_id: str = folder_id, name: str = name) -> None:
            api.create_folder(
                project, name, folder_type="Shot", parent_id=parent, folder_id=folder_id
            )

        creates.append(Change("create", folder_id, ftrack_id_for(folder_id), name, create))
    texts: list[Change] = []
    for i, shot in enumerate(shots[:DESCRIPTIONS]):
        folder_id, text = ayon_of[shot["id"]]["id"], f"stream description {i}"

        def describe(api: ayon_api.ServerAPI, folder_id: str = folder_id, text: str = text) -> None:
            api.update_folder(project, folder_id, attrib={"description": text})

        texts.append(Change("description", folder_id, shot["id"], text, describe))
    frames: list[Change] = []
    for i, shot in enumerate(shots[DESCRIPTIONS : DESCRIPTIONS + FRAMES]):
        folder_id, value = ayon_of[shot["id"]]["id"], 5001 + i

        def frame(api: ayon_api.ServerAPI, folder_id: str = folder_id, value: int = value) -> None:
            api.update_folder(project, folder_id, attrib={"frameStart": value})

        frames.append(Change("frame", folder_id, shot["id"], value, frame))
    out: list[Change] = []
    for i in range(max(len(creates), len(texts), len(frames))):
        out.extend(texts[i : i + 1] + creates[i : i + 1] + frames[i : i + 1])
    assert len(out) == CREATES + DESCRIPTIONS + FRAMES
    return out


class Stream(threading.Thread):
    """The person's AYON edits, `pause` seconds apart, off the event loop."""

    def __init__(self, api: ayon_api.ServerAPI, changes: list[Change], pause: float) -> None:
        super().__init__(name="ayon-stream", daemon=True)
        self.api, self.changes, self.pause = api, changes, pause
        self.done = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for change in self.changes:
                change.apply(self.api)
                self.done += 1
                time.sleep(self.pause)
        except BaseException as exc:  # reported by `finish`
            self.error = exc

    async def finish(self, timeout: float = 60.0) -> None:
        await asyncio.to_thread(self.join, timeout)
        assert not self.is_alive(), "the AYON edits did not finish"
        if self.error is not None:
            raise self.error
        assert self.done == len(self.changes)


def ftrack_shows(ftrack: FtrackEmulator, project_id: str, change: Change) -> Any:
    """The ftrack value of a change's entity (None when the entity is missing)."""
    if change.kind == "create":
        node = contexts(ftrack, project_id).get(change.ftrack_id)
        return node["name"] if node else None
    if change.kind == "description":
        rows = ftrack.control.query(
            f'select description from TypedContext where id is "{change.ftrack_id}"'
        )
        return rows[0]["description"] if rows else None
    rows = ftrack.control.query(
        "select value, configuration.key from CustomAttributeValue "
        f'where entity_id is "{change.ftrack_id}"'
    )
    return {r["configuration"]["key"]: r["value"] for r in rows}.get("frameStart")


def writes_carrying(writes: FtrackWrites, change: Change) -> list[Any]:
    """The service's ftrack writes that carried this change."""
    mine = writes.of(change.ftrack_id)
    if change.kind == "create":
        return [w for w in mine if w.action == "create" and w.entity_key == (change.ftrack_id,)]
    if change.kind == "description":
        return [w for w in mine if w.data.get("description") == change.value]
    return [
        w
        for w in mine
        if w.entity_type.endswith("CustomAttributeValue") and w.data.get("value") == change.value
    ]


async def assert_every_change_once(
    both: TwoWay, project_id: str, project: str, changes: list[Change], writes: FtrackWrites
) -> None:
    """Nothing left unprocessed, nothing applied twice."""
    sources = source_events(both.ayon, project)
    assert len(sources) == len(changes), (len(sources), len(changes))
    jobs = jobs_by_source(both.ayon)
    assert unfinished(both.ayon, sources) == [], [
        (s, jobs.get(s, {}).get("status")) for s in unfinished(both.ayon, sources)
    ]
    status = await assert_healthy(both.client, project_id)
    assert status.stats.batches_failed == 0, status.stats.last_error
    # each AYON event handled once by the workflow (repeats are dropped by AYON event id)
    assert status.stats.ayon_events_received - status.stats.ayon_events_duplicate == len(sources), (
        status.stats
    )
    assert status.stats.ayon_events_applied == len(sources), status.stats
    missing = [c for c in changes if ftrack_shows(both.ftrack, project_id, c) != c.value]
    assert missing == [], [(c, ftrack_shows(both.ftrack, project_id, c)) for c in missing]
    counts = {(c.kind, c.ftrack_id): len(writes_carrying(writes, c)) for c in changes}
    assert {k: n for k, n in counts.items() if n != 1} == {}, "ftrack writes per change != 1"


# -- 1. the AYON listener SIGKILLed mid-stream --------------------------------------------------


async def test_listener_killed_mid_stream_loses_nothing_and_applies_nothing_twice(
    tmp_path: Path,
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
    ayon_api_factory: Callable[..., ayon_api.ServerAPI],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The listener process is SIGKILLed while it holds enrolled jobs it has not finished
    (some possibly signalled already), with the person still editing; a new listener process
    with the same service name resumes the open jobs. Every change reaches ftrack, carried by
    exactly one ftrack write; every job ends finished."""
    address = temporal_address(temporal_env)
    person = ayon_api_factory(sender_type="test", sender="artist")
    listeners: list[ListenerProcess] = []
    async with two_way(
        tmp_path,
        temporal_env.client,
        address,
        make_worker,
        task_queue,
        ftrack_server,
        ayon_server,
        listener=False,
    ) as both:
        env = {
            **worker_env(both.pipe.config, address),
            "AYON_SERVICE_NAME": str(both.pipe.config.ayon.service_name),
        }

        def start_listener() -> ListenerProcess:
            path = tmp_path / f"listener-{len(listeners) + 1}.log"
            listener = ListenerProcess(env, task_queue, path)
            listeners.append(listener)
            return listener

        try:
            project_id, project = await synced(both, "lkill", shots=20)
            changes = plan_changes(both, project_id, project)
            writes = FtrackWrites(ftrack_server)
            with writes.installed(monkeypatch):
                victim = start_listener()
                # a slower AYON keeps enrolled jobs open long enough to be caught held
                ayon_server.control.set_latency(0.03)
                stream = Stream(person, changes, pause=0.05)
                stream.start()
                # kill while the listener holds jobs it has not finished
                held: list[str] = []
                deadline = time.monotonic() + 30
                while not held:
                    assert time.monotonic() < deadline, "never caught the listener holding jobs"
                    jobs = jobs_by_source(ayon_server)
                    finished = [s for s, j in jobs.items() if j["status"] == "finished"]
                    open_jobs = [s for s, j in jobs.items() if j["status"] != "finished"]
                    middle = len(changes) // 4 <= stream.done < len(changes) - 5
                    if finished and open_jobs and middle:
                        victim.kill()
                        held = open_jobs
                    await asyncio.sleep(0.01)
                killed_after = stream.done
                await asyncio.sleep(1.0)  # more edits while no listener runs
                ayon_server.control.set_latency(0)
                start_listener()
                await stream.finish()
                await both.settle(project_id, project, timeout=90)
                log.info(
                    "listener killed after %d of %d edits holding %d open job(s)",
                    killed_after,
                    len(changes),
                    len(held),
                )
                statuses = {s: jobs_by_source(ayon_server)[s]["status"] for s in held}
                assert set(statuses.values()) == {"finished"}, statuses
                await assert_every_change_once(both, project_id, project, changes, writes)
                second = listeners[-1].log_path.read_text()
                assert "AYON listener started" in second
        finally:
            for listener in listeners:
                listener.stop()


# -- 2. the worker SIGKILLed mid-stream ---------------------------------------------------------


async def _retried_after_heartbeat_timeout(client: Client, project_id: str) -> int:
    """`transmit.apply` attempts that started again because the previous one vanished."""
    history = await client.get_workflow_handle(workflow_id_for(project_id)).fetch_history()
    scheduled: dict[int, str] = {}
    retried = 0
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = event.activity_task_scheduled_event_attributes
            scheduled[event.event_id] = attrs.activity_type.name
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            started = event.activity_task_started_event_attributes
            if (
                scheduled.get(started.scheduled_event_id) == "transmit.apply"
                and started.attempt > 1
                and started.last_failure.timeout_failure_info.timeout_type
                == TimeoutType.TIMEOUT_TYPE_HEARTBEAT
            ):
                retried += 1
    return retried


async def _transmits_running(client: Client, project_id: str) -> bool:
    try:
        description = await client.get_workflow_handle(workflow_id_for(project_id)).describe()
    except Exception:
        return False
    return any(
        a.activity_type.name == "transmit.apply"
        and a.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
        for a in description.raw_description.pending_activities
    )


async def test_worker_killed_mid_stream_loses_nothing_and_applies_nothing_twice(
    tmp_path: Path,
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
    ayon_api_factory: Callable[..., ayon_api.ServerAPI],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The worker process is SIGKILLed mid-stream at the worst moment: right after ftrack
    committed a batch of its `transmit.apply` writes, before the reply reached it (the kill
    is made by the emulator's request handler). A fresh worker is started. The vanished
    attempt is retried after its heartbeat timeout, and the retry finds its writes already
    made and plans nothing. Every change reaches ftrack, carried by exactly one ftrack write;
    every job ends finished."""
    address = temporal_address(temporal_env)
    person = ayon_api_factory(sender_type="test", sender="artist")
    workers: list[WorkerProcess] = []
    async with two_way(
        tmp_path,
        temporal_env.client,
        address,
        make_worker,
        task_queue,
        ftrack_server,
        ayon_server,
        worker=False,
    ) as both:
        env = worker_env(both.pipe.config, address)

        def start_worker() -> WorkerProcess:
            path = tmp_path / f"worker-{len(workers) + 1}.log"
            worker = WorkerProcess(env, task_queue, path)
            workers.append(worker)
            return worker

        try:
            victim = start_worker()
            project_id, project = await synced(both, "wkill", shots=20)
            changes = plan_changes(both, project_id, project)
            writes = FtrackWrites(ftrack_server)
            with writes.installed(monkeypatch):
                # the worker dies right after one of its ftrack batches committed, before the
                # reply reaches it: the worst moment (written, but the attempt never completes)
                killed = threading.Event()
                stream = Stream(person, changes, pause=0.05)

                def kill_after_commit(batch: list[FtrackWrite]) -> None:
                    service = batch[0].username == ftrack_server.api_user
                    if service and stream.done >= 10 and not killed.is_set():
                        killed.set()
                        os.killpg(victim.process.pid, signal.SIGKILL)

                writes.on_commit = kill_after_commit
                stream.start()
                deadline = time.monotonic() + 30
                while not killed.is_set():
                    assert time.monotonic() < deadline, "the worker never wrote to ftrack"
                    await asyncio.sleep(0.01)
                victim.kill()  # reaped
                killed_after, written = stream.done, len(writes.by_service())
                assert killed_after < len(changes), "killed after the stream"
                start_worker()
                await stream.finish()
                await both.settle(project_id, project, timeout=120)
                log.info(
                    "worker killed after %d of %d edits, %d ftrack writes made",
                    killed_after,
                    len(changes),
                    written,
                )
                await assert_every_change_once(both, project_id, project, changes, writes)
                # the kill hit a transmit in flight: its attempt vanished and was retried
                assert await _retried_after_heartbeat_timeout(both.client, project_id) >= 1
        finally:
            for worker in workers:
                worker.stop()
