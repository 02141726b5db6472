"""Key-scoped incremental diffs: an ftrack change writes only the AYON fields its keys feed.

The point is loop safety: an entity linked in both directions may hold a newer AYON edit
(waiting to be sent to ftrack) in a field the ftrack change did not name; the plan must not
put ftrack's older value there."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from ayon_ftrack_sync.sync.apply import apply_to_ayon
from ayon_ftrack_sync.sync.events import EntityChange
from ayon_ftrack_sync.sync.fields import ASSIGNEES, PLACEMENT, STATUS, TYPE, ayon_fields
from ayon_ftrack_sync.sync.hierarchy import PlanOptions, plan_hierarchy
from ayon_ftrack_sync.sync.model import AyonNode, AyonProject, FtrackNode
from ayon_ftrack_sync.sync.scope import batch_scope
from tests.unit.test_sync_hierarchy import STATUSES, by_ftrack_id, folder, ftrack_project, sync

ATTRIBUTES = ("frameStart", "frameEnd", "fps", "description")
CUSTOM_KEYS = {"fstart": "frameStart", "fend": "frameEnd", "fps": "fps"}


def test_keys_become_fields() -> None:
    assert ayon_fields(["fstart", "statusid"], CUSTOM_KEYS) == {"attrib:frameStart", STATUS}
    assert ayon_fields(["name"], {}) == {PLACEMENT}
    assert ayon_fields(["parent_id"], {}) == {PLACEMENT}
    assert ayon_fields(["typeid"], {}) == {TYPE}
    assert ayon_fields(["description", "startdate"], {}) == {
        "attrib:description",
        "attrib:startDate",
    }
    assert ayon_fields(["appointment"], {}) == {ASSIGNEES}
    # link attributes, sort order, thumbnails: nothing to write
    assert ayon_fields(["ayon_id", "ayon_sync_failed", "sort", "thumbid"], CUSTOM_KEYS) == set()


def test_scope_keeps_keys_of_updates_and_none_for_creations() -> None:
    changes = [
        EntityChange(action="update", entity_id="sh", table="task", keys=["fstart"]),
        EntityChange(action="update", entity_id="sh", table="task", keys=["statusid"]),
        EntityChange(action="add", entity_id="new", table="task", keys=["name", "fstart"]),
        EntityChange(action="update", entity_id="new", table="task", keys=["fend"]),
        EntityChange(action="update", entity_id="bare", table="task", keys=[]),
        EntityChange(
            action="add", entity_id="ap", table="appointment", parent_id="t1", keys=["type"]
        ),
    ]
    scope = batch_scope(changes)
    assert scope.keys == {"sh": {"fstart", "statusid"}, "t1": {"appointment"}}
    assert {"sh", "new", "bare", "t1"} <= scope.contexts


def linked_pair(**ayon_changes: object) -> tuple[FtrackNode, AyonProject]:
    """A shot synced once, then AYON edited (a person's change not yet sent to ftrack)."""
    shot = folder(
        "sh",
        "sh010",
        status="In Progress",
        attributes={"frameStart": 1001, "frameEnd": 1100, "fps": 25.0},
        mapped=frozenset(ATTRIBUTES),
    )
    ftrack, ayon, _ = sync(ftrack_project(shot), AyonProject("proj", {}, STATUSES))
    node = by_ftrack_id(ayon, "sh")
    edited = dataclasses.replace(node, **ayon_changes)  # type: ignore[arg-type]
    return ftrack.nodes["sh"], AyonProject("proj", {node.id: edited}, STATUSES)


def plan_for(fnode: FtrackNode, ayon: AyonProject, fields: frozenset[str] | None) -> AyonNode:
    ftrack = ftrack_project(fnode)
    options = PlanOptions(
        scope=frozenset({fnode.id}), fields={} if fields is None else {fnode.id: fields}
    )
    plan = plan_hierarchy(ftrack, ayon, options)
    return by_ftrack_id(apply_to_ayon(ayon, plan), fnode.id)


def test_an_echo_of_one_attribute_keeps_a_newer_ayon_edit_of_another() -> None:
    fnode, ayon = linked_pair()
    node = by_ftrack_id(ayon, "sh")
    ayon = AyonProject(
        "proj",
        {node.id: dataclasses.replace(node, attrib={**node.attrib, "frameEnd": 2999})},
        STATUSES,
    )
    fnode = dataclasses.replace(fnode, attributes={**fnode.attributes, "frameStart": 2001})
    after = plan_for(fnode, ayon, frozenset({"attrib:frameStart"}))
    assert (after.attrib["frameStart"], after.attrib["frameEnd"]) == (2001, 2999)
    # a whole-entity diff (full sync) would have put ftrack's frameEnd back
    whole = plan_for(fnode, ayon, None)
    assert (whole.attrib["frameStart"], whole.attrib["frameEnd"]) == (2001, 1100)


def test_status_and_name_changes_wait_for_their_keys() -> None:
    fnode, ayon = linked_pair(status=None)
    fnode = dataclasses.replace(fnode, name="sh020")
    node = by_ftrack_id(ayon, "sh")
    after = plan_for(fnode, ayon, frozenset({"attrib:fps"}))
    assert (after.name, after.status) == (node.name, None)
    renamed = plan_for(fnode, ayon, frozenset({PLACEMENT}))
    assert renamed.name == "sh020" and renamed.attrib["ftrackPath"] == "sh020"
    assert renamed.status is None
    assert plan_for(fnode, ayon, frozenset({STATUS})).status == "In Progress"


def test_fields_do_not_limit_an_entity_that_is_not_linked_yet() -> None:
    fnode, ayon = linked_pair()
    node = by_ftrack_id(ayon, "sh")
    unlinked = dataclasses.replace(node, attrib={**node.attrib, "ftrackId": None, "fps": 1.0})
    ayon = AyonProject("proj", {node.id: unlinked}, STATUSES)
    after = plan_for(fnode, ayon, frozenset())
    assert after.attrib["ftrackId"] == "sh" and after.attrib["fps"] == 25.0


values = st.one_of(st.none(), st.integers(0, 5000))


@given(
    ftrack_values=st.fixed_dictionaries({a: values for a in ATTRIBUTES[:3]}),
    ayon_values=st.fixed_dictionaries({a: values for a in ATTRIBUTES[:3]}),
    named=st.frozensets(st.sampled_from([f"attrib:{a}" for a in ATTRIBUTES[:3]])),
)
def test_a_key_scoped_plan_changes_exactly_the_named_attributes(
    ftrack_values: dict[str, int | None],
    ayon_values: dict[str, int | None],
    named: frozenset[str],
) -> None:
    fnode, ayon = linked_pair()
    node = by_ftrack_id(ayon, "sh")
    own = {**node.attrib, **ayon_values}
    ayon = AyonProject("proj", {node.id: dataclasses.replace(node, attrib=own)}, STATUSES)
    fnode = dataclasses.replace(
        fnode, attributes={k: v for k, v in ftrack_values.items() if v is not None}
    )
    after = plan_for(fnode, ayon, named)
    for name in ATTRIBUTES[:3]:
        expected = ftrack_values[name] if f"attrib:{name}" in named else ayon_values[name]
        assert after.attrib.get(name) == expected, name
    # and planning again (the echo of nothing) finds nothing to do
    again = plan_hierarchy(
        ftrack_project(fnode),
        AyonProject("proj", {after.id: after}, STATUSES),
        PlanOptions(scope=frozenset({"sh"}), fields={"sh": named}),
    )
    assert not again.updates
