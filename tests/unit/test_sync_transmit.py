"""The pure AYON -> ftrack planning (`sync.transmit`): value conversion, attribute diffs,
statuses, assignees, lists, topics and the planner; property tests check that applying a
plan and planning again yields nothing (what makes the echo quiet and retries harmless)."""

from __future__ import annotations

from dataclasses import replace
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
    TransmitConflict,
    TransmitSnapshot,
    ftrack_name,
    match_version,
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


# -- type changes ---------------------------------------------------------------------------------

TYPED = replace(
    SCHEMA,
    task_types={"tt-comp": "Compositing", "tt-anim": "Animation"},
    statuses={
        **SCHEMA.statuses,
        "task:tt-anim": (StatusRef("s2", "Blocking"),),
    },
)


def _typed(ayon: list[AyonEntity], ftrack: list[FtrackEntity]) -> TransmitSnapshot:
    return replace(_snapshot(ayon, ftrack), schema=TYPED)


def _task(type_name: str, status: str | None = None) -> AyonEntity:
    return AyonEntity(
        "t" * 32,
        "task",
        "comp",
        "f" * 32,
        type_name,
        status=status,
        own={"ftrackId": "T1", "ftrackPath": "comp"},
    )


def _ftask(type_id: str, type_name: str, status_id: str = "s1") -> FtrackEntity:
    return FtrackEntity(
        "T1", "Task", "task", "comp", "F1", TASK_OT, type_id, status_id, type_name=type_name
    )


def test_type_changed_topics_become_retyped_touches() -> None:
    touches, skipped = touches_from(
        [
            ChangeRef("entity.task.type_changed", "task", "t1"),
            ChangeRef("entity.folder.type_changed", "folder", "f1"),
            ChangeRef("entity.folder.status_changed", "folder", "f1"),
            ChangeRef("entity.product.type_changed", "product", "p1"),
        ]
    )
    assert touches[("task", "t1")] == Touch("task", "t1", retyped=True)
    assert touches[("folder", "f1")] == Touch("folder", "f1", status=True, retyped=True)
    assert skipped == {"product.type_changed": 1}


def test_task_type_change_sets_the_same_named_ftrack_type_once() -> None:
    ayon = _task("animation")  # another spelling: matched case-insensitively, like creation
    touch = {("task", ayon.id): Touch("task", ayon.id, retyped=True)}
    plan = plan_transmit(_typed([ayon], [_ftask("tt-comp", "Compositing")]), touch)
    assert [(u.id, dict(u.changes)) for u in plan.updates] == [("T1", {"type_id": "tt-anim"})]
    assert not plan.conflicts and not plan.values and not plan.ayon_after
    # applied: the retry (or a duplicate event) plans nothing
    again = plan_transmit(_typed([ayon], [_ftask("tt-anim", "Animation")]), touch)
    assert again.is_empty and not again.conflicts


def test_unknown_task_type_is_a_conflict_and_writes_nothing() -> None:
    ayon = _task("Fancy")
    touch = {("task", ayon.id): Touch("task", ayon.id, retyped=True)}
    plan = plan_transmit(_typed([ayon], [_ftask("tt-comp", "Compositing")]), touch)
    assert plan.is_empty
    assert [(c.kind, c.ftrack_id) for c in plan.conflicts] == [
        (TransmitConflict.NO_TASK_TYPE, "T1")
    ]
    assert "'Fancy'" in plan.conflicts[0].detail and "'Compositing'" in plan.conflicts[0].detail


def test_status_of_a_retyped_task_follows_the_new_type_workflow() -> None:
    # "Blocking" is allowed only by the Animation override: checked against the new type
    ayon = _task("Animation", status="blocking")
    touch = {("task", ayon.id): Touch("task", ayon.id, status=True, retyped=True)}
    plan = plan_transmit(_typed([ayon], [_ftask("tt-comp", "Compositing")]), touch)
    assert not plan.conflicts
    assert [dict(u.changes) for u in plan.updates] == [{"type_id": "tt-anim", "status_id": "s2"}]
    # without the type change the same status is refused by the Compositing workflow
    status_only = {("task", ayon.id): Touch("task", ayon.id, status=True)}
    refused = plan_transmit(_typed([ayon], [_ftask("tt-comp", "Compositing")]), status_only)
    assert [c.kind for c in refused.conflicts] == [TransmitConflict.NO_STATUS]


def test_folder_type_change_is_a_conflict_naming_both_types() -> None:
    own = {"ftrackId": "F1", "ftrackPath": "sh010"}
    ayon = AyonEntity("f" * 32, "folder", "sh010", None, "Sequence", own=own)
    shot = FtrackEntity("F1", "Shot", "folder", "sh010", "P", SHOT_OT, type_name="Shot")
    touch = {("folder", ayon.id): Touch("folder", ayon.id, retyped=True)}
    plan = plan_transmit(_typed([ayon], [shot]), touch)
    assert plan.is_empty
    [conflict] = plan.conflicts
    assert conflict.kind is TransmitConflict.TYPE_NOT_CHANGEABLE
    assert conflict.kind.value == "type_not_changeable"
    assert "'Shot'" in conflict.detail and "'Sequence'" in conflict.detail
    assert conflict.ftrack_id == "F1"
    # the AYON type is the ftrack object type (any case): nothing to do, nothing to report
    same = replace(ayon, type_name="shot")
    quiet = plan_transmit(_typed([same], [shot]), touch)
    assert quiet.is_empty and not quiet.conflicts


# -- versions found by product / Asset name -------------------------------------------------------

VID = "v" * 32


def _version(ftrack_id: str | None = None, product: str = "renderComp") -> AyonEntity:
    return AyonEntity(
        VID,
        "version",
        "v003",
        "p" * 32,
        status="Ready",
        own={"ftrackId": ftrack_id} if ftrack_id else {},
        path=f"/sq010/sh010/{product}",
        number=3,
        product_name=product,
        context_ids=("F1", "F-derived"),
    )


def _fversion(
    vid: str, asset: str = "RenderComp", context: str = "F1", number: int = 3, **kw: Any
) -> FtrackEntity:
    return FtrackEntity(vid, "AssetVersion", "version", asset, context, number=number, **kw)


def test_match_version_by_asset_name_context_and_number() -> None:
    version = _version()
    right = _fversion("AV-right")
    others = [
        _fversion("AV-number", number=2),
        _fversion("AV-name", asset="renderCompMain"),
        _fversion("AV-elsewhere", context="F9"),
        _fversion("AV-taken", ayon_id="another version"),
    ]
    assert match_version(version, [*others, right]) == right
    assert match_version(version, others) is None
    assert match_version(version, [right], claimed=frozenset({"AV-right"})) is None
    # the folder's linked ftrack entity comes before the id derived from its AYON id
    derived = _fversion("AV-0", context="F-derived")
    assert match_version(version, [derived, right]) == right
    assert match_version(version, [derived]) == derived
    assert match_version(replace(version, number=None), [right]) is None


VERSIONED = replace(
    SCHEMA,
    statuses={**SCHEMA.statuses, "version": (StatusRef("s1", "Ready"), StatusRef("s2", "WIP"))},
)


def test_unlinked_version_status_goes_to_the_asset_version_of_its_name() -> None:
    snap = replace(_snapshot([], []), schema=VERSIONED)
    touch = {("version", VID): Touch("version", VID, status=True)}
    for version in (_version(), _version(ftrack_id="dangling")):
        fv = _fversion("AV1", status_id="s2")
        plan = plan_transmit(
            replace(snap, ayon={VID: version}, ftrack={**snap.ftrack, "AV1": fv}), touch
        )
        assert not plan.conflicts, plan.conflicts
        assert [(u.id, dict(u.changes)) for u in plan.updates] == [("AV1", {"status_id": "s1"})]
        assert [(v.conf_id, v.entity_id, v.value) for v in plan.values] == [("l-id", "AV1", VID)]
        assert [(u.kind, u.id, dict(u.changes)) for u in plan.ayon_after] == [
            ("version", VID, {"attrib": {"ftrackId": "AV1"}})
        ]
        # applied: linked both ways, same status; planning again finds nothing
        linked = replace(version, own={"ftrackId": "AV1"})
        done = replace(fv, status_id="s1", ayon_id=VID)
        again = plan_transmit(
            replace(snap, ayon={VID: linked}, ftrack={**snap.ftrack, "AV1": done}), touch
        )
        assert again.is_empty and not again.conflicts
    # nothing of that name: refused, with what was looked for
    alone = plan_transmit(replace(snap, ayon={VID: _version(product="plate")}), touch)
    assert [c.kind for c in alone.conflicts] == [TransmitConflict.NOT_LINKED]
    assert "'plate'" in alone.conflicts[0].detail and alone.is_empty


def test_a_version_linked_elsewhere_in_the_batch_is_not_guessed() -> None:
    other = replace(_version(ftrack_id="AV1"), id="w" * 32)
    snap = replace(_snapshot([_version(), other], [_fversion("AV1")]), schema=VERSIONED)
    touches = {
        ("version", VID): Touch("version", VID, status=True),
        ("version", other.id): Touch("version", other.id, status=True),
    }
    plan = plan_transmit(snap, touches)
    assert [c.ayon_id for c in plan.conflicts] == [VID]
