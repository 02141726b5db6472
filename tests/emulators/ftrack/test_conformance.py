"""Conformance against real ftrack data in ../shared/reference/ftrack (skipped when absent)."""

from __future__ import annotations

import json
from pathlib import Path

import ftrack_api
import pytest

from ayon_ftrack_sync.emulators.ftrack.schemas import registry

REFERENCE = Path(__file__).resolve().parents[4] / "shared" / "reference" / "ftrack"
needs_reference = pytest.mark.skipif(not REFERENCE.is_dir(), reason="reference data not available")


def _load(name):
    return json.loads((REFERENCE / name).read_text())


@needs_reference
def test_every_schema_agrees_with_real_dump():
    real = {s["id"]: s for s in _load("query_schemas.json")}
    problems = []
    for schema in registry().schemas:
        ref = real.get(schema["id"])
        if ref is None:
            problems.append(f"{schema['id']}: not a real type")
            continue
        for key in ("primary_key", "default_projections", "alias_for"):
            if schema.get(key) != ref.get(key):
                problems.append(f"{schema['id']}.{key}: {schema.get(key)} != {ref.get(key)}")
        for name, prop in schema["properties"].items():
            ref_prop = ref["properties"].get(name)
            if ref_prop is None:
                problems.append(f"{schema['id']}.{name}: unknown property")
                continue
            for key in ("type", "$ref", "items", "format", "alias_for", "default"):
                if prop.get(key) != ref_prop.get(key):
                    problems.append(
                        f"{schema['id']}.{name}.{key}: {prop.get(key)!r} != {ref_prop.get(key)!r}"
                    )
    assert problems == []


def _shape(value):
    """Keys and value types, recursively (lists by their first element)."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


def _emitted(ftrack_server, ftrack_session, change):
    pid = ftrack_server.control.generate_project("conf", 1, 1, 1)
    ftrack_server.hub.log.clear()
    change(ftrack_session, pid)
    events = [e for e in ftrack_server.hub.log if e["topic"] == "ftrack.update"]
    assert len(events) == 1
    return events[0]


def _rename(session, pid):
    shot = session.query(f"Shot where project_id is {pid}").first()
    shot["name"] = "renamed"
    session.commit()


@needs_reference
def test_update_event_envelope_matches_real(ftrack_server, ftrack_session):
    event = _emitted(ftrack_server, ftrack_session, _rename)
    real = _load("events/update_custom_attribute_task_2022.json")
    assert set(event) == set(real) - {"in_reply_to_event"} | {"inReplyToEvent"}
    assert set(event["data"]) == set(real["data"])
    assert set(event["source"]) == set(real["source"])
    assert set(event["source"]["user"]) == set(real["source"]["user"])
    assert set(event["data"]["user"]) == set(real["data"]["user"])
    entity = event["data"]["entities"][0]
    real_entity = real["data"]["entities"][0]
    assert set(entity) == set(real_entity)
    assert set(entity["parents"][0]) == set(real_entity["parents"][0])


def _entity_of(ftrack_server, ftrack_session, change):
    entities = _emitted(ftrack_server, ftrack_session, change)["data"]["entities"]
    return next(e for e in entities if e["entityType"] == "task")


def _add(session, pid):
    seq = session.query(f"Sequence where project_id is {pid}").first()
    session.create("Shot", {"name": "added", "parent": seq})
    session.commit()


def _remove(session, pid):
    task = session.query(f"Task where project_id is {pid}").first()
    session.delete(task)
    session.commit()


def _custom(session, pid):
    shot = session.query(f"Shot where project_id is {pid}").first()
    shot["custom_attributes"]["frameEnd"] = 1022
    session.commit()


@needs_reference
@pytest.mark.parametrize(
    ("change", "reference"),
    [
        (_add, "update_add_shot_2019.entity.json"),
        (_remove, "update_remove_task_2019.entity.json"),
        (_rename, "update_attr_change_shot_name_2019.entity.json"),
        (_custom, "update_custom_attribute_shot_2024.entities.json"),
    ],
)
def test_entity_items_match_real_shapes(ftrack_server, ftrack_session, change, reference):
    entity = _entity_of(ftrack_server, ftrack_session, change)
    real = _load(f"events/{reference}")
    if isinstance(real, list):
        real = real[0][0]
    shape, real_shape = _shape(entity), _shape(real)
    # 2019 dumps predate entity_type inside parents[]; compare the common keys there
    shape["parents"] = [
        {k: v for k, v in shape["parents"][0].items() if k in real_shape["parents"][0]}
    ]
    # null values carry no type in the dumps: compare types only where both are non-null
    for key, value in list(real_shape["changes"].items()):
        mine = shape["changes"].get(key)
        assert mine is not None, f"missing change column {key}"
        for side in ("new", "old"):
            if "NoneType" not in (value[side], mine[side]):
                assert mine[side] == value[side], (key, side)
        shape["changes"][key] = value
    assert set(shape["changes"]) == set(real_shape["changes"])
    shape["changes"] = real_shape["changes"]
    assert shape == real_shape


@needs_reference
def test_move_event_matches_real_shape(ftrack_server, ftrack_session):
    pid = ftrack_server.control.generate_project("mv", 1, 1, 0)
    _move_prepared = ftrack_session.query(f"Shot where project_id is {pid}").first()
    seq = ftrack_session.create(
        "Sequence", {"name": "other", "parent": ftrack_session.get("Project", pid)}
    )
    ftrack_session.commit()
    ftrack_server.hub.log.clear()
    _move_prepared["parent"] = seq
    ftrack_session.commit()
    entity = ftrack_server.hub.log[-1]["data"]["entities"][0]
    real = _load("events/update_move_shot_2019.entity.json")
    assert set(entity) == set(real)
    assert entity["keys"] == real["keys"] == ["parent_id"]
    assert _shape(entity["changes"]) == _shape(real["changes"])


@needs_reference
def test_replay_real_query_fixture_shape(ftrack_server):
    ftrack_server.control.generate_project("fx", 1, 1, 2)
    import requests

    for name, expression in [
        ("query_select_name_from_task_limit_1.json", "select name from Task limit 1"),
        (
            "query_select_name,_created_at_from_task_limit_1.json",
            "select name, created_at from Task limit 1",
        ),
    ]:
        real = _load(name)
        mine = requests.post(
            f"{ftrack_server.url}/api",
            timeout=5,
            json=[{"action": "query", "expression": expression}],
            headers={
                "ftrack-user": ftrack_server.api_user,
                "ftrack-api-key": ftrack_server.api_key,
            },
        ).json()[0]
        assert _shape(mine) == _shape(real)


@needs_reference
def test_real_schema_dump_still_loads_in_client(ftrack_server):
    # sanity: the hash algorithm matches the real server's for the real dump
    import hashlib

    real = _load("query_schemas.json")
    digest = hashlib.md5(json.dumps(real, sort_keys=True).encode()).hexdigest()
    assert digest == _load("query_server_information.json")["schema_hash"]
    assert ftrack_api.__name__ == "ftrack_api"
