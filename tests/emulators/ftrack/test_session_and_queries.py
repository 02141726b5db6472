"""Session start and every query form the client generates, through the real client."""

from __future__ import annotations

import hashlib
import json

import ftrack_api
import ftrack_api.exception
import pytest
import requests


def test_session_start_serves_schemas_with_client_hash(ftrack_server, ftrack_session):
    info = ftrack_session.server_information
    schemas = ftrack_session.call([{"action": "query_schemas"}])[0]
    expected = hashlib.md5(json.dumps(schemas, sort_keys=True).encode()).hexdigest()
    assert info["schema_hash"] == expected
    for name in (
        "Location",
        "Project",
        "Shot",
        "Task",
        "ContextCustomAttributeValue",
        "TypedContextList",
        "AssetVersion",
        "Note",
    ):
        assert name in ftrack_session.types
    assert ftrack_server.stats.actions["query_server_information"] >= 1


def test_schema_cache_reused_by_second_session(ftrack_server, tmp_path):
    kwargs = dict(
        server_url=ftrack_server.url,
        api_key=ftrack_server.api_key,
        api_user=ftrack_server.api_user,
        schema_cache_path=str(tmp_path),
        auto_connect_event_hub=False,
    )
    ftrack_api.Session(**kwargs).close()
    before = ftrack_server.stats.actions["query_schemas"]
    ftrack_api.Session(**kwargs).close()
    assert ftrack_server.stats.actions["query_schemas"] == before


def test_invalid_credentials(ftrack_server):
    with pytest.raises(ftrack_api.exception.ServerError, match="InvalidCredentialsError"):
        ftrack_api.Session(
            server_url=ftrack_server.url,
            api_key="wrong",
            api_user=ftrack_server.api_user,
            schema_cache_path=False,
            auto_connect_event_hub=False,
        )
    response = requests.post(
        f"{ftrack_server.url}/api",
        json=[],
        headers={"ftrack-user": "admin", "ftrack-api-key": "nope", "ftrack-strict-api": "true"},
        timeout=5,
    )
    assert response.status_code == 401
    assert response.json()["error_code"] == "api_credentials_invalid"
    assert "nope" not in response.text


def test_client_generated_query_forms(ftrack_server, ftrack_session):
    pid = ftrack_server.control.generate_project("qforms", 2, 3, 2)
    s = ftrack_session
    shots = s.query(f"Shot where project_id is {pid}").all()  # unquoted uuid
    assert len(shots) == 6
    ids = ",".join(shot["id"] for shot in shots[:3])
    rows = s.query(f"select name, status.name from Shot where id in ({ids})").all()
    assert sorted(r["id"] for r in rows) == sorted(shot["id"] for shot in shots[:3])
    assert all(r["status"]["name"] for r in rows)
    # client-side populate / auto-populate of unloaded attributes
    fresh = ftrack_api.Session(
        **{**ftrack_server.session_kwargs(), "auto_connect_event_hub": False}
    )
    try:
        shot = fresh.get("Shot", shots[0]["id"])
        assert shot["parent"]["name"].startswith("sq")
        fresh.populate(fresh.query(f"Shot where project_id is {pid}").all(), "description")
        assert fresh.query(f'Shot where id is "{shots[1]["id"]}"').one()["description"]
    finally:
        fresh.close()
    assert s.query('User where username is "admin"').one()["username"] == "admin"
    configs = s.query(
        "select key, project_id, id, object_type_id, entity_type, "
        "is_hierarchical from CustomAttributeConfiguration"
    ).all()
    assert {"ayon_id", "frameStart"} <= {c["key"] for c in configs}


def test_query_semantics(ftrack_server, ftrack_session):
    pid = ftrack_server.control.generate_project("sem", 2, 3, 2)
    s = ftrack_session
    seq = s.query(f'Sequence where project_id is "{pid}" and name is "SQ010"').one()
    children = s.query(
        f"select id from TypedContext where parent_id in "
        f'(select id from Sequence where name is "sq010" and project_id is "{pid}")'
    ).all()
    assert len(children) == 3 and all(c.entity_type == "Shot" for c in children)
    contexts = s.query(f'Context where project_id is "{pid}" or id is "{pid}"').all()
    assert {c.entity_type for c in contexts} == {"Project", "Sequence", "Shot", "Task"}
    assert (
        len(
            s.query(
                f'Shot where parent.children any (name like "sq0%sh0020") and project_id is "{pid}"'
            ).all()
        )
        == 6
    )
    assert len(s.query(f'Shot where name like "%SH0010" and project_id is {pid}').all()) == 2
    assert s.query(f'Shot where parent has (name is "sq020") and project_id is {pid}').all()
    assert not s.query(f"Task where type_id is none and project_id is {pid}").all()
    assert len(s.query(f"Task where type_id != none and project_id is {pid}").all()) == 12
    ordered = s.query(
        f'select name from Shot where project_id is "{pid}" order by name descending'
    ).all()
    assert [o["name"] for o in ordered] == sorted((o["name"] for o in ordered), reverse=True)
    assert len(s.query(f"Task where project_id is {pid} and not name is animation").all()) == 6
    assert s.query(f'Task where ancestors any (id is "{seq["id"]}")').all()
    assert len(seq["descendants"]) == 9
    link = s.query(f'select link from Task where parent.parent.id is "{seq["id"]}"').first()
    assert [item["type"] for item in link["link"]] == [
        "Project",
        "TypedContext",
        "TypedContext",
        "TypedContext",
    ]
    assert s.query(f'Project where created_at > "2000-01-01" and id is {pid}').one()
    assert not s.query('Project where created_at < "2000-01-01T00:00:00+02:00"').all()
    # offset/limit in either order, as the AYON server addon sends them
    raw = _raw_call(
        ftrack_server,
        [
            {
                "action": "query",
                "expression": f"select id from Task where project_id is {pid} "
                "order by name limit 5 offset 10",
            }
        ],
    )[0]
    assert len(raw["data"]) == 2 and raw["metadata"]["next"]["offset"] is None


def test_paging_follows_next_offset(ftrack_server, ftrack_session):
    pid = ftrack_server.control.generate_project("paging", 3, 4, 0)
    ftrack_server.stats.reset()
    shots = ftrack_session.query(f"Shot where project_id is {pid}", page_size=5).all()
    assert len(shots) == 12 and len({s["id"] for s in shots}) == 12
    assert ftrack_server.stats.actions["query"] == 3


def _raw_call(server, batch):
    response = requests.post(
        f"{server.url}/api",
        json=batch,
        timeout=10,
        headers={"ftrack-user": server.api_user, "ftrack-api-key": server.api_key},
    )
    return response.json()


def test_projection_includes_system_projections(ftrack_server):
    ftrack_server.control.generate_project("proj", 1, 1, 1)
    row = _raw_call(
        ftrack_server, [{"action": "query", "expression": "select name from Task limit 1"}]
    )[0]["data"][0]
    assert set(row) == {
        "__entity_type__",
        "id",
        "name",
        "context_type",
        "object_type_id",
        "project_id",
    }
    assert row["__entity_type__"] == "Task"


def test_parse_error_and_unknown_attribute(ftrack_session):
    with pytest.raises(ftrack_api.exception.ServerError, match="ParseError"):
        ftrack_session.call([{"action": "query", "expression": "Shot where (name is"}])
    with pytest.raises(ftrack_api.exception.ServerError, match="ValidationError"):
        ftrack_session.call([{"action": "query", "expression": "Shot where nope is 1"}])
    with pytest.raises(ftrack_api.exception.ServerError, match="Invalid action"):
        ftrack_session.call([{"action": "frobnicate"}])


def test_strict_api_returns_http_error(ftrack_server):
    session = ftrack_api.Session(
        **{**ftrack_server.session_kwargs(), "auto_connect_event_hub": False, "strict_api": True}
    )
    try:
        with pytest.raises(ftrack_api.exception.ServerError, match="ValidationError"):
            session.call([{"action": "query", "expression": "Shot where nope is 1"}])
    finally:
        session.close()
