"""Sync settings: one schema shared with the AYON addon, loaded from AYON or from a file.

Typical use::

    settings = load_settings_from_ayon(api, addon_name="ftrack", addon_version="1.6.4",
                                       project_name="my_project")
    if settings.service_event_handlers.action_allowed("sync_from_ftrack", user_roles): ...
"""

from .attribute_mapping import (
    AttributeMapping,
    AyonAttr,
    FtrackAttrConf,
    MappedAttribute,
    entity_kind,
    resolve_attribute_mapping,
)
from .custom_attributes import (
    MANDATORY_ATTRIBUTE_KEYS,
    CustomAttributeMappingModel,
    CustomAttributeModel,
    CustomAttributesMappingModel,
    CustomAttributesModel,
    MandatoryAttributesModel,
)
from .enums import SKIP_LINK_TYPE
from .errors import SettingsError
from .loading import load_settings_file, load_settings_from_ayon, parse_settings
from .model import (
    IGNORED_TOP_LEVEL_KEYS,
    PostLaunchHookMapping,
    PostLaunchHookSettings,
    ServiceSettings,
    SyncSettings,
    deep_merge,
    default_settings_data,
)
from .roles import roles_allow
from .service_handlers import ActionKey, ServiceEventHandlers

__all__ = [
    "IGNORED_TOP_LEVEL_KEYS",
    "MANDATORY_ATTRIBUTE_KEYS",
    "SKIP_LINK_TYPE",
    "ActionKey",
    "AttributeMapping",
    "AyonAttr",
    "CustomAttributeMappingModel",
    "CustomAttributeModel",
    "CustomAttributesMappingModel",
    "CustomAttributesModel",
    "FtrackAttrConf",
    "MandatoryAttributesModel",
    "MappedAttribute",
    "PostLaunchHookMapping",
    "PostLaunchHookSettings",
    "ServiceEventHandlers",
    "ServiceSettings",
    "SettingsError",
    "SyncSettings",
    "deep_merge",
    "default_settings_data",
    "entity_kind",
    "load_settings_file",
    "load_settings_from_ayon",
    "parse_settings",
    "resolve_attribute_mapping",
    "roles_allow",
]
