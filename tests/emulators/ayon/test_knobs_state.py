"""Knobs (latency, errors, 503 bursts), stats, dump/load, demo seed, serve_forever."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import ayon_api
import requests

from ayon_ftrack_sync.emulators.ayon import AyonEmulator
from ayon_ftrack_sync.emulators.ayon.middleware import ensure_nodelay
from ayon_ftrack_sync.emulators.ayon.server import listen_socket


def test_latency_error_rate_and_burst(ayon_server: AyonEmulator) -> None:
    headers = {"X-Api-Key": ayon_server.api_key}
    url = f"{ayon_server.url}/api/users/me"
    ayon_server.control.set_latency(0.2)
    start = time.perf_counter()
    assert requests.get(url, headers=headers, timeout=5).status_code == 200
    assert time.perf_counter() - start >= 0.2
    ayon_server.control.set_latency(0)
    ayon_server.control.burst_503(2)
    codes = [requests.get(url, headers=headers, timeout=5).status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    ayon_server.control.set_error_rate(1.0)
    assert requests.get(url, headers=headers, timeout=5).status_code == 500
    ayon_server.control.set_error_rate(1.0, status=502)
    assert requests.get(url, headers=headers, timeout=5).status_code == 502
    ayon_server.control.set_error_rate(0.5)
    codes = [requests.get(url, headers=headers, timeout=5).status_code for _ in range(40)]
    assert 5 < codes.count(500) < 35 and codes.count(200) == 40 - codes.count(500)
    ayon_server.control.set_error_rate(0.0)
    assert requests.get(url, headers=headers, timeout=5).status_code == 200


def test_client_retries_through_a_503_burst(
    ayon_server: AyonEmulator, ayon_api_client: ayon_api.ServerAPI
) -> None:
    ayon_server.control.burst_503(1)
    assert ayon_api_client.get_project_names() == []  # the client retried after 2 s


def test_stats_count_per_route(
    ayon_server: AyonEmulator, ayon_api_client: ayon_api.ServerAPI
) -> None:
    ayon_server.stats.reset()
    ayon_api_client.get_project_names()
    ayon_api_client.get_project_names()
    assert ayon_server.stats.by_route["GET /api/projects"] == 2
    assert ayon_server.stats.total == 2


def test_demo_project_dump_load_reset(
    ayon_server: AyonEmulator, ayon_api_client: ayon_api.ServerAPI
) -> None:
    seeded = ayon_server.control.seed_demo_project("demo")
    assert ayon_server.control.count("demo", "folder") == 11
    assert ayon_server.control.count("demo", "task") == 14
    shot = ayon_api_client.get_folder_by_path("demo", "/sq010/sq010_sh010")
    assert shot is not None and shot["id"] == seeded["ids"]["sq010_sh010"]
    snapshot = ayon_server.control.dump()
    assert ayon_server.api_key not in str(snapshot)
    ayon_server.control.reset()
    assert ayon_server.control.project_names() == []
    ayon_server.control.load(snapshot)
    assert ayon_api_client.get_folder_by_path("demo", "/sq010/sq010_sh010")["id"] == shot["id"]
    tasks = list(ayon_api_client.get_tasks("demo", folder_ids=[shot["id"]]))
    assert sorted(t["name"] for t in tasks) == ["anim", "comp"]


def test_web_ui_change_has_web_sender_type(ayon_server: AyonEmulator) -> None:
    seeded = ayon_server.control.seed_demo_project("demo")
    shot = seeded["ids"]["sq010_sh010"]
    ayon_server.control.as_user_write("demo", "folder", shot, {"status": "In progress"})
    event = ayon_server.control.events("entity.folder.status_changed")[-1]
    assert event["senderType"] == "web" and event["summary"]["entityId"] == shot


def test_serve_forever_subprocess(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    code = (
        "from ayon_ftrack_sync.emulators.ayon.serve import serve_forever;"
        "serve_forever('127.0.0.1', 0, api_key='k'*32, seed_project='demo',"
        f"state_file={str(state_file)!r})"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=os.getcwd()
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = line.strip().rsplit(" ", 1)[-1]
        assert url.startswith("http://127.0.0.1:")
        api = ayon_api.ServerAPI(url, token="k" * 32)
        assert api.get_project_names() == ["demo"]
        api.close_session()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        saved = json.loads(state_file.read_text("utf-8"))
        assert "demo" in saved["projects"]
        assert "k" * 32 not in state_file.read_text("utf-8")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_listening_and_request_sockets_disable_nagle() -> None:
    """Nagle + delayed ACK would stall every keep-alive request by ~40 ms."""
    listener = listen_socket("127.0.0.1", 0)
    client = socket.create_connection(listener.getsockname())
    listener.setblocking(True)
    accepted, _ = listener.accept()
    try:
        assert listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        accepted.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)

        class _Transport:
            def get_extra_info(self, name: str) -> object:
                return accepted if name == "socket" else None

        class _Request:
            transport = _Transport()

        ensure_nodelay(_Request())  # type: ignore[arg-type]
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        for sock in (client, accepted, listener):
            sock.close()
