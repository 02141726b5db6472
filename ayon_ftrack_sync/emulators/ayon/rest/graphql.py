"""`POST /graphql`."""

from __future__ import annotations

from aiohttp import web

from ..graphql import GraphQLEndpoint
from .common import actor_of, json_response, read_object, state_of

routes = web.RouteTableDef()
GRAPHQL_KEY = web.AppKey("ayon_graphql", GraphQLEndpoint)


@routes.post("/graphql")
async def graphql(request: web.Request) -> web.Response:
    actor = actor_of(request)
    state = state_of(request)
    body = await read_object(request)
    with state.lock:
        result = request.app[GRAPHQL_KEY].run(body, actor.user)
    return json_response(result)
