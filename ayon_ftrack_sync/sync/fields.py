"""Which AYON fields an ftrack change may set: the key-scoped incremental diff.

An ftrack update event names the columns that changed (`keys`, legacy names). The incremental
sync re-reads the entity, but writes to AYON only the fields those keys feed. The rest of the
AYON entity is left as it is, because it may hold a newer AYON edit that the transmit has not
sent to ftrack yet: diffing the whole entity would put ftrack's older value back (the echo
race of seed_features.md bug 5). A full resync still compares everything.

A field is a token: `placement` (name, label, parent, `ftrackPath`, active), `status`, `type`,
`assignees`, or `attrib:<AYON attribute name>`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

PLACEMENT = "placement"
STATUS = "status"
TYPE = "type"
ASSIGNEES = "assignees"
#: pseudo key the scope uses for a task whose appointments changed
APPOINTMENT_KEY = "appointment"
#: legacy column -> token
_COLUMN_FIELDS = {
    "name": PLACEMENT,
    "parent_id": PLACEMENT,
    "parentid": PLACEMENT,
    "statusid": STATUS,
    "typeid": TYPE,
    "object_typeid": TYPE,
    "startdate": "attrib:startDate",
    "enddate": "attrib:endDate",
    "description": "attrib:description",
    APPOINTMENT_KEY: ASSIGNEES,
}


def attrib_field(name: str) -> str:
    return f"attrib:{name}"


def ayon_fields(keys: Iterable[str], custom_keys: Mapping[str, str]) -> frozenset[str]:
    """The field tokens a set of changed ftrack keys feeds.

    `custom_keys` maps ftrack custom attribute keys to AYON attribute names for the entity's
    kind (`AttributeMapping.ftrack_to_ayon`). Keys that feed nothing (the link attributes
    `ayon_id`/`ayon_path`/`ayon_sync_failed`, `sort`, `thumbid`, unmapped attributes) give no
    field; the entity is still planned, so its write-back and name checks run.
    """
    fields: set[str] = set()
    for key in keys:
        column = _COLUMN_FIELDS.get(key)
        if column is not None:
            fields.add(column)
        elif key in custom_keys:
            fields.add(attrib_field(custom_keys[key]))
    return frozenset(fields)


def allows(fields: frozenset[str] | None, token: str) -> bool:
    """None means every field (an added entity, a full sync, a change without keys)."""
    return fields is None or token in fields
