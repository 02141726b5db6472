"""Generator, stats, latency / error knobs and dump / load."""

from __future__ import annotations

import time

import ftrack_api
import ftrack_api.exception
import pytest
import requests

from ayon_ftrack_sync.emulators.ftrack import FtrackEmulator


def test_generator_counts_and_determinism(ftrack_server):
    control = ftrack_server.control
    pid = control.generate_project("gen", 2, 3, 2, versions_per_task=1, lists=1)
    assert len(control.query(f"Sequence where project_id is {pid}")) == 2
    assert len(control.query(f"Shot where project_id is {pid}")) == 6
    assert len(control.query(f"Task where project_id is {pid}")) == 12
    assert len(control.query(f"Appointment where context.project_id is {pid}")) == 12
    assert len(control.query(f"AssetVersion where task.project_id is {pid}")) == 12
    control.reset()
    assert control.generate_project("gen", 2, 3, 2) == pid


def test_stats_count_requests_and_actions(ftrack_server, ftrack_session):
    ftrack_server.stats.reset()
    ftrack_session.query("User").all()
    ftrack_session.query("Status").all()
    assert ftrack_server.stats.http_requests == 2
    assert ftrack_server.stats.actions["query"] == 2


def test_latency_knob(ftrack_server, ftrack_session):
    ftrack_server.control.set_latency(0.2)
    start = time.monotonic()
    ftrack_session.query("User").all()
    assert time.monotonic() - start >= 0.2


def test_injected_5xx_is_a_server_error(ftrack_server, ftrack_session):
    ftrack_server.control.set_error_rate(1.0, kinds=("5xx",))
    with pytest.raises(ftrack_api.exception.ServerError):
        ftrack_session.query("User").all()
    ftrack_server.control.set_error_rate(0.0)
    assert ftrack_session.query("User").all()


def test_injected_timeout_drops_the_connection(ftrack_server):
    ftrack_server.control.set_error_rate(1.0, kinds=("timeout",), timeout_hang_s=0.1)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(
            f"{ftrack_server.url}/api",
            json=[{"action": "query_server_information"}],
            headers={
                "ftrack-user": ftrack_server.api_user,
                "ftrack-api-key": ftrack_server.api_key,
            },
            timeout=5,
        )


def test_dump_and_load_round_trip(ftrack_server):
    pid = ftrack_server.control.generate_project("persist", 1, 2, 1)
    dumped = ftrack_server.control.dump()
    with FtrackEmulator(api_user="other", api_key="k") as second:
        second.control.load(dumped)
        session = ftrack_api.Session(**second.session_kwargs(), auto_connect_event_hub=False)
        try:
            shots = session.query(f"Shot where project_id is {pid}").all()
            assert len(shots) == 2
            assert shots[0]["custom_attributes"]["frameStart"] == 1001
        finally:
            session.close()


def test_emulator_refuses_non_loopback():
    with pytest.raises(ValueError):
        FtrackEmulator(host="0.0.0.0")
