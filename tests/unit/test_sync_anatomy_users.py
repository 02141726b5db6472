"""Anatomy planning from the ftrack schema, and ftrack -> AYON user mapping."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ayon_ftrack_sync.sync.anatomy import FtrackStatus, plan_anatomy, status_scopes
from ayon_ftrack_sync.sync.model import Kind
from ayon_ftrack_sync.sync.users import AyonUser, FtrackUser, map_users

STATUSES = [
    FtrackStatus("Not started", "Not Started", "#ccc", 1, frozenset({"task"})),
    FtrackStatus("In Progress", "In Progress", "#0af", 2, frozenset({"task", "folder"})),
    FtrackStatus("Approved", "Done", "#0f0", 3, frozenset({"version", "product"})),
]


def test_types_replaced_case_insensitively_keeping_ayon_definitions() -> None:
    plan = plan_anatomy(
        object_types=["Sequence", "Shot", "Task", "Milestone", "Asset Build"],
        task_types=["Compositing", "Rigging"],
        statuses=STATUSES,
        ayon_folder_types=[
            {"name": "shot", "shortName": "sh", "icon": "movie"},
            {"name": "Library", "shortName": "", "icon": "folder"},
            {"name": "Unused", "shortName": "", "icon": "folder"},
        ],
        ayon_task_types=[{"name": "Compositing", "shortName": "comp", "icon": "layers"}],
        ayon_statuses=[{"name": "Omitted", "state": "blocked", "scope": ["task"]}],
        used_folder_types={"Library"},
    )
    assert plan.folder_types == [
        {"name": "Sequence", "shortName": "", "icon": "folder"},
        {"name": "Shot", "shortName": "sh", "icon": "movie"},  # kept, ftrack casing
        {"name": "Asset Build", "shortName": "", "icon": "folder"},
        {"name": "Library", "shortName": "", "icon": "folder"},  # AYON-only but in use
    ]
    assert plan.task_types is not None
    assert plan.task_types[1] == {"name": "Rigging", "shortName": "rigging", "icon": "task_alt"}
    assert plan.statuses is not None
    names = [s["name"] for s in plan.statuses]
    assert names == ["Not started", "In Progress", "Approved", "Omitted"]  # AYON-only kept last
    in_progress = plan.statuses[1]
    assert in_progress["state"] == "in_progress"
    assert set(in_progress["scope"]) == {"task", "folder", "representation", "workfile"}
    scopes = status_scopes(plan.statuses)
    assert scopes["Approved"] == frozenset()  # version/product only
    assert Kind.FOLDER in scopes["In Progress"]


def test_second_plan_is_empty_and_invalid_names_are_rejected() -> None:
    kwargs = dict(object_types=["Shot", "Bad/Name"], task_types=["Comp"], statuses=STATUSES)
    first = plan_anatomy(**kwargs, ayon_folder_types=[], ayon_task_types=[], ayon_statuses=[])  # type: ignore[arg-type]
    assert first.rejected == ["Bad/Name"]
    assert first.folder_types is not None and first.task_types is not None
    assert first.statuses is not None
    second = plan_anatomy(
        **kwargs,  # type: ignore[arg-type]
        ayon_folder_types=first.folder_types,
        ayon_task_types=first.task_types,
        ayon_statuses=first.statuses,
    )
    assert second.is_empty


def test_users_by_email_then_username_each_claimed_once() -> None:
    ftrack = [
        FtrackUser("1", "alice@studio.com", "Alice@Studio.com"),
        FtrackUser("2", "bob", None),
        FtrackUser("3", "carol", "carol@else.com"),
        FtrackUser("4", "ALICE", None),  # would claim alice by name, but e-mail came first
    ]
    ayon = [
        AyonUser("alice", "alice@studio.com"),
        AyonUser("bob"),
        AyonUser("carl", "carl@studio.com"),
    ]
    assert map_users(ftrack, ayon) == {"1": "alice", "2": "bob"}


@given(
    st.lists(
        st.builds(
            FtrackUser,
            id=st.uuids().map(str),
            username=st.sampled_from(["a", "b", "c@x", "A"]),
            email=st.sampled_from([None, "a@x", "B@x"]),
        ),
        max_size=8,
    ),
    st.lists(
        st.builds(
            AyonUser, name=st.sampled_from(["a", "b", "c"]), email=st.sampled_from([None, "a@x"])
        ),
        max_size=5,
        unique_by=lambda u: u.name,
    ),
)
def test_user_mapping_is_injective(ftrack: list[FtrackUser], ayon: list[AyonUser]) -> None:
    mapping = map_users(ftrack, ayon)
    assert len(set(mapping.values())) == len(mapping)
    assert set(mapping.values()) <= {u.name for u in ayon}
