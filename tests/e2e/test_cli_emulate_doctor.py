"""The emulators as a user runs them (`emulate ftrack|ayon`), checked by `doctor`."""

from __future__ import annotations

import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from ayon_ftrack_sync.temporal.devserver import free_port
from tests.e2e.test_cli_doctor import lines_by_system, run_doctor
from tests.helpers import cli_env, local_binary, temporal_address, wait_for

FTRACK_KEY = "ftrack-local-key-5150"
AYON_KEY = "ayon-local-key-6160"


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@pytest.fixture
def emulators(tmp_path: Path) -> Iterator[tuple[int, int]]:
    ftrack_port, ayon_port = free_port(), free_port()
    cli = str(local_binary("ayon-ftrack-sync"))
    processes = [
        subprocess.Popen(
            [cli, "emulate", "ftrack", "--port", str(ftrack_port), "--api-key", FTRACK_KEY],
            cwd=tmp_path,
            env=cli_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [cli, "emulate", "ayon", "--port", str(ayon_port), "--api-key", AYON_KEY],
            cwd=tmp_path,
            env=cli_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    try:
        wait_for(
            lambda: _listening(ftrack_port) and _listening(ayon_port),
            timeout=20,
            what="both emulators listening",
        )
        yield ftrack_port, ayon_port
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)
        for process in processes:
            assert process.wait(timeout=20) == 0


def test_doctor_passes_against_live_servers(
    tmp_path: Path, temporal_env: WorkflowEnvironment, emulators: tuple[int, int]
) -> None:
    ftrack_port, ayon_port = emulators
    result = run_doctor(
        tmp_path,
        TEMPORAL_ADDRESS=temporal_address(temporal_env),
        FTRACK_SERVER=f"http://127.0.0.1:{ftrack_port}",
        FTRACK_API_USER="admin",
        FTRACK_API_KEY=FTRACK_KEY,
        AYON_SERVER_URL=f"http://127.0.0.1:{ayon_port}",
        AYON_API_KEY=AYON_KEY,
    )
    lines = lines_by_system(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert all(line.startswith("ok") for line in lines.values()), result.stdout
    assert "signed in as admin" in lines["ftrack"]
    assert FTRACK_KEY not in result.stdout and AYON_KEY not in result.stdout


def test_doctor_names_rejected_credentials(
    tmp_path: Path, temporal_env: WorkflowEnvironment, emulators: tuple[int, int]
) -> None:
    ftrack_port, ayon_port = emulators
    result = run_doctor(
        tmp_path,
        TEMPORAL_ADDRESS=temporal_address(temporal_env),
        FTRACK_SERVER=f"http://127.0.0.1:{ftrack_port}",
        FTRACK_API_USER="admin",
        FTRACK_API_KEY="wrong-ftrack-key-1",
        AYON_SERVER_URL=f"http://127.0.0.1:{ayon_port}",
        AYON_API_KEY="wrong-ayon-key-2",
    )
    lines = lines_by_system(result.stdout)
    assert result.returncode == 1
    assert "credentials rejected for API user admin" in lines["ftrack"]
    assert "API key rejected" in lines["AYON"]
    assert "wrong-ftrack-key-1" not in result.stdout
