"""The full-sync rules (seed_features.md 3.0, 3.1, 3.3, 3.4 and the changes listed in
`sync/hierarchy.py`), one test per rule, through a real worker, both emulators and the real
clients. Every test changes ftrack (or AYON) the way a user would, syncs, checks both sides,
and then checks that the next sync writes nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ayon_api
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from ayon_ftrack_sync.activities import build_activities
from ayon_ftrack_sync.config import (
    AppConfig,
    AyonConfig,
    FtrackConfig,
    ServiceConfig,
    TemporalConfig,
)
from ayon_ftrack_sync.emulators.ayon import AyonEmulator
from ayon_ftrack_sync.emulators.ftrack import FtrackEmulator
from ayon_ftrack_sync.payloads.full_sync import (
    ConflictRecord,
    FullSyncInput,
    FullSyncReport,
    Phase,
)
from ayon_ftrack_sync.workflows import WORKFLOWS
from ayon_ftrack_sync.workflows.full_sync import FullSyncWorkflow
from tests.conftest import WorkerFactory

MAPPED = ("frameStart", "frameEnd", "fps", "resolutionWidth")


def settings(*, deactivate_ayon_only: bool = False) -> dict[str, Any]:
    """Sync settings: hierarchical attributes named like the AYON ones are mapped."""
    return {
        "custom_attributes": {
            "attributes_mapping": {
                "enabled": True,
                "mapping": [
                    {
                        "name": name,
                        "attr_type": "hierarchical",
                        "hierarchical": name,
                        "standard": [],
                    }
                    for name in MAPPED
                ],
            }
        },
        "service_event_handlers": {
            "sync_from_ftrack": {"deactivate_ayon_only": deactivate_ayon_only}
        },
    }


@dataclass
class Syncer:
    """Runs FullSyncWorkflow on a real in-process worker with the real activities."""

    client: Client
    make_worker: WorkerFactory
    config: AppConfig
    task_queue: str
    settings_file: Path

    def configure(self, **options: bool) -> None:
        self.settings_file.write_text(json.dumps(settings(**options)))

    async def run(self, project_id: str, **kwargs: Any) -> FullSyncReport:
        activities = build_activities(self.config)
        async with self.make_worker(self.client, activities=activities, workflows=WORKFLOWS):
            return await self.client.execute_workflow(
                FullSyncWorkflow.run,
                FullSyncInput(ftrack_project_id=project_id, **kwargs),
                id=f"ftrack-sync/project/{project_id}/full-sync/{uuid.uuid4().hex[:8]}",
                task_queue=self.task_queue,
            )


@pytest.fixture
def sync(
    tmp_path: Path,
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
) -> Syncer:
    settings_file = tmp_path / "settings.json"
    config = AppConfig(
        temporal=TemporalConfig(),
        ftrack=FtrackConfig(
            FTRACK_SERVER=ftrack_server.url,
            FTRACK_API_USER=ftrack_server.api_user,
            FTRACK_API_KEY=ftrack_server.api_key,
        ),
        ayon=AyonConfig(AYON_SERVER_URL=ayon_server.url, AYON_API_KEY=ayon_server.api_key),
        service=ServiceConfig(
            AYON_FTRACK_SYNC_STATE_DIR=str(tmp_path / "state"),
            AYON_FTRACK_SYNC_SETTINGS_FILE=str(settings_file),
        ),
    )
    syncer = Syncer(temporal_env.client, make_worker, config, task_queue, settings_file)
    syncer.configure()
    return syncer


@pytest.fixture
def ayon(ayon_server: AyonEmulator) -> Iterator[ayon_api.ServerAPI]:
    """The real AYON client, for changes "made in AYON" (products, AYON-only entities)."""
    api = ayon_api.ServerAPI(ayon_server.url, token=ayon_server.api_key, sender_type="test")
    try:
        yield api
    finally:
        api.close_session()


# -- reading both sides ------------------------------------------------------------------


def contexts(ftrack_server: FtrackEmulator, project_id: str) -> dict[str, dict[str, Any]]:
    """Every TypedContext of the project by id, with its link attributes flattened."""
    rows = ftrack_server.control.query(
        "select id, name, parent_id, object_type.name, status.name, custom_attributes "
        f'from TypedContext where project_id is "{project_id}"'
    )
    found = {}
    for row in rows:
        values = {v["key"]: v["value"] for v in row.get("custom_attributes") or []}
        found[row["id"]] = {
            "id": row["id"],
            "name": row["name"],
            "parent_id": row["parent_id"],
            "type": row["object_type"]["name"],
            "status": (row.get("status") or {}).get("name"),
            "attrs": values,
        }
    return found


def by_name(nodes: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    matching = [n for n in nodes.values() if n["name"] == name]
    assert len(matching) == 1, (name, matching)
    return matching[0]


def ayon_all(server: AyonEmulator, project: str) -> list[dict[str, Any]]:
    return [
        {**entity, "kind": kind}
        for kind in ("folder", "task")
        for entity in server.control.entities(project, kind)
    ]


def linked(server: AyonEmulator, project: str) -> dict[str, dict[str, Any]]:
    """Active AYON entities by the ftrack id they are linked to (one each, asserted)."""
    found: dict[str, dict[str, Any]] = {}
    for entity in ayon_all(server, project):
        ftrack_id = (entity.get("attrib") or {}).get("ftrackId")
        if not ftrack_id or not entity.get("active", True):
            continue
        assert ftrack_id not in found, f"two active AYON entities for ftrack {ftrack_id}"
        found[ftrack_id] = entity
    return found


def ayon_entity(server: AyonEmulator, project: str, entity_id: str) -> dict[str, Any]:
    entity = next((e for e in ayon_all(server, project) if e["id"] == entity_id), None)
    assert entity is not None, f"AYON entity {entity_id} is gone"
    return entity


def conflicts(report: FullSyncReport) -> list[ConflictRecord]:
    hierarchy = next(p for p in report.phases if p.phase is Phase.HIERARCHY)
    return list(hierarchy.conflicts)


def assert_writes_nothing(report: FullSyncReport) -> None:
    totals = report.totals()
    written = {
        key: totals.get(key, 0)
        for key in ("created", "updated", "deactivated", "ftrack_writes", "anatomy_changed")
    }
    assert written == dict.fromkeys(written, 0), written


def assert_in_sync(
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
    project_id: str,
    project: str,
    *,
    failed: set[str] = frozenset(),  # type: ignore[assignment]
) -> None:
    """Every ftrack entity (but the failed ones) has one active AYON entity whose id it
    stores, and ftrack's `ayon_sync_failed` is set exactly on the failed ones."""
    ftrack = contexts(ftrack_server, project_id)
    ayon = linked(ayon_server, project)
    for node in ftrack.values():
        assert node["attrs"]["ayon_sync_failed"] is (node["id"] in failed), node
        if node["id"] in failed:
            continue
        entity = ayon.get(node["id"])
        assert entity is not None, f"ftrack {node['name']} has no AYON entity"
        assert node["attrs"]["ayon_id"] == entity["id"]
        if entity["kind"] == "folder":
            assert node["attrs"]["ayon_path"] == entity["path"]


# -- rules ---------------------------------------------------------------------------------


async def test_renames_and_moves_in_ftrack_keep_the_ayon_entity_and_write_back_paths(
    sync: Syncer, ftrack_server: FtrackEmulator, ayon_server: AyonEmulator
) -> None:
    project_id = ftrack_server.control.generate_project("ren", sequences=2, shots=2, tasks=1)
    await sync.run(project_id, create_project=True)
    ftrack = contexts(ftrack_server, project_id)
    before = linked(ayon_server, "Ren")
    sq010, sq020 = by_name(ftrack, "sq010"), by_name(ftrack, "sq020")
    renamed, moved = by_name(ftrack, "sq010sh0010"), by_name(ftrack, "sq010sh0020")
    task = next(n for n in ftrack.values() if n["parent_id"] == moved["id"])
    with ftrack_server.control.as_user("jane.doe") as ui:
        ui.update("Shot", renamed["id"], {"name": "hero shot"})
        ui.update("Shot", moved["id"], {"parent_id": sq020["id"]})
        ui.update("Sequence", sq020["id"], {"name": "sq099"})
        ui.update("Task", task["id"], {"name": "paint"})

    report = await sync.run(project_id)
    totals = report.totals()
    assert (totals["created"], totals["deactivated"]) == (0, 0)
    assert totals["updated"] >= 4
    assert totals["conflicts"] == 0, conflicts(report)
    after = linked(ayon_server, "Ren")
    assert {k: v["id"] for k, v in after.items()} == {k: v["id"] for k, v in before.items()}
    hero = after[renamed["id"]]
    assert (hero["name"], hero["label"]) == ("hero_shot", "hero shot")
    assert hero["path"] == "/sq010/hero_shot"
    assert hero["attrib"]["ftrackPath"] == "sq010/hero shot"
    assert after[moved["id"]]["parentId"] == after[sq020["id"]]["id"]
    assert after[moved["id"]]["path"] == "/sq099/sq010sh0020"
    assert after[sq020["id"]]["name"] == "sq099"
    assert after[task["id"]]["name"] == "paint"
    assert after[task["id"]]["folderId"] == after[moved["id"]]["id"]
    assert after[sq010["id"]]["path"] == "/sq010"
    # ayon_path is written back, also for the children of the renamed sequence
    ftrack = contexts(ftrack_server, project_id)
    assert ftrack[renamed["id"]]["attrs"]["ayon_path"] == "/sq010/hero_shot"
    assert ftrack[moved["id"]]["attrs"]["ayon_path"] == "/sq099/sq010sh0020"
    assert by_name(ftrack, "sq020sh0010")["attrs"]["ayon_path"] == "/sq099/sq020sh0010"
    assert_in_sync(ftrack_server, ayon_server, project_id, "Ren")

    assert_writes_nothing(await sync.run(project_id))


async def test_entities_deleted_in_ftrack_are_deactivated_not_deleted(
    sync: Syncer, ftrack_server: FtrackEmulator, ayon_server: AyonEmulator
) -> None:
    project_id = ftrack_server.control.generate_project("dele", sequences=1, shots=3, tasks=2)
    await sync.run(project_id, create_project=True)
    ftrack = contexts(ftrack_server, project_id)
    before = linked(ayon_server, "Dele")
    shot = by_name(ftrack, "sq010sh0010")
    shot_tasks = [n for n in ftrack.values() if n["parent_id"] == shot["id"]]
    other_shot = by_name(ftrack, "sq010sh0020")
    lone_task = next(n for n in ftrack.values() if n["parent_id"] == other_shot["id"])
    gone = [shot["id"], lone_task["id"], *(t["id"] for t in shot_tasks)]
    with ftrack_server.control.as_user("jane.doe") as ui:
        for task in [*shot_tasks, lone_task]:
            ui.delete("Task", task["id"])
        ui.delete("Shot", shot["id"])
    assert not set(gone) & set(contexts(ftrack_server, project_id))

    report = await sync.run(project_id)
    totals = report.totals()
    assert (totals["created"], totals["updated"], totals["deactivated"]) == (0, 0, len(gone))
    for ftrack_id in gone:
        entity = ayon_entity(ayon_server, "Dele", before[ftrack_id]["id"])
        assert entity["active"] is False, entity
    assert set(linked(ayon_server, "Dele")) == set(before) - set(gone)
    assert len(ayon_all(ayon_server, "Dele")) == len(before)  # nothing deleted
    assert_in_sync(ftrack_server, ayon_server, project_id, "Dele")

    assert_writes_nothing(await sync.run(project_id))


async def test_duplicate_slugs_sync_one_and_flag_the_other(
    sync: Syncer, ftrack_server: FtrackEmulator, ayon_server: AyonEmulator
) -> None:
    project_id = ftrack_server.control.generate_project("dup", sequences=1, shots=1, tasks=1)
    sq010 = by_name(contexts(ftrack_server, project_id), "sq010")
    with ftrack_server.control.as_user("jane.doe") as ui:
        first = ui.create("Shot", {"name": "sh 100", "parent_id": sq010["id"]})
        second = ui.create("Shot", {"name": "SH-100", "parent_id": sq010["id"]})

    report = await sync.run(project_id, create_project=True)
    ayon = linked(ayon_server, "Dup")
    synced = [fid for fid in (first["id"], second["id"]) if fid in ayon]
    assert len(synced) == 1, synced
    loser = second["id"] if synced == [first["id"]] else first["id"]
    named = [e for e in ayon_all(ayon_server, "Dup") if e["name"].lower() == "sh_100"]
    assert len(named) == 1 and named[0]["attrib"]["ftrackId"] == synced[0]
    listed = [c for c in conflicts(report) if c.kind == "duplicate_name"]
    assert [c.ftrack_id for c in listed] == [loser]
    assert listed[0].path.startswith("sq010/")
    assert report.totals()["conflicts"] == 1
    ftrack = contexts(ftrack_server, project_id)
    assert ftrack[loser]["attrs"]["ayon_sync_failed"] is True
    assert ftrack[loser]["attrs"]["ayon_id"] == ""
    assert_in_sync(ftrack_server, ayon_server, project_id, "Dup", failed={loser})
    event = ayon_server.control.events("ftrack.sync.report")[-1]
    assert any(
        c["ftrack_id"] == loser for phase in event["payload"]["phases"] for c in phase["conflicts"]
    )

    again = await sync.run(project_id)
    assert_writes_nothing(again)
    assert [c.ftrack_id for c in conflicts(again) if c.kind == "duplicate_name"] == [loser]


async def test_kind_mismatch_deactivates_the_ayon_entity_and_replaces_it(
    sync: Syncer,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
    ayon: ayon_api.ServerAPI,
) -> None:
    project_id = ftrack_server.control.generate_project("kind", sequences=1, shots=1, tasks=1)
    await sync.run(project_id, create_project=True)
    ftrack = contexts(ftrack_server, project_id)
    sq010, shot = by_name(ftrack, "sq010"), by_name(ftrack, "sq010sh0010")
    synced = linked(ayon_server, "Kind")
    task_type = ayon.get_project("Kind")["taskTypes"][0]["name"]
    # made in AYON: a task "layout" under sq010 and a folder "lighting" under the shot
    ayon_task = ayon.create_task("Kind", "layout", task_type, synced[sq010["id"]]["id"])
    ayon_folder = ayon.create_folder(
        "Kind", "lighting", folder_type="Shot", parent_id=synced[shot["id"]]["id"]
    )
    # ... and in ftrack a shot "Layout" under sq010 and a task "lighting" under the shot
    type_id = ftrack_server.control.query(
        f'select type_id from Task where parent_id is "{shot["id"]}"'
    )[0]["type_id"]
    with ftrack_server.control.as_user("jane.doe") as ui:
        new_shot = ui.create("Shot", {"name": "Layout", "parent_id": sq010["id"]})
        new_task = ui.create(
            "Task", {"name": "lighting", "parent_id": shot["id"], "type_id": type_id}
        )

    report = await sync.run(project_id)
    totals = report.totals()
    assert (totals["created"], totals["deactivated"]) == (2, 2)
    old_task = ayon_entity(ayon_server, "Kind", ayon_task)
    old_folder = ayon_entity(ayon_server, "Kind", ayon_folder)
    assert old_task["active"] is False and old_folder["active"] is False
    after = linked(ayon_server, "Kind")
    replacement = after[new_shot["id"]]
    assert (replacement["kind"], replacement["name"]) == ("folder", "Layout")
    assert replacement["parentId"] == synced[sq010["id"]]["id"]
    task = after[new_task["id"]]
    assert (task["kind"], task["name"]) == ("task", "lighting")
    assert task["folderId"] == synced[shot["id"]]["id"]
    mismatches = {c.ftrack_id for c in conflicts(report) if c.kind == "kind_mismatch"}
    assert mismatches == {new_shot["id"], new_task["id"]}
    assert_in_sync(ftrack_server, ayon_server, project_id, "Kind")

    assert_writes_nothing(await sync.run(project_id))


async def test_folders_with_published_products_are_not_renamed_or_moved(
    sync: Syncer,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
    ayon: ayon_api.ServerAPI,
) -> None:
    project_id = ftrack_server.control.generate_project("imm", sequences=2, shots=2, tasks=1)
    await sync.run(project_id, create_project=True)
    ftrack = contexts(ftrack_server, project_id)
    synced = linked(ayon_server, "Imm")
    renamed, moved = by_name(ftrack, "sq010sh0010"), by_name(ftrack, "sq010sh0020")
    free = by_name(ftrack, "sq020sh0010")
    sq020 = by_name(ftrack, "sq020")
    for shot in (renamed, moved):
        ayon.create_product("Imm", "renderMain", "render", synced[shot["id"]]["id"])
    before = {e["id"]: e for e in ayon_all(ayon_server, "Imm")}
    with ftrack_server.control.as_user("jane.doe") as ui:
        ui.update("Shot", renamed["id"], {"name": "sh0010_new"})
        ui.update("Shot", moved["id"], {"parent_id": sq020["id"]})
        ui.update("Shot", free["id"], {"name": "sq020sh0010b"})  # no products: renamed

    report = await sync.run(project_id)
    found = {c.ftrack_id: c.kind for c in conflicts(report)}
    assert found == {renamed["id"]: "immutable_renamed", moved["id"]: "immutable_moved"}
    assert report.totals()["conflicts"] == 2
    after = {e["id"]: e for e in ayon_all(ayon_server, "Imm")}
    for shot in (renamed, moved):
        ayon_id = synced[shot["id"]]["id"]
        kept = ("name", "parentId", "path", "active", "label")
        assert {k: after[ayon_id].get(k) for k in kept} == {k: before[ayon_id].get(k) for k in kept}
    assert after[synced[free["id"]]["id"]]["name"] == "sq020sh0010b"
    ftrack = contexts(ftrack_server, project_id)
    for shot in (renamed, moved):
        assert ftrack[shot["id"]]["attrs"]["ayon_sync_failed"] is True
        assert ftrack[shot["id"]]["attrs"]["ayon_id"] == synced[shot["id"]]["id"]
    assert ftrack[free["id"]]["attrs"]["ayon_path"] == "/sq020/sq020sh0010b"
    assert ftrack[moved["id"]]["attrs"]["ayon_path"] == "/sq010/sq010sh0020"

    again = await sync.run(project_id)
    assert_writes_nothing(again)
    assert {c.ftrack_id for c in conflicts(again)} == {renamed["id"], moved["id"]}


async def test_custom_attributes_are_converted_and_unset_values_removed(
    sync: Syncer, ftrack_server: FtrackEmulator, ayon_server: AyonEmulator
) -> None:
    project_id = ftrack_server.control.generate_project("attr", sequences=1, shots=2, tasks=1)
    ftrack = contexts(ftrack_server, project_id)
    shot, other = by_name(ftrack, "sq010sh0010"), by_name(ftrack, "sq010sh0020")
    with ftrack_server.control.as_user("jane.doe") as ui:
        ui.set_custom_attribute(shot["id"], "frameStart", 1010.0)  # number -> AYON integer
        ui.set_custom_attribute(shot["id"], "fps", 24)  # -> AYON float
        ui.set_custom_attribute(shot["id"], "resolutionWidth", 2048.0)

    await sync.run(project_id, create_project=True)
    synced = linked(ayon_server, "Attr")
    attrib = synced[shot["id"]]["attrib"]
    assert attrib["frameStart"] == 1010 and type(attrib["frameStart"]) is int
    assert attrib["fps"] == 24.0 and type(attrib["fps"]) is float
    assert attrib["resolutionWidth"] == 2048 and type(attrib["resolutionWidth"]) is int
    own = set(synced[shot["id"]]["ownAttrib"])
    assert {"frameStart", "frameEnd", "fps", "resolutionWidth"} <= own
    # a value set only on the project is inherited in AYON, not copied to every entity
    assert "fps" not in synced[other["id"]]["ownAttrib"]
    assert synced[other["id"]]["attrib"]["fps"] == 25.0

    with ftrack_server.control.as_user("jane.doe") as ui:
        ui.set_custom_attribute(shot["id"], "frameEnd", None)
        ui.set_custom_attribute(shot["id"], "resolutionWidth", None)
    report = await sync.run(project_id)
    assert report.totals()["updated"] == 1
    entity = linked(ayon_server, "Attr")[shot["id"]]
    assert "frameEnd" not in entity["ownAttrib"]
    assert "resolutionWidth" not in entity["ownAttrib"]
    assert entity["attrib"]["frameStart"] == 1010  # untouched

    assert_writes_nothing(await sync.run(project_id))


async def test_statuses_map_to_same_named_ayon_statuses_in_scope(
    sync: Syncer,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
    ayon: ayon_api.ServerAPI,
) -> None:
    project_id = ftrack_server.control.generate_project("stat", sequences=1, shots=3, tasks=2)
    await sync.run(project_id, create_project=True)
    ftrack = contexts(ftrack_server, project_id)
    synced = linked(ayon_server, "Stat")
    # names match case-insensitively (AYON keeps its own casing of a status it has)
    scopes = {s["name"].lower(): s.get("scope") or [] for s in ayon.get_project("Stat")["statuses"]}
    with_status = [n for n in ftrack.values() if n["status"]]
    assert len(with_status) >= 9  # shots and tasks
    for node in with_status:
        entity = synced[node["id"]]
        assert entity["status"].lower() == node["status"].lower(), node
        assert entity["kind"] in scopes[entity["status"].lower()]

    task = next(n for n in with_status if n["type"] == "Task")
    shot = next(n for n in with_status if n["type"] == "Shot")
    new_task_status = next(
        s
        for s in ftrack_server.control.query("select id, name from Status")
        if s["name"] != task["status"] and "task" in scopes.get(s["name"].lower(), [])
    )
    new_shot_status = next(
        s
        for s in ftrack_server.control.query("select id, name from Status")
        if s["name"] != shot["status"] and "folder" in scopes.get(s["name"].lower(), [])
    )
    with ftrack_server.control.as_user("jane.doe") as ui:
        ui.update("Task", task["id"], {"status_id": new_task_status["id"]})
        ui.update("Shot", shot["id"], {"status_id": new_shot_status["id"]})
    report = await sync.run(project_id)
    assert report.totals()["updated"] == 2
    after = linked(ayon_server, "Stat")
    assert after[task["id"]]["status"].lower() == new_task_status["name"].lower()
    assert after[shot["id"]]["status"].lower() == new_shot_status["name"].lower()

    assert_writes_nothing(await sync.run(project_id))


async def test_assignees_are_mapped_by_email_then_username(
    sync: Syncer,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
    ayon: ayon_api.ServerAPI,
) -> None:
    project_id = ftrack_server.control.generate_project("asg", sequences=1, shots=4, tasks=2)
    users = {
        u["username"]: u["id"] for u in ftrack_server.control.query("select id, username from User")
    }
    with ftrack_server.control.as_user("jane.doe") as ui:
        ui.update("User", users["artist1.asg"], {"email": "First.Artist@studio.test"})
    # artist1 is matched by e-mail (not by the same-named AYON user), artist2 by username
    ayon_server.control.create_user("first", attrib={"email": "first.artist@studio.test"})
    ayon_server.control.create_user("artist1.asg")
    ayon_server.control.create_user("artist2.asg")
    ayon_server.control.create_user("outsider")  # no ftrack counterpart
    expected_user = {users["artist1.asg"]: "first", users["artist2.asg"]: "artist2.asg"}

    def ftrack_assignees() -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for row in ftrack_server.control.query(
            'select context_id, resource_id from Appointment where type is "assignment"'
        ):
            found.setdefault(row["context_id"], set()).add(expected_user[row["resource_id"]])
        return found

    await sync.run(project_id, create_project=True)
    tasks = [n for n in contexts(ftrack_server, project_id).values() if n["type"] == "Task"]
    wanted = ftrack_assignees()
    synced = linked(ayon_server, "Asg")
    for task in tasks:
        assert set(synced[task["id"]]["assignees"]) == wanted.get(task["id"], set()), task
    assert {"first", "artist2.asg"} <= set().union(*wanted.values())

    # reassign in ftrack; add an AYON-only user in AYON: the latter is kept
    task = tasks[0]
    ayon_task = synced[task["id"]]
    ayon.update_task("Asg", ayon_task["id"], assignees=[*ayon_task["assignees"], "outsider"])
    appointments = ftrack_server.control.query(
        f'select id, resource_id from Appointment where context_id is "{task["id"]}"'
    )
    other = next(uid for uid in expected_user if uid != appointments[0]["resource_id"])
    with ftrack_server.control.as_user("jane.doe") as ui:
        for appointment in appointments:
            ui.delete("Appointment", appointment["id"])
        ui.create(
            "Appointment",
            {
                "context_id": task["id"],
                "resource_id": other,
                "type": "assignment",
            },
        )
    report = await sync.run(project_id)
    assert report.totals()["updated"] == 1
    after = linked(ayon_server, "Asg")[task["id"]]
    assert set(after["assignees"]) == {expected_user[other], "outsider"}

    assert_writes_nothing(await sync.run(project_id))


async def test_ayon_only_entities_are_kept_unless_the_setting_deactivates_them(
    sync: Syncer,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
    ayon: ayon_api.ServerAPI,
) -> None:
    project_id = ftrack_server.control.generate_project("only", sequences=1, shots=1, tasks=1)
    await sync.run(project_id, create_project=True)
    ftrack = contexts(ftrack_server, project_id)
    synced = linked(ayon_server, "Only")
    shot = synced[by_name(ftrack, "sq010sh0010")["id"]]
    task_type = ayon.get_project("Only")["taskTypes"][0]["name"]
    folder_id = ayon.create_folder(
        "Only",
        "ayon_only",
        folder_type="Shot",
        parent_id=synced[by_name(ftrack, "sq010")["id"]]["id"],
    )
    task_id = ayon.create_task("Only", "ayon_task", task_type, shot["id"])

    assert_writes_nothing(await sync.run(project_id))  # kept by default
    for entity_id in (folder_id, task_id):
        assert ayon_entity(ayon_server, "Only", entity_id)["active"] is True

    sync.configure(deactivate_ayon_only=True)
    report = await sync.run(project_id)
    totals = report.totals()
    assert (totals["created"], totals["updated"], totals["deactivated"]) == (0, 0, 2)
    for entity_id in (folder_id, task_id):
        assert ayon_entity(ayon_server, "Only", entity_id)["active"] is False
    assert_in_sync(ftrack_server, ayon_server, project_id, "Only")

    assert_writes_nothing(await sync.run(project_id))


async def test_tasks_directly_under_the_project_are_refused_and_flagged(
    sync: Syncer, ftrack_server: FtrackEmulator, ayon_server: AyonEmulator
) -> None:
    project_id = ftrack_server.control.generate_project("top", sequences=1, shots=1, tasks=1)
    type_id = ftrack_server.control.query("select type_id from Task")[0]["type_id"]
    with ftrack_server.control.as_user("jane.doe") as ui:
        task = ui.create("Task", {"name": "admin", "parent_id": project_id, "type_id": type_id})

    report = await sync.run(project_id, create_project=True)
    assert [(c.kind, c.ftrack_id) for c in conflicts(report)] == [
        ("task_under_project", task["id"])
    ]
    assert not [e for e in ayon_all(ayon_server, "Top") if e["name"] == "admin"]
    attrs = contexts(ftrack_server, project_id)[task["id"]]["attrs"]
    assert (attrs["ayon_sync_failed"], attrs["ayon_id"]) == (True, "")
    assert_in_sync(ftrack_server, ayon_server, project_id, "Top", failed={task["id"]})

    assert_writes_nothing(await sync.run(project_id))
