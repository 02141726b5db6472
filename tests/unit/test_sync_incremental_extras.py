"""Scoped (incremental) planning of links, lists and versions, by example and by property."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ayon_ftrack_sync.sync.identity import ayon_id_for
from ayon_ftrack_sync.sync.links import (
    AyonLink,
    AyonLinkType,
    CreateLink,
    FtrackLink,
    LinksSkip,
    ScopedLinksSnapshot,
    apply_scoped_links,
    plan_scoped_links,
)
from ayon_ftrack_sync.sync.lists import (
    AyonList,
    AyonListItem,
    DeleteList,
    FtrackList,
    ListsSnapshot,
    ListTypeRevert,
    plan_scoped_lists,
)
from ayon_ftrack_sync.sync.versions import (
    AyonVersion,
    FtrackVersion,
    MatchedBy,
    VersionsSnapshot,
    match_versions,
    without_foreign_claims,
)

BREAKDOWN = AyonLinkType("breakdown", "folder", "folder")
FOLDERS = {"f-a": "ay-a", "f-b": "ay-b", "f-c": "ay-c", "f-d": "ay-d"}

# -- links ------------------------------------------------------------------------------------


def _links(
    touched: set[str],
    pairs: list[tuple[str, str]],
    existing: list[tuple[str, str, str]],
    link_type: str | None = "breakdown",
) -> ScopedLinksSnapshot:
    return ScopedLinksSnapshot(
        link_type,
        (BREAKDOWN,),
        frozenset(touched),
        tuple(FtrackLink(a, b) for a, b in pairs),
        FOLDERS,
        tuple(AyonLink(i, a, b) for i, a, b in existing),
    )


def test_scoped_links_create_in_ftrack_direction_and_delete_what_ftrack_dropped() -> None:
    plan = plan_scoped_links(
        _links(
            {"f-a", "f-b", "f-c"},
            [("f-b", "f-c")],
            [("l1", "ay-a", "ay-b"), ("l2", "ay-c", "ay-d")],
        )
    )
    assert plan.creates == (CreateLink("ay-b", "ay-c"),)
    # ay-c -> ay-d: ftrack has no f-c -> f-d link any more, and f-c is touched
    assert plan.deletes == (AyonLink("l1", "ay-a", "ay-b"), AyonLink("l2", "ay-c", "ay-d"))
    assert plan.summary()["links.deleted"] == 2


def test_scoped_links_leave_untouched_unsynced_and_self_links_alone() -> None:
    plan = plan_scoped_links(
        _links(
            {"f-a"},
            [("f-a", "f-b")],
            [
                ("l1", "ay-a", "ay-b"),  # wanted
                ("l2", "ay-c", "ay-d"),  # no touched end: not ours to judge
                ("l3", "ay-a", "ayon-only"),  # far end not a synced folder
                ("l4", "ay-a", "ay-a"),  # self-link: the sync never makes one
                ("l5", "ay-b", "ay-a"),  # reverse of the ftrack link: not the link
            ],
        )
    )
    assert plan.creates == ()
    assert plan.deletes == (AyonLink("l5", "ay-b", "ay-a"),)


def test_scoped_links_skip_and_missing_type_plan_nothing() -> None:
    snapshot = _links({"f-a"}, [("f-a", "f-b")], [("l1", "ay-c", "ay-a")])
    off = plan_scoped_links(_links({"f-a"}, [("f-a", "f-b")], [], link_type=None))
    assert off.skipped is LinksSkip.DISABLED and off.is_empty
    missing = plan_scoped_links(
        ScopedLinksSnapshot(
            "nosuch",
            (BREAKDOWN,),
            snapshot.touched,
            snapshot.ftrack_links,
            FOLDERS,
            snapshot.existing,
        )
    )
    assert missing.skipped is LinksSkip.MISSING_TYPE and missing.is_empty


_ids = st.sampled_from([*sorted(FOLDERS), "task-1"])


@settings(max_examples=200, deadline=None)
@given(
    touched=st.sets(_ids, min_size=1),
    pairs=st.lists(st.tuples(_ids, _ids), max_size=8),
    existing=st.lists(
        st.tuples(
            st.sampled_from(sorted(FOLDERS.values())), st.sampled_from(sorted(FOLDERS.values()))
        ),
        max_size=8,
    ),
)
def test_scoped_links_apply_then_replan_is_empty(
    touched: set[str], pairs: list[tuple[str, str]], existing: list[tuple[str, str]]
) -> None:
    snapshot = _links(touched, pairs, [(f"l{n}", a, b) for n, (a, b) in enumerate(existing)])
    plan = plan_scoped_links(snapshot)
    after = apply_scoped_links(snapshot, plan)
    assert plan_scoped_links(after).is_empty
    touched_ayon = {FOLDERS[t] for t in touched if t in FOLDERS}
    for link in plan.deletes:  # never a link without a touched end
        assert {link.input_id, link.output_id} & touched_ayon


# -- lists ------------------------------------------------------------------------------------

ENTITIES = {"t1": ("ay-t1", "task"), "t2": ("ay-t2", "task"), "s1": ("ay-s1", "folder")}


def test_removed_list_deletes_its_linked_ayon_list_only() -> None:
    snapshot = ListsSnapshot(
        ftrack=(),
        ayon=(
            AyonList("A", "gone", "task", "ft-gone"),
            AyonList("B", "other", "folder", "ft-other"),  # not in scope
            AyonList("C", "gone", "folder"),  # same label, never linked: kept
            AyonList("D", "odd", "product", "ft-gone"),  # a type the sync never makes
        ),
        entities=ENTITIES,
    )
    plan = plan_scoped_lists(snapshot, frozenset({"ft-gone"}))
    assert plan.deletes == (DeleteList("A", "gone", "ft-gone"),)
    assert plan.lists.is_empty and plan.reverts == ()


def test_changed_list_type_is_reverted_to_the_ayon_type_and_items_follow_it() -> None:
    ft = FtrackList("ft-1", "List", "task", list_type="folder", items=("t1", "s1"))
    ay = AyonList("A", "List", "task", "ft-1", (AyonListItem("i1", "ay-t1"),))
    plan = plan_scoped_lists(ListsSnapshot((ft,), (ay,), ENTITIES), frozenset({"ft-1"}))
    assert plan.reverts == (ListTypeRevert("ft-1", "task"),)
    assert plan.lists.is_empty  # as a task list it is already in line
    assert plan.summary()["lists.type_reverted"] == 1


def test_label_match_never_takes_a_list_linked_outside_the_scope() -> None:
    ft = FtrackList("ft-1", "Dailies", "task", list_type="task", items=("t2",))
    taken = AyonList(ayon_id_for("ft-1"), "Dailies", "task", "ft-elsewhere")
    plan = plan_scoped_lists(ListsSnapshot((ft,), (taken,), ENTITIES), frozenset({"ft-1"}))
    (create,) = plan.lists.creates
    assert create.ftrack_id == "ft-1" and create.entity_ids == ("ay-t2",)
    assert create.id != taken.id  # the derived id is taken: a fresh one, never a reuse
    assert plan.lists.updates == ()


def test_scoped_lists_rename_relink_and_items() -> None:
    ft = FtrackList("ft-1", "New name", "task", list_type="task", items=("t1", "t2"))
    ay = AyonList("A", "new NAME", "task", None, (AyonListItem("i1", "ay-t1"),))
    plan = plan_scoped_lists(ListsSnapshot((ft,), (ay,), ENTITIES), frozenset({"ft-1"}))
    (update,) = plan.lists.updates
    assert (update.label, update.ftrack_id, update.add, update.remove) == (
        "New name",
        "ft-1",
        ("ay-t2",),
        (),
    )


# -- versions ---------------------------------------------------------------------------------


def test_scoped_versions_never_guess_a_version_linked_to_another_asset_version() -> None:
    ft = FtrackVersion("fv-1", "a1", "render", "ctx", 1)
    linked = AyonVersion("v1", "p1", "render", "ay-ctx", 1, ftrack_id="fv-other")
    free = AyonVersion("v2", "p2", "render", "ay-ctx", 1)
    snapshot = VersionsSnapshot((ft,), (linked, free), {"ctx": "ay-ctx"}, {})
    # without the rule the exact-name guess would take the version of another AssetVersion
    assert match_versions(snapshot)["fv-1"].ayon_id == "v1"
    scoped = without_foreign_claims(snapshot)
    assert scoped.ayon == (free,)
    assert match_versions(scoped)["fv-1"].ayon_id == "v2"


def test_scoped_versions_keep_a_version_named_by_the_stored_ayon_id() -> None:
    ft = FtrackVersion("fv-1", "a1", "render", "ctx", 1, ayon_id="v1")
    linked = AyonVersion("v1", "p1", "render", "ay-ctx", 1, ftrack_id="fv-old")
    scoped = without_foreign_claims(VersionsSnapshot((ft,), (linked,), {"ctx": "ay-ctx"}, {}))
    assert match_versions(scoped)["fv-1"].matched_by is MatchedBy.AYON_ID
