"""AYON -> ftrack planning (the transmitter's job, seed_features.md 4.2 and issue 7).

Pure: the activity reads the current state of what a batch of AYON events touched on both
sides into a `TransmitSnapshot`, `plan_transmit` returns the ftrack writes that make ftrack
match AYON (and the few AYON writes that keep the two linked), and gateways apply them.

Every plan is a diff against the current state, so an echo plans nothing (loop prevention):
the ftrack events our writes cause come back through the leecher, and the ftrack -> AYON
planner (`sync.hierarchy`) must find nothing to do. To make that hold, this planner aims at
the state that planner wants, attribute by attribute:

* ftrack holds a mapped attribute *explicitly* exactly when AYON holds it as its *own* value,
  and the AYON own value is what the ftrack reader makes of the stored ftrack value
  (`read_back`: e.g. ftrack dates are days, so an AYON date becomes midnight UTC).
* AYON stores every effective value as own after any attribute write (measured on 1.16). An
  own value equal to the inherited one (and not stored in ftrack) is such a copy: it is
  unset in AYON rather than pushed to ftrack, and every AYON attribute write carries the
  whole mapped vector (None = inherit) so it does not create new copies.
* names: the ftrack name is the AYON label when the label slugifies to the AYON name, else
  the AYON name; `ftrackPath` (AYON) and `ayon_path` (ftrack) follow renames and moves for
  the whole subtree; new ftrack entities get `ayon_id`, `ayon_path`, `ayon_sync_failed`.

Rules by AYON change (the `Touch` of an entity):

* attributes (`attrib_changed`; the project's `changed`: all attributes): the named
  attributes go to their ftrack slot (native `start_date`/`end_date`/`description`, else the
  mapped custom attribute). A hierarchical slot whose AYON value is unset (or inherited) is
  deleted in ftrack; a non-hierarchical one gets AYON's current (inherited) value, which AYON
  then keeps as own.
* status: the ftrack status of the same name (case-insensitive) allowed for the entity
  (object type schema, task workflow with task type overrides, version workflow); else a
  conflict.
* task assignees: appointments (type assignment) added / removed for users mapped both ways;
  appointments of unmapped ftrack users are kept, unmapped AYON users skipped.
* type (`type_changed`): a task gets the ftrack task Type of the same name (exact spelling
  first, else case-insensitive, among the project schema's task types, as creation matches
  them; the ftrack -> AYON planner then reads back the AYON type name); no such type is a
  conflict. ftrack cannot change a TypedContext's object type in place: a folder whose AYON
  type is not its ftrack object type (case-insensitive) is a conflict, nothing is written.
* versions are found by `ftrackId`; without one (or when it points to nothing), by the
  original's fallback: the AssetVersion with the same number of the Asset named like the
  product (case-insensitive) under the folder's ftrack entity, unless its `ayon_id` names
  another AYON version. The pair is then linked both ways (AYON `ftrackId`, ftrack `ayon_id`
  when unset), as the ftrack -> AYON version sync would do on the echo.
* created (or re-activated without an ftrack counterpart): a new ftrack entity with the id
  `ftrack_id_for(ayon id)`, object type / task type matched by name (case-insensitive, among
  the project schema's), status, attributes and assignees; `ftrackId` is written to AYON
  first. A retried create finds the entity by that id and only completes it.
* renamed / moved: ftrack name and parent; paths of the subtree on both sides.
* deactivated: the ftrack entity is deleted (ftrack has no inactive state), unless AYON has
  published products there or ftrack has versions below it (a conflict then); AYON
  descendants still active are deactivated too, as the echo would do.
* deleted: the ftrack entity that points back to the deleted AYON entity (`ayon_id`) is
  deleted, with the same guards.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from ayon_ftrack_sync.sync.identity import ftrack_id_for, is_linked_ftrack_id
from ayon_ftrack_sync.sync.names import clean_label, slugify
from ayon_ftrack_sync.sync.values import (
    ConversionError,
    UnsupportedType,
    _boolean,
    _string,
    ftrack_day,
    parse_datetime,
    to_ayon,
)

FOLDER, TASK, VERSION, PROJECT = "folder", "task", "version", "project"
#: AYON attributes stored in native ftrack fields, by AYON name
FIELD_SLOTS = {"startDate": "start_date", "endDate": "end_date", "description": "description"}
DATE_FIELDS = frozenset({"start_date", "end_date"})
#: ftrack custom attribute types whose values are never written
UNWRITABLE_TYPES = frozenset({"expression", "dynamic enumerator", "notificationtype"})
#: the link attributes (group `ayon`)
AYON_ID, AYON_PATH, SYNC_FAILED = "ayon_id", "ayon_path", "ayon_sync_failed"


class TransmitConflict(StrEnum):
    NO_OBJECT_TYPE = "no_object_type"
    NO_TASK_TYPE = "no_task_type"
    NO_STATUS = "no_status"
    PARENT_NOT_SYNCED = "parent_not_synced"
    NAME_NOT_PORTABLE = "name_not_portable"
    CONVERSION = "conversion"
    HAS_CONTENT = "has_content"
    NOT_LINKED = "not_linked"
    WRITE_REFUSED = "write_refused"
    LIST_TYPE = "list_type"
    #: ftrack keeps a TypedContext's object type for life (AYON changed a folder's type)
    TYPE_NOT_CHANGEABLE = "type_not_changeable"


# -- attribute slots and values ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AttrSlot:
    """Where one AYON attribute is stored on one kind of ftrack entity."""

    ayon_name: str
    ayon_type: str
    #: a native field (`start_date`, `end_date`, `description`), or None for a custom attribute
    field: str | None = None
    conf_id: str | None = None
    #: ftrack custom attribute type name (number, text, boolean, date, enumerator, ...)
    ftrack_type: str = "text"
    hierarchical: bool = True
    is_decimal: bool = True
    multi_select: bool = False
    #: False when ftrack refuses to change the field on this entity type (Shot dates)
    mutable: bool = True

    @property
    def key(self) -> str:
        """Key of the slot's raw value in `FtrackEntity.raw`."""
        return f"field:{self.field}" if self.field else str(self.conf_id)

    @property
    def inherits(self) -> bool:
        """Whether an unset value means "inherit" (hierarchical attributes, native fields
        that have no value); only non-hierarchical custom attributes cannot be unset."""
        return self.field is not None or self.hierarchical


def field_slots(
    ayon_types: Mapping[str, str],
    *,
    project: bool = False,
    immutable: frozenset[str] = frozenset(),
) -> tuple[AttrSlot, ...]:
    """The native-field slots of the AYON attributes that exist (projects: dates only);
    `immutable`: the fields ftrack refuses to change on this entity type."""
    slots = []
    for name, field_name in FIELD_SLOTS.items():
        if name not in ayon_types or (project and field_name == "description"):
            continue
        kind = "date" if field_name in DATE_FIELDS else "text"
        slots.append(
            AttrSlot(
                name,
                ayon_types[name],
                field=field_name,
                ftrack_type=kind,
                mutable=field_name not in immutable,
            )
        )
    return tuple(slots)


def to_ftrack(slot: AttrSlot, value: Any) -> Any:
    """An AYON value as the ftrack slot stores it (None stays None)."""
    if value is None:
        return None
    try:
        if slot.field in DATE_FIELDS:
            moment = parse_datetime(value)
            moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
            day = moment.astimezone(UTC).date()
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        if slot.field is not None:
            return _string(value) or None
        kind = slot.ftrack_type.lower()
        if kind in UNWRITABLE_TYPES:
            raise UnsupportedType(f"ftrack {slot.ftrack_type} attributes are not written")
        if kind == "number":
            return _number(value, slot.is_decimal)
        if kind == "boolean":
            return _boolean(value)
        if kind == "date":
            moment = parse_datetime(value)
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        if kind == "enumerator":
            if isinstance(value, list | tuple):
                items = [str(item) for item in value]
            else:
                items = [str(value)]
            return items if slot.multi_select else items[:1]
        return _string(value)
    except ConversionError as exc:
        raise ConversionError(f"attribute {slot.ayon_name} -> ftrack: {exc}") from None


def _number(value: Any, is_decimal: bool) -> float | int:
    if isinstance(value, bool):
        raise ConversionError(f"{value!r} is a boolean, not a number")
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", "."))
        except ValueError:
            raise ConversionError(f"{value!r} is not a number") from None
    if not isinstance(value, int | float):
        raise ConversionError(f"{value!r} is not a number")
    if is_decimal:
        return float(value)
    if isinstance(value, float) and not value.is_integer():
        raise ConversionError(f"{value!r} is not a whole number")
    return int(value)


def read_back(slot: AttrSlot, raw: Any) -> Any:
    """What the ftrack reader (`ftrack.reader`) makes of a stored value, as AYON holds it."""
    if slot.field is not None:
        if raw is None or raw == "":
            return None
        if isinstance(raw, datetime):
            raw = ftrack_day(raw)
    return to_ayon(raw, slot.ayon_type, attribute=slot.ayon_name)


# -- snapshots --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AyonEntity:
    """An AYON folder, task, version or the project, as far as transmitting goes.

    `own`: stored values (`ownAttrib`); `inherited`: what the entity would have without them
    (its parent's effective values, inheritable attributes only); `path`: folder path (tasks:
    their folder's)."""

    id: str
    kind: str
    name: str
    parent_id: str | None = None
    type_name: str = ""
    label: str | None = None
    status: str | None = None
    active: bool = True
    own: Mapping[str, Any] = field(default_factory=dict)
    inherited: Mapping[str, Any] = field(default_factory=dict)
    assignees: frozenset[str] = frozenset()
    path: str = ""
    has_products: bool = False
    #: versions: their number, their product's name, and the ftrack ids their product's
    #: folder may have (its `ftrackId`, then the id derived from its AYON id), for the match
    #: by name when `ftrackId` finds nothing
    number: int | None = None
    product_name: str = ""
    context_ids: tuple[str, ...] = ()

    @property
    def ftrack_id(self) -> str | None:
        value = self.own.get("ftrackId")
        return value if isinstance(value, str) and is_linked_ftrack_id(value) else None


@dataclass(frozen=True, slots=True)
class FtrackEntity:
    """An ftrack TypedContext, AssetVersion or the project.

    `raw`: explicitly stored values by slot key (`AttrSlot.key`); `appointments`: assigned
    user id -> appointment id (tasks)."""

    id: str
    entity_type: str
    kind: str
    name: str = ""
    parent_id: str | None = None
    object_type_id: str | None = None
    type_id: str | None = None
    status_id: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)
    appointments: Mapping[str, str] = field(default_factory=dict)
    ayon_id: str | None = None
    ayon_path: str | None = None
    ayon_sync_failed: bool | None = None
    #: AssetVersions exist below it (deleting it would delete published work)
    has_versions: bool = False
    #: what the ftrack reader makes the AYON type of: object type name (folders), task Type
    #: name (tasks)
    type_name: str = ""
    #: AssetVersions: their version number (`name` is their Asset's, `parent_id` its context)
    number: int | None = None


@dataclass(frozen=True, slots=True)
class StatusRef:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class FtrackSchema:
    """The project schema as far as transmitting needs it."""

    project_id: str
    #: object type id -> name, the ones the project schema offers (Task included)
    object_types: Mapping[str, str]
    #: task type id -> name, the ones the project schema offers
    task_types: Mapping[str, str]
    #: allowed statuses: `folder:<object type id>`, `task:<type id>` (overrides), `task`,
    #: `version`
    statuses: Mapping[str, tuple[StatusRef, ...]]
    #: attribute slots by entity kind key: object type id, `project`, `version`
    slots: Mapping[str, tuple[AttrSlot, ...]]
    #: configuration ids of `ayon_id`, `ayon_path`, `ayon_sync_failed`
    link_confs: Mapping[str, str] = field(default_factory=dict)
    task_object_type_id: str | None = None
    #: entity types whose `status_id` ftrack refuses to change (Sequence, Folder...)
    fixed_status: frozenset[str] = frozenset()

    def allowed_statuses(self, entity: FtrackEntity) -> tuple[StatusRef, ...]:
        if entity.kind == VERSION:
            return self.statuses.get("version", ())
        if entity.kind == TASK:
            return self.statuses.get(f"task:{entity.type_id}") or self.statuses.get("task", ())
        return self.statuses.get(f"folder:{entity.object_type_id}", ())

    def slots_for(self, entity: FtrackEntity) -> tuple[AttrSlot, ...]:
        if entity.kind in (PROJECT, VERSION):
            return self.slots.get(entity.kind, ())
        return self.slots.get(str(entity.object_type_id), ())

    def status_name(self, status_id: str | None) -> str | None:
        for refs in self.statuses.values():
            for ref in refs:
                if ref.id == status_id:
                    return ref.name
        return None


@dataclass(frozen=True, slots=True)
class TransmitSnapshot:
    schema: FtrackSchema
    #: touched AYON entities, their parents, and the subtrees of renamed / moved folders
    ayon: Mapping[str, AyonEntity]
    #: their ftrack counterparts, ancestors and subtrees (by ftrack id)
    ftrack: Mapping[str, FtrackEntity]
    #: ftrack user id -> AYON user name (`users.map_users`)
    user_map: Mapping[str, str] = field(default_factory=dict)
    #: ftrack ids some active AYON entity links to (`ftrackId`), for the delete guard
    linked_ftrack_ids: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Touch:
    """What AYON events said about one entity (values are re-read, never taken from here).

    `attributes`: names whose value changed; None = all (project `changed`, creation)."""

    kind: str
    id: str
    attributes: frozenset[str] | None = frozenset()
    status: bool = False
    assignees: bool = False
    #: created, renamed, moved, activated or deactivated
    placement: bool = False
    deleted: bool = False
    #: `ftrackId` of a deleted entity as its deletion event carried it
    ftrack_hint: str | None = None
    #: folder type / task type changed (`type_changed`)
    retyped: bool = False

    def merge(self, other: Touch) -> Touch:
        attributes: frozenset[str] | None
        if self.attributes is None or other.attributes is None:
            attributes = None
        else:
            attributes = self.attributes | other.attributes
        return Touch(
            self.kind,
            self.id,
            attributes,
            self.status or other.status,
            self.assignees or other.assignees,
            self.placement or other.placement,
            self.deleted or other.deleted,
            other.ftrack_hint or self.ftrack_hint,
            self.retyped or other.retyped,
        )


# -- topics -> touches -------------------------------------------------------------------------

_PLACEMENT = frozenset(
    {"created", "renamed", "label_changed", "parent_changed", "folder_changed", "active_changed"}
)


@dataclass(frozen=True, slots=True)
class ChangeRef:
    """The part of an AYON event the scope needs."""

    topic: str
    entity_type: str | None
    entity_id: str | None
    payload: Mapping[str, Any] = field(default_factory=dict)


def touches_from(
    changes: Iterable[ChangeRef],
) -> tuple[dict[tuple[str, str], Touch], dict[str, int]]:
    """Touches by (kind, id), and the changes not used by reason."""
    touches: dict[tuple[str, str], Touch] = {}
    skipped: dict[str, int] = {}

    def skip(reason: str) -> None:
        skipped[reason] = skipped.get(reason, 0) + 1

    for change in changes:
        parts = change.topic.split(".")
        if len(parts) != 3 or parts[0] != "entity":
            skip("topic")
            continue
        kind, what = parts[1], parts[2]
        entity_id = change.entity_id
        if kind == PROJECT:
            if what in ("changed", "attrib_changed"):
                names = _changed_names(change.payload) if what == "attrib_changed" else None
                touch = Touch(PROJECT, "", attributes=names)
                _add(touches, touch)
            else:
                skip(f"project.{what}")
            continue
        if kind not in (FOLDER, TASK, VERSION) or not entity_id:
            skip(f"{kind}.{what}")
            continue
        if what == "attrib_changed":
            touch = Touch(kind, entity_id, attributes=_changed_names(change.payload))
        elif what == "status_changed":
            touch = Touch(kind, entity_id, status=True)
        elif what == "assignees_changed" and kind == TASK:
            touch = Touch(kind, entity_id, assignees=True)
        elif what == "type_changed" and kind != VERSION:
            touch = Touch(kind, entity_id, retyped=True)
        elif what in _PLACEMENT and kind != VERSION:
            created = what in ("created", "active_changed")
            touch = Touch(
                kind,
                entity_id,
                attributes=None if created else frozenset(),
                status=created,
                assignees=created and kind == TASK,
                placement=True,
            )
        elif what == "deleted" and kind != VERSION:
            data = change.payload.get("entityData") or {}
            attrib = data.get("attrib") if isinstance(data, Mapping) else None
            hint = attrib.get("ftrackId") if isinstance(attrib, Mapping) else None
            touch = Touch(
                kind, entity_id, deleted=True, ftrack_hint=hint if isinstance(hint, str) else None
            )
        else:
            skip(f"{kind}.{what}")
            continue
        _add(touches, touch)
    return touches, skipped


def _changed_names(payload: Mapping[str, Any]) -> frozenset[str] | None:
    new = payload.get("newValue")
    old = payload.get("oldValue")
    names: set[str] = set()
    for value in (new, old):
        if isinstance(value, Mapping):
            names.update(str(k) for k in value)
    return frozenset(names) if names else None


def _add(touches: dict[tuple[str, str], Touch], touch: Touch) -> None:
    key = (touch.kind, touch.id)
    touches[key] = touches[key].merge(touch) if key in touches else touch


# -- the plan -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateContext:
    id: str
    entity_type: str
    name: str
    parent_id: str
    object_type_id: str
    type_id: str | None = None
    status_id: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class UpdateEntity:
    """Native fields of an ftrack entity (name, parent_id, status_id, dates, description)."""

    id: str
    entity_type: str
    changes: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class SetValue:
    """Store (or with `delete`, remove) one custom attribute value."""

    conf_id: str
    entity_id: str
    value: Any = None
    delete: bool = False


@dataclass(frozen=True, slots=True)
class Appointment:
    id: str
    task_id: str
    user_id: str


@dataclass(frozen=True, slots=True)
class DeleteEntity:
    id: str
    entity_type: str


@dataclass(frozen=True, slots=True)
class AyonUpdate:
    """An AYON write (as the sync: sender type `ftrack`): `attrib` and/or `active`."""

    kind: str
    id: str
    changes: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Refusal:
    kind: TransmitConflict
    path: str
    detail: str
    ayon_id: str | None = None
    ftrack_id: str | None = None


@dataclass
class TransmitPlan:
    #: AYON links of entities about to be created in ftrack (written before them)
    ayon_first: list[AyonUpdate] = field(default_factory=list)
    creates: list[CreateContext] = field(default_factory=list)
    updates: list[UpdateEntity] = field(default_factory=list)
    values: list[SetValue] = field(default_factory=list)
    add_appointments: list[Appointment] = field(default_factory=list)
    remove_appointments: list[str] = field(default_factory=list)
    deletes: list[DeleteEntity] = field(default_factory=list)
    #: AYON writes after ftrack (paths, normalised attributes, deactivated descendants)
    ayon_after: list[AyonUpdate] = field(default_factory=list)
    conflicts: list[Refusal] = field(default_factory=list)

    @property
    def ftrack_writes(self) -> int:
        return (
            len(self.creates)
            + len(self.updates)
            + len(self.values)
            + len(self.add_appointments)
            + len(self.remove_appointments)
            + len(self.deletes)
        )

    @property
    def is_empty(self) -> bool:
        return not (self.ftrack_writes or self.ayon_first or self.ayon_after)

    def summary(self) -> dict[str, int]:
        return {
            "ftrack.created": len(self.creates),
            "ftrack.updated": len(self.updates),
            "ftrack.values": len(self.values),
            "ftrack.assigned": len(self.add_appointments),
            "ftrack.unassigned": len(self.remove_appointments),
            "ftrack.deleted": len(self.deletes),
            "ayon.updated": len(self.ayon_first) + len(self.ayon_after),
            "conflicts": len(self.conflicts),
        }


def ftrack_name(name: str, label: str | None) -> str:
    """The ftrack name of an AYON entity: its label when that maps back to its name."""
    if label and clean_label(label) == label and slugify(label) == name:
        return label
    return name


# -- attributes ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AttrPlan:
    values: tuple[SetValue, ...] = ()
    fields: Mapping[str, Any] = field(default_factory=dict)
    #: the AYON attribute vector to write (None: AYON is already right)
    ayon: Mapping[str, Any] | None = None
    problems: tuple[str, ...] = ()


def plan_attributes(
    slots: Sequence[AttrSlot],
    entity_id: str,
    own: Mapping[str, Any],
    inherited: Mapping[str, Any],
    raw: Mapping[str, Any],
    changed: frozenset[str] | None,
) -> AttrPlan:
    """ftrack writes for the `changed` attributes (None: all) of one entity, and the AYON
    own values the ftrack -> AYON planner will then expect (written when they differ)."""
    values: list[SetValue] = []
    fields: dict[str, Any] = {}
    desired: dict[str, Any] = {}
    problems: list[str] = []
    for slot in slots:
        name = slot.ayon_name
        current_own = own.get(name)
        inherit = inherited.get(name)
        copied = current_own is not None and inherit is not None and current_own == inherit
        stored = raw.get(slot.key)
        try:
            current = read_back(slot, stored)
        except ConversionError:
            current = None
        if (changed is not None and name not in changed) or not slot.mutable:
            desired[name] = None if (current is None and copied) else current_own
            if not slot.mutable and (changed is None or name in changed):
                wanted = None if current_own is None or copied else current_own
                if wanted is not None and wanted != current:
                    problems.append(
                        f"attribute {name}: ftrack does not allow changing {slot.field} here"
                    )
            continue
        if slot.inherits:
            source = None if current_own is None or copied else current_own
        else:
            source = current_own if current_own is not None else inherit
        try:
            target = to_ftrack(slot, source)
            target_back = read_back(slot, target)
        except ConversionError as exc:
            problems.append(str(exc))
            desired[name] = current_own
            continue
        if target_back != current:
            if slot.field is not None:
                fields[slot.field] = target
            elif target is None:
                if slot.key in raw:
                    values.append(SetValue(str(slot.conf_id), entity_id, delete=True))
            else:
                values.append(SetValue(str(slot.conf_id), entity_id, target))
        desired[name] = target_back
    needs_write = any(own.get(k) != v for k, v in desired.items())
    return AttrPlan(tuple(values), fields, desired if needs_write else None, tuple(problems))


def keep_vector(slots: Sequence[AttrSlot], own: Mapping[str, Any]) -> dict[str, Any]:
    """The mapped attribute vector that leaves an entity's values as they are (None =
    inherit), for AYON writes of other attributes (see the module note)."""
    return {slot.ayon_name: own.get(slot.ayon_name) for slot in slots}


# -- status and assignees -----------------------------------------------------------------------


def plan_status(
    ayon_status: str | None, current_id: str | None, allowed: Sequence[StatusRef]
) -> tuple[str | None, str | None]:
    """(status id to set, refusal detail): same name case-insensitively, within `allowed`."""
    if not ayon_status:
        return None, None
    wanted = ayon_status.lower()
    for ref in allowed:
        if ref.id == current_id and ref.name.lower() == wanted:
            return None, None
    for ref in sorted(allowed, key=lambda r: r.id):
        if ref.name.lower() == wanted:
            return (None if ref.id == current_id else ref.id), None
    return None, f"status {ayon_status!r} is not allowed in ftrack for this entity"


def plan_assignees(
    ayon_assignees: Iterable[str],
    appointments: Mapping[str, str],
    user_map: Mapping[str, str],
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(ftrack user ids to assign, appointment ids to remove, AYON users without a
    counterpart). ftrack users without an AYON counterpart keep their appointments."""
    by_name = {name: user_id for user_id, name in sorted(user_map.items())}
    wanted = {by_name[n] for n in ayon_assignees if n in by_name}
    unmapped = tuple(sorted(n for n in ayon_assignees if n not in by_name))
    add = tuple(sorted(wanted - set(appointments)))
    remove = tuple(
        sorted(
            appointment_id
            for user_id, appointment_id in appointments.items()
            if user_id in user_map and user_id not in wanted
        )
    )
    return add, remove, unmapped


def appointment_id(task_id: str, user_id: str) -> str:
    return ftrack_id_for(f"assignment:{task_id}:{user_id}")


# -- the planner ----------------------------------------------------------------------------------


@dataclass
class _Planner:
    snapshot: TransmitSnapshot
    plan: TransmitPlan = field(default_factory=TransmitPlan)
    #: AYON id -> ftrack id of entities linked (existing or created by this plan)
    linked: dict[str, str] = field(default_factory=dict)
    #: ftrack entities as they will be after the plan (names, parents)
    after: dict[str, FtrackEntity] = field(default_factory=dict)
    ayon_writes: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.after = dict(self.snapshot.ftrack)
        self.schema = self.snapshot.schema
        self.by_ftrack: dict[str, AyonEntity] = {}
        for entity in self.snapshot.ayon.values():
            fid = entity.ftrack_id
            if fid and entity.kind in (FOLDER, TASK):
                self.by_ftrack.setdefault(fid, entity)
        self.versions_linked = frozenset(
            e.ftrack_id for e in self.snapshot.ayon.values() if e.kind == VERSION and e.ftrack_id
        )
        self.children: dict[str, list[str]] = {}
        for fentity in self.snapshot.ftrack.values():
            if fentity.parent_id:
                self.children.setdefault(fentity.parent_id, []).append(fentity.id)

    # -- helpers
    def counterpart(self, entity: AyonEntity) -> FtrackEntity | None:
        if entity.id in self.linked:
            return self.after.get(self.linked[entity.id])
        for fid in (entity.ftrack_id, ftrack_id_for(entity.id)):
            if fid and fid in self.snapshot.ftrack:
                found = self.snapshot.ftrack[fid]
                if found.kind in (FOLDER, TASK, VERSION):
                    self.linked[entity.id] = fid
                    return self.after[fid]
        if entity.kind == VERSION:
            # AssetVersions other AYON versions of the batch link to are theirs
            claimed = frozenset(self.linked.values()) | self.versions_linked
            match = match_version(entity, self.snapshot.ftrack.values(), claimed)
            if match is not None:
                self.linked[entity.id] = match.id
                return self.after[match.id]
        return None

    def refuse(
        self, kind: TransmitConflict, entity: AyonEntity | None, detail: str, ftrack_id: str = ""
    ) -> None:
        path = ""
        if entity is not None:
            path = entity.path if entity.kind == FOLDER else f"{entity.path}/{entity.name}"
        self.plan.conflicts.append(
            Refusal(kind, path, detail, entity.id if entity else None, ftrack_id or None)
        )

    def ftrack_path(self, fid: str) -> str:
        parts: list[str] = []
        seen: set[str] = set()
        current = self.after.get(fid)
        while current is not None and current.kind in (FOLDER, TASK) and current.id not in seen:
            seen.add(current.id)
            parts.append(current.name)
            current = self.after.get(current.parent_id or "")
        return "/".join(reversed(parts))

    def ayon_write(
        self, entity: AyonEntity, attrib: Mapping[str, Any], *, first: bool = False
    ) -> None:
        changes = {k: v for k, v in attrib.items()}
        if first:
            self.plan.ayon_first.append(AyonUpdate(entity.kind, entity.id, {"attrib": changes}))
            return
        self.ayon_writes.setdefault(entity.id, {"kind": entity.kind, "attrib": {}})[
            "attrib"
        ].update(changes)

    def slots(self, fentity: FtrackEntity) -> tuple[AttrSlot, ...]:
        return self.schema.slots_for(fentity)

    # -- per touch
    def run(self, touches: Mapping[tuple[str, str], Touch]) -> TransmitPlan:
        ordered = sorted(touches.values(), key=self._order)
        for touch in ordered:
            if touch.kind == PROJECT:
                self.project(touch)
            elif touch.deleted and touch.id not in self.snapshot.ayon:
                self.deleted(touch)
            elif touch.id in self.snapshot.ayon:
                self.entity(touch, self.snapshot.ayon[touch.id])
        for ayon_id, write in self.ayon_writes.items():
            changes: dict[str, Any] = {}
            if write["attrib"]:
                changes["attrib"] = write["attrib"]
            if "active" in write:
                changes["active"] = write["active"]
            if changes:
                self.plan.ayon_after.append(AyonUpdate(write["kind"], ayon_id, changes))
        return self.plan

    def _order(self, touch: Touch) -> tuple[int, int, str]:
        entity = self.snapshot.ayon.get(touch.id)
        depth = entity.path.count("/") if entity is not None else 0
        kind_rank = {PROJECT: 0, FOLDER: 1, TASK: 2, VERSION: 3}.get(touch.kind, 4)
        return (kind_rank if touch.kind != FOLDER else 1, depth, touch.id)

    def project(self, touch: Touch) -> None:
        ayon = self.snapshot.ayon.get("")
        fproject = self.snapshot.ftrack.get(self.schema.project_id)
        if ayon is None or fproject is None:
            return
        attrs = plan_attributes(
            self.slots(fproject), fproject.id, ayon.own, {}, fproject.raw, touch.attributes
        )
        self._attribute_writes(fproject, attrs, ayon, write_ayon=False)

    def deleted(self, touch: Touch) -> None:
        candidates = [touch.ftrack_hint, ftrack_id_for(touch.id)]
        for fid in candidates:
            fentity = self.snapshot.ftrack.get(fid or "")
            if fentity is None or fentity.kind not in (FOLDER, TASK):
                continue
            if fentity.ayon_id != touch.id and fentity.id != ftrack_id_for(touch.id):
                continue  # it belongs to another AYON entity
            if fentity.id in self.snapshot.linked_ftrack_ids:
                continue  # another AYON entity still links to it
            self.remove(fentity, None)
            return

    def entity(self, touch: Touch, entity: AyonEntity) -> None:
        fentity = self.counterpart(entity)
        if entity.kind == VERSION:
            if fentity is None:
                self.refuse(
                    TransmitConflict.NOT_LINKED,
                    entity,
                    "no ftrack AssetVersion found: none by ftrackId, and no version "
                    f"{entity.number} of an Asset named {entity.product_name!r} under the "
                    "folder's ftrack entity",
                )
                return
            self._version_links(entity, fentity)
            self.update(touch, entity, fentity)
            return
        if not entity.active:
            if touch.placement and fentity is not None:
                self.remove(fentity, entity)
            return
        if fentity is None:
            if touch.placement:
                self.create(entity)
            return
        self.update(touch, entity, fentity)

    # -- create
    def create(self, entity: AyonEntity) -> None:
        schema = self.schema
        if entity.parent_id is None:
            if entity.kind == TASK:
                return
            parent_fid = schema.project_id
        else:
            parent = self.snapshot.ayon.get(entity.parent_id)
            fparent = self.counterpart(parent) if parent is not None else None
            if fparent is None or fparent.kind != FOLDER:
                self.refuse(
                    TransmitConflict.PARENT_NOT_SYNCED, entity, "its parent is not in ftrack"
                )
                return
            parent_fid = fparent.id
        name = ftrack_name(entity.name, entity.label)
        if slugify(name) != entity.name:
            self.refuse(
                TransmitConflict.NAME_NOT_PORTABLE,
                entity,
                f"no ftrack name maps back to the AYON name {entity.name!r}",
            )
            return
        type_id: str | None = None
        if entity.kind == TASK:
            object_type_id = schema.task_object_type_id
            type_id = _by_name(schema.task_types, entity.type_name)
            if type_id is None or object_type_id is None:
                self.refuse(
                    TransmitConflict.NO_TASK_TYPE,
                    entity,
                    f"ftrack has no task type {entity.type_name!r} in the project schema",
                )
                return
            entity_type = "Task"
        else:
            folder_types = {
                k: v
                for k, v in schema.object_types.items()
                if v.lower() not in ("task", "milestone")
            }
            found = _by_name(folder_types, entity.type_name)
            if found is None:
                self.refuse(
                    TransmitConflict.NO_OBJECT_TYPE,
                    entity,
                    f"ftrack has no object type {entity.type_name!r} in the project schema",
                )
                return
            object_type_id = found
            entity_type = schema.object_types[found].replace(" ", "")
        new_id = ftrack_id_for(entity.id)
        fentity = FtrackEntity(
            id=new_id,
            entity_type=entity_type,
            kind=entity.kind,
            name=name,
            parent_id=parent_fid,
            object_type_id=object_type_id,
            type_id=type_id,
        )
        self.after[new_id] = fentity
        self.linked[entity.id] = new_id
        path = self.ftrack_path(new_id)
        slots = self.slots(fentity)
        attrs = plan_attributes(slots, new_id, entity.own, entity.inherited, {}, None)
        status_id, refusal = plan_status(entity.status, None, schema.allowed_statuses(fentity))
        if entity_type in schema.fixed_status:
            status_id, refusal = None, None
        if refusal:
            self.refuse(TransmitConflict.NO_STATUS, entity, refusal, new_id)
        vector = dict(attrs.ayon if attrs.ayon is not None else keep_vector(slots, entity.own))
        self.ayon_write(entity, {**vector, "ftrackId": new_id, "ftrackPath": path}, first=True)
        self.plan.creates.append(
            CreateContext(
                new_id,
                entity_type,
                name,
                parent_fid,
                str(object_type_id),
                type_id,
                status_id,
                dict(attrs.fields),
            )
        )
        self.plan.values.extend(v for v in attrs.values if not v.delete)
        for problem in attrs.problems:
            self.refuse(TransmitConflict.CONVERSION, entity, problem, new_id)
        self._links(fentity, entity)
        if entity.kind == TASK:
            add, _remove, _unmapped = plan_assignees(entity.assignees, {}, self.snapshot.user_map)
            self.plan.add_appointments.extend(
                Appointment(appointment_id(new_id, u), new_id, u) for u in add
            )

    def _links(self, fentity: FtrackEntity, entity: AyonEntity) -> None:
        """`ayon_id`, `ayon_path`, `ayon_sync_failed` as the ftrack -> AYON planner wants."""
        confs = self.schema.link_confs
        wanted = {
            AYON_ID: entity.id,
            AYON_PATH: entity.path if entity.kind == FOLDER else "",
            SYNC_FAILED: False,
        }
        current = {
            AYON_ID: fentity.ayon_id,
            AYON_PATH: fentity.ayon_path,
            SYNC_FAILED: fentity.ayon_sync_failed,
        }
        for key, value in wanted.items():
            if key in confs and current[key] != value:
                self.plan.values.append(SetValue(confs[key], fentity.id, value))

    def _version_links(self, entity: AyonEntity, fentity: FtrackEntity) -> None:
        """Link a version pair both ways, as the ftrack -> AYON version sync does on the echo
        (it fills an empty `ftrackId` and writes `ayon_id` where none is stored), so the echo
        of what is written here finds them linked already. AYON versions inherit no
        attributes, so `ftrackId` is written alone."""
        if entity.own.get("ftrackId") != fentity.id:
            self.ayon_write(entity, {"ftrackId": fentity.id})
        conf = self.schema.link_confs.get(AYON_ID)
        if conf and not fentity.ayon_id:
            self.plan.values.append(SetValue(conf, fentity.id, entity.id))

    # -- update
    def update(self, touch: Touch, entity: AyonEntity, fentity: FtrackEntity) -> None:
        changes: dict[str, Any] = {}
        moved = False
        if touch.placement and entity.kind in (FOLDER, TASK):
            name = ftrack_name(entity.name, entity.label)
            if slugify(name) != entity.name:
                self.refuse(
                    TransmitConflict.NAME_NOT_PORTABLE,
                    entity,
                    f"no ftrack name maps back to the AYON name {entity.name!r}",
                    fentity.id,
                )
            elif fentity.name != name:
                changes["name"] = name
            parent_fid = self._parent_fid(entity)
            if parent_fid is None:
                self.refuse(
                    TransmitConflict.PARENT_NOT_SYNCED,
                    entity,
                    "its new parent is not in ftrack",
                    fentity.id,
                )
            elif parent_fid != fentity.parent_id:
                changes["parent_id"] = parent_fid
            moved = bool(changes)
        typed = fentity  # as the status check must see it: a new task type has its workflow
        if touch.retyped and entity.kind in (FOLDER, TASK):
            type_id = self._retype(entity, fentity)
            if type_id is not None:
                changes["type_id"] = type_id
                typed = replace(fentity, type_id=type_id, type_name=self.schema.task_types[type_id])
        if touch.status and fentity.entity_type in self.schema.fixed_status:
            self.refuse(
                TransmitConflict.NO_STATUS,
                entity,
                f"ftrack {fentity.entity_type}s have no changeable status",
                fentity.id,
            )
        elif touch.status:
            status_id, refusal = plan_status(
                entity.status, fentity.status_id, self.schema.allowed_statuses(typed)
            )
            if refusal:
                self.refuse(TransmitConflict.NO_STATUS, entity, refusal, fentity.id)
            elif status_id:
                changes["status_id"] = status_id
        slots = self.slots(fentity)
        attrs = plan_attributes(
            slots, fentity.id, entity.own, entity.inherited, fentity.raw, touch.attributes
        )
        changes.update(attrs.fields)
        for problem in attrs.problems:
            self.refuse(TransmitConflict.CONVERSION, entity, problem, fentity.id)
        if changes:
            self.plan.updates.append(UpdateEntity(fentity.id, fentity.entity_type, changes))
            self.after[fentity.id] = _replace(fentity, changes)
        self._attribute_writes(fentity, attrs, entity, write_ayon=entity.kind != VERSION)
        if touch.assignees and entity.kind == TASK:
            add, remove, _unmapped = plan_assignees(
                entity.assignees, fentity.appointments, self.snapshot.user_map
            )
            self.plan.add_appointments.extend(
                Appointment(appointment_id(fentity.id, u), fentity.id, u) for u in add
            )
            self.plan.remove_appointments.extend(remove)
        if entity.kind in (FOLDER, TASK):
            if touch.placement:
                self._links(self.after[fentity.id], entity)
            self._path(entity, fentity.id, slots)
            if moved:
                self._subtree(fentity.id)

    def _retype(self, entity: AyonEntity, fentity: FtrackEntity) -> str | None:
        """The ftrack task Type id for the AYON type of a task (None: nothing to write).

        Diffed against what the ftrack reader makes the type of (`FtrackEntity.type_name`),
        so an entity already of that type plans nothing. Folders: ftrack keeps a
        TypedContext's object type (its entity class: Shot, Sequence...) for life, so a
        different AYON folder type can only be reported."""
        current = fentity.type_name
        if entity.type_name.lower() == current.lower():
            return None
        if entity.kind == FOLDER:
            self.refuse(
                TransmitConflict.TYPE_NOT_CHANGEABLE,
                entity,
                f"ftrack cannot change an entity's object type: {fentity.name!r} stays a "
                f"{current!r} in ftrack although its AYON folder type is now "
                f"{entity.type_name!r}",
                fentity.id,
            )
            return None
        type_id = _by_name(self.schema.task_types, entity.type_name)
        if type_id is None:
            self.refuse(
                TransmitConflict.NO_TASK_TYPE,
                entity,
                f"ftrack has no task type {entity.type_name!r} in the project schema; the "
                f"ftrack task stays a {current!r}",
                fentity.id,
            )
            return None
        return None if type_id == fentity.type_id else type_id

    def _parent_fid(self, entity: AyonEntity) -> str | None:
        if entity.parent_id is None:
            return self.schema.project_id if entity.kind == FOLDER else None
        parent = self.snapshot.ayon.get(entity.parent_id)
        fparent = self.counterpart(parent) if parent is not None else None
        return fparent.id if fparent is not None and fparent.kind == FOLDER else None

    def _attribute_writes(
        self, fentity: FtrackEntity, attrs: AttrPlan, entity: AyonEntity, *, write_ayon: bool
    ) -> None:
        self.plan.values.extend(attrs.values)
        if attrs.fields and fentity.kind == PROJECT:
            self.plan.updates.append(UpdateEntity(fentity.id, fentity.entity_type, attrs.fields))
        if write_ayon and attrs.ayon is not None:
            self.ayon_write(entity, attrs.ayon)

    def _path(self, entity: AyonEntity, fid: str, slots: Sequence[AttrSlot]) -> None:
        path = self.ftrack_path(fid)
        pending = self.ayon_writes.get(entity.id, {}).get("attrib", {})
        if entity.own.get("ftrackPath") != path or entity.own.get("ftrackId") != fid:
            vector = {**keep_vector(slots, entity.own), **pending}
            self.ayon_write(entity, {**vector, "ftrackId": fid, "ftrackPath": path})

    def _subtree(self, root: str) -> None:
        queue = list(self.children.get(root, []))
        while queue:
            fid = queue.pop()
            queue.extend(self.children.get(fid, []))
            fentity = self.after[fid]
            linked = self.by_ftrack.get(fid)
            if linked is None:
                continue
            self._path(linked, fid, self.slots(fentity))
            if fentity.kind == FOLDER and linked.path and fentity.ayon_path != linked.path:
                conf = self.schema.link_confs.get(AYON_PATH)
                if conf:
                    self.plan.values.append(SetValue(conf, fid, linked.path))

    # -- remove
    def remove(self, fentity: FtrackEntity, entity: AyonEntity | None) -> None:
        if entity is not None and entity.has_products:
            self.refuse(
                TransmitConflict.HAS_CONTENT,
                entity,
                "AYON has published products below it; ftrack keeps the entity",
                fentity.id,
            )
            return
        subtree = [fentity.id]
        queue = list(self.children.get(fentity.id, []))
        while queue:
            fid = queue.pop()
            subtree.append(fid)
            queue.extend(self.children.get(fid, []))
        if any(self.snapshot.ftrack[f].has_versions for f in subtree if f in self.snapshot.ftrack):
            self.refuse(
                TransmitConflict.HAS_CONTENT,
                entity,
                "ftrack has versions below it; it is not deleted",
                fentity.id,
            )
            return
        self.plan.deletes.append(DeleteEntity(fentity.id, fentity.entity_type))
        for fid in subtree[1:]:
            linked = self.by_ftrack.get(fid)
            if linked is not None and linked.active:
                self.ayon_writes.setdefault(linked.id, {"kind": linked.kind, "attrib": {}})[
                    "active"
                ] = False


def _by_name(names: Mapping[str, str], wanted: str) -> str | None:
    """The id of the type named `wanted`: the same spelling first (what the ftrack reader
    reads back as the AYON name), else case-insensitively; ties go to the smaller id."""
    exact = sorted(i for i, n in names.items() if n == wanted)
    if exact:
        return exact[0]
    key = wanted.lower()
    matches = sorted(i for i, n in names.items() if n.lower() == key)
    return matches[0] if matches else None


def _replace(entity: FtrackEntity, changes: Mapping[str, Any]) -> FtrackEntity:
    known = {k: v for k, v in changes.items() if k in ("name", "parent_id", "status_id", "type_id")}
    return replace(entity, **known)


def match_version(
    entity: AyonEntity, candidates: Iterable[FtrackEntity], claimed: frozenset[str] = frozenset()
) -> FtrackEntity | None:
    """The AssetVersion of an AYON version that `ftrackId` does not find (seed 4.2, the
    original's fallback): same version number, its Asset named like the product
    (case-insensitive) and parented under the folder's ftrack entity (`context_ids`, in order
    of preference). AssetVersions whose `ayon_id` names another AYON version, or `claimed`
    by another version of the batch, are someone else's; ties go to the smaller id."""
    if entity.kind != VERSION or entity.number is None or not entity.product_name:
        return None
    name = entity.product_name.lower()
    for context_id in entity.context_ids:
        found = sorted(
            (
                c
                for c in candidates
                if c.kind == VERSION
                and c.parent_id == context_id
                and c.number == entity.number
                and c.name.lower() == name
                and c.ayon_id in (None, "", entity.id)
                and c.id not in claimed
            ),
            key=lambda c: c.id,
        )
        if found:
            return found[0]
    return None


def plan_transmit(
    snapshot: TransmitSnapshot, touches: Mapping[tuple[str, str], Touch]
) -> TransmitPlan:
    """The ftrack (and AYON link) writes that bring ftrack in line with what AYON changed."""
    return _Planner(snapshot).run(touches)


# -- lists --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AyonListState:
    id: str
    label: str
    entity_type: str
    ftrack_id: str | None
    #: ftrack ids of the list's items (items without an ftrack counterpart are left out)
    items: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FtrackListState:
    id: str
    name: str
    system_type: str
    list_type: str | None
    #: entity id -> ListObject id
    objects: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ListTransmit:
    """Make one ftrack list match one AYON list."""

    #: None when the list exists (`ftrack_id`)
    create: bool
    ftrack_id: str
    name: str | None = None
    system_type: str = "task"
    list_type: str | None = None
    #: set `ayon_list_type` (task lists only)
    write_list_type: bool = False
    link_ayon: bool = False
    add: tuple[str, ...] = ()
    #: ListObject ids
    remove: tuple[str, ...] = ()
    refusal: str | None = None

    @property
    def is_empty(self) -> bool:
        return not (
            self.create
            or self.name
            or self.write_list_type
            or self.link_ayon
            or self.add
            or self.remove
            or self.refusal
        )


def list_system_type(entity_type: str) -> str | None:
    if entity_type == VERSION:
        return "assetversion"
    if entity_type in (FOLDER, TASK):
        return "task"
    return None


def plan_list(
    ayon: AyonListState,
    ftrack_lists: Sequence[FtrackListState],
    kept_unlinked: frozenset[str] = frozenset(),
) -> ListTransmit:
    """seed_features 4.2: find the ftrack list by `ftrackId`, then by label (and type);
    create it when missing (id derived from the AYON id); rename; make its items AYON's.
    ftrack-only items are kept only for entities in `kept_unlinked` (their `ayon_id` is
    explicitly empty: never synced), as the original did."""
    system_type = list_system_type(ayon.entity_type)
    if system_type is None:
        return ListTransmit(False, "", refusal=f"AYON {ayon.entity_type} lists are not synced")
    list_type = ayon.entity_type if system_type == "task" else None
    by_id = {f.id: f for f in ftrack_lists}
    found = by_id.get(ayon.ftrack_id or "") or by_id.get(ftrack_id_for(ayon.id))
    if found is None:
        for candidate in sorted(ftrack_lists, key=lambda f: f.id):
            if candidate.name.lower() == ayon.label.lower():
                found = candidate
                break
    if found is None:
        new_id = ftrack_id_for(ayon.id)
        return ListTransmit(
            True,
            new_id,
            name=ayon.label,
            system_type=system_type,
            list_type=list_type,
            write_list_type=list_type is not None,
            link_ayon=ayon.ftrack_id != new_id,
            add=tuple(dict.fromkeys(ayon.items)),
        )
    if found.system_type != system_type or (
        list_type is not None and found.list_type not in (None, list_type)
    ):
        return ListTransmit(
            False,
            found.id,
            refusal=f"ftrack list {found.name!r} holds other entities than the AYON list",
        )
    wanted = dict.fromkeys(ayon.items)
    add = tuple(e for e in wanted if e not in found.objects)
    remove = tuple(
        sorted(
            object_id
            for entity_id, object_id in found.objects.items()
            if entity_id not in wanted and entity_id not in kept_unlinked
        )
    )
    return ListTransmit(
        False,
        found.id,
        name=ayon.label if found.name != ayon.label else None,
        system_type=system_type,
        list_type=list_type,
        write_list_type=list_type is not None and found.list_type != list_type,
        link_ayon=ayon.ftrack_id != found.id,
        add=add,
        remove=remove,
    )
