"""Read and write ftrack Notes (and their `ayon_activity_id` metadata) in raw batches.

Raw `/api` batches instead of `session.query`/`session.commit`: one request reads the notes
of many ids and parents with their metadata (the client would fetch metadata lazily, one
request per note), and one request writes a note together with its metadata. ayon-ftrack's
transmitter sends the same raw `create` operations for Note and Metadata.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ayon_ftrack_sync.sync.comments import (
    ACTIVITY_ID_KEY,
    CreateNote,
    FtrackNote,
    SetNoteActivity,
    UpdateNote,
)
from ayon_ftrack_sync.sync.users import FtrackUser

from .errors import FtrackPermissionDenied, FtrackServerError
from .transport import FtrackApi, Query, QueryRunner, Row, quote_list

ID_CHUNK = 200
_NOTE_FIELDS = "id, content, parent_id, parent_type, user_id, in_reply_to_id, metadata"


@dataclass(slots=True)
class NotesRead:
    notes: list[FtrackNote]
    requests: int


@dataclass(slots=True)
class NotesWriteResult:
    operations: int = 0
    requests: int = 0
    #: (note id, reason) of refused writes
    refused: list[tuple[str, str]] = field(default_factory=list)


def read_notes(
    session: Any, *, note_ids: Iterable[str] = (), parent_ids: Iterable[str] = ()
) -> NotesRead:
    """Notes with these ids or on these parents (replies included, flagged), one batch."""
    ids = sorted(set(note_ids))
    parents = sorted(set(parent_ids))
    api = FtrackApi(session)
    runner = QueryRunner(api)
    rows: dict[str, Row] = {}

    def keep(page: list[Row]) -> None:
        rows.update((str(row["id"]), row) for row in page)

    for column, values in (("id", ids), ("parent_id", parents)):
        for start in range(0, len(values), ID_CHUNK):
            chunk = values[start : start + ID_CHUNK]
            expression = f"select {_NOTE_FIELDS} from Note where {column} in {quote_list(chunk)}"
            runner.add(Query(expression, keep))
    runner.run()
    return NotesRead([_note(row) for _, row in sorted(rows.items())], api.requests)


def _note(row: Row) -> FtrackNote:
    metadata = {
        str(item.get("key")): item.get("value")
        for item in row.get("metadata") or []
        if isinstance(item, dict)
    }
    activity_id = metadata.get(ACTIVITY_ID_KEY)
    return FtrackNote(
        id=str(row["id"]),
        parent_id=row.get("parent_id"),
        text=str(row.get("content") or ""),
        author_id=row.get("user_id"),
        activity_id=str(activity_id) if activity_id else None,
        is_reply=bool(row.get("in_reply_to_id")) or row.get("parent_type") == "Note",
        has_activity_key=ACTIVITY_ID_KEY in metadata,
    )


def read_users(session: Any) -> tuple[list[FtrackUser], str | None, int]:
    """Every ftrack user, and the id of the session's API user (the fallback author)."""
    api = FtrackApi(session)
    rows = QueryRunner(api).fetch("select id, username, email from User")
    users = [FtrackUser(str(r["id"]), str(r.get("username") or ""), r.get("email")) for r in rows]
    api_user = str(getattr(session, "api_user", "") or "")
    own = next((u.id for u in users if u.username == api_user), None)
    return users, own, api.requests


def operations(
    creates: Sequence[CreateNote],
    updates: Sequence[UpdateNote],
    note_links: Sequence[SetNoteActivity],
    *,
    fallback_author_id: str,
) -> list[tuple[str, dict[str, Any]]]:
    """(note id, raw operation) pairs: a note's create goes before its metadata."""
    ops: list[tuple[str, dict[str, Any]]] = []
    for create in creates:
        data = {
            "__entity_type__": "Note",
            "id": create.note_id,
            "content": create.content,
            "parent_id": create.parent_id,
            "parent_type": "AssetVersion" if create.parent_is_version else "TypedContext",
            "user_id": create.author_id or fallback_author_id,
            "is_todo": False,
        }
        ops.append((create.note_id, _op("create", "Note", [create.note_id], data)))
        ops.append((create.note_id, _metadata(create.note_id, create.activity_id, False)))
    for update in updates:
        data = {"__entity_type__": "Note", "content": update.content}
        ops.append((update.note_id, _op("update", "Note", [update.note_id], data)))
    for link in note_links:
        ops.append((link.note_id, _metadata(link.note_id, link.activity_id, link.exists)))
    return ops


def _op(action: str, entity_type: str, key: list[str], data: dict[str, Any]) -> dict[str, Any]:
    return {"action": action, "entity_type": entity_type, "entity_key": key, "entity_data": data}


def _metadata(note_id: str, activity_id: str, exists: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"__entity_type__": "Metadata", "value": activity_id}
    if not exists:
        data.update(parent_id=note_id, parent_type="Note", key=ACTIVITY_ID_KEY)
    return _op("update" if exists else "create", "Metadata", [note_id, ACTIVITY_ID_KEY], data)


def write_notes(
    session: Any,
    creates: Sequence[CreateNote] = (),
    updates: Sequence[UpdateNote] = (),
    note_links: Sequence[SetNoteActivity] = (),
    *,
    fallback_author_id: str,
) -> NotesWriteResult:
    """One request for everything; if ftrack refuses it (a parent deleted meanwhile), each
    note's operations go again alone and only the refused notes are reported."""
    ops = operations(creates, updates, note_links, fallback_author_id=fallback_author_id)
    result = NotesWriteResult(operations=len(ops))
    if not ops:
        return result
    api = FtrackApi(session)
    try:
        api.call([op for _, op in ops])
    except FtrackPermissionDenied:
        raise
    except FtrackServerError:
        groups: dict[str, list[dict[str, Any]]] = {}
        for note_id, op in ops:
            groups.setdefault(note_id, []).append(op)
        for note_id, group in groups.items():
            try:
                api.call(group)
            except FtrackPermissionDenied:
                raise
            except FtrackServerError as exc:
                result.refused.append((note_id, str(exc)))
    result.requests = api.requests
    return result


@dataclass(frozen=True, slots=True)
class VersionParent:
    """What finds the AYON version of an AssetVersion not linked by `ftrackId`."""

    id: str
    asset_name: str
    folder_ftrack_id: str
    version: int


def read_version_parents(session: Any, ids: Iterable[str]) -> tuple[list[VersionParent], int]:
    """The AssetVersions among `ids`, with their Asset's name and context (one batch)."""
    wanted = sorted(set(ids))
    if not wanted:
        return [], 0
    api = FtrackApi(session)
    runner = QueryRunner(api)
    rows: list[Row] = []
    for start in range(0, len(wanted), ID_CHUNK):
        chunk = quote_list(wanted[start : start + ID_CHUNK])
        expression = (
            "select id, version, asset.name, asset.context_id from AssetVersion"
            f" where id in {chunk}"
        )
        runner.add(Query(expression, rows.extend))
    runner.run()
    found = [
        VersionParent(
            str(row["id"]),
            str((row.get("asset") or {}).get("name") or ""),
            str((row.get("asset") or {}).get("context_id") or ""),
            int(row.get("version") or 0),
        )
        for row in rows
    ]
    return found, api.requests
