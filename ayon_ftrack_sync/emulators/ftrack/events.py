"""Builds ``ftrack.update`` events in the real shape (spec 9.5) from applied changes.

Items are built at the moment each change is applied, while the parent chain still exists (a
cascade removes children before their parents). Keys and changes use the legacy column names
(schema ``alias_for``); custom attribute values are strings.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from .model import Model
from .store import Record
from .values import event_string
from .writer import Change

_TC_ADD_COLUMNS = [
    "id",
    "taskid",
    "context_type",
    "name",
    "parent_id",
    "bid",
    "description",
    "startdate",
    "enddate",
    "statusid",
    "typeid",
    "priorityid",
    "isopen",
    "isrequirecomment",
    "object_typeid",
    "showid",
]
_TC_REMOVE_COLUMNS = [*_TC_ADD_COLUMNS, "thumbid", "sort"]
_LEGACY_ONLY_DEFAULTS: dict[str, Any] = {"isopen": False, "isrequirecomment": False}
_EVENT_TABLES = {
    "Project": "show",
    "TypedContext": "task",
    "AssetVersion": "assetversion",
    "Asset": "asset",
    "Note": "note",
    "User": "user",
    "List": "list",
    "ListObject": "listobject",
    "Appointment": "appointment",
    "TypedContextLink": "dependency",
    "Job": "job",
}


@dataclass
class Actor:
    """Who a change is attributed to in ``source`` and ``data.user``."""

    user_id: str | None
    username: str
    display_name: str
    application_id: str = "ftrack.api"


class UpdateEventBuilder:
    """Collects the entities of one commit and renders one ``ftrack.update`` event."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.items: list[dict[str, Any]] = []
        self._by_entity: dict[tuple[str, str], dict[str, Any]] = {}

    # -- per change -------------------------------------------------------------------------
    def add(self, change: Change) -> None:
        record = change.new if change.new is not None else change.old
        assert record is not None
        legacy = _EVENT_TABLES.get(change.table)
        if legacy is None:
            return
        entity_id = str(record.get("id"))
        if change.action == "custom":
            self._merge(
                entity_id,
                record,
                legacy,
                "update",
                {
                    str(change.ca_key): {
                        "new": event_string(change.ca_new),
                        "old": event_string(change.ca_old),
                    }
                },
            )
            return
        if change.action == "add":
            columns = self._columns(record, change.table, remove=False)
            changes = {k: {"new": v, "old": None} for k, v in columns.items()}
            self._new_item(entity_id, record, legacy, "add", changes)
            return
        if change.action == "remove":
            columns = self._columns(record, change.table, remove=True)
            changes = {k: {"new": None, "old": v} for k, v in columns.items()}
            self._new_item(entity_id, record, legacy, "remove", changes)
            return
        old, new = change.old or {}, change.new or {}
        t = self.model.typedef(record)
        plain: dict[str, Any] = {}
        for name in change.keys:
            legacy_name = t.legacy_name(name)
            entry = {"new": new.get(name), "old": old.get(name)}
            if name == "parent_id" and change.table == "TypedContext":
                self._new_item(entity_id, record, legacy, "move", {"parent_id": entry})
                continue
            if name == "project_id" and change.table == "TypedContext":
                continue
            plain[legacy_name] = entry
        if plain:
            self._merge(entity_id, record, legacy, "update", plain)

    def _columns(self, record: Record, table: str, remove: bool) -> dict[str, Any]:
        t = self.model.typedef(record)
        if table == "TypedContext":
            by_legacy = {t.legacy_name(n): n for n, p in t.props.items() if p.kind == "scalar"}
            out: dict[str, Any] = {}
            for column in _TC_REMOVE_COLUMNS if remove else _TC_ADD_COLUMNS:
                if column == "taskid":
                    out[column] = record.get("id")
                elif column in _LEGACY_ONLY_DEFAULTS:
                    out[column] = _LEGACY_ONLY_DEFAULTS[column]
                else:
                    out[column] = record.get(by_legacy.get(column, column))
            return out
        return {
            t.legacy_name(n): record.get(n)
            for n, p in t.props.items()
            if p.kind == "scalar" and not p.computed and n in record
        }

    def _new_item(
        self, entity_id: str, record: Record, legacy: str, action: str, changes: dict[str, Any]
    ) -> None:
        item = {
            "action": action,
            "changes": changes,
            "entityId": entity_id,
            "entityType": legacy,
            "entity_type": self.model.event_entity_type(record),
            "keys": list(changes),
            "parentId": self._parent_id(record, legacy),
            "parents": self._parents(record, legacy),
        }
        if legacy == "task":
            item["objectTypeId"] = record.get("object_type_id")
        self.items.append(item)
        self._by_entity[(entity_id, action)] = item

    def _merge(
        self, entity_id: str, record: Record, legacy: str, action: str, changes: dict[str, Any]
    ) -> None:
        existing = self._by_entity.get((entity_id, "add")) or self._by_entity.get(
            (entity_id, action)
        )
        if existing is None:
            self._new_item(entity_id, record, legacy, action, changes)
            return
        # a later operation of the batch may have linked the entity (e.g. a note appended to
        # ``task["notes"]``): describe where it lives now
        existing["parentId"] = self._parent_id(record, legacy)
        existing["parents"] = self._parents(record, legacy)
        for key, entry in changes.items():
            if key in existing["changes"]:
                existing["changes"][key]["new"] = entry["new"]
            else:
                existing["changes"][key] = (
                    entry if existing["action"] != "add" else {"new": entry["new"], "old": None}
                )
                existing["keys"].append(key)

    # -- hierarchy --------------------------------------------------------------------------
    def _parent_id(self, record: Record, legacy: str) -> Any:
        return {
            "show": None,
            "task": record.get("parent_id"),
            "assetversion": record.get("asset_id"),
            "asset": record.get("context_id"),
            "note": record.get("parent_id"),
            "list": record.get("project_id"),
            "listobject": record.get("list_id"),
            "appointment": record.get("context_id"),
            "dependency": record.get("to_id"),
        }.get(legacy)

    def _parent_entry(self, record: Record) -> dict[str, Any]:
        t = self.model.typedef(record)
        legacy = _EVENT_TABLES.get(t.table, t.table.lower())
        return {
            "entityId": record.get("id"),
            "entityType": legacy,
            "entity_type": self.model.event_entity_type(record),
            "parentId": self._parent_id(record, legacy),
        }

    def _parents(self, record: Record, legacy: str) -> list[dict[str, Any]]:
        chain = [record]
        model = self.model
        nxt: Record | None = None
        if legacy in ("show", "task"):
            chain.extend(model.ancestors(record))
            return [self._parent_entry(r) for r in chain]
        if legacy == "assetversion":
            nxt = model.store.get("Asset", record.get("asset_id"))
        elif legacy in ("asset", "appointment"):
            nxt = model.get("Context", record.get("context_id"))
        elif legacy == "note":
            pid = record.get("parent_id")
            nxt = (
                model.get("Context", pid)
                or model.store.get("AssetVersion", pid)
                or model.store.get("Note", pid)
            )
        elif legacy == "list":
            nxt = model.store.get("Project", record.get("project_id"))
        elif legacy == "listobject":
            nxt = model.store.get("List", record.get("list_id"))
        elif legacy == "dependency":
            nxt = model.store.get("TypedContext", record.get("to_id"))
        if nxt is not None:
            chain.extend(r for r in [nxt] if r is not None)
            rest = self._parents(nxt, _EVENT_TABLES.get(model.typedef(nxt).table, ""))
            return [self._parent_entry(record), *rest]
        return [self._parent_entry(r) for r in chain]

    # -- event ------------------------------------------------------------------------------
    def build(self, actor: Actor) -> dict[str, Any] | None:
        if not self.items:
            return None
        parents: dict[str, None] = {}
        for item in self.items:
            for parent in item["parents"]:
                parents[str(parent["entityId"])] = None
        client_token = f"{uuid.uuid4()}-{int(time.time() * 1000)}"
        return {
            "topic": "ftrack.update",
            "id": uuid.uuid4().hex,
            "data": {
                "entities": self.items,
                "pushToken": uuid.uuid4().hex,
                "parents": list(parents),
                "user": {"userid": actor.user_id, "name": actor.display_name},
                "clientToken": client_token,
            },
            "source": {
                "clientToken": client_token,
                "applicationId": actor.application_id,
                "user": {"username": actor.username, "id": actor.user_id},
                "id": client_token,
            },
            "target": "",
            "sent": None,
            "inReplyToEvent": None,
        }
