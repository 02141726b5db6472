"""FullSyncWorkflow logic with test doubles: phase order, report, retries, progress."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.testing import WorkflowEnvironment

from ayon_ftrack_sync.payloads.full_sync import FullSyncInput, FullSyncReport, Phase
from ayon_ftrack_sync.workflows.full_sync import FullSyncWorkflow
from tests.conftest import WorkerFactory
from tests.workflows.full_sync_fakes import FakeFullSync


async def run_sync(
    env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
    fake: FakeFullSync,
    **kwargs: object,
) -> FullSyncReport:
    async with make_worker(env.client, activities=fake.activities(), workflows=[FullSyncWorkflow]):
        return await env.client.execute_workflow(
            FullSyncWorkflow.run,
            FullSyncInput(ftrack_project_id="ftrack-project-1", **kwargs),  # type: ignore[arg-type]
            id=f"full-sync-{uuid.uuid4().hex}",
            task_queue=task_queue,
        )


async def test_phases_run_in_order_and_the_report_adds_up(
    time_skipping_env: WorkflowEnvironment, make_worker: WorkerFactory, task_queue: str
) -> None:
    fake = FakeFullSync()
    report = await run_sync(time_skipping_env, make_worker, task_queue, fake)
    assert fake.calls == [
        "prepare",
        "anatomy",
        "hierarchy(attempt 1)",
        "links",
        "versions",
        "lists",
        "report",
    ]
    assert [p.phase for p in report.phases] == [
        Phase.ANATOMY,
        Phase.HIERARCHY,
        Phase.LINKS,
        Phase.VERSIONS,
        Phase.LISTS,
    ]
    assert report.ayon_event_id == "e" * 32
    totals = report.totals()
    assert totals["created"] == 12 and totals["conflicts"] == 1
    assert totals["ayon_requests"] == 5 and totals["ftrack_requests"] == 4
    assert report.project.ayon_project_name == "demo_project"


async def test_dry_run_reaches_the_phases(
    time_skipping_env: WorkflowEnvironment, make_worker: WorkerFactory, task_queue: str
) -> None:
    report = await run_sync(
        time_skipping_env, make_worker, task_queue, FakeFullSync(), dry_run=True
    )
    assert report.dry_run
    assert report.totals()["created"] == 0


async def test_transient_failures_are_retried(
    time_skipping_env: WorkflowEnvironment, make_worker: WorkerFactory, task_queue: str
) -> None:
    fake = FakeFullSync(transient_hierarchy_failures=2)
    report = await run_sync(time_skipping_env, make_worker, task_queue, fake)
    assert [c for c in fake.calls if c.startswith("hierarchy")] == [
        "hierarchy(attempt 1)",
        "hierarchy(attempt 2)",
        "hierarchy(attempt 3)",
    ]
    assert report.totals()["created"] == 12


async def test_a_missing_project_fails_once_with_its_reason(
    time_skipping_env: WorkflowEnvironment, make_worker: WorkerFactory, task_queue: str
) -> None:
    fake = FakeFullSync(fail_prepare_with="ProjectNotFound")
    with pytest.raises(WorkflowFailureError) as caught:
        await run_sync(time_skipping_env, make_worker, task_queue, fake)
    cause = caught.value.cause
    assert isinstance(cause, ActivityError)
    assert isinstance(cause.cause, ApplicationError)
    assert cause.cause.type == "ProjectNotFound"
    assert "not found" in cause.cause.message
    assert fake.calls == ["prepare"]


async def test_progress_query_names_the_running_phase(
    time_skipping_env: WorkflowEnvironment, make_worker: WorkerFactory, task_queue: str
) -> None:
    gate = asyncio.Event()
    fake = FakeFullSync(hierarchy_gate=gate)
    client = time_skipping_env.client
    async with make_worker(client, activities=fake.activities(), workflows=[FullSyncWorkflow]):
        handle = await client.start_workflow(
            FullSyncWorkflow.run,
            FullSyncInput(ftrack_project_id="ftrack-project-1"),
            id=f"full-sync-{uuid.uuid4().hex}",
            task_queue=task_queue,
        )
        for _ in range(200):
            progress = await handle.query(FullSyncWorkflow.progress)
            if progress.phase is Phase.HIERARCHY:
                break
            await asyncio.sleep(0.02)
        assert progress.phase is Phase.HIERARCHY
        assert progress.done == [Phase.PREPARE, Phase.ANATOMY]
        assert progress.project is not None
        gate.set()
        report = await handle.result()
    assert report.totals()["created"] == 12
