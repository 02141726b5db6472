"""The leecher end to end: the ftrack emulator's hub through the real ftrack_api client, the
real dev server, an in-process worker running ProjectSyncWorkflow with test-double activities.

Changes are made "as the web UI" (the emulator then publishes `ftrack.update` on its hub), so
everything between the hub and the workflow's apply activity is the production path.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from ayon_ftrack_sync.emulators.ftrack import FtrackEmulator
from ayon_ftrack_sync.temporal import FTRACK_PROJECT_ID
from ayon_ftrack_sync.workers.leecher import Leecher
from ayon_ftrack_sync.workflows.full_sync import FullSyncWorkflow
from ayon_ftrack_sync.workflows.project_sync import ProjectSyncWorkflow, workflow_id_for
from tests.conftest import WorkerFactory
from tests.helpers import temporal_address
from tests.integration.leecher_support import (
    FAST,
    applied_ids,
    hub_updates,
    leecher_config,
    running,
    shots_of,
    subscribed,
    terminate,
    unique,
    until,
    workflow_exists,
)
from tests.workflows.full_sync_fakes import FakeFullSync
from tests.workflows.project_sync_fakes import FakeIncremental


async def test_ui_changes_reach_each_projects_workflow_in_order(
    tmp_path: Path,
    ftrack_server: FtrackEmulator,
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
) -> None:
    control = ftrack_server.control
    alpha = control.generate_project(unique("alpha"), sequences=1, shots=4, tasks=0, auto_sync=True)
    beta = control.generate_project(unique("beta"), sequences=1, shots=4, tasks=0, auto_sync=True)
    shots = {alpha: shots_of(ftrack_server, alpha), beta: shots_of(ftrack_server, beta)}
    client = temporal_env.client
    config = leecher_config(tmp_path, ftrack_server, temporal_address(temporal_env), task_queue)
    fake = FakeIncremental()
    leecher = Leecher(config, FAST, client=client)
    try:
        async with (
            make_worker(client, activities=fake.activities(), workflows=[ProjectSyncWorkflow]),
            running(ftrack_server, leecher),
        ):
            with control.as_user("jane.doe") as ui:
                for i in range(4):  # interleaved: alpha, beta, alpha, beta...
                    ui.update("Shot", shots[alpha][i], {"description": f"alpha {i}"})
                    ui.update("Shot", shots[beta][i], {"description": f"beta {i}"})
            await until(
                lambda: all(len(hub_updates(ftrack_server, pid)) == 4 for pid in (alpha, beta)),
                what="the hub published the changes",
            )
            emitted = {pid: hub_updates(ftrack_server, pid) for pid in (alpha, beta)}
            await until(
                lambda: all(len(applied_ids(fake, pid)) >= 4 for pid in (alpha, beta)),
                what="both projects' changes applied",
            )
            statuses = {
                pid: await client.get_workflow_handle(workflow_id_for(pid)).query(
                    ProjectSyncWorkflow.status
                )
                for pid in (alpha, beta)
            }
            descriptions = {
                pid: await client.get_workflow_handle(workflow_id_for(pid)).describe()
                for pid in (alpha, beta)
            }
        for pid in (alpha, beta):
            assert applied_ids(fake, pid) == emitted[pid]  # each project in hub order
            applied_shots = [
                c.entity_id
                for batch in fake.applied
                if batch.ftrack_project_id == pid
                for c in batch.changes
            ]
            assert applied_shots == shots[pid]
            assert statuses[pid].stats.events_received == 4
            assert statuses[pid].stats.events_duplicate == 0
            assert descriptions[pid].typed_search_attributes[FTRACK_PROJECT_ID] == pid
        assert leecher.counters.received == 8 and leecher.counters.spooled == 8
        assert leecher.counters.forwarded_events == 8
        assert leecher.counters.flag_lookups == 2  # one ftrack query per project, then cached
        assert leecher.counters.decode_problems == 0
    finally:
        await terminate(client, alpha, beta)


async def test_noise_hostile_and_duplicate_events(
    tmp_path: Path,
    ftrack_server: FtrackEmulator,
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
) -> None:
    control = ftrack_server.control
    project = control.generate_project(
        unique("noisy"), sequences=1, shots=2, tasks=0, auto_sync=True
    )
    shot = shots_of(ftrack_server, project)[0]
    client = temporal_env.client
    config = leecher_config(tmp_path, ftrack_server, temporal_address(temporal_env), task_queue)
    fake = FakeIncremental()
    first = Leecher(config, FAST, client=client)
    handle = client.get_workflow_handle(workflow_id_for(project))
    try:
        async with make_worker(
            client, activities=fake.activities(), workflows=[ProjectSyncWorkflow]
        ):
            async with running(ftrack_server, first):
                hostile: list[dict[str, Any]] = [
                    # noise: only social feed entities
                    {
                        "topic": "ftrack.update",
                        "data": {
                            "entities": [
                                {"action": "add", "entityId": "n1", "entityType": "socialfeed"}
                            ]
                        },
                    },
                    # hostile: no entities list, a string as data, giant garbage
                    {"topic": "ftrack.update", "data": {"entities": "x" * 200_000}},
                    {"topic": "ftrack.update", "data": "not a mapping"},
                    # hostile: unknown action, not an object, no project among parents
                    {
                        "topic": "ftrack.update",
                        "data": {
                            "entities": [
                                {"action": "explode", "entityId": "a", "entityType": "task"},
                                42,
                                {
                                    "action": "update",
                                    "entityId": "orphan",
                                    "entityType": "task",
                                    "parents": [{"entityId": "orphan", "entityType": "task"}],
                                },
                            ]
                        },
                    },
                    # not even an ftrack event (ftrack_api itself refuses it)
                    {"topic": "ftrack.update", "unexpected": {"deep": [1, 2, 3]}},
                ]
                for event in hostile:
                    control.emit_event(event)
                with control.as_user("jane.doe") as ui:
                    ui.update("Shot", shot, {"description": "after the garbage"})
                await until(lambda: hub_updates(ftrack_server, project), what="published")
                (valid,) = [
                    e
                    for e in list(ftrack_server.hub.log)
                    if e.get("id") in hub_updates(ftrack_server, project)
                ]
                control.emit_event(valid)  # the hub delivers the same event again...
                control.emit_event(valid)  # ...and again
                await until(lambda: first.counters.received == 7, what="all events received")
                await until(lambda: applied_ids(fake, project), what="the valid change applied")
                assert first.counters.dropped_noise == 1
                assert first.counters.decode_problems == 5  # 2 whole events + 3 entities
                assert first.counters.duplicates == 2
                assert first.counters.spooled == 1
            # a restarted leecher has forgotten the ids: the workflow drops the repeat
            second = Leecher(config, FAST, client=client)
            async with running(ftrack_server, second):
                control.emit_event(valid)
                await until(lambda: second.counters.forwarded_events == 1, what="re-forwarded")

                async def received_twice() -> bool:
                    status = await handle.query(ProjectSyncWorkflow.status)
                    return status.stats.events_received == 2

                for _ in range(100):
                    if await received_twice():
                        break
                    await asyncio.sleep(0.05)
                status = await handle.query(ProjectSyncWorkflow.status)
        assert status.stats.events_received == 2 and status.stats.events_duplicate == 1
        assert applied_ids(fake, project) == [valid["id"]]  # applied exactly once
        assert [c.entity_id for b in fake.applied for c in b.changes] == [shot]
    finally:
        await terminate(client, project)


async def test_auto_sync_off_is_ignored_and_switching_it_on_starts_a_resync(
    tmp_path: Path,
    ftrack_server: FtrackEmulator,
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
) -> None:
    control = ftrack_server.control
    project = control.generate_project(unique("manual"), sequences=1, shots=2, tasks=0)
    shots = shots_of(ftrack_server, project)
    client = temporal_env.client
    config = leecher_config(tmp_path, ftrack_server, temporal_address(temporal_env), task_queue)
    fake, full = FakeIncremental(), FakeFullSync()
    leecher = Leecher(config, FAST, client=client)
    counters = leecher.counters
    try:
        async with (
            make_worker(
                client,
                activities=[*fake.activities(), *full.activities()],
                workflows=[ProjectSyncWorkflow, FullSyncWorkflow],
            ),
            running(ftrack_server, leecher),
        ):
            with control.as_user("jane.doe") as ui:
                ui.update("Shot", shots[0], {"description": "not synced"})
                ui.update("Shot", shots[1], {"description": "not synced either"})
            await until(lambda: counters.ignored_auto_sync_off == 2, what="ignored")
            assert not await workflow_exists(client, project)
            assert counters.flag_lookups == 1  # the flag was read once and cached

            with control.as_user("jane.doe") as ui:
                ui.set_custom_attribute(project, "auto_sync_enabled", True)
            await until(lambda: counters.resyncs_requested == 1, what="resync requested")
            await until(lambda: "report" in full.calls, what="full sync finished")
            with control.as_user("jane.doe") as ui:
                ui.update("Shot", shots[0], {"description": "synced now"})
            await until(lambda: shots[0] in fake.applied_entities(), what="change after the toggle")
            status = await client.get_workflow_handle(workflow_id_for(project)).query(
                ProjectSyncWorkflow.status
            )
            assert status.stats.resyncs == 1

            with control.as_user("jane.doe") as ui:  # and off again: ignored again
                ui.set_custom_attribute(project, "auto_sync_enabled", False)
                ui.update("Shot", shots[1], {"description": "off again"})
            await until(lambda: counters.ignored_auto_sync_off == 4, what="ignored again")
        assert counters.flag_lookups == 1  # toggles refreshed the cache without queries
        assert counters.resyncs_requested == 1
        assert shots[1] not in fake.applied_entities()
        assert full.calls[0] == "prepare" and full.calls[-1] == "report"
    finally:
        await terminate(client, project)


async def test_hub_outage_recreates_the_session_and_changes_flow_again(
    tmp_path: Path,
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
) -> None:
    """The whole ftrack server goes away and comes back on the same port (state reloaded):
    the leecher re-creates its hub session with backoff and carries on."""
    from ayon_ftrack_sync.temporal.devserver import free_port

    port = free_port()
    ftrack = FtrackEmulator(port=port, heartbeat_s=2.0).start()
    key = ftrack.api_key
    project = ftrack.control.generate_project(
        unique("outage"), sequences=1, shots=2, tasks=0, auto_sync=True
    )
    shots = shots_of(ftrack, project)
    client = temporal_env.client
    config = leecher_config(tmp_path, ftrack, temporal_address(temporal_env), task_queue)
    fake = FakeIncremental()
    leecher = Leecher(config, FAST, client=client)
    try:
        async with (
            make_worker(client, activities=fake.activities(), workflows=[ProjectSyncWorkflow]),
            running(ftrack, leecher),
        ):
            with ftrack.control.as_user("jane.doe") as ui:
                ui.update("Shot", shots[0], {"description": "before the outage"})
            await until(lambda: shots[0] in fake.applied_entities(), what="first change")
            state = ftrack.control.dump()
            await asyncio.to_thread(ftrack.stop)
            await until(lambda: not leecher.hub.connected.is_set(), what="hub seen down")
            await until(lambda: leecher.counters.hub_failures >= 2, what="failed re-creations")
            ftrack = FtrackEmulator(port=port, api_key=key, heartbeat_s=2.0).start()
            ftrack.control.load(state)
            await until(lambda: subscribed(ftrack, leecher), 20, what="subscribed again")
            with ftrack.control.as_user("jane.doe") as ui:
                ui.update("Shot", shots[1], {"description": "after the outage"})
            await until(lambda: shots[1] in fake.applied_entities(), what="change after outage")
        assert leecher.counters.hub_connects >= 2
        assert fake.applied_entities() == shots
    finally:
        await terminate(client, project)
        ftrack.stop()
