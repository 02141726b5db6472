"""Full-sync planning of AYON version statuses from ftrack AssetVersions (seed_features 3.1 s11).

Identity of an AssetVersion's AYON version, in this order (each AYON version is claimed by at
most one AssetVersion; ties go to the smaller ftrack id, so plans are deterministic):

1. the ``ayon_id`` stored on the AssetVersion, if it names an existing AYON version;
2. an AYON version whose ``ftrackId`` attribute is the AssetVersion's id;
3. a guess: among the products of the AYON folder mapped from the Asset's context, the one
   named like the Asset (case-insensitive), else one whose name is contained in the Asset
   name (the longest such name wins: ``render`` must not beat ``renderMain``), then the
   version with the same number.

The plan sets the AYON status when a same-named (case-insensitive) AYON status with the
``version`` scope exists and differs, fills an empty ``ftrackId`` on the AYON version, and
writes the resolved id back to ``ayon_id`` on the AssetVersion when it is not stored yet --
so the next sync (and the incremental one) finds the pair without guessing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from ayon_ftrack_sync.sync.plan import FtrackKey, FtrackWrite

VERSION_SCOPE = "version"


class MatchedBy(StrEnum):
    AYON_ID = "ayon_id"
    FTRACK_ID = "ftrack_id"
    GUESS = "guess"


@dataclass(frozen=True, slots=True)
class FtrackVersion:
    """One ftrack AssetVersion; ``context_id`` is its Asset's parent (a folder)."""

    id: str
    asset_id: str
    asset_name: str
    context_id: str
    version: int
    status: str | None = None
    #: the explicitly stored ``ayon_id`` value (None when unset)
    ayon_id: str | None = None


@dataclass(frozen=True, slots=True)
class AyonVersion:
    """One AYON version with what matching needs of its product."""

    id: str
    product_id: str
    product_name: str
    folder_id: str
    version: int
    status: str | None = None
    ftrack_id: str | None = None


@dataclass(frozen=True, slots=True)
class VersionsSnapshot:
    """Both sides. ``folders`` maps ftrack context ids to AYON folder ids (synced folders);
    ``statuses`` maps lower-cased AYON status names valid for versions to their real name."""

    ftrack: tuple[FtrackVersion, ...]
    ayon: tuple[AyonVersion, ...]
    folders: Mapping[str, str]
    statuses: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class VersionUpdate:
    """Changes of one AYON version: ``status`` and/or ``ftrack_id`` (None = unchanged)."""

    id: str
    status: str | None = None
    ftrack_id: str | None = None


@dataclass(frozen=True, slots=True)
class VersionMatch:
    ayon_id: str
    matched_by: MatchedBy


@dataclass(frozen=True, slots=True)
class VersionsPlan:
    updates: tuple[VersionUpdate, ...] = ()
    ftrack_writes: tuple[FtrackWrite, ...] = ()
    matched: Mapping[str, VersionMatch] | None = None
    #: ftrack status names without an AYON status for versions (sorted, distinct)
    unknown_statuses: tuple[str, ...] = ()
    unmatched: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.updates or self.ftrack_writes)

    def summary(self) -> dict[str, int]:
        matched = self.matched or {}
        by: dict[str, int] = {}
        for match in matched.values():
            by[match.matched_by.value] = by.get(match.matched_by.value, 0) + 1
        return {
            "versions.matched": len(matched),
            **{f"versions.matched_by_{key}": by.get(key.value, 0) for key in MatchedBy},
            "versions.unmatched": self.unmatched,
            "versions.status_updated": sum(1 for u in self.updates if u.status is not None),
            "versions.ftrack_id_set": sum(1 for u in self.updates if u.ftrack_id is not None),
            "versions.ayon_id_written": len(self.ftrack_writes),
            "versions.unknown_statuses": len(self.unknown_statuses),
        }


def status_map(statuses: Iterable[Mapping[str, object]]) -> dict[str, str]:
    """Lower-cased name -> name of the AYON project statuses whose scope has versions."""
    found: dict[str, str] = {}
    for status in statuses:
        name = status.get("name")
        scope = status.get("scope")
        if not isinstance(name, str):
            continue
        if scope is None or (isinstance(scope, Iterable) and VERSION_SCOPE in scope):
            found.setdefault(name.lower(), name)
    return found


def match_versions(snapshot: VersionsSnapshot) -> dict[str, VersionMatch]:
    """ftrack AssetVersion id -> its AYON version (see the module docstring for the order)."""
    ayon_by_id = {version.id: version for version in snapshot.ayon}
    claimed: set[str] = set()
    matches: dict[str, VersionMatch] = {}
    ordered = sorted(snapshot.ftrack, key=lambda v: v.id)

    for ft in ordered:
        if ft.ayon_id and ft.ayon_id in ayon_by_id and ft.ayon_id not in claimed:
            claimed.add(ft.ayon_id)
            matches[ft.id] = VersionMatch(ft.ayon_id, MatchedBy.AYON_ID)

    by_ftrack_id: dict[str, list[AyonVersion]] = {}
    for version in sorted(snapshot.ayon, key=lambda v: v.id):
        if version.ftrack_id:
            by_ftrack_id.setdefault(version.ftrack_id, []).append(version)
    for ft in ordered:
        if ft.id in matches:
            continue
        for version in by_ftrack_id.get(ft.id, ()):
            if version.id not in claimed:
                claimed.add(version.id)
                matches[ft.id] = VersionMatch(version.id, MatchedBy.FTRACK_ID)
                break

    # guesses: products by AYON folder, versions by (product, number)
    products: dict[str, dict[str, str]] = {}  # folder id -> product id -> product name
    versions: dict[tuple[str, int], list[str]] = {}
    for version in sorted(snapshot.ayon, key=lambda v: v.id):
        products.setdefault(version.folder_id, {})[version.product_id] = version.product_name
        versions.setdefault((version.product_id, version.version), []).append(version.id)
    for ft in ordered:
        if ft.id in matches:
            continue
        folder_id = snapshot.folders.get(ft.context_id)
        if folder_id is None:
            continue
        product_id = guess_product(ft.asset_name, products.get(folder_id, {}))
        if product_id is None:
            continue
        for version_id in versions.get((product_id, ft.version), ()):
            if version_id not in claimed:
                claimed.add(version_id)
                matches[ft.id] = VersionMatch(version_id, MatchedBy.GUESS)
                break
    return matches


def guess_product(asset_name: str, products: Mapping[str, str]) -> str | None:
    """The product an Asset of this name most likely is (id), or None."""
    asset = asset_name.lower()
    exact = sorted(pid for pid, name in products.items() if name.lower() == asset)
    if exact:
        return exact[0]
    contained = sorted(
        (-len(name), name.lower(), pid)
        for pid, name in products.items()
        if name and name.lower() in asset
    )
    return contained[0][2] if contained else None


def plan_versions(snapshot: VersionsSnapshot) -> VersionsPlan:
    """Status updates, ``ftrackId`` fills and ``ayon_id`` write-backs."""
    matches = match_versions(snapshot)
    ayon_by_id = {version.id: version for version in snapshot.ayon}
    updates: list[VersionUpdate] = []
    writes: list[FtrackWrite] = []
    unknown: set[str] = set()
    for ft in sorted(snapshot.ftrack, key=lambda v: v.id):
        match = matches.get(ft.id)
        if match is None:
            continue
        ayon = ayon_by_id[match.ayon_id]
        status: str | None = None
        if ft.status:
            target = snapshot.statuses.get(ft.status.lower())
            if target is None:
                unknown.add(ft.status)
            elif target != ayon.status:
                status = target
        ftrack_id = ft.id if not ayon.ftrack_id else None
        if status is not None or ftrack_id is not None:
            updates.append(VersionUpdate(ayon.id, status=status, ftrack_id=ftrack_id))
        if ft.ayon_id != match.ayon_id:
            writes.append(FtrackWrite(ft.id, FtrackKey.AYON_ID, match.ayon_id))
    return VersionsPlan(
        updates=tuple(updates),
        ftrack_writes=tuple(writes),
        matched=matches,
        unknown_statuses=tuple(sorted(unknown)),
        unmatched=len(snapshot.ftrack) - len(matches),
    )


def apply_versions(snapshot: VersionsSnapshot, plan: VersionsPlan) -> VersionsSnapshot:
    """The snapshot after ``plan`` was written (for tests)."""
    updates = {update.id: update for update in plan.updates}
    ayon = tuple(
        replace(
            version,
            status=updates[version.id].status or version.status,
            ftrack_id=updates[version.id].ftrack_id or version.ftrack_id,
        )
        if version.id in updates
        else version
        for version in snapshot.ayon
    )
    written = {write.ftrack_id: str(write.value) for write in plan.ftrack_writes}
    ftrack = tuple(
        replace(version, ayon_id=written[version.id]) if version.id in written else version
        for version in snapshot.ftrack
    )
    return replace(snapshot, ftrack=ftrack, ayon=ayon)


def without_foreign_claims(snapshot: VersionsSnapshot) -> VersionsSnapshot:
    """The snapshot for a *scoped* plan: AYON versions linked (``ftrackId``) to an
    AssetVersion that is not in ``snapshot.ftrack`` are left out, unless one of those
    AssetVersions stores their id in ``ayon_id``.

    The full sync sees every AssetVersion, so such a version is claimed by its own
    AssetVersion before any guess runs; an incremental sync reads only the AssetVersions a
    batch touched, and without this a touched AssetVersion could guess its way to a version
    that belongs to another one."""
    in_scope = {version.id for version in snapshot.ftrack}
    stored = {version.ayon_id for version in snapshot.ftrack if version.ayon_id}
    ayon = tuple(
        version
        for version in snapshot.ayon
        if not version.ftrack_id or version.ftrack_id in in_scope or version.id in stored
    )
    return replace(snapshot, ayon=ayon)
