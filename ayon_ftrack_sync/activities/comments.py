"""Comment sync entry points: ftrack notes -> AYON comments, AYON comments -> ftrack notes.

Plain functions (the Temporal activities that own the connections call them). Each reads
what both servers hold now for the given notes/comments, plans with `sync.comments`, and
writes only the difference: event values only say *where to look*, so a retried or
duplicated call, and the echo of this service's own writes, plan nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ayon_api
from ayon_api.exceptions import HTTPRequestError

from ayon_ftrack_sync.ayon import comments as ayon_comments
from ayon_ftrack_sync.ayon.extras import read_synced_by_ftrack_ids, read_versions_scoped
from ayon_ftrack_sync.ayon.transmit_reader import ftrack_ids_of
from ayon_ftrack_sync.ftrack import notes as ftrack_notes
from ayon_ftrack_sync.sync.comments import (
    AyonComment,
    EntityRef,
    FtrackNote,
    Links,
    note_id_for,
    plan_comments_to_ftrack,
    plan_notes_to_ayon,
)
from ayon_ftrack_sync.sync.users import map_users

log = logging.getLogger(__name__)

#: AYON entity types a comment is synced on (ftrack: TypedContext or AssetVersion)
ENTITY_TYPES = ("folder", "task", "version")


@dataclass(slots=True)
class CommentsOutcome:
    """What one call did: `counts` by kind, ftrack requests, and what it refused."""

    counts: dict[str, int] = field(default_factory=dict)
    ftrack_requests: int = 0
    #: (what, detail): skipped notes/comments and writes a server refused
    refused: list[tuple[str, str]] = field(default_factory=list)

    def count(self, key: str, value: int = 1) -> None:
        if value:
            self.counts[key] = self.counts.get(key, 0) + value

    @property
    def writes(self) -> int:
        """AYON and ftrack writes made (0 for an echo or a retry of a finished call)."""
        return sum(v for k, v in self.counts.items() if k.startswith(("ayon.", "ftrack.")))


def notes_to_ayon(
    api: ayon_api.ServerAPI,
    session: Any,
    *,
    ftrack_project_id: str,
    ayon_project_name: str,
    note_ids: Iterable[str] = (),
    removed_note_ids: Iterable[str] = (),
    removed_note_parents: Mapping[str, str] | None = None,
    service_user: str | None = None,
) -> CommentsOutcome:
    """Make AYON's comments match these ftrack notes (create, edit, delete).

    `note_ids`: notes added or edited (event `entityId`s); `removed_note_ids`: notes
    reported removed. `removed_note_parents` (note id -> ftrack parent id, the event's
    `parentId`) narrows the search for a removed note's comment to its entity; without it
    the project's comments are read. `service_user`: the AYON user that comments of
    unmapped authors are made as (None: the API key's own user)."""
    outcome = CommentsOutcome()
    wanted = sorted(set(note_ids) | set(removed_note_ids))
    if not wanted:
        return outcome
    read = ftrack_notes.read_notes(session, note_ids=wanted)
    outcome.ftrack_requests += read.requests
    notes = read.notes
    removed = [i for i in sorted(set(removed_note_ids)) if i not in {n.id for n in notes}]
    parents = {n.parent_id for n in notes if n.parent_id and not n.is_reply}
    parents |= {p for i, p in (removed_note_parents or {}).items() if i in removed}
    links = Links(_ayon_entities(api, session, ayon_project_name, parents, outcome))
    comments = _comments_for_notes(
        api, ayon_project_name, notes, links, removed, removed_note_parents or {}
    )
    plan = plan_notes_to_ayon(notes, comments, links, {}, removed_note_ids=removed)
    if plan.creates:
        users = _user_map(api, session, outcome)
        plan = plan_notes_to_ayon(notes, comments, links, users, removed_note_ids=removed)
    outcome.refused.extend(plan.skipped)
    outcome.count("notes.skipped", len(plan.skipped))
    failed: set[str] = set()
    for create in plan.creates:
        data = {"ftrack": {"id": create.note_id}}
        try:
            as_author = ayon_comments.create_comment(
                api,
                ayon_project_name,
                activity_id=create.activity_id,
                entity=create.entity,
                body=create.body,
                data=data,
                as_user=create.as_user or service_user,
            )
        except HTTPRequestError as exc:
            failed.add(create.note_id)
            outcome.refused.append(("comment create", f"note {create.note_id}: {exc}"))
            continue
        outcome.count("ayon.comments.created")
        if create.as_user and not as_author:
            outcome.count("comments.as_service_user")
    for update in plan.updates:
        link = {"ftrack": {"id": update.link_note_id}} if update.link_note_id else None
        try:
            ayon_comments.update_comment(
                api, ayon_project_name, update.activity_id, body=update.body, data=link
            )
        except HTTPRequestError as exc:
            outcome.refused.append(("comment update", f"{update.activity_id}: {exc}"))
            continue
        outcome.count("ayon.comments.updated")
    for activity_id in plan.deletes:
        if ayon_comments.delete_comment(api, ayon_project_name, activity_id):
            outcome.count("ayon.comments.deleted")
    note_links = [link for link in plan.note_links if link.note_id not in failed]
    if note_links:
        result = ftrack_notes.write_notes(session, note_links=note_links, fallback_author_id="")
        outcome.ftrack_requests += result.requests
        outcome.count("ftrack.notes.linked", len(note_links) - len(result.refused))
        outcome.refused.extend(("note metadata", f"{i}: {r}") for i, r in result.refused)
    log.debug(
        "notes -> AYON %s (ftrack project %s): %s",
        ayon_project_name,
        ftrack_project_id,
        outcome.counts,
    )
    return outcome


def _ayon_entities(
    api: ayon_api.ServerAPI,
    session: Any,
    project: str,
    ftrack_ids: Iterable[str],
    outcome: CommentsOutcome,
) -> dict[str, EntityRef]:
    """ftrack id -> AYON folder/task/version. Folders and tasks by `ftrackId`; a version by
    `ftrackId` among the versions of its Asset's folder, else (as ayon-ftrack) by product
    name == Asset name (case-insensitive) and the version number."""
    ids = set(ftrack_ids)
    synced = read_synced_by_ftrack_ids(api, project, ids, kinds=("folder", "task"))
    found = {k: EntityRef(v.entity_type, v.ayon_id) for k, v in synced.items()}
    parents, requests = ftrack_notes.read_version_parents(session, ids - set(found))
    outcome.ftrack_requests += requests
    if not parents:
        return found
    folders = read_synced_by_ftrack_ids(
        api, project, {p.folder_ftrack_id for p in parents}, kinds=("folder",)
    )
    folder_ids = {f.ayon_id for f in folders.values()}
    versions = read_versions_scoped(api, project, folder_ids=folder_ids)
    for parent in parents:
        folder = folders.get(parent.folder_ftrack_id)
        linked = [v for v in versions if v.ftrack_id == parent.id]
        named = [
            v
            for v in versions
            if folder is not None
            and v.folder_id == folder.ayon_id
            and v.product_name.lower() == parent.asset_name.lower()
            and v.version == parent.version
        ]
        matches = linked or named
        if matches:
            found[parent.id] = EntityRef("version", matches[0].id)
    return found


def _comments_for_notes(
    api: ayon_api.ServerAPI,
    project: str,
    notes: Sequence[FtrackNote],
    links: Links,
    removed: Sequence[str],
    removed_parents: Mapping[str, str],
) -> list[AyonComment]:
    """Comments on the notes' entities, the ones their metadata names, and those that may
    belong to removed notes (on their entities, or the whole project if one is unknown)."""
    entity_ids = {ref.entity_id for ref in links.ayon_by_ftrack.values()}
    activity_ids = {n.activity_id for n in notes if n.activity_id}
    comments = ayon_comments.read_comments(
        api, project, entity_ids=entity_ids, activity_ids=activity_ids
    )
    if any(note_id not in removed_parents for note_id in removed):
        return ayon_comments.read_comments(api, project, whole_project=True)
    return comments


def comments_to_ftrack(
    api: ayon_api.ServerAPI,
    session: Any,
    *,
    ftrack_project_id: str,
    ayon_project_name: str,
    activity_ids: Iterable[str] = (),
    entities: Iterable[EntityRef] = (),
    service_user: str | None = None,
) -> CommentsOutcome:
    """Make ftrack's notes match these AYON comments (create, edit; never delete).

    `activity_ids`: comments created or edited (the `activity.*` events' summary
    `activity_id`); `entities`: entities whose comments are all checked. `service_user`:
    the ftrack username that notes of unmapped authors are written as (None: the session's
    API user)."""
    outcome = CommentsOutcome()
    comments = ayon_comments.read_comments(
        api,
        ayon_project_name,
        entity_ids={e.entity_id for e in entities},
        activity_ids=activity_ids,
    )
    if not comments:
        return outcome
    ftrack_by_ref: dict[str, EntityRef] = {}
    version_ids: set[str] = set()
    for kind in ENTITY_TYPES:
        ids = sorted({c.entity.entity_id for c in comments if c.entity.entity_type == kind})
        for ayon_id, ftrack_id in ftrack_ids_of(api, ayon_project_name, kind, ids).items():
            ftrack_by_ref[ftrack_id] = EntityRef(kind, ayon_id)
            if kind == "version":
                version_ids.add(ftrack_id)
    links = Links(ftrack_by_ref)
    note_ids = {c.ftrack_id for c in comments if c.ftrack_id}
    note_ids |= {note_id_for(c.id) for c in comments}
    read = ftrack_notes.read_notes(session, note_ids=note_ids, parent_ids=ftrack_by_ref)
    outcome.ftrack_requests += read.requests
    plan = plan_comments_to_ftrack(comments, read.notes, links, {}, version_ids=version_ids)
    fallback = ""
    if plan.creates:
        users, fallback = _users_for_notes(api, session, outcome, service_user)
        plan = plan_comments_to_ftrack(comments, read.notes, links, users, version_ids=version_ids)
    outcome.refused.extend(plan.skipped)
    outcome.count("comments.skipped", len(plan.skipped))
    result = ftrack_notes.write_notes(
        session, plan.creates, plan.updates, plan.note_links, fallback_author_id=fallback
    )
    outcome.ftrack_requests += result.requests
    refused = {note_id for note_id, _ in result.refused}
    outcome.refused.extend(("note write", f"{i}: {r}") for i, r in result.refused)
    outcome.count("ftrack.notes.created", sum(c.note_id not in refused for c in plan.creates))
    outcome.count("ftrack.notes.updated", sum(u.note_id not in refused for u in plan.updates))
    outcome.count("ftrack.notes.linked", sum(n.note_id not in refused for n in plan.note_links))
    for link in plan.comment_links:
        if link.note_id in refused:
            continue
        try:
            ayon_comments.update_comment(
                api, ayon_project_name, link.activity_id, data={"ftrack": {"id": link.note_id}}
            )
        except HTTPRequestError as exc:
            outcome.refused.append(("comment link", f"{link.activity_id}: {exc}"))
            continue
        outcome.count("ayon.comments.linked")
    log.debug(
        "AYON %s -> ftrack project %s comments: %s",
        ayon_project_name,
        ftrack_project_id,
        outcome.counts,
    )
    return outcome


def _user_map(api: ayon_api.ServerAPI, session: Any, outcome: CommentsOutcome) -> dict[str, str]:
    users, _, requests = ftrack_notes.read_users(session)
    outcome.ftrack_requests += requests
    return dict(map_users(users, ayon_comments.read_users(api)))


def _users_for_notes(
    api: ayon_api.ServerAPI, session: Any, outcome: CommentsOutcome, service_user: str | None
) -> tuple[dict[str, str], str]:
    """The user map and the ftrack user id that unmapped authors' notes are written as."""
    users, own, requests = ftrack_notes.read_users(session)
    outcome.ftrack_requests += requests
    fallback = own
    if service_user:
        fallback = next((u.id for u in users if u.username == service_user), own)
    if fallback is None:
        raise RuntimeError("the ftrack API user is not among ftrack users")
    return dict(map_users(users, ayon_comments.read_users(api))), fallback
