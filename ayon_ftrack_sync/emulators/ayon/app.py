"""Build the aiohttp application for a given state."""

from __future__ import annotations

from aiohttp import web

from .graphql import GraphQLEndpoint
from .knobs import Knobs, Stats
from .middleware import auth_and_errors, stats_and_knobs
from .rest import add_routes
from .rest.common import KNOBS_KEY, STATE_KEY, STATS_KEY
from .rest.graphql import GRAPHQL_KEY
from .store import State
from .ws import WsHub

HUB_KEY = web.AppKey("ayon_ws_hub", WsHub)


def build_app(state: State, knobs: Knobs, stats: Stats) -> web.Application:
    app = web.Application(
        middlewares=[stats_and_knobs, auth_and_errors], client_max_size=256 * 1024 * 1024
    )
    app[STATE_KEY] = state
    app[KNOBS_KEY] = knobs
    app[STATS_KEY] = stats
    app[GRAPHQL_KEY] = GraphQLEndpoint(state)
    hub = WsHub(state)
    app[HUB_KEY] = hub
    app.router.add_get("/ws", hub.handle)
    add_routes(app)

    async def _cleanup(_app: web.Application) -> None:
        hub.detach()
        await hub.close_all()

    app.on_shutdown.append(_cleanup)
    return app
