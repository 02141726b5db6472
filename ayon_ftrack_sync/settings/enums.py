"""Closed value sets of the settings, with the labels the AYON UI shows.

The service validates these values (``Literal`` types in the models); the AYON addon turns the
same lists into its ``enum_resolver`` callables, so both sides offer exactly the same choices.
Open sets (secret names, project link types) are resolved by the server and are plain ``str``.
"""

from __future__ import annotations

from typing import Final, Literal

AllowDeny = Literal["allow_list", "deny_list"]
ALLOW_DENY: Final = (
    {"value": "allow_list", "label": "Allow list"},
    {"value": "deny_list", "label": "Deny list"},
)

AttrMappingType = Literal["hierarchical", "standard"]
ATTR_MAPPING_TYPES: Final = (
    {"value": "hierarchical", "label": "Hierarchical"},
    {"value": "standard", "label": "Standard"},
)

WeekDay = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEK_DAYS: Final = (
    {"value": "monday", "label": "Monday"},
    {"value": "tuesday", "label": "Tuesday"},
    {"value": "wednesday", "label": "Wednesday"},
    {"value": "thursday", "label": "Thursday"},
    {"value": "friday", "label": "Friday"},
    {"value": "saturday", "label": "Saturday"},
    {"value": "sunday", "label": "Sunday"},
)

DailyListCategory = Literal["Default", "Clients", "Dailies"]
DAILY_LIST_CATEGORIES: Final = ("Default", "Clients", "Dailies")

DailyListAttrType = Literal["bool_value", "str_value", "int_value", "float_value", "enum_value"]
DAILY_LIST_ATTR_TYPES: Final = (
    {"value": "bool_value", "label": "Boolean"},
    {"value": "str_value", "label": "String"},
    {"value": "int_value", "label": "Integer"},
    {"value": "float_value", "label": "Float"},
    {"value": "enum_value", "label": "Enumerator"},
)

#: Value of ``sync_from_ftrack.sync_link_type`` that turns link sync off; the server lists it
#: first, before the project's folder->folder link types.
SKIP_LINK_TYPE: Final = "< Skip >"

#: Resolver names used in field hints -> static choices (``None``: resolved by the server from
#: its database: secrets, project link types).
ENUM_RESOLVERS: Final[dict[str, tuple[object, ...] | None]] = {
    "secrets": None,
    "project_link_types": None,
    "allow_deny": ALLOW_DENY,
    "attr_mapping_types": ATTR_MAPPING_TYPES,
    "week_days": WEEK_DAYS,
    "daily_list_categories": DAILY_LIST_CATEGORIES,
    "daily_list_attr_types": DAILY_LIST_ATTR_TYPES,
}
