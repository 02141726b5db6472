"""Links, version statuses and lists phases against both emulators through the real clients.

The hierarchy is synced first through the real workflow (as test_full_sync does); the extra
phase activities are then called directly with ``ActivityEnvironment`` (the lead wires them
into the workflow later).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ayon_api
import ftrack_api
import pytest
from temporalio import activity
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from ayon_ftrack_sync.activities.full_sync import FullSyncActivities
from ayon_ftrack_sync.activities.full_sync_extras import FullSyncExtrasActivities
from ayon_ftrack_sync.ayon import extras as ayon_extras
from ayon_ftrack_sync.config import (
    AppConfig,
    AyonConfig,
    FtrackConfig,
    ServiceConfig,
    TemporalConfig,
)
from ayon_ftrack_sync.emulators.ayon import AyonEmulator
from ayon_ftrack_sync.emulators.ftrack import FtrackEmulator
from ayon_ftrack_sync.payloads.full_sync import FullSyncInput, Phase, PhaseInput, PhaseResult
from ayon_ftrack_sync.sync.lists import AyonList, AyonListItem
from ayon_ftrack_sync.workflows import WORKFLOWS
from ayon_ftrack_sync.workflows.full_sync import FullSyncWorkflow
from tests.conftest import WorkerFactory

PROJECT = "Extras"


def _settings(link_type: str, sync_versions: bool) -> dict[str, Any]:
    return {
        "service_event_handlers": {
            "sync_from_ftrack": {"sync_versions": sync_versions, "sync_link_type": link_type}
        }
    }


def _config(tmp_path: Path, ftrack: FtrackEmulator, ayon: AyonEmulator, **kw: Any) -> AppConfig:
    settings_file = tmp_path / f"settings-{uuid.uuid4().hex[:6]}.json"
    settings_file.write_text(json.dumps(_settings(**kw)))
    return AppConfig(
        temporal=TemporalConfig(),
        ftrack=FtrackConfig(
            FTRACK_SERVER=ftrack.url, FTRACK_API_USER=ftrack.api_user, FTRACK_API_KEY=ftrack.api_key
        ),
        ayon=AyonConfig(AYON_SERVER_URL=ayon.url, AYON_API_KEY=ayon.api_key),
        service=ServiceConfig(
            AYON_FTRACK_SYNC_STATE_DIR=str(tmp_path / "state"),
            AYON_FTRACK_SYNC_SETTINGS_FILE=str(settings_file),
        ),
    )


def _emulator_change_list_items(
    api: Any, project: str, entity_list: AyonList, add: Any, remove: Any
) -> int:
    """Emulator gap: it lacks ``PATCH /lists/{id}/items`` (merge/delete modes) and instead
    takes the whole item list in ``PATCH /lists/{id}`` (real AYON ignores ``items`` there)."""
    removed = set(remove)
    items = [
        {"id": i.id, "entityId": i.entity_id} for i in entity_list.items if i.id not in removed
    ]
    items += [{"entityId": e} for e in add]
    body = {"items": [{**item, "position": n} for n, item in enumerate(items)]}
    api.patch(f"projects/{project}/lists/{entity_list.id}", **body).raise_for_status()
    return 1


@pytest.fixture
def emulator_list_items(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ayon_extras, "change_list_items", _emulator_change_list_items)


@pytest.fixture
def ftrack(ftrack_server: FtrackEmulator) -> Iterator[Any]:
    session = ftrack_api.Session(
        server_url=ftrack_server.url,
        api_key=ftrack_server.api_key,
        api_user=ftrack_server.api_user,
        schema_cache_path=False,
        auto_connect_event_hub=False,
    )
    try:
        yield session
    finally:
        session.close()


def _run(activity: Any, request: PhaseInput) -> PhaseResult:
    result = ActivityEnvironment().run(activity, request)
    assert isinstance(result, PhaseResult)
    return result


def _writes(result: PhaseResult) -> dict[str, int]:
    keys = (
        "links.created",
        "versions.status_updated",
        "versions.ftrack_id_set",
        "versions.ayon_id_written",
        "lists.created",
        "lists.renamed",
        "lists.relinked",
        "lists.items_added",
        "lists.items_removed",
    )
    return {k: v for k, v in result.counts.items() if k in keys and v}


def _ftrack_id_map(server: AyonEmulator, kind: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for entity in server.control.entities(PROJECT, kind):
        ftrack_id = (entity.get("attrib") or {}).get("ftrackId")
        if ftrack_id:
            found[str(ftrack_id)] = entity["id"]
    return found


def _skipped_extras() -> list[Any]:
    """Stand-ins for the extra phases, so the workflow run covers only the hierarchy."""

    def stand_in(name: str, phase: Phase) -> Any:
        @activity.defn(name=f"full_sync.{name}")
        async def skipped(request: PhaseInput) -> PhaseResult:
            return PhaseResult(phase=phase)

        return skipped

    return [
        stand_in("links", Phase.LINKS),
        stand_in("versions", Phase.VERSIONS),
        stand_in("lists", Phase.LISTS),
    ]


async def test_links_versions_lists_sync_and_a_second_run_writes_nothing(
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
    tmp_path: Path,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
    ftrack: Any,
    emulator_list_items: None,
) -> None:
    project_id = ftrack_server.control.generate_project(
        "extras", sequences=1, shots=3, tasks=2, versions_per_task=2, lists=2
    )
    config = _config(
        tmp_path, ftrack_server, ayon_server, link_type="breakdown", sync_versions=True
    )
    client = temporal_env.client
    # the workflow syncs the hierarchy; the extra phases are driven by hand below
    hierarchy_only = [*FullSyncActivities(config).all(), *_skipped_extras()]
    async with make_worker(client, activities=hierarchy_only, workflows=WORKFLOWS):
        report = await client.execute_workflow(
            FullSyncWorkflow.run,
            FullSyncInput(ftrack_project_id=project_id, create_project=True),
            id=f"ftrack-sync/project/{project_id}/full-sync/{uuid.uuid4().hex[:8]}",
            task_queue=task_queue,
        )
    request = PhaseInput(project=report.project)
    assert report.project.ayon_project_name == PROJECT

    # -- ftrack side: links, list types, a version list, version statuses ------------------
    shots = sorted(
        ftrack.query(f'select id, name from Shot where project_id is "{project_id}"').all(),
        key=lambda s: s["name"],
    )
    task = ftrack.query(f'Task where project_id is "{project_id}"').first()
    ftrack.create("TypedContextLink", {"from": shots[0], "to": shots[1]})
    ftrack.create("TypedContextLink", {"from": shots[2], "to": shots[0]})
    ftrack.create("TypedContextLink", {"from": shots[1], "to": shots[1]})  # self-link
    ftrack.create("TypedContextLink", {"from": shots[0], "to": task})  # not a folder
    versions = ftrack.query(
        "select id, version, asset.name, asset.context_id from AssetVersion "
        f'where asset.context_id is "{shots[0]["id"]}"'
    ).all()
    assert len(versions) == 4  # two assets (renderAnimation, renderCompositing) x v1, v2
    api = ayon_api.ServerAPI(ayon_server.url, token=ayon_server.api_key)
    try:
        version_statuses = [
            s["name"] for s in api.get_project(PROJECT)["statuses"] if "version" in s["scope"]
        ]
        assert len(version_statuses) >= 2
        ft_status = ftrack.query(f'Status where name is "{version_statuses[1]}"').one()
        for version in versions:
            version["status"] = ft_status
        lists = {
            lst["name"]: lst
            for lst in ftrack.query(f'TypedContextList where project_id is "{project_id}"')
        }
        lists["list1"]["custom_attributes"]["ayon_list_type"] = ["task"]
        dailies = ftrack.create(
            "AssetVersionList",
            {
                "name": "Dailies",
                "project": ftrack.get("Project", project_id),
                "category": ftrack.query("ListCategory").first(),
            },
        )
        for version in versions[:3]:
            dailies["items"].append(version)
        ftrack.commit()

        # -- AYON side: products/versions to match, a list to match by label ----------------
        folders = _ftrack_id_map(ayon_server, "folder")
        shot0 = folders[shots[0]["id"]]
        by_asset: dict[str, dict[int, str]] = {}
        for version in versions:
            by_asset.setdefault(version["asset"]["name"], {})[version["version"]] = version["id"]
        assert set(by_asset) == {"renderAnimation", "renderCompositing"}
        exact = api.create_product(PROJECT, "renderAnimation", "render", shot0)
        contained = api.create_product(PROJECT, "compositing", "render", shot0)
        ay_versions = {
            ("renderAnimation", n): api.create_version(
                PROJECT, n, exact, status=version_statuses[0]
            )
            for n in (1, 2)
        }
        ay_versions |= {
            ("renderCompositing", n): api.create_version(
                PROJECT, n, contained, status=version_statuses[0]
            )
            for n in (1, 2)
        }
        # one version already linked through its ftrackId
        linked_ft = by_asset["renderCompositing"][2]
        api.update_version(
            PROJECT, ay_versions[("renderCompositing", 2)], attrib={"ftrackId": linked_ft}
        )
        folder_list = api.create_entity_list(PROJECT, "folder", "LIST2")

        extras = FullSyncExtrasActivities(config)
        dry = PhaseInput(project=report.project, dry_run=True)
        previews = [_run(a, dry) for a in (extras.links, extras.versions, extras.lists)]
        assert [r.counts["links.created"] for r in previews[:1]] == [2]
        assert all(r.preview for r in previews)
        dry_links = api.get_folders_links(PROJECT, link_types=["breakdown"])
        assert not any(dry_links.values())
        assert len(list(api.get_entity_lists(PROJECT, fields=["id"]))) == 1
        links = _run(extras.links, request)
        versions_result = _run(extras.versions, request)
        lists_result = _run(extras.lists, request)

        # links: ftrack from -> AYON input, ftrack to -> AYON output; self/task links ignored
        assert links.counts["links.created"] == 2
        assert links.counts["links.ignored"] == 2
        out_links = api.get_folders_links(PROJECT, link_types=["breakdown"], link_direction="out")
        pairs = {(fid, link["entityId"]) for fid, ls in out_links.items() for link in ls}
        assert pairs == {
            (folders[shots[0]["id"]], folders[shots[1]["id"]]),
            (folders[shots[2]["id"]], folders[shots[0]["id"]]),
        }

        # versions: all four matched (exact name, contained name, ftrackId), statuses synced
        assert versions_result.counts["versions.matched"] == 4, versions_result.counts
        assert versions_result.counts["versions.matched_by_ftrack_id"] == 1
        assert versions_result.counts["versions.matched_by_guess"] == 3
        for (asset, number), ayon_id in ay_versions.items():
            ay = api.get_version_by_id(PROJECT, ayon_id, fields=["status", "attrib.ftrackId"])
            assert ay is not None
            assert ay["status"] == version_statuses[1]
            assert ay["attrib"]["ftrackId"] == by_asset[asset][number]
        stored = ftrack_server.control.query(
            "select entity_id, value from CustomAttributeValue where entity_id in "
            f"({','.join(v['id'] for v in versions)}) and configuration.key is ayon_id"
        )
        assert {r["entity_id"]: r["value"] for r in stored} == {
            by_asset[a][n]: ayon_id for (a, n), ayon_id in ay_versions.items()
        }

        # lists: list1 as a task list, list2 matched by label (renamed, relinked), dailies
        ay_lists = {
            lst["label"]: lst
            for lst in api.get_entity_lists(
                PROJECT, fields=["id", "label", "entityType", "attrib.ftrackId"]
            )
        }
        assert set(ay_lists) == {"list1", "list2", "Dailies"}
        assert ay_lists["list2"]["id"] == folder_list
        assert ay_lists["list2"]["attrib"]["ftrackId"] == lists["list2"]["id"]
        assert ay_lists["list1"]["entityType"] == "task"
        assert ay_lists["Dailies"]["entityType"] == "version"
        tasks = _ftrack_id_map(ayon_server, "task")
        list1_items = [
            i["entityId"]
            for i in api.get_entity_list_rest(PROJECT, ay_lists["list1"]["id"])["items"]
        ]
        assert list1_items == [tasks[o["entity_id"]] for o in _items(ftrack, lists["list1"])]
        dailies_items = {
            i["entityId"]
            for i in api.get_entity_list_rest(PROJECT, ay_lists["Dailies"]["id"])["items"]
        }
        ft_to_ay = {by_asset[a][n]: i for (a, n), i in ay_versions.items()}
        assert dailies_items == {ft_to_ay[v["id"]] for v in versions[:3]}
        # list2's items are tasks but the list is a folder list: nothing to add
        assert lists_result.counts["lists.created"] == 2
        assert lists_result.counts["lists.renamed"] == 1

        # requests: a handful, whatever the size
        for result in (links, versions_result, lists_result):
            assert result.ftrack_requests <= 6, result
        assert links.ayon_requests <= 15 and versions_result.ayon_requests <= 15

        # -- second run: nothing to write ----------------------------------------------------
        for activity in (extras.links, extras.versions, extras.lists):
            assert _writes(_run(activity, request)) == {}

        # -- ftrack changes: rename a list, drop and add items -------------------------------
        lists["list1"]["name"] = "List One"
        removed = _items(ftrack, lists["list1"])[0]
        ftrack.delete(removed)
        dailies["items"].append(versions[3])
        ftrack.commit()
        again = _run(extras.lists, request)
        assert _writes(again) == {
            "lists.renamed": 1,
            "lists.items_added": 1,
            "lists.items_removed": 1,
        }
        renamed = api.get_entity_list_rest(PROJECT, ay_lists["list1"]["id"])
        assert renamed["label"] == "List One"
        assert tasks[removed["entity_id"]] not in {i["entityId"] for i in renamed["items"]}
        assert _writes(_run(extras.lists, request)) == {}
    finally:
        api.close_session()


def _items(session: Any, ft_list: Any) -> list[Any]:
    return list(
        session.query(
            f'select id, entity_id from ListObject where list_id is "{ft_list["id"]}" order by id'
        ).all()
    )


async def test_link_sync_reports_a_missing_link_type_and_skip_does_nothing(
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
    tmp_path: Path,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
) -> None:
    project_id = ftrack_server.control.generate_project("nolinks", sequences=1, shots=2, tasks=1)
    ayon_server.control.create_project("Nolinks", "nolinks")
    from ayon_ftrack_sync.payloads.full_sync import ProjectRef

    request = PhaseInput(
        project=ProjectRef(
            ftrack_project_id=project_id,
            ftrack_name="nolinks",
            ftrack_full_name="Nolinks",
            ayon_project_name="Nolinks",
        )
    )
    missing = _config(tmp_path, ftrack_server, ayon_server, link_type="nosuch", sync_versions=False)
    result = _run(FullSyncExtrasActivities(missing).links, request)
    assert result.counts["links.skipped_missing_type"] == 1
    assert result.conflicts[0].kind == "missing_link_type"
    skip = _config(tmp_path, ftrack_server, ayon_server, link_type="< Skip >", sync_versions=False)
    assert _run(FullSyncExtrasActivities(skip).links, request).counts == {"links.disabled": 1}
    assert _run(FullSyncExtrasActivities(skip).versions, request).counts == {"versions.disabled": 1}


class _RecordingApi:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[dict[str, Any]], str]] = []

    def update_entity_list_items(
        self, project: str, list_id: str, items: list[dict[str, Any]], mode: str
    ) -> None:
        self.calls.append((list_id, items, mode))


def test_list_items_go_to_the_multi_patch_endpoint_in_merge_and_delete_modes() -> None:
    """The real AYON path (the emulator lacks it): kept items are never resent."""
    api = _RecordingApi()
    current = AyonList("L", "l", "task", None, (AyonListItem("i1", "e1"), AyonListItem("i2", "e2")))
    requests = ayon_extras.change_list_items(api, "P", current, ["e3"], ["i2"])
    assert requests == 2
    assert api.calls == [
        ("L", [{"entityId": "e3"}], "merge"),
        ("L", [{"id": "i2"}], "delete"),
    ]
    assert ayon_extras.change_list_items(api, "P", current, [], []) == 0
