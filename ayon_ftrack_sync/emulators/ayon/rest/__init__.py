"""aiohttp route tables, one module per API area."""

from __future__ import annotations

from aiohttp import web

from . import (
    activities,
    addons,
    attributes,
    auth,
    entities,
    events,
    graphql,
    links,
    lists,
    operations,
    projects,
    secrets,
    thumbnails,
)

ROUTE_MODULES = (
    auth,
    attributes,
    projects,
    operations,
    events,
    addons,
    secrets,
    links,
    lists,
    thumbnails,
    graphql,
    entities,
    activities,
)


def add_routes(app: web.Application) -> None:
    """Register every route; specific paths before the generic entity/activity patterns."""
    for module in ROUTE_MODULES:
        app.add_routes(module.routes)
