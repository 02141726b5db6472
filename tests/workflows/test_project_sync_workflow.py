"""ProjectSyncWorkflow on the dev server with test doubles: order, dedupe, coalescing,
failures that do not block, resync with buffering, continue-as-new carry, status."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from ayon_ftrack_sync.payloads.project_sync import (
    AyonChange,
    AyonEventBatch,
    EventBatch,
    ProjectSyncInput,
    ResyncRequest,
)
from ayon_ftrack_sync.sync.events import EntityChange, ProjectEvent, ValueChange
from ayon_ftrack_sync.workflows.full_sync import FullSyncWorkflow
from ayon_ftrack_sync.workflows.project_sync import ProjectSyncWorkflow
from tests.conftest import WorkerFactory
from tests.workflows.full_sync_fakes import FakeFullSync
from tests.workflows.project_sync_fakes import FakeIncremental

PROJECT = "ftrack-proj"


def ev(event_id: str, *entities: str, value: Any = 1) -> ProjectEvent:
    return ProjectEvent(
        event_id=event_id,
        project_id=PROJECT,
        changes=[
            EntityChange(
                action="update",
                entity_id=entity,
                table="task",
                keys=["fend"],
                changes={"fend": ValueChange(old=None, new=value)},
                parents=[entity, PROJECT],
            )
            for entity in entities
        ],
    )


async def start(client: Client, task_queue: str, **kwargs: Any) -> WorkflowHandle:
    return await client.start_workflow(
        ProjectSyncWorkflow.run,
        ProjectSyncInput(ftrack_project_id=PROJECT, window_seconds=0.05, **kwargs),
        id=f"project-sync-{uuid.uuid4().hex}",
        task_queue=task_queue,
    )


async def flush(handle: WorkflowHandle) -> int:
    for _ in range(20):
        applied = await handle.execute_update(ProjectSyncWorkflow.flush)
        if applied >= 0:
            return applied
    raise AssertionError("flush kept hitting continue-as-new")


@pytest.fixture
def fake() -> FakeIncremental:
    return FakeIncremental()


async def test_ordered_deduplicated_and_coalesced(
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
    fake: FakeIncremental,
) -> None:
    client = temporal_env.client
    async with make_worker(client, activities=fake.activities(), workflows=[ProjectSyncWorkflow]):
        handle = await start(client, task_queue, max_batch=50)
        events = [ev(f"e{i}", "shot-1", value=i) for i in range(10)] + [ev("e-a", "shot-2")]
        await handle.signal(ProjectSyncWorkflow.enqueue, EventBatch(events=events))
        await handle.signal(ProjectSyncWorkflow.enqueue, EventBatch(events=events[:3]))  # repeats
        assert await flush(handle) == 11
        status = await handle.query(ProjectSyncWorkflow.status)
        await handle.terminate()
    assert status.stats.events_received == 14 and status.stats.events_duplicate == 3
    assert status.state == "idle" and status.ayon_project_name == "demo_project"
    changes = [c for batch in fake.applied for c in batch.changes]
    shot_1 = [c for c in changes if c.entity_id == "shot-1"]
    assert len(shot_1) == 1 and shot_1[0].changes["fend"].new == 9  # ten edits, one change
    assert fake.applied_entities().index("shot-1") < fake.applied_entities().index("shot-2")


async def test_a_failed_batch_is_recorded_and_the_next_one_applies(
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
    fake: FakeIncremental,
) -> None:
    fake.poison = {"bad-shot"}
    client = temporal_env.client
    async with make_worker(client, activities=fake.activities(), workflows=[ProjectSyncWorkflow]):
        handle = await start(client, task_queue, max_batch=1)
        await handle.signal(ProjectSyncWorkflow.enqueue, EventBatch(events=[ev("e1", "bad-shot")]))
        await flush(handle)
        failing = await handle.query(ProjectSyncWorkflow.status)
        await handle.signal(ProjectSyncWorkflow.enqueue, EventBatch(events=[ev("e2", "good-shot")]))
        await flush(handle)
        recovered = await handle.query(ProjectSyncWorkflow.status)
        await handle.terminate()
    assert failing.state == "failing" and "cannot apply bad-shot" in (
        failing.stats.last_error or ""
    )
    (record,) = fake.failures
    assert record.entity_ids == ["bad-shot"] and record.event_ids == ["e1"]
    assert record.error_type == "InvalidChange"
    assert fake.applied_entities() == ["good-shot"]
    assert recovered.state == "idle" and recovered.stats.batches_failed == 1


async def test_resync_runs_a_child_and_buffers_events(
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
    fake: FakeIncremental,
) -> None:
    gate = asyncio.Event()
    full = FakeFullSync(hierarchy_gate=gate)
    client = temporal_env.client
    async with make_worker(
        client,
        activities=[*fake.activities(), *full.activities()],
        workflows=[ProjectSyncWorkflow, FullSyncWorkflow],
    ):
        handle = await start(client, task_queue)
        resync = asyncio.create_task(
            handle.execute_update(ProjectSyncWorkflow.resync, ResyncRequest())
        )
        for _ in range(200):
            if (await handle.query(ProjectSyncWorkflow.status)).resync_running:
                break
            await asyncio.sleep(0.02)
        await handle.signal(
            ProjectSyncWorkflow.enqueue, EventBatch(events=[ev("during", "shot-9")])
        )
        await asyncio.sleep(0.3)
        during = await handle.query(ProjectSyncWorkflow.status)
        assert fake.applied == []  # buffered while the full sync runs
        gate.set()
        report = await resync
        await flush(handle)
        after = await handle.query(ProjectSyncWorkflow.status)
        await handle.terminate()
    assert during.state == "resyncing" and during.pending == 1
    assert report.totals()["created"] == 12
    assert fake.applied_entities() == ["shot-9"]
    assert after.stats.resyncs == 1 and after.state == "idle"


async def test_continue_as_new_carries_buffer_dedupe_window_and_stats(
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
    fake: FakeIncremental,
) -> None:
    client = temporal_env.client
    async with make_worker(client, activities=fake.activities(), workflows=[ProjectSyncWorkflow]):
        handle = await start(client, task_queue, max_batch=5, max_history_length=40)
        first_run = (await handle.describe()).run_id
        for i in range(12):
            await handle.signal(
                ProjectSyncWorkflow.enqueue, EventBatch(events=[ev(f"e{i}", f"s{i}")])
            )
        await flush(handle)
        for _ in range(100):
            if (await client.get_workflow_handle(handle.id).describe()).run_id != first_run:
                break
            await asyncio.sleep(0.05)
        latest = client.get_workflow_handle(handle.id)
        assert (await latest.describe()).run_id != first_run, "no continue-as-new happened"
        await latest.signal(ProjectSyncWorkflow.enqueue, EventBatch(events=[ev("e3", "s3")]))  # dup
        await latest.signal(ProjectSyncWorkflow.enqueue, EventBatch(events=[ev("new", "s99")]))
        await flush(latest)
        status = await latest.query(ProjectSyncWorkflow.status)
        await latest.terminate()
    assert sorted(fake.applied_entities()) == sorted([f"s{i}" for i in range(12)] + ["s99"])
    assert status.stats.events_duplicate == 1
    assert status.stats.events_applied == 13


async def test_search_attributes_show_state(
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
    fake: FakeIncremental,
) -> None:
    client = temporal_env.client
    async with make_worker(client, activities=fake.activities(), workflows=[ProjectSyncWorkflow]):
        handle = await start(client, task_queue)
        await handle.signal(ProjectSyncWorkflow.enqueue, EventBatch(events=[ev("e1", "s1")]))
        await flush(handle)
        found: list[str] = []
        for _ in range(100):
            query = (
                f'WorkflowId = "{handle.id}" AND SyncState = "idle" '
                'AND AyonProject = "demo_project"'
            )
            found = [w.id async for w in client.list_workflows(query)]
            if found:
                break
            await asyncio.sleep(0.1)
        await handle.terminate()
    assert found == [handle.id]


def ayon_change(event_id: str, entity_id: str) -> AyonChange:
    return AyonChange(
        event_id=event_id,
        topic="entity.folder.attrib_changed",
        project_name="demo_project",
        entity_type="folder",
        entity_id=entity_id,
    )


async def test_ayon_changes_are_deduplicated_sent_in_order_and_failures_recorded(
    client: Client, task_queue: str, make_worker: WorkerFactory
) -> None:
    fake = FakeIncremental(poison={"bad"})
    async with make_worker(
        client, activities=fake.activities(), workflows=[ProjectSyncWorkflow, FullSyncWorkflow]
    ):
        handle = await start(client, task_queue)
        await handle.signal(
            ProjectSyncWorkflow.enqueue_ayon,
            AyonEventBatch(changes=[ayon_change("a1", "f1"), ayon_change("a2", "f2")]),
        )
        await handle.signal(
            ProjectSyncWorkflow.enqueue_ayon,
            AyonEventBatch(changes=[ayon_change("a2", "f2"), ayon_change("a3", "f3")]),
        )
        await handle.signal(ProjectSyncWorkflow.enqueue, EventBatch(events=[ev("e1", "s1")]))
        await flush(handle)
        await handle.signal(
            ProjectSyncWorkflow.enqueue_ayon, AyonEventBatch(changes=[ayon_change("a4", "bad")])
        )
        await flush(handle)
        status = await handle.query(ProjectSyncWorkflow.status)
    sent = [c.entity_id for batch in fake.transmitted for c in batch.changes]
    assert sent == ["f1", "f2", "f3"]
    assert fake.applied_entities() == ["s1"]
    assert status.stats.ayon_events_received == 5
    assert status.stats.ayon_events_duplicate == 1
    assert status.stats.ayon_events_applied == 4
    assert status.stats.batches_failed == 1
    assert status.pending_ayon == 0
    assert [r.event_ids for r in fake.failures] == [["ayon:a4"]]


def service_ev(event_id: str, entity: str, *keys: str) -> ProjectEvent:
    """An update made by the sync's own ftrack user (what the leecher marks `by_service`)."""
    return ProjectEvent(
        event_id=event_id,
        project_id=PROJECT,
        by_service=True,
        changes=[
            EntityChange(
                action="update",
                entity_id=entity,
                table="task",
                keys=list(keys),
                changes={k: ValueChange(old=None, new="1") for k in keys},
                parents=[entity, PROJECT],
            )
        ],
    )


async def test_echoes_of_the_transmits_writes_are_dropped_and_nothing_else(
    client: Client, task_queue: str, make_worker: WorkerFactory
) -> None:
    """The transmit reports the ftrack keys it wrote; the service user's update events of
    those keys are echoes: dropped (a batch of only echoes runs no activity), while other
    keys, other entities and people's changes of the same key are applied."""
    fake = FakeIncremental(echo_keys={"f1": ["s1:fstart", "s1:name"]})
    async with make_worker(
        client, activities=fake.activities(), workflows=[ProjectSyncWorkflow, FullSyncWorkflow]
    ):
        handle = await start(client, task_queue)
        await handle.signal(
            ProjectSyncWorkflow.enqueue_ayon, AyonEventBatch(changes=[ayon_change("a1", "f1")])
        )
        await flush(handle)
        # only echoes: no activity at all
        await handle.signal(
            ProjectSyncWorkflow.enqueue, EventBatch(events=[service_ev("e1", "s1", "fstart")])
        )
        await flush(handle)
        assert fake.applied == []
        # an echo key next to a key the transmit did not write, and a person's change
        await handle.signal(
            ProjectSyncWorkflow.enqueue,
            EventBatch(events=[service_ev("e2", "s1", "name", "fend"), ev("e3", "s2")]),
        )
        await flush(handle)
        # the expectation is used up: the next service change of the key is applied
        await handle.signal(
            ProjectSyncWorkflow.enqueue, EventBatch(events=[service_ev("e4", "s1", "fstart")])
        )
        await flush(handle)
        status = await handle.query(ProjectSyncWorkflow.status)
    applied = [[(c.entity_id, c.keys) for c in batch.changes] for batch in fake.applied]
    assert applied == [[("s1", ["fend"]), ("s2", ["fend"])], [("s1", ["fstart"])]]
    assert status.stats.echoes_dropped == 2
    assert status.stats.events_applied == 4
