"""The standalone process: prints its URL, serves the real client, stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import ftrack_api

SCRIPT = (
    "from ayon_ftrack_sync.emulators.ftrack.serve import serve_forever\n"
    "import sys\n"
    "serve_forever('127.0.0.1', 0, api_user='dev', api_key='devkey', seed_project='demo',"
    " state_file=sys.argv[1])\n"
)


def _start(state_file):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(state_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=os.getcwd(),
        env=env,
    )


def _url_of(proc):
    deadline = time.monotonic() + 30
    lines = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "listening on" in line:
            return line.rsplit(" ", 1)[1].strip(), lines
    raise AssertionError("emulator did not start: " + "".join(lines))


def test_serve_forever_seeds_persists_and_stops_on_sigterm(tmp_path):
    state = tmp_path / "state.json"
    proc = _start(state)
    try:
        url, lines = _url_of(proc)
        assert any("seeded project demo" in line for line in lines)
        session = ftrack_api.Session(
            server_url=url,
            api_user="dev",
            api_key="devkey",
            schema_cache_path=False,
            auto_connect_event_hub=False,
        )
        try:
            project = session.query('Project where name is "demo"').one()
            assert len(session.query(f"Shot where project_id is {project['id']}").all()) == 15
            session.create("Sequence", {"name": "added", "parent": project})
            session.commit()
        finally:
            session.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert state.exists()
    proc = _start(state)  # reloads the state: the added sequence survives, no re-seed
    try:
        url, lines = _url_of(proc)
        assert not any("seeded project" in line for line in lines)
        session = ftrack_api.Session(
            server_url=url,
            api_user="dev",
            api_key="devkey",
            schema_cache_path=False,
            auto_connect_event_hub=False,
        )
        try:
            assert session.query('Sequence where name is "added"').one()
        finally:
            session.close()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
