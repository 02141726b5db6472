"""Full-sync hierarchy planning: the rules by example, and properties over random projects."""

from __future__ import annotations

import dataclasses
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ayon_ftrack_sync.sync.apply import apply_to_ayon, apply_to_ftrack
from ayon_ftrack_sync.sync.hierarchy import PlanOptions, plan_hierarchy
from ayon_ftrack_sync.sync.identity import REMOVED, ayon_id_for
from ayon_ftrack_sync.sync.model import AyonNode, AyonProject, FtrackNode, FtrackProject, Kind
from ayon_ftrack_sync.sync.names import name_key, slugify
from ayon_ftrack_sync.sync.plan import ConflictKind, FtrackKey, Plan

PROJECT = "ftrack-project-id"
STATUSES = {"In Progress": frozenset({Kind.FOLDER, Kind.TASK}), "Done": frozenset({Kind.TASK})}


def folder(fid: str, name: str, parent: str = PROJECT, **kw: object) -> FtrackNode:
    return FtrackNode(fid, name, parent, Kind.FOLDER, kw.pop("type_name", "Shot"), **kw)  # type: ignore[arg-type]


def task(fid: str, name: str, parent: str, **kw: object) -> FtrackNode:
    return FtrackNode(fid, name, parent, Kind.TASK, kw.pop("type_name", "Compositing"), **kw)  # type: ignore[arg-type]


def ftrack_project(*nodes: FtrackNode) -> FtrackProject:
    return FtrackProject(PROJECT, "proj", {n.id: n for n in nodes})


def empty_ayon() -> AyonProject:
    return AyonProject("proj", {}, STATUSES)


def sync(
    ftrack: FtrackProject, ayon: AyonProject, options: PlanOptions | None = None
) -> tuple[FtrackProject, AyonProject, Plan]:
    plan = plan_hierarchy(ftrack, ayon, options)
    return apply_to_ftrack(ftrack, plan), apply_to_ayon(ayon, plan), plan


def by_ftrack_id(ayon: AyonProject, fid: str) -> AyonNode:
    (node,) = [n for n in ayon.nodes.values() if n.attrib.get("ftrackId") == fid]
    return node


def test_first_sync_creates_everything_and_writes_back_ids() -> None:
    ftrack = ftrack_project(
        folder("sq", "sq-010", type_name="Sequence"),
        folder("sh", "sh 010", "sq", status="in progress"),
        task("t", "comp", "sh", status="Done"),
    )
    ftrack2, ayon, plan = sync(ftrack, empty_ayon())
    assert plan.summary()["created"] == 3
    shot = by_ftrack_id(ayon, "sh")
    assert shot.name == "sh_010" and shot.label == "sh 010"
    assert shot.status == "In Progress"  # AYON casing of the same status
    assert shot.attrib["ftrackPath"] == "sq-010/sh 010"
    assert shot.id == ayon_id_for("sh")  # deterministic: a retry finds its own create
    assert ayon.path(shot.id) == "/sq_010/sh_010"
    assert ftrack2.nodes["sh"].ayon_id == shot.id
    assert ftrack2.nodes["sh"].ayon_path == "/sq_010/sh_010"
    assert ftrack2.nodes["t"].ayon_path == ""  # tasks carry no path
    assert ftrack2.nodes["t"].ayon_sync_failed is False
    assert plan_hierarchy(ftrack2, ayon).is_empty


def test_stored_ayon_id_is_reused_when_free() -> None:
    stored = "0123456789abcdef0123456789abcdef"
    ftrack = ftrack_project(folder("sh", "sh010", ayon_id=stored))
    _, ayon, _ = sync(ftrack, empty_ayon())
    assert stored in ayon.nodes


def test_rename_and_move_keep_the_ayon_entity() -> None:
    ftrack = ftrack_project(folder("a", "seqA"), folder("b", "seqB"), folder("s", "sh010", "a"))
    ftrack, ayon, _ = sync(ftrack, empty_ayon())
    shot_id = by_ftrack_id(ayon, "s").id
    nodes = dict(ftrack.nodes)
    nodes["s"] = dataclasses.replace(nodes["s"], name="sh020", parent_id="b")
    ftrack = dataclasses.replace(ftrack, nodes=nodes)
    ftrack, ayon, plan = sync(ftrack, ayon)
    shot = ayon.nodes[shot_id]
    assert (shot.name, ayon.path(shot.id)) == ("sh020", "/seqB/sh020")
    assert plan.summary()["created"] == 0
    assert ftrack.nodes["s"].ayon_path == "/seqB/sh020"


def test_deleted_in_ftrack_is_deactivated_not_deleted() -> None:
    ftrack = ftrack_project(folder("a", "seq"), folder("s", "sh010", "a"))
    ftrack, ayon, _ = sync(ftrack, empty_ayon())
    nodes = dict(ftrack.nodes)
    del nodes["s"]
    ftrack, ayon, plan = sync(dataclasses.replace(ftrack, nodes=nodes), ayon)
    shot = by_ftrack_id(ayon, "s")
    assert shot.active is False
    assert plan.summary()["deactivated"] == 1


def test_ayon_only_entities_are_kept_unless_settings_say_deactivate() -> None:
    ayon_only = AyonNode("a" * 32, "rnd", Kind.FOLDER, None, "Folder")
    ayon = dataclasses.replace(empty_ayon(), nodes={ayon_only.id: ayon_only})
    ftrack = ftrack_project(folder("s", "sh010"))
    _, kept, _ = sync(ftrack, ayon)
    assert kept.nodes[ayon_only.id].active is True
    _, gone, _ = sync(ftrack, ayon, PlanOptions(deactivate_ayon_only=True))
    assert gone.nodes[ayon_only.id].active is False


def test_existing_ayon_entity_is_adopted_by_slug_name_case_insensitively() -> None:
    existing = AyonNode("b" * 32, "SH_010", Kind.FOLDER, None, "Shot")
    ayon = dataclasses.replace(empty_ayon(), nodes={existing.id: existing})
    ftrack, ayon, plan = sync(ftrack_project(folder("s", "sh-010")), ayon)
    assert plan.summary()["created"] == 0
    assert ayon.nodes[existing.id].attrib["ftrackId"] == "s"
    assert ayon.nodes[existing.id].name == "sh_010"
    assert ftrack.nodes["s"].ayon_id == existing.id


def test_duplicate_slug_siblings_sync_one_and_flag_the_other() -> None:
    ftrack = ftrack_project(folder("x", "sh-010"), folder("y", "SH_010"))
    ftrack, ayon, plan = sync(ftrack, empty_ayon())
    assert plan.summary()["created"] == 1
    (conflict,) = [c for c in plan.conflicts if c.kind is ConflictKind.DUPLICATE_NAME]
    loser = conflict.ftrack_id
    assert loser in {"x", "y"}
    assert ftrack.nodes[loser].ayon_sync_failed is True
    assert ftrack.nodes[loser].ayon_id == ""  # stops inheriting the parent's id
    assert plan_hierarchy(ftrack, ayon).is_empty


def test_kind_mismatch_replaces_by_deactivating() -> None:
    old_task = AyonNode("c" * 32, "layout", Kind.TASK, "f" * 32, "Layout")
    parent = AyonNode("f" * 32, "sh010", Kind.FOLDER, None, "Shot", attrib={"ftrackId": "s"})
    ayon = dataclasses.replace(empty_ayon(), nodes={n.id: n for n in (old_task, parent)})
    ftrack = ftrack_project(folder("s", "sh010"), folder("l", "layout", "s"))
    ftrack, ayon, plan = sync(ftrack, ayon)
    assert ayon.nodes[old_task.id].active is False
    assert by_ftrack_id(ayon, "l").kind is Kind.FOLDER
    assert any(c.kind is ConflictKind.KIND_MISMATCH for c in plan.conflicts)
    assert plan_hierarchy(ftrack, ayon).is_empty


def test_folder_with_published_content_is_never_renamed_or_moved() -> None:
    ftrack = ftrack_project(folder("a", "seqA"), folder("b", "seqB"), folder("s", "sh010", "a"))
    ftrack, ayon, _ = sync(ftrack, empty_ayon())
    shot = by_ftrack_id(ayon, "s")
    nodes = dict(ayon.nodes)
    nodes[shot.id] = dataclasses.replace(shot, has_products=True)
    ayon = dataclasses.replace(ayon, nodes=nodes)
    for change in ({"name": "sh999"}, {"parent_id": "b"}):
        fnodes = dict(ftrack.nodes)
        fnodes["s"] = dataclasses.replace(fnodes["s"], **change)  # type: ignore[arg-type]
        moved = dataclasses.replace(ftrack, nodes=fnodes)
        moved2, ayon2, plan = sync(moved, ayon)
        assert ayon2.path(shot.id) == "/seqA/sh010"
        assert ayon2.nodes[shot.id].active
        kinds = {c.kind for c in plan.conflicts}
        assert kinds & {ConflictKind.IMMUTABLE_RENAMED, ConflictKind.IMMUTABLE_MOVED}
        assert moved2.nodes["s"].ayon_sync_failed is True
        assert plan_hierarchy(moved2, ayon2).is_empty


def test_immutable_folder_deleted_in_ftrack_is_marked_removed() -> None:
    ftrack = ftrack_project(folder("s", "sh010"))
    ftrack, ayon, _ = sync(ftrack, empty_ayon())
    shot = by_ftrack_id(ayon, "s")
    ayon = dataclasses.replace(ayon, nodes={shot.id: dataclasses.replace(shot, has_products=True)})
    _, ayon, _ = sync(dataclasses.replace(ftrack, nodes={}), ayon)
    assert ayon.nodes[shot.id].active is True
    assert ayon.nodes[shot.id].attrib["ftrackId"] == REMOVED


def test_task_under_project_is_refused_with_a_reason() -> None:
    ftrack, _, plan = sync(ftrack_project(task("t", "edit", PROJECT)), empty_ayon())
    assert [c.kind for c in plan.conflicts] == [ConflictKind.TASK_UNDER_PROJECT]
    assert ftrack.nodes["t"].ayon_sync_failed is True


def test_mapped_attributes_set_and_unset() -> None:
    shot = folder("s", "sh010", attributes={"fps": 25.0}, mapped=frozenset({"fps", "frameStart"}))
    ftrack, ayon, _ = sync(ftrack_project(shot), empty_ayon())
    node = by_ftrack_id(ayon, "s")
    assert node.attrib["fps"] == 25.0 and "frameStart" not in node.attrib
    nodes = {"s": dataclasses.replace(ftrack.nodes["s"], attributes={"frameStart": 1001})}
    ftrack, ayon, plan = sync(dataclasses.replace(ftrack, nodes=nodes), ayon)
    (update,) = plan.updates
    assert update.changes["attrib"] == {"fps": None, "frameStart": 1001}
    assert "fps" not in ayon.nodes[node.id].attrib  # unset: AYON inherits again


def test_assignees_keep_ayon_users_without_ftrack_counterpart() -> None:
    parent = folder("s", "sh010")
    comp = task("t", "comp", "s", assignees=frozenset({"alice"}))
    ftrack, ayon, _ = sync(ftrack_project(parent, comp), empty_ayon())
    node = by_ftrack_id(ayon, "t")
    nodes = dict(ayon.nodes)
    nodes[node.id] = dataclasses.replace(node, assignees=frozenset({"bob", "carol"}))
    ayon = dataclasses.replace(ayon, nodes=nodes)
    options = PlanOptions(linked_ayon_users=frozenset({"alice", "bob"}))
    _, ayon, _ = sync(ftrack, ayon, options)
    assert ayon.nodes[node.id].assignees == {"alice", "carol"}


# -- properties -------------------------------------------------------------------------

NAMES = ["sh010", "SH010", "sh-010", "sh 010", "seq", "Seq", "comp", "anim", "Šot", "a.b", "!!"]


@st.composite
def ftrack_trees(draw: st.DrawFn, prefix: str = "f") -> FtrackProject:
    count = draw(st.integers(0, 14))
    nodes: dict[str, FtrackNode] = {}
    for index in range(count):
        fid = f"{prefix}{index}"
        parents = [PROJECT] + [n.id for n in nodes.values() if n.kind is Kind.FOLDER]
        parent = draw(st.sampled_from(parents))
        kind = draw(st.sampled_from([Kind.FOLDER, Kind.FOLDER, Kind.TASK]))
        nodes[fid] = FtrackNode(
            fid,
            draw(st.sampled_from(NAMES)),
            parent,
            kind,
            "Shot" if kind is Kind.FOLDER else "Compositing",
            status=draw(st.sampled_from([None, "In Progress", "done", "Omitted"])),
            attributes=draw(st.sampled_from([{}, {"fps": 25.0}, {"frameStart": 1001}])),
            mapped=frozenset({"fps", "frameStart"}),
            assignees=draw(st.sampled_from([frozenset(), frozenset({"alice"})])),
        )
    return FtrackProject(PROJECT, "proj", nodes)


@st.composite
def edited(draw: st.DrawFn, ftrack: FtrackProject) -> FtrackProject:
    """Renames, moves (never under a descendant), deletions and additions."""
    nodes = dict(ftrack.nodes)
    for fid in list(nodes):
        if fid not in nodes:
            continue  # deleted with an ancestor
        action = draw(st.sampled_from(["keep", "keep", "rename", "move", "delete"]))
        if action == "rename":
            nodes[fid] = dataclasses.replace(nodes[fid], name=draw(st.sampled_from(NAMES)))
        elif action == "move":
            descendants = _descendants(nodes, fid)
            targets = [PROJECT] + [
                n.id for n in nodes.values() if n.kind is Kind.FOLDER and n.id not in descendants
            ]
            nodes[fid] = dataclasses.replace(nodes[fid], parent_id=draw(st.sampled_from(targets)))
        elif action == "delete":
            for gone in _descendants(nodes, fid):
                nodes.pop(gone, None)
    extra = draw(ftrack_trees(prefix="g"))
    for node in extra.nodes.values():
        if node.parent_id == PROJECT or node.parent_id in extra.nodes:
            nodes[node.id] = node
    return dataclasses.replace(ftrack, nodes=nodes)


def _descendants(nodes: dict[str, FtrackNode], root: str) -> set[str]:
    found = {root}
    changed = True
    while changed:
        changed = False
        for node in nodes.values():
            if node.parent_id in found and node.id not in found:
                found.add(node.id)
                changed = True
    return found


@st.composite
def ayon_edits(draw: st.DrawFn, ayon: AyonProject) -> AyonProject:
    """AYON-side state a sync must respect: products, AYON-only entities, deactivations."""
    nodes = dict(ayon.nodes)
    for node_id, node in list(nodes.items()):
        change = draw(st.sampled_from(["keep", "keep", "products", "deactivate"]))
        if change == "products" and node.kind is Kind.FOLDER:
            nodes[node_id] = dataclasses.replace(node, has_products=True)
        elif change == "deactivate":
            nodes[node_id] = dataclasses.replace(node, active=False)
    for index in range(draw(st.integers(0, 3))):
        parents: list[str | None] = [None] + [n.id for n in nodes.values() if n.kind is Kind.FOLDER]
        parent = draw(st.sampled_from(parents))
        kind = Kind.TASK if parent is not None and draw(st.booleans()) else Kind.FOLDER
        name = slugify(draw(st.sampled_from(NAMES))) or "x"
        siblings = {
            name_key(n.name) for n in nodes.values() if n.parent_id == parent and n.kind is kind
        }
        if name_key(name) in siblings:
            continue
        node_id = f"{index:032x}"
        nodes[node_id] = AyonNode(node_id, name, kind, parent, "Folder")
    return dataclasses.replace(ayon, nodes=nodes)


def assert_consistent(
    ftrack: FtrackProject, ayon: AyonProject, before: AyonProject, plan: Plan
) -> None:
    active_keys = Counter(
        (n.kind, n.parent_id, name_key(n.name)) for n in ayon.nodes.values() if n.active
    )
    assert all(count == 1 for count in active_keys.values()), "AYON uniqueness violated"
    assert set(before.nodes) <= set(ayon.nodes), "the sync never deletes"
    for node_id in before.immutable_ids():
        old, new = before.nodes[node_id], ayon.nodes[node_id]
        assert (new.name, new.parent_id) == (old.name, old.parent_id)
        assert new.active or not old.active, "published content is never deactivated"
    replaced = {c.ayon_id for c in plan.conflicts if c.kind is ConflictKind.KIND_MISMATCH}
    for node in before.nodes.values():
        if node.active and not node.attrib.get("ftrackId") and node.id not in replaced:
            assert ayon.nodes[node.id].active, "AYON-only entities are kept by default"
    reachable = {n.id for n in ftrack.walk()}
    for fid in reachable:
        fnode = ftrack.nodes[fid]
        if fnode.ayon_sync_failed:
            continue
        linked = [n for n in ayon.nodes.values() if n.attrib.get("ftrackId") == fid and n.active]
        assert len(linked) == 1, f"{fid} synced but has {len(linked)} AYON entities"
        assert fnode.ayon_id == linked[0].id


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_apply_then_replan_is_empty_and_consistent(data: st.DataObject) -> None:
    ftrack = data.draw(ftrack_trees())
    ftrack, ayon, _ = sync(ftrack, empty_ayon())
    assert plan_hierarchy(ftrack, ayon).is_empty
    ayon = data.draw(ayon_edits(ayon))
    ftrack = data.draw(edited(ftrack))
    before = ayon
    options = PlanOptions(linked_ayon_users=frozenset({"alice"}))
    ftrack, ayon, plan = sync(ftrack, ayon, options)
    assert_consistent(ftrack, ayon, before, plan)
    again = plan_hierarchy(ftrack, ayon, options)
    assert again.is_empty, (again.creates, again.updates, again.ftrack_writes)


@settings(max_examples=80, deadline=None)
@given(ftrack=ftrack_trees())
def test_planning_is_deterministic(ftrack: FtrackProject) -> None:
    first, second = plan_hierarchy(ftrack, empty_ayon()), plan_hierarchy(ftrack, empty_ayon())
    assert first == second
    ids = [c.id for c in first.creates]
    assert len(ids) == len(set(ids))
    created = {c.id for c in first.creates}
    seen: set[str] = set()
    for create in first.creates:  # parents before children
        assert (
            create.parent_id is None or create.parent_id in seen or create.parent_id not in created
        )
        seen.add(create.id)
    keys = {FtrackKey.AYON_ID, FtrackKey.AYON_PATH, FtrackKey.SYNC_FAILED}
    assert {w.key for w in first.ftrack_writes} <= keys
