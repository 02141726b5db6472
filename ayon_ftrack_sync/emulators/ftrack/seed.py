"""Baseline data every ftrack server has: object types, statuses, types, priorities, a project
schema with workflows, custom attribute types/groups, security roles and the builtin locations.
Ids are deterministic (uuid5) except where the real ids are public and relied upon."""

from __future__ import annotations

import json
import uuid
from typing import Any

from .schemas import DEFAULT_PRIORITY_ID, OBJECT_TYPE_IDS, OBJECT_TYPE_NAMES
from .store import Record, Store

_NS = uuid.UUID("5b1a3f56-9c0e-4f5e-8f43-1b7b2c4a9e10")

BUILTIN_LOCATIONS = {
    "ftrack.origin": "ce9b348f-8809-11e3-821c-20c9d081909b",
    "ftrack.unmanaged": "cb268ecc-8809-11e3-a7e2-20c9d081909b",
    "ftrack.review": "cd41be70-8809-11e3-b98a-20c9d081909b",
    "ftrack.server": "3a372bde-05bc-11e4-8908-20c9d081909b",
}
NOT_STARTED_STATUS_ID = "a0bbf0b4-15e2-11e1-b21a-0019bb4983d8"
STATES = [
    ("Not started", "NOT_STARTED"),
    ("In progress", "IN_PROGRESS"),
    ("Done", "DONE"),
    ("Blocked", "BLOCKED"),
]
STATUSES = [
    ("Not started", "NOT_STARTED", "#CCCCCC"),
    ("Ready", "NOT_STARTED", "#4ACDFF"),
    ("In progress", "IN_PROGRESS", "#FF9900"),
    ("Pending Review", "IN_PROGRESS", "#F2C300"),
    ("On Hold", "BLOCKED", "#E9233F"),
    ("Approved", "DONE", "#1CBC90"),
    ("Omitted", "DONE", "#A0A0A0"),
]
TASK_TYPES = [
    "Generic",
    "Animation",
    "Compositing",
    "Modeling",
    "Lighting",
    "Rigging",
    "FX",
    "Layout",
    "Texture",
    "Rendering",
    "Tracking",
    "Editing",
]
CA_TYPES = [
    "text",
    "number",
    "boolean",
    "date",
    "enumerator",
    "dynamic enumerator",
    "expression",
    "url",
]
SECURITY_ROLES = ["Administrator", "API", "Project Manager", "Supervisor", "User"]


def sid(*parts: str) -> str:
    """Deterministic id for seeded rows."""
    return str(uuid.uuid5(_NS, "/".join(parts)))


def _put(store: Store, table: str, concrete: str, **values: Any) -> Record:
    record: Record = {"__entity_type__": concrete, **values}
    store.put(table, record)
    return record


def seed_baseline(store: Store) -> None:
    """Populate an empty store with the baseline rows."""
    for type_name, ot_id in OBJECT_TYPE_IDS.items():
        _put(
            store,
            "ObjectType",
            "ObjectType",
            id=ot_id,
            name=OBJECT_TYPE_NAMES[type_name],
            icon=type_name.lower(),
            sort=list(OBJECT_TYPE_IDS).index(type_name),
            is_leaf=type_name in ("Task", "Milestone"),
            is_typeable=type_name == "Task",
            is_time_reportable=type_name == "Task",
            is_schedulable=type_name == "Task",
            is_statusable=type_name != "Folder",
            is_taskable=type_name != "Task",
        )
    for name, short in STATES:
        _put(store, "State", "State", id=sid("state", short), name=name, short=short)
    for i, (name, state, color) in enumerate(STATUSES):
        status_id = NOT_STARTED_STATUS_ID if i == 0 else sid("status", name)
        _put(
            store,
            "Status",
            "Status",
            id=status_id,
            name=name,
            color=color,
            sort=i,
            is_active=True,
            state_id=sid("state", state),
        )
    for i, name in enumerate(TASK_TYPES):
        _put(
            store,
            "Type",
            "Type",
            id=sid("type", name),
            name=name,
            color="#510100",
            sort=i,
            is_billable=True,
        )
    _put(
        store,
        "Priority",
        "Priority",
        id=DEFAULT_PRIORITY_ID,
        name="None",
        color="#999999",
        sort=0,
        value=0.0,
    )
    for i, name in enumerate(("Low", "Medium", "High", "Urgent"), start=1):
        _put(
            store,
            "Priority",
            "Priority",
            id=sid("priority", name),
            name=name,
            color="#999999",
            sort=i,
            value=float(i),
        )
    seed_project_schema(store, "VFX Scheme")
    for name in CA_TYPES:
        _put(
            store,
            "CustomAttributeType",
            "CustomAttributeType",
            id=sid("catype", name),
            name=name,
            core=True,
            form_config=json.dumps({"name": name}),
        )
    for name in SECURITY_ROLES:
        _put(
            store,
            "SecurityRole",
            "SecurityRole",
            id=sid("role", name),
            name=name,
            type="PROJECT" if name in ("Project Manager", "Supervisor") else "API",
        )
    for name, loc_id in BUILTIN_LOCATIONS.items():
        _put(store, "Location", "Location", id=loc_id, name=name, label=name, description="")
    _put(store, "ListCategory", "ListCategory", id=sid("listcategory", "Default"), name="Default")
    _put(
        store,
        "NoteCategory",
        "NoteCategory",
        id=sid("notecategory", "Default"),
        name="Default",
        color="#999999",
        sort=0,
    )
    for name, short in (("Upload", "upload"), ("Geometry", "geo"), ("Render", "render")):
        _put(
            store,
            "AssetType",
            "AssetType",
            id=sid("assettype", short),
            name=name,
            short=short,
            component="main",
        )


def seed_project_schema(store: Store, name: str) -> str:
    """A project schema with task/version workflows, task types and per-object schemas."""
    schema_id = sid("projectschema", name)
    task_wf = sid("workflow", name, "task")
    version_wf = sid("workflow", name, "version")
    tts = sid("tasktypeschema", name)
    status_ids = [
        NOT_STARTED_STATUS_ID if i == 0 else sid("status", s[0]) for i, s in enumerate(STATUSES)
    ]
    for wf in (task_wf, version_wf):
        _put(store, "WorkflowSchema", "WorkflowSchema", id=wf, name=f"{name} workflow")
        for status_id in status_ids:
            _put(
                store,
                "WorkflowSchemaStatus",
                "WorkflowSchemaStatus",
                workflow_schema_id=wf,
                status_id=status_id,
            )
    _put(store, "TaskTypeSchema", "TaskTypeSchema", id=tts, name=f"{name} types")
    for type_name in TASK_TYPES:
        _put(
            store,
            "TaskTypeSchemaType",
            "TaskTypeSchemaType",
            task_type_schema_id=tts,
            type_id=sid("type", type_name),
        )
    _put(
        store,
        "ProjectSchema",
        "ProjectSchema",
        id=schema_id,
        name=name,
        task_workflow_schema_id=task_wf,
        asset_version_workflow_schema_id=version_wf,
        task_type_schema_id=tts,
    )
    for type_name, ot_id in OBJECT_TYPE_IDS.items():
        _put(
            store,
            "ProjectSchemaObjectType",
            "ProjectSchemaObjectType",
            object_type_id=ot_id,
            project_schema_id=schema_id,
        )
        if type_name == "Task":
            continue
        obj_schema = sid("schema", name, type_name)
        _put(
            store,
            "Schema",
            "Schema",
            id=obj_schema,
            project_schema_id=schema_id,
            type_id=ot_id,
            object_type_id=ot_id,
        )
        for i, status_id in enumerate(status_ids):
            _put(
                store,
                "SchemaStatus",
                "SchemaStatus",
                schema_id=obj_schema,
                status_id=status_id,
                sort=i,
            )
        _put(
            store,
            "SchemaType",
            "SchemaType",
            schema_id=obj_schema,
            type_id=sid("type", "Generic"),
            sort=0,
        )
    return schema_id


# The mandatory ayon attributes (seed_features.md section 0), all in group "ayon".
AYON_ATTRIBUTES: list[dict[str, Any]] = [
    {"key": "ayon_id", "label": "AYON ID", "type": "text", "hier": True, "default": ""},
    {"key": "ayon_path", "label": "AYON path", "type": "text", "hier": True, "default": ""},
    {
        "key": "ayon_sync_failed",
        "label": "AYON sync failed",
        "type": "boolean",
        "hier": True,
        "default": False,
    },
    {
        "key": "auto_sync_enabled",
        "label": "AYON auto-sync",
        "type": "boolean",
        "entity_type": "show",
        "default": False,
    },
    {
        "key": "ayon_list_type",
        "label": "AYON list type",
        "type": "enumerator",
        "entity_type": "list",
        "default": ["folder"],
        "config": {
            "multiSelect": False,
            "data": json.dumps(
                [
                    {"menu": "Folder", "value": "folder"},
                    {"menu": "Task", "value": "task"},
                    {"menu": "Version", "value": "version"},
                ]
            ),
        },
    },
]


def add_attribute(
    store: Store,
    key: str,
    type_name: str,
    *,
    label: str | None = None,
    hierarchical: bool = False,
    entity_type: str = "show",
    object_type_id: str | None = None,
    default: Any = None,
    group: str | None = None,
    config: dict[str, Any] | None = None,
    project_id: str | None = None,
) -> str:
    """Create (or return) a custom attribute configuration; returns its id."""
    conf_id = sid("ca", key, entity_type if not hierarchical else "hier", object_type_id or "")
    if store.get("CustomAttributeConfiguration", conf_id) is not None:
        return conf_id
    group_id = None
    if group is not None:
        group_id = sid("cagroup", group)
        if store.get("CustomAttributeGroup", group_id) is None:
            _put(store, "CustomAttributeGroup", "CustomAttributeGroup", id=group_id, name=group)
    _put(
        store,
        "CustomAttributeConfiguration",
        "CustomAttributeConfiguration",
        id=conf_id,
        key=key,
        label=label or key,
        entity_type="show" if hierarchical else entity_type,
        object_type_id=object_type_id,
        is_hierarchical=hierarchical,
        project_id=project_id,
        default=default,
        config=json.dumps(config or {}),
        sort=0,
        core=False,
        type_id=sid("catype", type_name),
        group_id=group_id,
    )
    return conf_id


def add_ayon_attributes(store: Store) -> dict[str, str]:
    """The five mandatory ``ayon`` group attributes; returns key -> configuration id."""
    out = {}
    for spec in AYON_ATTRIBUTES:
        out[spec["key"]] = add_attribute(
            store,
            spec["key"],
            spec["type"],
            label=spec["label"],
            hierarchical=bool(spec.get("hier")),
            entity_type=spec.get("entity_type", "show"),
            default=spec["default"],
            group="ayon",
            config=spec.get("config"),
        )
    return out


def add_frame_attributes(store: Store) -> dict[str, str]:
    """Common hierarchical attributes a sync maps (frames, fps, resolution...)."""
    specs = [
        ("frameStart", "number", 1001),
        ("frameEnd", "number", 1100),
        ("fps", "number", 25.0),
        ("handleStart", "number", 0),
        ("handleEnd", "number", 0),
        ("resolutionWidth", "number", 1920),
        ("resolutionHeight", "number", 1080),
        ("clipIn", "number", 1),
        ("clipOut", "number", 1),
    ]
    return {
        key: add_attribute(store, key, type_name, hierarchical=True, default=default)
        for key, type_name, default in specs
    }
