"""Comment sync both ways through the real clients against both emulators.

No Temporal: `notes_to_ayon` / `comments_to_ftrack` are plain functions. Each test links a
small generated ftrack project to an AYON project by hand (`attrib.ftrackId`, as the full
sync leaves it), changes one side as a person would (ftrack_api as another user, ayon_api
with sender type `test`), calls the sync, checks the other side, then calls again (and the
other direction) to check that nothing more is written.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import ayon_api
import ftrack_api
import pytest

from ayon_ftrack_sync.activities.comments import CommentsOutcome, comments_to_ftrack, notes_to_ayon
from ayon_ftrack_sync.emulators.ayon import AyonEmulator
from ayon_ftrack_sync.emulators.ftrack import FtrackEmulator
from ayon_ftrack_sync.sync.comments import EntityRef

PROJECT = "comments"


@dataclass
class World:
    ftrack: FtrackEmulator
    ayon: AyonEmulator
    session: Any  # ftrack_api.Session (the service's)
    api: ayon_api.ServerAPI  # the service's (sender type ftrack)
    person: ayon_api.ServerAPI  # a person in AYON (sender type test)
    project_id: str
    ids: dict[str, str]  # "shot"/"task"/"version" -> ftrack id
    refs: dict[str, EntityRef]  # same keys -> AYON entity

    def to_ayon(self, note_ids: Any = (), removed: Any = (), **kwargs: Any) -> CommentsOutcome:
        return notes_to_ayon(
            self.api,
            self.session,
            ftrack_project_id=self.project_id,
            ayon_project_name=PROJECT,
            note_ids=list(note_ids),
            removed_note_ids=list(removed),
            **kwargs,
        )

    def to_ftrack(self, activity_ids: Any = (), **kwargs: Any) -> CommentsOutcome:
        return comments_to_ftrack(
            self.api,
            self.session,
            ftrack_project_id=self.project_id,
            ayon_project_name=PROJECT,
            activity_ids=list(activity_ids),
            **kwargs,
        )

    def comments(self, key: str) -> list[dict[str, Any]]:
        ref = self.refs[key]
        return list(self.api.get_activities(PROJECT, entity_ids=[ref.entity_id]))

    def notes(self, key: str) -> list[dict[str, Any]]:
        return self.ftrack.control.query(
            "select id, content, user_id, metadata, in_reply_to_id from Note"
            f' where parent_id is "{self.ids[key]}"'
        )

    def note_as(self, username: str, key: str, text: str) -> str:
        """A note written in ftrack by `username` (its own session, as a person would)."""
        ui = self.ftrack.control.as_user(username)
        entity_type = "AssetVersion" if key == "version" else "TypedContext"
        note = ui.create(
            "Note",
            {
                "content": text,
                "parent_id": self.ids[key],
                "parent_type": entity_type,
                "user_id": ui.user.id,
            },
        )
        return str(note["id"])


@pytest.fixture
def world(ftrack_server: FtrackEmulator, ayon_server: AyonEmulator) -> Iterator[World]:
    project_id = ftrack_server.control.generate_project(
        PROJECT, sequences=1, shots=1, tasks=1, versions_per_task=1
    )
    query = ftrack_server.control.query
    shot = query(f'select id, parent_id from Shot where project_id is "{project_id}"')[0]
    task = query(f'select id from Task where parent_id is "{shot["id"]}"')[0]
    version = query(f'select id from AssetVersion where task_id is "{task["id"]}"')[0]
    ftrack_server.control.add_user("jane")
    ftrack_server.control.add_user("bob")  # no AYON counterpart
    ayon_server.control.create_project(PROJECT)
    ayon_server.control.create_user("jane", attrib={"email": "jane@example.com"})
    session = ftrack_api.Session(
        server_url=ftrack_server.url,
        api_key=ftrack_server.api_key,
        api_user=ftrack_server.api_user,
        schema_cache_path=False,
        auto_connect_event_hub=False,
    )
    api = ayon_api.ServerAPI(ayon_server.url, token=ayon_server.api_key, sender_type="ftrack")
    person = ayon_api.ServerAPI(ayon_server.url, token=ayon_server.api_key, sender_type="test")
    try:
        seq_id = api.create_folder(
            PROJECT, "sq01", folder_type="Sequence", attrib={"ftrackId": shot["parent_id"]}
        )
        shot_id = api.create_folder(
            PROJECT, "sh010", folder_type="Shot", parent_id=seq_id, attrib={"ftrackId": shot["id"]}
        )
        task_id = api.create_task(
            PROJECT, "anim", "Generic", folder_id=shot_id, attrib={"ftrackId": task["id"]}
        )
        product_id = api.create_product(PROJECT, "renderMain", "render", shot_id)
        version_id = api.create_version(
            PROJECT, 1, product_id, task_id=task_id, attrib={"ftrackId": version["id"]}
        )
        yield World(
            ftrack_server,
            ayon_server,
            session,
            api,
            person,
            project_id,
            {"shot": shot["id"], "task": task["id"], "version": version["id"]},
            {
                "shot": EntityRef("folder", shot_id),
                "task": EntityRef("task", task_id),
                "version": EntityRef("version", version_id),
            },
        )
    finally:
        person.close_session()
        api.close_session()
        session.close()


def _metadata(note: dict[str, Any]) -> dict[str, Any]:
    return {m["key"]: m["value"] for m in note.get("metadata") or []}


@pytest.mark.parametrize("key", ["shot", "task", "version"])
def test_note_becomes_comment_then_edit_and_delete(world: World, key: str) -> None:
    note_id = world.note_as("jane", key, "first take looks good")
    outcome = world.to_ayon([note_id])
    assert outcome.counts == {"ayon.comments.created": 1, "ftrack.notes.linked": 1}
    [comment] = world.comments(key)
    assert comment["body"] == "first take looks good"
    assert comment["activityData"]["ftrack"] == {"id": note_id}
    assert comment["activityData"]["author"] == "jane"  # made as the mapped user
    [note] = world.notes(key)
    assert _metadata(note) == {"ayon_activity_id": comment["activityId"]}
    # echo both ways, and a retry: nothing
    assert world.to_ayon([note_id]).writes == 0
    assert world.to_ftrack([comment["activityId"]]).writes == 0

    world.ftrack.control.as_user("jane").update("Note", note_id, {"content": "second take"})
    assert world.to_ayon([note_id]).counts == {"ayon.comments.updated": 1}
    [comment] = world.comments(key)
    assert comment["body"] == "second take"
    assert world.to_ayon([note_id]).writes == 0
    assert world.to_ftrack([comment["activityId"]]).writes == 0

    world.ftrack.control.as_user("jane").delete("Note", note_id)
    removed = world.to_ayon(removed=[note_id], removed_note_parents={note_id: world.ids[key]})
    assert removed.counts == {"ayon.comments.deleted": 1}
    assert world.comments(key) == []
    assert world.to_ayon(removed=[note_id]).writes == 0  # retry (no parent: project scan)


def test_unmapped_author_comments_as_service_user(world: World) -> None:
    note_id = world.note_as("bob", "task", "from bob")
    assert world.to_ayon([note_id]).counts["ayon.comments.created"] == 1
    [comment] = world.comments("task")
    service = world.api.get_user()["name"]
    assert comment["activityData"]["author"] == service


def test_reply_is_ignored(world: World) -> None:
    note_id = world.note_as("jane", "shot", "parent note")
    world.to_ayon([note_id])
    ui = world.ftrack.control.as_user("jane")
    reply = ui.create(
        "Note", {"content": "a reply", "in_reply_to_id": note_id, "user_id": ui.user.id}
    )
    outcome = world.to_ayon([reply["id"]])
    assert outcome.writes == 0
    assert ("reply", reply["id"]) in outcome.refused
    assert [c["body"] for c in world.comments("shot")] == ["parent note"]


def test_existing_comment_with_same_text_is_linked_not_duplicated(world: World) -> None:
    ref = world.refs["shot"]
    activity_id = world.person.create_activity(
        PROJECT, ref.entity_id, ref.entity_type, "comment", body="same words"
    )
    # the note was typed in ftrack too, before any sync (no link on either side yet)
    note_id = world.note_as("jane", "shot", "same words")
    outcome = world.to_ayon([note_id])
    assert outcome.counts == {"ayon.comments.updated": 1, "ftrack.notes.linked": 1}
    [comment] = world.comments("shot")
    assert comment["activityId"] == activity_id
    assert comment["activityData"]["ftrack"] == {"id": note_id}


@pytest.mark.parametrize("key", ["shot", "version"])
def test_comment_becomes_note_then_edit(world: World, key: str) -> None:
    ref = world.refs[key]
    with world.person.as_username("jane"):
        activity_id = world.person.create_activity(
            PROJECT, ref.entity_id, ref.entity_type, "comment", body="from AYON"
        )
    outcome = world.to_ftrack([activity_id])
    assert outcome.counts == {"ftrack.notes.created": 1, "ayon.comments.linked": 1}
    [note] = world.notes(key)
    assert note["content"] == "from AYON"
    assert _metadata(note) == {"ayon_activity_id": activity_id}
    jane = world.ftrack.control.query('select id from User where username is "jane"')[0]
    assert note["user_id"] == jane["id"]  # mapped author
    [comment] = world.comments(key)
    assert comment["activityData"]["ftrack"] == {"id": note["id"]}
    assert world.to_ftrack([activity_id]).writes == 0  # retry
    assert world.to_ayon([note["id"]]).writes == 0  # echo

    world.person.update_activity(PROJECT, activity_id, body="edited in AYON")
    assert world.to_ftrack([activity_id]).counts == {"ftrack.notes.updated": 1}
    [note] = world.notes(key)
    assert note["content"] == "edited in AYON"
    assert world.to_ftrack(entities=[ref]).writes == 0
    assert world.to_ayon([note["id"]]).writes == 0


def test_comment_of_unmapped_author_is_written_as_api_user(world: World) -> None:
    ref = world.refs["task"]
    activity_id = world.person.create_activity(
        PROJECT, ref.entity_id, ref.entity_type, "comment", body="service words"
    )
    world.ayon.control.create_user("nobody")
    world.to_ftrack([activity_id])
    [note] = world.notes("task")
    api_user = world.ftrack.control.query(
        f'select id from User where username is "{world.ftrack.api_user}"'
    )[0]
    assert note["user_id"] == api_user["id"]


def test_note_of_deleted_comment_is_not_recreated_in_ftrack(world: World) -> None:
    note_id = world.note_as("jane", "task", "will vanish")
    world.to_ayon([note_id])
    [comment] = world.comments("task")
    world.ftrack.control.as_user("jane").delete("Note", note_id)
    outcome = world.to_ftrack([comment["activityId"]])
    assert outcome.writes == 0
    assert world.notes("task") == []


def test_version_found_by_asset_name_and_number_without_ftrack_id(world: World) -> None:
    [row] = world.ftrack.control.query(
        f'select asset.name, version from AssetVersion where id is "{world.ids["version"]}"'
    )
    world.api.update_version(PROJECT, world.refs["version"].entity_id, attrib={"ftrackId": ""})
    shot_id = world.refs["shot"].entity_id
    product_id = world.api.create_product(PROJECT, row["asset"]["name"].upper(), "render", shot_id)
    by_name = world.api.create_version(PROJECT, row["version"], product_id)
    note_id = world.note_as("jane", "version", "on the version")
    assert world.to_ayon([note_id]).counts["ayon.comments.created"] == 1
    [comment] = world.api.get_activities(PROJECT, entity_ids=[by_name])
    assert comment["body"] == "on the version"
