"""`ayon-ftrack-sync resync` as a user runs it: progress, report, dry run, clear errors."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from ayon_ftrack_sync.activities import build_activities
from ayon_ftrack_sync.emulators.ayon import AyonEmulator
from ayon_ftrack_sync.emulators.ftrack import FtrackEmulator
from ayon_ftrack_sync.workflows import WORKFLOWS
from ayon_ftrack_sync.workflows.project_sync import ProjectSyncWorkflow, workflow_id_for
from tests.conftest import WorkerFactory
from tests.helpers import cli_env, local_binary, sync_config, sync_env, temporal_address


def run_cli(cwd: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(local_binary("ayon-ftrack-sync")), *args],
        cwd=cwd,
        env=cli_env(COLUMNS="160", **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_resync_creates_syncs_reports_and_a_dry_run_changes_nothing(
    tmp_path: Path,
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
) -> None:
    project_id = ftrack_server.control.generate_project("cli", sequences=1, shots=2, tasks=2)
    config = sync_config(tmp_path, ftrack_server, ayon_server)
    env = sync_env(
        tmp_path,
        ftrack_server,
        ayon_server,
        TEMPORAL_ADDRESS=temporal_address(temporal_env),
        AYON_FTRACK_SYNC_TASK_QUEUE=task_queue,
    )
    async with make_worker(
        temporal_env.client, activities=build_activities(config), workflows=WORKFLOWS
    ):
        missing = await asyncio.to_thread(run_cli, tmp_path, "resync", "cli", env=env)
        first = await asyncio.to_thread(
            run_cli, tmp_path, "resync", "cli", "--create-project", env=env
        )
        dry = await asyncio.to_thread(run_cli, tmp_path, "resync", "Cli", "--dry-run", env=env)
        unknown = await asyncio.to_thread(run_cli, tmp_path, "resync", "nope", env=env)
        # every full sync ran as a child of the project's own workflow (serialised with
        # its incremental changes)
        project = temporal_env.client.get_workflow_handle(workflow_id_for(project_id))
        status = await project.query(ProjectSyncWorkflow.status)
        await project.terminate()
    assert status.stats.resyncs == 3
    assert status.ayon_project_name == "Cli"
    assert missing.returncode == 1
    assert "AYON project 'Cli' does not exist" in missing.stderr
    assert "--create-project" in missing.stderr
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Full sync report: Cli" in first.stdout
    assert "created 7," in first.stdout  # 1 sequence, 2 shots, 4 tasks
    assert ayon_server.control.count("Cli", "task") == 4
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "dry run: nothing written" in dry.stdout
    assert "created 0," in dry.stdout
    assert unknown.returncode == 1
    assert "no ftrack project with id, name or full name 'nope'" in unknown.stderr
    for result in (missing, first, dry, unknown):
        assert "Traceback" not in result.stderr
        assert ftrack_server.api_key not in result.stdout + result.stderr


def test_resync_without_credentials_says_what_is_missing(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "resync", "anything", env={})
    assert result.returncode == 1
    assert "ftrack is not configured" in result.stderr
    assert "FTRACK_SERVER" in result.stderr
    assert "Traceback" not in result.stderr
