"""Plan comment sync both ways: ftrack Notes <-> AYON comment activities (pure, no I/O).

Why a diff of current state and not a replay of events: an event may be stale, repeated or
the echo of this service's own write. Planning from what both servers hold now makes every
call idempotent (a retry or a duplicate plans nothing) and makes echoes plan nothing: a
comment created from a note already carries the note's id and text, so the other direction
finds them equal.

Links between a note and a comment, strongest first (as ayon-ftrack's SyncCommentsHandler):
the note's metadata `ayon_activity_id`, the activity's `data.ftrack.id`, then (ftrack ->
AYON only) an unlinked comment with identical body on the same entity. Created objects get
ids derived from the other side's id, so a retry after a half-done write finds its own
result instead of creating a twin.

Rules kept from the original: replies to notes are never synced; an ftrack author without
an AYON counterpart makes the comment as the service user, and the reverse; AYON deletions
are not propagated to ftrack. One addition: a comment whose linked note is gone from
ftrack is not re-created there (the note's removal is on its way to AYON; re-creating it
would undo that deletion).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ayon_ftrack_sync.sync.identity import ayon_id_for, ftrack_id_for

#: note metadata key holding the linked AYON activity id
ACTIVITY_ID_KEY = "ayon_activity_id"


@dataclass(frozen=True, slots=True)
class EntityRef:
    """An AYON entity a comment can live on (`folder`, `task` or `version`)."""

    entity_type: str
    entity_id: str


@dataclass(frozen=True, slots=True)
class FtrackNote:
    id: str
    parent_id: str | None
    text: str
    author_id: str | None
    #: metadata `ayon_activity_id`; None when the key is missing
    activity_id: str | None = None
    is_reply: bool = False
    #: whether the note has the metadata key at all (decides create vs update of it)
    has_activity_key: bool = False


@dataclass(frozen=True, slots=True)
class AyonComment:
    id: str
    entity: EntityRef
    body: str
    author: str | None
    #: activity data `ftrack.id`
    ftrack_id: str | None = None


@dataclass(frozen=True, slots=True)
class Links:
    """ftrack entity id <-> AYON entity, for the entities at hand.

    `ftrack_versions` are the ftrack ids that are AssetVersions (their notes need
    `parent_type` AssetVersion)."""

    ayon_by_ftrack: Mapping[str, EntityRef]

    def ftrack_of(self) -> dict[EntityRef, str]:
        return {ref: ftrack_id for ftrack_id, ref in self.ayon_by_ftrack.items()}


# -- ftrack -> AYON ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CreateComment:
    activity_id: str
    entity: EntityRef
    body: str
    note_id: str
    #: AYON user to create it as; None = the service user
    as_user: str | None


@dataclass(frozen=True, slots=True)
class UpdateComment:
    activity_id: str
    #: new body, or None to keep it
    body: str | None = None
    #: note id to store in `data.ftrack.id`, or None to keep it
    link_note_id: str | None = None


@dataclass(frozen=True, slots=True)
class SetNoteActivity:
    """Write the note's metadata `ayon_activity_id` (create the key unless it exists)."""

    note_id: str
    activity_id: str
    exists: bool


@dataclass(frozen=True, slots=True)
class NotesToAyonPlan:
    creates: tuple[CreateComment, ...] = ()
    updates: tuple[UpdateComment, ...] = ()
    deletes: tuple[str, ...] = ()
    note_links: tuple[SetNoteActivity, ...] = ()
    #: (what, detail) for notes that cannot be synced
    skipped: tuple[tuple[str, str], ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.creates or self.updates or self.deletes or self.note_links)


def comment_id_for(note_id: str) -> str:
    """Activity id of the comment created for a note (stable across retries)."""
    return ayon_id_for(f"note:{note_id}")


def note_id_for(activity_id: str) -> str:
    """Note id of the note created for a comment (stable across retries)."""
    return ftrack_id_for(f"activity:{activity_id}")


def plan_notes_to_ayon(
    notes: Iterable[FtrackNote],
    comments: Iterable[AyonComment],
    links: Links,
    users: Mapping[str, str],
    *,
    removed_note_ids: Iterable[str] = (),
) -> NotesToAyonPlan:
    """What AYON needs so its comments equal these ftrack notes.

    `notes` are the notes as ftrack holds them now; `removed_note_ids` are notes reported
    removed (one still present in `notes` is not removed: current state wins). `comments`
    must include the comments on the notes' entities and any comment linked to a removed
    note. `users` maps ftrack user id -> AYON user name."""
    comment_list = sorted(comments, key=lambda c: c.id)
    by_id = {c.id: c for c in comment_list}
    by_note: dict[str, AyonComment] = {}
    for comment in comment_list:
        if comment.ftrack_id:
            by_note.setdefault(comment.ftrack_id, comment)
    present = {n.id: n for n in notes}
    claimed: set[str] = set()
    creates: list[CreateComment] = []
    updates: list[UpdateComment] = []
    note_links: list[SetNoteActivity] = []
    skipped: list[tuple[str, str]] = []
    for note in sorted(present.values(), key=lambda n: n.id):
        if note.is_reply:
            skipped.append(("reply", note.id))
            continue
        entity = links.ayon_by_ftrack.get(note.parent_id or "")
        if entity is None:
            skipped.append(("unlinked parent", f"{note.id} on {note.parent_id}"))
            continue
        match = _match_note(note, entity, comment_list, by_id, by_note, claimed)
        if match is None:
            activity_id = comment_id_for(note.id)
            creates.append(
                CreateComment(
                    activity_id,
                    entity,
                    note.text,
                    note.id,
                    users.get(note.author_id or ""),
                )
            )
            note_links.append(SetNoteActivity(note.id, activity_id, note.has_activity_key))
            continue
        claimed.add(match.id)
        body = note.text if match.body != note.text else None
        link = note.id if match.ftrack_id != note.id else None
        if body is not None or link is not None:
            updates.append(UpdateComment(match.id, body, link))
        if note.activity_id != match.id:
            note_links.append(SetNoteActivity(note.id, match.id, note.has_activity_key))
    # a comment that a present note claims (or is about to) is that note's, not a leftover
    created = {c.activity_id for c in creates}
    gone = {note_id for note_id in removed_note_ids if note_id not in present}
    deletes = sorted(
        c.id for c in comment_list if c.ftrack_id in gone and c.id not in claimed | created
    )
    return NotesToAyonPlan(
        tuple(creates), tuple(updates), tuple(deletes), tuple(note_links), tuple(skipped)
    )


def _match_note(
    note: FtrackNote,
    entity: EntityRef,
    comments: Sequence[AyonComment],
    by_id: Mapping[str, AyonComment],
    by_note: Mapping[str, AyonComment],
    claimed: set[str],
) -> AyonComment | None:
    """The comment of this note: by metadata, by `data.ftrack.id`, by body on the entity."""
    for candidate in (by_id.get(note.activity_id or ""), by_note.get(note.id)):
        if candidate is not None and candidate.id not in claimed:
            return candidate
    for comment in comments:
        if (
            comment.entity == entity
            and comment.ftrack_id is None
            and comment.body == note.text
            and comment.id not in claimed
        ):
            return comment
    return None


# -- AYON -> ftrack ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CreateNote:
    note_id: str
    parent_id: str
    parent_is_version: bool
    content: str
    #: ftrack user id of the author; None = the service's API user
    author_id: str | None
    activity_id: str


@dataclass(frozen=True, slots=True)
class UpdateNote:
    note_id: str
    content: str


@dataclass(frozen=True, slots=True)
class LinkComment:
    """Store the note id in the comment's `data.ftrack.id`."""

    activity_id: str
    note_id: str


@dataclass(frozen=True, slots=True)
class CommentsToFtrackPlan:
    creates: tuple[CreateNote, ...] = ()
    updates: tuple[UpdateNote, ...] = ()
    note_links: tuple[SetNoteActivity, ...] = ()
    comment_links: tuple[LinkComment, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.creates or self.updates or self.note_links or self.comment_links)


def plan_comments_to_ftrack(
    comments: Iterable[AyonComment],
    notes: Iterable[FtrackNote],
    links: Links,
    users: Mapping[str, str],
    *,
    version_ids: Iterable[str] = (),
) -> CommentsToFtrackPlan:
    """What ftrack needs so its notes equal these AYON comments.

    `notes` must include the notes linked to the comments (by `data.ftrack.id`, by the
    derived id, or on the comments' entities). `users` maps ftrack user id -> AYON user
    name (as for the other direction; inverted here). `version_ids` are the ftrack ids
    among the link targets that are AssetVersions."""
    ftrack_of = links.ftrack_of()
    versions = frozenset(version_ids)
    ftrack_user = {name: user_id for user_id, name in sorted(users.items())}
    by_id = {n.id: n for n in notes}
    by_activity: dict[str, FtrackNote] = {}
    for known in sorted(by_id.values(), key=lambda n: n.id):
        if known.activity_id and not known.is_reply:
            by_activity.setdefault(known.activity_id, known)
    creates: list[CreateNote] = []
    updates: list[UpdateNote] = []
    note_links: list[SetNoteActivity] = []
    comment_links: list[LinkComment] = []
    skipped: list[tuple[str, str]] = []
    resolved = [
        (comment, by_activity.get(comment.id) or by_id.get(comment.ftrack_id or ""))
        for comment in sorted(comments, key=lambda c: c.id)
    ]
    # a note named by its metadata belongs to that comment, even if others point at it
    resolved.sort(key=lambda pair: pair[1] is None or pair[1].activity_id != pair[0].id)
    claimed: set[str] = set()
    for comment, found in resolved:
        parent = ftrack_of.get(comment.entity)
        note = found or by_id.get(note_id_for(comment.id))
        if note is not None and note.id in claimed:
            skipped.append(("note linked to another comment", f"{comment.id} -> {note.id}"))
            continue
        if note is None:
            if comment.ftrack_id:
                skipped.append(("linked note gone", f"{comment.id} -> {comment.ftrack_id}"))
            elif parent is None:
                skipped.append(("unlinked entity", f"{comment.id} on {comment.entity}"))
            else:
                note_id = note_id_for(comment.id)
                author = ftrack_user.get(comment.author or "")
                creates.append(
                    CreateNote(
                        note_id, parent, parent in versions, comment.body, author, comment.id
                    )
                )
                comment_links.append(LinkComment(comment.id, note_id))
            continue
        claimed.add(note.id)
        if note.text != comment.body:
            updates.append(UpdateNote(note.id, comment.body))
        if note.activity_id != comment.id:
            note_links.append(SetNoteActivity(note.id, comment.id, note.has_activity_key))
        if comment.ftrack_id != note.id:
            comment_links.append(LinkComment(comment.id, note.id))
    return CommentsToFtrackPlan(
        tuple(creates), tuple(updates), tuple(note_links), tuple(comment_links), tuple(skipped)
    )
