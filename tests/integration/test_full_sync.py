"""Full sync ftrack -> AYON through a real worker, both emulators and the real clients."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import ayon_api
import pytest
from temporalio.client import Client, WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from ayon_ftrack_sync.activities import build_activities
from ayon_ftrack_sync.config import (
    AppConfig,
)
from ayon_ftrack_sync.emulators.ayon import AyonEmulator
from ayon_ftrack_sync.emulators.ftrack import FtrackEmulator
from ayon_ftrack_sync.payloads.full_sync import FullSyncInput, FullSyncReport, Phase
from ayon_ftrack_sync.workflows import WORKFLOWS
from ayon_ftrack_sync.workflows.full_sync import FullSyncWorkflow
from tests.conftest import WorkerFactory
from tests.helpers import sync_config


@pytest.fixture
def config(tmp_path: Path, ftrack_server: FtrackEmulator, ayon_server: AyonEmulator) -> AppConfig:
    return sync_config(tmp_path, ftrack_server, ayon_server)  # type: ignore[no-any-return]


@pytest.fixture
def ftrack(ftrack_session: Any) -> Any:
    return ftrack_session


async def full_sync(
    client: Client, make_worker: WorkerFactory, config: AppConfig, task_queue: str, **kwargs: Any
) -> FullSyncReport:
    async with make_worker(client, activities=build_activities(config), workflows=WORKFLOWS):
        return await client.execute_workflow(
            FullSyncWorkflow.run,
            FullSyncInput(**kwargs),
            id=f"ftrack-sync/project/{kwargs['ftrack_project_id']}/full-sync/{uuid.uuid4().hex[:8]}",
            task_queue=task_queue,
        )


def ayon_entities(server: AyonEmulator, project: str) -> dict[str, dict[str, Any]]:
    found = {}
    for kind in ("folder", "task"):
        for entity in server.control.entities(project, kind):
            ftrack_id = (entity.get("attrib") or {}).get("ftrackId")
            if ftrack_id:
                found[ftrack_id] = {**entity, "kind": kind}
    return found


async def test_generated_project_syncs_completely_and_a_second_run_writes_nothing(
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
    config: AppConfig,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
    ftrack: Any,
) -> None:
    project_id = ftrack_server.control.generate_project("fsync", sequences=2, shots=3, tasks=2)
    for artist in ("artist1.fsync", "artist2.fsync"):  # matched by ftrack username
        ayon_server.control.create_user(artist)
    client = temporal_env.client
    first = await full_sync(
        client, make_worker, config, task_queue, ftrack_project_id=project_id, create_project=True
    )
    contexts = ftrack.query(
        "select id, name, parent_id, object_type.name from TypedContext "
        f'where project_id is "{project_id}"'
    ).all()
    totals = first.totals()
    assert first.project.ayon_project_name == "Fsync" and first.project.created
    assert totals["created"] == len(contexts) == 2 + 6 + 12
    assert totals["conflicts"] == 0, [c for p in first.phases for c in p.conflicts]
    synced = ayon_entities(ayon_server, "Fsync")
    assert set(synced) == {c["id"] for c in contexts}
    shot = next(c for c in contexts if c["object_type"]["name"] == "Shot")
    ayon_shot = synced[shot["id"]]
    assert ayon_shot["name"] == shot["name"] and ayon_shot["folderType"] == "Shot"
    assert ayon_shot["attrib"]["frameStart"] == 1001
    assert ayon_shot["attrib"]["ftrackPath"].endswith("/" + shot["name"])
    stored = ftrack.query(f'select custom_attributes from Shot where id is "{shot["id"]}"').one()[
        "custom_attributes"
    ]
    assert stored["ayon_id"] == ayon_shot["id"]
    assert stored["ayon_path"].endswith("/" + shot["name"])
    assert stored["ayon_sync_failed"] is False
    assert first.ayon_event_id
    event = ayon_server.control.events("ftrack.sync.report")[-1]
    assert "20 created" in event["description"]

    # the statuses and assignees came along
    task = next(c for c in contexts if c["object_type"]["name"] == "Task")
    assignees = synced[task["id"]]["assignees"]
    assert assignees and set(assignees) <= {"artist1.fsync", "artist2.fsync"}

    second = await full_sync(client, make_worker, config, task_queue, ftrack_project_id=project_id)
    totals = second.totals()
    assert (totals["created"], totals["updated"], totals["deactivated"]) == (0, 0, 0)
    assert totals["ftrack_writes"] == 0
    assert totals["anatomy_changed"] == 0


async def test_dry_run_writes_nothing_and_previews(
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
    config: AppConfig,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
) -> None:
    project_id = ftrack_server.control.generate_project("dry", sequences=1, shots=2, tasks=1)
    ayon_server.control.create_project("Dry", "dry")
    report = await full_sync(
        temporal_env.client,
        make_worker,
        config,
        task_queue,
        ftrack_project_id=project_id,
        dry_run=True,
    )
    assert report.dry_run
    (hierarchy,) = [p for p in report.phases if p.phase is Phase.HIERARCHY]
    assert hierarchy.counts["created"] == 5
    assert any(line.startswith("create folder sq010") for line in hierarchy.preview)
    assert ayon_entities(ayon_server, "Dry") == {}


async def test_unknown_ayon_project_fails_with_a_clear_reason(
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
    config: AppConfig,
    ftrack_server: FtrackEmulator,
) -> None:
    project_id = ftrack_server.control.generate_project("missing", sequences=1, shots=1, tasks=1)
    with pytest.raises(WorkflowFailureError) as caught:
        await full_sync(
            temporal_env.client, make_worker, config, task_queue, ftrack_project_id=project_id
        )
    message = str(caught.value.cause.cause)  # type: ignore[union-attr]
    assert "AYON project 'Missing' does not exist" in message
    assert "--create-project" in message


async def test_missing_ayon_attributes_fail_with_what_to_do(
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
    config: AppConfig,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
) -> None:
    """AYON serves a new attribute only after a restart: the sync refuses instead of losing
    the link values, and says what to do."""
    project_id = ftrack_server.control.generate_project("attrs", sequences=1, shots=1, tasks=1)
    ayon_server.control.create_project("Attrs", "attrs")
    api = ayon_api.ServerAPI(ayon_server.url, token=ayon_server.api_key)
    api.delete("attributes/ftrackPath")
    api.trigger_server_restart()  # the attribute is gone for real now
    with pytest.raises(WorkflowFailureError) as caught:
        await full_sync(
            temporal_env.client, make_worker, config, task_queue, ftrack_project_id=project_id
        )
    message = str(caught.value.cause.cause)  # type: ignore[union-attr]
    assert "restart" in message and "ftrackPath" in message
