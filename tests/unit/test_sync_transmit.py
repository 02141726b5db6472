"""The pure AYON -> ftrack planning (`sync.transmit`): value conversion, attribute diffs,
statuses, assignees, lists, topics and the planner; property tests check that applying a
plan and planning again yields nothing (what makes the echo quiet and retries harmless)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ayon_ftrack_sync.sync.identity import ftrack_id_for
from ayon_ftrack_sync.sync.names import slugify
from ayon_ftrack_sync.sync.transmit import (
    AttrSlot,
    AyonEntity,
    AyonListState,
    ChangeRef,
    FtrackEntity,
    FtrackListState,
    FtrackSchema,
    StatusRef,
    Touch,
    TransmitSnapshot,
    ftrack_name,
    plan_assignees,
    plan_attributes,
    plan_list,
    plan_status,
    plan_transmit,
    read_back,
    to_ftrack,
    touches_from,
)

FRAME = AttrSlot("frameStart", "integer", conf_id="c-frame", ftrack_type="number")
FPS = AttrSlot("fps", "float", conf_id="c-fps", ftrack_type="number")
NOTE = AttrSlot("note", "string", conf_id="c-note", ftrack_type="text", hierarchical=False)
START = AttrSlot("startDate", "datetime", field="start_date", ftrack_type="date")
DESC = AttrSlot("description", "string", field="description")
SLOTS = (FRAME, FPS, NOTE, START, DESC)

values_for = {
    "frameStart": st.integers(-(10**6), 10**6),
    "fps": st.sampled_from([23.976, 24.0, 25.0, 30.0, 60.0]),
    "note": st.text(min_size=1, max_size=8),
    "startDate": st.dates().map(lambda d: f"{d.isoformat()}T00:00:00+00:00"),
    "description": st.text(min_size=1, max_size=8),
}


def maybe(name: str) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), values_for[name])


@st.composite
def attribute_state(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(AYON own, AYON inherited, ftrack raw) for the test slots."""
    own: dict[str, Any] = {}
    inherited: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    for slot in SLOTS:
        name = slot.ayon_name
        value = draw(maybe(name))
        if value is not None:
            own[name] = value
        parent = draw(st.one_of(st.none(), st.just(value), values_for[name]))
        if parent is not None:
            inherited[name] = parent
        stored = draw(maybe(name))
        if stored is not None:
            raw[slot.key] = to_ftrack(slot, stored)
        elif slot.field:
            raw[slot.key] = None
    return own, inherited, raw


def apply_attrs(
    raw: dict[str, Any], own: dict[str, Any], plan: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    raw = dict(raw)
    for value in plan.values:
        if value.delete:
            raw.pop(value.conf_id, None)
        else:
            raw[value.conf_id] = value.value
    for name, value in plan.fields.items():
        raw[f"field:{name}"] = value
    if plan.ayon is not None:
        own = {k: v for k, v in {**own, **plan.ayon}.items() if v is not None}
    return raw, own


@settings(max_examples=300, deadline=None)
@given(attribute_state(), st.one_of(st.none(), st.frozensets(st.sampled_from(list(values_for)))))
def test_applied_attribute_plan_plans_nothing_again(
    state: tuple[dict[str, Any], dict[str, Any], dict[str, Any]],
    changed: frozenset[str] | None,
) -> None:
    own, inherited, raw = state
    plan = plan_attributes(SLOTS, "e1", own, inherited, raw, changed)
    raw2, own2 = apply_attrs(raw, own, plan)
    again = plan_attributes(SLOTS, "e1", own2, inherited, raw2, changed)
    assert again.values == () and dict(again.fields) == {} and again.ayon is None
    # the ftrack -> AYON view agrees with AYON for every changed attribute (the echo is quiet)
    for slot in SLOTS:
        if changed is None or slot.ayon_name in changed:
            assert read_back(slot, raw2.get(slot.key)) == own2.get(slot.ayon_name)


@given(attribute_state())
def test_hierarchical_unset_and_inherited_copies_are_deleted(
    state: tuple[dict[str, Any], dict[str, Any], dict[str, Any]],
) -> None:
    own, inherited, _raw = state
    plan = plan_attributes((FRAME,), "e1", own, inherited, {"c-frame": 5}, None)
    value = own.get("frameStart")
    if value is None or value == inherited.get("frameStart"):
        assert [v.delete for v in plan.values] == [True]
    elif value != 5:
        assert [v.value for v in plan.values] == [value]


def test_non_hierarchical_none_takes_the_inherited_value() -> None:
    plan = plan_attributes((NOTE,), "e1", {}, {"note": "from parent"}, {}, None)
    assert [(v.conf_id, v.value) for v in plan.values] == [("c-note", "from parent")]
    assert plan.ayon == {"note": "from parent"}


def test_dates_become_days_and_numbers_follow_the_ftrack_type() -> None:
    assert to_ftrack(START, "2024-05-06T23:30:00+02:00").isoformat() == "2024-05-06T00:00:00+00:00"
    integer = AttrSlot("frameStart", "integer", conf_id="x", ftrack_type="number", is_decimal=False)
    assert to_ftrack(integer, 1001.0) == 1001 and type(to_ftrack(integer, 1001.0)) is int
    enum = AttrSlot("kind", "string", conf_id="e", ftrack_type="enumerator")
    assert to_ftrack(enum, "a") == ["a"]
    assert read_back(DESC, "") is None


def test_status_by_name_within_the_workflow() -> None:
    allowed = (StatusRef("s1", "In progress"), StatusRef("s2", "Approved"))
    assert plan_status("approved", "s1", allowed) == ("s2", None)
    assert plan_status("Approved", "s2", allowed) == (None, None)
    status_id, refusal = plan_status("Omitted", "s1", allowed)
    assert status_id is None and refusal


@given(
    st.frozensets(st.sampled_from(["a", "b", "c", "x"])),
    st.dictionaries(st.sampled_from(["u1", "u2", "u3", "u9"]), st.uuids().map(str)),
)
def test_assignees_plan_reaches_a_fixed_point(
    ayon: frozenset[str], appointments: dict[str, str]
) -> None:
    user_map = {"u1": "a", "u2": "b", "u3": "c"}  # u9 and x have no counterpart
    add, remove, unmapped = plan_assignees(ayon, appointments, user_map)
    after = {u: i for u, i in appointments.items() if i not in remove}
    after.update({u: f"new-{u}" for u in add})
    assert {user_map[u] for u in after if u in user_map} == ayon - {"x"}
    assert ("u9" in after) == ("u9" in appointments)  # unmapped ftrack users are kept
    assert unmapped == (("x",) if "x" in ayon else ())
    assert plan_assignees(ayon, after, user_map)[:2] == ((), ())


def test_ftrack_name_prefers_a_label_that_maps_back() -> None:
    assert ftrack_name("hero_shot", "hero shot") == "hero shot"
    assert ftrack_name("sh010", "Totally different") == "sh010"
    assert slugify(ftrack_name("sh010", None)) == "sh010"


def test_topics_become_touches() -> None:
    touches, skipped = touches_from(
        [
            ChangeRef(
                "entity.folder.attrib_changed",
                "folder",
                "f1",
                {"newValue": {"fps": 24}, "oldValue": {"fps": 25}},
            ),
            ChangeRef("entity.folder.status_changed", "folder", "f1"),
            ChangeRef("entity.task.assignees_changed", "task", "t1"),
            ChangeRef("entity.folder.renamed", "folder", "f2"),
            ChangeRef("entity.project.changed", "project", None),
            ChangeRef("entity.product.created", "product", "p1"),
            ChangeRef(
                "entity.folder.deleted",
                "folder",
                "f3",
                {"entityData": {"attrib": {"ftrackId": "x"}}},
            ),
        ]
    )
    assert touches[("folder", "f1")] == Touch("folder", "f1", frozenset({"fps"}), status=True)
    assert touches[("task", "t1")].assignees
    assert touches[("folder", "f2")].placement
    assert touches[("project", "")].attributes is None
    assert touches[("folder", "f3")].ftrack_hint == "x"
    assert skipped == {"product.created": 1}


# -- the planner on snapshots --------------------------------------------------------------------

SHOT_OT, TASK_OT = "ot-shot", "ot-task"
SCHEMA = FtrackSchema(
    project_id="P",
    object_types={SHOT_OT: "Shot", TASK_OT: "Task"},
    task_types={"tt-comp": "Compositing"},
    statuses={
        f"folder:{SHOT_OT}": (StatusRef("s1", "Ready"),),
        "task": (StatusRef("s1", "Ready"),),
    },
    slots={SHOT_OT: (FRAME,), TASK_OT: (FRAME,)},
    link_confs={"ayon_id": "l-id", "ayon_path": "l-path", "ayon_sync_failed": "l-failed"},
    task_object_type_id=TASK_OT,
)


def _snapshot(ayon: list[AyonEntity], ftrack: list[FtrackEntity]) -> TransmitSnapshot:
    project = FtrackEntity("P", "Project", "project", name="proj")
    return TransmitSnapshot(
        SCHEMA, {e.id: e for e in ayon}, {"P": project, **{f.id: f for f in ftrack}}
    )


def test_a_created_folder_is_linked_first_then_created_with_links() -> None:
    new = AyonEntity(
        "a" * 32,
        "folder",
        "new_shot",
        None,
        "shot",
        label="new shot",
        status="ready",
        own={"frameStart": 1001},
        path="/new_shot",
    )
    plan = plan_transmit(
        _snapshot([new], []), {("folder", new.id): Touch("folder", new.id, None, True, False, True)}
    )
    fid = ftrack_id_for(new.id)
    assert [c.id for c in plan.creates] == [fid]
    create = plan.creates[0]
    assert (create.name, create.entity_type, create.parent_id, create.status_id) == (
        "new shot",
        "Shot",
        "P",
        "s1",
    )
    first = plan.ayon_first[0].changes["attrib"]
    assert (first["ftrackId"], first["ftrackPath"], first["frameStart"]) == (fid, "new shot", 1001)
    stored = {(v.conf_id, v.value) for v in plan.values}
    assert {
        ("l-id", new.id),
        ("l-path", "/new_shot"),
        ("l-failed", False),
        ("c-frame", 1001),
    } <= stored
    # the retry finds its own entity: nothing is created twice
    made = FtrackEntity(
        fid,
        "Shot",
        "folder",
        "new shot",
        "P",
        SHOT_OT,
        status_id="s1",
        raw={"c-frame": 1001},
        ayon_id=new.id,
        ayon_path="/new_shot",
        ayon_sync_failed=False,
    )
    linked = AyonEntity(
        new.id,
        "folder",
        "new_shot",
        None,
        "shot",
        label="new shot",
        status="ready",
        own={"frameStart": 1001, "ftrackId": fid, "ftrackPath": "new shot"},
        path="/new_shot",
    )
    again = plan_transmit(
        _snapshot([linked], [made]),
        {("folder", new.id): Touch("folder", new.id, None, True, False, True)},
    )
    assert again.is_empty, again


def test_unknown_object_type_is_refused() -> None:
    new = AyonEntity("b" * 32, "folder", "odd", None, "Fancy", path="/odd")
    plan = plan_transmit(
        _snapshot([new], []), {("folder", new.id): Touch("folder", new.id, None, placement=True)}
    )
    assert not plan.creates and not plan.ayon_first
    assert [c.kind.value for c in plan.conflicts] == ["no_object_type"]


def test_deactivated_folder_with_versions_is_kept() -> None:
    ayon = AyonEntity(
        "c" * 32, "folder", "sh", None, "Shot", active=False, own={"ftrackId": "F1"}, path="/sh"
    )
    ftrack = FtrackEntity("F1", "Shot", "folder", "sh", "P", SHOT_OT, has_versions=True)
    touch = {("folder", ayon.id): Touch("folder", ayon.id, frozenset(), placement=True)}
    plan = plan_transmit(_snapshot([ayon], [ftrack]), touch)
    assert not plan.deletes and plan.conflicts[0].kind.value == "has_content"
    plain = FtrackEntity("F1", "Shot", "folder", "sh", "P", SHOT_OT)
    assert [d.id for d in plan_transmit(_snapshot([ayon], [plain]), touch).deletes] == ["F1"]


@given(
    st.lists(st.sampled_from(["e1", "e2", "e3", "e4"]), max_size=4, unique=True),
    st.dictionaries(st.sampled_from(["e1", "e2", "e3", "e5"]), st.uuids().map(str)),
    st.booleans(),
)
def test_list_plan_reaches_a_fixed_point(
    items: list[str], objects: dict[str, str], exists: bool
) -> None:
    ayon = AyonListState("L" * 32, "dailies", "task", None, tuple(items))
    ftrack = [FtrackListState("FL", "Dailies", "task", "task", objects)] if exists else []
    plan = plan_list(ayon, ftrack)
    assert plan.refusal is None
    after_objects = (
        {} if plan.create else {e: o for e, o in objects.items() if o not in plan.remove}
    )
    after_objects.update({e: f"new-{e}" for e in plan.add})
    after = FtrackListState(plan.ftrack_id, plan.name or "Dailies", "task", "task", after_objects)
    linked = AyonListState(ayon.id, ayon.label, "task", plan.ftrack_id, tuple(items))
    again = plan_list(linked, [after])
    assert again.is_empty, again
    assert set(after_objects) == set(items)
