"""`ayon-ftrack-sync server`: starts fast offline, UI answers, state persists, clean stop."""

from __future__ import annotations

import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from ayon_ftrack_sync.temporal.devserver import free_port
from tests.helpers import cli_env, local_binary, wait_for


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def test_server_starts_under_5s_with_ui_and_stops_cleanly(tmp_path: Path) -> None:
    port, ui_port = free_port(), free_port()
    state_dir = tmp_path / "state"
    started = time.monotonic()
    process = subprocess.Popen(
        [
            str(local_binary("ayon-ftrack-sync")),
            "server",
            "--port",
            str(port),
            "--ui-port",
            str(ui_port),
            "--state-dir",
            str(state_dir),
        ],
        cwd=tmp_path,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(lambda: _http_ok(f"http://127.0.0.1:{ui_port}/"), timeout=5, what="Web UI")
        elapsed = time.monotonic() - started
        assert elapsed < 5.0
        # the UI's API proxies to the frontend: it answers once the server is up too
        wait_for(
            lambda: _http_ok(f"http://127.0.0.1:{ui_port}/api/v1/namespaces"),
            timeout=10,
            what="UI namespaces API",
        )
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output
    assert f"127.0.0.1:{port}" in output
    assert f"http://127.0.0.1:{ui_port}" in output
    assert "stopped." in output
    assert (state_dir / "temporal.db").is_file()


def test_server_refuses_a_busy_port(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [str(local_binary("ayon-ftrack-sync")), "server", "--port", str(port), "--headless"],
            cwd=tmp_path,
            env=cli_env(),
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1
    assert "already in use" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
