"""AYON -> ftrack (the transmit activity) through the real clients, both emulators, a real
worker and the real `ProjectSyncWorkflow`.

A project is generated in ftrack and fully synced; a user then changes AYON through
ayon_api (sender type `test`). The AYON listener is not part of this test: the test signals
`enqueue_ayon` itself with `AyonChange`s built from the AYON emulator's events (entity list
events by hand: the emulator does not emit them), then checks ftrack. Then the echo: the
ftrack events of the transmit's writes come back through the hub and the leecher, and the
incremental sync must write nothing to AYON (its activity results, read from the workflow
history, count no writes), AYON must still hold the user's change, and a full resync must
write nothing either.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import ayon_api
import pytest

from ayon_ftrack_sync.activities.incremental_extras import WRITE_KEYS
from ayon_ftrack_sync.emulators.ayon import AyonEmulator
from ayon_ftrack_sync.payloads.project_sync import AyonChange, AyonEventBatch
from ayon_ftrack_sync.sync.identity import ftrack_id_for
from ayon_ftrack_sync.workflows.project_sync import ProjectSyncWorkflow, workflow_id_for
from tests.integration.incremental_support import Pipeline
from tests.integration.test_full_sync_rules import by_name, contexts, linked
from tests.integration.test_incremental_rules import resync_writes_nothing, synced_project

#: incremental-sync result counts that mean "wrote something"
ECHO_WRITES = frozenset({"created", "updated", "deactivated", "ftrack_writes", "project.updated"})


@pytest.fixture
def user_api(ayon_server: AyonEmulator) -> Iterator[ayon_api.ServerAPI]:
    """ayon_api as a person would use it (not the sync's sender type)."""
    api = ayon_api.ServerAPI(ayon_server.url, token=ayon_server.api_key, sender_type="test")
    try:
        yield api
    finally:
        api.close_session()


def mark(pipe: Pipeline) -> int:
    return len(pipe.ayon.control.events())


def ayon_changes(pipe: Pipeline, project: str, since: int) -> list[AyonChange]:
    """What the AYON listener would enroll: `entity.*` events of other senders."""
    changes = []
    for event in pipe.ayon.control.events()[since:]:
        topic = str(event["topic"])
        if not topic.startswith("entity.") or event.get("project") != project:
            continue
        if event.get("senderType") == "ftrack":
            continue
        summary = dict(event.get("summary") or {})
        changes.append(
            AyonChange(
                event_id=str(event["id"]),
                topic=topic,
                project_name=project,
                entity_type=topic.split(".")[1],
                entity_id=summary.get("entityId"),
                user=event.get("user"),
                summary=summary,
                payload=dict(event.get("payload") or {}),
            )
        )
    return changes


async def _history(pipe: Pipeline, project_id: str) -> list[tuple[str, dict[str, Any]]]:
    """(activity name, decoded result) of every completed activity, in order."""
    handle = pipe.client.get_workflow_handle(workflow_id_for(project_id))
    scheduled: dict[int, str] = {}
    results: list[tuple[str, dict[str, Any]]] = []
    async for event in handle.fetch_history_events():
        if event.HasField("activity_task_scheduled_event_attributes"):
            name = event.activity_task_scheduled_event_attributes.activity_type.name
            scheduled[event.event_id] = name
        elif event.HasField("activity_task_completed_event_attributes"):
            attrs = event.activity_task_completed_event_attributes
            name = scheduled.get(attrs.scheduled_event_id, "")
            payloads = attrs.result.payloads
            data = json.loads(payloads[0].data) if payloads else {}
            results.append((name, data if isinstance(data, dict) else {}))
    return results


async def transmit(
    pipe: Pipeline, project_id: str, project: str, since: int, *extra: AyonChange
) -> dict[str, Any]:
    """Send the AYON changes since `since` to the workflow, wait until they and their echo
    are handled; returns the transmit result. Asserts the echo wrote nothing to AYON."""
    changes = [*ayon_changes(pipe, project, since), *extra]
    assert changes, "no AYON change to send"
    before = len(await _history(pipe, project_id))
    handle = pipe.client.get_workflow_handle(workflow_id_for(project_id))
    await handle.signal(ProjectSyncWorkflow.enqueue_ayon, AyonEventBatch(changes=changes))
    for _ in range(5):
        if await handle.execute_update(ProjectSyncWorkflow.flush) >= 0:
            break
    status = await pipe.settle(project_id)
    assert status.stats.batches_failed == 0, status.stats.last_error
    done = (await _history(pipe, project_id))[before:]
    transmits = [result for name, result in done if name == "transmit.apply"]
    assert transmits, "the transmit activity did not run"
    seen = False
    echo: dict[str, int] = {}
    for name, result in done:
        seen = seen or name == "transmit.apply"
        if seen and name == "incremental.apply":
            for key, value in (result.get("counts") or {}).items():
                if (key in ECHO_WRITES or key in WRITE_KEYS) and value:
                    echo[key] = echo.get(key, 0) + value
    assert echo == {}, f"the echo wrote to AYON: {echo}"
    return transmits[-1]


def ftrack_values(pipe: Pipeline, entity_id: str) -> dict[str, Any]:
    rows = pipe.ftrack.control.query(
        "select configuration_id, value, configuration.key from CustomAttributeValue "
        f'where entity_id is "{entity_id}"'
    )
    return {r["configuration"]["key"]: r["value"] for r in rows}


def ftrack_row(pipe: Pipeline, entity_id: str, fields: str) -> dict[str, Any]:
    rows = pipe.ftrack.control.query(f'select {fields} from TypedContext where id is "{entity_id}"')
    assert rows, f"ftrack entity {entity_id} does not exist"
    return rows[0]


# -- tests ------------------------------------------------------------------------------------


async def test_custom_and_native_attributes_reach_ftrack(
    pipe: Pipeline, user_api: ayon_api.ServerAPI
) -> None:
    project_id, project = await synced_project(pipe, "tattr")
    ftrack = contexts(pipe.ftrack, project_id)
    shot = by_name(ftrack, "sq010sh0010")
    task = next(n for n in ftrack.values() if n["parent_id"] == shot["id"])
    synced = linked(pipe.ayon, project)
    folder, ayon_task = synced[shot["id"]], synced[task["id"]]
    since = mark(pipe)
    user_api.update_folder(
        project,
        folder["id"],
        attrib={"frameStart": 1042, "fps": 24.0, "description": "changed in AYON"},
    )
    # dates are native fields of tasks (ftrack refuses them on Shots)
    user_api.update_task(
        project, ayon_task["id"], attrib={"startDate": "2031-02-03T00:00:00+00:00"}
    )
    result = await transmit(pipe, project_id, project, since)
    assert not result["conflicts"], result
    values = ftrack_values(pipe, shot["id"])
    assert values["frameStart"] == 1042
    assert values["fps"] == 24.0
    assert ftrack_row(pipe, shot["id"], "description")["description"] == "changed in AYON"
    assert "2031-02-03T00:00" in str(ftrack_row(pipe, task["id"], "start_date")["start_date"])
    # AYON keeps the user's values (the echo did not revert them)
    attrib = pipe.ayon.control.get_entity(project, "folder", folder["id"])["attrib"]
    assert (attrib["frameStart"], attrib["fps"], attrib["description"]) == (
        1042,
        24.0,
        "changed in AYON",
    )
    task_attrib = pipe.ayon.control.get_entity(project, "task", ayon_task["id"])["attrib"]
    assert str(task_attrib["startDate"]).startswith("2031-02-03")
    await resync_writes_nothing(pipe, project_id)


async def test_unset_attribute_deletes_the_ftrack_value(
    pipe: Pipeline, user_api: ayon_api.ServerAPI
) -> None:
    project_id, project = await synced_project(pipe, "tunset")
    shot = by_name(contexts(pipe.ftrack, project_id), "sq010sh0020")
    assert "frameEnd" in ftrack_values(pipe, shot["id"])
    folder = linked(pipe.ayon, project)[shot["id"]]
    since = mark(pipe)
    user_api.update_folder(project, folder["id"], attrib={"frameEnd": None})
    await transmit(pipe, project_id, project, since)
    assert "frameEnd" not in ftrack_values(pipe, shot["id"])
    await resync_writes_nothing(pipe, project_id)


async def test_status_by_name_and_refused_status(
    pipe: Pipeline, user_api: ayon_api.ServerAPI
) -> None:
    project_id, project = await synced_project(pipe, "tstat")
    ftrack = contexts(pipe.ftrack, project_id)
    shot = by_name(ftrack, "sq010sh0010")
    task = next(n for n in ftrack.values() if n["parent_id"] == shot["id"])
    ayon_task = linked(pipe.ayon, project)[task["id"]]
    target = "Omitted" if task["status"] != "Omitted" else "Approved"
    since = mark(pipe)
    user_api.update_task(project, ayon_task["id"], status=target)
    await transmit(pipe, project_id, project, since)
    assert contexts(pipe.ftrack, project_id)[task["id"]]["status"] == target
    assert pipe.ayon.control.get_entity(project, "task", ayon_task["id"])["status"] == target
    await resync_writes_nothing(pipe, project_id)


async def test_assignees_become_appointments(pipe: Pipeline, user_api: ayon_api.ServerAPI) -> None:
    project_id, project = await synced_project(pipe, "tasg", assignees=0)
    ftrack = contexts(pipe.ftrack, project_id)
    task = next(n for n in ftrack.values() if n["type"] == "Task")
    ayon_task = linked(pipe.ayon, project)[task["id"]]
    users = {u["name"] for u in user_api.get_users(fields=["name"])}
    ftrack_users = pipe.ftrack.control.query("select id, username from User")
    user = next(u for u in ftrack_users if u["username"] in users)

    def assigned() -> set[str]:
        rows = pipe.ftrack.control.query(
            "select resource_id from Appointment where type is "
            f'"assignment" and context_id is "{task["id"]}"'
        )
        return {r["resource_id"] for r in rows}

    assert user["id"] not in assigned()
    since = mark(pipe)
    user_api.update_task(project, ayon_task["id"], assignees=[user["username"]])
    await transmit(pipe, project_id, project, since)
    assert user["id"] in assigned()
    since = mark(pipe)
    user_api.update_task(project, ayon_task["id"], assignees=[])
    await transmit(pipe, project_id, project, since)
    assert user["id"] not in assigned()
    await resync_writes_nothing(pipe, project_id)


async def test_entity_list_created_with_items(pipe: Pipeline, user_api: ayon_api.ServerAPI) -> None:
    project_id, project = await synced_project(pipe, "tlist")
    ftrack = contexts(pipe.ftrack, project_id)
    tasks = sorted(n["id"] for n in ftrack.values() if n["type"] == "Task")[:2]
    synced = linked(pipe.ayon, project)
    created = user_api.create_entity_list(
        project,
        "task",
        "dailies",
        items=[{"entityId": synced[t]["id"]} for t in tasks],
    )
    list_id = created if isinstance(created, str) else created["id"]
    change = AyonChange(
        event_id=f"list-created-{list_id}",
        topic="entity_list.created",
        project_name=project,
        entity_type="entity_list",
        entity_id=list_id,
    )
    await transmit(pipe, project_id, project, mark(pipe), change)
    lists = pipe.ftrack.control.query(
        f'select id, name, system_type from List where project_id is "{project_id}"'
    )
    made = [row for row in lists if row["name"] == "dailies"]
    assert len(made) == 1 and made[0]["id"] == ftrack_id_for(list_id)
    objects = pipe.ftrack.control.query(
        f'select entity_id from ListObject where list_id is "{made[0]["id"]}"'
    )
    assert sorted(o["entity_id"] for o in objects) == tasks
    rest = user_api.get_entity_list_rest(project, list_id) or {}
    assert rest["attrib"]["ftrackId"] == made[0]["id"]
    # items changed in AYON: one removed
    # (the emulator has no PATCH .../items: the list is patched with its remaining items)
    kept = [
        {"id": i["id"], "entityId": i["entityId"]}
        for i in rest["items"]
        if i["entityId"] != synced[tasks[0]]["id"]
    ]
    user_api.patch(f"projects/{project}/lists/{list_id}", items=kept).raise_for_status()
    change = change.model_copy(
        update={"event_id": f"list-changed-{list_id}", "topic": "entity_list.changed"}
    )
    await transmit(pipe, project_id, project, mark(pipe), change)
    objects = pipe.ftrack.control.query(
        f'select entity_id from ListObject where list_id is "{made[0]["id"]}"'
    )
    assert [o["entity_id"] for o in objects] == [tasks[1]]
    await resync_writes_nothing(pipe, project_id)


async def test_folder_and_task_created_in_ayon_reach_ftrack(
    pipe: Pipeline, user_api: ayon_api.ServerAPI
) -> None:
    project_id, project = await synced_project(pipe, "tnew")
    ftrack = contexts(pipe.ftrack, project_id)
    sq010 = by_name(ftrack, "sq010")
    parent = linked(pipe.ayon, project)[sq010["id"]]
    since = mark(pipe)
    folder_id = user_api.create_folder(
        project, "new_shot", folder_type="Shot", parent_id=parent["id"], label="new shot"
    )
    task_id = user_api.create_task(project, "comp", "Compositing", folder_id=folder_id)
    folder_types = user_api.get_project(project)["folderTypes"]
    user_api.update_project(project, folder_types=[*folder_types, {"name": "Fancy"}])
    odd_id = user_api.create_folder(project, "odd", folder_type="Fancy", parent_id=parent["id"])
    result = await transmit(pipe, project_id, project, since)
    new_fid = ftrack_id_for(folder_id)
    shot = contexts(pipe.ftrack, project_id)[new_fid]
    assert (shot["name"], shot["type"], shot["parent_id"]) == ("new shot", "Shot", sq010["id"])
    assert shot["attrs"]["ayon_id"] == folder_id
    assert shot["attrs"]["ayon_path"] == "/sq010/new_shot"
    task = contexts(pipe.ftrack, project_id)[ftrack_id_for(task_id)]
    assert (task["name"], task["parent_id"]) == ("comp", new_fid)
    folder = pipe.ayon.control.get_entity(project, "folder", folder_id)
    assert folder["attrib"]["ftrackId"] == new_fid
    assert folder["attrib"]["ftrackPath"] == "sq010/new shot"
    assert folder["active"] is True and folder["name"] == "new_shot"
    # no object type "Fancy" in ftrack: a recorded conflict, nothing created
    assert ftrack_id_for(odd_id) not in contexts(pipe.ftrack, project_id)
    assert any(c["kind"] == "no_object_type" for c in result["conflicts"]), result
    events = pipe.ayon.control.events("ftrack.sync.conflict")
    assert any("no_object_type" in json.dumps(e.get("payload")) for e in events)
    odd = pipe.ayon.control.get_entity(project, "folder", odd_id)
    assert not (odd.get("attrib") or {}).get("ftrackId")


async def test_rename_move_and_deactivate_reach_ftrack(
    pipe: Pipeline, user_api: ayon_api.ServerAPI
) -> None:
    project_id, project = await synced_project(pipe, "tplace")
    ftrack = contexts(pipe.ftrack, project_id)
    sq020 = by_name(ftrack, "sq020")
    renamed, moved = by_name(ftrack, "sq010sh0010"), by_name(ftrack, "sq010sh0020")
    doomed = by_name(ftrack, "sq020sh0010")
    moved_task = next(n for n in ftrack.values() if n["parent_id"] == moved["id"])
    synced = linked(pipe.ayon, project)
    since = mark(pipe)
    user_api.update_folder(
        project, synced[renamed["id"]]["id"], name="hero_shot", label="hero shot"
    )
    user_api.update_folder(project, synced[moved["id"]]["id"], parent_id=synced[sq020["id"]]["id"])
    user_api.update_folder(project, synced[doomed["id"]]["id"], active=False)
    await transmit(pipe, project_id, project, since)
    after = contexts(pipe.ftrack, project_id)
    assert after[renamed["id"]]["name"] == "hero shot"
    assert after[renamed["id"]]["attrs"]["ayon_path"] == "/sq010/hero_shot"
    assert after[moved["id"]]["parent_id"] == sq020["id"]
    assert after[moved["id"]]["attrs"]["ayon_path"] == "/sq020/sq010sh0020"
    assert doomed["id"] not in after
    task = pipe.ayon.control.get_entity(project, "task", synced[moved_task["id"]]["id"])
    assert task["attrib"]["ftrackPath"] == f"sq020/sq010sh0020/{moved_task['name']}"
    hero = pipe.ayon.control.get_entity(project, "folder", synced[renamed["id"]]["id"])
    assert (hero["name"], hero["label"]) == ("hero_shot", "hero shot")
    assert hero["attrib"]["ftrackPath"] == "sq010/hero shot"
    gone = pipe.ayon.control.get_entity(project, "folder", synced[doomed["id"]]["id"])
    assert gone["active"] is False
    await resync_writes_nothing(pipe, project_id)


def ftrack_task_type(pipe: Pipeline, task_id: str) -> tuple[str, str]:
    """(type id, type name) of an ftrack Task."""
    row = pipe.ftrack.control.query(f'select type_id, type.name from Task where id is "{task_id}"')
    assert row, f"ftrack task {task_id} does not exist"
    return row[0]["type_id"], row[0]["type"]["name"]


def conflict_events(pipe: Pipeline, kind: str) -> list[dict[str, Any]]:
    """The AYON `ftrack.sync.conflict` events that mention this conflict kind."""
    events = pipe.ayon.control.events("ftrack.sync.conflict")
    return [e for e in events if kind in json.dumps(e.get("payload"))]


async def test_task_type_change_reaches_ftrack(
    pipe: Pipeline, user_api: ayon_api.ServerAPI
) -> None:
    project_id, project = await synced_project(pipe, "ttype")
    task = next(n for n in contexts(pipe.ftrack, project_id).values() if n["type"] == "Task")
    ayon_task = linked(pipe.ayon, project)[task["id"]]
    before_id, before = ftrack_task_type(pipe, task["id"])
    assert ayon_task["taskType"] == before
    ftrack_types = {
        r["name"]: r["id"] for r in pipe.ftrack.control.query("select id, name from Type")
    }
    # another type both sides know (AYON's task types come from the ftrack schema)
    target = next(
        t["name"]
        for t in user_api.get_project(project)["taskTypes"]
        if t["name"] != before and t["name"] in ftrack_types
    )
    since = mark(pipe)
    user_api.update_task(project, ayon_task["id"], task_type=target)
    result = await transmit(pipe, project_id, project, since)
    assert not result["conflicts"], result
    assert ftrack_task_type(pipe, task["id"]) == (ftrack_types[target], target)
    assert before_id != ftrack_types[target]
    # the echo found nothing to do (asserted by `transmit`): AYON holds what the ftrack reader
    # makes of the new ftrack type
    assert pipe.ayon.control.get_entity(project, "task", ayon_task["id"])["taskType"] == target
    await resync_writes_nothing(pipe, project_id)


async def test_unknown_task_type_is_a_conflict_and_nothing_is_written(
    pipe: Pipeline, user_api: ayon_api.ServerAPI
) -> None:
    project_id, project = await synced_project(pipe, "ttfancy")
    task = next(n for n in contexts(pipe.ftrack, project_id).values() if n["type"] == "Task")
    ayon_task = linked(pipe.ayon, project)[task["id"]]
    before = ftrack_task_type(pipe, task["id"])
    task_types = user_api.get_project(project)["taskTypes"]
    user_api.update_project(
        project, task_types=[*task_types, {"name": "Fancy", "shortName": "fcy"}]
    )
    assert not conflict_events(pipe, "no_task_type")
    since = mark(pipe)
    user_api.update_task(project, ayon_task["id"], task_type="Fancy")
    result = await transmit(pipe, project_id, project, since)
    assert [c["kind"] for c in result["conflicts"]] == ["no_task_type"], result
    assert "Fancy" in result["conflicts"][0]["detail"]
    assert not result["counts"].get("ftrack.updated")
    assert ftrack_task_type(pipe, task["id"]) == before
    assert conflict_events(pipe, "no_task_type")
    # AYON keeps the user's type (the transmit wrote nothing back)
    assert pipe.ayon.control.get_entity(project, "task", ayon_task["id"])["taskType"] == "Fancy"


async def test_folder_type_change_is_a_conflict(
    pipe: Pipeline, user_api: ayon_api.ServerAPI
) -> None:
    project_id, project = await synced_project(pipe, "tftype")
    shot = by_name(contexts(pipe.ftrack, project_id), "sq010sh0010")
    folder = linked(pipe.ayon, project)[shot["id"]]
    assert folder["folderType"] == "Shot"
    since = mark(pipe)
    user_api.update_folder(project, folder["id"], folder_type="Sequence")
    result = await transmit(pipe, project_id, project, since)
    assert [c["kind"] for c in result["conflicts"]] == ["type_not_changeable"], result
    detail = result["conflicts"][0]["detail"]
    assert "'Shot'" in detail and "'Sequence'" in detail
    assert not result["counts"].get("ftrack.updated")
    assert contexts(pipe.ftrack, project_id)[shot["id"]]["type"] == "Shot"
    assert conflict_events(pipe, "type_not_changeable")


async def test_version_without_ftrack_id_is_matched_by_product_name(
    pipe: Pipeline, user_api: ayon_api.ServerAPI
) -> None:
    project_id, project = await synced_project(pipe, "tver", versions_per_task=1)
    shot = by_name(contexts(pipe.ftrack, project_id), "sq010sh0010")
    [version] = pipe.ftrack.control.query(
        "select id, version, asset.name, status.name from AssetVersion "
        f'where asset.context_id is "{shot["id"]}"'
    )
    folder = linked(pipe.ayon, project)[shot["id"]]
    statuses = [
        s["name"] for s in user_api.get_project(project)["statuses"] if "version" in s["scope"]
    ]
    current = version["status"]["name"]
    first, target = [s for s in statuses if s != current][:2]
    # published in AYON without an ftrackId; the product is spelt differently from the Asset
    product_id = user_api.create_product(
        project, version["asset"]["name"].upper(), "render", folder["id"]
    )
    version_id = user_api.create_version(project, version["version"], product_id, status=first)
    since = mark(pipe)
    user_api.update_version(project, version_id, status=target)
    result = await transmit(pipe, project_id, project, since)
    assert not result["conflicts"], result
    [after] = pipe.ftrack.control.query(
        f'select status.name from AssetVersion where id is "{version["id"]}"'
    )
    assert after["status"]["name"] == target
    # linked both ways, so the echo (and the next batch) find the pair without guessing
    ayon_version = user_api.get_version_by_id(project, version_id, fields=["attrib"]) or {}
    assert ayon_version["attrib"]["ftrackId"] == version["id"]
    assert ftrack_values(pipe, version["id"])["ayon_id"] == version_id
    await resync_writes_nothing(pipe, project_id)


async def test_folder_and_task_deleted_in_ayon_are_deleted_in_ftrack(
    pipe: Pipeline, user_api: ayon_api.ServerAPI
) -> None:
    project_id, project = await synced_project(pipe, "tdel")
    ftrack = contexts(pipe.ftrack, project_id)
    doomed = by_name(ftrack, "sq010sh0010")
    doomed_task = next(n for n in ftrack.values() if n["parent_id"] == doomed["id"])
    kept = by_name(ftrack, "sq020sh0010")
    kept_task = next(n for n in ftrack.values() if n["parent_id"] == kept["id"])
    synced = linked(pipe.ayon, project)
    since = mark(pipe)
    # a folder without products (its task goes with it), and a task of another folder
    user_api.delete_folder(project, synced[doomed["id"]]["id"])
    user_api.delete_task(project, synced[kept_task["id"]]["id"])
    result = await transmit(pipe, project_id, project, since)
    assert not result["conflicts"], result
    assert result["counts"]["ftrack.deleted"] == 2, result
    after = contexts(pipe.ftrack, project_id)
    assert set(after) == set(ftrack) - {doomed["id"], doomed_task["id"], kept_task["id"]}
    assert after[kept["id"]]["name"] == "sq020sh0010"
    # AYON still holds what the user left (the echo recreated nothing)
    remaining = linked(pipe.ayon, project)
    assert set(remaining) == set(after)
    await resync_writes_nothing(pipe, project_id)


async def test_deactivated_folder_with_products_is_kept_as_a_conflict(
    pipe: Pipeline, user_api: ayon_api.ServerAPI
) -> None:
    project_id, project = await synced_project(pipe, "tpub")
    ftrack = contexts(pipe.ftrack, project_id)
    shot = by_name(ftrack, "sq010sh0010")
    task = next(n for n in ftrack.values() if n["parent_id"] == shot["id"])
    synced = linked(pipe.ayon, project)
    folder = synced[shot["id"]]
    assert not pipe.ftrack.control.query(
        f'select id from AssetVersion where asset.context_id is "{shot["id"]}"'
    )
    user_api.create_product(project, "renderMain", "render", folder["id"])
    assert not conflict_events(pipe, "has_content")
    since = mark(pipe)
    user_api.update_folder(project, folder["id"], active=False)
    result = await transmit(pipe, project_id, project, since)
    assert [c["kind"] for c in result["conflicts"]] == ["has_content"], result
    assert "products" in result["conflicts"][0]["detail"]
    assert not result["counts"].get("ftrack.deleted")
    after = contexts(pipe.ftrack, project_id)
    assert shot["id"] in after and task["id"] in after
    assert conflict_events(pipe, "has_content")
    # the transmit wrote nothing back: AYON keeps the user's deactivation, the task is active
    assert pipe.ayon.control.get_entity(project, "folder", folder["id"])["active"] is False
    ayon_task = pipe.ayon.control.get_entity(project, "task", synced[task["id"]]["id"])
    assert ayon_task["active"] is True


async def test_folders_with_ftrack_versions_are_kept_as_conflicts(
    pipe: Pipeline, user_api: ayon_api.ServerAPI
) -> None:
    project_id, project = await synced_project(pipe, "tkeep", versions_per_task=1)
    ftrack = contexts(pipe.ftrack, project_id)
    deleted, sequence = by_name(ftrack, "sq010sh0010"), by_name(ftrack, "sq020")
    versions = pipe.ftrack.control.query(
        f'select id from AssetVersion where asset.parent.project_id is "{project_id}"'
    )
    assert versions
    synced = linked(pipe.ayon, project)
    below = [n for n in ftrack.values() if n["parent_id"] == sequence["id"]]
    assert below
    assert not conflict_events(pipe, "has_content")
    since = mark(pipe)
    # a shot without AYON products deleted (ftrack has versions on it), a sequence
    # deactivated (ftrack has versions on its shots)
    user_api.delete_folder(project, synced[deleted["id"]]["id"])
    user_api.update_folder(project, synced[sequence["id"]]["id"], active=False)
    result = await transmit(pipe, project_id, project, since)
    kinds = sorted((c["kind"], c["ftrack_id"]) for c in result["conflicts"])
    assert kinds == sorted([("has_content", deleted["id"]), ("has_content", sequence["id"])]), (
        result
    )
    assert all("versions" in c["detail"] for c in result["conflicts"])
    assert not result["counts"].get("ftrack.deleted")
    assert set(contexts(pipe.ftrack, project_id)) == set(ftrack)
    after = pipe.ftrack.control.query(
        f'select id from AssetVersion where asset.parent.project_id is "{project_id}"'
    )
    assert sorted(v["id"] for v in after) == sorted(v["id"] for v in versions)
    assert conflict_events(pipe, "has_content")
    # nothing deactivated in AYON below the kept sequence
    for node in below:
        folder = pipe.ayon.control.get_entity(project, "folder", synced[node["id"]]["id"])
        assert folder["active"] is True


async def test_entity_list_renamed_items_and_deleted_reach_ftrack(
    pipe: Pipeline, user_api: ayon_api.ServerAPI
) -> None:
    project_id, project = await synced_project(pipe, "tlist2")
    ftrack = contexts(pipe.ftrack, project_id)
    tasks = sorted(n["id"] for n in ftrack.values() if n["type"] == "Task")[:3]
    synced = linked(pipe.ayon, project)
    list_id = user_api.create_entity_list(
        project, "task", "dailies", items=[{"entityId": synced[t]["id"]} for t in tasks[:2]]
    )
    created = AyonChange(
        event_id=f"list-created-{list_id}",
        topic="entity_list.created",
        project_name=project,
        entity_type="entity_list",
        entity_id=list_id,
    )
    await transmit(pipe, project_id, project, mark(pipe), created)
    ftrack_list = ftrack_id_for(list_id)

    def ftrack_list_state() -> tuple[str, list[str]] | None:
        rows = pipe.ftrack.control.query(f'select name from List where id is "{ftrack_list}"')
        if not rows:
            return None
        objects = pipe.ftrack.control.query(
            f'select entity_id from ListObject where list_id is "{ftrack_list}"'
        )
        return rows[0]["name"], sorted(o["entity_id"] for o in objects)

    assert ftrack_list_state() == ("dailies", tasks[:2])
    # renamed, one item added, one removed
    user_api.update_entity_list(project, list_id, label="review")
    user_api.create_entity_list_item(project, list_id, synced[tasks[2]]["id"])
    rest = user_api.get_entity_list_rest(project, list_id) or {}
    kept = [
        {"id": i["id"], "entityId": i["entityId"]}
        for i in rest["items"]
        if i["entityId"] != synced[tasks[0]]["id"]
    ]
    user_api.patch(f"projects/{project}/lists/{list_id}", items=kept).raise_for_status()
    changed = created.model_copy(
        update={"event_id": f"list-changed-{list_id}", "topic": "entity_list.changed"}
    )
    result = await transmit(pipe, project_id, project, mark(pipe), changed)
    assert not result["conflicts"], result
    assert ftrack_list_state() == ("review", sorted(tasks[1:]))
    await resync_writes_nothing(pipe, project_id)
    # another AYON list links to the same ftrack list: deleting the first keeps it
    twin_id = user_api.create_entity_list(
        project,
        "task",
        "review copy",
        attrib={"ftrackId": ftrack_list},
        items=[{"entityId": synced[t]["id"]} for t in tasks[1:]],
    )
    user_api.delete_entity_list(project, list_id)
    deleted = created.model_copy(
        update={"event_id": f"list-deleted-{list_id}", "topic": "entity_list.deleted"}
    )
    result = await transmit(pipe, project_id, project, mark(pipe), deleted)
    assert result["counts"].get("skipped.list_still_linked") == 1, result
    assert ftrack_list_state() == ("review", sorted(tasks[1:]))
    # the last AYON list linked to it is deleted: so is the ftrack list
    user_api.delete_entity_list(project, twin_id)
    twin_deleted = AyonChange(
        event_id=f"list-deleted-{twin_id}",
        topic="entity_list.deleted",
        project_name=project,
        entity_type="entity_list",
        entity_id=twin_id,
        payload={
            "entityData": {
                "id": twin_id,
                "label": "review copy",
                "entityType": "task",
                "attrib": {"ftrackId": ftrack_list},
            }
        },
    )
    result = await transmit(pipe, project_id, project, mark(pipe), twin_deleted)
    assert result["counts"].get("lists.deleted") == 1, result
    assert ftrack_list_state() is None
    assert not pipe.ftrack.control.query(
        f'select id from ListObject where list_id is "{ftrack_list}"'
    )


async def test_project_attributes_reach_the_ftrack_project(
    pipe: Pipeline, user_api: ayon_api.ServerAPI
) -> None:
    project_id, project = await synced_project(pipe, "tproj")
    before = ftrack_values(pipe, project_id)
    assert (before.get("fps"), before.get("frameStart")) != (30.0, 1201)
    since = mark(pipe)
    user_api.update_project(project, attrib={"fps": 30.0, "frameStart": 1201})
    result = await transmit(pipe, project_id, project, since)
    assert not result["conflicts"], result
    values = ftrack_values(pipe, project_id)
    assert (values["fps"], values["frameStart"]) == (30.0, 1201)
    attrib = user_api.get_project(project)["attrib"]
    assert (attrib["fps"], attrib["frameStart"]) == (30.0, 1201)
    await resync_writes_nothing(pipe, project_id)


async def test_folder_of_unknown_type_is_a_conflict_and_nothing_is_created(
    pipe: Pipeline, user_api: ayon_api.ServerAPI
) -> None:
    project_id, project = await synced_project(pipe, "tnotype")
    ftrack = contexts(pipe.ftrack, project_id)
    parent = linked(pipe.ayon, project)[by_name(ftrack, "sq010")["id"]]
    folder_types = user_api.get_project(project)["folderTypes"]
    user_api.update_project(project, folder_types=[*folder_types, {"name": "Fancy"}])
    assert not conflict_events(pipe, "no_object_type")
    since = mark(pipe)
    odd_id = user_api.create_folder(project, "odd", folder_type="Fancy", parent_id=parent["id"])
    result = await transmit(pipe, project_id, project, since)
    assert [c["kind"] for c in result["conflicts"]] == ["no_object_type"], result
    assert "Fancy" in result["conflicts"][0]["detail"]
    assert not result["counts"].get("ftrack.created")
    assert set(contexts(pipe.ftrack, project_id)) == set(ftrack)
    assert conflict_events(pipe, "no_object_type")
    odd = pipe.ayon.control.get_entity(project, "folder", odd_id)
    assert not odd["attrib"].get("ftrackId") and not odd["attrib"].get("ftrackPath")
    assert odd["active"] is True


async def test_version_attribute_reaches_the_asset_version(
    pipe: Pipeline, user_api: ayon_api.ServerAPI
) -> None:
    project_id, project = await synced_project(pipe, "tvattr", versions_per_task=1)
    shot = by_name(contexts(pipe.ftrack, project_id), "sq010sh0010")
    [version] = pipe.ftrack.control.query(
        f'select id, version, asset.name from AssetVersion where asset.context_id is "{shot["id"]}"'
    )
    assert ftrack_values(pipe, version["id"]).get("fps") != 48.0
    folder = linked(pipe.ayon, project)[shot["id"]]
    product_id = user_api.create_product(project, version["asset"]["name"], "render", folder["id"])
    version_id = user_api.create_version(
        project, version["version"], product_id, attrib={"ftrackId": version["id"]}
    )
    since = mark(pipe)
    user_api.update_version(project, version_id, attrib={"fps": 48.0})
    result = await transmit(pipe, project_id, project, since)
    assert not result["conflicts"], result
    assert ftrack_values(pipe, version["id"])["fps"] == 48.0
    ayon_version = user_api.get_version_by_id(project, version_id, fields=["attrib"]) or {}
    assert ayon_version["attrib"]["fps"] == 48.0
    await resync_writes_nothing(pipe, project_id)
