"""Read one ftrack project into an ``FtrackProject`` snapshot, in bulk.

The original full sync made about one request per entity (lazy attribute loads of
``ftrack_api`` entities); this reader makes a handful per thousand entities:

1. one batch: the project, custom attribute configurations, object types, task types,
   statuses, users;
2. then batches that each carry the next page of ``TypedContext`` rows of the project (one
   projection, no lazy loads) together with the custom attribute values (only explicitly
   stored ones: the table is sparse) and task appointments of the page before, plus the
   project schema (workflows, overrides, object and task types).

Values of mapped custom attributes are converted to the AYON attribute types here; a value
that does not fit is recorded as a problem, not raised, so one bad value never blocks a sync.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ayon_ftrack_sync.settings.attribute_mapping import (
    AttributeMapping,
    FtrackAttrConf,
    entity_kind,
)
from ayon_ftrack_sync.sync.anatomy import FtrackStatus
from ayon_ftrack_sync.sync.model import FtrackNode, FtrackProject, Kind
from ayon_ftrack_sync.sync.plan import FtrackKey
from ayon_ftrack_sync.sync.users import FtrackUser
from ayon_ftrack_sync.sync.values import ConversionError, ftrack_day, to_ayon

from .errors import FtrackProjectNotFound
from .transport import FtrackApi, Query, QueryRunner, Row, quote, quote_list

log = logging.getLogger(__name__)

#: ftrack fields synced as AYON attributes (seed_features.md 3.0), by AYON attribute name.
FIELD_ATTRIBUTES = {"startDate": "start_date", "endDate": "end_date", "description": "description"}
LINK_KEYS = tuple(key.value for key in FtrackKey)
#: object types that are never synced (seed_features 3.0: gateways filter Milestones out).
SKIPPED_OBJECT_TYPES = frozenset({"milestone"})

_AYON_ID, _AYON_PATH, _SYNC_FAILED = (
    FtrackKey.AYON_ID.value,
    FtrackKey.AYON_PATH.value,
    FtrackKey.SYNC_FAILED.value,
)

_NO_ASSIGNEES: frozenset[str] = frozenset()

_CONTEXT_FIELDS = (
    "id, name, parent_id, object_type_id, type_id, status_id, start_date, end_date, description"
)


@dataclass(frozen=True, slots=True)
class ConversionProblem:
    """A stored ftrack value that could not become the AYON attribute's type."""

    ftrack_id: str
    attribute: str
    message: str


@dataclass(frozen=True, slots=True)
class FtrackSchemaInfo:
    """What the project schema offers: names for anatomy planning (``sync.anatomy``)."""

    object_types: tuple[str, ...]
    task_types: tuple[str, ...]
    statuses: tuple[FtrackStatus, ...]


@dataclass(frozen=True, slots=True)
class FtrackProjectInfo:
    """An ftrack project's identity: `name` is its code, `full_name` the AYON project name."""

    id: str
    name: str
    full_name: str


@dataclass(frozen=True, slots=True)
class FtrackRead:
    """Everything a full sync needs from ftrack about one project."""

    project: FtrackProject
    #: ftrack project ``name`` (the AYON project code); ``project.name`` is ``full_name``
    code: str
    #: the project's own explicit values of mapped attributes (AYON name -> AYON value)
    project_attributes: Mapping[str, Any]
    schema: FtrackSchemaInfo
    users: tuple[FtrackUser, ...]
    #: task id -> ftrack user ids of its ``assignment`` appointments (mapped or not)
    assignments: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: configuration ids of the link attributes found (ayon_id, ayon_path, ayon_sync_failed)
    link_configuration_ids: Mapping[str, str] = field(default_factory=dict)
    problems: tuple[ConversionProblem, ...] = ()
    #: HTTP requests this read made
    requests: int = 0
    seconds: float = 0.0


def find_project(session: Any, project: str) -> FtrackProjectInfo:
    """The project with this id, name or full name (one request)."""
    api = FtrackApi(session)
    literal = quote(project)
    rows = QueryRunner(api).fetch(
        "select id, name, full_name from Project "
        f"where id is {literal} or name is {literal} or full_name is {literal}"
    )
    found = _pick_project(rows, project)
    return FtrackProjectInfo(
        id=str(found["id"]), name=str(found["name"]), full_name=str(found.get("full_name") or "")
    )


def read_schema(session: Any, project: str) -> tuple[FtrackProjectInfo, FtrackSchemaInfo, int]:
    """Project schema only (types, statuses with scopes): a few requests, no entities.

    Returns the project, the schema and the number of requests made."""
    reader = _ProjectReader(FtrackApi(session), AttributeMapping([]), {}, {}, 1000, 500)
    info, schema = reader.read_schema(project)
    return info, schema, reader.api.requests


def read_attribute_configurations(session: Any) -> list[FtrackAttrConf]:
    """Every custom attribute configuration, as ``resolve_attribute_mapping`` takes them."""
    runner = QueryRunner(FtrackApi(session))
    return [_conf(row) for row in runner.fetch(_CONF_QUERY)]


_CONF_QUERY = (
    "select id, key, entity_type, object_type_id, is_hierarchical, project_id, group.name "
    "from CustomAttributeConfiguration order by id"
)


def _conf(row: Row) -> FtrackAttrConf:
    group = row.get("group") or {}
    return FtrackAttrConf(
        id=str(row["id"]),
        key=str(row["key"]),
        is_hierarchical=bool(row.get("is_hierarchical")),
        entity_type=str(row.get("entity_type") or "show"),
        object_type_id=row.get("object_type_id") or None,
        group=group.get("name") if isinstance(group, dict) else None,
    )


def read_project(
    session: Any,
    project: str,
    *,
    mapping: AttributeMapping,
    ayon_attribute_types: Mapping[str, str],
    user_map: Mapping[str, str] | None = None,
    page_size: int = 2500,
    id_chunk: int = 500,
    map_users: Callable[[Sequence[FtrackUser]], Mapping[str, str]] | None = None,
) -> FtrackRead:
    """Snapshot of one ftrack project (``project`` = its id, name or full name).

    ``mapping`` comes from ``resolve_attribute_mapping``; ``ayon_attribute_types`` maps AYON
    attribute names to their types (``integer``, ``float``, ``datetime``...);
    ``user_map`` maps ftrack user ids to AYON user names (unmapped assignees are left out);
    or ``map_users`` builds it from the ftrack users this read finds (saves a pass over the
    snapshot afterwards).
    ``page_size`` rows per hierarchy page; ``id_chunk`` ids at most per ``in (...)`` list (the
    value queries also keep ids x configurations under 5,000, as the original did). Queries of
    one round share a request, so these bound response sizes, not the request count.
    """
    started = time.perf_counter()
    reader = _ProjectReader(
        FtrackApi(session), mapping, ayon_attribute_types, user_map or {}, page_size, id_chunk
    )
    reader.map_users = map_users
    result = reader.read(project)
    seconds = round(time.perf_counter() - started, 3)
    log.info(
        "ftrack project read",
        extra={
            "ftrack_project": result.project.id,
            "entities": len(result.project.nodes),
            "requests": reader.api.requests,
            "seconds": seconds,
            "conversion_problems": len(result.problems),
        },
    )
    return dataclasses.replace(result, requests=reader.api.requests, seconds=seconds)


@dataclass(slots=True)
class _Row:
    """A TypedContext as read, before custom attribute values and assignees are known."""

    id: str
    name: str
    parent_id: str
    kind: Kind
    type_name: str
    status: str | None
    kind_key: tuple[str, str | None]
    attributes: dict[str, Any]
    stored: dict[str, Any] = field(default_factory=dict)


class _ProjectReader:
    """One read: the queries' handlers fill these tables; ``read`` assembles the snapshot."""

    def __init__(
        self,
        api: FtrackApi,
        mapping: AttributeMapping,
        ayon_types: Mapping[str, str],
        user_map: Mapping[str, str],
        page_size: int,
        id_chunk: int,
    ) -> None:
        self.api = api
        self.runner = QueryRunner(api)
        self.mapping = mapping
        self.ayon_types = ayon_types
        self.user_map = user_map
        self.map_users: Callable[[Sequence[FtrackUser]], Mapping[str, str]] | None = None
        self.page_size = max(1, page_size)
        self.id_chunk = max(1, id_chunk)
        self.problems: list[ConversionProblem] = []
        self.rows: dict[str, _Row] = {}
        self.assignments: dict[str, set[str]] = {}
        self.project_values: dict[str, Any] = {}
        # per entity kind: configuration id -> AYON names it feeds
        self._kind_confs: dict[tuple[str, str | None], dict[str, list[str]]] = {}
        self._kind_mapped: dict[tuple[str, str | None], frozenset[str]] = {}
        self.link_conf_ids: dict[str, str] = {}
        self.value_conf_ids: list[str] = []
        # schema pieces
        self.object_types: dict[str, str] = {}
        self.type_names: dict[str, str] = {}
        self.statuses: dict[str, Row] = {}
        self.schema_object_type_ids: list[str] = []
        self.schema_rows: list[Row] = []
        self.schema_status_rows: list[Row] = []
        self.override_rows: list[Row] = []
        self.workflow_status_rows: list[Row] = []
        self.task_type_ids: list[str] = []
        self.project_schema: Row = {}
        # per-read memos of the row handlers (same answers for the same inputs)
        self._type_memo: dict[tuple[Any, Any, Any], tuple[Kind, str, tuple[str, str | None]]] = {}
        self._status_memo: dict[Any, str | None] = {}
        self._field_types: list[tuple[str, str]] | None = None

    # -- orchestration ----------------------------------------------------------------------
    def read_schema(self, project: str) -> tuple[FtrackProjectInfo, FtrackSchemaInfo]:
        projects: list[Row] = []
        statuses: list[Row] = []
        object_types: list[Row] = []
        types: list[Row] = []
        literal = quote(project)
        self.runner.add(
            Query(
                "select id, name, full_name, project_schema_id from Project "
                f"where id is {literal} or name is {literal} or full_name is {literal}",
                projects.extend,
            )
        )
        self.runner.add(Query("select id, name from ObjectType", object_types.extend))
        self.runner.add(Query("select id, name from Type", types.extend))
        self.runner.add(
            Query("select id, name, color, sort, state.name from Status", statuses.extend)
        )
        self.runner.run()
        found = _pick_project(projects, project)
        self.object_types = {str(r["id"]): str(r["name"]) for r in object_types}
        self.type_names = {str(r["id"]): str(r["name"]) for r in types}
        self.statuses = {str(r["id"]): r for r in statuses}
        schema_id = found.get("project_schema_id")
        if schema_id:
            self._queue_schema(str(schema_id))
            self.runner.run()
        info = FtrackProjectInfo(
            id=str(found["id"]),
            name=str(found["name"]),
            full_name=str(found.get("full_name") or ""),
        )
        return info, self._schema_info()

    def read(self, project: str) -> FtrackRead:
        projects: list[Row] = []
        confs: list[Row] = []
        users: list[Row] = []
        statuses: list[Row] = []
        object_types: list[Row] = []
        types: list[Row] = []
        literal = quote(project)
        self.runner.add(
            Query(
                "select id, name, full_name, project_schema_id, start_date, end_date "
                f"from Project where id is {literal} or name is {literal} "
                f"or full_name is {literal}",
                projects.extend,
            )
        )
        self.runner.add(Query(_CONF_QUERY, confs.extend))
        self.runner.add(Query("select id, name from ObjectType", object_types.extend))
        self.runner.add(Query("select id, name from Type", types.extend))
        self.runner.add(
            Query("select id, name, color, sort, state.name from Status", statuses.extend)
        )
        self.runner.add(Query("select id, username, email from User order by id", users.extend))
        self.runner.run()
        if self.map_users is not None:
            self.user_map = dict(self.map_users(_users(users)))

        found = _pick_project(projects, project)
        project_id = str(found["id"])
        self.object_types = {str(r["id"]): str(r["name"]) for r in object_types}
        self.type_names = {str(r["id"]): str(r["name"]) for r in types}
        self.statuses = {str(r["id"]): r for r in statuses}
        self._prepare_confs([_conf(row) for row in confs])

        schema_id = found.get("project_schema_id")
        if schema_id:
            self._queue_schema(str(schema_id))
        skipped = [i for i, n in self.object_types.items() if n.lower() in SKIPPED_OBJECT_TYPES]
        condition = f"project_id is {quote(project_id)}"
        if skipped:
            condition += f" and object_type_id not_in {quote_list(skipped)}"
        self.runner.add(
            Query(
                f"select {_CONTEXT_FIELDS} from TypedContext where {condition} order by id",
                self._on_contexts,
                self.page_size,
            )
        )
        self._queue_values([project_id])
        self.runner.run()

        nodes = {row.id: self._node(row) for row in self.rows.values()}
        return FtrackRead(
            project=FtrackProject(
                id=project_id, name=str(found.get("full_name") or found["name"]), nodes=nodes
            ),
            code=str(found["name"]),
            project_attributes=self._project_attributes(found),
            schema=self._schema_info(),
            users=_users(users),
            assignments={k: frozenset(v) for k, v in self.assignments.items()},
            link_configuration_ids=dict(self.link_conf_ids),
            problems=tuple(self.problems),
        )

    # -- custom attribute configurations ----------------------------------------------------
    def _prepare_confs(self, confs: Sequence[FtrackAttrConf]) -> None:
        for conf in confs:
            if (
                conf.key in LINK_KEYS
                and conf.is_hierarchical
                and conf.key not in self.link_conf_ids
            ):
                self.link_conf_ids[conf.key] = conf.id
        wanted = {c.id for item in self.mapping.values() for c in item.confs}
        wanted.update(self.link_conf_ids.values())
        self.value_conf_ids = sorted(wanted)

    def _kind(self, kind: tuple[str, str | None]) -> tuple[dict[str, list[str]], frozenset[str]]:
        """conf id -> AYON names, and the AYON names with a source, for one entity kind."""
        if kind not in self._kind_confs:
            by_conf: dict[str, list[str]] = {}
            for name in self.mapping:
                conf = self.mapping.conf_for(name, *kind)
                if conf is not None:
                    by_conf.setdefault(conf.id, []).append(name)
            mapped = {name for names in by_conf.values() for name in names}
            if kind[0] == "task":
                mapped.update(n for n in FIELD_ATTRIBUTES if n in self.ayon_types)
            self._kind_confs[kind] = by_conf
            self._kind_mapped[kind] = frozenset(mapped)
        return self._kind_confs[kind], self._kind_mapped[kind]

    # -- hierarchy pages --------------------------------------------------------------------
    def _on_contexts(self, page: list[Row]) -> None:
        task_ids: list[str] = []
        rows = self.rows
        type_memo = self._type_memo
        status_memo = self._status_memo
        for raw in page:
            get = raw.get
            object_type_id, type_id = get("object_type_id"), get("type_id")
            entity_type = get("__entity_type__")
            typing = type_memo.get((object_type_id, type_id, entity_type))
            if typing is None:
                typing = type_memo[object_type_id, type_id, entity_type] = self._typing(raw)
            kind, type_name, kind_key = typing
            status_id = get("status_id")
            if status_id in status_memo:
                status = status_memo[status_id]
            else:
                found = self.statuses.get(str(status_id))
                status = status_memo[status_id] = str(found["name"]) if found else None
            row = _Row(
                id=str(raw["id"]),
                name=str(get("name") or ""),
                parent_id=str(get("parent_id") or ""),
                kind=kind,
                type_name=type_name,
                status=status,
                kind_key=kind_key,
                attributes={},
            )
            if kind is Kind.TASK:
                task_ids.append(row.id)
            self._read_fields(row, raw)
            rows[row.id] = row
        self._queue_values([str(raw["id"]) for raw in page])
        for chunk in _chunks(task_ids, self.id_chunk):
            self.runner.add(
                Query(
                    "select id, context_id, resource_id from Appointment where "
                    f'type is "assignment" and context_id in {quote_list(chunk)} order by id',
                    self._on_appointments,
                    self.page_size,
                )
            )

    def _typing(self, raw: Row) -> tuple[Kind, str, tuple[str, str | None]]:
        """Kind, type name and configuration kind of a TypedContext row (depends only on its
        object type, type and entity type)."""
        object_type = self.object_types.get(str(raw.get("object_type_id")), "")
        kind = Kind.TASK if object_type.lower() == "task" else Kind.FOLDER
        if kind is Kind.TASK:
            type_name = self.type_names.get(str(raw.get("type_id")), "")
        else:
            type_name = object_type or str(raw.get("__entity_type__") or "")
        kind_key = entity_kind(
            str(raw.get("__entity_type__") or ""),
            context_type="task",
            object_type_id=raw.get("object_type_id"),
        )
        return kind, type_name, kind_key

    def _read_fields(self, row: _Row, raw: Row) -> None:
        field_types = self._field_types
        if field_types is None:
            field_types = self._field_types = [
                (ayon_name, ftrack_field)
                for ayon_name, ftrack_field in FIELD_ATTRIBUTES.items()
                if self.ayon_types.get(ayon_name) is not None
            ]
        for ayon_name, ftrack_field in field_types:
            value = raw.get(ftrack_field)
            if value is None or value == "":
                continue
            if isinstance(value, datetime):
                value = ftrack_day(value)
            self._set(row.id, row.attributes, ayon_name, value)

    def _set(self, entity_id: str, target: dict[str, Any], name: str, value: Any) -> None:
        try:
            converted = to_ayon(value, self.ayon_types.get(name, ""), attribute=name)
        except ConversionError as exc:
            self.problems.append(ConversionProblem(entity_id, name, str(exc)))
            return
        if converted is not None:
            target[name] = converted

    # -- custom attribute values ------------------------------------------------------------
    def _queue_values(self, entity_ids: Sequence[str]) -> None:
        if not self.value_conf_ids or not entity_ids:
            return
        # as the original: keep (ids x configurations) per query bounded
        per_query = max(50, 5000 // len(self.value_conf_ids))
        confs = quote_list(self.value_conf_ids)
        for chunk in _chunks(list(entity_ids), min(per_query, self.id_chunk)):
            self.runner.add(
                Query(
                    "select configuration_id, entity_id, value from CustomAttributeValue "
                    f"where configuration_id in {confs} and entity_id in {quote_list(chunk)} "
                    "order by entity_id, configuration_id",
                    self._on_values,
                    5000,
                )
            )

    def _on_values(self, page: list[Row]) -> None:
        link_keys = {conf_id: key for key, conf_id in self.link_conf_ids.items()}
        rows = self.rows
        kind_confs = self._kind_confs
        for raw in page:
            get = raw.get
            entity_id = str(get("entity_id"))
            conf_id = str(get("configuration_id"))
            value = get("value")
            row = rows.get(entity_id)
            if row is None:
                # the project itself (queued with the first page)
                self.project_values[conf_id] = value
                continue
            if conf_id in link_keys:
                row.stored[link_keys[conf_id]] = value
            by_conf = kind_confs.get(row.kind_key)
            if by_conf is None:
                by_conf, _ = self._kind(row.kind_key)
            for name in by_conf.get(conf_id, ()):
                self._set(row.id, row.attributes, name, value)

    def _on_appointments(self, page: list[Row]) -> None:
        for raw in page:
            self.assignments.setdefault(str(raw["context_id"]), set()).add(str(raw["resource_id"]))

    # -- results ----------------------------------------------------------------------------
    def _node(self, row: _Row) -> FtrackNode:
        mapped = self._kind_mapped.get(row.kind_key)
        if mapped is None:
            _, mapped = self._kind(row.kind_key)
        assignees: frozenset[str] = _NO_ASSIGNEES
        if row.kind is Kind.TASK:
            users = self.assignments.get(row.id)
            if users:
                user_map = self.user_map
                assignees = frozenset(user_map[u] for u in users if u in user_map)
        stored = row.stored
        ayon_id = stored.get(_AYON_ID)
        ayon_path = stored.get(_AYON_PATH)
        failed = stored.get(_SYNC_FAILED)
        return FtrackNode(
            id=row.id,
            name=row.name,
            parent_id=row.parent_id,
            kind=row.kind,
            type_name=row.type_name,
            status=row.status,
            attributes=row.attributes,
            mapped=mapped,
            assignees=assignees,
            ayon_id=None if ayon_id is None else str(ayon_id),
            ayon_path=None if ayon_path is None else str(ayon_path),
            ayon_sync_failed=None if failed is None else _flag(failed),
        )

    def _project_attributes(self, project: Row) -> dict[str, Any]:
        """Explicit values of the project (dates as fields, like the original)."""
        project_id = str(project["id"])
        by_conf, _ = self._kind(entity_kind("Project", context_type="show"))
        values: dict[str, Any] = {}
        for ayon_name in ("startDate", "endDate"):
            value = project.get(FIELD_ATTRIBUTES[ayon_name])
            if ayon_name in self.ayon_types and isinstance(value, datetime):
                self._set(project_id, values, ayon_name, ftrack_day(value))
        for conf_id, value in self.project_values.items():
            for name in by_conf.get(conf_id, ()):
                self._set(project_id, values, name, value)
        return values

    # -- project schema ---------------------------------------------------------------------
    def _queue_schema(self, schema_id: str) -> None:
        sid = quote(schema_id)
        rows: list[Row] = []

        def on_schema(page: list[Row]) -> None:
            rows.extend(page)
            if not page:
                return
            self.project_schema = page[0]
            workflows = [
                page[0].get("task_workflow_schema_id"),
                page[0].get("asset_version_workflow_schema_id"),
            ]
            self._queue_workflows([w for w in workflows if w])
            tts = page[0].get("task_type_schema_id")
            if tts:
                self.runner.add(
                    Query(
                        "select task_type_schema_id, type_id from TaskTypeSchemaType "
                        f"where task_type_schema_id is {quote(str(tts))}",
                        lambda p: self.task_type_ids.extend(str(r["type_id"]) for r in p),
                    )
                )

        def on_overrides(page: list[Row]) -> None:
            self.override_rows.extend(page)
            self._queue_workflows([r.get("workflow_schema_id") for r in page if r])

        self.runner.add(
            Query(
                "select id, task_workflow_schema_id, asset_version_workflow_schema_id, "
                f"task_type_schema_id from ProjectSchema where id is {sid}",
                on_schema,
            )
        )
        self.runner.add(
            Query(
                "select object_type_id, project_schema_id from ProjectSchemaObjectType "
                f"where project_schema_id is {sid}",
                lambda p: self.schema_object_type_ids.extend(str(r["object_type_id"]) for r in p),
            )
        )
        self.runner.add(
            Query(
                f"select id, type_id, object_type_id from Schema where project_schema_id is {sid}",
                self.schema_rows.extend,
            )
        )
        self.runner.add(
            Query(
                "select schema_id, status_id, sort from SchemaStatus where schema_id in "
                f"(select id from Schema where project_schema_id is {sid})",
                self.schema_status_rows.extend,
            )
        )
        self.runner.add(
            Query(
                "select id, workflow_schema_id, type_id from ProjectSchemaOverride "
                f"where project_schema_id is {sid}",
                on_overrides,
            )
        )

    def _queue_workflows(self, workflow_ids: Iterable[Any]) -> None:
        ids = sorted({str(w) for w in workflow_ids if w})
        if ids:
            self.runner.add(
                Query(
                    "select workflow_schema_id, status_id from WorkflowSchemaStatus "
                    f"where workflow_schema_id in {quote_list(ids)}",
                    self.workflow_status_rows.extend,
                )
            )

    def _schema_info(self) -> FtrackSchemaInfo:
        ot_ids = self.schema_object_type_ids or list(self.object_types)
        object_types = tuple(
            sorted({self.object_types[i] for i in ot_ids if i in self.object_types})
        )
        task_types = tuple(
            sorted({self.type_names[i] for i in self.task_type_ids if i in self.type_names})
        )
        scopes: dict[str, set[str]] = {}

        def add(status_ids: Iterable[str], scope: str) -> None:
            for status_id in status_ids:
                scopes.setdefault(str(status_id), set()).add(scope)

        # folders: statuses of the per-object-type schemas (Milestones are not synced)
        schema_ids = {
            str(r["id"])
            for r in self.schema_rows
            if self.object_types.get(str(r.get("object_type_id") or r.get("type_id")), "").lower()
            not in SKIPPED_OBJECT_TYPES | {"task"}
        }
        add(
            (
                str(r["status_id"])
                for r in self.schema_status_rows
                if str(r["schema_id"]) in schema_ids
            ),
            "folder",
        )
        by_workflow: dict[str, list[str]] = {}
        for r in self.workflow_status_rows:
            by_workflow.setdefault(str(r["workflow_schema_id"]), []).append(str(r["status_id"]))
        task_workflows = {str(self.project_schema.get("task_workflow_schema_id") or "")}
        task_workflows.update(str(r.get("workflow_schema_id")) for r in self.override_rows)
        for workflow in task_workflows:
            add(by_workflow.get(workflow, ()), "task")
        version_workflow = str(self.project_schema.get("asset_version_workflow_schema_id") or "")
        add(by_workflow.get(version_workflow, ()), "version")

        statuses = []
        for status_id, scope in scopes.items():
            row = self.statuses.get(status_id)
            if row is None:
                continue
            state = row.get("state") or {}
            statuses.append(
                FtrackStatus(
                    name=str(row["name"]),
                    state=str(state.get("name") or "") if isinstance(state, dict) else "",
                    color=str(row.get("color") or ""),
                    sort=int(row.get("sort") or 0),
                    scopes=frozenset(scope),
                )
            )
        statuses.sort(key=lambda s: (s.sort, s.name.lower()))
        return FtrackSchemaInfo(object_types, task_types, tuple(statuses))


def _users(rows: Iterable[Row]) -> tuple[FtrackUser, ...]:
    return tuple(
        FtrackUser(id=str(r["id"]), username=str(r["username"]), email=r.get("email")) for r in rows
    )


def _pick_project(rows: Sequence[Row], project: str) -> Row:
    """Id first, then ``name`` (code), then ``full_name``: names may collide across fields."""
    for field_name in ("id", "name", "full_name"):
        for row in rows:
            if str(row.get(field_name) or "") == project:
                return row
        for row in rows:
            if str(row.get(field_name) or "").lower() == project.lower():
                return row
    raise FtrackProjectNotFound(f"no ftrack project with id, name or full name {project!r}")


def _flag(value: Any) -> bool:
    """A stored boolean; tolerant of the ``"1"`` / ``"0"`` strings some paths produce."""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true"}
    return bool(value)


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
