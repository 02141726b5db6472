"""Planning rules of links, lists and version statuses, by example and by property."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ayon_ftrack_sync.sync.identity import ayon_id_for
from ayon_ftrack_sync.sync.links import (
    AyonLinkType,
    CreateLink,
    FtrackLink,
    LinksSkip,
    LinksSnapshot,
    apply_links,
    plan_links,
)
from ayon_ftrack_sync.sync.lists import (
    AyonList,
    AyonListItem,
    FtrackList,
    ListSkipReason,
    ListsSnapshot,
    apply_lists,
    list_type_value,
    plan_lists,
)
from ayon_ftrack_sync.sync.plan import FtrackKey, FtrackWrite
from ayon_ftrack_sync.sync.versions import (
    AyonVersion,
    FtrackVersion,
    MatchedBy,
    VersionsSnapshot,
    VersionUpdate,
    apply_versions,
    guess_product,
    match_versions,
    plan_versions,
    status_map,
)

BREAKDOWN = AyonLinkType("breakdown", "folder", "folder")
FOLDERS = {"f-a": "ay-a", "f-b": "ay-b", "f-c": "ay-c"}

# -- links -----------------------------------------------------------------------------------


def _links(
    *pairs: tuple[str, str],
    existing: frozenset[tuple[str, str]] = frozenset(),
    link_type: str | None = "breakdown",
) -> LinksSnapshot:
    return LinksSnapshot(
        link_type, (BREAKDOWN,), tuple(FtrackLink(a, b) for a, b in pairs), FOLDERS, existing
    )


def test_link_goes_from_ftrack_from_to_ftrack_to() -> None:
    plan = plan_links(_links(("f-a", "f-b")))
    # the original swapped these: input must be the ftrack "from", output the "to"
    assert plan.creates == (CreateLink(input_id="ay-a", output_id="ay-b"),)
    assert plan.link_type == "breakdown|folder|folder"


def test_existing_links_self_links_and_unsynced_ends_plan_nothing() -> None:
    plan = plan_links(
        _links(
            ("f-a", "f-b"),
            ("f-b", "f-b"),  # self-link
            ("f-a", "task-1"),  # not a synced folder
            ("f-a", "f-c"),
            ("f-a", "f-c"),  # the same link twice in ftrack
            existing=frozenset({("ay-a", "ay-b"), ("ay-c", "ay-a")}),
        )
    )
    assert plan.creates == (CreateLink("ay-a", "ay-c"),)
    assert plan.ignored == 2


def test_reverse_existing_link_does_not_count_as_the_link() -> None:
    plan = plan_links(_links(("f-a", "f-b"), existing=frozenset({("ay-b", "ay-a")})))
    assert plan.creates == (CreateLink("ay-a", "ay-b"),)


def test_links_skip_and_missing_type() -> None:
    assert plan_links(_links(("f-a", "f-b"), link_type=None)).skipped is LinksSkip.DISABLED
    missing = plan_links(_links(("f-a", "f-b"), link_type="template"))
    assert missing.skipped is LinksSkip.MISSING_TYPE and not missing.creates
    assert missing.summary()["links.skipped_missing_type"] == 1
    # a type of that name for versions does not count
    version_type = LinksSnapshot(
        "generative",
        (AyonLinkType("generative", "version", "version"),),
        (FtrackLink("f-a", "f-b"),),
        FOLDERS,
    )
    assert plan_links(version_type).skipped is LinksSkip.MISSING_TYPE


# -- versions --------------------------------------------------------------------------------

STATUSES = status_map(
    [
        {"name": "Approved", "scope": ["version", "task"]},
        {"name": "Pending review", "scope": ["version"]},
        {"name": "In progress", "scope": ["task", "folder"]},
    ]
)


def _av(
    id: str,
    asset: str,
    version: int,
    *,
    status: str | None = "approved",
    ayon_id: str | None = None,
    context: str = "f-a",
) -> FtrackVersion:
    return FtrackVersion(id, f"asset-{asset}", asset, context, version, status, ayon_id)


def _ay(
    id: str,
    product: str,
    version: int,
    *,
    folder: str = "ay-a",
    status: str = "Pending review",
    ftrack_id: str | None = None,
) -> AyonVersion:
    return AyonVersion(id, f"p-{folder}-{product}", product, folder, version, status, ftrack_id)


def test_version_scope_statuses_only_case_insensitive() -> None:
    assert STATUSES == {"approved": "Approved", "pending review": "Pending review"}


def test_version_identity_order_ayon_id_then_ftrack_id_then_guess() -> None:
    snapshot = VersionsSnapshot(
        ftrack=(
            _av("v1", "renderMain", 1, ayon_id="y1"),
            _av("v2", "renderMain", 2),
            _av("v3", "renderMain", 3),
            _av("v4", "renderMain", 4, ayon_id="gone"),  # stale id: falls back to guessing
        ),
        ayon=(
            _ay("y1", "renderMain", 1),
            _ay("y2", "other", 7, ftrack_id="v2"),
            _ay("y3", "renderMain", 3),
            _ay("y4", "renderMain", 4),
        ),
        folders=FOLDERS,
        statuses=STATUSES,
    )
    matches = match_versions(snapshot)
    assert {k: (m.ayon_id, m.matched_by) for k, m in matches.items()} == {
        "v1": ("y1", MatchedBy.AYON_ID),
        "v2": ("y2", MatchedBy.FTRACK_ID),
        "v3": ("y3", MatchedBy.GUESS),
        "v4": ("y4", MatchedBy.GUESS),
    }
    plan = plan_versions(snapshot)
    assert VersionUpdate("y1", status="Approved", ftrack_id="v1") in plan.updates
    assert VersionUpdate("y2", status="Approved") in plan.updates
    assert set(plan.ftrack_writes) == {
        FtrackWrite("v2", FtrackKey.AYON_ID, "y2"),
        FtrackWrite("v3", FtrackKey.AYON_ID, "y3"),
        FtrackWrite("v4", FtrackKey.AYON_ID, "y4"),
    }


def test_guess_exact_name_beats_contained_and_longest_contained_wins() -> None:
    products = {"p1": "render", "p2": "renderMain", "p3": "RENDERMAINBEAUTY"}
    assert guess_product("renderMainBeauty", products) == "p3"
    assert guess_product("rendermainbeautyV2", {"p1": "render", "p2": "renderMain"}) == "p2"
    assert guess_product("plate", products) is None


def test_guess_needs_the_same_folder_and_number_and_claims_once() -> None:
    snapshot = VersionsSnapshot(
        ftrack=(
            _av("a", "renderMain", 1),
            _av("b", "renderMain", 1),  # same asset name and number: only one gets y1
            _av("c", "renderMain", 2, context="f-b"),  # other folder, no product there
            _av("d", "renderMain", 5),  # no version 5
            _av("e", "renderMain", 1, context="unsynced"),
        ),
        ayon=(_ay("y1", "renderMain", 1),),
        folders=FOLDERS,
        statuses=STATUSES,
    )
    plan = plan_versions(snapshot)
    assert {k: m.ayon_id for k, m in (plan.matched or {}).items()} == {"a": "y1"}
    assert plan.unmatched == 4


def test_unknown_status_is_reported_and_same_status_is_no_update() -> None:
    snapshot = VersionsSnapshot(
        ftrack=(
            _av("a", "x", 1, status="In progress", ayon_id="y1"),  # not a version status
            _av("b", "x", 2, status="pending REVIEW", ayon_id="y2"),
        ),
        ayon=(_ay("y1", "x", 1, ftrack_id="a"), _ay("y2", "x", 2, ftrack_id="b")),
        folders=FOLDERS,
        statuses=STATUSES,
    )
    plan = plan_versions(snapshot)
    assert plan.is_empty
    assert plan.unknown_statuses == ("In progress",)


# -- lists -----------------------------------------------------------------------------------

ENTITIES = {
    "t1": ("ay-t1", "task"),
    "t2": ("ay-t2", "task"),
    "f1": ("ay-f1", "folder"),
    "v1": ("ay-v1", "version"),
}


def test_list_type_value_and_entity_type() -> None:
    assert list_type_value(["Task"]) == "task"
    assert list_type_value([]) is None and list_type_value("") is None
    assert FtrackList("l", "n", "assetversion").entity_type == "version"
    assert FtrackList("l", "n", "task", "folder").entity_type == "folder"
    assert FtrackList("l", "n", "task", "bogus").entity_type is None
    assert FtrackList("l", "n", "review", "task").entity_type is None


def test_new_lists_are_created_with_their_items_of_the_right_type() -> None:
    snapshot = ListsSnapshot(
        ftrack=(
            FtrackList("L1", "Shots to do", "task", "task", ("t1", "f1", "t2", "t1", "gone")),
            FtrackList("L2", "Dailies", "assetversion", None, ("v1",)),
            FtrackList("L3", "Review", "reviewsession", None, ()),
        ),
        ayon=(),
        entities=ENTITIES,
    )
    plan = plan_lists(snapshot)
    created = {c.label: c for c in plan.creates}
    assert created["Shots to do"].entity_ids == ("ay-t1", "ay-t2")
    assert created["Shots to do"].id == ayon_id_for("L1")
    assert created["Dailies"].entity_type == "version"
    assert created["Dailies"].entity_ids == ("ay-v1",)
    assert [s.reason for s in plan.skipped] == [ListSkipReason.UNKNOWN_SYSTEM_TYPE]


def test_lists_match_by_ftrack_id_then_label_and_sync_name_and_items() -> None:
    snapshot = ListsSnapshot(
        ftrack=(
            FtrackList("L1", "Renamed", "task", "task", ("t1", "t2")),
            FtrackList("L2", "by label", "task", "task", ("t2",)),
            FtrackList("L3", "wrong type", "task", "task", ("t1",)),
        ),
        ayon=(
            AyonList(
                "A1",
                "Old name",
                "task",
                "L1",
                (
                    AyonListItem("i1", "ay-t1"),
                    AyonListItem("i2", "ay-f1"),
                    AyonListItem("i3", "ay-t1"),
                ),
            ),
            AyonList("A2", "BY LABEL", "task", None, ()),
            AyonList("A3", "Wrong Type", "folder", None, ()),
            AyonList("A4", "AYON only", "task", None, (AyonListItem("i9", "ay-t2"),)),
        ),
        entities=ENTITIES,
    )
    plan = plan_lists(snapshot)
    updates = {u.id: u for u in plan.updates}
    assert updates["A1"].label == "Renamed" and updates["A1"].ftrack_id is None
    assert updates["A1"].add == ("ay-t2",) and updates["A1"].remove == ("i2", "i3")
    assert updates["A2"].label == "by label" and updates["A2"].ftrack_id == "L2"
    assert "A4" not in updates  # AYON-only lists are never touched (nor deleted)
    assert [(s.ftrack_id, s.reason) for s in plan.skipped] == [("L3", ListSkipReason.TYPE_MISMATCH)]
    assert not plan.creates


def test_label_match_never_takes_a_list_linked_to_another_ftrack_list() -> None:
    snapshot = ListsSnapshot(
        ftrack=(FtrackList("L1", "same", "task", "task"), FtrackList("L2", "same", "task", "task")),
        ayon=(AyonList("A1", "same", "task", "L1"),),
        entities=ENTITIES,
    )
    plan = plan_lists(snapshot)
    assert [c.ftrack_id for c in plan.creates] == ["L2"]
    assert not plan.updates


# -- apply, then plan again: nothing left ------------------------------------------------------

ids = st.sampled_from(["a", "b", "c", "d", "e"])


@settings(max_examples=150, deadline=None)
@given(
    pairs=st.lists(
        st.tuples(
            st.sampled_from(["f-a", "f-b", "f-c", "t"]), st.sampled_from(["f-a", "f-b", "f-c", "t"])
        ),
        max_size=8,
    ),
    existing=st.frozensets(
        st.tuples(st.sampled_from(list(FOLDERS.values())), st.sampled_from(list(FOLDERS.values()))),
        max_size=4,
    ),
)
def test_links_apply_then_replan_is_empty(
    pairs: list[tuple[str, str]], existing: frozenset[tuple[str, str]]
) -> None:
    snapshot = _links(*pairs, existing=existing)
    plan = plan_links(snapshot)
    assert all(c.input_id != c.output_id for c in plan.creates)
    assert plan_links(apply_links(snapshot, plan)).is_empty


ft_versions = st.builds(
    FtrackVersion,
    id=ids,
    asset_id=st.just("asset"),
    asset_name=st.sampled_from(["renderMain", "render", "plateMain"]),
    context_id=st.sampled_from(["f-a", "f-b", "nope"]),
    version=st.integers(1, 3),
    status=st.sampled_from([None, "Approved", "pending review", "In progress"]),
    ayon_id=st.sampled_from([None, "y1", "y2", "y3", "bad"]),
)
ay_versions = st.builds(
    AyonVersion,
    id=st.sampled_from(["y1", "y2", "y3", "y4", "y5"]),
    product_id=st.sampled_from(["p1", "p2"]),
    product_name=st.sampled_from(["renderMain", "main", "plate"]),
    folder_id=st.sampled_from(["ay-a", "ay-b"]),
    version=st.integers(1, 3),
    status=st.sampled_from([None, "Approved", "Pending review"]),
    ftrack_id=st.sampled_from([None, "a", "b", "c", "zz"]),
)


@settings(max_examples=200, deadline=None)
@given(
    ftrack=st.lists(ft_versions, max_size=6, unique_by=lambda v: v.id),
    ayon=st.lists(ay_versions, max_size=5, unique_by=lambda v: v.id),
)
def test_versions_apply_then_replan_is_empty(
    ftrack: list[FtrackVersion], ayon: list[AyonVersion]
) -> None:
    snapshot = VersionsSnapshot(tuple(ftrack), tuple(ayon), FOLDERS, STATUSES)
    plan = plan_versions(snapshot)
    claimed = [m.ayon_id for m in (plan.matched or {}).values()]
    assert len(claimed) == len(set(claimed))  # an AYON version belongs to one AssetVersion
    after = apply_versions(snapshot, plan)
    assert plan_versions(after).is_empty
    assert match_versions(after).keys() == (plan.matched or {}).keys()


ft_lists = st.builds(
    FtrackList,
    id=st.sampled_from(["L1", "L2", "L3", "L4"]),
    name=st.sampled_from(["one", "One", "two", "three"]),
    system_type=st.sampled_from(["task", "assetversion", "other"]),
    list_type=st.sampled_from([None, "task", "folder", "version"]),
    items=st.lists(st.sampled_from(["t1", "t2", "f1", "v1", "x"]), max_size=5).map(tuple),
)
ay_lists = st.builds(
    AyonList,
    id=st.sampled_from(["A1", "A2", "A3", ayon_id_for("L1")]),
    label=st.sampled_from(["one", "TWO", "four"]),
    entity_type=st.sampled_from(["task", "folder", "version"]),
    ftrack_id=st.sampled_from([None, "L1", "L2", "gone"]),
    items=st.lists(
        st.builds(
            AyonListItem,
            id=st.uuids().map(str),
            entity_id=st.sampled_from(["ay-t1", "ay-t2", "ay-f1", "ay-v1", "other"]),
        ),
        max_size=4,
    ).map(tuple),
)


@settings(max_examples=200, deadline=None)
@given(
    ftrack=st.lists(ft_lists, max_size=4, unique_by=lambda item: item.id),
    ayon=st.lists(ay_lists, max_size=3, unique_by=lambda item: item.id),
)
def test_lists_apply_then_replan_is_empty(ftrack: list[FtrackList], ayon: list[AyonList]) -> None:
    snapshot = ListsSnapshot(tuple(ftrack), tuple(ayon), ENTITIES)
    plan = plan_lists(snapshot)
    assert len({c.id for c in plan.creates} | {a.id for a in ayon}) == len(plan.creates) + len(
        ayon
    )  # a created list never takes an existing id
    after = apply_lists(snapshot, plan)
    assert plan_lists(after).is_empty
    assert {a.id for a in ayon} <= {a.id for a in after.ayon}  # nothing deleted
