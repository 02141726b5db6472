"""GraphQL endpoint: graphql-core schema built from SDL + resolvers, with parse caching."""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    execute,
    parse,
    validate,
)

from ..store import State
from .fastexec import fast_execute
from .resolvers import default_resolver, type_resolvers
from .sdl import build_sdl

_DOC_CACHE_SIZE = 512
_CURSOR_LITERAL = re.compile(r'\b(after|before)\s*:\s*"[^"\\]*"')


class GraphQLEndpoint:
    """Owns the schema (rebuilt when attributes change) and a cache of validated queries."""

    def __init__(self, state: State) -> None:
        self.state = state
        self._schema: GraphQLSchema | None = None
        self._schema_version = -1
        self._docs: OrderedDict[str, DocumentNode | list[GraphQLError]] = OrderedDict()
        self._validated: OrderedDict[str, list[GraphQLError]] = OrderedDict()

    def schema(self) -> GraphQLSchema:
        if self._schema is None or self._schema_version != self.state.attributes_version:
            attrs = list(self.state.attribute_index().values())
            schema = build_schema(build_sdl(attrs))
            for type_name, fields in type_resolvers().items():
                gql_type = schema.type_map[type_name]
                assert isinstance(gql_type, GraphQLObjectType)
                for field_name, fn in fields.items():
                    if field_name in gql_type.fields:
                        gql_type.fields[field_name].resolve = fn
            self._schema = schema
            self._schema_version = self.state.attributes_version
            self._docs.clear()
            self._validated.clear()
        return self._schema

    def _document(self, schema: GraphQLSchema, query: str) -> DocumentNode | list[GraphQLError]:
        """Parse and validate, with caches keyed by text and by "shape".

        The client inlines the page cursor (`after: "WzJd"`) into the query text, so every
        page is a new text. Swapping one String literal of a String argument for another
        cannot change validity, so validation is cached under the text with cursor literals
        blanked; parsing (cheap) still uses the real text.
        """
        cached = self._docs.get(query)
        if cached is not None:
            self._docs.move_to_end(query)
            return cached
        try:
            doc: DocumentNode | list[GraphQLError] = parse(query)
        except GraphQLError as exc:
            doc = [exc]
        if isinstance(doc, DocumentNode):
            shape = _CURSOR_LITERAL.sub(r'\1: ""', query)
            errors = self._validated.get(shape)
            if errors is None:
                errors = list(validate(schema, doc))
                self._validated[shape] = errors
                if len(self._validated) > _DOC_CACHE_SIZE:
                    self._validated.popitem(last=False)
            if errors:
                doc = list(errors)
        self._docs[query] = doc
        if len(self._docs) > _DOC_CACHE_SIZE:
            self._docs.popitem(last=False)
        return doc

    def run(self, body: dict[str, Any], user: str) -> dict[str, Any]:
        """Execute one request body; returns the JSON response body."""
        query = body.get("query")
        if not isinstance(query, str):
            return {"errors": [{"message": "Missing query"}], "data": None}
        schema = self.schema()
        doc = self._document(schema, query)
        if isinstance(doc, list):
            return {"errors": [e.formatted for e in doc], "data": None}
        context = {"state": self.state, "user": user}
        variables = body.get("variables") or {}
        if not body.get("operationName"):
            fast = fast_execute(schema, doc, variables, context)
            if fast is not None:
                return fast
        result = execute(
            schema,
            doc,
            variable_values=variables,
            operation_name=body.get("operationName"),
            context_value=context,
            field_resolver=default_resolver,
        )
        if not isinstance(result, ExecutionResult):  # no async resolvers exist
            raise TypeError("unexpected asynchronous GraphQL result")
        out: dict[str, Any] = {"data": result.data}
        if result.errors:
            out["errors"] = [e.formatted for e in result.errors]
        return out
