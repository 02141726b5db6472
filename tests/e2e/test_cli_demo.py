"""`ayon-ftrack-sync demo` as a user runs it: everything starts, the full sync and the ftrack
edits arrive in AYON, the AYON edit arrives in ftrack, and every process is gone afterwards
(with `--once` and on Ctrl-C).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from ayon_ftrack_sync.temporal.devserver import free_port
from tests.helpers import cli_env, local_binary, wait_for

#: one line per edit, as the demo prints it once AYON shows the change
EDIT_LINES = [
    r"^  sq010sh0010 renamed -> sq010sh0010_new: in AYON after \d+\.\d s$",
    r"^  new shot sq010sh0060 with task compositing: in AYON after \d+\.\d s$",
    r"^  sq010sh0020 frameEnd \d+ -> \d+: in AYON after \d+\.\d s$",
    r"^  sq010sh0020/\w+ status [\w ]+ -> Approved: in AYON after \d+\.\d s$",
]
#: the AYON edit (made through ayon_api as a person), once ftrack shows it
AYON_EDIT_LINE = r"^  description of sq010sh0030 changed in AYON: in ftrack after \d+\.\d s$"
#: a person's AYON comment on the same shot, once ftrack has it as a note
AYON_COMMENT_LINE = r"^  comment on sq010sh0030 in AYON: an ftrack note after \d+\.\d s$"
#: every child of the demo, by role (the pids file's keys)
ROLES = {"server", "ftrack-emulator", "ayon-emulator", "worker", "leecher", "ayon-listener"}


def four_ports() -> dict[str, int]:
    ports: list[int] = []
    while len(ports) < 4:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return dict(zip(("temporal", "ui", "ftrack", "ayon"), ports, strict=True))


def demo_command(state_dir: Path, ports: dict[str, int], *extra: str) -> list[str]:
    return [
        str(local_binary("ayon-ftrack-sync")),
        "demo",
        "--state-dir",
        str(state_dir),
        "--temporal-port",
        str(ports["temporal"]),
        "--ui-port",
        str(ports["ui"]),
        "--ftrack-port",
        str(ports["ftrack"]),
        "--ayon-port",
        str(ports["ayon"]),
        *extra,
    ]


def running(pid: int) -> bool:
    """Alive and not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rfind(")") + 2 :].split()[:1] != ["Z"]


def demo_processes(state_dir: Path) -> list[int]:
    """Processes whose environment belongs to this demo: its children and what they started
    (the `temporal` binary inherits the server's environment)."""
    marker = f"AYON_FTRACK_SYNC_STATE_DIR={state_dir}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker in environ.split(b"\0") and running(int(entry.name)):
            found.append(int(entry.name))
    return found


def recorded_pids(state_dir: Path) -> dict[str, list[int]]:
    data = json.loads((state_dir / "demo-pids.json").read_text())
    return {role: [child["pid"], *child["descendants"]] for role, child in data["children"].items()}


def assert_nothing_left(state_dir: Path) -> None:
    pids = recorded_pids(state_dir)
    assert set(pids) == ROLES
    assert pids["server"][1:], "the temporal binary under the server was not recorded"
    alive = {role: [p for p in group if running(p)] for role, group in pids.items()}
    assert not any(alive.values()), f"left running: {alive}"
    assert demo_processes(state_dir) == []


def keys_of(state_dir: Path) -> list[str]:
    values = dict(
        line.split("=", 1)
        for line in (state_dir / "demo.env").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    return [values["FTRACK_API_KEY"], values["AYON_API_KEY"]]


def cleanup(process: subprocess.Popen[bytes] | subprocess.Popen[str], state_dir: Path) -> None:
    """Finaliser: the demo and anything of it still running, by pid."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    for pid in demo_processes(state_dir):
        os.kill(pid, signal.SIGKILL)


def test_demo_once_syncs_shows_the_edits_and_leaves_nothing_running(tmp_path: Path) -> None:
    state_dir = tmp_path / "demo"
    ports = four_ports()
    process = subprocess.Popen(
        demo_command(state_dir, ports, "--once", "--edit-timeout", "20"),
        cwd=tmp_path,
        env=cli_env(COLUMNS="250"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=150)
    finally:
        cleanup(process, state_dir)
    output = stdout + stderr
    for pattern in EDIT_LINES:  # fails until incremental.apply is registered in the worker
        assert re.search(pattern, stdout, re.MULTILINE), f"no line {pattern!r} in:\n{output}"
    assert re.search(AYON_EDIT_LINE, stdout, re.MULTILINE), f"no AYON -> ftrack line in:\n{output}"
    assert re.search(AYON_COMMENT_LINE, stdout, re.MULTILINE), f"no comment line in:\n{output}"
    # the AYON edit comes after every ftrack edit arrived
    assert stdout.index("Editing in AYON") > max(
        m.start() for p in EDIT_LINES for m in re.finditer(p, stdout, re.MULTILINE)
    )
    assert process.returncode == 0, output
    assert "Traceback" not in output
    assert "Full sync of ftrack project demo to AYON project Demo" in stdout
    assert "created 63, updated 0, conflicts 0" in stdout  # 3 x (1 + 5 x (1 + 3))
    assert "has 18 folders and 45 tasks" in stdout
    assert f"Temporal Web UI  http://127.0.0.1:{ports['ui']}" in stdout
    assert f"ftrack emulator  http://127.0.0.1:{ports['ftrack']}" in stdout
    assert f"AYON emulator    http://127.0.0.1:{ports['ayon']}" in stdout
    assert "Demo stopped." in stdout
    for name in sorted(ROLES):
        assert f"log {state_dir / name}.log" in stdout
    assert "ready AYON listener (" in stdout
    # the generated emulator keys are only in the 0600 env file, never on screen or in logs
    assert (state_dir / "demo.env").stat().st_mode & 0o077 == 0
    logs = {path.name: path.read_text() for path in state_dir.glob("*.log")}
    for key in keys_of(state_dir):
        assert key not in output
        assert not [name for name, text in logs.items() if key in text]
    assert "leecher stopped" in logs["leecher.log"]
    assert "worker stopped" in logs["worker.log"]
    assert "AYON listener started" in logs["ayon-listener.log"]
    assert "AYON listener stopped" in logs["ayon-listener.log"]  # SIGTERM: a clean stop
    order = [
        stdout.index(f"stopping {name} (pid") for name in ("AYON listener", "leecher", "worker")
    ]
    assert order == sorted(order), stdout
    assert "killed" not in output
    assert_nothing_left(state_dir)


def test_demo_stops_everything_on_ctrl_c(tmp_path: Path) -> None:
    state_dir = tmp_path / "demo"
    ports = four_ports()
    out_path = tmp_path / "demo.out"
    with out_path.open("w") as out:
        process = subprocess.Popen(
            demo_command(state_dir, ports, "--edit-timeout", "15"),
            cwd=tmp_path,
            env=cli_env(COLUMNS="250"),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(
            lambda: "Press Ctrl-C to stop." in out_path.read_text() or process.poll() is not None,
            timeout=120,
            interval=0.2,
            what="the demo to say it is ready",
        )
        assert process.poll() is None, out_path.read_text()
        assert len(demo_processes(state_dir)) >= 7  # six children and the temporal binary
        process.send_signal(signal.SIGINT)
        code = process.wait(90)
    finally:
        cleanup(process, state_dir)
    output = out_path.read_text()
    assert code == 0, output
    assert "SIGINT: stopping the demo..." in output
    order = [
        output.index(f"stopping {name} (pid")
        for name in (
            "AYON listener",
            "leecher",
            "worker",
            "AYON emulator",
            "ftrack emulator",
            "Temporal dev server",
        )
    ]
    assert order == sorted(order), output
    assert "killed" not in output  # every child stopped on SIGTERM, none needed SIGKILL
    assert "Demo stopped." in output
    assert "Traceback" not in output
    assert "AYON listener stopped" in (state_dir / "ayon-listener.log").read_text()
    assert_nothing_left(state_dir)


def test_demo_refuses_a_port_in_use_before_starting_anything(tmp_path: Path) -> None:
    state_dir = tmp_path / "demo"
    ports = four_ports()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", ports["ftrack"]))
        busy.listen()
        started = time.monotonic()
        result = subprocess.run(
            demo_command(state_dir, ports, "--once"),
            cwd=tmp_path,
            env=cli_env(COLUMNS="250"),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"port {ports['ftrack']} (ftrack emulator)" in result.stderr
    assert "already in use" in result.stderr and "--ftrack-port" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (state_dir / "demo-pids.json").exists()  # nothing was started
    assert time.monotonic() - started < 30


@pytest.fixture(autouse=True)
def _linux_only() -> None:
    if not Path("/proc/self/environ").exists():
        pytest.skip("orphan checks read /proc")
