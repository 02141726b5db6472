"""Activities of the full sync (ftrack -> AYON), one per phase.

Each one reads what it needs in bulk, plans with `sync/`, and writes in bulk. Retried, it
reads and plans again: whatever an earlier attempt wrote is then already in place (AYON ids
derive from ftrack ids), so nothing is duplicated and nothing is lost.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from ayon_ftrack_sync.activities.connections import Connections, temporal_errors
from ayon_ftrack_sync.activities.sync_context import load_context
from ayon_ftrack_sync.ayon.attributes import (
    ensure_link_attributes,
    require_link_attributes,
)
from ayon_ftrack_sync.ayon.reader import ProjectNotFound, read_project
from ayon_ftrack_sync.ayon.writer import apply_plan, operations_for
from ayon_ftrack_sync.config import AppConfig
from ayon_ftrack_sync.ftrack import (
    ensure_link_attributes as ensure_ftrack_link_attributes,
)
from ayon_ftrack_sync.ftrack import (
    find_project,
    read_schema,
    write_links,
)
from ayon_ftrack_sync.ftrack import (
    read_project as read_ftrack_project,
)
from ayon_ftrack_sync.ftrack.reader import LINK_KEYS
from ayon_ftrack_sync.payloads.full_sync import (
    MAX_LISTED_CONFLICTS,
    ConflictRecord,
    FullSyncInput,
    FullSyncReport,
    Phase,
    PhaseInput,
    PhaseResult,
    ProjectRef,
    ReportInput,
)
from ayon_ftrack_sync.sync.anatomy import plan_anatomy
from ayon_ftrack_sync.sync.hierarchy import PlanOptions, plan_hierarchy
from ayon_ftrack_sync.sync.plan import Plan
from ayon_ftrack_sync.sync.users import AyonUser, map_users

_PROJECT_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
PREVIEW_LINES = 60


class FullSyncActivities:
    """Bound to the worker's config; registered by `activities.build_activities`."""

    def __init__(self, config: AppConfig) -> None:
        self._config = config

    def all(self) -> list[Any]:
        return [self.prepare, self.anatomy, self.hierarchy, self.report]

    # -- prepare -----------------------------------------------------------------------------

    @activity.defn(name="full_sync.prepare")
    def prepare(self, request: FullSyncInput) -> ProjectRef:
        """Resolve both projects; make sure the link attributes exist on both sides."""
        with temporal_errors(), Connections(self._config) as conn:
            info = find_project(conn.ftrack(), request.ftrack_project_id)
            ayon_name = request.ayon_project_name or info.full_name
            _check_project_name(ayon_name)
            api = conn.ayon()
            created = False
            if api.get_project(ayon_name) is None:
                if not request.create_project:
                    raise ProjectNotFound(
                        f"AYON project {ayon_name!r} does not exist; run the resync with "
                        "--create-project (or the Prepare Project action) to create it"
                    )
                if not request.dry_run:
                    api.create_project(ayon_name, _project_code(info.name))
                    created = True
            ensure_link_attributes(api)
            require_link_attributes(api)
            if not request.dry_run:
                settings = conn.settings(ayon_name if not created else None)
                ensure_ftrack_link_attributes(conn.ftrack(), settings)
            return ProjectRef(
                ftrack_project_id=info.id,
                ftrack_name=info.name,
                ftrack_full_name=info.full_name,
                ayon_project_name=ayon_name,
                created=created,
            )

    # -- anatomy -----------------------------------------------------------------------------

    @activity.defn(name="full_sync.anatomy")
    def anatomy(self, request: PhaseInput) -> PhaseResult:
        """Folder types, task types and statuses from the ftrack project schema."""
        started = time.monotonic()
        with temporal_errors(), Connections(self._config) as conn:
            outcome = sync_anatomy(
                conn,
                request.project.ftrack_project_id,
                request.project.ayon_project_name,
                dry_run=request.dry_run,
            )
            conflicts = [
                ConflictRecord(
                    kind="invalid_type_name",
                    path=name,
                    detail="AYON type and status names allow letters, digits, space, _ and -",
                )
                for name in outcome.rejected
            ]
            return PhaseResult(
                phase=Phase.ANATOMY,
                counts=outcome.counts,
                conflicts=conflicts[:MAX_LISTED_CONFLICTS],
                conflicts_total=len(conflicts),
                ftrack_requests=outcome.ftrack_requests,
                ayon_requests=conn.ayon_counter.count,
                seconds=round(time.monotonic() - started, 3),
            )

    # -- hierarchy ---------------------------------------------------------------------------

    @activity.defn(name="full_sync.hierarchy")
    def hierarchy(self, request: PhaseInput) -> PhaseResult:
        """Folders, tasks, attributes, assignees and the write-back of ids to ftrack."""
        started = time.monotonic()
        with temporal_errors(), Connections(self._config) as conn:
            project = request.project
            clock = _Clock()
            activity.heartbeat({"step": "reading"})
            context = load_context(conn, project.ayon_project_name)
            settings, mapping, types = context.settings, context.mapping, context.attribute_types
            ayon_names = set(context.ayon_attributes)
            api = conn.ayon()
            session = conn.ftrack()
            ayon_users = [
                AyonUser(u["name"], (u.get("attrib") or {}).get("email"))
                for u in api.get_users(fields=["name", "attrib.email"])
            ]
            user_map: dict[str, str] = {}

            def assignee_names(ftrack_users: Any) -> dict[str, str]:
                user_map.update(map_users(ftrack_users, ayon_users))
                return user_map

            clock.lap("prepare")
            # the two reads are independent: run them side by side
            with ThreadPoolExecutor(max_workers=2, thread_name_prefix="full-sync-read") as pool:
                ftrack_future = pool.submit(
                    read_ftrack_project,
                    session,
                    project.ftrack_project_id,
                    mapping=mapping,
                    ayon_attribute_types=types,
                    map_users=assignee_names,
                )
                ayon_future = pool.submit(
                    read_project, api, project.ayon_project_name, attributes=ayon_names
                )
                ftrack_read, ayon_read = ftrack_future.result(), ayon_future.result()
            clock.laps["read_ftrack_alone"] = ftrack_read.seconds
            ftrack = ftrack_read.project  # assignees mapped while reading
            clock.lap("read")
            plan = plan_hierarchy(
                ftrack,
                ayon_read.project,
                PlanOptions(
                    deactivate_ayon_only=context.deactivate_ayon_only,
                    linked_ayon_users=frozenset(user_map.values()),
                ),
            )
            clock.lap("plan")
            activity.heartbeat({"step": "planned", **plan.summary()})
            counts = plan.summary()
            ftrack_requests = ftrack_read.requests + 2
            preview: list[str] = []
            if request.dry_run:
                preview = _preview(plan, ayon_read.project.nodes)
            else:
                apply_plan(
                    api,
                    project.ayon_project_name,
                    plan,
                    on_chunk=lambda done, total: activity.heartbeat(
                        {"step": "writing AYON", "chunk": done, "chunks": total}
                    ),
                )
                # prepare ensured these; the read already found their configurations
                config_ids = dict(ftrack_read.link_configuration_ids)
                if not set(LINK_KEYS) <= set(config_ids):
                    config_ids = ensure_ftrack_link_attributes(session, settings)
                written = write_links(session, plan.ftrack_writes, config_ids)
                ftrack_requests += written.requests
                counts["ftrack_write_failures"] = len(written.failed)
            clock.lap("write")
            conflicts = [
                ConflictRecord(
                    kind=c.kind.value, path=c.path, detail=c.detail, ftrack_id=c.ftrack_id
                )
                for c in plan.conflicts
            ]
            conflicts += [
                ConflictRecord(
                    kind="conversion", path=p.attribute, detail=p.message, ftrack_id=p.ftrack_id
                )
                for p in ftrack_read.problems
            ]
            return PhaseResult(
                phase=Phase.HIERARCHY,
                counts=counts,
                conflicts=conflicts[:MAX_LISTED_CONFLICTS],
                conflicts_total=len(conflicts),
                ftrack_requests=ftrack_requests,
                ayon_requests=conn.ayon_counter.count,
                seconds=round(time.monotonic() - started, 3),
                timings=clock.laps,
                preview=preview,
            )

    # -- report ------------------------------------------------------------------------------

    @activity.defn(name="full_sync.report")
    def report(self, request: ReportInput) -> FullSyncReport:
        """Write the report as an AYON event (visible in AYON's event viewer)."""
        report = request.report
        with temporal_errors(), Connections(self._config) as conn:
            totals = report.totals()
            verb = "would change" if report.dry_run else "changed"
            description = (
                f"ftrack full sync of {report.project.ftrack_full_name}: {verb} "
                f"{totals.get('created', 0)} created, {totals.get('updated', 0)} updated, "
                f"{totals.get('deactivated', 0)} deactivated; {totals['conflicts']} conflicts"
            )
            try:
                event = conn.ayon().dispatch_event(
                    "ftrack.sync.report",
                    sender=self._config.ayon.sender,
                    project_name=report.project.ayon_project_name,
                    description=description,
                    summary={k: v for k, v in totals.items()},
                    payload=report.model_dump(mode="json"),
                    finished=True,
                    store=True,
                )
            except Exception as exc:  # the sync happened; a lost report must not undo it
                activity.logger.warning("could not write the report event: %s", exc)
                return report
            data = getattr(event, "data", None)
            event_id = data.get("id") if isinstance(data, Mapping) else None
            return report.model_copy(update={"ayon_event_id": event_id})


@dataclasses.dataclass(frozen=True, slots=True)
class AnatomyOutcome:
    counts: dict[str, int]
    #: ftrack type and status names AYON cannot take
    rejected: list[str]
    ftrack_requests: int


def sync_anatomy(
    conn: Connections, ftrack_project_id: str, project_name: str, *, dry_run: bool = False
) -> AnatomyOutcome:
    """Folder types, task types and statuses of the AYON project from the ftrack schema.

    Shared by the full sync and the incremental sync (which runs it when a change brings a
    type or status the AYON project lacks)."""
    _, schema, ftrack_requests = read_schema(conn.ftrack(), ftrack_project_id)
    api = conn.ayon()
    project = api.get_project(project_name)
    if project is None:
        raise ProjectNotFound(f"AYON project {project_name!r} does not exist")
    folder_types = project.get("folderTypes") or []
    task_types = project.get("taskTypes") or []
    # only types ftrack lacks can be dropped: ask AYON whether those are in use
    unknown_folder = _absent(folder_types, schema.object_types)
    unknown_task = _absent(task_types, schema.task_types)
    used_folder: set[str] = set()
    if unknown_folder:
        used_folder = {
            f["folderType"]
            for f in api.get_folders(
                project_name, folder_types=unknown_folder, fields=["folderType"], active=None
            )
        }
    used_task: set[str] = set()
    if unknown_task:
        used_task = {
            t["taskType"]
            for t in api.get_tasks(
                project_name, task_types=unknown_task, fields=["taskType"], active=None
            )
        }
    plan = plan_anatomy(
        object_types=schema.object_types,
        task_types=schema.task_types,
        statuses=schema.statuses,
        ayon_folder_types=folder_types,
        ayon_task_types=task_types,
        ayon_statuses=project.get("statuses") or [],
        used_folder_types=used_folder,
        used_task_types=used_task,
    )
    counts = {
        "folder_types": len(plan.folder_types or []),
        "task_types": len(plan.task_types or []),
        "statuses": len(plan.statuses or []),
        "anatomy_changed": 0 if plan.is_empty else 1,
    }
    if not plan.is_empty and not dry_run:
        api.update_project(
            project_name,
            folder_types=plan.folder_types,
            task_types=plan.task_types,
            statuses=plan.statuses,
        )
    return AnatomyOutcome(counts, list(plan.rejected), ftrack_requests)


class _Clock:
    """Lap times of an activity's steps."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.monotonic()

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.laps[name] = round(now - self._last, 3)
        self._last = now


def _absent(ayon_types: list[dict[str, Any]], ftrack_names: tuple[str, ...]) -> list[str]:
    wanted = {name.lower() for name in ftrack_names}
    return [str(t["name"]) for t in ayon_types if str(t["name"]).lower() not in wanted]


def with_assignees(
    ftrack: Any, assignments: Mapping[str, frozenset[str]], user_map: Mapping[str, str]
) -> Any:
    nodes = {}
    for node_id, node in ftrack.nodes.items():
        users = assignments.get(node_id)
        if users:
            node = dataclasses.replace(
                node, assignees=frozenset(user_map[u] for u in users if u in user_map)
            )
        nodes[node_id] = node
    return dataclasses.replace(ftrack, nodes=nodes)


def _check_project_name(name: str) -> None:
    if not name or not set(name) <= _PROJECT_NAME_CHARS:
        raise ApplicationError(
            f"AYON project names allow only letters, digits and _: {name!r} does not fit; "
            "rename the ftrack project's full name or pass the AYON project name",
            type="InvalidProjectName",
            non_retryable=True,
        )


def _project_code(code: str) -> str:
    cleaned = "".join(ch for ch in code if ch in _PROJECT_NAME_CHARS)
    return cleaned if len(cleaned) >= 2 else f"{cleaned}prj"


def _preview(plan: Plan, nodes: Mapping[str, Any]) -> list[str]:
    """Readable lines of what a dry run would do (bounded)."""
    lines: list[str] = []
    for op in operations_for(plan)[:PREVIEW_LINES]:
        data = op.get("data") or {}
        target = data.get("name") or getattr(nodes.get(op["entityId"]), "name", op["entityId"])
        details = ", ".join(f"{k}={v!r}" for k, v in data.items() if k not in {"id", "name"})
        lines.append(f"{op['type']} {op['entityType']} {target}: {details}"[:300])
    remaining = len(plan.creates) + len(plan.updates) - len(lines)
    if remaining > 0:
        lines.append(f"... and {remaining} more AYON operation(s)")
    if plan.ftrack_writes:
        lines.append(f"{len(plan.ftrack_writes)} ftrack link attribute write(s)")
    return lines
