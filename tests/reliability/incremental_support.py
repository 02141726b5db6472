"""Shared by the incremental-sync reliability tests: a pipeline whose worker can be a child
process, a burst of ftrack web-UI edits with the AYON state each edit must end in, a recorder
of every AYON entity write (no-op writes included) and small Temporal inspection helpers.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from temporalio.api.enums.v1 import PendingActivityState, WorkflowExecutionStatus
from temporalio.client import Client

from ayon_ftrack_sync.config import AppConfig
from ayon_ftrack_sync.emulators.ayon import AyonEmulator
from ayon_ftrack_sync.emulators.ayon import entities as ayon_entities
from ayon_ftrack_sync.emulators.ftrack import FtrackEmulator
from ayon_ftrack_sync.payloads.project_sync import ProjectSyncStatus
from ayon_ftrack_sync.workflows.project_sync import ProjectSyncWorkflow, workflow_id_for
from tests.helpers import cli_env
from tests.integration.test_full_sync_rules import by_name, contexts, linked

#: ftrack edits in flight per project in the bursts (shots per sequence in the project)
SHOTS_PER_SEQUENCE = 15


def worker_env(config: AppConfig, address: str) -> dict[str, str]:
    """Environment for `ayon-ftrack-sync worker` with the same settings as `config`."""
    return cli_env(
        TEMPORAL_ADDRESS=address,
        FTRACK_SERVER=str(config.ftrack.server_url),
        FTRACK_API_USER=str(config.ftrack.api_user),
        FTRACK_API_KEY=config.ftrack.api_key.get_secret_value() if config.ftrack.api_key else "",
        AYON_SERVER_URL=str(config.ayon.server_url),
        AYON_API_KEY=config.ayon.api_key.get_secret_value() if config.ayon.api_key else "",
        AYON_FTRACK_SYNC_STATE_DIR=str(config.service.state_dir),
        AYON_FTRACK_SYNC_SETTINGS_FILE=str(config.service.settings_file),
    )


# -- edits ---------------------------------------------------------------------------------


@dataclass
class Edit:
    """One web-UI change and what AYON must show for it in the end."""

    project_id: str
    kind: str  # create / description / rename / move / frame
    ftrack_id: str
    value: Any
    apply: Callable[[Any], None] = field(repr=False)


def task_type_id(ftrack: FtrackEmulator, name: str = "Animation") -> str:
    rows = ftrack.control.query(f'select id, name from Type where name is "{name}"')
    assert rows, f"no task type {name}"
    return str(rows[0]["id"])


def plan_edits(ftrack: FtrackEmulator, project_id: str, tag: str) -> list[Edit]:
    """50 edits of distinct entities (so every final value is the value of one edit):
    10 new shots, 20 shot descriptions, 10 task renames, 5 shot moves, 5 frameStart values."""
    nodes = contexts(ftrack, project_id)
    shots = sorted((n for n in nodes.values() if n["type"] == "Shot"), key=lambda n: n["name"])
    assert len(shots) >= 2 * SHOTS_PER_SEQUENCE, len(shots)
    sq010, sq020 = by_name(nodes, "sq010"), by_name(nodes, "sq020")
    first = [s for s in shots if s["parent_id"] == sq010["id"]]
    second = [s for s in shots if s["parent_id"] == sq020["id"]]
    edits: list[Edit] = []

    def create(parent: str, name: str, new_id: str) -> Callable[[Any], None]:
        return lambda ui: ui.create("Shot", {"id": new_id, "name": name, "parent_id": parent})

    def update(entity_type: str, fid: str, data: dict[str, Any]) -> Callable[[Any], None]:
        return lambda ui: ui.update(entity_type, fid, data)

    def frame(fid: str, value: int) -> Callable[[Any], None]:
        return lambda ui: ui.set_custom_attribute(fid, "frameStart", value)

    for i in range(10):
        new_id = str(uuid.uuid4())
        parent = (sq010 if i % 2 == 0 else sq020)["id"]
        name = f"new{tag}{i:02d}"
        edits.append(Edit(project_id, "create", new_id, name, create(parent, name, new_id)))
    for i, shot in enumerate(first[:10] + second[:10]):
        text = f"{tag} description {i}"
        edits.append(
            Edit(
                project_id,
                "description",
                shot["id"],
                text,
                update("Shot", shot["id"], {"description": text}),
            )
        )
    tasks = [next(n for n in nodes.values() if n["parent_id"] == s["id"]) for s in first[:10]]
    for i, task in enumerate(tasks):
        name = f"{task['name']}{tag}{i}"
        edits.append(
            Edit(project_id, "rename", task["id"], name, update("Task", task["id"], {"name": name}))
        )
    for shot in first[10:15]:
        edits.append(
            Edit(
                project_id,
                "move",
                shot["id"],
                sq020["id"],
                update("Shot", shot["id"], {"parent_id": sq020["id"]}),
            )
        )
    for i, shot in enumerate(second[10:15]):
        value = 2001 + i
        edits.append(Edit(project_id, "frame", shot["id"], value, frame(shot["id"], value)))
    assert len(edits) == 50
    return edits


def interleave(*lists: list[Edit]) -> list[Edit]:
    out: list[Edit] = []
    for group in zip(*lists, strict=True):
        out.extend(group)
    return out


class Burst(threading.Thread):
    """Makes the edits "as the web UI", `pause` seconds apart, off the event loop (the
    in-process leecher runs on it)."""

    def __init__(self, ftrack: FtrackEmulator, edits: list[Edit], pause: float) -> None:
        super().__init__(name="ui-burst", daemon=True)
        self.ftrack = ftrack
        self.edits = edits
        self.pause = pause
        self.done = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with self.ftrack.control.as_user("jane.doe") as ui:
                for edit in self.edits:
                    edit.apply(ui)
                    self.done += 1
                    time.sleep(self.pause)
        except BaseException as exc:  # reported by `finish`
            self.error = exc

    async def finish(self, timeout: float = 60.0) -> None:
        await asyncio.to_thread(self.join, timeout)
        assert not self.is_alive(), "the burst did not finish"
        if self.error is not None:
            raise self.error
        assert self.done == len(self.edits)


def ayon_entity_for(ayon: AyonEmulator, project: str, edit: Edit) -> dict[str, Any]:
    found = linked(ayon, project).get(edit.ftrack_id)
    assert found is not None, f"{edit.kind} of ftrack {edit.ftrack_id}: no active AYON entity"
    return found


def assert_edit_visible(ayon: AyonEmulator, project: str, edit: Edit) -> None:
    entity = ayon_entity_for(ayon, project, edit)
    if edit.kind == "create":
        assert entity["name"] == edit.value, entity
    elif edit.kind == "description":
        assert entity["attrib"].get("description") == edit.value, (edit, entity["attrib"])
    elif edit.kind == "rename":
        assert entity["name"] == edit.value, entity
    elif edit.kind == "move":
        parent = linked(ayon, project)[edit.value]
        assert entity["parentId"] == parent["id"], (edit, entity)
    elif edit.kind == "frame":
        assert entity["attrib"].get("frameStart") == edit.value, (edit, entity["attrib"])
    else:  # pragma: no cover
        raise AssertionError(edit.kind)


# -- AYON write recorder ------------------------------------------------------------------


@dataclass
class Write:
    op: str  # create / update
    project: str
    kind: str
    entity_id: str
    data: dict[str, Any]


class WriteRecorder:
    """Every folder/task create or update the AYON emulator executes, no-op updates included
    (the emulator's event log only shows updates that changed something)."""

    def __init__(self) -> None:
        self.writes: list[Write] = []
        self._lock = threading.Lock()

    @contextmanager
    def installed(self, monkeypatch: pytest.MonkeyPatch) -> Iterator[WriteRecorder]:
        real_create, real_update = ayon_entities.create, ayon_entities.update

        def create(tx: Any, proj: Any, kind: str, entity_id: Any, data: dict[str, Any]) -> Any:
            ent = real_create(tx, proj, kind, entity_id, data)
            self._add("create", proj.name, kind, str(ent["id"]), data)
            return ent

        def update(tx: Any, proj: Any, kind: str, entity_id: str, data: dict[str, Any]) -> Any:
            ent = real_update(tx, proj, kind, entity_id, data)
            self._add("update", proj.name, kind, entity_id, data)
            return ent

        monkeypatch.setattr(ayon_entities, "create", create)
        monkeypatch.setattr(ayon_entities, "update", update)
        try:
            yield self
        finally:
            monkeypatch.setattr(ayon_entities, "create", real_create)
            monkeypatch.setattr(ayon_entities, "update", real_update)

    def _add(self, op: str, project: str, kind: str, entity_id: str, data: dict[str, Any]) -> None:
        if kind not in ("folder", "task"):
            return
        with self._lock:
            self.writes.append(Write(op, project, kind, entity_id, dict(data or {})))

    def of(self, project: str, entity_id: str) -> list[Write]:
        with self._lock:
            return [w for w in self.writes if w.project == project and w.entity_id == entity_id]

    def writes_of_edit(self, ayon: AyonEmulator, project: str, edit: Edit) -> list[Write]:
        """The writes that carried this edit's value to AYON."""
        entity = ayon_entity_for(ayon, project, edit)
        writes = self.of(project, entity["id"])
        if edit.kind == "create":
            return [w for w in writes if w.op == "create"]
        if edit.kind == "description":
            return [
                w for w in writes if (w.data.get("attrib") or {}).get("description") == edit.value
            ]
        if edit.kind == "rename":
            return [w for w in writes if w.data.get("name") == edit.value]
        if edit.kind == "move":
            parent = linked(ayon, project)[edit.value]["id"]
            return [w for w in writes if w.data.get("parentId") == parent]
        if edit.kind == "frame":
            return [
                w for w in writes if (w.data.get("attrib") or {}).get("frameStart") == edit.value
            ]
        raise AssertionError(edit.kind)


# -- Temporal inspection --------------------------------------------------------------------


async def status_of(client: Client, project_id: str) -> ProjectSyncStatus | None:
    try:
        return await client.get_workflow_handle(workflow_id_for(project_id)).query(
            ProjectSyncWorkflow.status
        )
    except Exception:
        return None


async def running_applies(client: Client, project_id: str) -> list[Any]:
    """Started `incremental.apply` attempts of the project's workflow."""
    description = await client.get_workflow_handle(workflow_id_for(project_id)).describe()
    return [
        a
        for a in description.raw_description.pending_activities
        if a.activity_type.name == "incremental.apply"
        and a.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
    ]


async def assert_healthy(client: Client, project_id: str) -> ProjectSyncStatus:
    """Running, answering queries, `flush` returns, and no activity is left retrying."""
    handle = client.get_workflow_handle(workflow_id_for(project_id))
    for _ in range(5):  # -1: the run continued as new; ask the next run
        if await asyncio.wait_for(handle.execute_update(ProjectSyncWorkflow.flush), 30) >= 0:
            break
    description = await handle.describe()
    assert description.raw_description.workflow_execution_info.status == (
        WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
    )
    pending = description.raw_description.pending_activities
    assert not pending, [(a.activity_type.name, a.attempt, a.last_failure.message) for a in pending]
    status = await handle.query(ProjectSyncWorkflow.status)
    assert status.pending == 0, status
    return status


async def applied_events(client: Client, *project_ids: str) -> int:
    statuses = [await status_of(client, p) for p in project_ids]
    return sum(s.stats.events_applied for s in statuses if s is not None)
