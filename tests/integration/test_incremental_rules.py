"""The incremental rules (seed_features.md 3.2) through the whole event path: ftrack web-UI
changes -> hub -> leecher -> ProjectSyncWorkflow -> real activities -> AYON, with the real
clients, a real worker and the dev server. Each test checks AYON and the write-back, and that
a full resync afterwards finds nothing left to do (incremental and full sync agree).
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import ayon_api

from ayon_ftrack_sync.emulators.ayon import AyonEmulator
from ayon_ftrack_sync.payloads.full_sync import FullSyncReport
from tests.integration.incremental_support import Pipeline
from tests.integration.test_full_sync_rules import (
    assert_in_sync,
    assert_writes_nothing,
    by_name,
    contexts,
    linked,
)


async def synced_project(pipe: Pipeline, name: str, **shape: Any) -> tuple[str, str]:
    """A generated auto-sync project, fully synced; returns (ftrack id, AYON name)."""
    unique = f"{name}{uuid.uuid4().hex[:6]}"
    shape = {"sequences": 2, "shots": 2, "tasks": 1, **shape}
    project_id = pipe.ftrack.control.generate_project(unique, auto_sync=True, **shape)
    report = await pipe.full_sync(project_id, create_project=True)
    await pipe.settle(project_id)  # the full sync's own write-back comes back as events
    return project_id, report.project.ayon_project_name


async def resync_writes_nothing(pipe: Pipeline, project_id: str) -> FullSyncReport:
    report = await pipe.full_sync(project_id)
    assert_writes_nothing(report)
    return report


async def test_create_rename_move_and_delete_reach_ayon(pipe: Pipeline) -> None:
    project_id, project = await synced_project(pipe, "crud")
    ftrack = contexts(pipe.ftrack, project_id)
    sq010, sq020 = by_name(ftrack, "sq010"), by_name(ftrack, "sq020")
    renamed, moved = by_name(ftrack, "sq010sh0010"), by_name(ftrack, "sq010sh0020")
    doomed = by_name(ftrack, "sq020sh0010")
    before = linked(pipe.ayon, project)
    with pipe.ftrack.control.as_user("jane.doe") as ui:
        new_shot = ui.create("Shot", {"name": "sh new", "parent_id": sq010["id"]})
        new_task = ui.create(
            "Task", {"name": "anim", "parent_id": new_shot["id"], "type_id": _type_id(pipe)}
        )
        ui.update("Shot", renamed["id"], {"name": "hero shot"})
        ui.update("Shot", moved["id"], {"parent_id": sq020["id"]})
        ui.delete("Shot", doomed["id"])
    status = await pipe.settle(project_id)
    assert status.stats.batches_failed == 0, status.stats.last_error
    after = linked(pipe.ayon, project)
    shot = after[new_shot["id"]]
    assert (shot["name"], shot["label"], shot["path"]) == ("sh_new", "sh new", "/sq010/sh_new")
    assert after[new_task["id"]]["folderId"] == shot["id"]
    hero = after[renamed["id"]]
    assert hero["id"] == before[renamed["id"]]["id"]  # same entity, renamed
    assert (hero["name"], hero["path"]) == ("hero_shot", "/sq010/hero_shot")
    assert hero["attrib"]["ftrackPath"] == "sq010/hero shot"
    assert after[moved["id"]]["path"] == "/sq020/sq010sh0020"
    assert after[moved["id"]]["id"] == before[moved["id"]]["id"]
    assert doomed["id"] not in after  # deactivated
    gone = [
        e
        for e in pipe.ayon.control.entities(project, "folder")
        if e["id"] == before[doomed["id"]]["id"]
    ]
    assert gone and gone[0]["active"] is False
    assert sq010["id"] in after
    # write-back of ids and paths, for the children of moved entities too
    assert_in_sync(pipe.ftrack, pipe.ayon, project_id, project)
    await resync_writes_nothing(pipe, project_id)


def _type_id(pipe: Pipeline, name: str = "Animation") -> str:
    rows = pipe.ftrack.control.query(f'select id, name from Type where name is "{name}"')
    assert rows, f"no task type {name}"
    return str(rows[0]["id"])


async def test_attribute_status_and_description_changes(pipe: Pipeline) -> None:
    project_id, project = await synced_project(pipe, "attr")
    ftrack = contexts(pipe.ftrack, project_id)
    shot = by_name(ftrack, "sq010sh0010")
    task = next(n for n in ftrack.values() if n["parent_id"] == shot["id"])
    status_rows = pipe.ftrack.control.query('select id, name from Status where name is "Approved"')
    with pipe.ftrack.control.as_user("jane.doe") as ui:
        ui.set_custom_attribute(shot["id"], "frameStart", 1001.0)
        ui.set_custom_attribute(shot["id"], "fps", 24)
        ui.update("Shot", shot["id"], {"description": "the hero shot"})
        ui.update("Task", task["id"], {"status_id": status_rows[0]["id"]})
    await pipe.settle(project_id)
    after = linked(pipe.ayon, project)
    attrib = after[shot["id"]]["attrib"]
    assert attrib["frameStart"] == 1001 and type(attrib["frameStart"]) is int
    assert attrib["fps"] == 24.0
    assert attrib["description"] == "the hero shot"
    assert after[task["id"]]["status"] == "Approved"
    await resync_writes_nothing(pipe, project_id)


async def test_task_under_project_is_refused_with_a_recorded_reason(pipe: Pipeline) -> None:
    project_id, project = await synced_project(pipe, "tup")
    with pipe.ftrack.control.as_user("jane.doe") as ui:
        task = ui.create(
            "Task", {"name": "stray", "parent_id": project_id, "type_id": _type_id(pipe)}
        )
    status = await pipe.settle(project_id)
    assert status.stats.batches_failed == 0
    assert task["id"] not in linked(pipe.ayon, project)
    flags = contexts(pipe.ftrack, project_id)[task["id"]]["attrs"]
    assert flags["ayon_sync_failed"] is True
    events = pipe.ayon.control.events("ftrack.sync.conflict")
    assert any("task_under_project" in str(e.get("payload")) for e in events), events


async def test_assignees_follow_ftrack(pipe: Pipeline, ayon_server: AyonEmulator) -> None:
    project_id, project = await synced_project(pipe, "asg", assignees=0)
    ftrack = contexts(pipe.ftrack, project_id)
    task = next(n for n in ftrack.values() if n["type"] == "Task")
    api = ayon_api.ServerAPI(ayon_server.url, token=ayon_server.api_key)
    try:
        users = {u["name"] for u in api.get_users(fields=["name"])}
    finally:
        api.close_session()
    ftrack_users = pipe.ftrack.control.query("select id, username from User")
    user = next(u for u in ftrack_users if u["username"] in users)
    with pipe.ftrack.control.as_user("jane.doe") as ui:
        appointment = ui.create(
            "Appointment",
            {"context_id": task["id"], "resource_id": user["id"], "type": "assignment"},
        )
    await pipe.settle(project_id)
    assert user["username"] in linked(pipe.ayon, project)[task["id"]]["assignees"]
    with pipe.ftrack.control.as_user("jane.doe") as ui:
        ui.delete("Appointment", appointment["id"])
    await pipe.settle(project_id)
    assert user["username"] not in linked(pipe.ayon, project)[task["id"]]["assignees"]


async def test_folders_with_products_are_immutable(
    pipe: Pipeline, ayon_server: AyonEmulator
) -> None:
    project_id, project = await synced_project(pipe, "imm")
    ftrack = contexts(pipe.ftrack, project_id)
    frozen, free = by_name(ftrack, "sq010sh0010"), by_name(ftrack, "sq020sh0010")
    sq010 = by_name(ftrack, "sq010")
    synced = linked(pipe.ayon, project)
    api = ayon_api.ServerAPI(ayon_server.url, token=ayon_server.api_key, sender_type="test")
    try:
        api.create_product(project, "renderMain", "render", synced[frozen["id"]]["id"])
    finally:
        api.close_session()
    with pipe.ftrack.control.as_user("jane.doe") as ui:
        ui.update("Shot", frozen["id"], {"name": "renamed"})
        ui.update("Sequence", sq010["id"], {"name": "sq010b"})  # an ancestor: frozen too
        ui.update("Shot", free["id"], {"name": "free_renamed"})
    await pipe.settle(project_id)
    after = linked(pipe.ayon, project)
    assert after[frozen["id"]]["path"] == "/sq010/sq010sh0010"  # unchanged
    assert after[sq010["id"]]["name"] == "sq010"
    assert after[free["id"]]["name"] == "free_renamed"
    flags = contexts(pipe.ftrack, project_id)
    assert flags[frozen["id"]]["attrs"]["ayon_sync_failed"] is True
    assert flags[sq010["id"]]["attrs"]["ayon_sync_failed"] is True
    assert flags[free["id"]]["attrs"]["ayon_sync_failed"] is False
    events = pipe.ayon.control.events("ftrack.sync.conflict")
    assert any("immutable_renamed" in str(e.get("payload")) for e in events)


async def test_copy_paste_duplicate_ayon_id_is_cleared_on_the_copy(pipe: Pipeline) -> None:
    """ftrack copies the source's stored `ayon_id` to a pasted entity: the copy must get its
    own AYON entity and id, and the source keeps its own."""
    project_id, project = await synced_project(pipe, "cp")
    ftrack = contexts(pipe.ftrack, project_id)
    source, sq020 = by_name(ftrack, "sq010sh0010"), by_name(ftrack, "sq020")
    source_ayon_id = source["attrs"]["ayon_id"]
    with pipe.ftrack.control.as_user("jane.doe") as ui:
        copy = ui.create("Shot", {"name": "sq010sh0010", "parent_id": sq020["id"]})
        ui.set_custom_attribute(copy["id"], "ayon_id", source_ayon_id)
        ui.set_custom_attribute(copy["id"], "ayon_path", source["attrs"]["ayon_path"])
    await pipe.settle(project_id)
    after = linked(pipe.ayon, project)
    assert after[source["id"]]["id"] == source_ayon_id
    assert after[copy["id"]]["id"] != source_ayon_id
    assert after[copy["id"]]["path"] == "/sq020/sq010sh0010"
    flags = contexts(pipe.ftrack, project_id)
    assert flags[copy["id"]]["attrs"]["ayon_id"] == after[copy["id"]]["id"]
    assert flags[source["id"]]["attrs"]["ayon_id"] == source_ayon_id
    assert_in_sync(pipe.ftrack, pipe.ayon, project_id, project)


async def test_unknown_task_type_extends_the_ayon_project(pipe: Pipeline) -> None:
    project_id, project = await synced_project(pipe, "typ")
    ftrack = contexts(pipe.ftrack, project_id)
    shot = by_name(ftrack, "sq010sh0010")
    project_row = pipe.ftrack.control.query(
        f'select project_schema.task_type_schema_id from Project where id is "{project_id}"'
    )[0]
    type_schema_id = project_row["project_schema"]["task_type_schema_id"]
    with pipe.ftrack.control.as_user("admin") as admin:  # a studio adds a task type
        unused = admin.create("Type", {"name": "Matchmove"})
        admin.create(
            "TaskTypeSchemaType",
            {"task_type_schema_id": type_schema_id, "type_id": unused["id"]},
        )
    with pipe.ftrack.control.as_user("jane.doe") as ui:
        task = ui.create(
            "Task", {"name": "extra", "parent_id": shot["id"], "type_id": unused["id"]}
        )
    status = await pipe.settle(project_id)
    assert status.stats.batches_failed == 0, status.stats.last_error
    after = linked(pipe.ayon, project)
    assert task["id"] in after, "the task was not created"
    assert after[task["id"]]["taskType"].lower() == unused["name"].lower()


async def test_two_projects_in_parallel_each_in_order_duplicates_once(pipe: Pipeline) -> None:
    alpha, alpha_name = await synced_project(pipe, "alpha", sequences=1, shots=2, tasks=0)
    beta, beta_name = await synced_project(pipe, "beta", sequences=1, shots=2, tasks=0)
    shots = {pid: by_name(contexts(pipe.ftrack, pid), "sq010sh0010")["id"] for pid in (alpha, beta)}
    with pipe.ftrack.control.as_user("jane.doe") as ui:
        for i in range(10):  # interleaved; the last value must win in each project
            for pid in (alpha, beta):
                ui.update("Shot", shots[pid], {"description": f"{pid[:4]} take {i}"})
    # the hub redelivers an event (at-least-once): it must be applied once
    replayed = _project_events(pipe, beta)[-1]
    pipe.ftrack.control.emit_event(dict(replayed))
    for pid, name in ((alpha, alpha_name), (beta, beta_name)):
        status = await pipe.settle(pid)
        published = _project_events(pipe, pid)
        distinct = len({e["id"] for e in published})
        assert len(published) - distinct == (1 if pid == beta else 0)
        # the copy is dropped by the leecher (or, after a leecher restart, by the workflow)
        assert status.stats.events_received - status.stats.events_duplicate == distinct
        entity = linked(pipe.ayon, name)[shots[pid]]
        assert entity["attrib"]["description"] == f"{pid[:4]} take 9"
    assert pipe.leecher.counters.duplicates == 1
    runs = [
        await pipe.client.get_workflow_handle(f"ftrack-sync/project/{pid}").describe()
        for pid in (alpha, beta)
    ]
    assert all(r.status is not None and r.status.name == "RUNNING" for r in runs)


def _project_events(pipe: Pipeline, project_id: str) -> list[dict[str, Any]]:
    from ayon_ftrack_sync.sync.events import decode_update

    return [
        e
        for e in pipe.ftrack.hub.log
        if any(p.project_id == project_id for p in decode_update(e).per_project)
    ]


async def test_a_batch_reads_only_what_it_touches(pipe: Pipeline) -> None:
    """No project scans per event: in a ~1,300-entity project, editing one shot reads that
    shot, its ancestors and nothing else, with a few requests per side."""
    from temporalio.testing import ActivityEnvironment

    from ayon_ftrack_sync.activities.incremental import IncrementalActivities
    from ayon_ftrack_sync.payloads.project_sync import ApplyBatchInput
    from ayon_ftrack_sync.sync.coalesce import coalesce
    from ayon_ftrack_sync.sync.events import decode_update

    project_id, project = await synced_project(pipe, "big", sequences=20, shots=20, tasks=2)
    shot = by_name(contexts(pipe.ftrack, project_id), "sq010sh0010")
    seen = {e["id"] for e in _project_events(pipe, project_id)}
    with pipe.ftrack.control.as_user("jane.doe") as ui:
        ui.update("Shot", shot["id"], {"description": "only this"})
        ui.set_custom_attribute(shot["id"], "frameStart", 1009.0)
    await pipe.settle(project_id)
    fresh = [e for e in _project_events(pipe, project_id) if e["id"] not in seen]
    events = [part for e in fresh for part in decode_update(e).per_project]
    merged = coalesce(events)
    # applied again by hand (the workflow already did): reads are the same, writes none
    result = await asyncio.to_thread(
        ActivityEnvironment().run,
        IncrementalActivities(pipe.config).apply,
        ApplyBatchInput(
            ftrack_project_id=project_id,
            ayon_project_name=project,
            changes=merged.changes,
            event_ids=merged.event_ids,
        ),
    )
    assert linked(pipe.ayon, project)[shot["id"]]["attrib"]["description"] == "only this"
    assert result.counts["read.ftrack_entities"] <= 3  # the shot and its sequence
    assert result.counts["read.ayon_entities"] <= 3  # no siblings: nothing renamed or new
    assert result.ftrack_requests <= 4 and result.ayon_requests <= 8, result
    assert not {k for k in result.counts if k in ("created", "updated", "ftrack_writes")}


async def test_links_follow_ftrack_dependencies(pipe: Pipeline, tmp_path: Path) -> None:
    import json

    from tests.integration.incremental_support import settings_document

    (tmp_path / "settings.json").write_text(json.dumps(settings_document("breakdown")))
    project_id, project = await synced_project(pipe, "lnk", sequences=1, shots=3, tasks=0)
    ftrack = contexts(pipe.ftrack, project_id)
    a, b = by_name(ftrack, "sq010sh0010"), by_name(ftrack, "sq010sh0020")
    with pipe.ftrack.control.as_user("jane.doe") as ui:
        link = ui.create("TypedContextLink", {"from_id": a["id"], "to_id": b["id"]})
    await pipe.settle(project_id)
    synced = linked(pipe.ayon, project)
    api = ayon_api.ServerAPI(pipe.ayon.url, token=pipe.ayon.api_key)
    try:

        def out_links() -> set[tuple[str, str]]:
            found = api.get_folders_links(project, link_types=["breakdown"], link_direction="out")
            return {
                (folder_id, link["entityId"])
                for folder_id, links in found.items()
                for link in links
            }

        assert out_links() == {(synced[a["id"]]["id"], synced[b["id"]]["id"])}
        with pipe.ftrack.control.as_user("jane.doe") as ui:
            ui.delete("TypedContextLink", link["id"])
        await pipe.settle(project_id)
        assert out_links() == set()
    finally:
        api.close_session()


async def test_a_renamed_ftrack_list_is_renamed_in_ayon(pipe: Pipeline) -> None:
    project_id, project = await synced_project(pipe, "lst", sequences=1, shots=2, lists=2)
    lists = pipe.ftrack.control.query(
        f'select id, name from List where project_id is "{project_id}"'
    )
    assert lists, "the generated project has no lists"
    target = sorted(lists, key=lambda row: row["name"])[0]
    api = ayon_api.ServerAPI(pipe.ayon.url, token=pipe.ayon.api_key)
    try:

        def labels() -> dict[str, str]:
            found = api.get_entity_lists(project, fields=["id", "label", "attrib.ftrackId"])
            return {(lst.get("attrib") or {}).get("ftrackId"): lst["label"] for lst in found}

        assert labels().get(target["id"]) == target["name"]
        with pipe.ftrack.control.as_user("jane.doe") as ui:
            ui.update("List", target["id"], {"name": "Client review"})
        await pipe.settle(project_id)
        assert labels().get(target["id"]) == "Client review"
    finally:
        api.close_session()
