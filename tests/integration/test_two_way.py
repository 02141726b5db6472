"""Both directions at once, through the real clients: people edit ftrack (the emulator's web-UI
session) and AYON (ayon_api, sender type `test`); the real leecher, the real AYON listener, a
real worker with the real activities and `ProjectSyncWorkflow` on a real dev server keep the
two in step. What the service writes is counted on both servers (no-op writes included) and
tagged with the apply activity that was running when it was written (`two_way_support`).

Loop prevention (design.md): AYON writes carry sender type `ftrack` and are never enrolled
back; ftrack writes are made by the service user and come back through the hub, but every plan
is a diff against the current state, so an echo plans nothing.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import ayon_api
import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from ayon_ftrack_sync.activities import build_activities
from ayon_ftrack_sync.emulators.ayon import AyonEmulator
from ayon_ftrack_sync.emulators.ftrack import FtrackEmulator
from ayon_ftrack_sync.payloads.project_sync import ProjectSyncInput
from ayon_ftrack_sync.sync.identity import ftrack_id_for
from ayon_ftrack_sync.workflows.project_sync import ProjectSyncWorkflow, workflow_id_for
from tests.conftest import WorkerFactory
from tests.helpers import temporal_address
from tests.integration.leecher_support import hub_updates, until
from tests.integration.test_full_sync_rules import by_name, contexts, linked
from tests.integration.test_incremental_rules import resync_writes_nothing
from tests.integration.two_way_support import (
    ActivityTracker,
    AyonWrite,
    AyonWrites,
    FtrackWrite,
    FtrackWrites,
    TwoWay,
    source_events,
    synced,
    two_way,
)

log = logging.getLogger(__name__)


@pytest.fixture
def tracker() -> ActivityTracker:
    return ActivityTracker()


@pytest.fixture
async def both(
    tmp_path: Path,
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
    tracker: ActivityTracker,
) -> AsyncIterator[TwoWay]:
    async with two_way(
        tmp_path,
        temporal_env.client,
        temporal_address(temporal_env),
        make_worker,
        task_queue,
        ftrack_server,
        ayon_server,
        tracker=tracker,
    ) as running:
        yield running


@pytest.fixture
def person(ayon_api_factory: Callable[..., ayon_api.ServerAPI]) -> ayon_api.ServerAPI:
    """ayon_api as a person uses it (sender type `test`, not the sync's `ftrack`)."""
    return ayon_api_factory(sender_type="test", sender="artist")


def ftrack_values(ftrack: FtrackEmulator, entity_id: str) -> dict[str, Any]:
    rows = ftrack.control.query(
        "select value, configuration.key from CustomAttributeValue "
        f'where entity_id is "{entity_id}"'
    )
    return {r["configuration"]["key"]: r["value"] for r in rows}


def ftrack_description(ftrack: FtrackEmulator, entity_id: str) -> Any:
    rows = ftrack.control.query(f'select description from TypedContext where id is "{entity_id}"')
    assert rows, f"ftrack entity {entity_id} does not exist"
    return rows[0]["description"]


def service_hub_events(ftrack: FtrackEmulator, project_id: str, since: int) -> list[dict[str, Any]]:
    """The project's `ftrack.update` events (after the first `since`) made by the API user."""
    ids = set(hub_updates(ftrack, project_id)[since:])
    return [
        e
        for e in list(ftrack.hub.log)
        if e.get("id") in ids
        and (e.get("source") or {}).get("user", {}).get("username") == ftrack.api_user
    ]


async def activity_order(both: TwoWay, project_id: str) -> list[tuple[str, float]]:
    """(activity name, scheduled at) of the project's apply activities, in history order."""
    handle = both.client.get_workflow_handle(workflow_id_for(project_id))
    found = []
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            name = event.activity_task_scheduled_event_attributes.activity_type.name
            found.append((name, event.event_time.ToDatetime().timestamp()))
    return found


# -- 1. creation round trip -------------------------------------------------------------------


async def test_folder_created_in_ayon_reaches_ftrack_and_its_echo_changes_nothing(
    both: TwoWay,
    person: ayon_api.ServerAPI,
    tracker: ActivityTracker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A person creates a shot folder with a task and a description in AYON. ftrack gets a
    Shot and a Task with ids derived from the AYON ids (one create each, by the service).
    The transmit links the AYON entities (`ftrackId` before, `ftrackPath` after: its own AYON
    writes). Then the echo: the ftrack events of those creates come back through the hub and
    the leecher, and `incremental.apply` runs for them, and writes nothing to AYON, and
    nothing to ftrack either; AYON keeps what the person made; a full resync writes nothing."""
    project_id, project = await synced(both, "round")
    sq010 = by_name(contexts(both.ftrack, project_id), "sq010")
    parent = linked(both.ayon, project)[sq010["id"]]
    hub_mark = len(hub_updates(both.ftrack, project_id))
    ayon_writes = AyonWrites(tracker)
    ftrack_writes = FtrackWrites(both.ftrack, tracker)
    with ayon_writes.installed(monkeypatch), ftrack_writes.installed(monkeypatch):
        runs_before = len(tracker.runs)
        folder_id = await asyncio.to_thread(
            person.create_folder,
            project,
            "new_shot",
            folder_type="Shot",
            parent_id=parent["id"],
            label="new shot",
            attrib={"description": "made in AYON"},
        )
        task_id = await asyncio.to_thread(
            person.create_task, project, "comp", "Compositing", folder_id=folder_id
        )
        shot_fid, task_fid = ftrack_id_for(folder_id), ftrack_id_for(task_id)
        await until(
            lambda: task_fid in contexts(both.ftrack, project_id), 30, what="the task in ftrack"
        )
        status = await both.settle(project_id, project)
        runs = tracker.runs[runs_before:]

    assert status.stats.batches_failed == 0, status.stats.last_error
    # ftrack has the shot and the task, linked both ways
    nodes = contexts(both.ftrack, project_id)
    shot, task = nodes[shot_fid], nodes[task_fid]
    assert (shot["name"], shot["type"], shot["parent_id"]) == ("new shot", "Shot", sq010["id"])
    assert (task["name"], task["parent_id"]) == ("comp", shot_fid)
    assert shot["attrs"]["ayon_id"] == folder_id and task["attrs"]["ayon_id"] == task_id
    assert ftrack_description(both.ftrack, shot_fid) == "made in AYON"
    creates = [w for w in ftrack_writes.by_service() if w.action == "create"]
    assert sorted(
        (w.entity_type, w.entity_key[0])
        for w in creates
        if w.entity_key[0]
        in (
            shot_fid,
            task_fid,
        )
    ) == sorted([("Shot", shot_fid), ("Task", task_fid)]), creates
    assert all(w.activity == "transmit.apply" for w in ftrack_writes.by_service()), [
        w for w in ftrack_writes.by_service() if w.activity != "transmit.apply"
    ]

    # the echo came back and was applied (otherwise "it wrote nothing" would prove nothing)
    echoes = service_hub_events(both.ftrack, project_id, hub_mark)
    echoed = {str(item.get("entityId")) for event in echoes for item in event["data"]["entities"]}
    assert {shot_fid, task_fid} <= echoed, echoed
    assert "transmit.apply" in runs and "incremental.apply" in runs[runs.index("transmit.apply") :]
    assert status.stats.events_applied >= 1

    # ...and wrote nothing to AYON: every AYON write by the service is the transmit's own
    echo_writes = [w for w in ayon_writes.by_service(project) if w.activity != "transmit.apply"]
    assert echo_writes == [], echo_writes
    # the transmit's own AYON writes: the links of the two new entities (their own attribute
    # values are written along unchanged: the description the person set, None = inherited)
    own = ayon_writes.by_service(project)
    assert sorted(w.entity_id for w in own) == sorted([folder_id, task_id]), own
    person_values = {folder_id: {"description": "made in AYON"}, task_id: {}}
    for write in own:
        attrib = dict(write.data["attrib"])
        assert attrib.pop("ftrackId") == ftrack_id_for(write.entity_id), write
        assert attrib.pop("ftrackPath"), write
        assert {k: v for k, v in attrib.items() if v is not None} == person_values[
            write.entity_id
        ], write

    # AYON keeps what the person made
    folder = both.ayon.control.get_entity(project, "folder", folder_id)
    assert (folder["name"], folder["label"], folder["active"]) == ("new_shot", "new shot", True)
    assert folder["attrib"]["description"] == "made in AYON"
    assert folder["attrib"]["ftrackId"] == shot_fid
    assert folder["attrib"]["ftrackPath"] == "sq010/new shot"
    assert both.ayon.control.get_entity(project, "task", task_id)["attrib"]["ftrackId"] == task_fid
    # only the person's two creations were enrolled (the service's link writes were not)
    enrolled = [
        e["topic"]
        for e in both.ayon.control.events()
        if e["id"] in set(source_events(both.ayon, project))
    ]
    assert enrolled.count("entity.folder.created") == 1
    assert enrolled.count("entity.task.created") == 1
    await resync_writes_nothing(both.pipe, project_id)


# -- 2. conflicting edits of the same attribute -----------------------------------------------

#: the two attributes edited on both sides: a hierarchical custom attribute and a native field
CONFLICT_ATTRIBUTES = ("frameStart", "description")


def ftrack_value(ftrack: FtrackEmulator, entity_id: str, attribute: str) -> Any:
    if attribute == "description":
        return ftrack_description(ftrack, entity_id)
    return ftrack_values(ftrack, entity_id).get(attribute)


def ayon_value(ayon: AyonEmulator, project: str, folder_id: str, attribute: str) -> Any:
    return ayon.control.get_entity(project, "folder", folder_id)["attrib"].get(attribute)


def conflicting_values(attribute: str, i: int) -> tuple[Any, Any]:
    """(ftrack value, AYON value) of the i-th conflict: different, both unambiguous."""
    if attribute == "frameStart":
        return 3000 + 10 * i, 4000 + 10 * i
    return f"ftrack says {i}", f"AYON says {i}"


def edit_ftrack(ftrack: FtrackEmulator, shot_id: str, attribute: str, value: Any) -> None:
    with ftrack.control.as_user("jane.doe") as ui:
        if attribute == "description":
            ui.update("Shot", shot_id, {"description": value})
        else:
            ui.set_custom_attribute(shot_id, attribute, value)


def edit_ayon(
    person: ayon_api.ServerAPI, project: str, folder_id: str, attribute: str, value: Any
) -> None:
    person.update_folder(project, folder_id, attrib={attribute: value})


async def signals_after(both: TwoWay, project_id: str, after: int) -> list[tuple[int, str]]:
    """(event id, signal name) of the signals the project's workflow got after event `after`."""
    handle = both.client.get_workflow_handle(workflow_id_for(project_id))
    found = []
    async for event in handle.fetch_history_events():
        if (
            event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
            and event.event_id > after
        ):
            found.append(
                (event.event_id, event.workflow_execution_signaled_event_attributes.signal_name)
            )
    return found


async def history_length(both: TwoWay, project_id: str) -> int:
    handle = both.client.get_workflow_handle(workflow_id_for(project_id))
    return (await handle.describe()).raw_description.workflow_execution_info.history_length


@pytest.fixture
async def paused(
    tmp_path: Path,
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
) -> AsyncIterator[TwoWay]:
    """Leecher and listener running; the worker is the test's to start and stop."""
    async with two_way(
        tmp_path,
        temporal_env.client,
        temporal_address(temporal_env),
        make_worker,
        task_queue,
        ftrack_server,
        ayon_server,
        worker=False,
    ) as running:
        yield running


async def test_conflicting_edits_waiting_together_settle_on_the_ftrack_value(
    paused: TwoWay,
    person: ayon_api.ServerAPI,
    make_worker: WorkerFactory,
    tracker: ActivityTracker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rule, case 1: when a person's ftrack change and a person's AYON change of the same
    attribute both wait in the project workflow, the workflow handles the ftrack batch first
    (`incremental.apply`). It reads the *current* state of both sides, so it copies the ftrack
    value over the AYON edit; the AYON change that follows (`transmit.apply`) reads the current
    state again, finds both sides equal and plans nothing. Both sides end on the ftrack value,
    whatever the order of the two edits (here the AYON edit is the later one): one AYON write
    of the attribute, no ftrack write.

    To make "both wait" certain, the worker is stopped while the edits are made and until
    the workflow's history holds both signals (leecher `enqueue`, listener `enqueue_ayon`)."""
    both = paused
    activities = tracker.wrap(build_activities(both.pipe.config))
    async with make_worker(both.client, activities=activities):
        project_id, project = await synced(both, "confq", shots=2)
        shots = sorted(
            (n for n in contexts(both.ftrack, project_id).values() if n["type"] == "Shot"),
            key=lambda n: n["name"],
        )
        folders = linked(both.ayon, project)
        mark = await history_length(both, project_id)
    ayon_writes = AyonWrites(tracker)
    ftrack_writes = FtrackWrites(both.ftrack, tracker)
    with ayon_writes.installed(monkeypatch), ftrack_writes.installed(monkeypatch):
        expected: list[tuple[str, str, str, Any, Any]] = []
        for i, attribute in enumerate(CONFLICT_ATTRIBUTES):
            shot = shots[i]
            folder_id = folders[shot["id"]]["id"]
            ftrack_v, ayon_v = conflicting_values(attribute, i)
            # ftrack first, AYON a moment later (a later AYON edit does not win either)
            await asyncio.to_thread(edit_ftrack, both.ftrack, shot["id"], attribute, ftrack_v)
            await asyncio.to_thread(edit_ayon, person, project, folder_id, attribute, ayon_v)
            expected.append((shot["id"], folder_id, attribute, ftrack_v, ayon_v))

        async def both_signalled() -> bool:
            names = [name for _, name in await signals_after(both, project_id, mark)]
            return names.count("enqueue") >= 1 and names.count("enqueue_ayon") >= 1

        deadline = time.monotonic() + 30
        while not await both_signalled():
            assert time.monotonic() < deadline, "the changes did not reach the workflow"
            await asyncio.sleep(0.1)
        runs_before = len(tracker.runs)
        async with make_worker(both.client, activities=activities):
            status = await both.settle(project_id, project)
        runs = tracker.runs[runs_before:]

    assert status.stats.batches_failed == 0, status.stats.last_error
    assert runs[:2] == ["incremental.apply", "transmit.apply"], runs
    for shot_id, folder_id, attribute, ftrack_v, _ayon_v in expected:
        on_ftrack = ftrack_value(both.ftrack, shot_id, attribute)
        on_ayon = ayon_value(both.ayon, project, folder_id, attribute)
        assert (attribute, on_ftrack, on_ayon) == (attribute, ftrack_v, ftrack_v)
        carried = ayon_writes.of(project, folder_id)
        assert carried[0].activity == "incremental.apply", carried
        assert carried[0].data["attrib"].get(attribute) == ftrack_v, carried
        # the transmit may then unset the inherited values the person's AYON write stored
        # as own (`sync/transmit.py`); it never touches the attribute in conflict
        later = [
            c for c in carried[1:] if c.data.get("attrib", {}).get(attribute, ftrack_v) != ftrack_v
        ]
        assert len(carried) <= 2 and later == [], [(c.activity, c.data) for c in carried]
    assert ftrack_writes.by_service() == []


async def test_an_ayon_edit_waiting_when_the_ftrack_edit_arrives_wins(
    both: TwoWay,
    person: ayon_api.ServerAPI,
    tracker: ActivityTracker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rule, case 2: an AYON change that is already waiting in its batch window when the
    ftrack change of the same attribute arrives is sent first (the window closes early when an
    ftrack change arrives, but the AYON batch in hand still goes out before it). The transmit
    reads the current state (the ftrack edit is already there) and writes the AYON value over
    it; the ftrack change's `incremental.apply` then reads both sides equal and plans nothing.
    Both sides end on the AYON value: one ftrack write per attribute, no AYON write by the
    ftrack change.

    Together with case 1: the change the workflow handles *first* wins, because each apply
    copies the current value of its own side over the other side and the second apply then
    finds nothing to do. (An edit made after the first apply ran is simply a later change
    and wins the same way.) The window is widened to 3 s so "already waiting" is certain."""
    project_id, project = await synced(both, "confw", shots=2)
    handle = both.client.get_workflow_handle(workflow_id_for(project_id))
    old = await handle.query(ProjectSyncWorkflow.status)
    await handle.terminate(reason="restart with a wider batch window")
    await both.client.start_workflow(
        ProjectSyncWorkflow.run,
        ProjectSyncInput(
            ftrack_project_id=project_id,
            ayon_project_name=project,
            window_seconds=3.0,
            stats=old.stats,
        ),
        id=workflow_id_for(project_id),
        task_queue=both.pipe.task_queue,
    )
    shots = sorted(
        (n for n in contexts(both.ftrack, project_id).values() if n["type"] == "Shot"),
        key=lambda n: n["name"],
    )
    folders = linked(both.ayon, project)
    ayon_writes = AyonWrites(tracker)
    ftrack_writes = FtrackWrites(both.ftrack, tracker)
    expected: list[tuple[str, str, str, Any, Any]] = []
    with ayon_writes.installed(monkeypatch), ftrack_writes.installed(monkeypatch):
        for i, attribute in enumerate(CONFLICT_ATTRIBUTES):
            shot = shots[i]
            folder_id = folders[shot["id"]]["id"]
            ftrack_v, ayon_v = conflicting_values(attribute, i)
            runs_before = len(tracker.runs)
            await asyncio.to_thread(edit_ayon, person, project, folder_id, attribute, ayon_v)
            deadline = time.monotonic() + 10
            while (await handle.query(ProjectSyncWorkflow.status)).pending_ayon < 1:
                assert time.monotonic() < deadline, "the AYON change did not reach the workflow"
                await asyncio.sleep(0.02)
            await asyncio.to_thread(edit_ftrack, both.ftrack, shot["id"], attribute, ftrack_v)
            status = await both.settle(project_id, project)
            assert status.stats.batches_failed == 0, status.stats.last_error
            runs = tracker.runs[runs_before:]
            assert runs[:2] == ["transmit.apply", "incremental.apply"], runs
            expected.append((shot["id"], folder_id, attribute, ftrack_v, ayon_v))

    for shot_id, folder_id, attribute, _ftrack_v, ayon_v in expected:
        on_ftrack = ftrack_value(both.ftrack, shot_id, attribute)
        on_ayon = ayon_value(both.ayon, project, folder_id, attribute)
        assert (attribute, on_ftrack, on_ayon) == (attribute, ayon_v, ayon_v)
        carried = ftrack_writes.of(shot_id)
        assert len(carried) == 1, [(c.activity, c.data) for c in carried]
        assert carried[0].activity == "transmit.apply"
        assert ayon_v in carried[0].data.values(), carried
    # the ftrack change wrote nothing to AYON; the transmit's own AYON write (it turns own
    # values that only repeat the inherited one back into "inherit") keeps the AYON value
    assert [w for w in ayon_writes.by_service(project) if w.activity != "transmit.apply"] == []
    for _shot_id, folder_id, attribute, _ftrack_v, ayon_v in expected:
        for write in ayon_writes.of(project, folder_id):
            assert write.data["attrib"].get(attribute, ayon_v) == ayon_v, write


async def test_conflicting_edits_at_the_same_moment_settle_on_one_value(
    both: TwoWay,
    person: ayon_api.ServerAPI,
    tracker: ActivityTracker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Everything live with production timings: for 8 shots, the same attribute (frameStart
    of four, description of four) is set to different values in ftrack and in AYON back to
    back (alternately ftrack first and AYON first). Whichever side wins by the rule above,
    each attribute settles on one value on both sides, and stays there (nothing more is
    written once settled)."""
    project_id, project = await synced(both, "confs", shots=4)
    shots = sorted(
        (n for n in contexts(both.ftrack, project_id).values() if n["type"] == "Shot"),
        key=lambda n: n["name"],
    )
    assert len(shots) == 8
    folders = linked(both.ayon, project)
    ayon_writes = AyonWrites(tracker)
    ftrack_writes = FtrackWrites(both.ftrack, tracker)
    cases: list[tuple[str, str, str, Any, Any]] = []
    with ayon_writes.installed(monkeypatch), ftrack_writes.installed(monkeypatch):
        for i, shot in enumerate(shots):
            attribute = CONFLICT_ATTRIBUTES[i % 2]
            folder_id = folders[shot["id"]]["id"]
            ftrack_v, ayon_v = conflicting_values(attribute, i)
            if i // 2 % 2:
                await asyncio.to_thread(edit_ayon, person, project, folder_id, attribute, ayon_v)
                await asyncio.to_thread(edit_ftrack, both.ftrack, shot["id"], attribute, ftrack_v)
            else:
                await asyncio.to_thread(edit_ftrack, both.ftrack, shot["id"], attribute, ftrack_v)
                await asyncio.to_thread(edit_ayon, person, project, folder_id, attribute, ayon_v)
            cases.append((shot["id"], folder_id, attribute, ftrack_v, ayon_v))
        status = await both.settle(project_id, project)
        settled_writes = (len(ayon_writes.writes), len(ftrack_writes.writes))
        hub = len(hub_updates(both.ftrack, project_id))
        events = len(both.ayon.control.events())
        await asyncio.sleep(2.0)
        assert (len(ayon_writes.writes), len(ftrack_writes.writes)) == settled_writes
        assert len(hub_updates(both.ftrack, project_id)) == hub
        assert len(both.ayon.control.events()) == events

    assert status.stats.batches_failed == 0, status.stats.last_error
    winners = []
    for shot_id, folder_id, attribute, ftrack_v, ayon_v in cases:
        on_ftrack = ftrack_value(both.ftrack, shot_id, attribute)
        on_ayon = ayon_value(both.ayon, project, folder_id, attribute)
        assert on_ftrack == on_ayon, (attribute, on_ftrack, on_ayon)
        assert on_ftrack in (ftrack_v, ayon_v), (attribute, on_ftrack, ftrack_v, ayon_v)
        winners.append("ftrack" if on_ftrack == ftrack_v else "ayon")
    log.info("same-moment conflicts won by: %s", winners)


# -- 3. the loop test ---------------------------------------------------------------------------

#: edits per side in the loop test (500 in all)
LOOP_EDITS = 250
#: how long both servers must stay quiet after the last expected write
QUIET_S = 10.0


class AlternatingEdits(threading.Thread):
    """ftrack edit, AYON edit, ftrack edit, ... by people, off the event loop (the leecher,
    the listener and the worker run on it)."""

    def __init__(
        self,
        ftrack: FtrackEmulator,
        person: ayon_api.ServerAPI,
        project: str,
        ftrack_edits: list[tuple[str, str]],
        ayon_edits: list[tuple[str, str]],
    ) -> None:
        super().__init__(name="alternating-edits", daemon=True)
        self.ftrack, self.person, self.project = ftrack, person, project
        self.ftrack_edits, self.ayon_edits = ftrack_edits, ayon_edits
        self.done = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with self.ftrack.control.as_user("jane.doe") as ui:
                for (shot_id, text), (task_id, value) in zip(
                    self.ftrack_edits, self.ayon_edits, strict=True
                ):
                    ui.update("Shot", shot_id, {"description": text})
                    self.done += 1
                    self.person.update_task(self.project, task_id, attrib={"description": value})
                    self.done += 1
        except BaseException as exc:  # reported by `finish`
            self.error = exc

    async def finish(self, timeout: float = 120.0) -> None:
        await asyncio.to_thread(self.join, timeout)
        assert not self.is_alive(), "the edits did not finish"
        if self.error is not None:
            raise self.error


async def test_500_alternating_edits_cause_500_writes_on_the_other_sides_then_quiet(
    both: TwoWay,
    person: ayon_api.ServerAPI,
    tracker: ActivityTracker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """250 ftrack edits (a person sets the description of 250 shots in the web UI) alternate
    with 250 AYON edits (a person sets the description of 250 tasks of other shots through
    ayon_api), as fast as the clients go, while the whole two-way sync runs.

    * exactly 250 AYON writes by the service (sender type `ftrack`) made by the ftrack -> AYON
      apply, one per ftrack edit and carrying its value;
    * exactly 250 ftrack writes by the service (its API user) made by the AYON -> ftrack apply,
      one per AYON edit and carrying its value; none made by the ftrack -> AYON apply (no
      write-back for attribute edits);
    * the echoes plan nothing: the service's own AYON writes are never enrolled, the hub
      events of its ftrack writes are applied and write nothing;
    * then quiet: for 10 s no new hub event, no new AYON event, no write on either server.

    Reported, not counted as "the other side": the AYON -> ftrack apply also writes AYON
    once per edited task (own values that repeat the inherited ones turned back into
    "inherit"; sender type `ftrack`, never enrolled); the test checks that such a write never
    changes the person's value."""
    started = time.monotonic()
    project_id, project = await synced(both, "loop", sequences=10, shots=50, tasks=1)
    synced_at = time.monotonic()
    nodes = contexts(both.ftrack, project_id)
    shots = sorted((n for n in nodes.values() if n["type"] == "Shot"), key=lambda n: n["name"])
    assert len(shots) == 2 * LOOP_EDITS
    tasks_of = {n["parent_id"]: n for n in nodes.values() if n["type"] == "Task"}
    ayon_of = linked(both.ayon, project)
    # ftrack edits on the first 250 shots, AYON edits on the tasks of the other 250
    ftrack_edits = [(s["id"], f"ftrack edit {i}") for i, s in enumerate(shots[:LOOP_EDITS])]
    edited_tasks = [tasks_of[s["id"]] for s in shots[LOOP_EDITS:]]
    ayon_edits = [(ayon_of[t["id"]]["id"], f"AYON edit {i}") for i, t in enumerate(edited_tasks)]
    ftrack_task_of = {ayon_of[t["id"]]["id"]: t["id"] for t in edited_tasks}
    folder_of = {s["id"]: ayon_of[s["id"]]["id"] for s in shots[:LOOP_EDITS]}
    ayon_writes = AyonWrites(tracker)
    ftrack_writes = FtrackWrites(both.ftrack, tracker)
    with ayon_writes.installed(monkeypatch), ftrack_writes.installed(monkeypatch):
        edits = AlternatingEdits(both.ftrack, person, project, ftrack_edits, ayon_edits)
        edits.start()
        await edits.finish()
        edited_at = time.monotonic()

        def to_ayon() -> list[AyonWrite]:
            return [w for w in ayon_writes.by_service(project) if w.activity == "incremental.apply"]

        def to_ftrack() -> list[FtrackWrite]:
            return [w for w in ftrack_writes.by_service() if w.activity == "transmit.apply"]

        await until(
            lambda: len(to_ayon()) >= LOOP_EDITS and len(to_ftrack()) >= LOOP_EDITS,
            90,
            what="a write on the other side for every edit",
        )
        status = await both.settle(project_id, project, timeout=90)
        written_at = time.monotonic()
        # quiet: nothing more on either server
        counts = (
            len(ayon_writes.writes),
            len(ftrack_writes.writes),
            len(both.ftrack.hub.log),
            len(both.ayon.control.events()),
        )
        await asyncio.sleep(QUIET_S)
        after = (
            len(ayon_writes.writes),
            len(ftrack_writes.writes),
            len(both.ftrack.hub.log),
            len(both.ayon.control.events()),
        )
        quiet_status = await both.client.get_workflow_handle(workflow_id_for(project_id)).query(
            ProjectSyncWorkflow.status
        )
    log.info(
        "loop test: full sync %.1f s, %d edits in %.1f s, all written and settled %.1f s after "
        "the last edit; %d AYON normalisation writes by the transmit",
        synced_at - started,
        2 * LOOP_EDITS,
        edited_at - synced_at,
        written_at - edited_at,
        len([w for w in ayon_writes.by_service(project) if w.activity == "transmit.apply"]),
    )
    assert status.stats.batches_failed == 0, status.stats.last_error
    assert edits.done == 2 * LOOP_EDITS
    assert after == counts, "(AYON writes, ftrack writes, hub events, AYON events) went on"
    assert quiet_status.stats == status.stats

    # exactly one AYON write per ftrack edit, carrying its value
    ayon_side = to_ayon()
    assert len(ayon_side) == LOOP_EDITS, len(ayon_side)
    by_folder = {w.entity_id: w for w in ayon_side}
    assert len(by_folder) == LOOP_EDITS
    for shot_id, text in ftrack_edits:
        write = by_folder[folder_of[shot_id]]
        assert write.data["attrib"].get("description") == text, write
        assert ayon_value(both.ayon, project, folder_of[shot_id], "description") == text
    # exactly one ftrack write per AYON edit, carrying its value; none from the other apply
    ftrack_side = to_ftrack()
    assert len(ftrack_side) == LOOP_EDITS, len(ftrack_side)
    by_task = {w.entity_key[0]: w for w in ftrack_side}
    assert len(by_task) == LOOP_EDITS
    for task_id, value in ayon_edits:
        fwrite = by_task[ftrack_task_of[task_id]]
        data = {k: v for k, v in fwrite.data.items() if k != "__entity_type__"}
        assert (fwrite.action, fwrite.entity_type, data) == (
            "update",
            "Task",
            {"description": value},
        ), fwrite
        assert ftrack_description(both.ftrack, ftrack_task_of[task_id]) == value
    assert [w for w in ftrack_writes.by_service() if w.activity != "transmit.apply"] == []
    # the transmit's same-side AYON writes never change what the person set
    for write in ayon_writes.by_service(project):
        if write.activity == "transmit.apply":
            value = dict(ayon_edits)[write.entity_id]
            assert write.data["attrib"].get("description", value) == value, write
    assert {w.activity for w in ayon_writes.by_service(project)} <= {
        "incremental.apply",
        "transmit.apply",
    }
    # the echoes: every service write on ftrack came back through the hub and was applied
    assert status.stats.events_received >= LOOP_EDITS
    assert status.stats.ayon_events_received == LOOP_EDITS  # only the person's edits
    enrolled = set(source_events(both.ayon, project))
    assert len(enrolled) == LOOP_EDITS


# -- 4. an AYON edit while the transmit of another one runs -----------------------------------


@pytest.mark.parametrize("second", ["frameEnd", "frameStart"])
async def test_an_ayon_edit_made_while_a_transmit_runs_is_not_reverted(
    both: TwoWay,
    person: ayon_api.ServerAPI,
    tracker: ActivityTracker,
    monkeypatch: pytest.MonkeyPatch,
    second: str,
) -> None:
    """A person sets frameStart of a shot in AYON. While its `transmit.apply` runs (right
    after its ftrack write committed, before the activity's own AYON write), the person sets
    `second` of the same shot in the AYON web UI: another attribute, or frameStart again.
    No conflict here: one side, one person. Both edits must end on both sides.

    The ftrack echo of the first write arrives while the second edit waits: with another
    attribute, the key-scoped diff writes only frameStart (`sync.fields`); with the same one,
    the workflow drops the echo (`sync.echoes`), as applying it would put 2001 back over 2999
    and the second transmit would then find nothing to send."""
    project_id, project = await synced(both, "race", shots=1)
    shot = next(n for n in contexts(both.ftrack, project_id).values() if n["type"] == "Shot")
    folder_id = linked(both.ayon, project)[shot["id"]]["id"]
    ftrack_writes = FtrackWrites(both.ftrack, tracker)
    ayon_writes = AyonWrites(tracker)
    edited = threading.Event()

    def edit_meanwhile(batch: list[FtrackWrite]) -> None:
        if batch[0].activity == "transmit.apply" and not edited.is_set():
            edited.set()
            both.ayon.control.as_user_write(
                project, "folder", folder_id, {"attrib": {second: 2999}}
            )

    ftrack_writes.on_commit = edit_meanwhile
    with ftrack_writes.installed(monkeypatch), ayon_writes.installed(monkeypatch):
        await asyncio.to_thread(edit_ayon, person, project, folder_id, "frameStart", 2001)
        await until(edited.is_set, 30, what="the transmit's ftrack write")
        status = await both.settle(project_id, project)
    assert status.stats.batches_failed == 0, status.stats.last_error
    attrib = both.ayon.control.get_entity(project, "folder", folder_id)["attrib"]
    on_ftrack = ftrack_values(both.ftrack, shot["id"])
    want = {"frameStart": 2001, "frameEnd": 2999} if second == "frameEnd" else {"frameStart": 2999}
    assert {k: attrib[k] for k in want} == want, "AYON lost an edit"
    assert {k: on_ftrack[k] for k in want} == want, "ftrack lost one"
    # no echo wrote AYON: the ftrack -> AYON side had nothing to carry
    echoes = [w for w in ayon_writes.by_service(project) if w.activity == "incremental.apply"]
    assert echoes == [], echoes
    if second == "frameStart":
        assert status.stats.echoes_dropped >= 2, status.stats
