"""The full sync survives a worker killed mid-write and servers that fail requests.

The worker under test is the real `ayon-ftrack-sync worker` process, pointed at both emulators
and the session dev server; it is SIGKILLed while the hierarchy phase writes to AYON, and a
fresh worker finishes the run. The end state is compared with that of an uninterrupted sync
of an identical project (the generator makes the same ids from the same arguments, and AYON
ids derive from ftrack ids, so the two states must be equal, ids included).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from temporalio.api.enums.v1 import EventType, PendingActivityState, TimeoutType
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from ayon_ftrack_sync.activities import build_activities
from ayon_ftrack_sync.ayon.client import AyonCredentialsRejected, open_api
from ayon_ftrack_sync.config import (
    AppConfig,
    AyonConfig,
    FtrackConfig,
    ServiceConfig,
    TemporalConfig,
)
from ayon_ftrack_sync.emulators.ayon import AyonEmulator
from ayon_ftrack_sync.emulators.ftrack import FtrackEmulator
from ayon_ftrack_sync.payloads.full_sync import (
    FullSyncInput,
    FullSyncReport,
    Phase,
    PhaseResult,
)
from ayon_ftrack_sync.workflows import WORKFLOWS
from ayon_ftrack_sync.workflows.full_sync import FullSyncWorkflow
from tests.conftest import WorkerFactory
from tests.helpers import cli_env, local_binary, temporal_address, wait_for

MAPPED = ("frameStart", "frameEnd", "fps")
SETTINGS = {
    "custom_attributes": {
        "attributes_mapping": {
            "enabled": True,
            "mapping": [
                {"name": name, "attr_type": "hierarchical", "hierarchical": name, "standard": []}
                for name in MAPPED
            ],
        }
    }
}


class WorkerProcess:
    """`ayon-ftrack-sync worker` in its own process group, killed or stopped by its pid."""

    def __init__(self, env: dict[str, str], task_queue: str, log_path: Path) -> None:
        self.log_path = log_path
        with log_path.open("w") as log:
            self.process = subprocess.Popen(
                [str(local_binary("ayon-ftrack-sync")), "worker", "--task-queue", task_queue],
                cwd=log_path.parent,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(
            lambda: (
                f"worker started: task queue {task_queue}" in self.log_path.read_text()
                or self.process.poll() is not None
            ),
            timeout=30,
            what="the worker process to start",
        )
        assert self.process.poll() is None, self.log_path.read_text()

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, the running activity just vanishes."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


class Harness:
    """Both emulators, the settings file, and the two ways of running a full sync."""

    def __init__(
        self,
        tmp_path: Path,
        env: WorkflowEnvironment,
        ftrack_server: FtrackEmulator,
        ayon_server: AyonEmulator,
        make_worker: WorkerFactory,
        task_queue: str,
    ) -> None:
        self.tmp_path = tmp_path
        self.client: Client = env.client
        self.ftrack = ftrack_server
        self.ayon = ayon_server
        self.make_worker = make_worker
        self.task_queue = task_queue
        self.workers: list[WorkerProcess] = []
        settings_file = tmp_path / "settings.json"
        settings_file.write_text(json.dumps(SETTINGS))
        state_dir = tmp_path / "state"
        self.config = AppConfig(
            temporal=TemporalConfig(),
            ftrack=FtrackConfig(
                FTRACK_SERVER=ftrack_server.url,
                FTRACK_API_USER=ftrack_server.api_user,
                FTRACK_API_KEY=ftrack_server.api_key,
            ),
            ayon=AyonConfig(AYON_SERVER_URL=ayon_server.url, AYON_API_KEY=ayon_server.api_key),
            service=ServiceConfig(
                AYON_FTRACK_SYNC_STATE_DIR=str(state_dir),
                AYON_FTRACK_SYNC_SETTINGS_FILE=str(settings_file),
            ),
        )
        self.worker_env = cli_env(
            TEMPORAL_ADDRESS=temporal_address(env),
            FTRACK_SERVER=ftrack_server.url,
            FTRACK_API_USER=ftrack_server.api_user,
            FTRACK_API_KEY=ftrack_server.api_key,
            AYON_SERVER_URL=ayon_server.url,
            AYON_API_KEY=ayon_server.api_key,
            AYON_FTRACK_SYNC_STATE_DIR=str(state_dir),
            AYON_FTRACK_SYNC_SETTINGS_FILE=str(settings_file),
        )

    def fresh_project(self, name: str, **sizes: int) -> str:
        """Both servers back to a clean state, then the same generated project as before."""
        self.ftrack.control.reset()
        self.ayon.control.reset()
        project_id = self.ftrack.control.generate_project(name, **sizes)
        for index in (1, 2):
            self.ayon.control.create_user(f"artist{index}.{name}")
        return project_id

    def start_worker(self) -> WorkerProcess:
        log_path = self.tmp_path / f"worker-{len(self.workers) + 1}.log"
        worker = WorkerProcess(self.worker_env, self.task_queue, log_path)
        self.workers.append(worker)
        return worker

    async def start(self, project_id: str, **kwargs: Any) -> WorkflowHandle[Any, Any]:
        return await self.client.start_workflow(
            FullSyncWorkflow.run,
            FullSyncInput(ftrack_project_id=project_id, **kwargs),
            id=f"ftrack-sync/project/{project_id}/full-sync/{uuid.uuid4().hex[:8]}",
            task_queue=self.task_queue,
        )

    async def run_in_process(self, project_id: str, **kwargs: Any) -> FullSyncReport:
        activities = build_activities(self.config)
        async with self.make_worker(self.client, activities=activities, workflows=WORKFLOWS):
            handle = await self.start(project_id, **kwargs)
            result: FullSyncReport = await handle.result()
            return result

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()


@pytest.fixture
def harness(
    tmp_path: Path,
    temporal_env: WorkflowEnvironment,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
    make_worker: WorkerFactory,
    task_queue: str,
) -> Iterator[Harness]:
    made = Harness(tmp_path, temporal_env, ftrack_server, ayon_server, make_worker, task_queue)
    try:
        yield made
    finally:
        made.close()


def end_state(harness: Harness, project_id: str, project: str) -> dict[str, Any]:
    """What a sync leaves behind, on both sides, in comparable form."""
    ayon: dict[str, Any] = {}
    for kind in ("folder", "task"):
        for entity in harness.ayon.control.entities(project, kind):
            own = set(entity.get("ownAttrib") or ())
            ayon[entity["id"]] = {
                "kind": kind,
                "name": entity["name"],
                "label": entity.get("label"),
                "path": entity["path"],
                "parent": entity.get("parentId") or entity.get("folderId"),
                "type": entity.get("folderType") or entity.get("taskType"),
                "status": entity.get("status"),
                "active": entity.get("active", True),
                "assignees": sorted(entity.get("assignees") or ()),
                "attrib": {
                    k: v
                    for k, v in (entity.get("attrib") or {}).items()
                    if k in {*MAPPED, "ftrackId", "ftrackPath"}
                },
                "own": sorted(own & {*MAPPED, "ftrackId", "ftrackPath"}),
            }
    ftrack: dict[str, Any] = {}
    for row in harness.ftrack.control.query(
        f'select id, name, custom_attributes from TypedContext where project_id is "{project_id}"'
    ):
        values = {v["key"]: v["value"] for v in row.get("custom_attributes") or []}
        ftrack[row["id"]] = {
            "name": row["name"],
            **{k: values.get(k) for k in ("ayon_id", "ayon_path", "ayon_sync_failed")},
        }
    return {"ayon": ayon, "ftrack": ftrack}


def assert_consistent(state: dict[str, Any]) -> None:
    """Every ftrack entity has exactly one AYON entity (and no AYON entity is extra)."""
    ayon, ftrack = state["ayon"], state["ftrack"]
    owners: dict[str, list[str]] = {}
    for ayon_id, entity in ayon.items():
        owners.setdefault(entity["attrib"].get("ftrackId"), []).append(ayon_id)
    assert set(owners) == set(ftrack), "AYON entities without ftrack counterpart, or missing"
    for ftrack_id, node in ftrack.items():
        assert len(owners[ftrack_id]) == 1, f"{node['name']}: {owners[ftrack_id]}"
        assert node["ayon_id"] == owners[ftrack_id][0]
        assert node["ayon_sync_failed"] is False
        assert ayon[node["ayon_id"]]["active"] is True
    paths = [(e["kind"], e["path"].lower()) for e in ayon.values()]
    assert len(paths) == len(set(paths)), "duplicate AYON paths"


def hierarchy_phase(report: FullSyncReport) -> PhaseResult:
    return next(p for p in report.phases if p.phase is Phase.HIERARCHY)


def assert_writes_nothing(report: FullSyncReport) -> None:
    totals = report.totals()
    written = {
        key: totals.get(key, 0)
        for key in ("created", "updated", "deactivated", "ftrack_writes", "anatomy_changed")
    }
    assert written == dict.fromkeys(written, 0), written


# -- worker killed mid-sync --------------------------------------------------------------

#: 8 sequences x 25 shots x 5 tasks: 1208 entities, three AYON write chunks of 500
BIG = {"sequences": 8, "shots": 25, "tasks": 5}
BIG_TOTAL = 8 + 8 * 25 + 8 * 25 * 5
#: seconds per request of the server being written while the hierarchy phase runs
LATENCY = 0.25
#: the killed attempt is retried this long after its last heartbeat (default: 2 minutes)
HEARTBEAT_TIMEOUT = 6


def ayon_written(harness: Harness) -> int:
    if "Big" not in harness.ayon.control.project_names():
        return 0
    count = harness.ayon.control.count
    return count("Big", "folder") + count("Big", "task")


def ftrack_linked(harness: Harness) -> int:
    rows = harness.ftrack.control.query(
        "select entity_id, value from ContextCustomAttributeValue "
        'where configuration.key is "ayon_id"'
    )
    return sum(1 for row in rows if row["value"])


@pytest.mark.parametrize("kill_point", ["writing AYON", "writing back to ftrack"])
async def test_worker_killed_during_the_hierarchy_phase_resumes_without_duplicates(
    harness: Harness, kill_point: str
) -> None:
    # the reference: an uninterrupted sync of the same project
    project_id = harness.fresh_project("big", **BIG)
    reference = await harness.run_in_process(project_id, create_project=True)
    assert hierarchy_phase(reference).counts["created"] == BIG_TOTAL
    expected = end_state(harness, project_id, "Big")
    assert_consistent(expected)

    # the same project again, synced by a worker process that gets killed half way through
    # writing one side; that side turns slow once the hierarchy phase runs, to widen the
    # gaps between write chunks
    assert harness.fresh_project("big", **BIG) == project_id
    slow_down = (
        harness.ayon.control.set_latency
        if kill_point == "writing AYON"
        else harness.ftrack.control.set_latency
    )

    def half_written() -> bool:
        if kill_point == "writing AYON":
            return 0 < ayon_written(harness) < BIG_TOTAL
        return ayon_written(harness) == BIG_TOTAL and 0 < ftrack_linked(harness) < BIG_TOTAL

    victim = harness.start_worker()
    handle = await harness.start(
        project_id, create_project=True, heartbeat_timeout_seconds=HEARTBEAT_TIMEOUT
    )
    deadline = time.monotonic() + 30
    seen: dict[str, Any] = {}
    while True:
        description = await handle.describe()
        running = [
            a
            for a in description.raw_description.pending_activities
            if a.activity_type.name == "full_sync.hierarchy"
            and a.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
        ]
        if running:
            if "attempt" not in seen:
                slow_down(LATENCY)
            seen["attempt"] = running[0].attempt
            details = running[0].heartbeat_details.payloads
            if details:
                seen["heartbeat"] = (await harness.client.data_converter.decode(details))[0]
            if half_written():
                victim.kill()
                slow_down(0)
                seen["ayon_at_kill"] = ayon_written(harness)
                seen["ftrack_at_kill"] = ftrack_linked(harness)
                break
        assert time.monotonic() < deadline, f"never caught the hierarchy {kill_point}: {seen}"
        await asyncio.sleep(0.01)
    assert seen["attempt"] == 1
    assert (seen.get("heartbeat") or {}).get("step") in {"reading", "planned", "writing AYON"}, seen
    killed_at = time.monotonic()

    harness.start_worker()
    report: FullSyncReport = await asyncio.wait_for(handle.result(), timeout=45)
    recovered_after = time.monotonic() - killed_at

    # the lost attempt timed out on its heartbeat and the retry finished the job
    history = await handle.fetch_history()
    scheduled = {
        e.event_id: e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    started = {
        scheduled[
            e.activity_task_started_event_attributes.scheduled_event_id
        ]: e.activity_task_started_event_attributes
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
    }
    retry = started["full_sync.hierarchy"]
    assert retry.attempt == 2
    assert retry.last_failure.timeout_failure_info.timeout_type == (
        TimeoutType.TIMEOUT_TYPE_HEARTBEAT
    )
    assert all(a.attempt == 1 for name, a in started.items() if name != "full_sync.hierarchy")
    hierarchy = hierarchy_phase(report)
    assert hierarchy.counts["created"] == BIG_TOTAL - seen["ayon_at_kill"]
    assert hierarchy.conflicts_total == 0
    if kill_point == "writing back to ftrack":
        full = hierarchy_phase(reference).counts["ftrack_writes"]
        assert 0 < hierarchy.counts["ftrack_writes"] < full

    state = end_state(harness, project_id, "Big")
    assert_consistent(state)
    assert state == expected
    assert_writes_nothing(await harness.run_in_process(project_id))
    print(
        f"killed {kill_point} with {seen['ayon_at_kill']}/{BIG_TOTAL} AYON entities and "
        f"{seen['ftrack_at_kill']} ftrack links written; "
        f"finished {recovered_after:.1f} s later; hierarchy retry: {hierarchy.seconds} s, "
        f"{hierarchy.ayon_requests} AYON requests; last heartbeat {seen['heartbeat']}"
    )


# -- injected server errors ---------------------------------------------------------------

MEDIUM = {"sequences": 3, "shots": 6, "tasks": 3}
MEDIUM_TOTAL = 3 + 3 * 6 + 3 * 6 * 3


@pytest.mark.parametrize("ayon_status", [500, 503])
async def test_full_sync_completes_consistently_with_ten_percent_server_errors(
    harness: Harness, ayon_status: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    project_id = harness.fresh_project("flaky", **MEDIUM)
    reference = await harness.run_in_process(project_id, create_project=True)
    assert hierarchy_phase(reference).counts["created"] == MEDIUM_TOTAL
    expected = end_state(harness, project_id, "Flaky")
    assert_consistent(expected)

    assert harness.fresh_project("flaky", **MEDIUM) == project_id
    # seeded, so that the same requests fail on every run; AYON's injections are counted
    harness.ftrack.control.seed_rng(7)
    harness.ftrack.control.set_error_rate(0.1, kinds=("5xx", "timeout"), timeout_hang_s=0.5)
    monkeypatch.setattr(harness.ayon.knobs, "_rng", random.Random(7))
    roll_error = harness.ayon.knobs.roll_error
    ayon_errors: list[bool] = []

    def counted_roll() -> bool:
        ayon_errors.append(roll_error())
        return ayon_errors[-1]

    monkeypatch.setattr(harness.ayon.knobs, "roll_error", counted_roll)
    # 500 is not retried by ayon_api itself, 503 is (after 2 s)
    harness.ayon.control.set_error_rate(0.1, status=ayon_status)
    handle = await harness.start(project_id, create_project=True)
    activities = build_activities(harness.config)
    async with harness.make_worker(harness.client, activities=activities, workflows=WORKFLOWS):
        report: FullSyncReport = await asyncio.wait_for(handle.result(), timeout=50)
    harness.ftrack.control.set_error_rate(0)
    harness.ayon.control.set_error_rate(0)

    ftrack_errors = harness.ftrack.control.backend.stats.errors
    assert ftrack_errors > 0 and sum(ayon_errors) > 0, "no errors were injected"
    history = await handle.fetch_history()
    retried = [
        e.activity_task_started_event_attributes.attempt - 1
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
    ]
    assert report.totals()["conflicts"] == 0

    state = end_state(harness, project_id, "Flaky")
    assert_consistent(state)
    assert state == expected
    assert_writes_nothing(await harness.run_in_process(project_id))
    print(
        f"injected {ftrack_errors} ftrack and {sum(ayon_errors)} AYON errors "
        f"({len(ayon_errors)} AYON requests); activity retries: {sum(retried)}"
    )


def test_a_server_error_while_checking_the_ayon_key_is_retried_not_a_refused_key(
    ayon_server: AyonEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ayon_api checks the key with bare `requests.get` calls and takes any failure for an
    invalid key; a 500 there once failed the whole sync as "CredentialsRejected"."""
    real_get = requests.get
    failed: list[str] = []

    def get(url: str, *args: Any, **kwargs: Any) -> requests.Response:
        if url.endswith("/api/users/me") and len(failed) < 2:  # both ways of sending the key
            failed.append(url)
            response = requests.Response()
            response.status_code = 500
            response._content = b'{"detail": "injected"}'
            return response
        return real_get(url, *args, **kwargs)

    monkeypatch.setattr(requests, "get", get)
    config = AyonConfig(AYON_SERVER_URL=ayon_server.url, AYON_API_KEY=ayon_server.api_key)
    api, _ = open_api(config)
    try:
        assert len(failed) == 2
        assert api.get_user()["name"]
    finally:
        api.close_session()
    wrong = AyonConfig(AYON_SERVER_URL=ayon_server.url, AYON_API_KEY="not-the-key-0000")
    with pytest.raises(AyonCredentialsRejected):
        open_api(wrong)
