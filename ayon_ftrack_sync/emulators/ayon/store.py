"""In-memory state of the emulated server, with the indexes every hot path needs.

Everything is plain JSON-able dicts (so `dump()`/`load()` are trivial) plus secondary
indexes rebuilt from them: children by parent, tasks/products by folder, versions by
product, and the "active sibling name" unique indexes. Lookups by id and by parent never
scan a whole table.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable
from typing import Any

from . import defaults
from .util import IdFactory, now_iso

Entity = dict[str, Any]
KINDS = ("folder", "task", "product", "version", "representation")


def _strip(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in item.items() if k != "original_name"} for item in items]


def link_type_from_preset(item: dict[str, Any]) -> dict[str, Any]:
    """Convert a preset `link_types` item to the project's camelCase linkType record."""
    lt, it, ot = item["link_type"], item["input_type"], item["output_type"]
    data = {k: v for k, v in item.items() if k not in ("link_type", "input_type", "output_type")}
    return {
        "name": f"{lt}|{it}|{ot}",
        "linkType": lt,
        "inputType": it,
        "outputType": ot,
        "data": data,
    }


class Project:
    """One project: anatomy, entities and their indexes."""

    def __init__(self, record: dict[str, Any]) -> None:
        self.record = record  # name, code, anatomy lists, attrib, data, config, timestamps
        self.entities: dict[str, dict[str, Entity]] = {k: {} for k in KINDS}
        self.links: dict[str, dict[str, Any]] = {}
        self.lists: dict[str, dict[str, Any]] = {}
        self.activities: dict[str, dict[str, Any]] = {}
        self.thumbnails: dict[str, dict[str, Any]] = {}
        self.rebuild_indexes()

    def next_seq(self, table: str) -> int:
        """Per-project, per-table creation order (the real server's cursors encode it)."""
        counters = self.record.setdefault("_counters", {})
        counters[table] = int(counters.get(table, 0)) + 1
        return int(counters[table])

    @property
    def name(self) -> str:
        return str(self.record["name"])

    # ---------------------------------------------------------------- indexes
    def rebuild_indexes(self) -> None:
        """(Re)build every secondary index from the primary tables."""
        self.children: dict[str | None, dict[str, None]] = {}
        self.by_parent: dict[str, dict[str, dict[str, None]]] = {k: {} for k in KINDS}
        self.unique: dict[tuple[str, str | None, str], str] = {}
        self.versions_by_task: dict[str, dict[str, None]] = {}
        self.links_by_entity: dict[str, dict[str, None]] = {}
        self.activities_by_entity: dict[str, dict[str, None]] = {}
        self.attr_cache: dict[str, dict[str, Any]] = {}
        for kind in KINDS:
            for ent in self.entities[kind].values():
                self.index_add(kind, ent)
        for link in self.links.values():
            self.link_index_add(link)
        for act in self.activities.values():
            self.activities_by_entity.setdefault(act["entityId"], {})[act["id"]] = None

    def invalidate_attr(self, folder_id: str) -> None:
        """Drop memoised inherited values of a folder and its descendants only."""
        cache = self.attr_cache
        if not cache:
            return
        stack = [folder_id]
        while stack:
            fid = stack.pop()
            cache.pop(fid, None)
            stack.extend(self.children.get(fid, {}))

    @staticmethod
    def parent_of(kind: str, ent: Entity) -> str | None:
        if kind == "folder":
            return ent.get("parentId")
        if kind in ("task", "product"):
            return ent.get("folderId")
        if kind == "representation":
            return ent.get("versionId")
        return ent.get("productId")

    @staticmethod
    def unique_key(kind: str, ent: Entity) -> tuple[str, str | None, str]:
        if kind == "version":
            return (kind, ent.get("productId"), str(ent.get("version")))
        return (kind, Project.parent_of(kind, ent), str(ent["name"]).lower())

    def index_add(self, kind: str, ent: Entity) -> None:
        parent = self.parent_of(kind, ent)
        if kind == "folder":
            self.children.setdefault(parent, {})[ent["id"]] = None
        elif parent is not None:
            self.by_parent[kind].setdefault(parent, {})[ent["id"]] = None
        if kind == "version" and ent.get("taskId"):
            self.versions_by_task.setdefault(ent["taskId"], {})[ent["id"]] = None
        if ent.get("active", True):
            self.unique[self.unique_key(kind, ent)] = ent["id"]

    def index_remove(self, kind: str, ent: Entity) -> None:
        parent = self.parent_of(kind, ent)
        bucket = (
            self.children.get(parent)
            if kind == "folder"
            else (self.by_parent[kind].get(parent) if parent is not None else None)
        )
        if bucket is not None:
            bucket.pop(ent["id"], None)
        if kind == "version" and ent.get("taskId"):
            self.versions_by_task.get(ent["taskId"], {}).pop(ent["id"], None)
        key = self.unique_key(kind, ent)
        if self.unique.get(key) == ent["id"]:
            del self.unique[key]

    def link_index_add(self, link: dict[str, Any]) -> None:
        for eid in (link["input"], link["output"]):
            self.links_by_entity.setdefault(eid, {})[link["id"]] = None

    def link_index_remove(self, link: dict[str, Any]) -> None:
        for eid in (link["input"], link["output"]):
            self.links_by_entity.get(eid, {}).pop(link["id"], None)

    # ---------------------------------------------------------------- helpers
    def get(self, kind: str, entity_id: str) -> Entity | None:
        return self.entities[kind].get(entity_id)

    def find_any(self, entity_id: str) -> tuple[str, Entity] | None:
        for kind in KINDS:
            ent = self.entities[kind].get(entity_id)
            if ent is not None:
                return kind, ent
        return None

    def child_ids(self, kind: str, parent_id: str | None) -> list[str]:
        if kind == "folder":
            return list(self.children.get(parent_id, {}))
        if parent_id is None:
            return []
        return list(self.by_parent[kind].get(parent_id, {}))

    def folder_path(self, folder_id: str | None) -> str:
        """`/a/b/c` path, computed by walking parents (depth is small)."""
        names: list[str] = []
        seen = 0
        folders = self.entities["folder"]
        while folder_id is not None and seen < 1000:
            ent = folders.get(folder_id)
            if ent is None:
                break
            names.append(ent["name"])
            folder_id = ent.get("parentId")
            seen += 1
        return "/" + "/".join(reversed(names))

    def folder_parents(self, folder_id: str | None) -> list[str]:
        """Names of the ancestors of a folder's parent chain, root first (excluding itself)."""
        path = self.folder_path(folder_id)
        return [p for p in path.split("/") if p]

    def folder_by_path(self, path: str) -> Entity | None:
        parent: str | None = None
        ent: Entity | None = None
        folders = self.entities["folder"]
        for part in [p for p in path.strip("/").split("/") if p]:
            found = None
            fid = self.unique.get(("folder", parent, part.lower()))
            if fid is not None and folders[fid]["name"] == part:
                found = folders[fid]
            else:
                for cid in self.children.get(parent, {}):
                    if folders[cid]["name"] == part:
                        found = folders[cid]
                        break
            if found is None:
                return None
            ent = found
            parent = found["id"]
        return ent

    def default_status(self, kind: str) -> str | None:
        for status in self.record.get("statuses", []):
            if kind in (status.get("scope") or []):
                return str(status["name"])
        statuses = self.record.get("statuses", [])
        return str(statuses[0]["name"]) if statuses else None

    def to_dump(self) -> dict[str, Any]:
        return {
            "record": self.record,
            "entities": self.entities,
            "links": self.links,
            "lists": self.lists,
            "activities": self.activities,
            "thumbnails": {
                k: {**v, "content": v["content"].hex()} for k, v in self.thumbnails.items()
            },
        }

    @classmethod
    def from_dump(cls, raw: dict[str, Any]) -> Project:
        proj = cls(raw["record"])
        proj.entities = {k: dict(raw["entities"].get(k, {})) for k in KINDS}
        proj.links = raw.get("links", {})
        proj.lists = raw.get("lists", {})
        proj.activities = raw.get("activities", {})
        proj.thumbnails = {
            k: {**v, "content": bytes.fromhex(v["content"])}
            for k, v in raw.get("thumbnails", {}).items()
        }
        proj.rebuild_indexes()
        return proj


class State:
    """The whole server state. Guarded by `lock` (HTTP loop thread and control callers)."""

    def __init__(self, api_key: str, seed: int = 0) -> None:
        self.lock = threading.RLock()
        self.api_key = api_key
        self.ids = IdFactory(seed)
        self.seq = 0
        self.started_at = now_iso()
        # `attributes` is the database (what `/api/attributes` lists); `live_attributes` is
        # the library the server loaded at its last (re)start, which validation, GraphQL and
        # `/api/info` use. Measured: schema changes only take effect after a restart.
        self.attributes: list[dict[str, Any]] = defaults.builtin_attributes()
        self.live_attributes: list[dict[str, Any]] = defaults.builtin_attributes()
        self.restart_required = False
        self.users: dict[str, dict[str, Any]] = {}
        self.passwords: dict[str, str] = {}
        self.api_keys: dict[str, str] = {}  # key -> user name
        self.tokens: dict[str, str] = {}  # session token -> user name
        self.projects: dict[str, Project] = {}
        self.events: dict[str, dict[str, Any]] = {}
        self.events_by_hash: dict[str, str] = {}
        self.events_by_topic: dict[str, dict[str, None]] = {}
        self.enroll_targets: dict[tuple[str, str], str] = {}  # (target topic, source) -> id
        self.enroll_watermarks: dict[tuple[Any, ...], int] = {}
        self.secrets: dict[str, str] = {}
        self.addons: dict[str, dict[str, Any]] = {}
        self.bundles: dict[str, dict[str, Any]] = {}
        self.background_tasks: dict[str, dict[str, Any]] = {}
        self.event_listeners: list[Callable[[dict[str, Any]], None]] = []
        self._attr_index: dict[str, dict[str, Any]] | None = None
        self._attrs_by_scope: dict[str, list[dict[str, Any]]] = {}
        self.attributes_version = 0
        self.install_default_users()

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def new_id(self) -> str:
        return self.ids.new()

    # ------------------------------------------------------------------ users
    def install_default_users(self) -> None:
        ts = self.started_at
        self.users["admin"] = {
            "name": defaults.ADMIN_NAME,
            "attrib": {"fullName": "Ayon admin"},
            "data": {"isAdmin": True, "accessGroups": {}, "defaultAccessGroups": []},
            "active": True,
            "createdAt": ts,
            "updatedAt": ts,
            "_seq": self.next_seq(),
        }
        self.passwords["admin"] = defaults.ADMIN_PASSWORD
        self.users["service"] = {
            "name": defaults.SERVICE_NAME,
            "attrib": {},
            "data": {
                "isService": True,
                "accessGroups": {},
                "defaultAccessGroups": [],
                "apiKeyPreview": preview_key(self.api_key),
            },
            "active": True,
            "createdAt": ts,
            "updatedAt": ts,
            "_seq": self.next_seq(),
        }
        self.api_keys[self.api_key] = "service"

    # ------------------------------------------------------------- attributes
    def attribute_index(self) -> dict[str, dict[str, Any]]:
        """Effective (post-restart) attributes by name; cached until the schema changes."""
        if self._attr_index is None:
            self._attr_index = {
                a["name"]: a for a in sorted(self.live_attributes, key=lambda a: a["position"])
            }
        return self._attr_index

    def restart(self) -> None:
        """What a server restart does to the attribute library."""
        self.live_attributes = copy.deepcopy(self.attributes)
        self.restart_required = False
        self.attributes_changed()

    def attributes_changed(self) -> None:
        self._attr_index = None
        self._attrs_by_scope.clear()
        self.attributes_version += 1
        for proj in self.projects.values():
            proj.attr_cache.clear()

    def attrs_for(self, scope: str) -> list[dict[str, Any]]:
        cached = self._attrs_by_scope.get(scope)
        if cached is None:
            cached = [a for a in self.attribute_index().values() if scope in a["scope"]]
            self._attrs_by_scope[scope] = cached
        return cached

    # ------------------------------------------------------------ dump / load
    def dump(self) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(
                {
                    "seq": self.seq,
                    "attributes": self.attributes,
                    "liveAttributes": self.live_attributes,
                    "restartRequired": self.restart_required,
                    "users": self.users,
                    "passwords": self.passwords,
                    "apiKeys": {preview_key(k): v for k, v in self.api_keys.items()},
                    "projects": {n: p.to_dump() for n, p in self.projects.items()},
                    "events": self.events,
                    "enrollTargets": [[t, s, i] for (t, s), i in self.enroll_targets.items()],
                    "secrets": self.secrets,
                    "addons": self.addons,
                    "bundles": self.bundles,
                }
            )

    def load(self, raw: dict[str, Any]) -> None:
        with self.lock:
            raw = copy.deepcopy(raw)
            self.seq = int(raw.get("seq", 0))
            self.attributes = raw.get("attributes", defaults.builtin_attributes())
            self.live_attributes = raw.get("liveAttributes", copy.deepcopy(self.attributes))
            self.restart_required = bool(raw.get("restartRequired", False))
            self.users = raw.get("users", {})
            self.passwords = raw.get("passwords", {})
            # API keys are never dumped in clear; the running key stays valid.
            self.api_keys = {self.api_key: "service"}
            self.tokens = {}
            self.projects = {n: Project.from_dump(p) for n, p in raw.get("projects", {}).items()}
            self.events = raw.get("events", {})
            self.events_by_hash = {e["hash"]: i for i, e in self.events.items()}
            self.events_by_topic = {}
            for eid, ev in self.events.items():
                self.events_by_topic.setdefault(ev["topic"], {})[eid] = None
            self.enroll_targets = {(t, s): i for t, s, i in raw.get("enrollTargets", [])}
            self.enroll_watermarks = {}
            self.secrets = raw.get("secrets", {})
            self.addons = raw.get("addons", {})
            self.bundles = raw.get("bundles", {})
            self.background_tasks = {}
            self.attributes_changed()
            if "service" not in self.users or "admin" not in self.users:
                self.install_default_users()


def preview_key(key: str) -> str:
    """`abcd***wxyz`-style preview; never the key itself."""
    return f"{key[:4]}***{key[-4:]}" if len(key) > 8 else "***"
