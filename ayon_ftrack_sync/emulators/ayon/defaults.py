"""Built-in server data (attribute schema, primary anatomy preset, default users).

The JSON files under `data/` hold what a freshly installed AYON 1.16 with the ftrack addon
answers for `GET /api/attributes` and `GET /api/anatomy/presets/__primary__`.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

ENTITY_TYPES = ("folder", "task", "product", "version", "representation", "workfile")
SERVER_VERSION = "1.16.0+DEVELOP"
ADMIN_NAME = "admin"
ADMIN_PASSWORD = "admin"
SERVICE_NAME = "service"


@cache
def _load(name: str) -> Any:
    return json.loads(resources.files(__package__).joinpath("data", name).read_text("utf-8"))


def builtin_attributes() -> list[dict[str, Any]]:
    """A fresh copy of the attribute schema, ftrackId/ftrackPath included."""
    return copy.deepcopy(_load("attributes.json"))


def primary_preset() -> dict[str, Any]:
    """A fresh copy of the `__primary__` anatomy preset (snake_case, as the server serves it)."""
    return copy.deepcopy(_load("primary_preset.json"))
