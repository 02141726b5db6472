"""The AYON listener end to end: the AYON emulator (enroll, events, `ignoreSenderTypes`) through
the real ayon_api client, the ftrack emulator for the project link and the auto-sync flag, the
real dev server, and an in-process worker running ProjectSyncWorkflow whose `transmit.apply`
is a test double recording what reached the workflow.

Changes are made through ayon_api like any AYON user or tool would make them (sender type
`test`), or like this service makes them (sender type `ftrack`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import ayon_api
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from ayon_ftrack_sync.config import (
    AppConfig,
    AyonConfig,
    FtrackConfig,
    ServiceConfig,
    TemporalConfig,
)
from ayon_ftrack_sync.emulators.ayon import AyonEmulator
from ayon_ftrack_sync.emulators.ftrack import FtrackEmulator
from ayon_ftrack_sync.temporal import FTRACK_PROJECT_ID, connect
from ayon_ftrack_sync.temporal.devserver import DevServer, DevServerOptions, free_port
from ayon_ftrack_sync.workers.ayon_listener import (
    SOURCE_TOPICS,
    TARGET_TOPIC,
    AyonListener,
    Job,
    ListenerOptions,
)
from ayon_ftrack_sync.workflows.project_sync import ProjectSyncWorkflow, workflow_id_for
from tests.conftest import WorkerFactory
from tests.helpers import temporal_address
from tests.integration.leecher_support import terminate, unique, until, workflow_exists
from tests.workflows.project_sync_fakes import FakeIncremental

#: short timings; a batch holds at most 4 jobs so a dozen changes take several batches
FAST = ListenerOptions(
    batch_max_jobs=4,
    batch_window_s=0.1,
    batch_poll_s=0.02,
    poll_interval_s=0.1,
    health_interval_s=0.5,
    retry_initial_s=0.1,
    retry_max_s=1.0,
    rpc_timeout_s=3.0,
    temporal_connect_timeout_s=2.0,
    stop_timeout_s=3.0,
)


def listener_config(
    tmp_path: Path, ftrack: FtrackEmulator, ayon: AyonEmulator, address: str, queue: str
) -> AppConfig:
    return AppConfig(
        temporal=TemporalConfig(  # type: ignore[call-arg]
            TEMPORAL_ADDRESS=address, AYON_FTRACK_SYNC_TASK_QUEUE=queue
        ),
        ftrack=FtrackConfig(  # type: ignore[call-arg]
            FTRACK_SERVER=ftrack.url, FTRACK_API_USER=ftrack.api_user, FTRACK_API_KEY=ftrack.api_key
        ),
        ayon=AyonConfig(  # type: ignore[call-arg]
            AYON_SERVER_URL=ayon.url, AYON_API_KEY=ayon.api_key, AYON_SERVICE_NAME="pytest-sync"
        ),
        service=ServiceConfig(AYON_FTRACK_SYNC_STATE_DIR=str(tmp_path / "state")),  # type: ignore[call-arg]
    )


@asynccontextmanager
async def running(listener: AyonListener) -> AsyncIterator[asyncio.Task[None]]:
    """Run the listener as a task until the block ends, then stop it gracefully."""
    task = asyncio.create_task(listener.run(install_signal_handlers=False))
    try:
        yield task
        assert not task.done(), "the listener stopped by itself"
    finally:
        listener.request_stop()
        await asyncio.wait_for(task, 30)


async def kill(task: asyncio.Task[None]) -> None:
    """End a listener like a killed process: no clean-up requests to AYON."""
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def linked_projects(
    ftrack: FtrackEmulator, ayon: AyonEmulator, *names: str, auto_sync: bool = True
) -> dict[str, str]:
    """AYON project name -> ftrack id, linked by name (ftrack full_name == AYON name)."""
    ids = {}
    for name in names:
        ids[name] = ftrack.control.generate_project(
            name.lower(), sequences=0, shots=0, tasks=0, full_name=name, auto_sync=auto_sync
        )
        ayon.control.create_project(name)
    return ids


def source_events(ayon: AyonEmulator, project: str) -> list[str]:
    """Ids of the project's events the listener must hand over, in AYON's order."""
    return [
        event["id"]
        for event in ayon.control.events()
        if event["project"] == project
        and event["topic"] in SOURCE_TOPICS
        and event["senderType"] != "ftrack"
    ]


def jobs_by_source(ayon: AyonEmulator) -> dict[str, dict[str, Any]]:
    return {event["dependsOn"]: event for event in ayon.control.events(TARGET_TOPIC)}


def transmitted(fake: FakeIncremental, ftrack_project_id: str) -> list[str]:
    return [
        change.event_id
        for batch in fake.transmitted
        if batch.ftrack_project_id == ftrack_project_id
        for change in batch.changes
    ]


def all_finished(ayon: AyonEmulator, sources: list[str]) -> bool:
    jobs = jobs_by_source(ayon)
    return all(jobs.get(s, {}).get("status") == "finished" for s in sources)


def edits(api: ayon_api.ServerAPI, project: str, count: int, tag: str) -> Callable[[int], None]:
    """A folder per call, every other call also changes an attribute of the previous one."""
    made: list[str] = []

    def edit(i: int) -> None:
        made.append(api.create_folder(project, f"{tag}_{i:02d}", folder_type="Folder"))
        if i % 2 and len(made) > 1:
            api.update_folder(project, made[-2], attrib={"frameStart": 1000 + i})

    return edit


async def status_of(client: Client, ftrack_project_id: str) -> Any:
    return await client.get_workflow_handle(workflow_id_for(ftrack_project_id)).query(
        ProjectSyncWorkflow.status
    )


async def test_changes_reach_each_projects_workflow_in_order(
    tmp_path: Path,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
    ayon_api_factory: Callable[..., ayon_api.ServerAPI],
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
) -> None:
    alpha, beta = unique("alpha"), unique("beta")
    ids = linked_projects(ftrack_server, ayon_server, alpha)
    # beta is linked through attrib.ftrackId (its ftrack full name differs), set by the sync
    # itself (sender type ftrack: that change is not enrolled)
    ids[beta] = ftrack_server.control.generate_project(
        beta, sequences=0, shots=0, tasks=0, full_name="Something Else", auto_sync=True
    )
    ayon_server.control.create_project(beta)
    ayon_api_factory(sender_type="ftrack").update_project(beta, attrib={"ftrackId": ids[beta]})
    user = ayon_api_factory(sender_type="test", sender="artist")
    edit_alpha, edit_beta = edits(user, alpha, 6, "a"), edits(user, beta, 6, "b")
    client = temporal_env.client
    config = listener_config(
        tmp_path, ftrack_server, ayon_server, temporal_address(temporal_env), task_queue
    )
    fake = FakeIncremental()
    listener = AyonListener(config, FAST, client=client)
    try:
        async with (
            make_worker(client, activities=fake.activities(), workflows=[ProjectSyncWorkflow]),
            running(listener),
        ):
            for i in range(6):  # interleaved, while the listener runs
                await asyncio.to_thread(edit_alpha, i)
                await asyncio.to_thread(edit_beta, i)
            expected = {name: source_events(ayon_server, name) for name in (alpha, beta)}
            assert all(len(found) == 10 for found in expected.values())  # project + 6 + 3
            await until(
                lambda: all(
                    len(transmitted(fake, ids[name])) >= len(expected[name])
                    for name in (alpha, beta)
                ),
                30,
                what="every change handed over",
            )
            sources = expected[alpha] + expected[beta]
            await until(lambda: all_finished(ayon_server, sources), what="jobs finished")
            statuses = {name: await status_of(client, ids[name]) for name in (alpha, beta)}
            descriptions = {
                name: await client.get_workflow_handle(workflow_id_for(ids[name])).describe()
                for name in (alpha, beta)
            }
        for name in (alpha, beta):
            assert transmitted(fake, ids[name]) == expected[name]  # all, once, in AYON order
            assert all(
                c.project_name == name
                for b in fake.transmitted
                if b.ftrack_project_id == ids[name]
                for c in b.changes
            )
            assert statuses[name].stats.ayon_events_received == len(expected[name])
            assert statuses[name].stats.ayon_events_duplicate == 0
            assert descriptions[name].typed_search_attributes[FTRACK_PROJECT_ID] == ids[name]
        jobs = jobs_by_source(ayon_server)
        assert set(jobs) == set(sources)  # nothing else was enrolled
        assert all(job["description"].startswith("handed to ") for job in jobs.values())
        folder_change = next(
            c for b in fake.transmitted for c in b.changes if c.topic == "entity.folder.created"
        )
        assert folder_change.entity_type == "folder" and folder_change.entity_id
        assert folder_change.job_id == jobs[folder_change.event_id]["id"]
        counters = listener.counters
        assert counters.forwarded == counters.finished == 20 and counters.skipped == 0
        assert counters.signals < 20  # batched
        assert counters.ftrack_index_queries == 1  # one ftrack query served both lookups
        assert counters.gate.flag_lookups == 2  # one auto-sync query per project, then cached
    finally:
        await terminate(client, *ids.values())


async def test_changes_made_by_this_service_are_never_enrolled(
    tmp_path: Path,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
    ayon_api_factory: Callable[..., ayon_api.ServerAPI],
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
) -> None:
    project = unique("echo")
    ids = linked_projects(ftrack_server, ayon_server, project)
    sync = ayon_api_factory(sender_type="ftrack", sender="ayon-ftrack-sync")
    user = ayon_api_factory(sender_type="test", sender="artist")
    client = temporal_env.client
    config = listener_config(
        tmp_path, ftrack_server, ayon_server, temporal_address(temporal_env), task_queue
    )
    fake = FakeIncremental()
    listener = AyonListener(config, FAST, client=client)
    try:
        async with (
            make_worker(client, activities=fake.activities(), workflows=[ProjectSyncWorkflow]),
            running(listener),
        ):
            own = [
                sync.create_folder(project, f"synced_{i}", folder_type="Folder") for i in range(3)
            ]
            sync.update_folder(project, own[0], attrib={"frameStart": 1})
            marker = user.create_folder(project, "by_a_person", folder_type="Folder")
            expected = source_events(ayon_server, project)
            await until(
                lambda: marker in [c.entity_id for b in fake.transmitted for c in b.changes],
                30,
                what="the person's change handed over",
            )
            await until(lambda: all_finished(ayon_server, expected), what="jobs finished")
        ours = [
            e["id"]
            for e in ayon_server.control.events("entity.")
            if e["project"] == project and e["senderType"] == "ftrack"
        ]
        assert len(ours) == 4
        assert not set(ours) & set(jobs_by_source(ayon_server))  # never enrolled
        assert transmitted(fake, ids[project]) == expected  # project created + the marker
        assert len(expected) == 2
        assert not {c.entity_id for b in fake.transmitted for c in b.changes} & set(own)
    finally:
        await terminate(client, *ids.values())


async def test_projects_without_auto_sync_or_link_are_skipped_with_a_finished_job(
    tmp_path: Path,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
    ayon_api_factory: Callable[..., ayon_api.ServerAPI],
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
) -> None:
    off, lonely, synced = unique("off"), unique("lonely"), unique("synced")
    off_ids = linked_projects(ftrack_server, ayon_server, off, auto_sync=False)
    ayon_server.control.create_project(lonely)  # no ftrack project at all
    ids = linked_projects(ftrack_server, ayon_server, synced)
    user = ayon_api_factory(sender_type="test", sender="artist")
    client = temporal_env.client
    config = listener_config(
        tmp_path, ftrack_server, ayon_server, temporal_address(temporal_env), task_queue
    )
    fake = FakeIncremental()
    listener = AyonListener(config, FAST, client=client)
    try:
        async with (
            make_worker(client, activities=fake.activities(), workflows=[ProjectSyncWorkflow]),
            running(listener),
        ):
            for name in (off, lonely, synced):
                await asyncio.to_thread(edits(user, name, 2, "x"), 0)
                await asyncio.to_thread(edits(user, name, 2, "y"), 0)
            skipped = source_events(ayon_server, off) + source_events(ayon_server, lonely)
            expected = source_events(ayon_server, synced)
            await until(
                lambda: len(transmitted(fake, ids[synced])) >= len(expected), 30, what="synced"
            )
            await until(lambda: all_finished(ayon_server, skipped + expected), what="finished")
            off_exists = await workflow_exists(client, off_ids[off])
        jobs = jobs_by_source(ayon_server)
        assert len(skipped) == 6
        for source in source_events(ayon_server, off):
            assert jobs[source]["status"] == "finished"
            assert jobs[source]["description"].startswith("skipped: auto-sync is off")
        for source in source_events(ayon_server, lonely):
            assert jobs[source]["status"] == "finished"
            assert "is not linked to an ftrack project" in jobs[source]["description"]
        assert not off_exists  # no workflow for a project without auto-sync
        assert transmitted(fake, ids[synced]) == expected
        assert [b.ftrack_project_id for b in fake.transmitted] == [ids[synced]] * len(
            fake.transmitted
        )
        assert listener.counters.skipped == 6 and listener.counters.finished == len(expected)
    finally:
        await terminate(client, *ids.values(), *off_ids.values())


class HangsBeforeSignalling(AyonListener):
    """Takes its jobs, then never signals: the process is killed at that point."""

    reached: asyncio.Event

    async def _signal_project(self, client: Client, project_id: str, jobs: list[Job]) -> None:
        self.reached.set()
        await asyncio.Event().wait()


class HangsBeforeFinishing(AyonListener):
    """Signals (Temporal accepts), then is killed before it marks the jobs finished."""

    reached: asyncio.Event

    async def _finish_all(self, jobs: list[Job]) -> None:
        if any(job.signalled for job in jobs):
            self.reached.set()
            await asyncio.Event().wait()
        await super()._finish_all(jobs)


@pytest.mark.parametrize("crash", [HangsBeforeSignalling, HangsBeforeFinishing])
async def test_a_killed_listener_loses_nothing_and_applies_nothing_twice(
    crash: type[AyonListener],
    tmp_path: Path,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
    ayon_api_factory: Callable[..., ayon_api.ServerAPI],
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
) -> None:
    project = unique("crash")
    ids = linked_projects(ftrack_server, ayon_server, project)
    user = ayon_api_factory(sender_type="test", sender="artist")
    edit = edits(user, project, 8, "c")
    client = temporal_env.client
    config = listener_config(
        tmp_path, ftrack_server, ayon_server, temporal_address(temporal_env), task_queue
    )
    fake = FakeIncremental()
    first = crash(config, FAST, client=client)
    first.reached = asyncio.Event()  # type: ignore[attr-defined]
    try:
        async with make_worker(
            client, activities=fake.activities(), workflows=[ProjectSyncWorkflow]
        ):
            for i in range(4):
                await asyncio.to_thread(edit, i)
            task = asyncio.create_task(first.run(install_signal_handlers=False))
            await until(first.reached.is_set, what="the crash point")  # type: ignore[attr-defined]
            before = source_events(ayon_server, project)
            held = [job.source_id for job in first.held]
            assert held == before  # the first round after a start takes what is waiting
            await kill(task)
            jobs = jobs_by_source(ayon_server)
            assert set(jobs) == set(held)
            assert [jobs[s]["status"] for s in held] == ["pending"] * len(held)  # left open
            for i in range(4, 8):  # more changes while no listener runs
                await asyncio.to_thread(edit, i)
            expected = source_events(ayon_server, project)
            assert len(expected) == 13  # project + 8 folders + 4 attribute changes

            second = AyonListener(config, FAST, client=client)
            async with running(second):
                await until(
                    lambda: len(transmitted(fake, ids[project])) >= len(expected),
                    30,
                    what="everything handed over after the restart",
                )
                await until(lambda: all_finished(ayon_server, expected), what="jobs finished")
                await asyncio.sleep(1.0)  # a repeat would arrive within the workflow window
                status = await status_of(client, ids[project])
        assert transmitted(fake, ids[project]) == expected  # all, once each, in AYON order
        assert second.counters.resumed_rounds >= 1
        assert status.stats.ayon_events_applied == len(expected)
        if crash is HangsBeforeFinishing:
            # the first listener's signal was accepted: the restart sent it again and the
            # workflow dropped the repeats by AYON event id
            assert status.stats.ayon_events_duplicate == len(held)
            assert first.counters.signals >= 1
        else:
            assert status.stats.ayon_events_duplicate == 0
            assert first.counters.signals == 0
    finally:
        await terminate(client, *ids.values())


async def test_jobs_stay_open_while_temporal_is_away_and_are_delivered_when_it_is_back(
    tmp_path: Path,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
    ayon_api_factory: Callable[..., ayon_api.ServerAPI],
    make_worker: WorkerFactory,
    task_queue: str,
) -> None:
    project = unique("outage")
    ids = linked_projects(ftrack_server, ayon_server, project)
    user = ayon_api_factory(sender_type="test", sender="artist")
    edit = edits(user, project, 6, "o")
    options = DevServerOptions(state_dir=tmp_path / "temporal", port=free_port(), ui_port=None)
    server = DevServer(options)
    config = listener_config(tmp_path, ftrack_server, ayon_server, options.address, task_queue)
    fake = FakeIncremental()
    listener = AyonListener(config, FAST)  # no client: it connects (and reconnects) itself
    try:
        async with running(listener):
            for i in range(3):
                await asyncio.to_thread(edit, i)
            await until(lambda: listener.counters.forward_errors >= 2, what="failed hand-overs")
            assert listener.counters.enrolled >= 1 and listener.counters.forwarded == 0
            sources = source_events(ayon_server, project)
            jobs = jobs_by_source(ayon_server)
            assert jobs and not any(job["status"] == "finished" for job in jobs.values())
            assert set(jobs) <= set(sources)
            for i in range(3, 6):  # more changes while Temporal is still away
                await asyncio.to_thread(edit, i)

            server.start()
            client = await connect(TemporalConfig(TEMPORAL_ADDRESS=server.address))  # type: ignore[call-arg]
            async with make_worker(
                client, activities=fake.activities(), workflows=[ProjectSyncWorkflow]
            ):
                expected = source_events(ayon_server, project)
                await until(
                    lambda: len(transmitted(fake, ids[project])) >= len(expected),
                    60,
                    what="delivered after Temporal came back",
                )
                await until(lambda: all_finished(ayon_server, expected), what="jobs finished")
                status = await status_of(client, ids[project])
                await terminate(client, *ids.values())
        assert len(expected) == 10  # project + 6 folders + 3 attribute changes
        assert transmitted(fake, ids[project]) == expected
        assert status.stats.ayon_events_duplicate == 0
    finally:
        server.stop()


async def test_an_ayon_outage_is_waited_out(
    tmp_path: Path,
    ftrack_server: FtrackEmulator,
    ayon_server: AyonEmulator,
    ayon_api_factory: Callable[..., ayon_api.ServerAPI],
    temporal_env: WorkflowEnvironment,
    make_worker: WorkerFactory,
    task_queue: str,
) -> None:
    project = unique("ayondown")
    ids = linked_projects(ftrack_server, ayon_server, project)
    user = ayon_api_factory(sender_type="test", sender="artist")
    client = temporal_env.client
    config = listener_config(
        tmp_path, ftrack_server, ayon_server, temporal_address(temporal_env), task_queue
    )
    fake = FakeIncremental()
    listener = AyonListener(config, FAST, client=client)
    try:
        async with (
            make_worker(client, activities=fake.activities(), workflows=[ProjectSyncWorkflow]),
            running(listener),
        ):
            folder = await asyncio.to_thread(
                user.create_folder, project, "before", folder_type="Folder"
            )
            await until(
                lambda: all_finished(ayon_server, source_events(ayon_server, project)),
                what="the first changes handed over",
            )
            # AYON fails every request while the listener polls and while it hands over a
            # change (made without HTTP, "in the web UI", since the API fails too)
            ayon_server.control.set_error_rate(1.0, 500)
            await until(lambda: listener.counters.ayon_errors >= 2, what="AYON errors seen")
            assert not listener.ayon_ok
            ayon_server.control.as_user_write(project, "folder", folder, {"status": "Approved"})
            await asyncio.sleep(1.0)
            ayon_server.control.set_error_rate(0.0)
            expected = source_events(ayon_server, project)
            await until(
                lambda: len(transmitted(fake, ids[project])) >= len(expected), 30, what="sent"
            )
            await until(lambda: all_finished(ayon_server, expected), what="jobs finished")
            assert len(expected) == 3  # project created, folder created, status changed
            # a flaky AYON: every other request fails, in enroll, reads and finishing alike
            ayon_server.control.set_error_rate(0.5, 500)
            errors = listener.counters.ayon_errors
            for i in range(6):
                ayon_server.control.as_user_write(
                    project, "folder", folder, {"attrib": {"frameStart": 1001 + i}}
                )
            expected = source_events(ayon_server, project)
            await until(
                lambda: len(transmitted(fake, ids[project])) >= len(expected), 60, what="sent"
            )
            await until(lambda: all_finished(ayon_server, expected), 30, what="jobs finished")
            ayon_server.control.set_error_rate(0.0)
            assert listener.counters.ayon_errors > errors
            await until(lambda: listener.ayon_ok, what="AYON seen healthy again")
        assert len(expected) == 9
        assert transmitted(fake, ids[project]) == expected  # all, once each, in AYON order
    finally:
        await terminate(client, *ids.values())
