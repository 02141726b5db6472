"""`ayon-ftrack-sync doctor`: one clear line per system, non-zero exit on any failure."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.conftest import WorkerFactory
from tests.helpers import cli_env, local_binary, temporal_address

FTRACK_KEY = "ftrack-doctor-secret-0001"
AYON_KEY = "ayon-doctor-secret-0002"


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port nothing listens on (bound, never listening, so nobody else takes it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def run_doctor(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(local_binary("ayon-ftrack-sync")), "doctor", *args],
        cwd=cwd,
        env=cli_env(COLUMNS="200", **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def lines_by_system(output: str) -> dict[str, str]:
    found = {}
    for line in output.splitlines():
        parts = line.split(maxsplit=2)
        if len(parts) >= 2 and parts[0] in ("ok", "FAIL"):
            found[parts[1]] = line
    return found


def test_everything_unreachable(tmp_path: Path, closed_port: int) -> None:
    result = run_doctor(
        tmp_path,
        TEMPORAL_ADDRESS=f"127.0.0.1:{closed_port}",
        FTRACK_SERVER=f"http://127.0.0.1:{closed_port}",
        FTRACK_API_USER="sync",
        FTRACK_API_KEY=FTRACK_KEY,
        AYON_SERVER_URL=f"http://127.0.0.1:{closed_port}",
        AYON_API_KEY=AYON_KEY,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1
    lines = lines_by_system(output)
    assert set(lines) == {"Temporal", "ftrack", "AYON"}
    assert all(line.startswith("FAIL") for line in lines.values())
    assert "connection refused" in lines["Temporal"]
    assert "unreachable (connection refused)" in lines["ftrack"]
    assert "unreachable (connection refused)" in lines["AYON"]
    assert "Traceback" not in output
    assert FTRACK_KEY not in output and AYON_KEY not in output


def test_missing_configuration_is_named(tmp_path: Path, closed_port: int) -> None:
    result = run_doctor(tmp_path, TEMPORAL_ADDRESS=f"127.0.0.1:{closed_port}")
    lines = lines_by_system(result.stdout)
    assert result.returncode == 1
    assert "set FTRACK_SERVER, FTRACK_API_USER, FTRACK_API_KEY" in lines["ftrack"]
    assert "set AYON_SERVER_URL, AYON_API_KEY" in lines["AYON"]


def test_live_temporal_passes_its_check(
    tmp_path: Path, temporal_env: WorkflowEnvironment, closed_port: int
) -> None:
    result = run_doctor(
        tmp_path,
        TEMPORAL_ADDRESS=temporal_address(temporal_env),
        FTRACK_SERVER=f"http://127.0.0.1:{closed_port}",
    )
    lines = lines_by_system(result.stdout)
    assert lines["Temporal"].startswith("ok"), result.stdout
    assert "search attributes registered" in lines["Temporal"]
    assert result.returncode == 1  # ftrack and AYON still fail


def test_unknown_namespace_fails(tmp_path: Path, temporal_env: WorkflowEnvironment) -> None:
    result = run_doctor(
        tmp_path, TEMPORAL_ADDRESS=temporal_address(temporal_env), TEMPORAL_NAMESPACE="no-such-ns"
    )
    line = lines_by_system(result.stdout)["Temporal"]
    assert line.startswith("FAIL") and "no-such-ns" in line


async def test_worker_round_trip(
    tmp_path: Path,
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
) -> None:
    import asyncio

    address = temporal_address(temporal_env)
    async with make_worker(temporal_env.client):
        result = await asyncio.to_thread(
            run_doctor,
            tmp_path,
            "--worker",
            "--task-queue",
            task_queue,
            TEMPORAL_ADDRESS=address,
        )
    lines = lines_by_system(result.stdout)
    assert lines["worker"].startswith("ok"), result.stdout
    assert f"task queue {task_queue}: answered by" in lines["worker"]
