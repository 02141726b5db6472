"""`ayon-ftrack-sync worker`: polls the task queue, logs health, stops gracefully on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from ayon_ftrack_sync.payloads.health import PingRequest, WorkerIdentity
from ayon_ftrack_sync.workflows.health import HealthCheckWorkflow
from tests.helpers import cli_env, local_binary, temporal_address, wait_for


async def test_worker_process_runs_workflows_and_shuts_down_gracefully(
    tmp_path: Path, temporal_env: WorkflowEnvironment, task_queue: str
) -> None:
    secret = "ayon-worker-secret-777"
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                str(local_binary("ayon-ftrack-sync")),
                "worker",
                "--task-queue",
                task_queue,
                "--health-interval",
                "0.3",
            ],
            cwd=tmp_path,
            env=cli_env(
                TEMPORAL_ADDRESS=temporal_address(temporal_env),
                AYON_API_KEY=secret,
                AYON_SERVER_URL="http://127.0.0.1:9",
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        identity: WorkerIdentity = await temporal_env.client.execute_workflow(
            HealthCheckWorkflow.run,
            PingRequest(requested_by="e2e"),
            id=f"health-{uuid.uuid4().hex}",
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=30),
        )
        assert identity.pid == process.pid
        assert identity.requested_by == "e2e"
        wait_for(
            lambda: "activities completed 1" in log_path.read_text(),
            timeout=10,
            what="a health line counting the activity",
        )
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=40)
    output = log_path.read_text()
    assert code == 0, output
    assert f"worker started: task queue {task_queue}" in output
    assert "worker healthy:" in output
    assert "activities completed 1" in output
    assert "worker stopped" in output
    assert secret not in output


def test_worker_without_temporal_fails_clearly(tmp_path: Path) -> None:
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        result = subprocess.run(
            [str(local_binary("ayon-ftrack-sync")), "worker"],
            cwd=tmp_path,
            env=cli_env(TEMPORAL_ADDRESS=f"127.0.0.1:{port}"),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert "cannot reach Temporal" in result.stderr
    assert "Traceback" not in result.stderr
