"""The ftrack gateway against the emulator through the real ``ftrack_api`` client.

Expected values are taken from the emulator's server-side query (no HTTP, no gateway code), so
the gateway's bulk reads are checked against an independent path.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

import pytest

from ayon_ftrack_sync.config import FtrackConfig
from ayon_ftrack_sync.emulators.ftrack import FtrackEmulator
from ayon_ftrack_sync.emulators.ftrack.schemas import OBJECT_TYPE_IDS
from ayon_ftrack_sync.ftrack import (
    FtrackCredentialsRejected,
    FtrackError,
    FtrackNotConfigured,
    FtrackProjectNotFound,
    FtrackUnavailable,
    LinkAttributesPermissionError,
    ensure_link_attributes,
    open_session,
    read_attribute_configurations,
    read_project,
    write_links,
)
from ayon_ftrack_sync.ftrack import transport as transport_module
from ayon_ftrack_sync.ftrack.errors import FtrackPermissionDenied
from ayon_ftrack_sync.ftrack.link_attributes import ensure_link_attributes_detailed
from ayon_ftrack_sync.settings import (
    AyonAttr,
    CustomAttributesMappingModel,
    SyncSettings,
    resolve_attribute_mapping,
)
from ayon_ftrack_sync.sync.apply import apply_to_ayon, apply_to_ftrack
from ayon_ftrack_sync.sync.hierarchy import plan_hierarchy
from ayon_ftrack_sync.sync.identity import ayon_id_for
from ayon_ftrack_sync.sync.model import AyonProject, FtrackProject, Kind
from ayon_ftrack_sync.sync.plan import FtrackKey, FtrackWrite

AYON_TYPES = {
    "frameStart": "integer",
    "frameEnd": "integer",
    "fps": "float",
    "handleStart": "integer",
    "handleEnd": "integer",
    "resolutionWidth": "integer",
    "resolutionHeight": "integer",
    "clipIn": "integer",
    "clipOut": "integer",
    "startDate": "datetime",
    "endDate": "datetime",
    "description": "string",
    "ftrackId": "string",
    "ftrackPath": "string",
}
ALL_ROLES = {"Administrator", "API", "Project Manager", "Supervisor", "User"}


def _config(server: FtrackEmulator, **overrides: Any) -> FtrackConfig:
    values = {
        "FTRACK_SERVER": server.url,
        "FTRACK_API_USER": server.api_user,
        "FTRACK_API_KEY": server.api_key,
        **overrides,
    }
    return FtrackConfig(**values)


def _mapping(session: Any) -> Any:
    """Legacy mode: the emulator's frame attributes are hierarchical, keyed by AYON names."""
    return resolve_attribute_mapping(
        CustomAttributesMappingModel(enabled=False),
        read_attribute_configurations(session),
        [AyonAttr(name, builtin=True) for name in AYON_TYPES],
    )


def _read(session: Any, project: str, **kwargs: Any) -> Any:
    return read_project(
        session, project, mapping=_mapping(session), ayon_attribute_types=AYON_TYPES, **kwargs
    )


def _paths(project: FtrackProject) -> dict[str, str]:
    paths: dict[str, str] = {}
    for node in project.walk():  # parents first
        paths[node.id] = paths.get(node.parent_id, "") + "/" + node.name
    return paths


# -- session ---------------------------------------------------------------------------------


def test_open_session_as_configured_user(ftrack_server: FtrackEmulator) -> None:
    session = open_session(_config(ftrack_server))
    try:
        assert session.api_user == ftrack_server.api_user
        assert session.event_hub.connected is False
        result = session.call([{"action": "query", "expression": "select id from Project"}])
        assert result[0]["action"] == "query"
    finally:
        session.close()


def test_schema_cache_dir_spares_the_schema_download(
    ftrack_server: FtrackEmulator, tmp_path: Any
) -> None:
    cache = tmp_path / "schemas"
    downloads = []
    for _ in range(2):
        ftrack_server.stats.reset()
        open_session(_config(ftrack_server), schema_cache_dir=cache).close()
        downloads.append(ftrack_server.stats.actions["query_schemas"])
    assert downloads == [1, 0]  # the second session found the schemas in the cache
    assert (cache / "ftrack_api_schema_cache.json").is_file()


def test_open_session_errors_never_show_the_key(
    ftrack_server: FtrackEmulator, tmp_path: Any
) -> None:
    wrong = "not-the-key-0123456789abcdef"
    with pytest.raises(FtrackCredentialsRejected) as rejected:
        open_session(_config(ftrack_server, FTRACK_API_KEY=wrong), schema_cache_dir=tmp_path)
    assert wrong not in str(rejected.value)
    assert ftrack_server.api_user in str(rejected.value)

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(FtrackUnavailable) as unavailable:
        open_session(_config(ftrack_server, FTRACK_SERVER=f"http://127.0.0.1:{port}"))
    assert ftrack_server.api_key not in str(unavailable.value)

    with pytest.raises(FtrackNotConfigured, match="api_key"):
        open_session(FtrackConfig(FTRACK_SERVER=ftrack_server.url, FTRACK_API_USER="x"))


# -- link attributes -------------------------------------------------------------------------


def _link_confs(server: FtrackEmulator) -> dict[str, dict[str, Any]]:
    rows = server.control.query(
        "select id, key, entity_type, is_hierarchical, default, config, type.name, group.name, "
        "read_security_roles.name, write_security_roles.name from CustomAttributeConfiguration"
    )
    return {row["key"]: row for row in rows}


def _role_names(row: dict[str, Any], which: str) -> set[str]:
    return {role["name"] for role in row[f"{which}_security_roles"]}


def test_link_attributes_created_with_roles_and_idempotent(
    ftrack_server: FtrackEmulator, ftrack_session: Any
) -> None:
    settings = SyncSettings()
    ids = ensure_link_attributes(ftrack_session, settings)

    confs = _link_confs(ftrack_server)
    assert set(ids) == {
        "ayon_id",
        "ayon_path",
        "ayon_sync_failed",
        "auto_sync_enabled",
        "ayon_list_type",
    }
    assert {key: confs[key]["id"] for key in ids} == ids
    assert all(confs[key]["group"]["name"] == "ayon" for key in ids)
    for key in ("ayon_id", "ayon_path"):
        assert confs[key]["is_hierarchical"] is True
        assert confs[key]["type"]["name"] == "text"
        # settings leave these roles empty: every role may read and write
        assert _role_names(confs[key], "read") == ALL_ROLES
        assert _role_names(confs[key], "write") == ALL_ROLES
    failed = confs["ayon_sync_failed"]
    assert (failed["is_hierarchical"], failed["type"]["name"], failed["default"]) == (
        True,
        "boolean",
        False,
    )
    assert _role_names(failed, "read") == {"API", "Administrator"}
    assert _role_names(failed, "write") == {"API", "Administrator"}
    auto = confs["auto_sync_enabled"]
    assert (auto["is_hierarchical"], auto["entity_type"], auto["default"]) == (False, "show", False)
    list_type = confs["ayon_list_type"]
    assert (list_type["entity_type"], list_type["type"]["name"]) == ("list", "enumerator")
    assert list_type["default"] == ["folder"]
    assert "version" in list_type["config"]

    # a second run finds everything as wanted and writes nothing
    ftrack_server.stats.reset()
    again = ensure_link_attributes_detailed(ftrack_session, settings)
    assert dict(again.ids) == ids
    assert (again.created, again.updated) == ((), ())
    assert ftrack_server.stats.http_requests == 1
    assert not {"create", "update"} & set(ftrack_server.stats.actions)

    # changed roles in settings: only that attribute is updated, ids stay
    settings = SyncSettings.model_validate(
        {
            "custom_attributes": {
                "mandatory_attributes": {"ayon_id": {"write_security_roles": ["api"]}}
            }
        }
    )
    assert settings.custom_attributes.mandatory_attributes.ayon_sync_failed.read_security_roles
    changed = ensure_link_attributes_detailed(ftrack_session, settings)
    assert dict(changed.ids) == ids
    assert changed.updated == ("ayon_id",)
    assert _role_names(_link_confs(ftrack_server)["ayon_id"], "write") == {"API"}


def test_link_attributes_repairs_existing_ones(
    ftrack_server: FtrackEmulator, ftrack_session: Any
) -> None:
    seeded = ftrack_server.control.add_ayon_attributes()  # no roles set
    result = ensure_link_attributes_detailed(ftrack_session, SyncSettings())
    assert dict(result.ids) == seeded
    assert result.created == ()
    assert set(result.updated) == set(seeded)
    confs = _link_confs(ftrack_server)
    assert _role_names(confs["ayon_sync_failed"], "write") == {"API", "Administrator"}
    assert len([row for row in confs.values() if row["key"] == "ayon_id"]) == 1


def test_link_attributes_permission_failure_says_what_to_do(
    ftrack_server: FtrackEmulator, ftrack_session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_call = transport_module.FtrackApi.call

    def refuse_writes(self: Any, batch: Any) -> Any:
        if any(action["action"] != "query" for action in batch):
            raise FtrackPermissionDenied(
                "ftrack refused the request: PermissionError: not allowed",
                exception="PermissionError",
            )
        return real_call(self, batch)

    monkeypatch.setattr(transport_module.FtrackApi, "call", refuse_writes)
    with pytest.raises(LinkAttributesPermissionError) as caught:
        ensure_link_attributes(ftrack_session, SyncSettings())
    message = str(caught.value)
    assert "Manage settings" in message
    assert "Create/Update Custom Attributes" in message
    assert ftrack_server.api_user in message
    assert ftrack_server.api_key not in message
    assert _link_confs(ftrack_server) == {}


def test_server_error_bodies_map_to_gateway_errors() -> None:
    permission = transport_module._server_error(
        {"exception": "PermissionError", "content": "no"}, 200
    )
    assert isinstance(permission, FtrackPermissionDenied)
    credentials = transport_module._server_error(
        {"exception": "X", "content": "", "error_code": "api_credentials_invalid"}, 401
    )
    assert isinstance(credentials, FtrackCredentialsRejected)
    assert isinstance(
        transport_module._server_error({"exception": "ServerError", "content": ""}, 503),
        FtrackUnavailable,
    )


# -- reading ---------------------------------------------------------------------------------


@pytest.fixture
def small_project(ftrack_server: FtrackEmulator) -> dict[str, Any]:
    """2 sequences x 3 shots x 2 tasks, plus a Milestone, explicit links and odd values."""
    control = ftrack_server.control
    project_id = control.generate_project("gw", sequences=2, shots=3, tasks=2)
    shots = control.query(f'select id, name from Shot where project_id is "{project_id}"')
    shot = min(shots, key=lambda row: row["name"])
    tasks = control.query(
        f'select id, name from Task where parent_id is "{shot["id"]}" order by name'
    )
    with control.as_user("jane.doe") as ui:
        milestone = ui.create(
            "Milestone",
            {"name": "delivery", "parent": {"__entity_type__": "Project", "id": project_id}},
        )
        ui.set_custom_attribute(shot["id"], "ayon_id", "a" * 32)
        ui.set_custom_attribute(shot["id"], "ayon_path", "/sq010/sq010sh0010")
        ui.set_custom_attribute(tasks[0]["id"], "ayon_sync_failed", True)
        ui.set_custom_attribute(tasks[1]["id"], "ayon_id", "")
        ui.set_custom_attribute(tasks[1]["id"], "frameStart", 1001.5)  # not an integer
        ui.update(  # a date picked in a UTC+2 browser (ftrack stores local midnight)
            "Task",
            tasks[0]["id"],
            {"start_date": {"__type__": "datetime", "value": "2024-10-29T22:00:00"}},
        )
    users = {row["username"]: row["id"] for row in control.query("select id, username from User")}
    return {
        "project_id": project_id,
        "shot": shot,
        "tasks": tasks,
        "milestone": milestone["id"],
        "users": users,
    }


def test_read_project_snapshot(
    ftrack_server: FtrackEmulator, ftrack_session: Any, small_project: dict[str, Any]
) -> None:
    control = ftrack_server.control
    project_id = small_project["project_id"]
    alice = small_project["users"]["artist1.gw"]
    read = _read(ftrack_session, "gw", user_map={alice: "alice"})
    nodes = read.project.nodes

    assert read.project.id == project_id
    assert (read.project.name, read.code) == ("Gw", "gw")
    expected = control.query(
        "select id, name, parent_id, object_type.name, type.name, status.name "
        f'from TypedContext where project_id is "{project_id}"'
    )
    assert small_project["milestone"] in {row["id"] for row in expected}
    expected = [row for row in expected if row["object_type"]["name"] != "Milestone"]
    assert set(nodes) == {row["id"] for row in expected}
    assert len(nodes) == 2 + 6 + 12
    for row in expected:
        node = nodes[row["id"]]
        is_task = row["object_type"]["name"] == "Task"
        assert node.kind is (Kind.TASK if is_task else Kind.FOLDER)
        assert node.type_name == (row["type"]["name"] if is_task else row["object_type"]["name"])
        assert node.status == row["status"]["name"]
        assert (node.name, node.parent_id) == (row["name"], row["parent_id"])
    assert {n.type_name for n in nodes.values() if n.kind is Kind.FOLDER} == {"Sequence", "Shot"}
    paths = _paths(read.project)
    assert len(paths) == len(nodes)  # every node reachable from the project
    assert paths[small_project["shot"]["id"]] == "/sq010/sq010sh0010"

    # mapped values: explicit only, converted to the AYON types
    shot = nodes[small_project["shot"]["id"]]
    shot_values = control.query(
        f'select configuration.key, value from CustomAttributeValue where entity_id is "{shot.id}"'
    )
    stored = {row["configuration"]["key"]: row["value"] for row in shot_values}
    assert shot.attributes["frameStart"] == stored["frameStart"] == 1001
    assert isinstance(shot.attributes["frameEnd"], int)
    assert shot.attributes["frameEnd"] == int(stored["frameEnd"])
    assert shot.attributes["description"] == "Shot 1 of sequence 1"
    assert "startDate" not in shot.attributes
    assert "fps" not in shot.attributes  # inherited from the project, not set here
    assert {"fps", "frameStart", "startDate", "description"} <= shot.mapped
    assert read.project_attributes == {"fps": 25.0}

    # explicit vs inherited link values
    assert (shot.ayon_id, shot.ayon_path, shot.ayon_sync_failed) == (
        "a" * 32,
        "/sq010/sq010sh0010",
        None,
    )
    first, second = (nodes[task["id"]] for task in small_project["tasks"])
    assert (first.ayon_id, first.ayon_sync_failed) == (None, True)  # ayon_id only inherited
    assert first.attributes["startDate"] == "2024-10-30T00:00:00+00:00"  # ftrack_day applied
    assert second.ayon_id == ""  # explicitly stored empty value is reported as such
    assert "frameStart" not in second.attributes
    assert [(p.ftrack_id, p.attribute) for p in read.problems] == [(second.id, "frameStart")]

    # assignees: mapped users by AYON name, unmapped ones left out, raw ids kept
    appointments = control.query(
        'select context_id, resource_id from Appointment where type is "assignment"'
    )
    assigned: dict[str, set[str]] = {}
    for row in appointments:
        assigned.setdefault(row["context_id"], set()).add(row["resource_id"])
    assert {k: set(v) for k, v in read.assignments.items()} == assigned
    for node in nodes.values():
        wanted = {"alice"} if alice in assigned.get(node.id, set()) else set()
        assert node.assignees == wanted
    assert any(node.assignees for node in nodes.values())
    assert any(not node.assignees for node in nodes.values() if node.kind is Kind.TASK)

    # schema and users
    statuses = {status.name: status for status in read.schema.statuses}
    assert {"Not started", "In progress", "Approved"} <= set(statuses)
    assert statuses["Approved"].state == "Done"
    assert statuses["In progress"].scopes == {"folder", "task", "version"}
    assert "Shot" in read.schema.object_types
    assert "Asset Build" in read.schema.object_types
    assert {"Animation", "Compositing"} <= set(read.schema.task_types)
    assert {"artist1.gw", "artist2.gw", ftrack_server.api_user} <= {
        user.username for user in read.users
    }
    assert read.requests <= 5


def test_read_project_by_id_and_unknown_project(
    ftrack_session: Any, small_project: dict[str, Any]
) -> None:
    by_id = _read(ftrack_session, small_project["project_id"])
    assert by_id.project.id == small_project["project_id"]
    assert all(not node.assignees for node in by_id.project.nodes.values())  # no user map
    with pytest.raises(FtrackProjectNotFound):
        _read(ftrack_session, "no_such_project")


def test_small_pages_give_the_same_snapshot(
    ftrack_session: Any, small_project: dict[str, Any]
) -> None:
    whole = _read(ftrack_session, "gw")
    paged = _read(ftrack_session, "gw", page_size=3)
    assert paged.project.nodes == whole.project.nodes
    assert paged.assignments == whole.assignments
    assert paged.requests > whole.requests


def test_workflow_overrides_give_task_scope(
    ftrack_server: FtrackEmulator, ftrack_session: Any, small_project: dict[str, Any]
) -> None:
    """A status only in a task-type override workflow is still a task status."""
    control = ftrack_server.control
    schema_id = control.query(
        f'select project_schema_id from Project where id is "{small_project["project_id"]}"'
    )[0]["project_schema_id"]
    type_id = control.query('select id from Type where name is "Animation"')[0]["id"]
    with control.as_user("jane.doe") as ui:
        state = control.query('select id from State where name is "In progress"')[0]["id"]
        status = ui.create(
            "Status",
            {
                "name": "Anim Review",
                "color": "#123456",
                "sort": 50,
                "is_active": True,
                "state": {"__entity_type__": "State", "id": state},
            },
        )
        workflow = ui.create("WorkflowSchema", {"name": "anim"})
        ui.create(
            "WorkflowSchemaStatus",
            {"workflow_schema_id": workflow["id"], "status_id": status["id"]},
        )
        ui.create(
            "ProjectSchemaOverride",
            {
                "project_schema_id": schema_id,
                "workflow_schema_id": workflow["id"],
                "type_id": type_id,
            },
        )
    read = _read(ftrack_session, "gw")
    statuses = {status.name: status for status in read.schema.statuses}
    assert statuses["Anim Review"].scopes == {"task"}
    assert statuses["Anim Review"].state == "In progress"


def test_standard_attributes_map_per_object_type(
    ftrack_server: FtrackEmulator, ftrack_session: Any
) -> None:
    """Default settings: frameStart comes from the Shot-only `fstart`, not from hierarchical
    `frameStart`; other object types have no source for it (so AYON inherits)."""
    control = ftrack_server.control
    control.add_custom_attribute(
        "fstart", "number", entity_type="task", object_type_id=OBJECT_TYPE_IDS["Shot"]
    )
    control.generate_project("std", sequences=1, shots=2, tasks=1)
    shots = sorted(control.query("select id, name from Shot"), key=lambda row: row["name"])
    with control.as_user("jane.doe") as ui:
        ui.set_custom_attribute(shots[0]["id"], "fstart", 1010.0)
    mapping = resolve_attribute_mapping(
        SyncSettings().custom_attributes.attributes_mapping,
        read_attribute_configurations(ftrack_session),
        [AyonAttr(name) for name in AYON_TYPES],
    )
    nodes = read_project(
        ftrack_session, "std", mapping=mapping, ayon_attribute_types=AYON_TYPES
    ).project.nodes
    first, second = nodes[shots[0]["id"]], nodes[shots[1]["id"]]
    assert first.attributes["frameStart"] == 1010
    assert isinstance(first.attributes["frameStart"], int)
    assert "frameStart" in second.mapped and "frameStart" not in second.attributes
    assert "frameEnd" not in first.attributes  # hierarchical frameEnd is not mapped here
    for node in nodes.values():
        if node.type_name != "Shot":
            assert "frameStart" not in node.mapped
            assert "frameStart" not in node.attributes


@pytest.mark.slow
def test_read_request_count_is_small(ftrack_server: FtrackEmulator, ftrack_session: Any) -> None:
    project_id = ftrack_server.control.generate_project("big", sequences=10, shots=50, tasks=5)
    expected = ftrack_server.control.query(
        f'select id from TypedContext where project_id is "{project_id}"'
    )
    mapping = _mapping(ftrack_session)
    ftrack_server.stats.reset()
    read = read_project(ftrack_session, "big", mapping=mapping, ayon_attribute_types=AYON_TYPES)
    assert len(read.project.nodes) == len(expected) == 10 + 500 + 2500
    assert ftrack_server.stats.http_requests == read.requests
    per_100 = read.requests * 100 / len(read.project.nodes)
    assert per_100 <= 0.5, f"{read.requests} requests for {len(read.project.nodes)} entities"
    assert sum(1 for n in read.project.nodes.values() if "frameStart" in n.attributes) == 500
    assert sum(len(users) for users in read.assignments.values()) == 2500


# -- write-back ------------------------------------------------------------------------------


def _desired_writes(project: FtrackProject) -> list[FtrackWrite]:
    paths = _paths(project)
    writes = []
    for node in project.walk():
        writes.append(FtrackWrite(node.id, FtrackKey.AYON_ID, ayon_id_for(node.id)))
        path = paths[node.id] if node.kind is Kind.FOLDER else ""
        writes.append(FtrackWrite(node.id, FtrackKey.AYON_PATH, path))
        writes.append(FtrackWrite(node.id, FtrackKey.SYNC_FAILED, node.kind is Kind.TASK))
    return writes


def test_write_back_round_trip(
    ftrack_server: FtrackEmulator, ftrack_session: Any, small_project: dict[str, Any]
) -> None:
    config_ids = ensure_link_attributes(ftrack_session, SyncSettings())
    before = _read(ftrack_session, "gw")
    writes = _desired_writes(before.project)
    ftrack_server.stats.reset()
    result = write_links(ftrack_session, writes, config_ids, batch_size=7)
    assert result.written == len(writes) == 60
    assert result.failed == []
    assert result.requests == ftrack_server.stats.http_requests == -(-60 // 7)

    after = _read(ftrack_session, "gw")
    paths = _paths(after.project)
    for node in after.project.nodes.values():
        assert node.ayon_id == ayon_id_for(node.id)
        assert node.ayon_path == (paths[node.id] if node.kind is Kind.FOLDER else "")
        assert node.ayon_sync_failed is (node.kind is Kind.TASK)
        assert node.attributes == before.project.nodes[node.id].attributes  # untouched

    # re-applying is harmless: same values, one request per batch, nothing refused
    again = write_links(ftrack_session, writes, config_ids)
    assert (again.written, again.requests, again.failed) == (60, 1, [])
    assert _read(ftrack_session, "gw").project.nodes == after.project.nodes


def test_write_back_isolates_refused_writes(
    ftrack_server: FtrackEmulator, ftrack_session: Any, small_project: dict[str, Any]
) -> None:
    config_ids = ensure_link_attributes(ftrack_session, SyncSettings())
    read = _read(ftrack_session, "gw")
    writes = [FtrackWrite(n, FtrackKey.AYON_ID, ayon_id_for(n)) for n in sorted(read.project.nodes)]
    gone = small_project["tasks"][0]["id"]
    with ftrack_server.control.as_user("jane.doe") as ui:
        ui.delete("Task", gone)
    result = write_links(ftrack_session, writes, config_ids)
    assert [failure.write.ftrack_id for failure in result.failed] == [gone]
    assert result.written == len(writes) - 1
    assert result.requests <= 2 * 5 + 1  # bisection: about 2 log2(n) requests
    stored = ftrack_server.control.query(
        "select entity_id, value from CustomAttributeValue "
        f'where configuration_id is "{config_ids["ayon_id"]}"'
    )
    assert len(stored) == len(writes) - 1


def test_write_back_needs_configuration_ids(ftrack_session: Any) -> None:
    with pytest.raises(KeyError, match="ayon_path"):
        write_links(ftrack_session, [FtrackWrite("x", FtrackKey.AYON_PATH, "")], {})


def test_planner_write_back_converges(
    ftrack_server: FtrackEmulator, ftrack_session: Any, small_project: dict[str, Any]
) -> None:
    """Read -> plan -> write back -> read: ftrack holds what the plan said, and planning the
    synced state again asks for no ftrack write."""
    config_ids = ensure_link_attributes(ftrack_session, SyncSettings())
    before = _read(ftrack_session, "gw")
    ayon = AyonProject(name="gw", nodes={})
    plan = plan_hierarchy(before.project, ayon)
    assert plan.ftrack_writes
    result = write_links(ftrack_session, plan.ftrack_writes, config_ids)
    assert result.failed == []

    after = _read(ftrack_session, "gw")
    assert after.project.nodes == apply_to_ftrack(before.project, plan).nodes
    again = plan_hierarchy(after.project, apply_to_ayon(ayon, plan))
    assert again.ftrack_writes == []


@pytest.mark.parametrize("kind", ["5xx", "timeout"])
def test_transient_server_failures_are_retryable_errors(
    ftrack_server: FtrackEmulator, ftrack_session: Any, small_project: dict[str, Any], kind: str
) -> None:
    mapping = _mapping(ftrack_session)
    ftrack_server.control.set_error_rate(1.0, kinds=(kind,), timeout_hang_s=0.05)
    with pytest.raises(FtrackUnavailable) as caught:
        read_project(ftrack_session, "gw", mapping=mapping, ayon_attribute_types=AYON_TYPES)
    assert ftrack_server.api_key not in str(caught.value)
    with pytest.raises(FtrackUnavailable):
        write_links(
            ftrack_session,
            [FtrackWrite(small_project["project_id"], FtrackKey.AYON_ID, "x")],
            {"ayon_id": "conf"},
        )


def test_closed_session_is_reported(ftrack_server: FtrackEmulator) -> None:
    session = open_session(_config(ftrack_server))
    session.close()
    with pytest.raises(FtrackError, match="closed"):
        read_attribute_configurations(session)


def test_the_key_never_reaches_the_logs(
    ftrack_server: FtrackEmulator, small_project: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    session = open_session(_config(ftrack_server))
    try:
        config_ids = ensure_link_attributes(session, SyncSettings())
        read = _read(session, "gw")
        write_links(session, _desired_writes(read.project), config_ids)
    finally:
        session.close()
    with pytest.raises(FtrackCredentialsRejected):
        open_session(_config(ftrack_server, FTRACK_API_KEY="wrong-key-3b9f"))
    assert "ftrack project read" in caplog.text
    assert ftrack_server.api_key not in caplog.text
    assert "wrong-key-3b9f" not in caplog.text
