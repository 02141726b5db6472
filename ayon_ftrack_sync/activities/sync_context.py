"""What every sync step needs to know besides the entities: settings and attribute mapping.

Reading it costs several requests (addon settings, AYON attribute schema, ftrack attribute
configurations). A full sync reads it once; the incremental sync runs many small batches, so
it keeps it for a short time per project (`ContextCache`): a settings or schema change is
picked up within `ttl_s` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

from ayon_ftrack_sync.activities.connections import Connections
from ayon_ftrack_sync.ayon.attributes import attribute_types
from ayon_ftrack_sync.ftrack import read_attribute_configurations
from ayon_ftrack_sync.ftrack.reader import FIELD_ATTRIBUTES
from ayon_ftrack_sync.settings import AyonAttr, SyncSettings, resolve_attribute_mapping
from ayon_ftrack_sync.settings.attribute_mapping import AttributeMapping
from ayon_ftrack_sync.sync.users import AyonUser

#: seconds a cached context is trusted
CONTEXT_TTL_S = 30.0


@dataclass(frozen=True, slots=True)
class SyncContext:
    settings: SyncSettings
    mapping: AttributeMapping
    #: AYON attribute name -> type (`integer`, `float`, `datetime`, ...)
    attribute_types: Mapping[str, str]
    #: AYON attributes the sync reads and writes (mapped ones and the ftrack fields)
    ayon_attributes: frozenset[str]
    #: attributes AYON serves on both folders and tasks (a GraphQL read may ask for these)
    served_attributes: frozenset[str] = frozenset()

    @property
    def deactivate_ayon_only(self) -> bool:
        return self.settings.service_event_handlers.sync_from_ftrack.deactivate_ayon_only


def load_context(conn: Connections, project_name: str | None) -> SyncContext:
    settings = conn.settings(project_name)
    api = conn.ayon()
    schema = api.get_attributes_schema(use_cache=False)["attributes"]
    ayon_attrs = [AyonAttr(a["name"], bool(a.get("builtin"))) for a in schema]
    folder_types = attribute_types(api, "folder")
    task_types = attribute_types(api, "task")
    types = {**folder_types, **task_types}
    mapping = resolve_attribute_mapping(
        settings.custom_attributes.attributes_mapping,
        read_attribute_configurations(conn.ftrack()),
        ayon_attrs,
    )
    names = {name for name, item in mapping.items() if item.confs} | set(FIELD_ATTRIBUTES)
    return SyncContext(
        settings, mapping, types, frozenset(names), frozenset(folder_types) & frozenset(task_types)
    )


class ContextCache:
    """Per-project `SyncContext`s, each trusted for `ttl_s` seconds (thread-safe)."""

    def __init__(self, ttl_s: float = CONTEXT_TTL_S) -> None:
        self._ttl_s = ttl_s
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, SyncContext]] = {}
        self._users: tuple[float, list[AyonUser]] | None = None

    def get(self, conn: Connections, project_name: str) -> SyncContext:
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(project_name)
        if entry is not None and now - entry[0] < self._ttl_s:
            return entry[1]
        context = load_context(conn, project_name)
        with self._lock:
            self._entries[project_name] = (now, context)
        return context

    def ayon_users(self, conn: Connections) -> list[AyonUser]:
        """AYON users (name, email) for the user mapping, trusted for `ttl_s` seconds."""
        now = time.monotonic()
        with self._lock:
            cached = self._users
        if cached is not None and now - cached[0] < self._ttl_s:
            return cached[1]
        users = [
            AyonUser(u["name"], (u.get("attrib") or {}).get("email"))
            for u in conn.ayon().get_users(fields=["name", "attrib.email"])
        ]
        with self._lock:
            self._users = (now, users)
        return users
