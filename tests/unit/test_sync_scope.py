"""Batch scopes (which entities an event batch makes the sync look at) and the planner's
scoped mode: an incremental plan over the touched entities agrees with a full sync."""

from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ayon_ftrack_sync.sync.events import EntityChange, ValueChange
from ayon_ftrack_sync.sync.hierarchy import PlanOptions, plan_hierarchy
from ayon_ftrack_sync.sync.model import FtrackProject
from ayon_ftrack_sync.sync.scope import batch_scope
from tests.unit.test_sync_hierarchy import (
    assert_consistent,
    edited,
    empty_ayon,
    folder,
    ftrack_project,
    ftrack_trees,
    sync,
    task,
)


def change(action: str, entity_id: str, table: str = "task", **kw: object) -> EntityChange:
    return EntityChange(action=action, entity_id=entity_id, table=table, **kw)  # type: ignore[arg-type]


def test_scope_sorts_changes_by_kind_of_work() -> None:
    scope = batch_scope(
        [
            change("add", "new", keys=["name"]),
            change("update", "renamed", keys=["name"], parent_id="p1"),
            change(
                "move",
                "moved",
                keys=["parent_id"],
                parent_id="p3",
                changes={"parent_id": ValueChange(old="p2", new="p3")},
            ),
            change("update", "described", keys=["description"]),
            change("remove", "gone", parent_id="seq"),
            change("update", "thumb", keys=["thumbid"]),
            change("update", "ms", api_type="Milestone", keys=["name"]),
            change("update", "proj", table="show", keys=["fstart"]),
            change("update", "proj", table="show", keys=["auto_sync_enabled"]),
            change(
                "add",
                "ap",
                table="appointment",
                parent_id="t1",
                changes={"type": ValueChange(new="assignment")},
            ),
            change(
                "add",
                "dep",
                table="dependency",
                changes={"from_id": ValueChange(new="a"), "to_id": ValueChange(new="b")},
            ),
            change("add", "item", table="listobject", parent_id="list1"),
            change("update", "v1", table="assetversion", keys=["statusid"]),
            change("remove", "v2", table="assetversion"),
            change("add", "n1", table="note"),
            change("update", "n2", table="note", keys=["text"]),
            change("update", "n3", table="note", keys=["is_todo"]),
            change("remove", "n4", table="note", parent_id="shot1"),
            change("add", "tl", table="timelog"),
            change("add", "x1", table="mystery"),
        ]
    )
    assert scope.contexts == {"new", "renamed", "moved", "described", "t1"}
    assert scope.subtrees == {"renamed", "moved"}
    assert scope.removed == {"gone"}
    assert scope.vacated_parents == {"seq", "p1", "p2", "p3"}
    assert scope.project is True
    assert scope.links == {"a", "b"}
    assert scope.lists == {"list1"}
    assert scope.versions == {"v1"}
    assert scope.notes == {"n1", "n2"}
    assert scope.removed_notes == {"n4": "shot1"}
    assert scope.skipped == {
        "ignored_keys": 2,
        "milestone": 1,
        "version_remove": 1,
        "note_unchanged_text": 1,
        "unused_table": 1,
        "table:mystery": 1,
    }


def test_removed_then_readded_in_one_batch_is_removed() -> None:
    scope = batch_scope([change("update", "x", keys=["name"]), change("remove", "x")])
    assert scope.contexts == frozenset() and scope.removed == {"x"}


def _touched(before: FtrackProject, after: FtrackProject) -> tuple[set[str], set[str], set[str]]:
    """(changed or added, renamed or moved, removed) between two ftrack snapshots."""
    changed, moved, removed = set(), set(), set()
    for fid, node in after.nodes.items():
        old = before.nodes.get(fid)
        if old is None or old != node:
            changed.add(fid)
        if old is not None and (old.name, old.parent_id) != (node.name, node.parent_id):
            moved.add(fid)
    removed = set(before.nodes) - set(after.nodes)
    return changed, moved, removed


def _subtree(ftrack: FtrackProject, roots: set[str]) -> set[str]:
    children = ftrack.children()
    found, queue = set(), list(roots)
    while queue:
        for child in children.get(queue.pop(), []):
            if child.id not in found:
                found.add(child.id)
                queue.append(child.id)
    return found


def assert_scoped_agrees(ftrack: FtrackProject, edited_ftrack: FtrackProject) -> None:
    """`ftrack` synced to an empty AYON, then `edited_ftrack`: planning only the touched
    entities (as the incremental sync does) leaves nothing for a full sync to do, and breaks
    no AYON rule."""
    ftrack, ayon, _ = sync(ftrack, empty_ayon())
    edited_ftrack = dataclasses.replace(
        edited_ftrack,
        nodes={
            fid: dataclasses.replace(
                node,
                ayon_id=ftrack.nodes[fid].ayon_id,
                ayon_path=ftrack.nodes[fid].ayon_path,
                ayon_sync_failed=ftrack.nodes[fid].ayon_sync_failed,
            )
            if fid in ftrack.nodes
            else node
            for fid, node in edited_ftrack.nodes.items()
        },
    )
    changed, moved, removed = _touched(ftrack, edited_ftrack)
    scope = changed | _subtree(edited_ftrack, moved)
    vacated = {ftrack.nodes[fid].parent_id for fid in removed | moved}
    vacated |= {edited_ftrack.nodes[fid].parent_id for fid in moved}
    revived = {
        n.id
        for n in edited_ftrack.nodes.values()
        if n.parent_id in vacated - removed and (n.ayon_sync_failed or not n.ayon_id)
    }
    scope |= revived | _subtree(edited_ftrack, revived)
    # as the activity: an ancestor that is not in AYON yet is planned with its child
    linked = {n.attrib.get("ftrackId") for n in ayon.nodes.values()}
    for fid in list(scope):
        parent = edited_ftrack.nodes[fid].parent_id
        while parent in edited_ftrack.nodes and parent not in scope:
            if parent not in linked:
                scope.add(parent)
            parent = edited_ftrack.nodes[parent].parent_id
    options = PlanOptions(scope=frozenset(scope), alive=frozenset(edited_ftrack.nodes))
    before = ayon
    ftrack2, ayon2, plan = sync(edited_ftrack, ayon, options)
    assert {w.ftrack_id for w in plan.ftrack_writes} <= scope
    assert_consistent(ftrack2, ayon2, before, plan)
    full = plan_hierarchy(ftrack2, ayon2)
    assert full.is_empty, (full.creates, full.updates, full.ftrack_writes)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_scoped_plan_of_the_touched_entities_agrees_with_a_full_sync(data: st.DataObject) -> None:
    ftrack = data.draw(ftrack_trees())
    synced, _, _ = sync(ftrack, empty_ayon())
    assert_scoped_agrees(ftrack, data.draw(edited(synced)))


def test_moved_under_a_parent_that_lost_a_name_clash() -> None:
    """Found by the property: sh-010 moves under the sh010 that lost its name clash; the
    loser is created (its parent is free of it) or held, as a full sync would."""
    nodes = [folder("f0", "sh010"), folder("f1", "sh010", "f0"), folder("f8", "sh010", "f0")]
    nodes += [folder(f"f{i}", "sh010") for i in (2, 3, 4)]
    nodes += [folder("f10", "sh-010")]
    ftrack = ftrack_project(*nodes)
    moved = {n.id: n for n in nodes}
    moved["f10"] = dataclasses.replace(moved["f10"], parent_id="f8")
    assert_scoped_agrees(ftrack, dataclasses.replace(ftrack, nodes=moved))


def test_recreated_folder_with_a_task_and_duplicate_folders_of_one_name_converges() -> None:
    """Found by the property (a full-sync convergence case): a folder is deleted and made
    again with a task and two folders all named like the old child folder. The task replaces
    the old folder, one new folder wins the name, and the loser must not adopt the
    deactivated old folder on the next run."""
    ftrack = ftrack_project(
        folder("f0", "sh-010"), folder("f1", "sh010", "f0"), folder("f10", "seq", "f0")
    )
    synced, _, _ = sync(ftrack, empty_ayon())
    nodes = {
        n.id: n
        for n in (
            folder("g2", "sh-010"),
            task("g3", "seq", "g2"),
            folder("g4", "seq", "g2"),
            folder("g5", "seq", "g2"),
        )
    }
    assert_scoped_agrees(ftrack, dataclasses.replace(synced, nodes=nodes))
