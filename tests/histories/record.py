"""Record the workflow histories that the replay tests replay.

Run after changing a workflow on purpose (behind `workflow.patched`):

    python -m tests.histories.record

It starts a dev server from the local `temporal` binary, runs every scenario below with the
real worker registries, and writes one `<scenario>.json` per scenario next to this file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from ayon_ftrack_sync.activities import build_activities
from ayon_ftrack_sync.payloads.health import PingRequest
from ayon_ftrack_sync.temporal.search_attributes import ALL_SEARCH_ATTRIBUTES
from ayon_ftrack_sync.workers.worker import build_worker
from ayon_ftrack_sync.workflows.health import HealthCheckWorkflow
from tests.helpers import local_binary

HERE = Path(__file__).resolve().parent

Scenario = Callable[[Client, str], Awaitable[WorkflowHandle]]


async def health_check(client: Client, task_queue: str) -> WorkflowHandle:
    handle = await client.start_workflow(
        HealthCheckWorkflow.run,
        PingRequest(requested_by="recorder"),
        id="health_check",  # = file stem: the replayer uses it as workflow id
        task_queue=task_queue,
    )
    await handle.result()
    return handle


async def full_sync(client: Client, task_queue: str) -> WorkflowHandle:
    """Full sync with test doubles of its activities (the history records workflow code)."""
    from ayon_ftrack_sync.payloads.full_sync import FullSyncInput
    from ayon_ftrack_sync.workflows.full_sync import FullSyncWorkflow
    from tests.workflows.full_sync_fakes import FakeFullSync

    fake = FakeFullSync(transient_hierarchy_failures=1)
    with ThreadPoolExecutor(max_workers=32) as executor:
        worker = build_worker(
            client,
            f"{task_queue}-full-sync",
            activities=fake.activities(),  # type: ignore[arg-type]
            workflows=[FullSyncWorkflow],
            executor=executor,
        )
        async with worker:
            handle = await client.start_workflow(
                FullSyncWorkflow.run,
                FullSyncInput(ftrack_project_id="ftrack-project-1"),
                id="full_sync",
                task_queue=f"{task_queue}-full-sync",
            )
            await handle.result()
    return handle


async def project_sync(client: Client, task_queue: str) -> WorkflowHandle:
    """Events, a duplicate, a failing batch, a resync with buffered events."""
    from ayon_ftrack_sync.payloads.project_sync import (
        EventBatch,
        ProjectSyncInput,
        ResyncRequest,
    )
    from ayon_ftrack_sync.workflows.full_sync import FullSyncWorkflow
    from ayon_ftrack_sync.workflows.project_sync import ProjectSyncWorkflow
    from tests.workflows.full_sync_fakes import FakeFullSync
    from tests.workflows.project_sync_fakes import FakeIncremental
    from tests.workflows.test_project_sync_workflow import ev

    fake = FakeIncremental(poison={"bad"})
    full = FakeFullSync()
    queue = f"{task_queue}-project-sync"
    with ThreadPoolExecutor(max_workers=32) as executor:
        worker = build_worker(
            client,
            queue,
            activities=[*fake.activities(), *full.activities()],  # type: ignore[list-item]
            workflows=[ProjectSyncWorkflow, FullSyncWorkflow],
            executor=executor,
        )
        async with worker:
            handle = await client.start_workflow(
                ProjectSyncWorkflow.run,
                ProjectSyncInput(ftrack_project_id="ftrack-proj", window_seconds=0.05),
                id="project_sync",
                task_queue=queue,
            )
            batch = EventBatch(events=[ev("e1", "a"), ev("e2", "a"), ev("e1", "a")])
            await handle.signal(ProjectSyncWorkflow.enqueue, batch)
            await handle.execute_update(ProjectSyncWorkflow.flush)
            await handle.signal(ProjectSyncWorkflow.enqueue, EventBatch(events=[ev("e3", "bad")]))
            await handle.execute_update(ProjectSyncWorkflow.flush)
            await handle.execute_update(ProjectSyncWorkflow.resync, ResyncRequest())
            await handle.signal(ProjectSyncWorkflow.enqueue, EventBatch(events=[ev("e4", "b")]))
            await handle.execute_update(ProjectSyncWorkflow.flush)
            await handle.terminate()
    return handle


async def project_sync_two_way(client: Client, task_queue: str) -> WorkflowHandle:
    """ftrack events and AYON changes interleaved, a duplicate AYON change, a failing AYON
    batch, and a dry-run resync requested with a project name."""
    from ayon_ftrack_sync.payloads.project_sync import (
        AyonEventBatch,
        EventBatch,
        ProjectSyncInput,
        ResyncRequest,
    )
    from ayon_ftrack_sync.workflows.full_sync import FullSyncWorkflow
    from ayon_ftrack_sync.workflows.project_sync import ProjectSyncWorkflow
    from tests.workflows.full_sync_fakes import FakeFullSync
    from tests.workflows.project_sync_fakes import FakeIncremental
    from tests.workflows.test_project_sync_workflow import ayon_change, ev

    fake = FakeIncremental(poison={"bad"})
    full = FakeFullSync()
    queue = f"{task_queue}-project-sync-two-way"
    with ThreadPoolExecutor(max_workers=32) as executor:
        worker = build_worker(
            client,
            queue,
            activities=[*fake.activities(), *full.activities()],  # type: ignore[list-item]
            workflows=[ProjectSyncWorkflow, FullSyncWorkflow],
            executor=executor,
        )
        async with worker:
            handle = await client.start_workflow(
                ProjectSyncWorkflow.run,
                ProjectSyncInput(ftrack_project_id="ftrack-proj", window_seconds=0.05),
                id="project_sync_two_way",
                task_queue=queue,
            )
            changes = [ayon_change("a1", "f1"), ayon_change("a1", "f1"), ayon_change("a2", "f2")]
            await handle.signal(ProjectSyncWorkflow.enqueue_ayon, AyonEventBatch(changes=changes))
            await handle.signal(ProjectSyncWorkflow.enqueue, EventBatch(events=[ev("e1", "a")]))
            await handle.execute_update(ProjectSyncWorkflow.flush)
            bad = AyonEventBatch(changes=[ayon_change("a3", "bad")])
            await handle.signal(ProjectSyncWorkflow.enqueue_ayon, bad)
            await handle.execute_update(ProjectSyncWorkflow.flush)
            await handle.execute_update(
                ProjectSyncWorkflow.resync,
                ResyncRequest(dry_run=True, ayon_project_name="demo_project"),
            )
            await handle.terminate()
    return handle


async def project_sync_echoes(client: Client, task_queue: str) -> WorkflowHandle:
    """A transmit reporting written keys, then the service user's echo of them (dropped,
    one batch without an activity), an echo next to another key, and a person's change."""
    from ayon_ftrack_sync.payloads.project_sync import (
        AyonEventBatch,
        EventBatch,
        ProjectSyncInput,
    )
    from ayon_ftrack_sync.workflows.full_sync import FullSyncWorkflow
    from ayon_ftrack_sync.workflows.project_sync import ProjectSyncWorkflow
    from tests.workflows.project_sync_fakes import FakeIncremental
    from tests.workflows.test_project_sync_workflow import ayon_change, ev, service_ev

    fake = FakeIncremental(echo_keys={"f1": ["s1:fstart", "s1:name"]})
    queue = f"{task_queue}-project-sync-echoes"
    with ThreadPoolExecutor(max_workers=32) as executor:
        worker = build_worker(
            client,
            queue,
            activities=fake.activities(),  # type: ignore[arg-type]
            workflows=[ProjectSyncWorkflow, FullSyncWorkflow],
            executor=executor,
        )
        async with worker:
            handle = await client.start_workflow(
                ProjectSyncWorkflow.run,
                ProjectSyncInput(ftrack_project_id="ftrack-proj", window_seconds=0.05),
                id="project_sync_echoes",
                task_queue=queue,
            )
            batch = AyonEventBatch(changes=[ayon_change("a1", "f1")])
            await handle.signal(ProjectSyncWorkflow.enqueue_ayon, batch)
            await handle.execute_update(ProjectSyncWorkflow.flush)
            echo = EventBatch(events=[service_ev("e1", "s1", "fstart")])
            await handle.signal(ProjectSyncWorkflow.enqueue, echo)
            await handle.execute_update(ProjectSyncWorkflow.flush)
            mixed = EventBatch(events=[service_ev("e2", "s1", "name", "fend"), ev("e3", "s2")])
            await handle.signal(ProjectSyncWorkflow.enqueue, mixed)
            await handle.execute_update(ProjectSyncWorkflow.flush)
            await handle.terminate()
    return handle


SCENARIOS: dict[str, Scenario] = {
    "health_check": health_check,
    "full_sync": full_sync,
    "project_sync": project_sync,
    "project_sync_two_way": project_sync_two_way,
    "project_sync_echoes": project_sync_echoes,
}


async def record(names: list[str]) -> None:
    """Record the named scenarios (all without names). Keep old histories when adding a
    scenario: replaying them proves the new code still runs the old workflows."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(local_binary("temporal")),
        data_converter=pydantic_data_converter,
        search_attributes=ALL_SEARCH_ATTRIBUTES,
    )
    try:
        with ThreadPoolExecutor(max_workers=32) as executor:
            worker = build_worker(
                env.client,
                "record-histories",
                activities=build_activities(None),
                executor=executor,
            )
            async with worker:
                for name, scenario in SCENARIOS.items():
                    if names and name not in names:
                        continue
                    handle = await scenario(env.client, "record-histories")
                    history = await handle.fetch_history()
                    (HERE / f"{name}.json").write_text(history.to_json())
                    print(f"recorded {name}: {len(history.events)} events")
    finally:
        await env.shutdown()


if __name__ == "__main__":
    import os
    import sys

    asyncio.run(record(sys.argv[1:]))
    sys.stdout.flush()
    os._exit(0)  # the Temporal core can abort during interpreter finalisation (sdk-python#300)
