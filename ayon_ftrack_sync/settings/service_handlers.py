"""``service_event_handlers``: switches and options of the server-side events and actions.

Keys, titles, field order and defaults follow the original addon (seed_features.md 2.5, 5.2).
Where one block class serves several handlers with different defaults (``SimpleServiceAction``),
the per-handler default is given by the parent field, exactly like the original's
``DEFAULT_VALUES``; partial input is therefore always merged over the full defaults first
(see :func:`ayon_ftrack_sync.settings.model.SyncSettings`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Literal

from pydantic import ConfigDict, field_validator

from .base import (
    ROLES_TITLE,
    NameValueList,
    SettingsBlock,
    ayon_field,
    block_hints,
    ensure_unique_names,
)
from .enums import (
    SKIP_LINK_TYPE,
    AllowDeny,
    DailyListAttrType,
    DailyListCategory,
    WeekDay,
)
from .roles import roles_allow

ADMIN_PM = ("Administrator", "Project manager")
#: The original's defaults capitalise "Manager" in some blocks; kept verbatim (roles compare
#: case-insensitively anyway).
ADMIN_PM_CAPITAL = ("Administrator", "Project Manager")

_HOUR_PATTERN = r"^(?:[01]\d|2[0123]):(?:[012345]\d):(?:[012345]\d)$"


def _roles(*names: str) -> Callable[[], list[str]]:
    return lambda: list(names)


class SimpleServiceAction(SettingsBlock):
    enabled: bool = True
    role_list: list[str] = ayon_field(title=ROLES_TITLE, default_factory=list)


class SyncFromFtrackModel(SettingsBlock):
    enabled: bool = True
    sync_versions: bool = ayon_field(
        False,
        title="Sync version statuses",
        description=(
            "Synchronize version statuses from ftrack. Enabling this may cause sync slowdown."
        ),
    )
    sync_link_type: str = ayon_field(
        SKIP_LINK_TYPE,
        title="Sync Link Type",
        description="Synchronize links from ftrack as AYON link type",
        enum_resolver="project_link_types",
    )
    deactivate_ayon_only: bool = ayon_field(
        False,
        title="Deactivate AYON-only folders and tasks",
        description=(
            "A full sync deactivates AYON folders and tasks that were never linked to ftrack "
            "(the original integration always did). Off: they are kept."
        ),
    )
    role_list: list[str] = ayon_field(title=ROLES_TITLE, default_factory=list)

    @property
    def link_type(self) -> str | None:
        """The AYON link type to sync ftrack links into, or None when link sync is off."""
        return None if self.sync_link_type == SKIP_LINK_TYPE else self.sync_link_type


class SyncHierarchicalAttributes(SettingsBlock):
    enabled: bool = True
    interest_entity_types: list[str] = ayon_field(
        title="Entity types of interest", default_factory=list
    )
    interest_attributes: list[str] = ayon_field(title="Attributes to sync", default_factory=list)
    action_enabled: bool = ayon_field(True, title="Enable Action")
    role_list: list[str] = ayon_field(title=ROLES_TITLE, default_factory=list)


class CloneReviewAction(SettingsBlock):
    enabled: bool = True
    role_list: list[str] = ayon_field(title=ROLES_TITLE, default_factory=list)


class ThumbnailHierarchyUpdates(SettingsBlock):
    """Push thumbnail from version, up through multiple hierarchy levels."""

    enabled: bool = True
    levels: int = ayon_field(1, title="Levels", ge=0)


class SyncStatusTaskToParentMapping(SettingsBlock):
    new_status: str = ayon_field(title="New parent status")
    task_statuses: list[str] = ayon_field(title="Task status", default_factory=list)


class SyncStatusTaskToParent(SettingsBlock):
    model_config = ConfigDict(json_schema_extra=block_hints(isGroup=True))

    enabled: bool = True
    parent_object_types: list[str] = ayon_field(title="Object types", default_factory=list)
    parent_status_match_all_task_statuses: list[NameValueList] = ayon_field(
        title="Change parent if all tasks match", default_factory=list
    )
    parent_status_by_task_status: list[SyncStatusTaskToParentMapping] = ayon_field(
        title="Change parent status if a single task matches", default_factory=list
    )


class SyncStatusTaskToVersion(SettingsBlock):
    model_config = ConfigDict(json_schema_extra=block_hints(isGroup=True))

    enabled: bool = True
    mapping: list[NameValueList] = ayon_field(title="Status mapping", default_factory=list)
    asset_types_filter_type: AllowDeny = ayon_field(
        "allow_list", title="Asset types Allow/Deny", enum_resolver="allow_deny"
    )
    asset_types: list[str] = ayon_field(title="Asset types (short)", default_factory=list)

    @field_validator("mapping")
    @classmethod
    def _unique_mapping(cls, value: list[NameValueList]) -> list[NameValueList]:
        ensure_unique_names(value)
        return value


class SyncStatusVersionToTask(SettingsBlock):
    model_config = ConfigDict(json_schema_extra=block_hints(isGroup=True))

    enabled: bool = True
    mapping: list[NameValueList] = ayon_field(title="Status mapping", default_factory=list)
    asset_types_filter_type: AllowDeny = ayon_field(
        "deny_list", title="Asset types Allow/Deny", enum_resolver="allow_deny"
    )
    asset_types: list[str] = ayon_field(title="Asset types (short)", default_factory=list)

    @field_validator("mapping")
    @classmethod
    def _unique_mapping(cls, value: list[NameValueList]) -> list[NameValueList]:
        ensure_unique_names(value)
        return value


class NextTaskStatusMapping(SettingsBlock):
    model_config = ConfigDict(json_schema_extra=block_hints(layout="expanded"))

    name: str
    value: str


class NextTaskUpdate(SettingsBlock):
    model_config = ConfigDict(json_schema_extra=block_hints(isGroup=True))

    enabled: bool = True
    mapping: list[NextTaskStatusMapping] = ayon_field(title="Status Mappings", default_factory=list)
    ignored_statuses: list[str] = ayon_field(title="Ignored statuses", default_factory=list)
    name_sorting: bool = True

    @field_validator("mapping")
    @classmethod
    def _unique_mapping(cls, value: list[NextTaskStatusMapping]) -> list[NextTaskStatusMapping]:
        ensure_unique_names(value)
        return value


class TransferHierNonHierAttrsAction(SettingsBlock):
    model_config = ConfigDict(json_schema_extra=block_hints(isGroup=True))

    enabled: bool = True
    role_list: list[str] = ayon_field(title=ROLES_TITLE, default_factory=list)


class DailyListCustomAttributesModel(SettingsBlock):
    """One custom-attribute condition; ``attr_type`` says which ``*_value`` field applies."""

    model_config = ConfigDict(json_schema_extra=block_hints(layout="expanded"))

    attr_name: str = ayon_field("", title="Attribute name")
    attr_type: DailyListAttrType = ayon_field(
        "bool_value",
        title="Attribute type",
        enum_resolver="daily_list_attr_types",
        conditional_enum=True,
    )
    bool_value: bool = ayon_field(True, title="Expected value")
    str_value: str = ayon_field("", title="Expected value")
    int_value: int = ayon_field(0, title="Expected value")
    float_value: float = ayon_field(0.0, title="Expected value")
    enum_value: list[str] = ayon_field(title="Expected value", default_factory=list)

    @property
    def expected_value(self) -> bool | str | int | float | list[str]:
        """The value of the field selected by ``attr_type``."""
        value: bool | str | int | float | list[str] = getattr(self, self.attr_type)
        return value


class DailyListFilterModel(SettingsBlock):
    model_config = ConfigDict(json_schema_extra=block_hints(layout="expanded"))

    statuses: list[str] = ayon_field(title="Statuses", default_factory=list)
    custom_attributes: list[DailyListCustomAttributesModel] = ayon_field(
        title="Custom attributes", default_factory=list
    )


class DailyListItemModel(SettingsBlock):
    """Create list with AssetVersions by filter criteria."""

    model_config = ConfigDict(json_schema_extra=block_hints(layout="expanded"))

    name_template: str = ayon_field("{yy}{mm}{dd}", title="Name template")
    category: DailyListCategory = ayon_field(
        "Dailies", title="List category", enum_resolver="daily_list_categories"
    )
    cycle_enabled: bool = ayon_field(False, title="Run automatically")
    filters: list[DailyListFilterModel] = ayon_field(
        title="Asset version filters", default_factory=list
    )


def _default_week_days() -> list[WeekDay]:
    return ["monday", "tuesday", "wednesday", "thursday", "friday"]


def _default_daily_lists() -> list[DailyListItemModel]:
    return [
        DailyListItemModel(
            name_template="{yy}{mm}{dd}",
            category="Dailies",
            cycle_enabled=True,
            filters=[DailyListFilterModel(statuses=["Approved"], custom_attributes=[])],
        )
    ]


class CreateDailyListsModel(SettingsBlock):
    """Create list with AssetVersions by filter criteria."""

    model_config = ConfigDict(json_schema_extra=block_hints(isGroup=True))

    enabled: bool = True
    cycle_hour_start: str = ayon_field(
        "00:00:00",
        title="Create daily lists at",
        description="This may take affect on next day",
        widget="time",
        pattern=_HOUR_PATTERN,
        section="Automated execution",
        scope=["studio"],
    )
    cycle_days: list[WeekDay] = ayon_field(
        title="Days of week",
        default_factory=_default_week_days,
        enum_resolver="week_days",
        scope=["studio"],
    )
    lists: list[DailyListItemModel] = ayon_field(title="Lists", default_factory=list)
    role_list: list[str] = ayon_field(section="---", title=ROLES_TITLE, default_factory=list)


class ComponentsSizeCalcModel(SettingsBlock):
    # Studio scope: cannot be turned off per project (the event runs over all projects).
    enabled: bool = ayon_field(True, scope=["studio"])
    role_list: list[str] = ayon_field(title=ROLES_TITLE, default_factory=list)


#: Keys of ``service_event_handlers`` that gate an ftrack action by ``role_list``.
ActionKey = Literal[
    "prepare_project",
    "sync_from_ftrack",
    "sync_users_from_ftrack",
    "sync_hier_entity_attributes",
    "clone_review_session",
    "delete_ayon_entities",
    "transfer_values_of_hierarchical_attributes",
    "create_daily_lists",
    "project_components_sizes",
]


class ServiceEventHandlers(SettingsBlock):
    """Settings for event handlers running in ftrack service."""

    prepare_project: SimpleServiceAction = ayon_field(
        title="Prepare Project",
        default_factory=lambda: SimpleServiceAction(role_list=list(ADMIN_PM)),
    )
    sync_from_ftrack: SyncFromFtrackModel = ayon_field(
        title="Sync to AYON",
        default_factory=lambda: SyncFromFtrackModel(role_list=list(ADMIN_PM)),
    )
    sync_users_from_ftrack: SimpleServiceAction = ayon_field(
        title="Sync Users to AYON",
        default_factory=lambda: SimpleServiceAction(role_list=list(ADMIN_PM)),
    )
    sync_hier_entity_attributes: SyncHierarchicalAttributes = ayon_field(
        title="Sync Hierarchical and Entity Attributes",
        default_factory=lambda: SyncHierarchicalAttributes(
            interest_entity_types=["Shot", "Asset Build"],
            interest_attributes=["frameStart", "frameEnd"],
            role_list=list(ADMIN_PM_CAPITAL),
        ),
    )
    clone_review_session: CloneReviewAction = ayon_field(
        title="Clone Review Session",
        default_factory=lambda: CloneReviewAction(role_list=list(ADMIN_PM_CAPITAL)),
    )
    # The original's defaults have no entry here, so role_list is empty = every user (kept).
    delete_ayon_entities: SimpleServiceAction = ayon_field(
        title="Delete Folders/Products", default_factory=SimpleServiceAction
    )
    thumbnail_updates: ThumbnailHierarchyUpdates = ayon_field(
        title="Update Hierarchy thumbnails", default_factory=ThumbnailHierarchyUpdates
    )
    status_task_to_parent: SyncStatusTaskToParent = ayon_field(
        title="Sync status from Task to Parent",
        default_factory=lambda: SyncStatusTaskToParent(
            parent_object_types=["Shot", "Asset Build"],
            parent_status_match_all_task_statuses=[
                NameValueList(name="Completed", value=["Approved", "Omitted"])
            ],
            parent_status_by_task_status=[
                SyncStatusTaskToParentMapping(
                    new_status="In Progress",
                    task_statuses=["in progress", "change requested", "retake", "pending review"],
                )
            ],
        ),
    )
    status_task_to_version: SyncStatusTaskToVersion = ayon_field(
        title="Sync status from Task to Version", default_factory=SyncStatusTaskToVersion
    )
    status_version_to_task: SyncStatusVersionToTask = ayon_field(
        title="Sync status from Version to Task", default_factory=SyncStatusVersionToTask
    )
    next_task_update: NextTaskUpdate = ayon_field(
        title="Update status on next task",
        default_factory=lambda: NextTaskUpdate(
            mapping=[NextTaskStatusMapping(name="Not Ready", value="Ready")],
            ignored_statuses=["Omitted"],
            name_sorting=False,
        ),
    )
    transfer_values_of_hierarchical_attributes: TransferHierNonHierAttrsAction = ayon_field(
        title="Action to transfer hierarchical attribute values",
        default_factory=lambda: TransferHierNonHierAttrsAction(role_list=list(ADMIN_PM)),
    )
    create_daily_lists: CreateDailyListsModel = ayon_field(
        title="Create daily lists",
        default_factory=lambda: CreateDailyListsModel(
            enabled=False,
            lists=_default_daily_lists(),
            role_list=list(ADMIN_PM_CAPITAL),
        ),
    )
    project_components_sizes: ComponentsSizeCalcModel = ayon_field(
        title="Calculate project component sizes",
        default_factory=lambda: ComponentsSizeCalcModel(role_list=list(ADMIN_PM_CAPITAL)),
    )

    def action_allowed(self, key: ActionKey, user_roles: Iterable[str]) -> bool:
        """Whether the action ``key`` is switched on and the user's roles may run it.

        ``sync_hier_entity_attributes`` has its own ``action_enabled`` switch for the action
        (``enabled`` there governs the event handler), as in the original.
        """
        block = getattr(self, key)
        enabled = (
            block.action_enabled if isinstance(block, SyncHierarchicalAttributes) else block.enabled
        )
        return bool(enabled) and roles_allow(block.role_list, user_roles)
