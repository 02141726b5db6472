"""Both directions at once for the two-way tests: the ftrack -> AYON pipeline of
`incremental_support` (hub -> in-process leecher -> ProjectSyncWorkflow -> real activities)
plus the real AYON listener (AYON events -> enroll -> `enqueue_ayon` -> `transmit.apply`).

People edit ftrack "as the web UI" (the emulator's UI session, attributed to a person) and
AYON through ayon_api with a person's sender type. What the *service* writes is counted on
both servers, no-op writes included:

* `FtrackWrites`: every create / update / delete action the ftrack emulator executes,
  attributed to the user the request authenticated as (the service's API user, or a person).
* `AyonWrites`: every entity create / update the AYON emulator executes, with the request's
  sender type (`ftrack` is the service).
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import Client

from ayon_ftrack_sync.activities import build_activities
from ayon_ftrack_sync.activities.incremental import IncrementalActivities
from ayon_ftrack_sync.activities.transmit import TransmitActivities
from ayon_ftrack_sync.config import AYON_SENDER_TYPE, AppConfig, AyonConfig
from ayon_ftrack_sync.emulators.ayon import AyonEmulator
from ayon_ftrack_sync.emulators.ayon import entities as ayon_entities
from ayon_ftrack_sync.emulators.ftrack import FtrackEmulator
from ayon_ftrack_sync.emulators.ftrack.api import WRITE_ACTIONS
from ayon_ftrack_sync.payloads.project_sync import (
    ApplyBatchInput,
    ApplyBatchResult,
    ProjectSyncStatus,
    TransmitBatchInput,
)
from ayon_ftrack_sync.workers.ayon_listener import (
    SOURCE_TOPICS,
    TARGET_TOPIC,
    AyonListener,
    ListenerOptions,
)
from ayon_ftrack_sync.workers.leecher import Leecher
from ayon_ftrack_sync.workflows import WORKFLOWS
from ayon_ftrack_sync.workflows.project_sync import ProjectSyncWorkflow, workflow_id_for
from tests.conftest import WorkerFactory
from tests.integration.incremental_support import Pipeline, pipeline_config
from tests.integration.leecher_support import FAST, hub_updates, running, terminate

#: the listener with short timings (a batch of up to 20 jobs, as in production)
LISTENER_FAST = ListenerOptions(
    batch_max_jobs=20,
    batch_window_s=0.1,
    batch_poll_s=0.02,
    poll_interval_s=0.1,
    health_interval_s=5.0,
    retry_initial_s=0.1,
    retry_max_s=1.0,
    rpc_timeout_s=5.0,
    temporal_connect_timeout_s=2.0,
    stop_timeout_s=5.0,
)


def two_way_config(
    tmp_path: Path, ftrack: FtrackEmulator, ayon: AyonEmulator, address: str, queue: str
) -> AppConfig:
    """`pipeline_config` plus an AYON service name of this test (the listener's senders)."""
    config = pipeline_config(tmp_path, ftrack, ayon, address, queue)
    return config.model_copy(
        update={
            "ayon": AyonConfig(
                AYON_SERVER_URL=ayon.url,
                AYON_API_KEY=ayon.api_key,
                AYON_SERVICE_NAME=f"two-way-{uuid.uuid4().hex[:8]}",
            )
        }
    )


# -- which activity is running ---------------------------------------------------------------


class ActivityTracker:
    """Wraps the two apply activities so every write can be tagged with the activity that was
    running when it was made (one project per test: its workflow runs one at a time)."""

    def __init__(self) -> None:
        self.current: str | None = None
        self.runs: list[str] = []
        self._lock = threading.Lock()

    @contextmanager
    def _running(self, name: str) -> Iterator[None]:
        with self._lock:
            self.current = name
            self.runs.append(name)
        try:
            yield
        finally:
            with self._lock:
                self.current = None

    def wrap(self, activities: Sequence[Callable[..., Any]]) -> list[Callable[..., Any]]:
        wrapped: list[Callable[..., Any]] = []
        for fn in activities:
            owner = getattr(fn, "__self__", None)
            if isinstance(owner, IncrementalActivities) and fn.__name__ == "apply":
                wrapped.append(self._incremental(fn))
            elif isinstance(owner, TransmitActivities) and fn.__name__ == "apply":
                wrapped.append(self._transmit(fn))
            else:
                wrapped.append(fn)
        return wrapped

    def _incremental(self, fn: Callable[[ApplyBatchInput], ApplyBatchResult]) -> Callable[..., Any]:
        @activity.defn(name="incremental.apply")
        def apply(batch: ApplyBatchInput) -> ApplyBatchResult:
            with self._running("incremental.apply"):
                return fn(batch)

        return apply

    def _transmit(self, fn: Callable[[TransmitBatchInput], ApplyBatchResult]) -> Callable[..., Any]:
        @activity.defn(name="transmit.apply")
        def apply(batch: TransmitBatchInput) -> ApplyBatchResult:
            with self._running("transmit.apply"):
                return fn(batch)

        return apply


TRACKER_NONE = ActivityTracker()


# -- write recorders -------------------------------------------------------------------------


@dataclass(frozen=True)
class FtrackWrite:
    activity: str | None  # the apply activity running when it was made
    username: str
    action: str  # create / update / delete / ...
    entity_type: str
    entity_key: tuple[str, ...]
    data: dict[str, Any]


class FtrackWrites:
    """Every write action the ftrack emulator executes, with the user it is made as."""

    def __init__(self, ftrack: FtrackEmulator, tracker: ActivityTracker = TRACKER_NONE) -> None:
        self.ftrack = ftrack
        self.tracker = tracker
        self.service_user = ftrack.api_user
        self.writes: list[FtrackWrite] = []
        self._lock = threading.Lock()
        #: called (in the emulator's thread) after each batch with writes committed, before
        #: its response is sent: the place to kill a process between a write and its reply
        self.on_commit: Callable[[list[FtrackWrite]], None] | None = None

    @contextmanager
    def installed(self, monkeypatch: pytest.MonkeyPatch) -> Iterator[FtrackWrites]:
        backend = self.ftrack.backend
        real = backend.handle

        def handle(batch: Any, user: Any, *, actor: Any = None) -> Any:
            result = real(batch, user, actor=actor)
            if isinstance(batch, list):  # recorded once the batch committed
                self._add(batch, user.username if actor is None else actor.username)
            return result

        monkeypatch.setattr(backend, "handle", handle)
        try:
            yield self
        finally:
            monkeypatch.setattr(backend, "handle", real)

    def _add(self, batch: list[Any], username: str) -> None:
        added: list[FtrackWrite] = []
        with self._lock:
            for action in batch:
                if not isinstance(action, dict) or action.get("action") not in WRITE_ACTIONS:
                    continue
                key = action.get("entity_key")
                keys = key if isinstance(key, list) else [key]
                added.append(
                    FtrackWrite(
                        self.tracker.current,
                        username,
                        str(action.get("action")),
                        str(action.get("entity_type")),
                        tuple(str(k) for k in keys),
                        dict(action.get("entity_data") or {}),
                    )
                )
            self.writes.extend(added)
        if added and self.on_commit is not None:
            self.on_commit(added)

    def by_service(self) -> list[FtrackWrite]:
        with self._lock:
            return [w for w in self.writes if w.username == self.service_user]

    def by_people(self) -> list[FtrackWrite]:
        with self._lock:
            return [w for w in self.writes if w.username != self.service_user]

    def of(self, entity_id: str) -> list[FtrackWrite]:
        """The service's writes of one entity (its own row or one of its attribute values)."""
        return [w for w in self.by_service() if entity_id in w.entity_key]


@dataclass(frozen=True)
class AyonWrite:
    activity: str | None  # the apply activity running when it was made
    sender_type: str | None
    op: str  # create / update
    project: str
    kind: str
    entity_id: str
    data: dict[str, Any]


class AyonWrites:
    """Every entity create / update the AYON emulator executes (no-op updates included),
    with the sender type of the request that made it."""

    def __init__(self, tracker: ActivityTracker = TRACKER_NONE) -> None:
        self.tracker = tracker
        self.writes: list[AyonWrite] = []
        self._lock = threading.Lock()

    @contextmanager
    def installed(self, monkeypatch: pytest.MonkeyPatch) -> Iterator[AyonWrites]:
        real_create, real_update = ayon_entities.create, ayon_entities.update

        def create(tx: Any, proj: Any, kind: str, entity_id: Any, data: dict[str, Any]) -> Any:
            ent = real_create(tx, proj, kind, entity_id, data)
            self._add(tx, "create", proj.name, kind, str(ent["id"]), data)
            return ent

        def update(tx: Any, proj: Any, kind: str, entity_id: str, data: dict[str, Any]) -> Any:
            ent = real_update(tx, proj, kind, entity_id, data)
            self._add(tx, "update", proj.name, kind, entity_id, data)
            return ent

        monkeypatch.setattr(ayon_entities, "create", create)
        monkeypatch.setattr(ayon_entities, "update", update)
        try:
            yield self
        finally:
            monkeypatch.setattr(ayon_entities, "create", real_create)
            monkeypatch.setattr(ayon_entities, "update", real_update)

    def _add(self, tx: Any, op: str, project: str, kind: str, eid: str, data: Any) -> None:
        with self._lock:
            self.writes.append(
                AyonWrite(
                    self.tracker.current,
                    tx.actor.sender_type,
                    op,
                    project,
                    kind,
                    eid,
                    dict(data or {}),
                )
            )

    def by_service(self, project: str | None = None) -> list[AyonWrite]:
        with self._lock:
            return [
                w
                for w in self.writes
                if w.sender_type == AYON_SENDER_TYPE and project in (None, w.project)
            ]

    def of(self, project: str, entity_id: str) -> list[AyonWrite]:
        return [w for w in self.by_service(project) if w.entity_id == entity_id]


# -- AYON events -----------------------------------------------------------------------------


def source_events(ayon: AyonEmulator, project: str) -> list[str]:
    """Ids of the project's AYON events the listener must hand over (not made by the sync)."""
    return [
        str(event["id"])
        for event in ayon.control.events()
        if event.get("project") == project
        and event["topic"] in SOURCE_TOPICS
        and event.get("senderType") != AYON_SENDER_TYPE
    ]


def jobs_by_source(ayon: AyonEmulator) -> dict[str, dict[str, Any]]:
    return {str(event["dependsOn"]): event for event in ayon.control.events(TARGET_TOPIC)}


def unfinished(ayon: AyonEmulator, sources: list[str]) -> list[str]:
    jobs = jobs_by_source(ayon)
    return [s for s in sources if jobs.get(s, {}).get("status") != "finished"]


# -- the running pipeline --------------------------------------------------------------------


@dataclass
class TwoWay:
    """Leecher + AYON listener (+ an in-process worker unless the test runs its own)."""

    pipe: Pipeline
    listener: AyonListener | None = None
    listener_task: asyncio.Task[None] | None = None
    projects: list[str] = field(default_factory=list)

    @property
    def client(self) -> Client:
        return self.pipe.client

    @property
    def ftrack(self) -> FtrackEmulator:
        return self.pipe.ftrack

    @property
    def ayon(self) -> AyonEmulator:
        return self.pipe.ayon

    def start_listener(self, options: ListenerOptions = LISTENER_FAST) -> AyonListener:
        assert self.listener_task is None or self.listener_task.done()
        self.listener = AyonListener(self.pipe.config, options, client=self.pipe.client)
        self.listener_task = asyncio.create_task(
            self.listener.run(install_signal_handlers=False), name="two-way-listener"
        )
        return self.listener

    async def stop_listener(self) -> None:
        if self.listener is not None and self.listener_task is not None:
            self.listener.request_stop()
            await asyncio.wait_for(self.listener_task, 30)
            self.listener_task = None

    def assert_running(self) -> None:
        task = self.listener_task
        if task is not None and task.done():
            task.result()  # raises what ended it
            raise AssertionError("the AYON listener stopped by itself")

    async def settle(
        self, project_id: str, project: str, *, timeout: float = 60.0
    ) -> ProjectSyncStatus:
        """Wait until every AYON change of people is handed over and transmitted, and every
        ftrack hub event (people's and the echoes of the sync's own writes) is applied;
        repeats until neither side has anything new."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        handle = self.client.get_workflow_handle(workflow_id_for(project_id))
        while True:
            self.assert_running()
            sources = source_events(self.ayon, project)
            hub = len(set(hub_updates(self.ftrack, project_id)))
            while unfinished(self.ayon, sources):
                self.assert_running()
                assert loop.time() < deadline, (
                    f"{len(unfinished(self.ayon, sources))} AYON job(s) not finished in {timeout} s"
                )
                await asyncio.sleep(0.05)
            if sources:
                # the jobs are finished once Temporal accepted their signal: wait until applied
                while True:
                    try:
                        status = await handle.query(ProjectSyncWorkflow.status)
                        handled = status.stats.ayon_events_applied
                        received = status.stats.ayon_events_received
                        duplicate = status.stats.ayon_events_duplicate
                    except Exception:
                        handled, received, duplicate = -1, 0, 0
                    if handled >= 0 and handled >= received - duplicate:
                        break
                    assert loop.time() < deadline, f"AYON changes not transmitted in {timeout} s"
                    await asyncio.sleep(0.05)
            remaining = max(1.0, deadline - loop.time())
            status = await asyncio.wait_for(
                self.pipe.settle(project_id, timeout=remaining), remaining + 30
            )
            await asyncio.sleep(0.3)
            if (
                source_events(self.ayon, project) == sources
                and len(set(hub_updates(self.ftrack, project_id))) == hub
                and not unfinished(self.ayon, sources)
            ):
                return status
            assert loop.time() < deadline, f"project {project_id} did not settle in {timeout} s"


@asynccontextmanager
async def two_way(
    tmp_path: Path,
    client: Client,
    address: str,
    make_worker: WorkerFactory,
    task_queue: str,
    ftrack: FtrackEmulator,
    ayon: AyonEmulator,
    *,
    worker: bool = True,
    listener: bool = True,
    tracker: ActivityTracker | None = None,
) -> AsyncIterator[TwoWay]:
    """Leecher, listener and (unless `worker=False`) an in-process worker with the real
    activities; workflows of the synced projects are terminated at the end."""
    config = two_way_config(tmp_path, ftrack, ayon, address, task_queue)
    leecher = Leecher(config, FAST, client=client)
    pipe = Pipeline(client, config, task_queue, ftrack, ayon, leecher)
    both = TwoWay(pipe)
    async with AsyncExitStack() as stack:
        if worker:
            activities = list(build_activities(config))
            if tracker is not None:
                activities = tracker.wrap(activities)
            await stack.enter_async_context(
                make_worker(client, activities=activities, workflows=WORKFLOWS)
            )
        await stack.enter_async_context(running(ftrack, leecher))
        try:
            if listener:
                both.start_listener()
            yield both
            both.assert_running()
        finally:
            try:
                await both.stop_listener()
            finally:
                await terminate(client, *pipe.projects, *both.projects)


async def synced(both: TwoWay, name: str, **shape: Any) -> tuple[str, str]:
    """A generated auto-sync project, fully synced and settled; (ftrack id, AYON name)."""
    unique = f"{name}{uuid.uuid4().hex[:6]}"
    shape = {"sequences": 2, "shots": 2, "tasks": 1, **shape}
    project_id = both.ftrack.control.generate_project(unique, auto_sync=True, **shape)
    report = await asyncio.wait_for(both.pipe.full_sync(project_id, create_project=True), 120)
    project = report.project.ayon_project_name
    await both.settle(project_id, project)
    return project_id, project
