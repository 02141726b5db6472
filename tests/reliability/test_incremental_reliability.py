"""The incremental sync (ftrack hub -> leecher -> ProjectSyncWorkflow -> AYON) under failure:
the worker process SIGKILLed mid-burst, the Temporal server stopped mid-burst, 10% of the
requests to both servers failing, and a corpus of malformed or hostile hub events.

Everything is the production path: ftrack web-UI edits on the emulator, whose hub publishes
them; the real leecher (in process); the real worker (a child process where it is killed) with
`build_activities(config)`; the real ftrack_api / ayon_api clients; a real Temporal dev server.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType, TimeoutType
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from ayon_ftrack_sync.activities import build_activities
from ayon_ftrack_sync.config import TemporalConfig
from ayon_ftrack_sync.emulators.ayon import AyonEmulator
from ayon_ftrack_sync.emulators.ftrack import FtrackEmulator
from ayon_ftrack_sync.payloads.project_sync import ApplyBatchResult, ProjectSyncStatus
from ayon_ftrack_sync.temporal import connect
from ayon_ftrack_sync.temporal.devserver import DevServer, DevServerOptions, free_port
from ayon_ftrack_sync.workers.leecher import Leecher
from ayon_ftrack_sync.workflows import WORKFLOWS
from ayon_ftrack_sync.workflows.project_sync import workflow_id_for
from tests.conftest import WorkerFactory
from tests.helpers import temporal_address
from tests.integration.incremental_support import Pipeline, pipeline, pipeline_config
from tests.integration.leecher_support import (
    FAST,
    hub_updates,
    running,
    shots_of,
    terminate,
    unique,
    until,
    workflow_exists,
)
from tests.integration.test_full_sync_rules import (
    assert_in_sync,
    assert_writes_nothing,
    by_name,
    contexts,
    linked,
)
from tests.reliability.incremental_support import (
    SHOTS_PER_SEQUENCE,
    Burst,
    Edit,
    WriteRecorder,
    applied_events,
    assert_edit_visible,
    assert_healthy,
    interleave,
    plan_edits,
    running_applies,
    task_type_id,
    worker_env,
)
from tests.reliability.test_full_sync_reliability import WorkerProcess

log = logging.getLogger(__name__)


async def _synced_project(pipe: Pipeline, name: str) -> tuple[str, str]:
    """A generated auto-sync project, fully synced and settled; (ftrack id, AYON name)."""
    project_id = pipe.ftrack.control.generate_project(
        unique(name), sequences=2, shots=SHOTS_PER_SEQUENCE, tasks=1, auto_sync=True
    )
    report = await asyncio.wait_for(pipe.full_sync(project_id, create_project=True), 60)
    await _settled(pipe, project_id, 60)  # the full sync's write-back comes back as events
    return project_id, report.project.ayon_project_name


async def _settled(pipe: Pipeline, project_id: str, timeout: float) -> ProjectSyncStatus:
    """`settle`, bounded as a whole (its `flush` update would otherwise wait forever)."""
    return await asyncio.wait_for(pipe.settle(project_id, timeout=timeout), timeout + 30)


async def _retried_after_heartbeat_timeout(client: Client, project_id: str) -> int:
    """`incremental.apply` attempts that started again because the previous one vanished."""
    history = await client.get_workflow_handle(workflow_id_for(project_id)).fetch_history()
    return sum(
        1
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
        and e.activity_task_started_event_attributes.attempt > 1
        and e.activity_task_started_event_attributes.last_failure.timeout_failure_info.timeout_type
        == TimeoutType.TIMEOUT_TYPE_HEARTBEAT
    )


async def _activity_counts(client: Client, project_id: str) -> dict[str, int]:
    """Summed `counts` of the project's completed `incremental.apply` results (Web UI)."""
    history = await client.get_workflow_handle(workflow_id_for(project_id)).fetch_history()
    totals: dict[str, int] = {}
    for event in history.events:
        if event.event_type != EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            continue
        payloads = event.activity_task_completed_event_attributes.result.payloads
        (result,) = await client.data_converter.decode(payloads, [ApplyBatchResult])
        if isinstance(result, ApplyBatchResult):
            for key, value in result.counts.items():
                totals[key] = totals.get(key, 0) + value
    return totals


# -- 1. the worker SIGKILLed while batches are in flight -----------------------------------


async def test_worker_killed_mid_burst_applies_every_edit_exactly_once(
    tmp_path: Path,
    temporal_env: WorkflowEnvironment,
    task_queue: str,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """~100 edits across 2 projects; the worker process is SIGKILLed while an
    `incremental.apply` attempt runs, and a fresh one started. The vanished attempt is only
    retried once its heartbeat timeout (1 minute, and the activity never heartbeats) expires,
    which is most of this test's duration. Every edit ends in AYON carried by exactly one
    write (no-op writes included), no shot is created twice, and a full resync writes
    nothing."""
    client = temporal_env.client
    address = temporal_address(temporal_env)
    config = pipeline_config(tmp_path, ftrack_server, ayon_server, address, task_queue)
    env = worker_env(config, address)
    workers: list[WorkerProcess] = []

    def start_worker() -> WorkerProcess:
        worker = WorkerProcess(env, task_queue, tmp_path / f"worker-{len(workers) + 1}.log")
        workers.append(worker)
        return worker

    leecher = Leecher(config, FAST, client=client)
    pipe = Pipeline(client, config, task_queue, ftrack_server, ayon_server, leecher)
    recorder = WriteRecorder()
    try:
        victim = start_worker()
        async with running(ftrack_server, leecher):
            projects = dict(
                [await _synced_project(pipe, "killa"), await _synced_project(pipe, "killb")]
            )
            edits = [
                plan_edits(ftrack_server, pid, tag) for pid, tag in zip(projects, "ab", strict=True)
            ]
            burst_edits = interleave(*edits)
            baseline = await applied_events(client, *projects)
            with recorder.installed(monkeypatch):
                # slow AYON a little so batches take long enough to be caught in flight
                ayon_server.control.set_latency(0.05)
                burst = Burst(ftrack_server, burst_edits, pause=0.04)
                burst.start()
                caught: dict[str, object] = {}
                deadline = time.monotonic() + 30
                while not caught:
                    assert time.monotonic() < deadline, "never caught a batch in flight"
                    applied = await applied_events(client, *projects)
                    for pid in projects:
                        if applied > baseline and burst.done < len(burst_edits):
                            if await running_applies(client, pid):
                                caught = {
                                    "project": pid,
                                    "edits made": burst.done,
                                    "applied": applied - baseline,
                                }
                                break
                    await asyncio.sleep(0.02)
                victim.kill()
                killed_at = time.monotonic()
                ayon_server.control.set_latency(0)
                start_worker()
                await burst.finish()
                statuses = {pid: await _settled(pipe, pid, 85) for pid in projects}
                recovered = time.monotonic() - killed_at
            log.info("killed with %s; all applied %.1f s after the kill", caught, recovered)

            # the kill hit a batch in flight: its attempt vanished and was retried
            retried = {pid: await _retried_after_heartbeat_timeout(client, pid) for pid in projects}
            assert retried[str(caught["project"])] >= 1, retried
            for pid, status in statuses.items():
                assert status.stats.batches_failed == 0, status.stats.last_error
                await assert_healthy(client, pid)

            # every edit visible, carried by exactly one AYON write
            twice: list[tuple[Edit, int]] = []
            for edit in burst_edits:
                project = projects[edit.project_id]
                assert_edit_visible(ayon_server, project, edit)
                count = len(recorder.writes_of_edit(ayon_server, project, edit))
                if count != 1:
                    twice.append((edit, count))
            assert not twice, twice
            # one AYON entity per created shot, active or not
            for edit in burst_edits:
                if edit.kind == "create":
                    owners = [
                        e["id"]
                        for e in ayon_server.control.entities(projects[edit.project_id], "folder")
                        if (e.get("attrib") or {}).get("ftrackId") == edit.ftrack_id
                    ]
                    assert len(owners) == 1, (edit, owners)
                    created = [
                        e
                        for e in ayon_server.control.events("entity.folder.created")
                        if e["summary"].get("entityId") == owners[0]
                    ]
                    assert len(created) == 1, (edit, created)  # the AYON event log agrees

            for pid, project in projects.items():
                assert_in_sync(ftrack_server, ayon_server, pid, project)
                assert_writes_nothing(await asyncio.wait_for(pipe.full_sync(pid), 60))
    finally:
        for worker in workers:
            worker.stop()
        await terminate(client, *pipe.projects)


# -- 2. the Temporal server stopped mid-burst -----------------------------------------------


async def test_temporal_stopped_mid_burst_spools_and_loses_nothing(
    tmp_path: Path,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
    make_worker: WorkerFactory,
    task_queue: str,
) -> None:
    """A file-DB dev server is stopped while edits flow; edits go on (the leecher spools);
    the server restarts on the same DB file and port; every hub event reaches its workflow
    exactly once and every edit reaches AYON."""
    options = DevServerOptions(state_dir=tmp_path / "temporal", port=free_port(), ui_port=None)
    server = DevServer(options)
    server.start()
    client = await connect(TemporalConfig(TEMPORAL_ADDRESS=options.address))
    config = pipeline_config(tmp_path, ftrack_server, ayon_server, options.address, task_queue)
    leecher = Leecher(config, FAST, client=client)
    pipe = Pipeline(client, config, task_queue, ftrack_server, ayon_server, leecher)
    depth_while_down = 0
    try:
        async with (
            make_worker(client, activities=build_activities(config), workflows=WORKFLOWS),
            running(ftrack_server, leecher),
        ):
            projects = dict(
                [await _synced_project(pipe, "downa"), await _synced_project(pipe, "downb")]
            )
            edits = [
                plan_edits(ftrack_server, pid, tag) for pid, tag in zip(projects, "ab", strict=True)
            ]
            burst_edits = interleave(*edits)
            burst = Burst(ftrack_server, burst_edits, pause=0.05)
            burst.start()
            await until(lambda: burst.done >= 30, what="the first 30 edits")
            await until(lambda: leecher.counters.forwarded_events > 0, what="some forwarded")
            assert await asyncio.to_thread(server.stop) is not None
            stopped_after = burst.done
            await burst.finish()
            await until(lambda: leecher.counters.forward_errors > 0, what="a failed hand-over")
            depth_while_down = len(leecher.spool)
            assert depth_while_down > 0  # edits made while Temporal was down wait on disk
            server = DevServer(options)
            server.start()
            await until(lambda: len(leecher.spool) == 0, 30, what="the spool drained")
            statuses = {pid: await _settled(pipe, pid, 60) for pid in projects}
            for pid, status in statuses.items():
                published = hub_updates(ftrack_server, pid)
                stats = status.stats
                # every hub event of the project arrived once (repeats are dropped by id)
                assert stats.events_received - stats.events_duplicate == len(published), stats
                assert stats.events_applied == len(published), stats
                assert stats.batches_failed == 0, stats.last_error
                await assert_healthy(client, pid)
            assert leecher.counters.decode_problems == 0
            assert leecher.counters.spooled == leecher.counters.received
            assert leecher.counters.forwarded_events >= leecher.counters.spooled
            for edit in burst_edits:
                assert_edit_visible(ayon_server, projects[edit.project_id], edit)
            for pid, project in projects.items():
                assert_in_sync(ftrack_server, ayon_server, pid, project)
                assert_writes_nothing(await asyncio.wait_for(pipe.full_sync(pid), 60))
            log.info(
                "Temporal stopped after %d of %d edits; %d event(s) spooled while down; %s",
                stopped_after,
                len(burst_edits),
                depth_while_down,
                leecher.counters.line(len(leecher.spool), leecher.temporal_ok, True),
            )
    finally:
        await terminate(client, *pipe.projects)
        server.stop()


# -- 3. 10% injected errors on both servers ------------------------------------------------


async def test_ten_percent_server_errors_during_a_burst_end_consistent(
    tmp_path: Path,
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Creates, renames, moves and attribute changes while 10% of the ftrack and AYON API
    requests fail (ftrack: 5xx or a hung request; AYON: 500, which ayon_api does not retry
    itself). The retries of `incremental.apply` absorb them: AYON ends consistent with
    ftrack WITHOUT a repairing resync; the resync afterwards only proves it (writes nothing).
    A batch that still failed for good would have to be recorded (`ftrack.sync.failed`):
    asserted for whatever `batches_failed` says."""
    async with pipeline(
        tmp_path,
        temporal_env.client,
        temporal_address(temporal_env),
        make_worker,
        task_queue,
        ftrack_server,
        ayon_server,
    ) as pipe:
        client = pipe.client
        projects = dict(
            [await _synced_project(pipe, "flakya"), await _synced_project(pipe, "flakyb")]
        )
        edits = [
            plan_edits(ftrack_server, pid, tag) for pid, tag in zip(projects, "ab", strict=True)
        ]
        burst_edits = interleave(*edits)

        # seeded, so that runs are alike; AYON's injections are counted
        ftrack_server.control.seed_rng(11)
        ftrack_errors_before = ftrack_server.control.backend.stats.errors
        monkeypatch.setattr(ayon_server.knobs, "_rng", random.Random(11))
        roll_error = ayon_server.knobs.roll_error
        ayon_rolls: list[bool] = []

        def counted_roll() -> bool:
            ayon_rolls.append(roll_error())
            return ayon_rolls[-1]

        monkeypatch.setattr(ayon_server.knobs, "roll_error", counted_roll)
        ftrack_server.control.set_error_rate(0.1, kinds=("5xx", "timeout"), timeout_hang_s=0.5)
        ayon_server.control.set_error_rate(0.1, status=500)
        try:
            burst = Burst(ftrack_server, burst_edits, pause=0.03)
            burst.start()
            await burst.finish()
            # every event handled while the errors are still on (retried, or failed for good)
            for pid in projects:
                await _settled(pipe, pid, 60)
        finally:
            ftrack_server.control.set_error_rate(0)
            ayon_server.control.set_error_rate(0)
        ftrack_errors = ftrack_server.control.backend.stats.errors - ftrack_errors_before
        assert ftrack_errors > 0 and sum(ayon_rolls) > 0, "no errors were injected"

        statuses = {pid: await _settled(pipe, pid, 30) for pid in projects}
        retries = 0
        for pid in projects:
            history = await client.get_workflow_handle(workflow_id_for(pid)).fetch_history()
            retries += sum(
                e.activity_task_started_event_attributes.attempt - 1
                for e in history.events
                if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
            )
            await assert_healthy(client, pid)
        # (activity retries are logged, not required: a read meeting a 5xx is re-sent within
        # the request, and the errors above hit the service's own requests either way)
        failed = {pid: s.stats.batches_failed for pid, s in statuses.items()}
        recorded = ayon_server.control.events("ftrack.sync.failed")
        # each batch that failed for good is recorded where a user sees it
        for pid, count in failed.items():
            mine = [e for e in recorded if e["payload"].get("ftrack_project_id") == pid]
            assert len(mine) == count, (pid, count, mine)
        # consistent thanks to the retries, no resync needed
        assert failed == dict.fromkeys(projects, 0), {
            pid: s.stats.last_error for pid, s in statuses.items()
        }
        for edit in burst_edits:
            assert_edit_visible(ayon_server, projects[edit.project_id], edit)
        for pid, project in projects.items():
            assert_in_sync(ftrack_server, ayon_server, pid, project)
            assert_writes_nothing(await asyncio.wait_for(pipe.full_sync(pid), 60))
        log.info(
            "injected %d ftrack and %d AYON errors (%d AYON requests); %d apply retries",
            ftrack_errors,
            sum(ayon_rolls),
            len(ayon_rolls),
            retries,
        )


# -- 4. malformed and hostile hub events ---------------------------------------------------


def _entity(
    action: object,
    entity_id: object,
    table: object,
    parents: list[tuple[str, str]] | object,
    **extra: object,
) -> dict[str, object]:
    """One `data.entities` item as the hub sends it; `parents` as (id, legacy type), self first."""
    item: dict[str, object] = {"action": action, "entityId": entity_id, "entityType": table}
    if isinstance(parents, list):
        item["parents"] = [{"entityId": pid, "entityType": kind} for pid, kind in parents]
    else:
        item["parents"] = parents
    item.update(extra)
    return item


def _update(event_id: str, *entities: object) -> dict[str, object]:
    return {"topic": "ftrack.update", "id": event_id, "data": {"entities": list(entities)}}


async def test_hostile_events_leave_no_workflow_stuck_and_every_problem_recorded(
    tmp_path: Path,
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="ayon_ftrack_sync.workers.leecher")
    control = ftrack_server.control
    async with pipeline(
        tmp_path,
        temporal_env.client,
        temporal_address(temporal_env),
        make_worker,
        task_queue,
        ftrack_server,
        ayon_server,
    ) as pipe:
        client = pipe.client
        project_id, project = await _synced_project(pipe, "hostile")
        # auto-sync on, but never synced to AYON: its events cannot be applied
        orphan_id = control.generate_project(
            unique("orphan"), sequences=1, shots=1, tasks=0, auto_sync=True
        )
        pipe.projects.append(orphan_id)
        nodes = contexts(ftrack_server, project_id)
        seq_a, seq_b = by_name(nodes, "sq010"), by_name(nodes, "sq020")
        shots = sorted((n for n in nodes.values() if n["type"] == "Shot"), key=lambda n: n["name"])
        before = linked(ayon_server, project)
        show = (project_id, "show")

        def chain(node: dict[str, Any]) -> list[tuple[str, str]]:
            found = [(node["id"], "task")]
            parent = nodes.get(node["parent_id"])
            while parent is not None:
                found.append((parent["id"], "task"))
                parent = nodes.get(parent["parent_id"])
            return [*found, show]

        s_wrong, s_huge, s_moved, s_desc, s_rename = (
            shots[0],
            shots[1],
            shots[2],
            shots[16],
            shots[17],
        )
        ghost = str(uuid.uuid4())
        unknown_project = str(uuid.uuid4())
        # event id -> leecher decode problems it must cause (each logged with the event id)
        problems: dict[str, int] = {
            "hostile-missing-entities": 1,
            "hostile-data-string": 1,
            "hostile-entity-junk": 6,
            "hostile-10k-entities": 1,
        }
        corpus: list[dict[str, Any]] = [
            # missing keys
            {"topic": "ftrack.update", "id": "hostile-missing-entities", "data": {}},
            {"topic": "ftrack.update", "id": "hostile-data-string", "data": "entities"},
            _update(
                "hostile-entity-junk",
                _entity("explode", s_wrong["id"], "task", chain(s_wrong)),  # unknown action
                _entity("update", None, "task", chain(s_wrong)),  # no entityId
                _entity("update", 12345, "task", chain(s_wrong)),  # entityId not a string
                _entity("update", s_wrong["id"], None, chain(s_wrong)),  # no entityType
                _entity("update", s_wrong["id"], "task", [(s_wrong["id"], "task")]),  # no project
                42,  # not an object
            ),
            # unknown entity type in a real project: skipped by the apply, and counted
            _update(
                "hostile-unknown-type",
                _entity(
                    "update",
                    str(uuid.uuid4()),
                    "spaceship",
                    [("x", "spaceship"), show],
                    changes={"warp": {"new": 9, "old": 1}},
                ),
            ),
            # wrong value types where strings go, for a real shot
            _update(
                "hostile-wrong-types",
                _entity(
                    "update",
                    s_wrong["id"],
                    "task",
                    chain(s_wrong),
                    entity_type=["Shot"],
                    parentId={"not": "an id"},
                    objectTypeId=7,
                    keys={"name": 1},
                    changes={
                        "name": {"new": ["a", "list"], "old": {"a": "dict"}},
                        "description": {"new": {"nested": [1, 2, {"deep": None}]}},
                        "parent_id": "not a mapping",
                    },
                ),
            ),
            # 5 MB description for a real shot
            _update(
                "hostile-huge-value",
                _entity(
                    "update",
                    s_huge["id"],
                    "task",
                    chain(s_huge),
                    changes={"description": {"new": "x" * (5 * 1024 * 1024), "old": None}},
                ),
            ),
            # 10,000 entities in one event, none of which exists
            _update(
                "hostile-10k-entities",
                *(
                    _entity(
                        "update",
                        str(uuid.uuid4()),
                        "task",
                        [(f"p{i}", "task"), show],
                        changes={"name": {"new": f"n{i}", "old": None}},
                    )
                    for i in range(10_000)
                ),
            ),
            # moves forming a cycle: sq010 under sq020 and sq020 under sq010 (ftrack decides)
            _update(
                "hostile-cycle",
                _entity(
                    "move",
                    seq_a["id"],
                    "task",
                    chain(seq_a),
                    changes={"parent_id": {"new": seq_b["id"], "old": project_id}},
                ),
                _entity(
                    "move",
                    seq_b["id"],
                    "task",
                    chain(seq_b),
                    changes={"parent_id": {"new": seq_a["id"], "old": project_id}},
                ),
            ),
            # an entity that does not exist (created, says the event)
            _update(
                "hostile-ghost",
                _entity(
                    "add",
                    ghost,
                    "task",
                    [(ghost, "task"), (seq_a["id"], "task"), show],
                    entity_type="Shot",
                    parentId=seq_a["id"],
                    changes={"name": {"new": "ghost", "old": None}},
                ),
            ),
            # an unknown project: no auto-sync flag, ignored
            _update(
                "hostile-unknown-project",
                _entity(
                    "update",
                    str(uuid.uuid4()),
                    "task",
                    [("e", "task"), (unknown_project, "show")],
                    changes={"name": {"new": "x", "old": "y"}},
                ),
            ),
        ]
        type_id = task_type_id(ftrack_server)
        with control.as_user("jane.doe") as ui:
            ui.update("Shot", s_desc["id"], {"description": "valid edit 1"})
            for event in corpus[:5]:
                control.emit_event(event)
            ui.update("Shot", s_rename["id"], {"name": "valid_rename"})
            for event in corpus[5:8]:
                control.emit_event(event)
            # the real move, then an event claiming the opposite (a cycle with the real one)
            ui.update("Shot", s_moved["id"], {"parent_id": seq_b["id"]})
            control.emit_event(
                _update(
                    "hostile-reverse-move",
                    _entity(
                        "move",
                        seq_b["id"],
                        "task",
                        chain(seq_b),
                        changes={"parent_id": {"new": s_moved["id"], "old": project_id}},
                    ),
                )
            )
            created = ui.create("Shot", {"name": "valid_new", "parent_id": seq_a["id"]})
            ui.create("Task", {"name": "anim", "parent_id": created["id"], "type_id": type_id})
            for event in corpus[8:]:
                control.emit_event(event)
            orphan_shot = shots_of(ftrack_server, orphan_id)[0]
            ui.update("Shot", orphan_shot, {"description": "cannot be applied"})

        received = len(corpus) + 1  # + the reverse move
        await until(
            lambda: pipe.leecher.counters.received >= received + 7, 30, what="all events received"
        )
        status = await _settled(pipe, project_id, 60)
        orphan_status = await _settled(pipe, orphan_id, 60)

        # every hostile event of the project was published and reached its workflow
        published = hub_updates(ftrack_server, project_id)
        forwarded = {e["id"] for e in corpus} - set(problems) - {"hostile-unknown-project"}
        assert forwarded | {"hostile-reverse-move", "hostile-10k-entities"} <= set(published)
        assert status.stats.events_received - status.stats.events_duplicate >= len(published)

        # -- no workflow failed or stuck
        for pid in (project_id, orphan_id):
            await assert_healthy(client, pid)
        assert status.stats.batches_failed == 0, status.stats.last_error
        assert not await workflow_exists(client, unknown_project)

        # -- the valid edits arrived; the hostile ones changed nothing ftrack did not say
        after = linked(ayon_server, project)
        assert after[s_desc["id"]]["attrib"]["description"] == "valid edit 1"
        assert after[s_rename["id"]]["name"] == "valid_rename"
        assert after[s_moved["id"]]["path"] == f"/sq020/{s_moved['name']}"
        assert after[created["id"]]["path"] == "/sq010/valid_new"
        assert after[seq_a["id"]]["path"] == "/sq010" and after[seq_b["id"]]["path"] == "/sq020"
        for shot in (s_wrong, s_huge):
            assert after[shot["id"]] == before[shot["id"]] | {
                "updatedAt": after[shot["id"]]["updatedAt"]
            }
        assert ghost not in after
        assert_in_sync(ftrack_server, ayon_server, project_id, project)
        assert_writes_nothing(await asyncio.wait_for(pipe.full_sync(project_id), 60))

        # -- each problem is recorded where a user sees it
        counters = pipe.leecher.counters
        assert counters.decode_problems == sum(problems.values()), counters
        warnings = [r.getMessage() for r in caplog.records]
        for event_id, count in problems.items():
            lines = [m for m in warnings if f"ftrack event {event_id}:" in m]
            assert len(lines) == count, (event_id, lines)
        assert any("only the first 5000" in m for m in warnings)
        assert counters.ignored_auto_sync_off >= 1  # the unknown project (health line)
        skipped = await _activity_counts(client, project_id)
        assert skipped.get("skipped.table:spaceship") == 1, skipped
        # the never-synced project: the batch failed for good, recorded, the workflow moved on.
        # Recording it flags the shot in ftrack; that write comes back through the hub as one
        # more event of the project, which the workflow drops as the sync's own link write
        orphan_status = await _settled(pipe, orphan_id, 30)
        orphan_events = len(hub_updates(ftrack_server, orphan_id))
        assert orphan_events == 2, orphan_events  # the UI edit + the flag written back
        assert orphan_status.stats.events_received == orphan_events
        assert orphan_status.stats.batches_failed == 1
        assert orphan_status.stats.echoes_dropped == 1
        assert (
            orphan_status.stats.last_error and "ProjectNotFound" in orphan_status.stats.last_error
        )
        flags = contexts(ftrack_server, orphan_id)[orphan_shot]["attrs"]
        assert flags["ayon_sync_failed"] is True
        log.info("status %s; orphan %s; leecher %s", status.stats, orphan_status.stats, counters)
