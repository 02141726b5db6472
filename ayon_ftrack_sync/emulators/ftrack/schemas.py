"""Hand-written ftrack entity schemas and the server-side relation metadata behind them.

The real server serves JSON schemas that the client turns into entity classes. We write them in a
compact line DSL (one property per line) so that they stay readable and reviewable; property
names, types, ``alias_for`` values (the legacy column names used by ``ftrack.update`` events),
primary keys and default projections follow the real server (a conformance test compares them
with the real ``query_schemas.json``). The set is closed under ``$ref``: a property whose target is
not served is simply not declared, because the client would fail to populate it.

Each property line is ``name kind [tokens]``:

* kind ``s`` string, ``b`` boolean, ``i`` integer, ``n`` number, ``v`` variable, ``o`` object,
  ``dt`` date-time string, ``fk`` foreign-key string, ``>T`` reference, ``*T`` array, ``~T``
  mapped array (key/value);
* tokens ``@alias`` (legacy name), ``=default`` (``uid`` for a fresh id, JSON otherwise),
  ``fk:attr`` (local foreign key of a reference), ``by:attr`` (remote foreign key of a
  collection), ``thru:Link:local:remote`` (many-to-many collection through a link type),
  ``computed:name`` (resolved by code).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

# Built-in object type ids (identical on every ftrack server).
OBJECT_TYPE_IDS: dict[str, str] = {
    "Task": "11c137c0-ee7e-4f9c-91c5-8c77cec22b2c",
    "Shot": "bad911de-3bd6-47b9-8b46-3476e237cb36",
    "Sequence": "e5139355-61da-4c8f-9db4-3abc870166bc",
    "Episode": "22139355-61da-4c8f-9db4-3abc870166bc",
    "Folder": "3c133785-51cb-11e3-980a-20c9d0831e59",
    "AssetBuild": "4be63b64-5010-42fb-bf1f-428af9d638f0",
    "Milestone": "01decdd1-51cb-11e3-9d5b-20c9d0831e59",
}
OBJECT_TYPE_NAMES: dict[str, str] = {
    "Task": "Task",
    "Shot": "Shot",
    "Sequence": "Sequence",
    "Episode": "Episode",
    "Folder": "Folder",
    "AssetBuild": "Asset Build",
    "Milestone": "Milestone",
}
TYPE_BY_OBJECT_TYPE_ID = {v: k for k, v in OBJECT_TYPE_IDS.items()}
DEFAULT_PRIORITY_ID = "9661b320-3a0c-11e2-81c1-0800200c9a66"

_CONTEXT_COMMON = """
id s =uid
name s =""
context_type s
created_at dt
created_by >User @createdBy fk:created_by_id
created_by_id fk @created_by
parent >Context fk:parent_id
parent_id fk
children *Context by:parent_id
thumbnail >Component fk:thumbnail_id
thumbnail_id fk @thumbid
thumbnail_url o computed:thumbnail_url
link s @_api_link computed:link
assets *Asset by:context_id
notes *Note by:parent_id
appointments *Appointment @context_appointments by:context_id
assignments *Appointment @context_assignments by:context_id
allocations *Appointment @context_allocations by:context_id
custom_attributes ~ContextCustomAttributeValue @custom_attribute_values computed:custom_attributes
"""

_TYPED_CONTEXT = (
    _CONTEXT_COMMON
    + """
project_id fk @showid
project >Project @show fk:project_id
description s
bid n
sort n
status_id fk @statusid
status >Status fk:status_id
type_id fk @typeid
type >Type fk:type_id
priority_id fk @priorityid {priority_default}
priority >Priority fk:priority_id
object_type_id fk @object_typeid {object_type_default}
object_type >ObjectType @objectType fk:object_type_id
start_date dt @startdate
end_date dt @enddate
time_logged n computed:zero
bid_time_logged_difference n computed:zero
ancestors *TypedContext computed:ancestors
descendants *TypedContext computed:descendants
lists *TypedContextList @_lists thru:ListObject:entity_id:list_id
incoming_links *TypedContextLink @predecessors by:to_id
outgoing_links *TypedContextLink @successors by:from_id
metadata ~Metadata @meta by:parent_id
"""
)

_PROJECT = (
    _CONTEXT_COMMON
    + """
project_id fk
full_name s @fullname
status s
is_private b @private =false
is_global b @isglobal =false
root s
color s
start_date dt @startdate
end_date dt @enddate
project_schema_id fk @projectschemeid
project_schema >ProjectSchema @projectscheme fk:project_schema_id
descendants *TypedContext computed:descendants
user_security_role_projects *UserSecurityRoleProject @user_role_projects by:project_id
review_sessions *ReviewSession @reviewSessions by:project_id
metadata ~Metadata @meta by:parent_id
"""
)

_CAV = """
entity_id fk
configuration_id fk @register_id
configuration >CustomAttributeConfiguration @register fk:configuration_id
value v @casted_value
key s computed:cav_key
"""

_LIST = """
id s =uid @listid
name s =""
category_id fk @typeid
category >ListCategory @type fk:category_id
project_id fk @showid
project >Project @show fk:project_id
user_id fk @userid
owner >User @user fk:user_id
date dt
is_open b =true @isopen
system_type s ={system_type} @entity
custom_attributes ~ListCustomAttributeValue @custom_attribute_values computed:custom_attributes
"""

_COMPONENT = """
id s =uid {component_id_fk}
name s ="main"
file_type s @filetype
size i =0
system_type s
version_id fk
version >AssetVersion fk:version_id
container_id fk
container >ContainerComponent fk:container_id
component_locations *ComponentLocation by:component_id
metadata ~Metadata @meta by:parent_id
"""

_TC_IMMUTABLE_BASE = [
    "id",
    "_link",
    "link",
    "thumbnail_url",
    "created_by_id",
    "created_by",
    "created_at",
]
_TC_IMMUTABLE_TIME = ["time_logged", "bid_time_logged_difference"]
_SUBTYPE_EXTRA_IMMUTABLE: dict[str, list[str]] = {
    "Task": [],
    "Shot": ["type_id", "type", "bid", "start_date", "end_date"],
    "Sequence": ["type_id", "type", "status_id", "status", "bid", "start_date", "end_date"],
    "Episode": ["type_id", "type", "status_id", "status", "bid", "start_date", "end_date"],
    "Folder": ["type_id", "type", "status_id", "status", "bid", "start_date", "end_date"],
    "AssetBuild": ["bid", "start_date", "end_date"],
    "Milestone": ["start_date"],
}
_TC_REQUIRED = [
    "bid",
    "status_id",
    "type_id",
    "priority_id",
    "object_type_id",
    "sort",
    "context_type",
    "id",
    "name",
]


@dataclass
class Prop:
    """Server-side view of one schema property."""

    name: str
    kind: str  # scalar | ref | coll | mapped
    json_type: str | None = None
    fmt: str | None = None
    target: str | None = None
    alias: str | None = None
    default: Any = None
    has_default: bool = False
    fk: str | None = None
    by: str | None = None
    thru: tuple[str, str, str] | None = None
    computed: str | None = None


@dataclass
class TypeDef:
    """Server-side view of one entity type (schema plus storage metadata)."""

    name: str
    props: dict[str, Prop]
    primary_key: list[str]
    default_projections: list[str]
    immutable: list[str]
    computed: list[str]
    required: list[str]
    system_projections: list[str]
    alias_for: Any
    table: str
    classifier: tuple[str, str] | None = None  # (attribute, value) discriminating the subtype
    abstract_of: list[str] = field(default_factory=list)  # concrete types a query covers
    legacy_entity_type: str | None = None
    _system_props: list[Prop] | None = None

    def system_props(self) -> list[Prop]:
        """Scalar properties named by ``system_projections`` (legacy names resolved)."""
        if self._system_props is None:
            found = []
            for alias in self.system_projections:
                prop = self.props.get(alias) or next(
                    (p for p in self.props.values() if p.alias == alias), None
                )
                if prop is not None and prop.kind == "scalar":
                    found.append(prop)
            self._system_props = found
        return self._system_props

    @property
    def single_pk(self) -> bool:
        return len(self.primary_key) == 1

    def legacy_name(self, attr: str) -> str:
        prop = self.props.get(attr)
        if prop is not None and prop.alias:
            return prop.alias
        return attr


def _parse_props(text: str) -> dict[str, Prop]:
    props: dict[str, Prop] = {}
    for raw in text.replace("\\\n", "").strip().splitlines():
        line = raw.strip()
        if not line:
            continue
        parts = line.split()
        name, kind = parts[0], parts[1]
        prop = Prop(name=name, kind="scalar")
        if kind.startswith(">"):
            prop.kind, prop.target = "ref", kind[1:]
        elif kind.startswith("*"):
            prop.kind, prop.target, prop.json_type = "coll", kind[1:], "array"
        elif kind.startswith("~"):
            prop.kind, prop.target, prop.json_type = "mapped", kind[1:], "mapped_array"
        else:
            prop.json_type = {
                "s": "string",
                "b": "boolean",
                "i": "integer",
                "n": "number",
                "v": "variable",
                "o": "object",
                "dt": "string",
                "fk": "string",
            }[kind]
            if kind == "dt":
                prop.fmt = "date-time"
            elif kind == "fk":
                prop.fmt = "foreign_key"
        for token in parts[2:]:
            if token.startswith("@"):
                prop.alias = token[1:]
            elif token.startswith("="):
                value = token[1:]
                prop.has_default = True
                prop.default = "{uid}" if value == "uid" else json.loads(value.replace("%20", " "))
            elif token.startswith("fk:"):
                prop.fk = token[3:]
            elif token.startswith("by:"):
                prop.by = token[3:]
            elif token.startswith("thru:"):
                link, local, remote = token[5:].split(":")
                prop.thru = (link, local, remote)
            elif token.startswith("computed:"):
                prop.computed = token[9:]
            elif token.startswith("fmt:"):
                prop.fmt = token[4:]
            elif token == "fkfmt":
                prop.fmt = "foreign_key"
            else:
                raise ValueError(f"bad schema token {token!r} in line {line!r}")
        props[name] = prop
    return props


def _t(
    name: str,
    props: str,
    *,
    pk: list[str] | None = None,
    dp: list[str] | None = None,
    imm: list[str] | None = None,
    computed: list[str] | None = None,
    req: list[str] | None = None,
    sysp: list[str] | None = None,
    alias: Any = None,
    table: str | None = None,
    classifier: tuple[str, str] | None = None,
    abstract_of: list[str] | None = None,
    legacy: str | None = None,
) -> TypeDef:
    return TypeDef(
        name=name,
        props=_parse_props(props),
        primary_key=pk or ["id"],
        default_projections=dp or ["id"],
        immutable=imm or ["id"],
        computed=computed or [],
        required=req or ["id"],
        system_projections=sysp or [],
        alias_for=alias,
        table=table or name,
        classifier=classifier,
        abstract_of=abstract_of or [],
        legacy_entity_type=legacy,
    )


def _typed_context_types() -> list[TypeDef]:
    out = []
    base = _TYPED_CONTEXT.replace("{priority_default}", "").replace("{object_type_default}", "")
    out.append(
        _t(
            "TypedContext",
            base,
            dp=["context_type", "id", "name"],
            imm=_TC_IMMUTABLE_TIME + _TC_IMMUTABLE_BASE,
            computed=[*_TC_IMMUTABLE_TIME, "thumbnail_url"],
            req=_TC_REQUIRED,
            sysp=["showid", "context_type"],
            alias="Task",
            table="TypedContext",
            abstract_of=list(OBJECT_TYPE_IDS),
            legacy="task",
        )
    )
    for type_name, ot_id in OBJECT_TYPE_IDS.items():
        text = _TYPED_CONTEXT.replace("{priority_default}", f'="{DEFAULT_PRIORITY_ID}"')
        text = text.replace("{object_type_default}", f'="{ot_id}"')
        out.append(
            _t(
                type_name,
                text,
                dp=["context_type", "id", "name"],
                imm=[
                    "object_type_id",
                    "object_type",
                    *_TC_IMMUTABLE_TIME[::-1],
                    *_SUBTYPE_EXTRA_IMMUTABLE[type_name],
                    *_TC_IMMUTABLE_BASE,
                ],
                computed=[*_TC_IMMUTABLE_TIME, "thumbnail_url"],
                req=_TC_REQUIRED,
                sysp=["showid", "context_type"],
                alias={"id": "Task", "classifiers": {"object_typeid": ot_id}},
                table="TypedContext",
                classifier=("object_type_id", ot_id),
                legacy="task",
            )
        )
    return out


def _cav_type(name: str, sysp: list[str]) -> TypeDef:
    return _t(
        name,
        _CAV,
        pk=["configuration_id", "entity_id"],
        dp=["configuration_id", "entity_id", "key"],
        imm=["configuration_id", "entity_id"],
        req=["configuration_id", "entity_id"],
        sysp=sysp,
        table="CustomAttributeValue",
    )


def _build_types() -> list[TypeDef]:
    types: list[TypeDef] = []
    types.append(
        _t(
            "Context",
            _CONTEXT_COMMON + "project_id fk\n",
            dp=["context_type", "id", "name"],
            imm=[
                "id",
                "_link",
                "link",
                "thumbnail_url",
                "created_by_id",
                "created_by",
                "created_at",
            ],
            computed=["thumbnail_url"],
            req=["context_type", "id", "name"],
            sysp=["context_type"],
            table="Context",
            abstract_of=["Project", "TypedContext"],
        )
    )
    types.append(
        _t(
            "Project",
            _PROJECT,
            dp=["context_type", "id", "name"],
            imm=[
                "id",
                "_link",
                "link",
                "thumbnail_url",
                "created_by_id",
                "created_by",
                "created_at",
            ],
            computed=["thumbnail_url"],
            req=["is_global", "status", "project_schema_id", "context_type", "id", "name"],
            sysp=["context_type"],
            alias="Show",
            legacy="show",
        )
    )
    types.extend(_typed_context_types())
    types.append(
        _t(
            "ObjectType",
            """
id s =uid @typeid
name s
icon s ="default"
sort i =0
is_leaf b =false @isleaf
is_typeable b =true @istypeable
is_time_reportable b =false @istimereportable
is_schedulable b =false @isschedulable
is_statusable b =true @isstatusable
is_taskable b =true @istaskable
project_schemas *ProjectSchema thru:ProjectSchemaObjectType:object_type_id:project_schema_id
""",
            req=[
                "id",
                "name",
                "icon",
                "sort",
                "is_time_reportable",
                "is_taskable",
                "is_typeable",
                "is_statusable",
                "is_schedulable",
            ],
        )
    )
    types.append(
        _t(
            "Status",
            """
id s =uid @statusid
name s
color s
sort i =0
is_active b @isactive
state >State @statustype fk:state_id
""",
            req=["id", "is_active"],
            alias="TaskStatus",
        )
    )
    types.append(_t("State", "id s =uid @typeid\nname s\nshort s\n", alias="StatusType"))
    types.append(
        _t(
            "Type",
            """
id s =uid @typeid
name s
color s ="#510100"
sort i =0
is_billable b =true @isbillable
task_type_schemas *TaskTypeSchema @schemes thru:TaskTypeSchemaType:type_id:task_type_schema_id
""",
            req=["id", "color", "sort", "is_billable"],
            alias="TaskType",
        )
    )
    types.append(
        _t(
            "Priority",
            """
id s =uid @priorityid
name s
color s
sort i =0
value n =0
""",
            alias="PriorityType",
        )
    )
    types.append(
        _t(
            "ProjectSchema",
            """
id s =uid @schemeid
name s
task_workflow_schema_id fk @taskworkflowid
task_workflow_schema >WorkflowSchema @taskworkflow fk:task_workflow_schema_id
_task_workflow >WorkflowSchema @taskworkflow fk:task_workflow_schema_id
asset_version_workflow_schema_id fk @versionworkflowid
asset_version_workflow_schema >WorkflowSchema @versionworkflow fk:asset_version_workflow_schema_id
_version_workflow >WorkflowSchema @versionworkflow fk:asset_version_workflow_schema_id
task_type_schema_id fk @tasktypeschemeid
task_type_schema >TaskTypeSchema @tasktypescheme fk:task_type_schema_id
_task_type_schema >TaskTypeSchema @tasktypescheme fk:task_type_schema_id
_overrides *ProjectSchemaOverride @overrides by:project_schema_id
task_workflow_schema_overrides *ProjectSchemaOverride @overrides by:project_schema_id
_schemas *Schema @schemas by:project_schema_id
object_type_schemas *Schema @schemas by:project_schema_id
object_types *ObjectType thru:ProjectSchemaObjectType:project_schema_id:object_type_id
""",
            alias="ProjectScheme",
        )
    )
    types.append(
        _t(
            "ProjectSchemaObjectType",
            """
object_type_id fk
object_type >ObjectType fk:object_type_id
project_schema_id fk
project_schema >ProjectSchema fk:project_schema_id
""",
            pk=["object_type_id", "project_schema_id"],
            dp=["object_type_id", "project_schema_id"],
            imm=["object_type_id", "project_schema_id"],
            req=["object_type_id", "project_schema_id"],
        )
    )
    types.append(
        _t(
            "WorkflowSchema",
            """
id s =uid @schemeid
name s ="Workflow%20Name"
statuses *Status thru:WorkflowSchemaStatus:workflow_schema_id:status_id
overrides *ProjectSchemaOverride by:workflow_schema_id
""",
            alias="WorkflowScheme",
        )
    )
    types.append(
        _t(
            "WorkflowSchemaStatus",
            """
workflow_schema_id fk @schemeid
status_id fk @statusid
""",
            pk=["workflow_schema_id", "status_id"],
            dp=["workflow_schema_id", "status_id"],
            imm=["workflow_schema_id", "status_id"],
            req=["workflow_schema_id", "status_id"],
        )
    )
    types.append(
        _t(
            "ProjectSchemaOverride",
            """
id s =uid @overrideid
project_schema_id fk @projectschemeid
workflow_schema_id fk @workflowschemeid
workflow_schema >WorkflowSchema @workflowscheme fk:workflow_schema_id
type_id fk @typeid
""",
            alias="ProjectSchemeOverride",
        )
    )
    types.append(
        _t(
            "Schema",
            """
id s =uid
project_schema_id fk @projectschemeid
type_id fk @typeid
object_type_id fk @typeid
statuses *SchemaStatus by:schema_id
types *SchemaType by:schema_id
""",
            req=["id", "type_id", "project_schema_id"],
        )
    )
    types.append(
        _t(
            "SchemaStatus",
            """
schema_id fk @schemaid
status_id fk @statusid
task_status >Status @taskstatus fk:status_id
sort i =0
""",
            pk=["status_id", "schema_id"],
            dp=["status_id", "schema_id"],
            imm=["status_id", "schema_id"],
            req=["status_id", "schema_id"],
        )
    )
    types.append(
        _t(
            "SchemaType",
            """
schema_id fk @schemaid
type_id fk @typeid
task_type >Type @tasktype fk:type_id
sort i =0
""",
            pk=["type_id", "schema_id"],
            dp=["type_id", "schema_id"],
            imm=["type_id", "schema_id"],
            req=["type_id", "schema_id"],
        )
    )
    types.append(
        _t(
            "TaskTypeSchema",
            """
id s =uid @schemeid
name s ="TaskType%20Schema%20Name"
types *Type thru:TaskTypeSchemaType:task_type_schema_id:type_id
""",
            alias="TaskTypeScheme",
        )
    )
    types.append(
        _t(
            "TaskTypeSchemaType",
            """
task_type_schema_id fk @schemeid
type_id fk @typeid
""",
            pk=["task_type_schema_id", "type_id"],
            dp=["task_type_schema_id", "type_id"],
            imm=["task_type_schema_id", "type_id"],
            req=["task_type_schema_id", "type_id"],
        )
    )
    types.append(
        _t(
            "User",
            """
id s =uid
username s
first_name s @firstname
last_name s @lastname
email s
is_active b @isactive
is_otp_enabled b @otp_enabled
is_totp_enabled b @totp_enabled
require_details_update b
resource_type s ="user"
thumbnail_id fk @thumbid
thumbnail >Component fk:thumbnail_id
thumbnail_url o computed:thumbnail_url
user_security_roles *UserSecurityRole @userRoles by:user_id
appointments *Appointment @resource_appointments by:resource_id
assignments *Appointment @resource_assignments by:resource_id
allocations *Appointment @resource_allocations by:resource_id
custom_attributes ~UserCustomAttributeValue @custom_attribute_values computed:custom_attributes
metadata ~Metadata @meta by:parent_id
""",
            imm=["resource_type", "thumbnail_url", "id"],
            computed=["thumbnail_url"],
            req=["username", "is_active", "resource_type", "id"],
            sysp=["resource_type"],
            legacy="user",
        )
    )
    types.append(
        _t(
            "Resource",
            """
id s =uid
resource_type s
appointments *Appointment @resource_appointments by:resource_id
assignments *Appointment @resource_assignments by:resource_id
allocations *Appointment @resource_allocations by:resource_id
""",
            req=["resource_type", "id"],
            sysp=["resource_type"],
            table="User",
        )
    )
    types.append(
        _t(
            "SecurityRole",
            """
id s =uid @roleid
name s
type s @typeid fkfmt
user_security_roles *UserSecurityRole @userRoles by:security_role_id
""",
            dp=["id", "name"],
            alias="Auth_Role",
        )
    )
    types.append(
        _t(
            "UserSecurityRole",
            """
id s =uid
user_id fk @userid
user >User fk:user_id
security_role_id fk @roleid
security_role >SecurityRole @role fk:security_role_id
is_all_projects b @isallprojects
is_all_open_projects b @isallprojects
user_security_role_projects *UserSecurityRoleProject @user_role_projects by:user_security_role_id
""",
            dp=["id", "user_id", "security_role_id"],
            alias="Auth_UserRole",
        )
    )
    types.append(
        _t(
            "UserSecurityRoleProject",
            """
id s =uid
project_id fk
project >Project fk:project_id
user_security_role_id fk @user_role_id
user_security_role >UserSecurityRole @user_role fk:user_security_role_id
""",
            dp=["id", "user_security_role_id", "project_id"],
            alias="UserRoleProject",
        )
    )
    types.append(
        _t(
            "Appointment",
            """
id s =uid
context_id fk
context >Context @appointment_context fk:context_id
resource_id fk
resource >Resource @appointment_resource fk:resource_id
type s
""",
            req=["id", "type", "resource_id", "context_id"],
            legacy="appointment",
        )
    )
    types.append(
        _t(
            "TypedContextLink",
            """
id s =uid @dependencyid
from_id fk
from >TypedContext @fromTask fk:from_id
to_id fk
to >TypedContext @toTask fk:to_id
metadata ~Metadata @meta by:parent_id
""",
            dp=["id", "from_id", "to_id"],
            req=["id", "from_id", "to_id"],
            alias="Dependency",
            legacy="dependency",
        )
    )
    types.append(
        _t(
            "Asset",
            """
id s =uid @assetid
name s
context_id fk
parent >Context fk:context_id
type_id fk @typeid
type >AssetType fk:type_id
versions *AssetVersion by:asset_id
latest_version >AssetVersion computed:latest_version
custom_attributes ~AssetCustomAttributeValue @custom_attribute_values computed:custom_attributes
metadata ~Metadata @meta by:parent_id
""",
            computed=["latest_version"],
            sysp=["context_id"],
            legacy="asset",
        )
    )
    types.append(
        _t(
            "AssetType",
            """
id s =uid @typeid
name s
short s
component s ="main"
assets *Asset by:type_id
""",
            req=["id", "name", "short"],
        )
    )
    types.append(
        _t(
            "AssetVersion",
            """
id s =uid @versionid
version i
comment s =""
date dt
is_published b =true @ispublished
asset_id fk @assetid
asset >Asset fk:asset_id
task_id fk @taskid
task >Task fk:task_id
status_id fk @statusid
status >Status fk:status_id
user_id fk @userid
user >User fk:user_id
thumbnail_id fk @thumbid
thumbnail >Component fk:thumbnail_id
thumbnail_url o computed:thumbnail_url
link s @_api_link computed:link
is_latest_version b computed:is_latest_version
components *Component by:version_id
notes *Note by:parent_id
lists *AssetVersionList @_lists thru:ListObject:entity_id:list_id
custom_attributes ~AssetVersionCustomAttributeValue @custom_attribute_values \
 computed:custom_attributes
metadata ~Metadata @meta by:parent_id
""",
            imm=["id", "_link", "link", "is_latest_version", "thumbnail_url"],
            computed=["thumbnail_url"],
            req=["id", "is_published", "status_id"],
            sysp=["assetid"],
            legacy="assetversion",
        )
    )
    for comp_name in ("Component", "FileComponent", "ContainerComponent"):
        text = _COMPONENT.replace("{component_id_fk}", "" if comp_name == "Component" else "fkfmt")
        if comp_name == "ContainerComponent":
            text += "members *Component by:container_id\n"
        types.append(
            _t(
                comp_name,
                text,
                dp=["id", "system_type"],
                req=["system_type", "name", "id"],
                sysp=["system_type", "version_id"],
                table="Component",
                classifier=None if comp_name == "Component" else ("__entity_type__", comp_name),
                abstract_of=["FileComponent", "ContainerComponent"]
                if comp_name == "Component"
                else None,
                legacy="component",
            )
        )
    types.append(
        _t(
            "ComponentLocation",
            """
id s =uid
component_id fk
component >Component fk:component_id
location_id fk
location >Location fk:location_id
resource_identifier s @resourceIdentifier
url o computed:null
""",
            computed=["url"],
            sysp=["location_id", "component_id"],
        )
    )
    types.append(
        _t(
            "Location",
            """
id s =uid
name s
label s
description s
location_components *ComponentLocation by:location_id
""",
            req=["name", "id"],
        )
    )
    types.append(
        _t(
            "Note",
            """
id s =uid @noteid
content s @text
parent_id s
parent_type s
date dt
is_todo b =false
completed_at dt
completed_by_id fk
completed_by >User fk:completed_by_id
user_id fk @userid
author >User @user fk:user_id
category_id fk @categoryid
category >NoteCategory fk:category_id
in_reply_to_id fk @noteparentid
in_reply_to >Note @noteparent fk:in_reply_to_id
replies *Note @notes by:in_reply_to_id
thread_activity dt @triggerdate
metadata ~Metadata @meta by:parent_id
""",
            req=["id", "user_id"],
            legacy="note",
        )
    )
    types.append(
        _t(
            "NoteCategory",
            """
id s =uid @categoryid
name s
color s
sort i =0
""",
            alias="NoteCategory",
        )
    )
    list_common: dict[str, Any] = dict(
        req=["id", "is_open", "category_id", "project_id"],
        sysp=["showid"],
        table="List",
        legacy="list",
    )
    types.append(
        _t(
            "List",
            _LIST.replace("{system_type}", '"task"'),
            abstract_of=["TypedContextList", "AssetVersionList"],
            **list_common,
        )
    )
    types.append(
        _t(
            "TypedContextList",
            _LIST.replace("{system_type}", '"task"')
            + "items *Task @_task_items thru:ListObject:list_id:entity_id\n",
            imm=["type", "id"],
            alias={"id": "List", "classifiers": {"entity": "task"}},
            classifier=("system_type", "task"),
            **list_common,
        )
    )
    types.append(
        _t(
            "AssetVersionList",
            _LIST.replace("{system_type}", '"assetversion"')
            + "items *AssetVersion @_asset_version_items "
            "thru:ListObject:list_id:entity_id\n",
            imm=["type", "id"],
            alias={"id": "List", "classifiers": {"entity": "assetversion"}},
            classifier=("system_type", "assetversion"),
            **list_common,
        )
    )
    types.append(
        _t(
            "ListObject",
            """
id s =uid
entity_id s @entityid
list_id fk @listid
list >List fk:list_id
""",
            dp=["id", "entity_id", "list_id"],
            req=["id", "entity_id", "list_id"],
            legacy="listobject",
        )
    )
    types.append(
        _t(
            "ListCategory",
            """
id s =uid @typeid
name s
lists *List by:category_id
""",
            alias="ListType",
        )
    )
    types.append(
        _t(
            "CustomAttributeConfiguration",
            """
id s =uid @registerid
key s
label s
entity_type s @entity
object_type_id s @entity_key
object_type >ObjectType @object_type fk:object_type_id
is_hierarchical b =false @ishierarchical
project_id s @topid
default v ="" @casted_default
config s
sort i =0
core b =false
type_id fk @typeid
type >CustomAttributeType fk:type_id
group_id fk @groupid
group >CustomAttributeGroup fk:group_id
read_security_roles *SecurityRole @read_roles thru:_CAReadRole:configuration_id:role_id
write_security_roles *SecurityRole @write_roles thru:_CAWriteRole:configuration_id:role_id
values *CustomAttributeValue by:configuration_id
""",
            req=["id", "core", "config"],
            sysp=["write_permissionid", "permissionid", "topid"],
            alias="Variable_Register",
        )
    )
    types.append(
        _t(
            "CustomAttributeType",
            """
id s =uid @typeid
name s
core b =false
form_config s @formconfig
custom_attribute_configurations *CustomAttributeConfiguration @variables by:type_id
""",
            req=["id", "core"],
        )
    )
    types.append(
        _t(
            "CustomAttributeGroup",
            """
id s =uid @groupid
name s
custom_attribute_configurations *CustomAttributeConfiguration @registers by:group_id
""",
            dp=["id", "name"],
            alias="AttributeGroup",
        )
    )
    types.append(
        _t(
            "CustomAttributeValue",
            """
entity_id s @entityid
configuration_id fk @registerid
configuration >CustomAttributeConfiguration @register fk:configuration_id
value v @casted_value
""",
            pk=["configuration_id", "entity_id"],
            dp=["configuration_id", "entity_id"],
            imm=["configuration_id", "entity_id"],
            req=["configuration_id", "entity_id"],
            alias="Variable_Value",
        )
    )
    types.append(
        _cav_type(
            "ContextCustomAttributeValue", ["entity_id", "key", "_casted_value", "project_id"]
        )
    )
    for name in (
        "AssetVersionCustomAttributeValue",
        "ListCustomAttributeValue",
        "AssetCustomAttributeValue",
    ):
        types.append(_cav_type(name, ["entity_id", "key", "_casted_value", "project_id"]))
    types.append(_cav_type("UserCustomAttributeValue", ["entity_id", "key", "_casted_value"]))
    types.append(
        _t(
            "Metadata",
            """
parent_id s @meta_id
parent_type s @meta_type
key s @variable
value s
""",
            pk=["parent_id", "key"],
            dp=["parent_id", "key", "value", "parent_type"],
            imm=["parent_id", "key"],
            req=["parent_id", "key", "value", "parent_type"],
            alias="Meta",
        )
    )
    types.append(
        _t(
            "Job",
            """
id s =uid @jobid
status s ="queued"
type s ="api_job"
data s fmt:json
created_at dt
finished_at dt
user_id fk @userid
user >User fk:user_id
""",
            imm=["id", "type"],
            req=["id", "status", "type"],
            legacy="job",
        )
    )
    types.append(
        _t(
            "ReviewSession",
            """
id s =uid
name s ="New%20review%20session"
description s =""
project_id fk
project >Project fk:project_id
created_at dt
created_by_id fk @created_by
created_by >User @createdBy fk:created_by_id
start_date dt @start
end_date dt @end
is_moderated b
""",
            req=[
                "name",
                "description",
                "start_date",
                "end_date",
                "project_id",
                "id",
                "created_by_id",
                "created_at",
            ],
        )
    )
    return types


_INTERNAL_LINK_TYPES = {"_CAReadRole", "_CAWriteRole"}


def _prop_json(prop: Prop) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if prop.kind == "ref":
        out["$ref"] = prop.target
    elif prop.kind in ("coll", "mapped"):
        out["type"] = prop.json_type
        out["items"] = {"$ref": prop.target}
        if prop.kind == "mapped":
            out["key_value_attributes"] = {"key": "key", "value": "value"}
    else:
        out["type"] = prop.json_type
        if prop.fmt:
            out["format"] = prop.fmt
    if prop.has_default:
        out["default"] = prop.default
    if prop.alias:
        out["alias_for"] = prop.alias
    return out


class SchemaRegistry:
    """All types the emulator serves, the JSON schemas sent to clients and their hash."""

    def __init__(self) -> None:
        self.types: dict[str, TypeDef] = {t.name: t for t in _build_types()}
        for t in self.types.values():
            for prop in t.props.values():
                if prop.target and prop.target not in self.types:
                    raise ValueError(f"{t.name}.{prop.name} targets unknown {prop.target}")
        self.schemas: list[dict[str, Any]] = [self._schema_json(t) for t in self.types.values()]
        # Exactly the client's cache algorithm, so a cached schema file is reused.
        self.schema_hash = hashlib.md5(
            json.dumps(self.schemas, sort_keys=True).encode("utf-8")
        ).hexdigest()
        self.tables = sorted(
            {t.table for t in self.types.values() if not t.abstract_of or t.table == t.name}
            - {"Context"}
        )

    @staticmethod
    def _schema_json(t: TypeDef) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "id": t.name,
            "type": "object",
            "properties": {name: _prop_json(p) for name, p in t.props.items()},
            "primary_key": list(t.primary_key),
            "default_projections": list(t.default_projections),
            "immutable": list(t.immutable),
            "required": list(t.required),
        }
        if t.computed:
            schema["computed"] = list(t.computed)
        if t.system_projections:
            schema["system_projections"] = list(t.system_projections)
        if t.alias_for is not None:
            schema["alias_for"] = t.alias_for
        return schema

    def get(self, name: str) -> TypeDef:
        return self.types[name]


REGISTRY: SchemaRegistry | None = None


def registry() -> SchemaRegistry:
    """The process-wide registry (schemas are immutable, so one instance is shared)."""
    global REGISTRY
    if REGISTRY is None:
        REGISTRY = SchemaRegistry()
    return REGISTRY


__all__ = [
    "DEFAULT_PRIORITY_ID",
    "OBJECT_TYPE_IDS",
    "OBJECT_TYPE_NAMES",
    "TYPE_BY_OBJECT_TYPE_ID",
    "Prop",
    "SchemaRegistry",
    "TypeDef",
    "registry",
]
