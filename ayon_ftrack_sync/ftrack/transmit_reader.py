"""Read what an AYON -> ftrack batch needs from ftrack, in a few batched requests.

Round 1 (one request): the project, custom attribute configurations, object types, task
types, statuses, users, the touched TypedContexts with their ancestors and the subtrees of
moved ones, the touched AssetVersions. Only when an AYON version has no `ftrackId` or one
round 1 did not find: one scoped query for the AssetVersions with its number under its
folder's ftrack entity (the candidates of `sync.transmit.match_version`). Round 2: the
project schema (workflows, overrides, object types, task types:
`reader._ProjectReader._queue_schema`), the stored custom attribute values and the
assignments of those rows, and which of them have versions below.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ayon_ftrack_sync.settings.attribute_mapping import AttributeMapping, entity_kind
from ayon_ftrack_sync.sync.transmit import (
    AYON_ID,
    AYON_PATH,
    FOLDER,
    PROJECT,
    SYNC_FAILED,
    TASK,
    VERSION,
    AttrSlot,
    FtrackEntity,
    FtrackSchema,
    StatusRef,
    field_slots,
)
from ayon_ftrack_sync.sync.users import FtrackUser

from .reader import SKIPPED_OBJECT_TYPES, _chunks, _pick_project, _ProjectReader
from .transport import FtrackApi, Query, QueryRunner, Row, quote, quote_list

ID_CHUNK = 500
_CONTEXT = (
    "id, name, parent_id, object_type_id, type_id, status_id, start_date, end_date, description"
)
_VERSION = "id, version, asset_id, status_id, asset.name, asset.context_id"
_LINK_KEYS = (AYON_ID, AYON_PATH, SYNC_FAILED)
#: AYON attributes never written through the mapping (links; native fields are slots)
_NOT_MAPPED = frozenset({"ftrackId", "ftrackPath"})


@dataclass(frozen=True, slots=True)
class VersionLookup:
    """How to find the AssetVersion of one AYON version: its `ftrackId` (None: unlinked),
    else by number and Asset name under one of its folder's ftrack ids."""

    ftrack_id: str | None
    context_ids: tuple[str, ...]
    asset_name: str
    number: int


@dataclass(frozen=True, slots=True)
class FtrackState:
    schema: FtrackSchema
    entities: Mapping[str, FtrackEntity]
    users: tuple[FtrackUser, ...]
    requests: int
    #: the project's `name` (code) and `full_name`
    project_name: str = ""
    project_full_name: str = ""
    list_category_id: str | None = None
    list_type_conf: str | None = None
    list_type_default: Any = None
    ayon_id_values: Mapping[str, Any] = field(default_factory=dict)


def read_state(
    session: Any,
    project_id: str,
    *,
    ids: Iterable[str] = (),
    subtrees: Iterable[str] = (),
    version_ids: Iterable[str] = (),
    mapping: AttributeMapping,
    ayon_types: Mapping[str, str],
    version_types: Mapping[str, str] | None = None,
    with_users: bool = False,
    version_lookups: Iterable[VersionLookup] = (),
) -> FtrackState:
    """Current state of the TypedContexts `ids` (with ancestors), the subtrees below
    `subtrees`, the AssetVersions `version_ids` and the candidates of the `version_lookups`
    their `ftrackId` does not find, and the project, with its schema."""
    api = FtrackApi(session)
    reader = _ProjectReader(api, mapping, ayon_types, {}, 1000, ID_CHUNK)
    runner = reader.runner
    pid = quote(project_id)
    projects: list[Row] = []
    confs: list[Row] = []
    object_types: list[Row] = []
    types: list[Row] = []
    statuses: list[Row] = []
    users: list[Row] = []
    contexts: list[Row] = []
    versions: list[Row] = []
    categories: list[Row] = []
    runner.add(
        Query(
            "select id, name, full_name, project_schema_id, start_date, end_date "
            f"from Project where id is {pid}",
            projects.extend,
        )
    )
    runner.add(
        Query(
            "select id, key, entity_type, object_type_id, is_hierarchical, project_id, config, "
            "default, type.name from CustomAttributeConfiguration order by id",
            confs.extend,
        )
    )
    runner.add(Query("select id, name from ObjectType", object_types.extend))
    runner.add(Query("select id, name from Type", types.extend))
    runner.add(Query("select id, name from Status", statuses.extend))
    runner.add(Query("select id, name from ListCategory", categories.extend))
    if with_users:
        runner.add(Query("select id, username, email from User order by id", users.extend))
    select = f"select {_CONTEXT} from TypedContext where project_id is {pid} and"
    for chunk in _chunks(sorted(set(ids)), ID_CHUNK):
        listed = quote_list(chunk)
        runner.add(Query(f"{select} id in {listed} order by id", contexts.extend))
        runner.add(Query(f"{select} descendants any (id in {listed}) order by id", contexts.extend))
    for chunk in _chunks(sorted(set(subtrees)), ID_CHUNK):
        listed = quote_list(chunk)
        runner.add(Query(f"{select} ancestors any (id in {listed}) order by id", contexts.extend))
    for chunk in _chunks(sorted(set(version_ids)), ID_CHUNK):
        runner.add(
            Query(
                f"select {_VERSION} from AssetVersion where id in {quote_list(chunk)} order by id",
                versions.extend,
            )
        )
    runner.run()
    _find_versions(runner, list(version_lookups), versions)
    project = _pick_project(projects, project_id)
    schema_id = project.get("project_schema_id")
    if schema_id:
        reader._queue_schema(str(schema_id))
    unique: dict[str, Row] = {}
    skipped = {str(r["id"]) for r in object_types if str(r["name"]).lower() in SKIPPED_OBJECT_TYPES}
    for row in contexts:
        if str(row.get("object_type_id")) not in skipped:
            unique.setdefault(str(row["id"]), row)
    conf_rows = [r for r in confs if not r.get("project_id") or r.get("project_id") == project_id]
    link_confs = {
        str(r["key"]): str(r["id"])
        for r in reversed(conf_rows)
        if r.get("key") in _LINK_KEYS and r.get("is_hierarchical")
    }
    value_conf_ids = sorted(
        {c.id for item in mapping.values() for c in item.confs} | set(link_confs.values())
    )
    entity_ids = [*unique, project_id, *(str(v["id"]) for v in versions)]
    values: dict[str, dict[str, Any]] = {}

    def on_values(rows: list[Row]) -> None:
        for r in rows:
            values.setdefault(str(r["entity_id"]), {})[str(r["configuration_id"])] = r.get("value")

    if value_conf_ids:
        listed_confs = quote_list(value_conf_ids)
        for chunk in _chunks(entity_ids, ID_CHUNK):
            runner.add(
                Query(
                    "select configuration_id, entity_id, value from CustomAttributeValue "
                    f"where configuration_id in {listed_confs} and entity_id in "
                    f"{quote_list(chunk)} order by entity_id, configuration_id",
                    on_values,
                    5000,
                )
            )
    task_object_type = next(
        (str(r["id"]) for r in object_types if str(r["name"]).lower() == "task"), None
    )
    task_ids = [i for i, r in unique.items() if str(r.get("object_type_id")) == task_object_type]
    appointments: dict[str, dict[str, str]] = {}

    def on_appointments(rows: list[Row]) -> None:
        for r in rows:
            appointments.setdefault(str(r["context_id"]), {})[str(r["resource_id"])] = str(r["id"])

    for chunk in _chunks(task_ids, ID_CHUNK):
        runner.add(
            Query(
                "select id, context_id, resource_id from Appointment where type is "
                f'"assignment" and context_id in {quote_list(chunk)} order by id',
                on_appointments,
            )
        )
    with_versions: set[str] = set()
    below = sorted(set(unique)) if subtrees else []
    for chunk in _chunks(below, ID_CHUNK):
        runner.add(
            Query(
                "select id, asset.context_id from AssetVersion where asset.context_id in "
                f"{quote_list(chunk)}",
                lambda rows: with_versions.update(
                    str((r.get("asset") or {}).get("context_id")) for r in rows
                ),
            )
        )
    runner.run()

    object_type_names = {str(r["id"]): str(r["name"]) for r in object_types}
    immutable = immutable_fields(
        session, [*(n.replace(" ", "") for n in object_type_names.values()), "Project"]
    )
    type_names = {str(r["id"]): str(r["name"]) for r in types}
    status_names = {str(r["id"]): str(r["name"]) for r in statuses}
    allowed_ot = reader.schema_object_type_ids or list(object_type_names)
    schema = FtrackSchema(
        project_id=project_id,
        object_types={i: object_type_names[i] for i in allowed_ot if i in object_type_names},
        task_types={
            i: type_names[i] for i in (reader.task_type_ids or type_names) if i in type_names
        },
        statuses=_statuses(reader, status_names),
        slots=_slots(
            conf_rows,
            mapping,
            ayon_types,
            version_types or {},
            object_type_names,
            immutable,
        ),
        link_confs=link_confs,
        task_object_type_id=task_object_type,
        fixed_status=frozenset(t for t, names in immutable.items() if "status_id" in names),
    )
    link_by_conf = {conf_id: key for key, conf_id in link_confs.items()}
    entities: dict[str, FtrackEntity] = {}
    for fid, row in unique.items():
        ot = str(row.get("object_type_id"))
        kind = TASK if ot == task_object_type else FOLDER
        raw: dict[str, Any] = {
            f"field:{name}": row.get(name) for name in ("start_date", "end_date", "description")
        }
        stored = values.get(fid, {})
        links = {link_by_conf[c]: v for c, v in stored.items() if c in link_by_conf}
        raw.update({c: v for c, v in stored.items() if c not in link_by_conf})
        entities[fid] = FtrackEntity(
            id=fid,
            entity_type=str(row.get("__entity_type__") or "TypedContext"),
            kind=kind,
            name=str(row.get("name") or ""),
            parent_id=str(row.get("parent_id") or "") or None,
            object_type_id=ot,
            type_id=str(row.get("type_id")) if row.get("type_id") else None,
            status_id=str(row.get("status_id")) if row.get("status_id") else None,
            raw=raw,
            appointments=appointments.get(fid, {}),
            ayon_id=None if links.get(AYON_ID) is None else str(links[AYON_ID]),
            ayon_path=None if links.get(AYON_PATH) is None else str(links[AYON_PATH]),
            ayon_sync_failed=None if links.get(SYNC_FAILED) is None else bool(links[SYNC_FAILED]),
            has_versions=fid in with_versions,
            type_name=_type_name(row, kind, object_type_names, type_names),
        )
    entities[project_id] = FtrackEntity(
        id=project_id,
        entity_type="Project",
        kind=PROJECT,
        name=str(project.get("name") or ""),
        raw={
            "field:start_date": project.get("start_date"),
            "field:end_date": project.get("end_date"),
            **values.get(project_id, {}),
        },
    )
    for row in versions:
        vid = str(row["id"])
        stored = values.get(vid, {})
        version_links = {link_by_conf[c]: v for c, v in stored.items() if c in link_by_conf}
        number = row.get("version")
        entities[vid] = FtrackEntity(
            id=vid,
            entity_type="AssetVersion",
            kind=VERSION,
            name=str((row.get("asset") or {}).get("name") or ""),
            parent_id=str((row.get("asset") or {}).get("context_id") or "") or None,
            status_id=str(row.get("status_id")) if row.get("status_id") else None,
            raw={c: v for c, v in stored.items() if c not in link_by_conf},
            ayon_id=None if version_links.get(AYON_ID) is None else str(version_links[AYON_ID]),
            number=number if isinstance(number, int) and not isinstance(number, bool) else None,
        )
    list_type = next((r for r in conf_rows if r.get("key") == "ayon_list_type"), None)
    return FtrackState(
        schema=schema,
        entities=entities,
        users=tuple(
            FtrackUser(id=str(r["id"]), username=str(r["username"]), email=r.get("email"))
            for r in users
        ),
        requests=api.requests,
        project_name=str(project.get("name") or ""),
        project_full_name=str(project.get("full_name") or ""),
        list_category_id=str(categories[0]["id"]) if categories else None,
        list_type_conf=str(list_type["id"]) if list_type else None,
        list_type_default=list_type.get("default") if list_type else None,
    )


def _find_versions(runner: QueryRunner, lookups: list[VersionLookup], versions: list[Row]) -> None:
    """Add to `versions` the AssetVersions that may belong to AYON versions whose `ftrackId`
    found nothing: one query scoped to their folders' ftrack ids and version numbers (the
    Asset name is compared case-insensitively here, which the query language cannot)."""
    found = {str(row["id"]) for row in versions}
    wanted = [
        lookup
        for lookup in lookups
        if lookup.context_ids and (lookup.ftrack_id is None or lookup.ftrack_id not in found)
    ]
    if not wanted:
        return
    keys = {
        (c, lookup.asset_name.lower(), lookup.number)
        for lookup in wanted
        for c in lookup.context_ids
    }
    contexts = sorted({c for c, _name, _number in keys})
    numbers = ", ".join(str(n) for n in sorted({n for _c, _name, n in keys}))
    rows: list[Row] = []
    for chunk in _chunks(contexts, ID_CHUNK):
        runner.add(
            Query(
                f"select {_VERSION} from AssetVersion where asset.context_id in "
                f"{quote_list(chunk)} and version in ({numbers}) order by id",
                rows.extend,
            )
        )
    runner.run()
    for row in rows:
        asset = row.get("asset") or {}
        key = (
            str(asset.get("context_id")),
            str(asset.get("name") or "").lower(),
            row.get("version"),
        )
        if key in keys and str(row["id"]) not in found:
            found.add(str(row["id"]))
            versions.append(row)


def _type_name(
    row: Row, kind: str, object_types: Mapping[str, str], types: Mapping[str, str]
) -> str:
    """The AYON type name the ftrack reader (`reader._ProjectReader._typing`) makes of a
    TypedContext: its task Type's name (tasks), its object type's name (folders)."""
    if kind == TASK:
        return types.get(str(row.get("type_id")), "")
    return object_types.get(str(row.get("object_type_id")), "") or str(
        row.get("__entity_type__") or ""
    )


def _statuses(reader: _ProjectReader, names: Mapping[str, str]) -> dict[str, tuple[StatusRef, ...]]:
    def refs(ids: Iterable[str]) -> tuple[StatusRef, ...]:
        unique = dict.fromkeys(str(i) for i in ids)
        return tuple(StatusRef(i, names[i]) for i in unique if i in names)

    by_schema: dict[str, list[str]] = {}
    for row in reader.schema_status_rows:
        by_schema.setdefault(str(row["schema_id"]), []).append(str(row["status_id"]))
    by_workflow: dict[str, list[str]] = {}
    for row in reader.workflow_status_rows:
        by_workflow.setdefault(str(row["workflow_schema_id"]), []).append(str(row["status_id"]))
    result: dict[str, tuple[StatusRef, ...]] = {}
    for row in reader.schema_rows:
        object_type = str(row.get("object_type_id") or row.get("type_id"))
        result[f"folder:{object_type}"] = refs(by_schema.get(str(row["id"]), ()))
    project_schema = reader.project_schema
    result["task"] = refs(by_workflow.get(str(project_schema.get("task_workflow_schema_id")), ()))
    for row in reader.override_rows:
        result[f"task:{row.get('type_id')}"] = refs(
            by_workflow.get(str(row.get("workflow_schema_id")), ())
        )
    result["version"] = refs(
        by_workflow.get(str(project_schema.get("asset_version_workflow_schema_id")), ())
    )
    return result


def _slots(
    conf_rows: list[Row],
    mapping: AttributeMapping,
    ayon_types: Mapping[str, str],
    version_types: Mapping[str, str],
    object_types: Mapping[str, str],
    immutable: Mapping[str, frozenset[str]],
) -> dict[str, tuple[AttrSlot, ...]]:
    by_id = {str(r["id"]): r for r in conf_rows}

    def slots_for(kind: tuple[str, str | None], types: Mapping[str, str]) -> list[AttrSlot]:
        found: list[AttrSlot] = []
        for name, item in sorted(mapping.items()):
            if name in _NOT_MAPPED or name not in types:
                continue
            conf = item.conf_for(*kind)
            if conf is None:
                continue
            row = by_id.get(conf.id, {})
            config = _config(row.get("config"))
            type_row = row.get("type") or {}
            found.append(
                AttrSlot(
                    ayon_name=name,
                    ayon_type=types.get(name, "string"),
                    conf_id=conf.id,
                    ftrack_type=str(type_row.get("name") or "text")
                    if isinstance(type_row, dict)
                    else "text",
                    hierarchical=conf.is_hierarchical,
                    is_decimal=bool(config.get("isdecimal", True)),
                    multi_select=bool(config.get("multiSelect", False)),
                )
            )
        return found

    result: dict[str, tuple[AttrSlot, ...]] = {}
    for ot, ot_name in object_types.items():
        fields = field_slots(
            ayon_types, immutable=immutable.get(ot_name.replace(" ", ""), frozenset())
        )
        kind = entity_kind("", context_type="task", object_type_id=ot)
        mapped = slots_for(kind, ayon_types)
        names = {s.ayon_name for s in fields}
        result[ot] = (*fields, *(s for s in mapped if s.ayon_name not in names))
    project_fields = field_slots(
        ayon_types, project=True, immutable=immutable.get("Project", frozenset())
    )
    names = {s.ayon_name for s in project_fields}
    result[PROJECT] = (
        *project_fields,
        *(
            s
            for s in slots_for(entity_kind("Project", context_type="show"), ayon_types)
            if s.ayon_name not in names
        ),
    )
    result[VERSION] = tuple(slots_for(entity_kind("AssetVersion"), version_types))
    return result


def immutable_fields(session: Any, entity_types: Iterable[str]) -> dict[str, frozenset[str]]:
    """Fields ftrack refuses to change, per entity type, from the schemas the session loaded
    (`start_date` of a Shot, `status_id` of a Sequence...). Unknown types: none."""
    wanted = ("start_date", "end_date", "description", "status_id", "name", "parent_id")
    result: dict[str, frozenset[str]] = {}
    types = getattr(session, "types", None) or {}
    for name in entity_types:
        cls = types.get(name)
        if cls is None:
            continue
        attributes = getattr(cls, "attributes", None)
        found = set()
        for field_name in wanted:
            attribute = attributes.get(field_name) if attributes is not None else None
            if attribute is not None and not attribute.mutable:
                found.add(field_name)
        result[name] = frozenset(found)
    return result


def _config(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip():
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


# -- lists ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FtrackListRow:
    id: str
    name: str
    system_type: str
    list_type: Any
    #: entity id -> ListObject id
    objects: Mapping[str, str]


def read_lists(
    session: Any, project_id: str, *, list_type_conf: str | None
) -> tuple[list[FtrackListRow], dict[str, Any], int]:
    """Every list of the project with its objects and stored `ayon_list_type`; and the
    stored `ayon_id` values of the listed entities (the keep-rule needs them)."""
    api = FtrackApi(session)
    runner = QueryRunner(api)
    pid = quote(project_id)
    lists = runner.fetch(f"select id, name, system_type from List where project_id is {pid}")
    objects: list[Row] = []
    stored: dict[str, Any] = {}
    list_ids = [str(r["id"]) for r in lists]
    for chunk in _chunks(list_ids, ID_CHUNK):
        runner.add(
            Query(
                "select id, list_id, entity_id from ListObject where list_id in "
                f"{quote_list(chunk)} order by id",
                objects.extend,
            )
        )
        if list_type_conf:
            runner.add(
                Query(
                    "select entity_id, value from CustomAttributeValue where configuration_id "
                    f"is {quote(list_type_conf)} and entity_id in {quote_list(chunk)}",
                    lambda rows: stored.update({str(r["entity_id"]): r.get("value") for r in rows}),
                )
            )
    runner.run()
    by_list: dict[str, dict[str, str]] = {}
    for row in objects:
        by_list.setdefault(str(row["list_id"]), {})[str(row["entity_id"])] = str(row["id"])
    result = [
        FtrackListRow(
            id=str(r["id"]),
            name=str(r.get("name") or ""),
            system_type=str(r.get("system_type") or ""),
            list_type=stored.get(str(r["id"])),
            objects=by_list.get(str(r["id"]), {}),
        )
        for r in lists
    ]
    return result, stored, api.requests


def read_ayon_ids(
    session: Any, entity_ids: Iterable[str], conf_id: str
) -> tuple[dict[str, Any], int]:
    """Stored `ayon_id` values of these entities (absent: never stored)."""
    api = FtrackApi(session)
    runner = QueryRunner(api)
    stored: dict[str, Any] = {}
    for chunk in _chunks(sorted(set(entity_ids)), ID_CHUNK):
        runner.add(
            Query(
                "select entity_id, value from CustomAttributeValue where configuration_id is "
                f"{quote(conf_id)} and entity_id in {quote_list(chunk)}",
                lambda rows: stored.update({str(r["entity_id"]): r.get("value") for r in rows}),
            )
        )
    runner.run()
    return stored, api.requests
