"""The fast executor must answer exactly like graphql-core for the client's query shapes."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import execute, parse

from ayon_ftrack_sync.emulators.ayon.control import Control
from ayon_ftrack_sync.emulators.ayon.graphql import GraphQLEndpoint
from ayon_ftrack_sync.emulators.ayon.graphql.fastexec import fast_execute
from ayon_ftrack_sync.emulators.ayon.graphql.resolvers import default_resolver
from ayon_ftrack_sync.emulators.ayon.knobs import Knobs
from ayon_ftrack_sync.emulators.ayon.store import State

QUERIES: list[tuple[str, dict[str, Any]]] = [
    (
        "query F($projectName: String!) { project(name: $projectName) { folders(first: 4) "
        "{ edges { node { allAttrib name label parentId status folderType data active id path "
        "thumbnailId tags ownAttrib hasTasks parents attrib { fps frameStart } } } "
        "pageInfo { endCursor hasNextPage } } } }",
        {"projectName": "demo"},
    ),
    (
        "query T($projectName: String!, $folderIds: [String!]) { project(name: $projectName) { "
        "tasks(folderIds: $folderIds, first: 300) { edges { node { allAttrib name folderId "
        "taskType assignees label status data active id thumbnailId tags } } "
        "pageInfo { endCursor hasNextPage } } } }",
        {"projectName": "demo", "folderIds": None},
    ),
    (
        "query Users { users(first: 300) { edges { node { allAttrib createdAt name "
        "defaultAccessGroups isGuest updatedAt isService active apiKeyPreview isManager "
        "hasPassword isAdmin accessGroups } } pageInfo { endCursor hasNextPage } } }",
        {},
    ),
    (
        "query E($t: [String!], $l: Boolean!) { events(topics: $t, includeLogs: $l, last: 5) { "
        "edges { node { id topic summary payload status dependsOn } cursor } "
        "pageInfo { endCursor hasPreviousPage } } }",
        {"t": ["entity.*"], "l": False},
    ),
    (
        '{ project(name: "demo") { name code statuses { name scope state } '
        'linkTypes { name color } folder(id: "missing") { id } } }',
        {},
    ),
    ('{ __typename project(name: "nope") { name } }', {}),
]


@pytest.fixture(scope="module")
def endpoint() -> GraphQLEndpoint:
    state = State("k" * 32)
    Control(state, Knobs()).seed_demo_project("demo")
    return GraphQLEndpoint(state)


@pytest.mark.parametrize(
    ("query", "variables"),
    QUERIES,
    ids=[
        "folders",
        "tasks",
        "users",
        "events_last",
        "project_anatomy",
        "typename_and_missing_project",
    ],
)
def test_fast_path_equals_graphql_core(
    endpoint: GraphQLEndpoint, query: str, variables: dict[str, Any]
) -> None:
    schema = endpoint.schema()
    context = {"state": endpoint.state, "user": "admin"}
    fast = fast_execute(schema, parse(query), variables, context)
    assert fast is not None, "query unexpectedly needed the fallback"
    slow = execute(
        schema,
        parse(query),
        variable_values=variables,
        context_value=context,
        field_resolver=default_resolver,
    )
    assert not getattr(slow, "errors", None)
    assert fast["data"] == slow.data  # type: ignore[union-attr]


def test_fragments_fall_back_to_graphql_core(endpoint: GraphQLEndpoint) -> None:
    query = 'query { project(name: "demo") { ...P } } fragment P on ProjectNode { name code }'
    context = {"state": endpoint.state, "user": "admin"}
    assert fast_execute(endpoint.schema(), parse(query), {}, context) is None
    result = endpoint.run({"query": query}, "admin")
    assert result == {"data": {"project": {"name": "demo", "code": "DEM"}}}
