"""Read the part of an ftrack project one batch of changes touches (incremental sync).

The full read (`reader.read_project`) pages through every TypedContext; an event batch needs
only the touched entities, their ancestors (for paths and parents), the descendants of
renamed or moved ones (their paths changed) and the siblings of removed ones (a same-named
sibling may take over). All of that goes out in one batched request, the custom attribute
values and assignments of those rows in the next: two requests per batch, whatever the
project size.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ayon_ftrack_sync.settings.attribute_mapping import AttributeMapping
from ayon_ftrack_sync.sync.model import FtrackProject
from ayon_ftrack_sync.sync.users import FtrackUser

from .reader import (
    _CONF_QUERY,
    _CONTEXT_FIELDS,
    SKIPPED_OBJECT_TYPES,
    ConversionProblem,
    _chunks,
    _conf,
    _pick_project,
    _ProjectReader,
)
from .transport import FtrackApi, Query, QueryRunner, Row, quote, quote_list

#: ids per `in (...)` list of the scoped queries
ID_CHUNK = 500


@dataclass(frozen=True, slots=True)
class ScopedRead:
    """The touched part of an ftrack project, as a (partial) snapshot."""

    #: nodes: touched entities, their ancestors, descendants of moved ones, siblings of removed
    project: FtrackProject
    code: str
    project_attributes: Mapping[str, Any]
    users: tuple[FtrackUser, ...]
    assignments: Mapping[str, frozenset[str]]
    link_configuration_ids: Mapping[str, str]
    problems: tuple[ConversionProblem, ...] = ()
    requests: int = 0
    seconds: float = 0.0
    #: ids asked for that ftrack no longer has (deleted meanwhile)
    missing: frozenset[str] = field(default_factory=frozenset)


def read_scope(
    session: Any,
    project_id: str,
    *,
    ids: Iterable[str],
    subtrees: Iterable[str] = (),
    sibling_parents: Iterable[str] = (),
    mapping: AttributeMapping,
    ayon_attribute_types: Mapping[str, str],
    with_project_values: bool = False,
    with_users: bool = True,
) -> ScopedRead:
    """Current state of the entities `ids`, with the context the planner needs.

    `subtrees`: entities whose descendants are read too; `sibling_parents`: entities whose
    children are read (siblings of removed entities); `with_project_values`: read the
    project's own mapped attribute values (the project itself changed)."""
    started = time.perf_counter()
    reader = _ScopeReader(FtrackApi(session), mapping, ayon_attribute_types, {}, 1000, ID_CHUNK)
    wanted = sorted(set(ids))
    found = reader.read_scope(
        project_id,
        wanted,
        sorted(set(subtrees)),
        sorted(set(sibling_parents)),
        with_project_values=with_project_values,
        with_users=with_users,
    )
    nodes = {row.id: reader._node(row) for row in reader.rows.values()}
    return ScopedRead(
        project=FtrackProject(
            id=str(found["id"]), name=str(found.get("full_name") or found["name"]), nodes=nodes
        ),
        code=str(found["name"]),
        project_attributes=reader._project_attributes(found) if with_project_values else {},
        users=tuple(
            FtrackUser(id=str(r["id"]), username=str(r["username"]), email=r.get("email"))
            for r in reader.user_rows
        ),
        assignments={k: frozenset(v) for k, v in reader.assignments.items()},
        link_configuration_ids=dict(reader.link_conf_ids),
        problems=tuple(reader.problems),
        requests=reader.api.requests,
        seconds=round(time.perf_counter() - started, 3),
        missing=frozenset(i for i in wanted if i not in nodes),
    )


def existing_ids(session: Any, ids: Iterable[str]) -> tuple[frozenset[str], int]:
    """Which of `ids` are TypedContexts ftrack still has; and the requests made (0 or 1)."""
    wanted = sorted(set(ids))
    if not wanted:
        return frozenset(), 0
    api = FtrackApi(session)
    runner = QueryRunner(api)
    rows: list[Row] = []
    for chunk in _chunks(wanted, ID_CHUNK):
        runner.add(
            Query(f"select id from TypedContext where id in {quote_list(chunk)}", rows.extend)
        )
    runner.run()
    return frozenset(str(r["id"]) for r in rows), api.requests


class _ScopeReader(_ProjectReader):
    """`_ProjectReader` with id-scoped context queries instead of the project-wide pages."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.user_rows: list[Row] = []
        self._skipped_type_ids: set[str] = set()

    def read_scope(
        self,
        project_id: str,
        ids: list[str],
        subtrees: list[str],
        sibling_parents: list[str],
        *,
        with_project_values: bool,
        with_users: bool,
    ) -> Row:
        projects: list[Row] = []
        confs: list[Row] = []
        statuses: list[Row] = []
        object_types: list[Row] = []
        types: list[Row] = []
        contexts: list[Row] = []
        pid = quote(project_id)
        add = self.runner.add
        add(
            Query(
                "select id, name, full_name, project_schema_id, start_date, end_date "
                f"from Project where id is {pid}",
                projects.extend,
            )
        )
        add(Query(_CONF_QUERY, confs.extend))
        add(Query("select id, name from ObjectType", object_types.extend))
        add(Query("select id, name from Type", types.extend))
        add(Query("select id, name, color, sort, state.name from Status", statuses.extend))
        if with_users:
            add(Query("select id, username, email from User order by id", self.user_rows.extend))
        select = f"select {_CONTEXT_FIELDS} from TypedContext where project_id is {pid} and"
        for chunk in _chunks(ids, self.id_chunk):
            listed = quote_list(chunk)
            add(Query(f"{select} id in {listed} order by id", contexts.extend))
            # ancestors of the touched entities
            add(Query(f"{select} descendants any (id in {listed}) order by id", contexts.extend))
        for chunk in _chunks(subtrees, self.id_chunk):
            add(
                Query(
                    f"{select} ancestors any (id in {quote_list(chunk)}) order by id",
                    contexts.extend,
                )
            )
        for chunk in _chunks(sibling_parents, self.id_chunk):
            listed = quote_list(chunk)
            add(Query(f"{select} parent_id in {listed} order by id", contexts.extend))
            add(Query(f"{select} id in {listed} order by id", contexts.extend))
            add(Query(f"{select} descendants any (id in {listed}) order by id", contexts.extend))
        self.runner.run()
        found = _pick_project(projects, project_id)
        self.object_types = {str(r["id"]): str(r["name"]) for r in object_types}
        self.type_names = {str(r["id"]): str(r["name"]) for r in types}
        self.statuses = {str(r["id"]): r for r in statuses}
        self._prepare_confs([_conf(row) for row in confs])
        skipped = {i for i, n in self.object_types.items() if n.lower() in SKIPPED_OBJECT_TYPES}
        unique: dict[str, Row] = {}
        for row in contexts:
            if str(row.get("object_type_id")) not in skipped:
                unique.setdefault(str(row["id"]), row)
        if unique:
            self._on_contexts(list(unique.values()))
        if with_project_values:
            self._queue_values([str(found["id"])])
        self.runner.run()
        return found
