"""The `leecher` command as a process: forwards UI changes, logs health, never logs the ftrack
key, refuses a second process on the same spool, stops gracefully on SIGTERM with exit code 0.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from ayon_ftrack_sync.emulators.ftrack import FtrackEmulator
from ayon_ftrack_sync.workflows.project_sync import ProjectSyncWorkflow
from tests.conftest import WorkerFactory
from tests.helpers import REPO_ROOT, cli_env, local_binary, temporal_address
from tests.integration.leecher_support import applied_ids, shots_of, terminate, unique, until
from tests.workflows.project_sync_fakes import FakeIncremental


def update_subscriber_known(ftrack: FtrackEmulator) -> bool:
    """The hub has a subscriber of `ftrack.update` (only the leecher process subscribes)."""
    return any(
        sub.expression.match({"topic": "ftrack.update", "data": {}})
        for conn in list(ftrack.hub.connections.values())
        for sub in list(conn.subscribers.values())
    )


async def test_leecher_command_forwards_and_stops_on_sigterm(
    tmp_path: Path,
    ftrack_server: FtrackEmulator,
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
) -> None:
    project = ftrack_server.control.generate_project(
        unique("cli"), sequences=1, shots=1, tasks=0, auto_sync=True
    )
    (shot,) = shots_of(ftrack_server, project)
    log_path = tmp_path / "leecher.log"
    spool = tmp_path / "spool" / "leecher.sqlite3"
    fake = FakeIncremental()
    client = temporal_env.client
    command = [
        str(local_binary("ayon-ftrack-sync")),
        "leecher",
        "--temporal-address",
        temporal_address(temporal_env),
        "--task-queue",
        task_queue,
        "--spool-path",
        str(spool),
        "--spool-limit",
        "1000",
        "--health-interval",
        "0.3",
    ]
    env = cli_env(
        FTRACK_SERVER=ftrack_server.url,
        FTRACK_API_USER=ftrack_server.api_user,
        FTRACK_API_KEY=ftrack_server.api_key,
        AYON_FTRACK_SYNC_STATE_DIR=str(tmp_path / "state"),
    )
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        async with make_worker(
            client, activities=fake.activities(), workflows=[ProjectSyncWorkflow]
        ):
            await until(
                lambda: update_subscriber_known(ftrack_server), 20, what="leecher subscribed"
            )
            second = await asyncio.to_thread(
                subprocess.run,
                command,
                cwd=REPO_ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=30,
            )
            assert second.returncode == 1  # a second leecher on the same spool is refused
            assert "in use by another process" in second.stdout + second.stderr
            with ftrack_server.control.as_user("jane.doe") as ui:
                ui.update("Shot", shot, {"description": "from the web UI"})
            await until(lambda: applied_ids(fake, project), 20, what="change applied")
            await until(
                lambda: (
                    "leecher healthy: received 1, spooled 1, forwarded 1" in log_path.read_text()
                ),
                what="a health line counting it",
            )
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(process.wait, 30)
        await terminate(client, project)
    output = log_path.read_text()
    assert code == 0, output
    assert "stop requested" in output and "leecher stopped" in output
    assert ftrack_server.api_key not in output
    assert spool.is_file()  # the --spool-path flag was used
