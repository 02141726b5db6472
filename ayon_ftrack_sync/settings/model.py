"""``SyncSettings``: the whole ftrack addon settings as the sync service sees them.

Same keys, titles and defaults as the original ayon-ftrack addon (seed_features.md 5.2), so the
settings a studio already has in AYON load unchanged, and the AYON server addon of this project
is generated from these classes (one schema, no drift).

Input handling, and why:

* Partial input is merged over the full defaults before validation (dicts merge key by key,
  lists and scalars replace). That is what the AYON server does with overrides, and it is the
  only way to get per-handler defaults right where one block class serves several handlers.
* ``publish`` and ``user_handlers`` belong to the desktop integration (publish plugins, artist
  actions). The real addon has them and returns them with every settings read; the service does
  not use them, so they are accepted and dropped (``IGNORED_TOP_LEVEL_KEYS``). Any other unknown
  key, at any level, is an error naming the key.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from typing import Any, Final

from pydantic import ConfigDict, field_validator, model_validator

from .base import SettingsBlock, ayon_field, ensure_unique_names
from .custom_attributes import CustomAttributesModel
from .service_handlers import ServiceEventHandlers

#: Top-level keys of the real addon's settings that the service accepts and ignores.
IGNORED_TOP_LEVEL_KEYS: Final = frozenset({"publish", "user_handlers"})

#: Special values of the post-launch-hook mapping (seed_features.md 5.2).
ANY_STATUS: Final = "__any__"
IGNORE_STATUS: Final = "__ignore__"


class ServiceSettings(SettingsBlock):
    """ftrack service cares about handling ftrack event and synchronization.

    To be able do that work it is required to listen and process events as one
    of ftrack users. It is recommended to use special user for that purposes
    so you can see which changes happened from service.

    In AYON both values are *names of AYON secrets*, not the credentials themselves.
    """

    username: str = ayon_field("", title="ftrack user name", enum_resolver="secrets")
    api_key: str = ayon_field("", title="ftrack API key", enum_resolver="secrets")


class PostLaunchHookMapping(SettingsBlock):
    """One row: move to ``name`` when the current status is one of ``value``."""

    name: str = ayon_field("", title="New status")
    value: list[str] = ayon_field(title="From statuses", default_factory=list)


class PostLaunchHookSettings(SettingsBlock):
    """Change task status on application launch.

    Change of status is based on mapping. Each item in mapping defines new
    status which is used based on current status(es). Special value for current
    statuses is `__any__`, in that case the new status is always used. And if
    new status name is `__ignore__`, the change of status is skipped if current
    status is in current statuses list.
    """

    enabled: bool = True
    mapping: list[PostLaunchHookMapping] = ayon_field(default_factory=list)

    @field_validator("mapping")
    @classmethod
    def _unique_mapping(cls, value: list[PostLaunchHookMapping]) -> list[PostLaunchHookMapping]:
        ensure_unique_names(value)
        return value

    def status_candidates(self, current_status: str) -> list[str]:
        """New statuses to try, in order, for a task in ``current_status`` on app launch.

        Mirrors the original hook: rows are read in order; a row matches when it lists the
        current status (case-insensitively) or ``__any__``; a matching ``__ignore__`` row ends
        the search. The caller tries the candidates until one exists in the task's workflow.
        Names are returned lower-cased, as the original compares them.
        """
        if not self.enabled:
            return []
        current = current_status.casefold()
        candidates: list[str] = []
        for row in self.mapping:
            name = row.name.casefold()
            if name in candidates:
                continue
            listed = {status.casefold() for status in row.value}
            if current in listed or ANY_STATUS in listed:
                if name == IGNORE_STATUS:
                    break
                candidates.append(name)
        return candidates


def _default_post_launch_hook() -> PostLaunchHookSettings:
    return PostLaunchHookSettings(
        enabled=True,
        mapping=[
            PostLaunchHookMapping(name="In Progress", value=[ANY_STATUS]),
            PostLaunchHookMapping(name="Ready", value=["Not Ready"]),
            PostLaunchHookMapping(name=IGNORE_STATUS, value=["in progress", "omitted", "on hold"]),
        ],
    )


class SyncSettings(SettingsBlock):
    """ftrack addon settings."""

    enabled: bool = ayon_field(True)
    ftrack_server: str = ayon_field("", title="ftrack server url", scope=["studio"])
    service_settings: ServiceSettings = ayon_field(
        title="Service settings", default_factory=ServiceSettings, scope=["studio"]
    )
    service_event_handlers: ServiceEventHandlers = ayon_field(
        title="Server Actions/Events", default_factory=ServiceEventHandlers
    )
    post_launch_hook: PostLaunchHookSettings = ayon_field(
        title="Status change on application launch", default_factory=_default_post_launch_hook
    )
    custom_attributes: CustomAttributesModel = ayon_field(
        title="Custom Attributes", default_factory=CustomAttributesModel, scope=["studio"]
    )

    model_config = ConfigDict(title="ftrack addon settings")

    @model_validator(mode="before")
    @classmethod
    def _merge_over_defaults(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data  # a model instance, or garbage pydantic will report
        own = {key: value for key, value in data.items() if key not in IGNORED_TOP_LEVEL_KEYS}
        return deep_merge(default_settings_data(), own)


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` over ``base``: mappings merge key by key, anything else replaces.

    Lists replace wholesale, like AYON overrides (a list is one value in AYON's override model).
    Neither input is modified.
    """
    merged: dict[str, Any] = {key: copy.deepcopy(value) for key, value in base.items()}
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


@cache
def _default_settings_frozen() -> SyncSettings:
    # model_construct skips validation (so no recursion into _merge_over_defaults); the nested
    # blocks come from the field default factories, which are validated constructors.
    return SyncSettings.model_construct()


def default_settings_data() -> dict[str, Any]:
    """The complete default settings as plain JSON data (a fresh copy each call)."""
    return _default_settings_frozen().model_dump(mode="json")
