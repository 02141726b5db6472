"""`ayon-ftrack-sync status`: per-project state from the running workflows and full syncs."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from pathlib import Path

from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment

from ayon_ftrack_sync.payloads.full_sync import FullSyncInput
from ayon_ftrack_sync.payloads.project_sync import EventBatch, ProjectSyncInput
from ayon_ftrack_sync.temporal import FTRACK_PROJECT_ID
from ayon_ftrack_sync.workflows.full_sync import FullSyncWorkflow
from ayon_ftrack_sync.workflows.project_sync import ProjectSyncWorkflow
from tests.conftest import WorkerFactory
from tests.helpers import cli_env, local_binary, temporal_address
from tests.workflows.full_sync_fakes import FakeFullSync
from tests.workflows.project_sync_fakes import FakeIncremental
from tests.workflows.test_project_sync_workflow import ev


def run_status(cwd: Path, env: WorkflowEnvironment, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(local_binary("ayon-ftrack-sync")), "status", *args],
        cwd=cwd,
        env=cli_env(COLUMNS="200", TEMPORAL_ADDRESS=temporal_address(env)),
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_status_lists_live_projects_and_their_last_full_sync(
    tmp_path: Path, temporal_env: WorkflowEnvironment, make_worker: WorkerFactory, task_queue: str
) -> None:
    client = temporal_env.client
    ftrack_id = f"ftrack-{uuid.uuid4().hex[:8]}"
    fake, full = FakeIncremental(poison={"bad"}), FakeFullSync()
    async with make_worker(
        client,
        activities=[*fake.activities(), *full.activities()],
        workflows=[ProjectSyncWorkflow, FullSyncWorkflow],
    ):
        await client.execute_workflow(
            FullSyncWorkflow.run,
            FullSyncInput(ftrack_project_id=ftrack_id),
            id=f"ftrack-sync/project/{ftrack_id}/full-sync",
            task_queue=task_queue,
            search_attributes=TypedSearchAttributes(
                [SearchAttributePair(FTRACK_PROJECT_ID, ftrack_id)]
            ),
        )
        handle = await client.start_workflow(
            ProjectSyncWorkflow.run,
            ProjectSyncInput(ftrack_project_id=ftrack_id, window_seconds=0.05),
            id=f"ftrack-sync/project/{ftrack_id}",
            task_queue=task_queue,
            search_attributes=TypedSearchAttributes(
                [SearchAttributePair(FTRACK_PROJECT_ID, ftrack_id)]
            ),
        )
        for event in (ev("e1", "a"), ev("e2", "bad")):  # one good batch, then a failing one
            await handle.signal(ProjectSyncWorkflow.enqueue, EventBatch(events=[event]))
            await handle.execute_update(ProjectSyncWorkflow.flush)
        result = None
        for _ in range(50):  # visibility is eventually consistent
            result = await asyncio.to_thread(run_status, tmp_path, temporal_env, ftrack_id)
            if "InvalidChange" in result.stdout and "completed" in result.stdout:
                break
            await asyncio.sleep(0.2)
        missing = await asyncio.to_thread(run_status, tmp_path, temporal_env, "no_such_project")
        await handle.terminate()
    assert result is not None and result.returncode == 0, result.stdout + result.stderr
    line = next(line for line in result.stdout.splitlines() if ftrack_id in line)
    assert "demo_project" in line and "completed" in line
    assert "InvalidChange" in line  # the failed batch's error is visible
    assert " 2/0 " in line  # two ftrack events handled (one failed), no AYON change
    assert missing.returncode == 1 and "No sync workflows found" in missing.stdout
