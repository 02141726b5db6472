"""Bulk ftrack reads and writes of the later full-sync phases: links, lists, versions.

Same approach as ``reader.py``: raw ``/api`` batches through ``QueryRunner``, queries of one
round sharing an HTTP request, 1,000 rows a page, ``in (...)`` lists chunked -- so a project
with thousands of versions costs a handful of requests, never one per entity (the original
queried in chunks of 50 ids and committed ``ayon_id`` write-backs with the client's lazy
entities).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ayon_ftrack_sync.sync.links import FtrackLink
from ayon_ftrack_sync.sync.lists import FtrackList, ListTypeRevert, list_type_value
from ayon_ftrack_sync.sync.plan import FtrackKey, FtrackWrite
from ayon_ftrack_sync.sync.versions import FtrackVersion

from .transport import FtrackApi, Query, QueryRunner, Row, quote, quote_list
from .writer import WriteResult, send_bisecting

#: ids per ``in (...)`` list (bounds the size of one query, not the number of requests)
ID_CHUNK = 500
PAGE = 1000
LIST_TYPE_KEY = "ayon_list_type"
AYON_ID_KEY = "ayon_id"
#: the generic value type: works for any entity, AssetVersions included
VALUE_TYPE = "CustomAttributeValue"


@dataclass(slots=True)
class ExtrasRead:
    """A read's result plus the HTTP requests it took."""

    requests: int = 0


@dataclass(slots=True)
class LinksRead(ExtrasRead):
    links: tuple[FtrackLink, ...] = ()


@dataclass(slots=True)
class ListsRead(ExtrasRead):
    lists: tuple[FtrackList, ...] = ()
    #: configuration id of ``ayon_list_type`` (None when the attribute does not exist)
    list_type_conf: str | None = None


@dataclass(slots=True)
class VersionsRead(ExtrasRead):
    versions: tuple[FtrackVersion, ...] = ()
    #: configuration id of ``ayon_id`` (None when the attribute does not exist)
    ayon_id_conf: str | None = None


@dataclass(slots=True)
class _Confs:
    ids: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)

    def on_rows(self, rows: list[Row]) -> None:
        for row in rows:
            key = str(row.get("key"))
            if row.get("project_id") or key in self.ids:
                continue  # project-specific configurations are not the link attributes
            self.ids[key] = str(row["id"])
            self.defaults[key] = row.get("default")


def _conf_query(confs: _Confs) -> Query:
    return Query(
        "select id, key, default, project_id from CustomAttributeConfiguration "
        f"where key in {quote_list([LIST_TYPE_KEY, AYON_ID_KEY])} order by id",
        confs.on_rows,
    )


def _chunks(items: Sequence[str], size: int = ID_CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def read_links(
    session: Any, project_id: str, *, context_ids: Iterable[str] | None = None
) -> LinksRead:
    """Every TypedContextLink whose ``from`` end is in the project (paged), or, with
    ``context_ids``, every link with either end among them (the incremental sync: one
    request for a batch, whatever the project's size)."""
    api = FtrackApi(session)
    if context_ids is None:
        rows = QueryRunner(api).fetch(
            "select id, from_id, to_id from TypedContextLink "
            f"where from.project_id is {quote(project_id)} order by id",
            PAGE,
        )
    else:
        found: dict[str, Row] = {}
        runner = QueryRunner(api)
        for chunk in _chunks(sorted(set(context_ids))):
            ids = quote_list(chunk)
            runner.add(
                Query(
                    "select id, from_id, to_id from TypedContextLink "
                    f"where from_id in {ids} or to_id in {ids} order by id",
                    lambda page: found.update({str(r["id"]): r for r in page}),
                    PAGE,
                )
            )
        runner.run()
        rows = [found[key] for key in sorted(found)]
    links = tuple(FtrackLink(str(r["from_id"]), str(r["to_id"])) for r in rows)
    return LinksRead(requests=api.requests, links=links)


def read_lists(
    session: Any, project_id: str, *, list_ids: Iterable[str] | None = None
) -> ListsRead:
    """Lists of the project with their items and resolved ``ayon_list_type``; with
    ``list_ids`` only those of them (the incremental sync; a missing id was removed).

    Round 1 (one request): lists, list objects, the configurations; round 2: the stored
    ``ayon_list_type`` values of the task lists (chunked ids, one request)."""
    api = FtrackApi(session)
    runner = QueryRunner(api)
    lists: list[Row] = []
    objects: list[Row] = []
    confs = _Confs()
    pid = quote(project_id)
    if list_ids is None:
        list_conditions = [f"project_id is {pid}"]
        object_conditions = [f"list.project_id is {pid}"]
    else:
        chunks = [quote_list(chunk) for chunk in _chunks(sorted(set(list_ids)))]
        list_conditions = [f"project_id is {pid} and id in {ids}" for ids in chunks]
        object_conditions = [f"list_id in {ids}" for ids in chunks]
    for condition in list_conditions:
        runner.add(
            Query(
                f"select id, name, system_type from List where {condition} order by id",
                lists.extend,
                PAGE,
            )
        )
    for condition in object_conditions:
        runner.add(
            Query(
                f"select id, list_id, entity_id from ListObject where {condition} order by id",
                objects.extend,
                PAGE,
            )
        )
    runner.add(_conf_query(confs))
    runner.run()
    stored: dict[str, Any] = {}
    conf_id = confs.ids.get(LIST_TYPE_KEY)
    task_lists = [str(r["id"]) for r in lists if r.get("system_type") == "task"]
    if conf_id and task_lists:
        for chunk in _chunks(task_lists):
            runner.add(
                Query(
                    "select entity_id, value from CustomAttributeValue "
                    f"where configuration_id is {quote(conf_id)} "
                    f"and entity_id in {quote_list(chunk)} order by entity_id",
                    lambda rows: stored.update({str(r["entity_id"]): r.get("value") for r in rows}),
                    PAGE,
                )
            )
        runner.run()
    default = list_type_value(confs.defaults.get(LIST_TYPE_KEY))
    items: dict[str, list[str]] = {}
    for row in objects:
        items.setdefault(str(row["list_id"]), []).append(str(row["entity_id"]))
    result = []
    for row in lists:
        list_id = str(row["id"])
        system_type = str(row.get("system_type") or "")
        list_type = list_type_value(stored.get(list_id)) or default
        result.append(
            FtrackList(
                id=list_id,
                name=str(row.get("name") or ""),
                system_type=system_type,
                list_type=list_type if system_type == "task" else None,
                items=tuple(items.get(list_id, ())),
            )
        )
    return ListsRead(requests=api.requests, lists=tuple(result), list_type_conf=conf_id)


def read_versions(
    session: Any, project_id: str, *, version_ids: Iterable[str] | None = None
) -> VersionsRead:
    """AssetVersions of the project (or just ``version_ids``) with their Asset and status.

    The first page goes out with the configurations and statuses; later pages with the
    ``ayon_id`` values of the page before, one request per round: about two requests per
    1,000 versions."""
    api = FtrackApi(session)
    runner = QueryRunner(api)
    confs = _Confs()
    statuses: dict[str, str] = {}
    runner.add(_conf_query(confs))
    runner.add(
        Query(
            "select id, name from Status order by id",
            lambda rows: statuses.update({str(r["id"]): str(r["name"]) for r in rows}),
        )
    )
    rows: list[Row] = []
    stored: dict[str, Any] = {}

    def on_values(page: list[Row]) -> None:
        stored.update({str(r["entity_id"]): r.get("value") for r in page})

    def on_versions(page: list[Row]) -> None:
        rows.extend(page)
        # the configuration query was earlier in the same batch: its handler already ran
        conf_id = confs.ids.get(AYON_ID_KEY)
        if conf_id:
            for chunk in _chunks([str(r["id"]) for r in page]):
                runner.add(
                    Query(
                        "select entity_id, value from CustomAttributeValue "
                        f"where configuration_id is {quote(conf_id)} "
                        f"and entity_id in {quote_list(chunk)} order by entity_id",
                        on_values,
                        PAGE,
                    )
                )

    fields = "id, version, asset_id, status_id, asset.name, asset.context_id"
    if version_ids is None:
        _add(
            runner,
            on_versions,
            fields,
            "asset.context_id in (select id from TypedContext where project_id is "
            f"{quote(project_id)})",
        )
    else:
        for chunk in _chunks(sorted(set(version_ids))):
            _add(runner, on_versions, fields, f"id in {quote_list(chunk)}")
    runner.run()
    versions = []
    for row in rows:
        asset = row.get("asset") or {}
        value = stored.get(str(row["id"]))
        versions.append(
            FtrackVersion(
                id=str(row["id"]),
                asset_id=str(row.get("asset_id") or ""),
                asset_name=str(asset.get("name") or ""),
                context_id=str(asset.get("context_id") or ""),
                version=int(row.get("version") or 0),
                status=statuses.get(str(row.get("status_id"))),
                ayon_id=str(value) if value else None,
            )
        )
    return VersionsRead(
        requests=api.requests, versions=tuple(versions), ayon_id_conf=confs.ids.get(AYON_ID_KEY)
    )


def _add(
    runner: QueryRunner, on_rows: Callable[[list[Row]], None], fields: str, condition: str
) -> None:
    runner.add(
        Query(f"select {fields} from AssetVersion where {condition} order by id", on_rows, PAGE)
    )


def write_version_ids(
    session: Any, writes: Sequence[FtrackWrite], ayon_id_conf: str, *, batch_size: int = 500
) -> WriteResult:
    """``ayon_id`` on AssetVersions, 500 upserts a request.

    As the hierarchy write-back (``writer.write_links``), but through the generic
    ``CustomAttributeValue`` type: AssetVersions are not Contexts, so the
    ``ContextCustomAttributeValue`` type that one uses does not apply to them. A refused
    batch is split until the refused writes are isolated and recorded, not raised."""
    latest = {write.ftrack_id: write for write in writes}
    api = FtrackApi(session)
    result = WriteResult(requested=len(writes))
    unique = list(latest.values())
    for start in range(0, len(unique), max(1, batch_size)):
        _write_values(api, unique[start : start + batch_size], ayon_id_conf, result)
    result.requests = api.requests
    return result


def _write_values(
    api: FtrackApi, chunk: Sequence[FtrackWrite], conf_id: str, result: WriteResult
) -> None:
    def operation(write: FtrackWrite) -> dict[str, Any]:
        return {
            "action": "update",
            "entity_type": VALUE_TYPE,
            "entity_key": [conf_id, write.ftrack_id],
            "entity_data": {"__entity_type__": VALUE_TYPE, "value": write.value},
        }

    send_bisecting(api, chunk, operation, result)


def write_list_types(
    session: Any, reverts: Sequence[ListTypeRevert], list_type_conf: str
) -> WriteResult:
    """``ayon_list_type`` on TypedContextLists (an enumerator: the value is a one-item list),
    all in one request. Used to revert a type change AYON cannot follow (AYON list types are
    immutable); a refused write is recorded, not raised, as the other write-backs do."""
    api = FtrackApi(session)
    result = WriteResult(requested=len(reverts))
    writes = [FtrackWrite(r.ftrack_id, FtrackKey.AYON_ID, r.list_type) for r in reverts]

    def operation(write: FtrackWrite) -> dict[str, Any]:
        # FtrackWrite carries the entity and value; the key is the configuration id below
        return {
            "action": "update",
            "entity_type": VALUE_TYPE,
            "entity_key": [list_type_conf, write.ftrack_id],
            "entity_data": {"__entity_type__": VALUE_TYPE, "value": [write.value]},
        }

    if writes:
        send_bisecting(api, writes, operation, result)
    result.requests = api.requests
    return result
