"""Event hub over real sockets: subscribe, publish with acks, replies, and ftrack.update."""

from __future__ import annotations

import time

import ftrack_api
import pytest
from ftrack_api.event.base import Event

from tests.fixtures.ftrack import wait_for


@pytest.fixture
def hub_session(ftrack_server):
    session = ftrack_api.Session(**ftrack_server.session_kwargs(), auto_connect_event_hub=True)
    try:
        wait_for(lambda: session.event_hub.connected, 10)
        yield session
    finally:
        session.close()


def pump(session, predicate, timeout=5.0):
    """Run the hub's callbacks (they only run inside wait()) until ``predicate`` holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met while pumping the event hub")
        session.event_hub.wait(0.05)


def subscribe(server, session, expression, callback, **kwargs):
    """Subscribe and wait until the server knows the subscriber (no sleeps)."""
    subscriber_id = session.event_hub.subscribe(expression, callback, **kwargs)
    wait_for(
        lambda: any(subscriber_id in c.subscribers for c in list(server.hub.connections.values())),
        5,
    )
    return subscriber_id


def test_subscribe_publish_reply_between_two_clients(ftrack_server, hub_session):
    other = ftrack_api.Session(**ftrack_server.session_kwargs(), auto_connect_event_hub=True)
    try:
        wait_for(lambda: other.event_hub.connected, 10)
        subscribe(
            ftrack_server, other, "topic=test.ping", lambda event: {"pong": event["data"]["n"]}
        )
        replies = []
        hub_session.event_hub.publish(
            Event("test.ping", data={"n": 7}), on_reply=lambda event: replies.append(event["data"])
        )
        deadline = time.monotonic() + 5
        while not replies and time.monotonic() < deadline:
            other.event_hub.wait(0.05)
            hub_session.event_hub.wait(0.05)
        assert replies == [{"pong": 7}]
    finally:
        other.close()


def test_delivered_once_per_connection_with_two_subscribers(ftrack_server, hub_session):
    received = []
    subscribe(ftrack_server, hub_session, "topic=test.dup", lambda event: received.append(1))
    subscribe(ftrack_server, hub_session, "topic=test.*", lambda event: received.append(2))
    ftrack_server.control.emit_event({"topic": "test.dup", "data": {"x": 1}})
    pump(hub_session, lambda: len(received) >= 2)
    hub_session.event_hub.wait(0.2)  # window in which a duplicate would show up
    assert sorted(received) == [1, 2]


def test_target_restricts_delivery(ftrack_server, hub_session):
    received = []
    subscribe(
        ftrack_server,
        hub_session,
        "topic=test.target",
        received.append,
        subscriber={"id": "mine", "applicationId": "app"},
    )
    ftrack_server.control.emit_event({"topic": "test.target", "target": "id=other"})
    ftrack_server.control.emit_event(
        {"topic": "test.target", "target": "id=mine", "data": {"ok": True}}
    )
    pump(hub_session, lambda: received)
    hub_session.event_hub.wait(0.2)  # window in which a duplicate would show up
    assert [e["data"] for e in received] == [{"ok": True}]


def test_heartbeats_are_sent_and_answered(ftrack_server):
    ftrack_server.hub.heartbeat_s = 0.1
    session = ftrack_api.Session(**ftrack_server.session_kwargs(), auto_connect_event_hub=True)
    try:
        wait_for(lambda: session.event_hub.connected, 10)
        connection = wait_for(lambda: next(iter(ftrack_server.hub.connections.values()), None))
        # the client answers every 2:: with 2:::, so both counters move
        wait_for(lambda: connection.heartbeats_received >= 2, 5)
        assert connection.heartbeats_sent >= connection.heartbeats_received
        assert session.event_hub.connected
    finally:
        ftrack_server.hub.heartbeat_s = 2.0
        session.close()


def _updates(received):
    return [e for e in received if e["topic"] == "ftrack.update"]


def test_ftrack_update_for_add_update_move_remove_and_custom(ftrack_server, hub_session):
    s = hub_session
    pid = ftrack_server.control.generate_project("ev", 2, 1, 1)
    received = []
    subscribe(ftrack_server, s, "topic=ftrack.update", received.append)
    seqs = s.query(f"Sequence where project_id is {pid} order by name").all()
    shot = s.create("Shot", {"name": "evshot", "parent": seqs[0]})
    s.commit()
    pump(s, lambda: _updates(received))
    add = _updates(received)[-1]
    entity = add["data"]["entities"][0]
    assert entity["action"] == "add" and entity["entityType"] == "task"
    assert entity["entity_type"] == "Shot" and entity["entityId"] == shot["id"]
    assert [p["entityType"] for p in entity["parents"]] == ["task", "task", "show"]
    assert entity["changes"]["name"] == {"new": "evshot", "old": None}
    assert add["source"]["user"]["username"] == ftrack_server.api_user
    assert add["source"]["applicationId"] == "ftrack.api"

    shot["name"] = "evshot2"
    s.commit()
    pump(s, lambda: len(_updates(received)) >= 2)
    upd = _updates(received)[-1]["data"]["entities"][0]
    assert upd["action"] == "update" and upd["keys"] == ["name"]
    assert upd["changes"]["name"] == {"new": "evshot2", "old": "evshot"}

    shot["parent"] = seqs[1]
    s.commit()
    pump(s, lambda: len(_updates(received)) >= 3)
    move = _updates(received)[-1]["data"]["entities"][0]
    assert move["action"] == "move" and move["keys"] == ["parent_id"]
    assert move["parentId"] == seqs[1]["id"] == move["parents"][1]["entityId"]

    shot["custom_attributes"]["frameEnd"] = 1022
    shot["custom_attributes"]["ayon_sync_failed"] = True
    s.commit()
    pump(s, lambda: len(_updates(received)) >= 4)
    custom = _updates(received)[-1]["data"]["entities"][0]
    assert custom["action"] == "update"
    assert custom["changes"]["frameEnd"] == {"new": "1022", "old": ""}
    assert custom["changes"]["ayon_sync_failed"] == {"new": "1", "old": ""}

    s.delete(shot)
    s.commit()
    pump(s, lambda: len(_updates(received)) >= 5)
    remove = _updates(received)[-1]["data"]["entities"][0]
    assert remove["action"] == "remove" and remove["changes"]["name"]["new"] is None
    assert remove["changes"]["name"]["old"] == "evshot2"


def test_ui_change_as_other_user(ftrack_server, hub_session):
    pid = ftrack_server.control.generate_project("ui", 1, 1, 0)
    received = []
    subscribe(ftrack_server, hub_session, "topic=ftrack.update", received.append)
    shot_id = ftrack_server.control.query(f"Shot where project_id is {pid}")[0]["id"]
    with ftrack_server.control.as_user("jane.doe") as ui:
        ui.update("Shot", shot_id, {"description": "from the web"})
        ui.set_custom_attribute(shot_id, "frameStart", 990)
    pump(hub_session, lambda: len(_updates(received)) >= 2)
    first, second = _updates(received)[:2]
    assert first["source"]["applicationId"] == "ftrack.client.web"
    assert first["source"]["user"]["username"] == "jane.doe"
    assert first["data"]["user"]["userid"] == first["source"]["user"]["id"]
    assert second["data"]["entities"][0]["changes"]["frameStart"]["new"] == "990"


def test_api_application_id_and_sibling_rule_are_configurable(ftrack_server, ftrack_session):
    pid = ftrack_server.control.generate_project("cfg", 1, 1, 0)
    ftrack_server.control.set_api_application_id("ftrack.api.custom")
    ftrack_server.control.set_unique_sibling_names(False)
    seq = ftrack_session.query(f"Sequence where project_id is {pid}").one()
    ftrack_session.create("Shot", {"name": seq["children"][0]["name"], "parent": seq})
    ftrack_session.commit()
    assert ftrack_server.hub.log[-1]["source"]["applicationId"] == "ftrack.api.custom"
    assert len(ftrack_server.control.query(f'Shot where parent_id is "{seq["id"]}"')) == 2


def test_api_events_can_be_switched_off(ftrack_server, hub_session):
    ftrack_server.control.set_emit_api_events(False)
    received = []
    subscribe(ftrack_server, hub_session, "topic=ftrack.update", received.append)
    hub_session.create("User", {"username": "silent"})
    hub_session.commit()
    ftrack_server.control.emit_event({"topic": "ftrack.update", "data": {"entities": []}})
    pump(hub_session, lambda: received)
    assert len(received) == 1 and received[0]["data"] == {"entities": []}
