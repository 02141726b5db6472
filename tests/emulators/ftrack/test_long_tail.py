"""Long-tail features: components on the ftrack.server location, jobs, helper actions,
list membership and note events, composite-key populate."""

from __future__ import annotations

import ftrack_api
import ftrack_api.exception
import pytest


def test_component_upload_and_download(ftrack_server, ftrack_session, tmp_path):
    ftrack_server.control.generate_project("comp", 1, 1, 1, versions_per_task=1)
    s = ftrack_session
    version = s.query("AssetVersion").first()
    location = s.query('Location where name is "ftrack.server"').one()
    path = tmp_path / "data.json"
    path.write_text('{"a": 1}')
    component = version.create_component(str(path), data={"name": "main"}, location=location)
    s.commit()
    assert component.entity_type == "FileComponent"
    handle = location.accessor.open(location.get_resource_identifier(component), "rb")
    try:
        assert handle.read() == b'{"a": 1}'
    finally:
        handle.close()
    assert s.query(f'Component where version_id is "{version["id"]}"').all()


def test_encode_media_creates_job_and_widget_url(ftrack_server, ftrack_session):
    ftrack_server.control.generate_project("job", 1, 1, 1, versions_per_task=1)
    s = ftrack_session
    version = s.query("AssetVersion").first()
    result = s.call(
        [
            {
                "action": "encode_media",
                "component_id": None,
                "version_id": version["id"],
                "keep_original": "auto",
            }
        ]
    )
    job = s.get("Job", result[0]["job_id"])
    assert job["status"] == "done"
    assert (
        "widget_url" in s.call([{"action": "get_widget_url", "name": "info", "theme": "dark"}])[0]
    )


def test_reset_remote_restores_default(ftrack_server, ftrack_session):
    pid = ftrack_server.control.generate_project("rr", 1, 1, 1)
    task = ftrack_session.query(f"Task where project_id is {pid}").first()
    task["priority"] = ftrack_session.query('Priority where name is "High"').one()
    ftrack_session.commit()
    ftrack_session.call(
        [
            {
                "action": "reset_remote",
                "reset_type": "priority_id",
                "entity_type": "Task",
                "entity_key": [task["id"]],
            }
        ]
    )
    row = ftrack_server.control.query(f'select priority_id from Task where id is "{task["id"]}"')
    assert row[0]["priority_id"] == "9661b320-3a0c-11e2-81c1-0800200c9a66"


def test_list_membership_and_note_events(ftrack_server, ftrack_session):
    pid = ftrack_server.control.generate_project("lists", 1, 2, 1)
    s = ftrack_session
    tasks = s.query(f"Task where project_id is {pid}").all()
    ftrack_server.hub.log.clear()
    lst = s.create(
        "TypedContextList",
        {
            "name": "dailies",
            "project": s.get("Project", pid),
            "category": s.query("ListCategory").first(),
            "items": tasks,
        },
    )
    s.commit()
    event = [e for e in ftrack_server.hub.log if e["topic"] == "ftrack.update"][-1]
    kinds = [(e["entityType"], e["action"]) for e in event["data"]["entities"]]
    assert kinds.count(("listobject", "add")) == 2 and ("list", "add") in kinds
    listobject = next(e for e in event["data"]["entities"] if e["entityType"] == "listobject")
    assert [p["entityType"] for p in listobject["parents"]] == ["listobject", "list", "show"]
    assert {
        i["id"] for i in s.query(f'TypedContextList where id is "{lst["id"]}"').one()["items"]
    } == {t["id"] for t in tasks}
    ftrack_server.hub.log.clear()
    tasks[0].create_note("looks good", author=s.query("User").first())
    s.commit()
    event = [e for e in ftrack_server.hub.log if e["topic"] == "ftrack.update"][-1]
    note = next(e for e in event["data"]["entities"] if e["entityType"] == "note")
    # ayon-ftrack reads the note's parent from the second item of parents
    assert note["parents"][1]["entityId"] == tasks[0]["id"]
    assert note["parents"][1]["entityType"] == "task"


def test_project_custom_attribute_event_uses_show(ftrack_server, ftrack_session):
    pid = ftrack_server.control.generate_project("auto", 1, 1, 0)
    ftrack_server.hub.log.clear()
    project = ftrack_session.get("Project", pid)
    project["custom_attributes"]["auto_sync_enabled"] = True
    ftrack_session.commit()
    entity = ftrack_server.hub.log[-1]["data"]["entities"][0]
    assert entity["entityType"] == "show" and entity["entity_type"] == "Project"
    assert entity["changes"]["auto_sync_enabled"] == {"new": "1", "old": "0"}


def test_composite_key_populate(ftrack_server, ftrack_session):
    pid = ftrack_server.control.generate_project("ck", 1, 2, 0)
    s = ftrack_session
    conf = s.query('CustomAttributeConfiguration where key is "frameStart"').one()
    shots = s.query(f"Shot where project_id is {pid}").all()
    # session.get on a composite key builds `(configuration_id is "X"and entity_id is "Y")`
    value = s.get("ContextCustomAttributeValue", [conf["id"], shots[0]["id"]])
    assert value["value"] == 1001
    fresh = ftrack_api.Session(**ftrack_server.session_kwargs(), auto_connect_event_hub=False)
    try:
        rows = fresh.query(
            "select value from ContextCustomAttributeValue where "
            + " or ".join(
                f'(configuration_id is "{conf["id"]}"and entity_id is "{sh["id"]}")' for sh in shots
            )
        ).all()
        assert sorted(r["value"] for r in rows) == [1001, 1001]
    finally:
        fresh.close()


def test_group_by_is_a_parse_error(ftrack_session):
    with pytest.raises(ftrack_api.exception.ServerError):
        ftrack_session.call(
            [{"action": "query", "expression": "select count(id) from Task group by name"}]
        )


def test_per_object_type_configuration(ftrack_server, ftrack_session):
    shot_type = "bad911de-3bd6-47b9-8b46-3476e237cb36"
    ftrack_server.control.add_custom_attribute(
        "shotOnly", "text", entity_type="task", object_type_id=shot_type, default="x"
    )
    pid = ftrack_server.control.generate_project("pot", 1, 1, 1)
    shot = ftrack_session.query(f"Shot where project_id is {pid}").one()
    task = ftrack_session.query(f"Task where project_id is {pid}").one()
    assert shot["custom_attributes"]["shotOnly"] == "x"
    assert "shotOnly" not in task["custom_attributes"]


def test_typed_context_links(ftrack_server, ftrack_session):
    pid = ftrack_server.control.generate_project("links", 1, 2, 0)
    s = ftrack_session
    first, second = s.query(f"Shot where project_id is {pid} order by name").all()
    s.create("TypedContextLink", {"from": first, "to": second})
    s.commit()
    incoming = s.query(
        f'select incoming_links.from_id from Shot where id is "{second["id"]}"'
    ).one()["incoming_links"]
    assert [link["from_id"] for link in incoming] == [first["id"]]
    s.delete(first)
    s.commit()
    assert not s.query(f'TypedContextLink where to_id is "{second["id"]}"').all()


def test_http_control_endpoints(ftrack_server):
    import requests

    pid = ftrack_server.control.generate_project("http", 1, 1, 0)
    shot_id = ftrack_server.control.query(f"Shot where project_id is {pid}")[0]["id"]
    response = requests.post(
        f"{ftrack_server.url}/_emu/ui-change",
        timeout=5,
        json={
            "username": "web.user",
            "batch": [
                {
                    "action": "update",
                    "entity_type": "Shot",
                    "entity_key": [shot_id],
                    "entity_data": {"description": "via http"},
                }
            ],
        },
    )
    assert response.status_code == 200
    from tests.fixtures.ftrack import wait_for

    event = wait_for(
        lambda: next(
            (e for e in list(ftrack_server.hub.log) if e["topic"] == "ftrack.update"), None
        )
    )
    assert event["source"]["user"]["username"] == "web.user"
    dump = requests.get(f"{ftrack_server.url}/_emu/dump", timeout=5).json()
    assert any(r.get("description") == "via http" for r in dump["tables"]["TypedContext"])
    stats = requests.get(f"{ftrack_server.url}/_emu/stats", timeout=5).json()
    assert stats["actions"]["update"] == 1
    assert stats["tcp_nodelay"] is True


def test_project_schema_helpers_metadata_and_assignments(ftrack_server, ftrack_session):
    pid = ftrack_server.control.generate_project("schema", 1, 1, 1)
    s = ftrack_session
    schema = s.get("Project", pid)["project_schema"]
    assert "Not started" in [st["name"] for st in schema.get_statuses("Task")]
    assert "Compositing" in [t["name"] for t in schema.get_types("Task")]
    assert [st["name"] for st in schema.get_statuses("Shot")]
    assert "Shot" in [o["name"] for o in schema["object_types"]]
    shot = s.query(f"Shot where project_id is {pid}").one()
    shot["metadata"]["ayon_activity_id"] = "a1"
    s.commit()
    fresh = ftrack_api.Session(**ftrack_server.session_kwargs(), auto_connect_event_hub=False)
    try:
        assert dict(fresh.get("Shot", shot["id"])["metadata"]) == {"ayon_activity_id": "a1"}
        task = fresh.query(f"Task where project_id is {pid}").one()
        assert [a["resource"]["username"] for a in task["assignments"]]
    finally:
        fresh.close()
