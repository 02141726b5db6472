"""Incremental sync of links, lists and version statuses (ftrack -> AYON) for one batch.

The full-sync phases (``full_sync_extras``) read both sides project-wide; an event batch
touches a handful of entities, so this module reads only those: the ftrack links with an end
at a touched context, the lists named by the batch, the AssetVersions it added or changed --
and on the AYON side only their counterparts, looked up by ``ftrackId`` or id. Planning and
writing reuse the full sync's pure planners (``sync/links``, ``sync/lists``,
``sync/versions``) and bulk writers (``ayon/extras``, ``ftrack/extras``), extended with the
two things only an incremental sync does: deleting (links ftrack no longer has, lists ftrack
removed) and reverting a changed ``ayon_list_type`` (seed_features 3.2 steps 6, 8, 9).

Every rule reads the current state and diffs, so calling ``apply_extras`` again with the
same scope (a retried activity, a replayed batch) writes nothing. A missing link type or an
unknown status is a conflict record, not an exception; server errors propagate so the
calling activity's retry policy applies.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ayon_ftrack_sync.activities.connections import Connections
from ayon_ftrack_sync.ayon import extras as ayon_extras
from ayon_ftrack_sync.ayon.reader import ProjectNotFound
from ayon_ftrack_sync.ftrack import extras as ftrack_extras
from ayon_ftrack_sync.payloads.full_sync import ConflictRecord
from ayon_ftrack_sync.settings import SyncSettings
from ayon_ftrack_sync.sync.identity import is_ayon_id
from ayon_ftrack_sync.sync.links import LinksSkip, ScopedLinksSnapshot, plan_scoped_links
from ayon_ftrack_sync.sync.lists import VERSION_LIST, AyonList, ListsSnapshot, plan_scoped_lists
from ayon_ftrack_sync.sync.scope import BatchScope
from ayon_ftrack_sync.sync.versions import (
    VersionsSnapshot,
    match_versions,
    plan_versions,
    status_map,
    without_foreign_claims,
)

log = logging.getLogger(__name__)

#: count keys that stand for a write (on either side); the rest are observations
WRITE_KEYS = frozenset(
    {
        "links.created",
        "links.deleted",
        "lists.created",
        "lists.renamed",
        "lists.relinked",
        "lists.deleted",
        "lists.type_reverted",
        "lists.items_added",
        "lists.items_removed",
        "versions.status_updated",
        "versions.ftrack_id_set",
        "versions.ayon_id_written",
    }
)


@dataclass
class ExtrasOutcome:
    """What one batch's links/lists/versions sync did.

    ``counts`` are prefixed by rule (``links.``, ``lists.``, ``versions.``); a rule whose
    part of the scope is empty adds no keys at all."""

    counts: dict[str, int] = field(default_factory=dict)
    conflicts: list[ConflictRecord] = field(default_factory=list)
    ftrack_requests: int = 0

    def writes(self) -> dict[str, int]:
        """The non-zero write counts (empty when the batch changed nothing)."""
        return {k: v for k, v in self.counts.items() if k in WRITE_KEYS and v}


def apply_extras(
    conn: Connections,
    *,
    ftrack_project_id: str,
    ayon_project_name: str,
    scope: BatchScope,
    settings: SyncSettings,
) -> ExtrasOutcome:
    """Sync the links, versions and lists ``scope`` touches; nothing outside it is read.

    Versions run before lists, as in the full sync: a version list's items are matched the
    same way and then find the ``ayon_id`` values the versions rule wrote back."""
    outcome = ExtrasOutcome()
    if scope.versions:
        _sync_versions(conn, ftrack_project_id, ayon_project_name, scope.versions, outcome)
    if scope.links:
        link_type = settings.service_event_handlers.sync_from_ftrack.link_type
        _sync_links(conn, ftrack_project_id, ayon_project_name, scope.links, link_type, outcome)
    if scope.lists:
        _sync_lists(conn, ftrack_project_id, ayon_project_name, scope.lists, outcome)
    return outcome


# -- versions ---------------------------------------------------------------------------------


def _versions_snapshot(
    conn: Connections,
    ftrack_project_id: str,
    ayon_project_name: str,
    version_ids: Iterable[str],
    statuses: Mapping[str, str],
) -> tuple[VersionsSnapshot, int, str | None]:
    """Both sides of the version match for these AssetVersions only: the AssetVersions
    (one ftrack request), the AYON folders of their Assets' contexts (by ``ftrackId``), and
    the AYON versions named by their stored ``ayon_id`` or under those folders. Returns the
    snapshot, the ftrack requests and the configuration id of ``ayon_id``."""
    api = conn.ayon()
    read = ftrack_extras.read_versions(conn.ftrack(), ftrack_project_id, version_ids=version_ids)
    contexts = {version.context_id for version in read.versions if version.context_id}
    synced = ayon_extras.read_synced_by_ftrack_ids(
        api, ayon_project_name, contexts, kinds=("folder",)
    )
    folders = {ftrack_id: entity.ayon_id for ftrack_id, entity in synced.items()}
    # AssetVersions under unsynced contexts (or of another project) have no AYON side
    in_scope = tuple(version for version in read.versions if version.context_id in folders)
    ayon = ayon_extras.read_versions_scoped(
        api,
        ayon_project_name,
        version_ids={v.ayon_id for v in in_scope if v.ayon_id and is_ayon_id(v.ayon_id)},
        folder_ids=set(folders.values()) if in_scope else set(),
    )
    snapshot = VersionsSnapshot(in_scope, ayon, folders, statuses)
    return without_foreign_claims(snapshot), read.requests, read.ayon_id_conf


def _sync_versions(
    conn: Connections,
    ftrack_project_id: str,
    ayon_project_name: str,
    version_ids: Iterable[str],
    outcome: ExtrasOutcome,
) -> None:
    """AYON version statuses from the touched AssetVersions, always (the incremental sync
    does not consult ``sync_versions``, as the original), plus ``ftrackId``/``ayon_id``
    write-backs so the next batch finds the pair without guessing."""
    api = conn.ayon()
    project = api.get_project(ayon_project_name)
    if not project:
        raise ProjectNotFound(f"AYON project {ayon_project_name!r} does not exist")
    statuses = status_map(project.get("statuses") or [])
    snapshot, requests, conf_id = _versions_snapshot(
        conn, ftrack_project_id, ayon_project_name, version_ids, statuses
    )
    outcome.ftrack_requests += requests
    plan = plan_versions(snapshot)
    counts = plan.summary()
    outcome.conflicts.extend(
        ConflictRecord(
            kind="unknown_version_status",
            path=name,
            detail="no AYON status of this name is valid for versions",
        )
        for name in plan.unknown_statuses
    )
    if plan.updates:
        ayon_extras.update_versions(api, ayon_project_name, plan.updates)
    if plan.ftrack_writes:
        if conf_id:
            written = ftrack_extras.write_version_ids(conn.ftrack(), plan.ftrack_writes, conf_id)
            outcome.ftrack_requests += written.requests
            counts["versions.ftrack_write_failures"] = len(written.failed)
        else:
            log.warning("ftrack has no ayon_id attribute: version ids not written back")
            counts["versions.ayon_id_written"] = 0
    outcome.counts.update(counts)


# -- links ------------------------------------------------------------------------------------


def _sync_links(
    conn: Connections,
    ftrack_project_id: str,
    ayon_project_name: str,
    touched: frozenset[str],
    link_type: str | None,
    outcome: ExtrasOutcome,
) -> None:
    """Folder -> folder links around the touched contexts: create what ftrack has, delete
    what it no longer has (ftrack ``from`` is the AYON input: the original's event sync
    looked the "from" entity up with the "to" id)."""
    if link_type is None:
        outcome.counts["links.disabled"] = 1
        return
    api = conn.ayon()
    link_types = ayon_extras.read_link_types(api, ayon_project_name)
    precheck = plan_scoped_links(ScopedLinksSnapshot(link_type, link_types, touched, (), {}))
    if precheck.skipped is LinksSkip.MISSING_TYPE:
        outcome.counts.update(precheck.summary())
        outcome.conflicts.append(
            ConflictRecord(
                kind="missing_link_type",
                path=link_type,
                detail=(
                    f"link type {link_type!r} (folder -> folder) does not exist on the AYON "
                    "project: links were not synced; add it to the project anatomy or change "
                    "sync_from_ftrack.sync_link_type"
                ),
            )
        )
        return
    read = ftrack_extras.read_links(conn.ftrack(), ftrack_project_id, context_ids=touched)
    outcome.ftrack_requests += read.requests
    ends = set(touched) | {end for link in read.links for end in (link.from_id, link.to_id)}
    synced = ayon_extras.read_synced_by_ftrack_ids(api, ayon_project_name, ends, kinds=("folder",))
    folders = {ftrack_id: entity.ayon_id for ftrack_id, entity in synced.items()}
    touched_folders = {folders[t] for t in touched if t in folders}
    existing = ayon_extras.read_links_at_folders(api, ayon_project_name, touched_folders, link_type)
    # the far ends of existing AYON links: are they synced folders? (a delete needs both)
    known = set(folders.values())
    far = {end for link in existing for end in (link.input_id, link.output_id)} - known
    if far:
        for ayon_id, ftrack_id in ayon_extras.read_folder_ftrack_ids(
            api, ayon_project_name, far
        ).items():
            folders.setdefault(ftrack_id, ayon_id)
    plan = plan_scoped_links(
        ScopedLinksSnapshot(link_type, link_types, touched, read.links, folders, existing)
    )
    if plan.creates and plan.link_type:
        ayon_extras.create_links(api, ayon_project_name, plan.link_type, plan.creates)
    if plan.deletes:
        ayon_extras.delete_links(api, ayon_project_name, plan.deletes)
    outcome.counts.update(plan.summary())


# -- lists ------------------------------------------------------------------------------------


def _sync_lists(
    conn: Connections,
    ftrack_project_id: str,
    ayon_project_name: str,
    list_ids: frozenset[str],
    outcome: ExtrasOutcome,
) -> None:
    """The touched ftrack lists -> AYON entity lists: create, rename, relink, delete when
    removed in ftrack, items, and a changed ``ayon_list_type`` reverted in ftrack."""
    api = conn.ayon()
    session = conn.ftrack()
    read = ftrack_extras.read_lists(session, ftrack_project_id, list_ids=list_ids)
    outcome.ftrack_requests += read.requests
    present = {ft.id for ft in read.lists}
    names = {ft.name.lower() for ft in read.lists}

    def may_match(header: AyonList) -> bool:
        """Items are read only for lists that can be matched to a touched ftrack list."""
        if header.ftrack_id is not None:
            return header.ftrack_id in present
        return header.label.lower() in names

    current = ayon_extras.read_entity_lists(api, ayon_project_name, items_of=may_match)
    entities = _list_item_entities(conn, ftrack_project_id, ayon_project_name, read.lists, outcome)
    plan = plan_scoped_lists(ListsSnapshot(read.lists, current, entities), list_ids)
    counts = plan.summary()
    outcome.conflicts.extend(
        ConflictRecord(
            kind=f"list_{skip.reason.value}",
            path=skip.name,
            detail=skip.detail,
            ftrack_id=skip.ftrack_id,
        )
        for skip in plan.lists.skipped
    )
    if plan.reverts:
        if read.list_type_conf:
            written = ftrack_extras.write_list_types(session, plan.reverts, read.list_type_conf)
            outcome.ftrack_requests += written.requests
            counts["lists.type_revert_failures"] = len(written.failed)
        else:
            counts["lists.type_reverted"] = 0
    if plan.deletes:
        ayon_extras.delete_entity_lists(
            api, ayon_project_name, [delete.id for delete in plan.deletes]
        )
    if not plan.lists.is_empty:
        ayon_extras.write_lists(api, ayon_project_name, plan.lists, {ay.id: ay for ay in current})
    outcome.counts.update(counts)


def _list_item_entities(
    conn: Connections,
    ftrack_project_id: str,
    ayon_project_name: str,
    lists: Iterable[Any],
    outcome: ExtrasOutcome,
) -> dict[str, tuple[str, str]]:
    """ftrack id -> (AYON id, entity type) for the items of these lists only: contexts by
    ``ftrackId`` (folders and tasks), AssetVersions through the version match."""
    context_items: set[str] = set()
    version_items: set[str] = set()
    for ft in lists:
        (version_items if ft.system_type == VERSION_LIST else context_items).update(ft.items)
    entities: dict[str, tuple[str, str]] = {}
    if context_items:
        synced = ayon_extras.read_synced_by_ftrack_ids(
            conn.ayon(), ayon_project_name, context_items
        )
        entities.update({k: (v.ayon_id, v.entity_type) for k, v in synced.items()})
    if version_items:
        snapshot, requests, _ = _versions_snapshot(
            conn, ftrack_project_id, ayon_project_name, version_items, {}
        )
        outcome.ftrack_requests += requests
        for ftrack_id, match in match_versions(snapshot).items():
            entities[ftrack_id] = (match.ayon_id, "version")
    return entities
