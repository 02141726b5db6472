"""Comments through the whole event path, both ways (seed_features.md E2 and 4.2).

ftrack note -> hub -> leecher -> ProjectSyncWorkflow -> `incremental.apply` -> AYON comment;
AYON comment -> `activity.created` event -> AYON listener -> `transmit.apply` -> ftrack note.
Each ends with one comment and one note linked to each other, and the echoes of the sync's
own writes (the note metadata, the created note, the comment's `ftrack` data) write nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

import ayon_api
import pytest

from ayon_ftrack_sync.emulators.ftrack import FtrackEmulator
from tests.integration.leecher_support import until
from tests.integration.test_full_sync_rules import contexts, linked
from tests.integration.test_two_way import both, person, tracker  # noqa: F401 (fixtures)
from tests.integration.two_way_support import (
    ActivityTracker,
    AyonWrites,
    FtrackWrites,
    TwoWay,
    synced,
)


def notes_on(ftrack: FtrackEmulator, entity_id: str) -> list[dict[str, Any]]:
    return ftrack.control.query(
        f'select id, content, user_id, metadata from Note where parent_id is "{entity_id}"'
    )


def metadata(note: dict[str, Any]) -> dict[str, Any]:
    return {m["key"]: m["value"] for m in note.get("metadata") or []}


async def test_a_note_written_in_ftrack_arrives_as_an_ayon_comment(
    both: TwoWay,  # noqa: F811
    person: ayon_api.ServerAPI,  # noqa: F811
    tracker: ActivityTracker,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project_id, project = await synced(both, "notes", shots=1)
    shot = next(n for n in contexts(both.ftrack, project_id).values() if n["type"] == "Shot")
    folder_id = linked(both.ayon, project)[shot["id"]]["id"]
    ayon_writes = AyonWrites(tracker)
    ftrack_writes = FtrackWrites(both.ftrack, tracker)
    with ayon_writes.installed(monkeypatch), ftrack_writes.installed(monkeypatch):
        ui = both.ftrack.control.as_user("jane.doe")
        note = ui.create(
            "Note",
            {
                "content": "the matte edge flickers",
                "parent_id": shot["id"],
                "parent_type": "TypedContext",
                "user_id": ui.user.id,
            },
        )
        status = await both.settle(project_id, project)
    assert status.stats.batches_failed == 0, status.stats.last_error
    comments = list(person.get_activities(project, entity_ids=[folder_id]))
    assert [c["body"] for c in comments] == ["the matte edge flickers"]
    assert comments[0]["activityData"]["ftrack"] == {"id": note["id"]}
    [stored] = notes_on(both.ftrack, shot["id"])
    assert metadata(stored) == {"ayon_activity_id": comments[0]["activityId"]}
    # the only ftrack write is the link in the note's metadata; its echo wrote nothing
    assert {w.activity for w in ftrack_writes.by_service()} <= {"incremental.apply"}
    assert status.stats.ayon_events_received == 0  # our comment is not enrolled back

    # an edit and a removal of the note come through the hub as well
    ui.update("Note", note["id"], {"content": "the matte edge is fixed"})
    await until(
        lambda: (
            [c["body"] for c in person.get_activities(project, entity_ids=[folder_id])]
            == ["the matte edge is fixed"]
        ),
        30,
        what="the edited comment",
    )
    ui.delete("Note", note["id"])
    await until(
        lambda: list(person.get_activities(project, entity_ids=[folder_id])) == [],
        30,
        what="the comment's removal",
    )
    status = await both.settle(project_id, project)
    assert status.stats.batches_failed == 0, status.stats.last_error
    assert status.stats.ayon_events_received == 0


async def test_a_comment_written_in_ayon_arrives_as_an_ftrack_note(
    both: TwoWay,  # noqa: F811
    person: ayon_api.ServerAPI,  # noqa: F811
    tracker: ActivityTracker,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project_id, project = await synced(both, "comments", shots=1)
    shot = next(n for n in contexts(both.ftrack, project_id).values() if n["type"] == "Shot")
    folder_id = linked(both.ayon, project)[shot["id"]]["id"]
    ftrack_writes = FtrackWrites(both.ftrack, tracker)
    with ftrack_writes.installed(monkeypatch):
        activity_id = await asyncio.to_thread(
            person.create_activity, project, folder_id, "folder", "comment", body="more grain"
        )
        await until(lambda: bool(notes_on(both.ftrack, shot["id"])), 30, what="the ftrack note")
        status = await both.settle(project_id, project)
        await asyncio.to_thread(
            person.update_activity, project, activity_id, body="more grain, less blur"
        )
        await until(
            lambda: (
                [n["content"] for n in notes_on(both.ftrack, shot["id"])]
                == ["more grain, less blur"]
            ),
            30,
            what="the edited note",
        )
        status = await both.settle(project_id, project)
    assert status.stats.batches_failed == 0, status.stats.last_error
    [note] = notes_on(both.ftrack, shot["id"])
    assert metadata(note) == {"ayon_activity_id": activity_id}
    comments = list(person.get_activities(project, entity_ids=[folder_id]))
    assert [c["activityId"] for c in comments] == [activity_id]
    assert comments[0]["activityData"]["ftrack"] == {"id": note["id"]}
    # the note (with its metadata) created, then updated, both by the transmit; the echoes
    # (the note's add event, the comment's `ftrack` data) wrote nothing
    writes = [(w.activity, w.action, w.entity_type) for w in ftrack_writes.by_service()]
    assert writes == [
        ("transmit.apply", "create", "Note"),
        ("transmit.apply", "create", "Metadata"),
        ("transmit.apply", "update", "Note"),
    ], writes
    assert status.stats.ayon_events_received == 2  # created, updated: the person's only
