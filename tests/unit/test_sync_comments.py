"""Comment planning (`sync.comments`): matching rules by example, idempotence and echo
silence as hypothesis properties over a tiny in-memory model of both servers."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from hypothesis import given, settings
from hypothesis import strategies as st

from ayon_ftrack_sync.sync.comments import (
    AyonComment,
    CommentsToFtrackPlan,
    EntityRef,
    FtrackNote,
    Links,
    NotesToAyonPlan,
    comment_id_for,
    note_id_for,
    plan_comments_to_ftrack,
    plan_notes_to_ayon,
)

SHOT = EntityRef("folder", "a" * 32)
TASK = EntityRef("task", "b" * 32)
VERSION = EntityRef("version", "c" * 32)
LINKS = Links({"f-shot": SHOT, "f-task": TASK, "f-version": VERSION})
USERS = {"u-jane": "jane"}
PARENTS = ["f-shot", "f-task", "f-version", "f-unlinked"]


def note(
    note_id: str,
    text: str = "hi",
    parent: str = "f-shot",
    activity: str | None = None,
    *,
    author: str = "u-jane",
    is_reply: bool = False,
) -> FtrackNote:
    return FtrackNote(note_id, parent, text, author, activity, is_reply, activity is not None)


# -- examples -------------------------------------------------------------------------------
def test_new_note_creates_comment_as_mapped_author_and_links_back() -> None:
    plan = plan_notes_to_ayon([note("n1")], [], LINKS, USERS)
    [create] = plan.creates
    assert create == dataclasses.replace(create, entity=SHOT, body="hi", note_id="n1")
    assert create.as_user == "jane"
    assert create.activity_id == comment_id_for("n1")
    assert [(s.note_id, s.activity_id, s.exists) for s in plan.note_links] == [
        ("n1", create.activity_id, False)
    ]


def test_unmapped_author_is_service_user() -> None:
    [create] = plan_notes_to_ayon([note("n1", author="u-bob")], [], LINKS, USERS).creates
    assert create.as_user is None


def test_match_order_metadata_then_ftrack_id_then_body() -> None:
    by_meta = AyonComment("x1", TASK, "other", "jane", None)
    by_link = AyonComment("x2", SHOT, "hi", "jane", "n1")
    by_body = AyonComment("x3", SHOT, "hi", "jane", None)
    comments = [by_meta, by_link, by_body]
    plan = plan_notes_to_ayon([note("n1", activity="x1")], comments, LINKS, USERS)
    assert [u.activity_id for u in plan.updates] == ["x1"]
    plan = plan_notes_to_ayon([note("n1")], comments, LINKS, USERS)
    assert plan.updates == () and [s.activity_id for s in plan.note_links] == ["x2"]
    plan = plan_notes_to_ayon([note("n2")], [by_body], LINKS, USERS)
    assert [(u.activity_id, u.body, u.link_note_id) for u in plan.updates] == [("x3", None, "n2")]


def test_body_match_needs_same_entity_and_an_unlinked_comment() -> None:
    comments = [AyonComment("x1", TASK, "hi", "jane"), AyonComment("x2", SHOT, "hi", "j", "n9")]
    plan = plan_notes_to_ayon([note("n1")], comments, LINKS, USERS)
    assert len(plan.creates) == 1 and plan.updates == ()


def test_reply_and_unlinked_parent_plan_nothing() -> None:
    notes = [note("r1", is_reply=True), note("n1", parent="f-unlinked")]
    plan = plan_notes_to_ayon(notes, [], LINKS, USERS)
    assert plan.is_empty
    assert sorted(kind for kind, _ in plan.skipped) == ["reply", "unlinked parent"]


def test_removed_note_deletes_its_comment_unless_it_still_exists() -> None:
    comment = AyonComment("x1", SHOT, "hi", "jane", "n1")
    assert plan_notes_to_ayon([], [comment], LINKS, USERS, removed_note_ids=["n1"]).deletes == (
        "x1",
    )
    still_there = plan_notes_to_ayon(
        [note("n1", activity="x1")], [comment], LINKS, USERS, removed_note_ids=["n1"]
    )
    assert still_there.is_empty


def test_comment_to_note_on_version_with_author_fallback() -> None:
    comments = [AyonComment("x1", VERSION, "yo", "jane"), AyonComment("x2", TASK, "yo", "bob")]
    plan = plan_comments_to_ftrack(comments, [], LINKS, USERS, version_ids=["f-version"])
    first, second = plan.creates
    assert (first.parent_id, first.parent_is_version, first.author_id) == (
        "f-version",
        True,
        "u-jane",
    )
    assert (second.parent_id, second.parent_is_version, second.author_id) == (
        "f-task",
        False,
        None,
    )
    assert first.note_id == note_id_for("x1")
    assert [(c.activity_id, c.note_id) for c in plan.comment_links] == [
        ("x1", first.note_id),
        ("x2", second.note_id),
    ]


def test_comment_whose_note_was_deleted_is_not_recreated() -> None:
    plan = plan_comments_to_ftrack([AyonComment("x1", SHOT, "hi", "j", "gone")], [], LINKS, USERS)
    assert plan.is_empty and plan.skipped[0][0] == "linked note gone"


# -- a tiny model of both servers -----------------------------------------------------------
State = tuple[dict[str, FtrackNote], dict[str, AyonComment]]


def apply_to_ayon(state: State, plan: NotesToAyonPlan) -> State:
    notes, comments = dict(state[0]), dict(state[1])
    for c in plan.creates:
        comments[c.activity_id] = AyonComment(
            c.activity_id, c.entity, c.body, c.as_user or "service", c.note_id
        )
    for u in plan.updates:
        old = comments[u.activity_id]
        comments[u.activity_id] = dataclasses.replace(
            old,
            body=old.body if u.body is None else u.body,
            ftrack_id=u.link_note_id or old.ftrack_id,
        )
    for activity_id in plan.deletes:
        comments.pop(activity_id, None)
    return _link_notes(notes, plan.note_links), comments


def apply_to_ftrack(state: State, plan: CommentsToFtrackPlan) -> State:
    notes, comments = dict(state[0]), dict(state[1])
    for c in plan.creates:
        notes[c.note_id] = FtrackNote(
            c.note_id, c.parent_id, c.content, c.author_id, c.activity_id, False, True
        )
    for u in plan.updates:
        notes[u.note_id] = dataclasses.replace(notes[u.note_id], text=u.content)
    for link in plan.comment_links:
        comments[link.activity_id] = dataclasses.replace(
            comments[link.activity_id], ftrack_id=link.note_id
        )
    return _link_notes(notes, plan.note_links), comments


def _link_notes(notes: dict[str, FtrackNote], links: Iterable[object]) -> dict[str, FtrackNote]:
    for link in links:
        note_id, activity_id = link.note_id, link.activity_id  # type: ignore[attr-defined]
        notes[note_id] = dataclasses.replace(
            notes[note_id], activity_id=activity_id, has_activity_key=True
        )
    return notes


texts = st.sampled_from(["a", "b", "a b"])
note_ids = st.sampled_from([f"n{i}" for i in range(6)])
activity_ids = st.sampled_from([f"x{i}" for i in range(6)])
refs = st.sampled_from([SHOT, TASK, VERSION, EntityRef("folder", "d" * 32)])

notes_st = st.dictionaries(
    note_ids,
    st.tuples(
        st.sampled_from(PARENTS),
        texts,
        st.sampled_from(["u-jane", "u-bob"]),
        st.none() | activity_ids,
        st.booleans(),
    ),
    max_size=6,
).map(
    lambda d: {
        k: FtrackNote(k, p, t, a, m, r and k != "n0", m is not None)
        for k, (p, t, a, m, r) in d.items()
    }
)
comments_st = st.dictionaries(
    activity_ids,
    st.tuples(refs, texts, st.sampled_from(["jane", "bob"]), st.none() | note_ids),
    max_size=6,
).map(lambda d: {k: AyonComment(k, e, b, a, f) for k, (e, b, a, f) in d.items()})


def to_ayon(state: State, removed: Iterable[str] = ()) -> NotesToAyonPlan:
    return plan_notes_to_ayon(
        state[0].values(), state[1].values(), LINKS, USERS, removed_note_ids=removed
    )


def to_ftrack(state: State) -> CommentsToFtrackPlan:
    return plan_comments_to_ftrack(
        state[1].values(), state[0].values(), LINKS, USERS, version_ids=["f-version"]
    )


@settings(max_examples=300, deadline=None)
@given(notes_st, comments_st, st.lists(note_ids, max_size=3))
def test_notes_to_ayon_is_idempotent(
    notes: dict[str, FtrackNote], comments: dict[str, AyonComment], removed: list[str]
) -> None:
    state = apply_to_ayon((notes, comments), to_ayon((notes, comments), removed))
    assert to_ayon(state, removed).is_empty


@settings(max_examples=300, deadline=None)
@given(notes_st, comments_st)
def test_comments_to_ftrack_is_idempotent(
    notes: dict[str, FtrackNote], comments: dict[str, AyonComment]
) -> None:
    state = apply_to_ftrack((notes, comments), to_ftrack((notes, comments)))
    assert to_ftrack(state).is_empty


@settings(max_examples=300, deadline=None)
@given(notes_st)
def test_echo_of_notes_plans_nothing_back(notes: dict[str, FtrackNote]) -> None:
    """Comments made from notes are already what ftrack holds."""
    notes = {
        k: dataclasses.replace(n, activity_id=None, has_activity_key=False)
        for k, n in notes.items()
    }
    state = apply_to_ayon((notes, {}), to_ayon((notes, {})))
    assert to_ftrack(state).is_empty
    assert to_ayon(state).is_empty


@settings(max_examples=300, deadline=None)
@given(comments_st)
def test_echo_of_comments_plans_nothing_back(comments: dict[str, AyonComment]) -> None:
    """Notes made from comments are already what AYON holds."""
    comments = {k: dataclasses.replace(c, ftrack_id=None) for k, c in comments.items()}
    state = apply_to_ftrack(({}, comments), to_ftrack(({}, comments)))
    assert to_ayon(state).is_empty
    assert to_ftrack(state).is_empty


@settings(max_examples=200, deadline=None)
@given(notes_st, comments_st)
def test_replies_are_never_touched(
    notes: dict[str, FtrackNote], comments: dict[str, AyonComment]
) -> None:
    replies = {k for k, n in notes.items() if n.is_reply}
    plan = to_ayon((notes, comments))
    assert not replies & {c.note_id for c in plan.creates}
    assert not replies & {u.link_note_id for u in plan.updates}
    assert not replies & {s.note_id for s in plan.note_links}
