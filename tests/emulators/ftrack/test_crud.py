"""Create / update / delete through ftrack_api.Session, atomic batches and validation."""

from __future__ import annotations

import ftrack_api
import ftrack_api.exception
import ftrack_api.operation
import pytest


@pytest.fixture
def project(ftrack_server, ftrack_session):
    pid = ftrack_server.control.generate_project("crud", 1, 2, 1)
    return ftrack_session.get("Project", pid)


def test_create_hierarchy_in_one_commit(ftrack_session):
    s = ftrack_session
    schema = s.query("ProjectSchema").first()
    proj = s.create(
        "Project", {"name": "newproj", "full_name": "New Project", "project_schema": schema}
    )
    seq = s.create("Sequence", {"name": "sq01", "parent": proj})
    shot = s.create(
        "Shot",
        {
            "name": "sh010",
            "parent": seq,
            "status": s.query('Status where name is "In progress"').one(),
        },
    )
    task = s.create(
        "Task",
        {"name": "comp", "parent": shot, "type": s.query('Type where name is "Compositing"').one()},
    )
    s.commit()
    fresh = ftrack_api.Session(**{**_kwargs(s), "auto_connect_event_hub": False})
    try:
        loaded = fresh.get("Task", task["id"])
        assert loaded["project_id"] == proj["id"]
        assert loaded["parent"]["parent"]["name"] == "sq01"
        assert loaded["type"]["name"] == "Compositing"
        assert loaded["priority_id"] == "9661b320-3a0c-11e2-81c1-0800200c9a66"
        assert loaded["status"] is not None and loaded["created_at"] is not None
        assert [c["name"] for c in fresh.get("Shot", shot["id"])["children"]] == ["comp"]
    finally:
        fresh.close()


def _kwargs(session):
    return {
        "server_url": session.server_url,
        "api_key": session.api_key,
        "api_user": session.api_user,
        "schema_cache_path": False,
    }


def test_update_move_and_delete_cascade(ftrack_server, ftrack_session, project):
    s = ftrack_session
    shots = s.query(f"Shot where project_id is {project['id']}").all()
    seq2 = s.create("Sequence", {"name": "sq999", "parent": project})
    shots[0]["name"] = "renamed"
    shots[0]["parent"] = seq2
    s.commit()
    moved = ftrack_server.control.query(
        f'select parent_id, name from Shot where id is "{shots[0]["id"]}"'
    )[0]
    assert moved["parent_id"] == seq2["id"] and moved["name"] == "renamed"
    task_ids = [t["id"] for t in shots[1]["children"]]
    s.delete(shots[1])
    s.commit()
    assert not ftrack_server.control.query(f'Task where id is "{task_ids[0]}"')
    assert not ftrack_server.control.query(
        f'CustomAttributeValue where entity_id is "{shots[1]["id"]}"'
    )


def test_failing_batch_rolls_back_everything(ftrack_server, ftrack_session, project):
    s = ftrack_session
    shot = s.query(f"Shot where project_id is {project['id']}").first()
    old_name = shot["name"]
    s.call(
        [
            {
                "action": "update",
                "entity_type": "Shot",
                "entity_key": [shot["id"]],
                "entity_data": {"name": "ok"},
            }
        ]
    )
    with pytest.raises(ftrack_api.exception.ServerError, match="ValidationError"):
        s.call(
            [
                {
                    "action": "update",
                    "entity_type": "Shot",
                    "entity_key": [shot["id"]],
                    "entity_data": {"name": "should-not-stick"},
                },
                {
                    "action": "create",
                    "entity_type": "Shot",
                    "entity_key": ["x1"],
                    "entity_data": {
                        "id": "x1",
                        "name": "tmp",
                        "parent": {"__entity_type__": "Project", "id": project["id"]},
                    },
                },
                {
                    "action": "update",
                    "entity_type": "Shot",
                    "entity_key": [shot["id"]],
                    "entity_data": {"no_such_attribute": 1},
                },
            ]
        )
    rows = ftrack_server.control.query(f'select name from Shot where id is "{shot["id"]}"')
    assert rows[0]["name"] == "ok" != old_name
    assert not ftrack_server.control.query('Shot where id is "x1"')


def test_validation_errors(ftrack_session, project):
    s = ftrack_session
    seq = s.query(f"Sequence where project_id is {project['id']}").first()
    existing = seq["children"][0]["name"]
    for data, expected in [
        ({"name": existing.upper(), "parent": seq}, "IntegrityError"),
        ({"name": "orphan"}, "parent"),
        (
            {
                "name": "bad",
                "parent": seq,
                "status": s.get("Status", "a0bbf0b4-15e2-11e1-b21a-0019bb4983d8"),
            },
            None,
        ),
    ]:
        shot = s.create("Shot", data)
        if expected is None:
            s.commit()
            continue
        with pytest.raises(ftrack_api.exception.ServerError, match=expected):
            s.commit()
        s.reset()
    with pytest.raises(ftrack_api.exception.ServerError, match="immutable"):
        s.call(
            [
                {
                    "action": "update",
                    "entity_type": "Shot",
                    "entity_key": [shot["id"]],
                    "entity_data": {"object_type_id": "11c137c0-ee7e-4f9c-91c5-8c77cec22b2c"},
                }
            ]
        )
    with pytest.raises(ftrack_api.exception.ServerError, match="IntegrityError"):
        s.call(
            [
                {
                    "action": "create",
                    "entity_type": "Shot",
                    "entity_key": [shot["id"]],
                    "entity_data": {
                        "id": shot["id"],
                        "name": "dupe",
                        "parent": {"__entity_type__": "Sequence", "id": seq["id"]},
                    },
                }
            ]
        )


def test_ensure_creates_once(ftrack_server, ftrack_session):
    first = ftrack_session.ensure("User", {"username": "jane"})
    second = ftrack_session.ensure("User", {"username": "jane"})
    assert first["id"] == second["id"]
    assert len(ftrack_server.control.query('User where username is "jane"')) == 1


def test_notes_versions_and_lists(ftrack_server, ftrack_session):
    pid = ftrack_server.control.generate_project("long", 1, 1, 2, versions_per_task=2, lists=1)
    s = ftrack_session
    task = s.query(f"Task where project_id is {pid}").first()
    note = task.create_note("hello", author=s.query('User where username is "admin"').one())
    s.commit()
    assert [n["content"] for n in s.query(f'Note where parent_id is "{task["id"]}"')] == ["hello"]
    assert note["parent_type"] == "Task"
    versions = s.query(
        f"select version, asset.name from AssetVersion where task_id is "
        f"{task['id']} order by version descending"
    ).all()
    assert [v["version"] for v in versions] == [2, 1]
    assert s.query(
        f"AssetVersion where asset.versions any (version is 2) and task_id is {task['id']}"
    ).all()
    lst = s.query(f"TypedContextList where project_id is {pid}").one()
    assert lst["items"] and all(i.entity_type == "Task" for i in lst["items"])


def test_concurrent_sessions_commit_safely(ftrack_server):
    from concurrent.futures import ThreadPoolExecutor

    pid = ftrack_server.control.generate_project("conc", 4, 0, 0)
    seq_ids = [r["id"] for r in ftrack_server.control.query(f"Sequence where project_id is {pid}")]

    def work(seq_id):
        session = ftrack_api.Session(**ftrack_server.session_kwargs(), auto_connect_event_hub=False)
        try:
            seq = session.get("Sequence", seq_id)
            for i in range(15):
                session.create("Shot", {"name": f"c{i:03d}", "parent": seq})
                session.commit()
            return len(session.query(f'Shot where parent_id is "{seq_id}"').all())
        finally:
            session.close()

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(work, seq_ids)) == [15, 15, 15, 15]


def test_project_names_unique_and_cross_project_move(ftrack_server, ftrack_session):
    first = ftrack_server.control.generate_project("one", 1, 1, 1)
    second = ftrack_server.control.generate_project("two", 1, 0, 0)
    s = ftrack_session
    s.create("Project", {"name": "ONE", "project_schema": s.query("ProjectSchema").first()})
    with pytest.raises(ftrack_api.exception.ServerError, match="IntegrityError"):
        s.commit()
    s.reset()
    shot = s.query(f"Shot where project_id is {first}").one()
    shot["parent"] = s.query(f"Sequence where project_id is {second}").one()
    s.commit()
    moved = ftrack_server.control.query(
        f'select project_id from Task where parent_id is "{shot["id"]}"'
    )
    assert [m["project_id"] for m in moved] == [second]
