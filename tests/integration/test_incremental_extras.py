"""Incremental links / lists / version statuses against both emulators through the real clients.

Each test syncs a generated project with the real full-sync workflow first, then changes
ftrack through ``ftrack_api`` (the emulator publishes the change events like a real server),
turns the hub's events into a ``BatchScope`` with the product's own decoding, coalescing and
``batch_scope``, and calls ``apply_extras`` with a real ``Connections``. Assertions look at
AYON (and ftrack, for write-backs), then call again to check that nothing more is written,
and spy on the scoped readers to check that nothing outside the scope was read.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ayon_api
import ftrack_api
import pytest
from temporalio.testing import WorkflowEnvironment

from ayon_ftrack_sync.activities.connections import Connections
from ayon_ftrack_sync.activities.full_sync import FullSyncActivities
from ayon_ftrack_sync.activities.full_sync_extras import FullSyncExtrasActivities
from ayon_ftrack_sync.activities.incremental_extras import ExtrasOutcome, apply_extras
from ayon_ftrack_sync.ayon import extras as ayon_extras
from ayon_ftrack_sync.config import AppConfig
from ayon_ftrack_sync.emulators.ayon import AyonEmulator
from ayon_ftrack_sync.emulators.ftrack import FtrackEmulator
from ayon_ftrack_sync.payloads.full_sync import FullSyncInput
from ayon_ftrack_sync.settings import SyncSettings
from ayon_ftrack_sync.sync.coalesce import coalesce
from ayon_ftrack_sync.sync.events import decode_update
from ayon_ftrack_sync.sync.scope import BatchScope, batch_scope
from ayon_ftrack_sync.workflows import WORKFLOWS
from ayon_ftrack_sync.workflows.full_sync import FullSyncWorkflow
from tests.conftest import WorkerFactory
from tests.integration.test_full_sync_extras import (
    PROJECT,
    _config,
    _emulator_change_list_items,
    _ftrack_id_map,
)


def _settings(link_type: str = "breakdown") -> SyncSettings:
    return SyncSettings.model_validate(
        {"service_event_handlers": {"sync_from_ftrack": {"sync_link_type": link_type}}}
    )


@pytest.fixture
def session(ftrack_server: FtrackEmulator) -> Iterator[Any]:
    ftrack = ftrack_api.Session(
        server_url=ftrack_server.url,
        api_key=ftrack_server.api_key,
        api_user=ftrack_server.api_user,
        schema_cache_path=False,
        auto_connect_event_hub=False,
    )
    try:
        yield ftrack
    finally:
        ftrack.close()


@pytest.fixture
def api(ayon_server: AyonEmulator) -> Iterator[ayon_api.ServerAPI]:
    client = ayon_api.ServerAPI(ayon_server.url, token=ayon_server.api_key)
    try:
        yield client
    finally:
        client.close_session()


@pytest.fixture
def emulator_list_items(monkeypatch: pytest.MonkeyPatch) -> None:
    # emulator gap (see test_full_sync_extras): no PATCH /lists/{id}/items
    monkeypatch.setattr(ayon_extras, "change_list_items", _emulator_change_list_items)


class Spy:
    """Records the arguments of module functions while still calling them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.calls: dict[str, list[tuple[tuple[Any, ...], dict[str, Any]]]] = {}

    def watch(self, owner: Any, name: str) -> None:
        original: Callable[..., Any] = getattr(owner, name)
        calls = self.calls.setdefault(name, [])

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls.append((args, kwargs))
            return original(*args, **kwargs)

        self.monkeypatch.setattr(owner, name, wrapper)


async def _full_sync(
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
    config: AppConfig,
    project_id: str,
) -> None:
    """The real full sync (hierarchy and the extra phases), as a project starts out."""
    client = temporal_env.client
    activities = [*FullSyncActivities(config).all(), *FullSyncExtrasActivities(config).all()]
    async with make_worker(client, activities=activities, workflows=WORKFLOWS):
        report = await client.execute_workflow(
            FullSyncWorkflow.run,
            FullSyncInput(ftrack_project_id=project_id, create_project=True),
            id=f"ftrack-sync/project/{project_id}/full-sync/{uuid.uuid4().hex[:8]}",
            task_queue=task_queue,
        )
    assert report.project.ayon_project_name == PROJECT


def _scope(ftrack_server: FtrackEmulator, project_id: str) -> BatchScope:
    """The scope of the ftrack events published since the hub log was last cleared, as the
    incremental sync derives it (decode, coalesce, batch_scope)."""
    events = []
    for raw in list(ftrack_server.hub.log):
        if raw.get("topic") != "ftrack.update":
            continue
        decoded = decode_update(raw)
        events += [e for e in decoded.per_project if e.project_id == project_id]
    ftrack_server.hub.log.clear()
    return batch_scope(coalesce(events).changes)


def _apply(
    config: AppConfig, project_id: str, scope: BatchScope, settings: SyncSettings | None = None
) -> ExtrasOutcome:
    with Connections(config) as conn:
        return apply_extras(
            conn,
            ftrack_project_id=project_id,
            ayon_project_name=PROJECT,
            scope=scope,
            settings=settings or _settings(),
        )


def _out_links(api: ayon_api.ServerAPI) -> set[tuple[str, str]]:
    links = api.get_folders_links(PROJECT, link_types=["breakdown"], link_direction="out")
    return {(folder_id, link["entityId"]) for folder_id, ls in links.items() for link in ls}


# -- links ------------------------------------------------------------------------------------


async def test_links_are_created_and_deleted_around_the_touched_folders_only(
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
    tmp_path: Path,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
    session: Any,
    api: ayon_api.ServerAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project_id = ftrack_server.control.generate_project("extras", sequences=1, shots=5, tasks=1)
    shots = sorted(
        session.query(f'select id, name from Shot where project_id is "{project_id}"').all(),
        key=lambda s: s["name"],
    )
    task = session.query(f'Task where project_id is "{project_id}"').first()
    session.create("TypedContextLink", {"from": shots[0], "to": shots[1]})
    session.create("TypedContextLink", {"from": shots[3], "to": shots[4]})
    session.commit()
    config = _config(
        tmp_path, ftrack_server, ayon_server, link_type="breakdown", sync_versions=False
    )
    await _full_sync(temporal_env, make_worker, task_queue, config, project_id)
    folders = _ftrack_id_map(ayon_server, "folder")
    ay = [folders[s["id"]] for s in shots]
    assert _out_links(api) == {(ay[0], ay[1]), (ay[3], ay[4])}
    # a link made in AYON between folders the batch does not touch: never read, never deleted
    api.create_link(PROJECT, "breakdown", ay[4], "folder", ay[3], "folder")

    ftrack_server.hub.log.clear()
    old = session.query(
        f'TypedContextLink where from_id is "{shots[0]["id"]}" and to_id is "{shots[1]["id"]}"'
    ).one()
    session.delete(old)
    session.create("TypedContextLink", {"from": shots[1], "to": shots[2]})
    session.create("TypedContextLink", {"from": shots[0], "to": task})  # not a folder
    session.commit()
    scope = _scope(ftrack_server, project_id)
    assert scope.links == {shots[0]["id"], shots[1]["id"], shots[2]["id"], task["id"]}

    spy = Spy(monkeypatch)
    spy.watch(ayon_extras, "read_links_at_folders")
    spy.watch(ayon_extras, "read_folder_links")  # the project-wide reader: must not run
    outcome = _apply(config, project_id, scope)
    assert outcome.writes() == {"links.created": 1, "links.deleted": 1}
    assert outcome.counts["links.ignored"] == 1  # the link to a task
    assert outcome.conflicts == []
    # ftrack "from" is the AYON input (the original looked "from" up with the "to" id)
    assert _out_links(api) == {(ay[1], ay[2]), (ay[3], ay[4]), (ay[4], ay[3])}
    ((args, _),) = spy.calls["read_links_at_folders"]
    assert set(args[2]) == {ay[0], ay[1], ay[2]}  # the touched folders, not shots 3 and 4
    assert spy.calls["read_folder_links"] == []
    assert outcome.ftrack_requests <= 3

    again = _apply(config, project_id, scope)
    assert again.writes() == {}
    assert _out_links(api) == {(ay[1], ay[2]), (ay[3], ay[4]), (ay[4], ay[3])}


async def test_missing_link_type_is_a_conflict_and_skip_reads_nothing(
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
    tmp_path: Path,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
    session: Any,
    api: ayon_api.ServerAPI,
) -> None:
    project_id = ftrack_server.control.generate_project("extras", sequences=1, shots=2, tasks=1)
    config = _config(
        tmp_path, ftrack_server, ayon_server, link_type="< Skip >", sync_versions=False
    )
    await _full_sync(temporal_env, make_worker, task_queue, config, project_id)
    shots = session.query(f'select id from Shot where project_id is "{project_id}"').all()
    ftrack_server.hub.log.clear()
    session.create("TypedContextLink", {"from": shots[0], "to": shots[1]})
    session.commit()
    scope = _scope(ftrack_server, project_id)
    assert scope.links == {shots[0]["id"], shots[1]["id"]}

    missing = _apply(config, project_id, scope, _settings("nosuch"))
    assert [c.kind for c in missing.conflicts] == ["missing_link_type"]
    assert missing.counts["links.skipped_missing_type"] == 1
    assert missing.ftrack_requests == 0
    skipped = _apply(config, project_id, scope, _settings("< Skip >"))
    assert skipped.counts == {"links.disabled": 1}
    assert skipped.conflicts == [] and skipped.ftrack_requests == 0
    assert _out_links(api) == set()


# -- versions ---------------------------------------------------------------------------------


async def test_touched_version_status_is_synced_and_its_id_written_back(
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
    tmp_path: Path,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
    session: Any,
    api: ayon_api.ServerAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project_id = ftrack_server.control.generate_project(
        "extras", sequences=1, shots=2, tasks=2, versions_per_task=2
    )
    # sync_versions off: the full sync leaves versions alone, the incremental one does not
    config = _config(
        tmp_path, ftrack_server, ayon_server, link_type="< Skip >", sync_versions=False
    )
    await _full_sync(temporal_env, make_worker, task_queue, config, project_id)
    shot = session.query(f'select id from Shot where project_id is "{project_id}"').first()
    versions = session.query(
        "select id, version, asset.name, asset.context_id from AssetVersion "
        f'where asset.context_id is "{shot["id"]}"'
    ).all()
    folder = _ftrack_id_map(ayon_server, "folder")[shot["id"]]
    statuses = [s["name"] for s in api.get_project(PROJECT)["statuses"] if "version" in s["scope"]]
    ay_versions: dict[str, str] = {}
    products: dict[str, str] = {}
    for version in versions:
        name = version["asset"]["name"]
        if name not in products:
            products[name] = api.create_product(PROJECT, name, "render", folder)
        ay_versions[version["id"]] = api.create_version(
            PROJECT, version["version"], products[name], status=statuses[0]
        )
    touched, other = versions[0], versions[1]

    ftrack_server.hub.log.clear()
    touched["status"] = session.query(f'Status where name is "{statuses[1]}"').one()
    session.commit()
    scope = _scope(ftrack_server, project_id)
    assert scope.versions == {touched["id"]}

    spy = Spy(monkeypatch)
    spy.watch(ayon_extras, "read_versions")  # the project-wide reader: must not run
    outcome = _apply(config, project_id, scope)
    assert outcome.writes() == {
        "versions.status_updated": 1,
        "versions.ftrack_id_set": 1,
        "versions.ayon_id_written": 1,
    }
    assert outcome.counts["versions.matched_by_guess"] == 1
    assert spy.calls["read_versions"] == []
    mine = api.get_version_by_id(PROJECT, ay_versions[touched["id"]], fields=["status", "attrib"])
    assert mine is not None
    assert mine["status"] == statuses[1]
    assert mine["attrib"]["ftrackId"] == touched["id"]
    untouched = api.get_version_by_id(
        PROJECT, ay_versions[other["id"]], fields=["status", "attrib"]
    )
    assert untouched is not None
    assert untouched["status"] == statuses[0] and not untouched["attrib"].get("ftrackId")
    stored = ftrack_server.control.query(
        "select entity_id, value from CustomAttributeValue where entity_id in "
        f"({touched['id']},{other['id']}) and configuration.key is ayon_id"
    )
    assert {r["entity_id"]: r["value"] for r in stored if r["value"]} == {
        touched["id"]: ay_versions[touched["id"]]
    }

    assert _apply(config, project_id, scope).writes() == {}

    # the next change finds the pair through the stored ayon_id, without guessing
    touched["status"] = session.query(f'Status where name is "{statuses[0]}"').one()
    session.commit()
    later = _apply(config, project_id, _scope(ftrack_server, project_id))
    assert later.writes() == {"versions.status_updated": 1}
    assert later.counts["versions.matched_by_ayon_id"] == 1


# -- lists ------------------------------------------------------------------------------------


def _list_items(api: ayon_api.ServerAPI, list_id: str) -> list[str]:
    rest = api.get_entity_list_rest(PROJECT, list_id) or {}
    return [item["entityId"] for item in rest.get("items") or []]


def _ayon_lists(api: ayon_api.ServerAPI) -> dict[str, dict[str, Any]]:
    return {
        lst["label"]: lst
        for lst in api.get_entity_lists(
            PROJECT, fields=["id", "label", "entityType", "attrib.ftrackId"]
        )
    }


def _list_type(ftrack_server: FtrackEmulator, list_id: str) -> Any:
    rows = ftrack_server.control.query(
        "select value from CustomAttributeValue where "
        f"entity_id is {list_id} and configuration.key is ayon_list_type"
    )
    return rows[0]["value"] if rows else None


async def test_touched_lists_are_created_renamed_refilled_reverted_and_deleted(
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
    tmp_path: Path,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
    session: Any,
    api: ayon_api.ServerAPI,
    emulator_list_items: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project_id = ftrack_server.control.generate_project(
        "extras", sequences=1, shots=3, tasks=2, lists=2
    )
    lists = {
        lst["name"]: lst
        for lst in session.query(f'TypedContextList where project_id is "{project_id}"')
    }
    lists["list1"]["custom_attributes"]["ayon_list_type"] = ["task"]
    lists["list2"]["custom_attributes"]["ayon_list_type"] = ["task"]
    session.commit()
    config = _config(
        tmp_path, ftrack_server, ayon_server, link_type="< Skip >", sync_versions=False
    )
    await _full_sync(temporal_env, make_worker, task_queue, config, project_id)
    tasks = _ftrack_id_map(ayon_server, "task")
    folders = _ftrack_id_map(ayon_server, "folder")
    before = _ayon_lists(api)
    list1, list2 = before["list1"]["id"], before["list2"]["id"]
    list2_items = _list_items(api, list2)
    assert list2_items  # the full sync filled it

    # -- rename list1, drop one item, add another -----------------------------------------
    items = session.query(
        f'select id, entity_id from ListObject where list_id is "{lists["list1"]["id"]}"'
    ).all()
    in_list = {item["entity_id"] for item in items}
    extra = next(
        t
        for t in session.query(f'select id from Task where project_id is "{project_id}"')
        if t["id"] not in in_list
    )
    ftrack_server.hub.log.clear()
    lists["list1"]["name"] = "List One"
    session.delete(items[0])
    session.commit()  # two commits (one batch): the client resends the whole collection
    lists["list1"]["items"].append(extra)
    session.commit()
    scope = _scope(ftrack_server, project_id)
    assert scope.lists == {lists["list1"]["id"]}

    spy = Spy(monkeypatch)
    spy.watch(ayon_api.ServerAPI, "get_entity_list_rest")
    outcome = _apply(config, project_id, scope)
    assert outcome.writes() == {
        "lists.renamed": 1,
        "lists.items_added": 1,
        "lists.items_removed": 1,
    }
    read_lists = {args[2] for args, _ in spy.calls["get_entity_list_rest"]}
    assert read_lists == {list1}  # list2 is not in the batch: its items are never read
    expected = {tasks[i] for i in in_list - {items[0]["entity_id"]}} | {tasks[extra["id"]]}
    assert set(_list_items(api, list1)) == expected
    assert _ayon_lists(api)["List One"]["id"] == list1
    assert _list_items(api, list2) == list2_items
    assert _apply(config, project_id, scope).writes() == {}

    # -- a new list, then its type changed in ftrack (reverted), then removed --------------
    shots = session.query(f'select id from Shot where project_id is "{project_id}"').all()
    new = session.create(
        "TypedContextList",
        {
            "name": "Shots to fix",
            "project": session.get("Project", project_id),
            "category": session.query("ListCategory").first(),
        },
    )
    session.commit()
    new["custom_attributes"]["ayon_list_type"] = ["folder"]
    for shot in shots[:2]:
        new["items"].append(shot)
    session.commit()
    scope = _scope(ftrack_server, project_id)
    assert scope.lists == {new["id"]}
    created = _apply(config, project_id, scope)
    assert created.writes() == {"lists.created": 1, "lists.items_added": 2}
    made = _ayon_lists(api)["Shots to fix"]
    assert made["entityType"] == "folder" and made["attrib"]["ftrackId"] == new["id"]
    assert set(_list_items(api, made["id"])) == {folders[s["id"]] for s in shots[:2]}
    assert _apply(config, project_id, scope).writes() == {}

    new["custom_attributes"]["ayon_list_type"] = ["task"]
    session.commit()
    scope = _scope(ftrack_server, project_id)
    assert scope.lists == {new["id"]}
    reverted = _apply(config, project_id, scope)
    assert reverted.writes() == {"lists.type_reverted": 1}
    assert _list_type(ftrack_server, new["id"]) == ["folder"]
    assert _ayon_lists(api)["Shots to fix"]["entityType"] == "folder"
    assert set(_list_items(api, made["id"])) == {folders[s["id"]] for s in shots[:2]}
    echo = _scope(ftrack_server, project_id)  # the revert's own ftrack event comes back
    assert echo.lists == {new["id"]}
    assert _apply(config, project_id, echo).writes() == {}

    session.delete(new)
    session.commit()
    scope = _scope(ftrack_server, project_id)
    assert new["id"] in scope.lists
    deleted = _apply(config, project_id, scope)
    assert deleted.writes() == {"lists.deleted": 1}
    assert set(_ayon_lists(api)) == {"List One", "list2"}
    assert _apply(config, project_id, scope).writes() == {}


async def test_a_new_version_list_gets_the_matched_versions(
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
    tmp_path: Path,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
    session: Any,
    api: ayon_api.ServerAPI,
    emulator_list_items: None,
) -> None:
    project_id = ftrack_server.control.generate_project(
        "extras", sequences=1, shots=1, tasks=1, versions_per_task=2
    )
    config = _config(
        tmp_path, ftrack_server, ayon_server, link_type="< Skip >", sync_versions=False
    )
    await _full_sync(temporal_env, make_worker, task_queue, config, project_id)
    shot = session.query(f'select id from Shot where project_id is "{project_id}"').first()
    versions = session.query(
        f'select id, version, asset.name from AssetVersion where asset.context_id is "{shot["id"]}"'
    ).all()
    folder = _ftrack_id_map(ayon_server, "folder")[shot["id"]]
    ay_versions: dict[str, str] = {}
    products: dict[str, str] = {}
    for version in versions:
        name = version["asset"]["name"]
        if name not in products:
            products[name] = api.create_product(PROJECT, name, "render", folder)
        ay_versions[version["id"]] = api.create_version(PROJECT, version["version"], products[name])

    ftrack_server.hub.log.clear()
    dailies = session.create(
        "AssetVersionList",
        {
            "name": "Dailies",
            "project": session.get("Project", project_id),
            "category": session.query("ListCategory").first(),
        },
    )
    for version in versions[:2]:
        dailies["items"].append(version)
    session.commit()
    scope = _scope(ftrack_server, project_id)
    assert scope.lists == {dailies["id"]}
    outcome = _apply(config, project_id, scope)
    assert outcome.writes() == {"lists.created": 1, "lists.items_added": 2}
    made = _ayon_lists(api)["Dailies"]
    assert made["entityType"] == "version"
    assert set(_list_items(api, made["id"])) == {ay_versions[v["id"]] for v in versions[:2]}
    assert _apply(config, project_id, scope).writes() == {}
