"""Full-sync phases after the hierarchy: links, version statuses, lists (ftrack -> AYON).

They run after ``full_sync.hierarchy`` because they need its result: AYON folders and tasks
linked to ftrack through ``ftrackId``. Each reads both sides in bulk, plans with ``sync/``
(pure), writes in bulk and returns a ``PhaseResult`` whose counts are prefixed with the phase
(``links.``, ``versions.``, ``lists.``). Retried, a phase reads and plans again, so what an
earlier attempt wrote is found in place (new AYON list ids derive from ftrack ids; links and
statuses are diffs).

Order: ``links`` and ``versions`` are independent; ``lists`` should run after ``versions``
(version lists use the same version matching, and then find the ``ayon_id`` values that
phase wrote back).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from temporalio import activity

from ayon_ftrack_sync.activities.connections import Connections, temporal_errors
from ayon_ftrack_sync.ayon import extras as ayon_extras
from ayon_ftrack_sync.ayon.reader import ProjectNotFound
from ayon_ftrack_sync.config import AppConfig
from ayon_ftrack_sync.ftrack import extras as ftrack_extras
from ayon_ftrack_sync.payloads.full_sync import (
    MAX_LISTED_CONFLICTS,
    ConflictRecord,
    Phase,
    PhaseInput,
    PhaseResult,
)
from ayon_ftrack_sync.sync.links import LinksSkip, LinksSnapshot, plan_links
from ayon_ftrack_sync.sync.lists import ListsSnapshot, plan_lists
from ayon_ftrack_sync.sync.versions import (
    VersionsPlan,
    VersionsSnapshot,
    match_versions,
    plan_versions,
    status_map,
)

PREVIEW_LINES = 60
#: until the lead adds dedicated `Phase` values, the phase name is the counts' prefix


class FullSyncExtrasActivities:
    """Bound to the worker's config, like ``FullSyncActivities``."""

    def __init__(self, config: AppConfig) -> None:
        self._config = config

    def all(self) -> list[Any]:
        return [self.links, self.versions, self.lists]

    # -- links -------------------------------------------------------------------------------

    @activity.defn(name="full_sync.links")
    def links(self, request: PhaseInput) -> PhaseResult:
        """ftrack TypedContextLinks between synced folders -> missing AYON links."""
        started = time.monotonic()
        with temporal_errors(), Connections(self._config) as conn:
            project = request.project
            settings = conn.settings(project.ayon_project_name)
            link_type = settings.service_event_handlers.sync_from_ftrack.link_type
            if link_type is None:
                return _result(
                    Phase.LINKS,
                    {"links.disabled": 1},
                    ayon_requests=conn.ayon_counter.count,
                    started=started,
                )
            api = conn.ayon()
            _require_project(api, project.ayon_project_name)
            activity.heartbeat({"step": "reading"})
            link_types = ayon_extras.read_link_types(api, project.ayon_project_name)
            snapshot = LinksSnapshot(link_type, link_types, (), {})
            plan = plan_links(snapshot)
            ftrack_requests = 0
            if plan.skipped is None:
                read = ftrack_extras.read_links(conn.ftrack(), project.ftrack_project_id)
                ftrack_requests = read.requests
                synced = ayon_extras.read_synced_entities(api, project.ayon_project_name)
                snapshot = LinksSnapshot(
                    link_type,
                    link_types,
                    read.links,
                    {k: v.ayon_id for k, v in synced.items() if v.entity_type == "folder"},
                    ayon_extras.read_folder_links(api, project.ayon_project_name, link_type),
                )
                plan = plan_links(snapshot)
            activity.heartbeat({"step": "planned", **plan.summary()})
            conflicts = []
            if plan.skipped is LinksSkip.MISSING_TYPE:
                conflicts.append(
                    ConflictRecord(
                        kind="missing_link_type",
                        path=link_type,
                        detail=(
                            f"link type {link_type!r} (folder -> folder) does not exist on "
                            "the AYON project: links were not synced; add it to the project "
                            "anatomy or change sync_from_ftrack.sync_link_type"
                        ),
                    )
                )
            preview = [
                f"create link {plan.link_type} {c.input_id} -> {c.output_id}"
                for c in plan.creates[:PREVIEW_LINES]
            ]
            if plan.creates and not request.dry_run and plan.link_type:
                ayon_extras.create_links(
                    api, project.ayon_project_name, plan.link_type, plan.creates
                )
            return _result(
                Phase.LINKS,
                plan.summary(),
                conflicts=conflicts,
                ftrack_requests=ftrack_requests,
                ayon_requests=conn.ayon_counter.count,
                started=started,
                preview=preview if request.dry_run else [],
            )

    # -- versions ----------------------------------------------------------------------------

    @activity.defn(name="full_sync.versions")
    def versions(self, request: PhaseInput) -> PhaseResult:
        """AYON version statuses from ftrack AssetVersions (``sync_versions``), plus the
        write-back of matched ids to ``ayon_id`` on the AssetVersions."""
        started = time.monotonic()
        with temporal_errors(), Connections(self._config) as conn:
            project = request.project
            settings = conn.settings(project.ayon_project_name)
            if not settings.service_event_handlers.sync_from_ftrack.sync_versions:
                return _result(
                    Phase.VERSIONS,
                    {"versions.disabled": 1},
                    ayon_requests=conn.ayon_counter.count,
                    started=started,
                )
            api = conn.ayon()
            ayon_project = _require_project(api, project.ayon_project_name)
            activity.heartbeat({"step": "reading"})
            snapshot, ftrack_requests, conf_id = _versions_snapshot(
                conn, project.ftrack_project_id, project.ayon_project_name, ayon_project
            )
            plan = plan_versions(snapshot)
            counts = plan.summary()
            activity.heartbeat({"step": "planned", **counts})
            conflicts = [
                ConflictRecord(
                    kind="unknown_version_status",
                    path=name,
                    detail="no AYON status of this name is valid for versions",
                )
                for name in plan.unknown_statuses
            ]
            if not request.dry_run:
                if plan.updates:
                    ayon_extras.update_versions(
                        api,
                        project.ayon_project_name,
                        plan.updates,
                        on_chunk=lambda done, total: activity.heartbeat(
                            {"step": "writing AYON", "chunk": done, "chunks": total}
                        ),
                    )
                if plan.ftrack_writes and conf_id:
                    written = ftrack_extras.write_version_ids(
                        conn.ftrack(), plan.ftrack_writes, conf_id
                    )
                    ftrack_requests += written.requests
                    counts["versions.ftrack_write_failures"] = len(written.failed)
            return _result(
                Phase.VERSIONS,
                counts,
                conflicts=conflicts,
                ftrack_requests=ftrack_requests,
                ayon_requests=conn.ayon_counter.count,
                started=started,
                preview=_versions_preview(plan) if request.dry_run else [],
            )

    # -- lists -------------------------------------------------------------------------------

    @activity.defn(name="full_sync.lists")
    def lists(self, request: PhaseInput) -> PhaseResult:
        """ftrack TypedContextList / AssetVersionList -> AYON entity lists (always on, as in
        the original; AYON lists are never deleted)."""
        started = time.monotonic()
        with temporal_errors(), Connections(self._config) as conn:
            project = request.project
            api = conn.ayon()
            ayon_project = _require_project(api, project.ayon_project_name)
            activity.heartbeat({"step": "reading"})
            read = ftrack_extras.read_lists(conn.ftrack(), project.ftrack_project_id)
            ftrack_requests = read.requests
            if not read.lists:
                return _result(
                    Phase.LISTS,
                    {"lists.created": 0},
                    ftrack_requests=ftrack_requests,
                    ayon_requests=conn.ayon_counter.count,
                    started=started,
                )
            synced = ayon_extras.read_synced_entities(api, project.ayon_project_name)
            entities: dict[str, tuple[str, str]] = {
                k: (v.ayon_id, v.entity_type) for k, v in synced.items()
            }
            version_items = {
                item for ft in read.lists if ft.system_type == "assetversion" for item in ft.items
            }
            if version_items:
                snapshot, requests, _ = _versions_snapshot(
                    conn,
                    project.ftrack_project_id,
                    project.ayon_project_name,
                    ayon_project,
                    version_ids=version_items,
                    synced=synced,
                )
                ftrack_requests += requests
                for ftrack_id, match in match_versions(snapshot).items():
                    entities[ftrack_id] = (match.ayon_id, "version")
            current = ayon_extras.read_entity_lists(api, project.ayon_project_name)
            plan = plan_lists(ListsSnapshot(read.lists, current, entities))
            counts = plan.summary()
            activity.heartbeat({"step": "planned", **counts})
            conflicts = [
                ConflictRecord(
                    kind=f"list_{skip.reason.value}",
                    path=skip.name,
                    detail=skip.detail,
                    ftrack_id=skip.ftrack_id,
                )
                for skip in plan.skipped
            ]
            preview = [
                f"create {c.entity_type} list {c.label!r} ({len(c.entity_ids)} items)"
                for c in plan.creates
            ]
            preview += [
                f"update list {u.id}: label={u.label!r} +{len(u.add)} -{len(u.remove)}"
                for u in plan.updates
            ]
            if not request.dry_run and not plan.is_empty:
                ayon_extras.write_lists(
                    api,
                    project.ayon_project_name,
                    plan,
                    {ay.id: ay for ay in current},
                    on_list=lambda done, total: activity.heartbeat(
                        {"step": "writing AYON", "list": done, "lists": total}
                    ),
                )
            return _result(
                Phase.LISTS,
                counts,
                conflicts=conflicts,
                ftrack_requests=ftrack_requests,
                ayon_requests=conn.ayon_counter.count,
                started=started,
                preview=preview[:PREVIEW_LINES] if request.dry_run else [],
            )


def _require_project(api: Any, project_name: str) -> Mapping[str, Any]:
    project = api.get_project(project_name)
    if not project:
        raise ProjectNotFound(f"AYON project {project_name!r} does not exist")
    return dict(project)


def _versions_snapshot(
    conn: Connections,
    ftrack_project_id: str,
    ayon_project_name: str,
    ayon_project: Mapping[str, Any],
    *,
    version_ids: set[str] | None = None,
    synced: Mapping[str, ayon_extras.SyncedEntity] | None = None,
) -> tuple[VersionsSnapshot, int, str | None]:
    """Both sides of version matching; returns the snapshot, ftrack requests and the
    configuration id of ``ayon_id``."""
    api = conn.ayon()
    read = ftrack_extras.read_versions(conn.ftrack(), ftrack_project_id, version_ids=version_ids)
    if synced is None:
        synced = ayon_extras.read_synced_entities(api, ayon_project_name)
    folders = {k: v.ayon_id for k, v in synced.items() if v.entity_type == "folder"}
    in_scope = tuple(v for v in read.versions if v.context_id in folders)
    snapshot = VersionsSnapshot(
        ftrack=in_scope,
        ayon=ayon_extras.read_versions(api, ayon_project_name),
        folders=folders,
        statuses=status_map(ayon_project.get("statuses") or []),
    )
    return snapshot, read.requests, read.ayon_id_conf


def _versions_preview(plan: VersionsPlan) -> list[str]:
    lines = [
        f"update version {u.id}: status={u.status!r} ftrackId={u.ftrack_id!r}"
        for u in plan.updates[:PREVIEW_LINES]
    ]
    if plan.ftrack_writes:
        lines.append(f"{len(plan.ftrack_writes)} ftrack ayon_id write(s) on AssetVersions")
    return lines


def _result(
    phase: Phase,
    counts: dict[str, int],
    *,
    started: float,
    conflicts: list[ConflictRecord] | None = None,
    ftrack_requests: int = 0,
    ayon_requests: int = 0,
    preview: list[str] | None = None,
) -> PhaseResult:
    conflicts = conflicts or []
    return PhaseResult(
        phase=phase,
        counts=counts,
        conflicts=conflicts[:MAX_LISTED_CONFLICTS],
        conflicts_total=len(conflicts),
        ftrack_requests=ftrack_requests,
        ayon_requests=ayon_requests,
        seconds=round(time.monotonic() - started, 3),
        preview=preview or [],
    )
