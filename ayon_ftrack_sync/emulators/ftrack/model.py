"""Entity semantics over the store: polymorphic lookup, relations, computed attributes and the
dense custom-attribute view. Shared by the query evaluator and the write path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .schemas import OBJECT_TYPE_NAMES, TYPE_BY_OBJECT_TYPE_ID, Prop, SchemaRegistry, TypeDef
from .store import INTERNAL_TABLES, Record, Store

# Which custom attribute configurations apply to which stored family (legacy notation).
_CA_ENTITY_TYPE = {
    "Project": "show",
    "TypedContext": "task",
    "AssetVersion": "assetversion",
    "User": "user",
    "Asset": "asset",
    "List": "list",
}
_HIERARCHICAL_FAMILIES = {"show", "task", "asset", "assetversion"}
_CAV_TYPE_BY_TABLE = {
    "Project": "ContextCustomAttributeValue",
    "TypedContext": "ContextCustomAttributeValue",
    "AssetVersion": "AssetVersionCustomAttributeValue",
    "User": "UserCustomAttributeValue",
    "Asset": "AssetCustomAttributeValue",
    "List": "ListCustomAttributeValue",
}


class Model:
    """Read-side helpers; every method is O(result) through indexes where possible."""

    def __init__(self, reg: SchemaRegistry, store: Store) -> None:
        self.reg = reg
        self.store = store
        self._ca_cache_version = -1
        self._ca_configs: list[Record] = []
        self._ca_by_family: dict[tuple[str, str | None], list[Record]] = {}

    # -- identity ---------------------------------------------------------------------------
    def tables_for(self, type_name: str) -> list[str]:
        if type_name in INTERNAL_TABLES:
            return [type_name]
        if type_name == "Context":
            return ["Project", "TypedContext"]
        return [self.reg.get(type_name).table]

    def typedef(self, record: Record) -> TypeDef:
        return self.reg.get(record["__entity_type__"])

    def get(self, type_name: str, key: Any) -> Record | None:
        for table in self.tables_for(type_name):
            record = self.store.get(table, key)
            if record is not None and self.is_a(record, type_name):
                return record
        return None

    def is_a(self, record: Record, type_name: str) -> bool:
        concrete = record["__entity_type__"]
        if concrete == type_name:
            return True
        t = self.reg.get(type_name)
        if type_name == "Context":
            return True
        if t.classifier is not None and t.classifier[0] != "__entity_type__":
            attr, value = t.classifier
            return record.get(attr) == value and self.typedef(record).table == t.table
        if t.abstract_of:
            return concrete in t.abstract_of or t.table == self.typedef(record).table
        if t.table == "CustomAttributeValue" or t.table == "User":
            return True
        return False

    def candidates(self, type_name: str) -> Iterator[Record]:
        """All records a query on ``type_name`` ranges over."""
        t = self.reg.get(type_name)
        for table in self.tables_for(type_name):
            if t.classifier is not None:
                yield from self.store.lookup(table, t.classifier[0], t.classifier[1])
            else:
                yield from list(self.store.rows(table))

    # -- relations --------------------------------------------------------------------------
    def ref(self, record: Record, prop: Prop) -> Record | None:
        if prop.computed == "latest_version":
            versions = list(self.store.lookup("AssetVersion", "asset_id", record["id"]))
            return max(versions, key=lambda v: v.get("version") or 0) if versions else None
        if prop.fk is None or prop.target is None:
            return None
        value = record.get(prop.fk)
        if value is None:
            return None
        return self.get(prop.target, value)

    def collection(self, record: Record, prop: Prop, owner: TypeDef) -> list[Record]:
        target = prop.target
        assert target is not None
        if prop.computed == "custom_attributes":
            return self.dense_custom_attributes(record, owner)
        if prop.computed == "ancestors":
            # TypedContext ancestors, nearest first: the project at the end is not one
            return [r for r in self.ancestors(record) if r["__entity_type__"] != "Project"]
        if prop.computed == "descendants":
            return self.descendants(record)
        if prop.thru is not None:
            link, local, remote = prop.thru
            out = []
            link_table = self.tables_for(link)[0]
            for row in self.store.lookup(link_table, local, record[owner.primary_key[0]]):
                found = self.get(target, row.get(remote))
                if found is not None:
                    out.append(found)
            return out
        if prop.by is None:
            return []
        key = record.get("id")
        out = []
        for table in self.tables_for(target):
            for row in self.store.lookup(table, prop.by, key):
                if self.is_a(row, target):
                    out.append(row)
        return out

    # -- hierarchy --------------------------------------------------------------------------
    def parent(self, record: Record) -> Record | None:
        parent_id = record.get("parent_id")
        if parent_id is None or record["__entity_type__"] == "Project":
            return None
        return self.store.get("TypedContext", parent_id) or self.store.get("Project", parent_id)

    def ancestors(self, record: Record) -> list[Record]:
        """Ancestors nearest first, ending with the project (TypedContexts only)."""
        out: list[Record] = []
        current = self.parent(record)
        seen = set()
        while current is not None and current["id"] not in seen:
            seen.add(current["id"])
            out.append(current)
            current = self.parent(current)
        return out

    def descendants(self, record: Record) -> list[Record]:
        out: list[Record] = []
        stack = [record["id"]]
        while stack:
            pid = stack.pop()
            for child in self.store.lookup("TypedContext", "parent_id", pid):
                out.append(child)
                stack.append(child["id"])
        return out

    def link(self, record: Record) -> list[dict[str, Any]]:
        """The computed ``link`` attribute: root first, ``type`` Project or TypedContext."""
        if record["__entity_type__"] == "AssetVersion":
            asset = self.store.get("Asset", record.get("asset_id"))
            base = self.link(self.get("Context", asset.get("context_id")) or {}) if asset else []
            name = f"{asset['name']} v{record.get('version')}" if asset else ""
            return [*base, {"id": record["id"], "name": name, "type": "AssetVersion"}]
        if "__entity_type__" not in record:
            return []
        chain = [record, *self.ancestors(record)]
        return [
            {
                "id": r["id"],
                "name": r.get("name"),
                "type": "Project" if r["__entity_type__"] == "Project" else "TypedContext",
            }
            for r in reversed(chain)
        ]

    def project_id_of(self, record: Record) -> str | None:
        if record["__entity_type__"] == "Project":
            return str(record["id"])
        value = record.get("project_id")
        return str(value) if value is not None else None

    # -- custom attributes ------------------------------------------------------------------
    def _refresh_ca(self) -> None:
        if self._ca_cache_version == self.store.version:
            return
        configs = list(self.store.rows("CustomAttributeConfiguration"))
        self._ca_configs = configs
        self._ca_by_family = {}
        self._ca_cache_version = self.store.version

    def ca_config(self, config_id: str) -> Record | None:
        return self.store.get("CustomAttributeConfiguration", config_id)

    def configs_for(self, record: Record) -> list[Record]:
        """Configurations applicable to ``record`` (hierarchical ones first, then per type)."""
        self._refresh_ca()
        table = self.typedef(record).table
        family = _CA_ENTITY_TYPE.get(table)
        if family is None:
            return []
        object_type_id = record.get("object_type_id") if family == "task" else None
        cache_key = (family, object_type_id)
        configs = self._ca_by_family.get(cache_key)
        if configs is None:
            configs = []
            for conf in self._ca_configs:
                if conf.get("is_hierarchical"):
                    if family in _HIERARCHICAL_FAMILIES:
                        configs.append(conf)
                    continue
                if str(conf.get("entity_type") or "").lower() != family:
                    continue
                if family == "task" and conf.get("object_type_id") != object_type_id:
                    continue
                configs.append(conf)
            self._ca_by_family[cache_key] = configs
        project_id = self.project_id_of(record) if family != "user" else None
        return [c for c in configs if c.get("project_id") in (None, project_id)]

    def dense_custom_attributes(self, record: Record, owner: TypeDef) -> list[Record]:
        entity_id = record["id"]
        stored = {
            row["configuration_id"]: row
            for row in self.store.lookup("CustomAttributeValue", "entity_id", entity_id)
        }
        cav_type = _CAV_TYPE_BY_TABLE.get(owner.table, "ContextCustomAttributeValue")
        out = []
        for conf in self.configs_for(record):
            row = stored.get(conf["id"])
            out.append(
                {
                    "__entity_type__": cav_type,
                    "configuration_id": conf["id"],
                    "entity_id": entity_id,
                    "key": conf.get("key"),
                    "value": row["value"] if row is not None else conf.get("default"),
                }
            )
        return out

    def cav_key(self, record: Record) -> str | None:
        if "key" in record:
            return record["key"]
        conf = self.ca_config(record.get("configuration_id", ""))
        return conf.get("key") if conf else None

    def computed_scalar(self, record: Record, prop: Prop) -> Any:
        kind = prop.computed
        if kind == "link":
            return self.link(record)
        if kind == "zero":
            return 0
        if kind == "cav_key":
            return self.cav_key(record)
        if kind == "is_latest_version":
            versions = list(self.store.lookup("AssetVersion", "asset_id", record.get("asset_id")))
            top = max((v.get("version") or 0 for v in versions), default=0)
            return (record.get("version") or 0) >= top
        if kind == "thumbnail_url":
            thumb = record.get("thumbnail_id")
            return (
                {"url": None, "value": None}
                if thumb is None
                else {"url": f"/component/thumbnail?id={thumb}", "value": thumb}
            )
        return None

    # -- event helpers ----------------------------------------------------------------------
    def event_entity_type(self, record: Record) -> str:
        """``entity_type`` as events carry it: the ObjectType name for TypedContexts."""
        concrete = str(record["__entity_type__"])
        if self.typedef(record).table == "TypedContext":
            type_name = TYPE_BY_OBJECT_TYPE_ID.get(record.get("object_type_id") or "")
            if type_name:
                return OBJECT_TYPE_NAMES[type_name]
            ot = self.store.get("ObjectType", record.get("object_type_id"))
            return str(ot["name"]) if ot else concrete
        return concrete
