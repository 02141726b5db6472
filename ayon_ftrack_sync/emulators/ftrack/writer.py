"""Create / update / delete semantics: server defaults, validation, cascades, custom attribute
upserts. Every applied change is recorded so that the commit can emit ``ftrack.update``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import IntegrityError, ValidationError
from .model import Model
from .schemas import DEFAULT_PRIORITY_ID, TYPE_BY_OBJECT_TYPE_ID, Prop, TypeDef
from .store import Record
from .values import decode_wire, normalise_datetime, now_naive


@dataclass
class Change:
    """One applied change, as the event builder needs it."""

    action: str  # add | update | remove | custom
    table: str
    old: Record | None
    new: Record | None
    keys: list[str] = field(default_factory=list)  # API attribute names that changed
    ca_key: str | None = None  # for custom attribute changes
    ca_old: Any = None
    ca_new: Any = None


@dataclass
class WriteOptions:
    unique_sibling_names: bool = True
    acting_user_id: str | None = None


def _fill(record: Record, name: str, value: Any) -> None:
    """Set a server default unless the client sent a value."""
    if record.get(name) is None:
        record[name] = value


def _entity_ref_id(value: Any) -> Any:
    if isinstance(value, dict):
        return value.get("id")
    return value


class Writer:
    """Applies create/update/delete operations to the store (inside a store transaction)."""

    def __init__(self, model: Model, options: WriteOptions) -> None:
        self.model = model
        self.store = model.store
        self.reg = model.reg
        self.options = options
        self.changes: list[Change] = []
        self.listener: Callable[[Change], None] | None = None

    def _emit(self, change: Change) -> None:
        self.changes.append(change)
        if self.listener is not None:
            self.listener(change)

    # -- helpers ----------------------------------------------------------------------------
    def _typedef(self, entity_type: str) -> TypeDef:
        if entity_type not in self.reg.types:
            raise ValidationError(f"Entity type {entity_type} does not exist.")
        return self.reg.get(entity_type)

    def _key_from(self, t: TypeDef, entity_key: Any, data: dict[str, Any]) -> Any:
        keys = entity_key if isinstance(entity_key, list) else [entity_key]
        values = []
        for i, name in enumerate(t.primary_key):
            if name in data and data[name] is not None:
                values.append(str(_entity_ref_id(data[name])))
            elif i < len(keys) and keys[i] is not None:
                values.append(str(keys[i]))
            else:
                raise ValidationError(f"Missing primary key {name} for {t.name}.")
        return values[0] if len(values) == 1 else tuple(values)

    def _check_ref(self, prop: Prop, value: Any) -> None:
        if value is None or prop.target is None:
            return
        if self.model.get(prop.target, value) is None:
            raise ValidationError(
                f"Referenced {prop.target} with id {value} does not exist ({prop.name})."
            )

    def _apply_attributes(
        self, t: TypeDef, record: Record, data: dict[str, Any], creating: bool
    ) -> list[tuple[Prop, list[Any]]]:
        """Set scalars and references on ``record``; return collections to link afterwards."""
        collections: list[tuple[Prop, list[Any]]] = []
        for name, raw in data.items():
            if name == "__entity_type__":
                continue
            prop = t.props.get(name)
            if prop is None:
                raise ValidationError(f"{t.name} has no attribute {name}.")
            if not creating and name in t.immutable:
                raise ValidationError(f"Attribute {name} of {t.name} is immutable.")
            if prop.kind == "scalar":
                if prop.computed:
                    continue
                value = decode_wire(raw)
                if prop.fmt == "date-time" and value is not None:
                    value = normalise_datetime(value)
                record[name] = value
            elif prop.kind == "ref":
                if prop.fk is None:
                    continue
                target_id = _entity_ref_id(raw)
                self._check_ref(prop, target_id)
                record[prop.fk] = target_id
            elif prop.kind == "coll":
                collections.append((prop, list(raw or [])))
        return collections

    def _link_collections(
        self, t: TypeDef, record: Record, collections: list[tuple[Prop, list[Any]]]
    ) -> None:
        for prop, items in collections:
            ids = [_entity_ref_id(i) for i in items]
            if prop.thru is not None:
                link, local, remote = prop.thru
                table = self.model.tables_for(link)[0]
                for row in list(self.store.lookup(table, local, record["id"])):
                    if row.get(remote) not in ids:
                        if link == "ListObject":
                            self._remove(row)
                        else:
                            self.store.delete(table, self.store.key_of(table, row))
                for target_id in ids:
                    row = {"__entity_type__": link, local: record["id"], remote: target_id}
                    if link == "ListObject":
                        existing = [
                            r
                            for r in self.store.lookup(table, local, record["id"])
                            if r.get(remote) == target_id
                        ]
                        if existing:
                            continue
                        row["id"] = str(uuid.uuid4())
                        self.store.put(table, row)
                        self._emit(Change("add", table, None, row, keys=list(row)[1:]))
                        continue
                    self.store.put(table, row)
            elif prop.by is not None and prop.target is not None:
                for target_id in ids:
                    target = self.model.get(prop.target, target_id)
                    if target is None:
                        continue
                    table = self.model.typedef(target).table
                    updated = dict(target)
                    updated[prop.by] = record["id"]
                    if prop.by == "parent_id" and table == "Note":
                        updated["parent_type"] = t.name
                    changed = [k for k in updated if updated[k] != target.get(k)]
                    self.store.put(table, updated)
                    if changed:
                        self._emit(Change("update", table, target, updated, keys=changed))

    def _default_status(self, project_id: str | None, for_version: bool = False) -> str | None:
        project = self.store.get("Project", project_id) if project_id else None
        if project is not None:
            schema = self.store.get("ProjectSchema", project.get("project_schema_id"))
            if schema is not None:
                wf_id = schema.get(
                    "asset_version_workflow_schema_id" if for_version else "task_workflow_schema_id"
                )
                for row in self.store.lookup("WorkflowSchemaStatus", "workflow_schema_id", wf_id):
                    return str(row["status_id"])
        for status in self.store.rows("Status"):
            return str(status["id"])
        return None

    def _check_unique_name(self, record: Record, exclude_id: str | None) -> None:
        if not self.options.unique_sibling_names:
            return
        name = str(record.get("name") or "").lower()
        for sibling in self.store.lookup("TypedContext", "parent_id", record.get("parent_id")):
            if sibling["id"] != exclude_id and str(sibling.get("name") or "").lower() == name:
                raise IntegrityError(
                    f"Duplicate entry: an entity named {record.get('name')} already exists "
                    f"under parent {record.get('parent_id')}."
                )

    def _check_unique_project_name(self, record: Record) -> None:
        name = str(record.get("name") or "").lower()
        for other in self.store.rows("Project"):
            if other["id"] != record["id"] and str(other.get("name") or "").lower() == name:
                raise IntegrityError(
                    f"Duplicate entry: a project named {record.get('name')} already exists."
                )

    def _move_descendants(self, record: Record) -> None:
        """A parent change across projects moves the whole subtree to the new project."""
        for child in self.model.descendants(record):
            if child.get("project_id") != record.get("project_id"):
                self.store.put("TypedContext", {**child, "project_id": record["project_id"]})

    # -- family defaults --------------------------------------------------------------------
    def _prepare_typed_context(self, record: Record, creating: bool) -> None:
        parent_id = record.get("parent_id")
        if parent_id is None:
            raise ValidationError("Missing required attribute parent for TypedContext.")
        parent = self.store.get("TypedContext", parent_id) or self.store.get("Project", parent_id)
        if parent is None:
            raise ValidationError(f"Parent with id {parent_id} does not exist.")
        if not creating:
            current: Record | None = parent
            while current is not None:
                if current["id"] == record["id"]:
                    raise ValidationError("An entity cannot be moved below itself.")
                current = self.model.parent(current)
        record["project_id"] = self.model.project_id_of(parent)
        if not str(record.get("name") or "").strip():
            raise ValidationError("Attribute name must not be empty.")
        self._check_unique_name(record, None if creating else record["id"])

    def _server_defaults(self, t: TypeDef, record: Record) -> None:
        table = t.table
        now = now_naive()
        user_id = self.options.acting_user_id
        if "created_at" in t.props and not t.props["created_at"].computed:
            _fill(record, "created_at", now)
        if "created_by_id" in t.props:
            _fill(record, "created_by_id", user_id)
        if table == "TypedContext":
            ot = record.get("object_type_id")
            if ot is None:
                raise ValidationError("Missing required attribute object_type_id.")
            record["__entity_type__"] = TYPE_BY_OBJECT_TYPE_ID.get(ot, "TypedContext")
            _fill(record, "context_type", "task")
            for name, default in (
                ("bid", 0.0),
                ("sort", 0.0),
                ("description", ""),
                ("priority_id", DEFAULT_PRIORITY_ID),
            ):
                if record.get(name) is None:
                    record[name] = default
            for name in ("type_id", "start_date", "end_date", "thumbnail_id", "status_id"):
                _fill(record, name, None)
            self._prepare_typed_context(record, creating=True)
            if record.get("status_id") is None:
                record["status_id"] = self._default_status(record.get("project_id"))
        elif table == "Project":
            record["context_type"] = "show"
            if record.get("project_schema_id") is None:
                raise ValidationError("Missing required attribute project_schema for Project.")
            _fill(record, "status", "active")
            _fill(record, "full_name", record.get("name"))
            _fill(record, "root", "")
            _fill(record, "parent_id", None)
            if not str(record.get("name") or "").strip():
                raise ValidationError("Attribute name must not be empty.")
            self._check_unique_project_name(record)
        elif table == "AssetVersion":
            if record.get("asset_id") is None:
                raise ValidationError("Missing required attribute asset for AssetVersion.")
            if record.get("version") is None:
                versions = self.store.lookup("AssetVersion", "asset_id", record["asset_id"])
                record["version"] = 1 + max((v.get("version") or 0 for v in versions), default=0)
            _fill(record, "date", now)
            _fill(record, "user_id", user_id)
            if record.get("status_id") is None:
                asset = self.store.get("Asset", record["asset_id"])
                ctx = self.model.get("Context", asset.get("context_id")) if asset else None
                record["status_id"] = self._default_status(
                    self.model.project_id_of(ctx) if ctx else None, for_version=True
                )
        elif table == "Note":
            _fill(record, "date", now)
            _fill(record, "thread_activity", now)
            if record.get("user_id") is None:
                record["user_id"] = user_id
        elif table == "Job":
            _fill(record, "user_id", user_id)
        elif table == "List":
            _fill(record, "date", now)
            _fill(record, "user_id", user_id)
            if record.get("project_id") is None:
                raise ValidationError("Missing required attribute project for List.")
        elif table == "ListObject":
            if record.get("list_id") is None or record.get("entity_id") is None:
                raise ValidationError("ListObject needs list and entity_id.")
        elif table == "CustomAttributeConfiguration":
            if not record.get("key"):
                raise ValidationError("Missing required attribute key.")
            _fill(record, "config", "")
        elif table == "User":
            _fill(record, "is_active", True)

    # -- operations -------------------------------------------------------------------------
    def create(self, entity_type: str, entity_key: Any, data: dict[str, Any]) -> Record:
        t = self._typedef(entity_type)
        if t.table == "CustomAttributeValue":
            return self.set_custom_attribute(t, entity_key, data)
        if t.name in ("Context", "Resource"):
            raise ValidationError(f"Cannot create an entity of the abstract type {t.name}.")
        record: Record = {"__entity_type__": t.name}
        for prop in t.props.values():
            if prop.kind == "scalar" and prop.has_default and not prop.computed:
                record[prop.name] = str(uuid.uuid4()) if prop.default == "{uid}" else prop.default
        if t.classifier is not None and t.classifier[0] != "__entity_type__":
            record[t.classifier[0]] = t.classifier[1]
        collections = self._apply_attributes(t, record, data, creating=True)
        key = self._key_from(t, entity_key, data)
        for i, name in enumerate(t.primary_key):
            record[name] = key if t.single_pk else key[i]
        for prop in t.props.values():
            if prop.kind == "scalar" and not prop.computed:
                record.setdefault(prop.name, None)
        if self.store.get(t.table, key) is not None:
            raise IntegrityError(f"Duplicate entry {key} for primary key of {t.name}.")
        self._server_defaults(t, record)
        self.store.put(t.table, record)
        self._link_collections(t, record, collections)
        self._emit(
            Change(
                "add",
                t.table,
                None,
                record,
                keys=[n for n, v in record.items() if n != "__entity_type__"],
            )
        )
        return record

    def update(self, entity_type: str, entity_key: Any, data: dict[str, Any]) -> Record:
        t = self._typedef(entity_type)
        if t.table == "CustomAttributeValue":
            return self.set_custom_attribute(t, entity_key, data)
        key = self._key_from(t, entity_key, {})
        old = self.model.get(entity_type, key)
        if old is None:
            raise ValidationError(f"{entity_type} with key {key} does not exist.")
        t = self.model.typedef(old)
        record = dict(old)
        collections = self._apply_attributes(t, record, data, creating=False)
        if t.table == "TypedContext" and (
            record.get("parent_id") != old.get("parent_id") or record.get("name") != old.get("name")
        ):
            self._prepare_typed_context(record, creating=False)
        elif t.table == "Project" and record.get("name") != old.get("name"):
            self._check_unique_project_name(record)
        changed = [n for n in record if n != "__entity_type__" and record.get(n) != old.get(n)]
        self.store.put(t.table, record)
        if t.table == "TypedContext" and record.get("project_id") != old.get("project_id"):
            self._move_descendants(record)
        self._link_collections(t, record, collections)
        if changed:
            self._emit(Change("update", t.table, old, record, keys=changed))
        return record

    def delete(self, entity_type: str, entity_key: Any) -> None:
        t = self._typedef(entity_type)
        key = self._key_from(t, entity_key, {})
        if t.table == "CustomAttributeValue":
            conf_id, entity_id = key
            old = self.store.get("CustomAttributeValue", (conf_id, entity_id))
            if old is None:
                raise ValidationError("Custom attribute value does not exist.")
            self._record_ca_change(old["configuration_id"], entity_id, old.get("value"), None)
            self.store.delete("CustomAttributeValue", (conf_id, entity_id))
            return
        record = self.model.get(entity_type, key)
        if record is None:
            raise ValidationError(f"{entity_type} with key {key} does not exist.")
        self._cascade_delete(record)

    def _remove(self, record: Record) -> None:
        table = self.model.typedef(record).table
        self._emit(Change("remove", table, record, None))
        self.store.delete(table, self.store.key_of(table, record))

    def _cascade_delete(self, record: Record) -> None:
        table = self.model.typedef(record).table
        entity_id = record.get("id")
        if table in ("Project", "TypedContext"):
            descendants = self.model.descendants(record)
            for child in reversed(descendants):
                self._cascade_delete_one(child)
            if table == "Project":
                for lst in list(self.store.lookup("List", "project_id", entity_id)):
                    self._cascade_delete(lst)
        self._cascade_delete_one(record)

    def _cascade_delete_one(self, record: Record) -> None:
        table = self.model.typedef(record).table
        entity_id = record.get("id")
        store = self.store
        for row in list(store.lookup("CustomAttributeValue", "entity_id", entity_id)):
            store.delete("CustomAttributeValue", store.key_of("CustomAttributeValue", row))
        for row in list(store.lookup("Metadata", "parent_id", entity_id)):
            store.delete("Metadata", store.key_of("Metadata", row))
        for note in list(store.lookup("Note", "parent_id", entity_id)):
            self._cascade_delete_one(note)
        if table == "Note":
            for reply in list(store.lookup("Note", "in_reply_to_id", entity_id)):
                self._cascade_delete_one(reply)
        for row in list(store.lookup("ListObject", "entity_id", entity_id)):
            self._remove(row)
        if table in ("Project", "TypedContext"):
            for row in list(store.lookup("Appointment", "context_id", entity_id)):
                self._remove(row)
            for field_name in ("from_id", "to_id"):
                for row in list(store.lookup("TypedContextLink", field_name, entity_id)):
                    self._remove(row)
            for asset in list(store.lookup("Asset", "context_id", entity_id)):
                self._cascade_delete_one(asset)
        elif table == "Asset":
            for version in list(store.lookup("AssetVersion", "asset_id", entity_id)):
                self._cascade_delete_one(version)
        elif table == "AssetVersion":
            for comp in list(store.lookup("Component", "version_id", entity_id)):
                self._cascade_delete_one(comp)
        elif table == "List":
            for row in list(store.lookup("ListObject", "list_id", entity_id)):
                self._remove(row)
        elif table == "Component":
            for row in list(store.lookup("ComponentLocation", "component_id", entity_id)):
                self._remove(row)
        self._remove(record)

    # -- custom attributes ------------------------------------------------------------------
    def set_custom_attribute(self, t: TypeDef, entity_key: Any, data: dict[str, Any]) -> Record:
        """Upsert one value: ``update`` of a missing row creates it (spec pitfall 10)."""
        conf_id, entity_id = self._key_from(t, entity_key, data)
        conf = self.model.ca_config(conf_id)
        if conf is None:
            raise ValidationError(f"Custom attribute configuration {conf_id} does not exist.")
        owner = None
        for family in ("Context", "AssetVersion", "User", "Asset", "List"):
            owner = self.model.get(family, entity_id)
            if owner is not None:
                break
        if owner is None:
            raise ValidationError(f"Entity {entity_id} for custom attribute does not exist.")
        for name in data:
            if name not in ("__entity_type__", "value", "configuration_id", "entity_id", "key"):
                raise ValidationError(f"{t.name} has no attribute {name}.")
        old = self.store.get("CustomAttributeValue", (conf_id, entity_id))
        if "value" in data:
            value = self._validate_ca_value(conf, decode_wire(data["value"]))
        else:
            value = old.get("value") if old else conf.get("default")
        record = {
            "__entity_type__": "CustomAttributeValue",
            "configuration_id": conf_id,
            "entity_id": entity_id,
            "value": value,
        }
        self.store.put("CustomAttributeValue", record)
        old_value = old.get("value") if old is not None else None
        if old is None or old_value != value:
            self._record_ca_change(conf_id, entity_id, old_value, value)
        return {**record, "__entity_type__": t.name, "key": conf.get("key")}

    def _validate_ca_value(self, conf: Record, value: Any) -> Any:
        if value is None:
            return None
        ca_type = self.store.get("CustomAttributeType", conf.get("type_id"))
        type_name = str(ca_type.get("name") if ca_type else "").lower()
        key = conf.get("key")
        ok = True
        if type_name == "number":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        elif type_name == "text":
            ok = isinstance(value, str)
        elif type_name == "boolean":
            ok = isinstance(value, bool)
        elif type_name == "date":
            value = normalise_datetime(value)
            ok = value is not None
        elif type_name in ("enumerator", "dynamic enumerator"):
            if isinstance(value, str):
                value = [value]
            ok = isinstance(value, list)
        if not ok:
            raise ValidationError(
                f'Custom attribute value for "{key}" must be of type {type_name}.'
            )
        return value

    def _record_ca_change(self, conf_id: str, entity_id: str, old: Any, new: Any) -> None:
        conf = self.model.ca_config(conf_id)
        owner = self.model.get("Context", entity_id)
        if owner is None:
            for family in ("AssetVersion", "User", "Asset", "List"):
                owner = self.model.get(family, entity_id)
                if owner is not None:
                    break
        if owner is None or conf is None:
            return
        self._emit(
            Change(
                "custom",
                self.model.typedef(owner).table,
                owner,
                owner,
                keys=[str(conf.get("key"))],
                ca_key=str(conf.get("key")),
                ca_old=old,
                ca_new=new,
            )
        )
