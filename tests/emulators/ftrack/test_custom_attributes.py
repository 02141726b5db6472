"""Custom attributes: dense reads with defaults, upserts, typed validation, filters."""

from __future__ import annotations

import collections

import ftrack_api
import ftrack_api.exception
import ftrack_api.operation
import pytest


@pytest.fixture
def pid(ftrack_server):
    return ftrack_server.control.generate_project("ca", 1, 2, 1)


def test_dense_read_with_defaults(ftrack_session, pid):
    shot = ftrack_session.query(f"Shot where project_id is {pid}").first()
    keys = set(shot["custom_attributes"].keys())
    assert {"ayon_id", "ayon_path", "ayon_sync_failed", "frameStart", "fps"} <= keys
    assert "auto_sync_enabled" not in keys  # a project ("show") attribute only
    assert shot["custom_attributes"]["ayon_sync_failed"] is False
    assert shot["custom_attributes"]["fps"] == 25.0
    project = ftrack_session.get("Project", pid)
    assert project["custom_attributes"]["auto_sync_enabled"] is False
    lst = ftrack_session.create(
        "TypedContextList",
        {"name": "l", "project": project, "category": ftrack_session.query("ListCategory").first()},
    )
    ftrack_session.commit()
    assert lst["custom_attributes"]["ayon_list_type"] == ["folder"]


def test_write_persists_and_table_is_sparse(ftrack_server, ftrack_session, pid):
    s = ftrack_session
    shot = s.query(f"Shot where project_id is {pid}").first()
    assert not ftrack_server.control.query(
        f'select value from CustomAttributeValue where entity_id is "{shot["id"]}" '
        f'and configuration.key is "ayon_id"'
    )
    shot["custom_attributes"]["ayon_id"] = "abc"
    shot["custom_attributes"]["ayon_sync_failed"] = True
    s.commit()
    rows = ftrack_server.control.query(
        f"select value, configuration.key from CustomAttributeValue where entity_id is "
        f'"{shot["id"]}" and configuration.key in ("ayon_id", "ayon_sync_failed")'
    )
    assert {r["configuration"]["key"]: r["value"] for r in rows} == {
        "ayon_id": "abc",
        "ayon_sync_failed": True,
    }
    assert (
        s.query(
            f'Shot where custom_attributes any (key is "ayon_id" and value is "ABC")'
            f" and project_id is {pid}"
        ).one()["id"]
        == shot["id"]
    )
    assert (
        s.query(
            'Shot where custom_attributes.configuration.key is "ayon_id" and '
            'custom_attributes.value is "abc"'
        ).one()["id"]
        == shot["id"]
    )


def test_set_on_new_entity_in_same_batch(ftrack_server, ftrack_session, pid):
    s = ftrack_session
    seq = s.query(f"Sequence where project_id is {pid}").first()
    shot = s.create("Shot", {"name": "brandnew", "parent": seq})
    shot["custom_attributes"]["frameStart"] = 1010
    s.commit()
    conf = s.query('CustomAttributeConfiguration where key is "frameStart"').one()
    row = ftrack_server.control.query(
        f"select value from ContextCustomAttributeValue where configuration_id is "
        f'"{conf["id"]}" and entity_id is "{shot["id"]}"'
    )
    assert row[0]["value"] == 1010


def test_raw_operations_like_ayon_ftrack(ftrack_server, ftrack_session, pid):
    s = ftrack_session
    shot = s.query(f"Shot where project_id is {pid}").first()
    conf = s.query('CustomAttributeConfiguration where key is "ayon_path"').one()
    key = collections.OrderedDict(configuration_id=conf["id"], entity_id=shot["id"])
    s.recorded_operations.push(
        ftrack_api.operation.CreateEntityOperation(
            "CustomAttributeValue", key, {"value": "/sq010/sh"}
        )
    )
    s.commit()
    s.recorded_operations.push(
        ftrack_api.operation.UpdateEntityOperation(
            "CustomAttributeValue", key, "value", "/sq010/sh", "/x"
        )
    )
    s.commit()
    rows = s.query(
        f"select value, entity_id from CustomAttributeValue where entity_id in "
        f'("{shot["id"]}") and configuration_id in ("{conf["id"]}")'
    ).all()
    assert [r["value"] for r in rows] == ["/x"]
    s.recorded_operations.push(
        ftrack_api.operation.DeleteEntityOperation("CustomAttributeValue", key)
    )
    s.commit()
    assert not ftrack_server.control.query(
        f'CustomAttributeValue where entity_id is "{shot["id"]}" and configuration_id is '
        f'"{conf["id"]}"'
    )


@pytest.mark.parametrize(
    ("key", "bad"), [("frameStart", "ten"), ("ayon_sync_failed", "yes"), ("ayon_id", 12)]
)
def test_typed_validation(ftrack_session, pid, key, bad):
    shot = ftrack_session.query(f"Shot where project_id is {pid}").first()
    shot["custom_attributes"][key] = bad
    with pytest.raises(ftrack_api.exception.ServerError, match="must be of type"):
        ftrack_session.commit()


def test_unknown_key_raises_client_side(ftrack_session, pid):
    shot = ftrack_session.query(f"Shot where project_id is {pid}").first()
    with pytest.raises(KeyError):
        shot["custom_attributes"]["no_such_key"] = 1
