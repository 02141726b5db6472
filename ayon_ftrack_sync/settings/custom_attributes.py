"""``custom_attributes``: roles of the mandatory ftrack attributes and the attribute mapping.

The mapping says, for each AYON attribute, which ftrack custom attribute(s) hold its value
(seed_features.md 3.3). Resolving it against the ftrack attribute configurations is done in
:mod:`ayon_ftrack_sync.settings.attribute_mapping`, without I/O.
"""

from __future__ import annotations

from typing import Final

from .base import SettingsBlock, ayon_field
from .enums import AttrMappingType

#: Keys of the ftrack custom attributes the integration creates and relies on.
MANDATORY_ATTRIBUTE_KEYS: Final = (
    "ayon_id",
    "ayon_path",
    "ayon_list_type",
    "ayon_sync_failed",
    "auto_sync_enabled",
)

_API_ADMIN = ("API", "Administrator")


class CustomAttributeMappingModel(SettingsBlock):
    """One AYON attribute and where ftrack keeps it.

    ``attr_type`` picks the branch: ``hierarchical`` -> the one hierarchical attribute named in
    ``hierarchical``; ``standard`` -> any of the per-object-type attributes named in
    ``standard`` (empty list = the AYON attribute is not synced).
    """

    name: str = ayon_field("", title="AYON attribute")
    attr_type: AttrMappingType = ayon_field(
        "hierarchical",
        title="Attribute type",
        enum_resolver="attr_mapping_types",
        conditional_enum=True,
    )
    hierarchical: str = ayon_field("", title="ftrack attribute name")
    standard: list[str] = ayon_field(title="ftrack attribute names", default_factory=list)


def _standard(name: str, *keys: str) -> CustomAttributeMappingModel:
    return CustomAttributeMappingModel(
        name=name, attr_type="standard", hierarchical=name, standard=list(keys)
    )


def _default_mapping() -> list[CustomAttributeMappingModel]:
    return [
        _standard("resolutionWidth"),
        _standard("resolutionHeight"),
        _standard("pixelAspect"),
        _standard("fps", "fps"),
        _standard("frameStart", "fstart"),
        _standard("frameEnd", "fend"),
        _standard("handleStart"),
        _standard("handleEnd"),
        _standard("clipIn"),
        _standard("clipOut"),
    ]


class CustomAttributesMappingModel(SettingsBlock):
    enabled: bool = ayon_field(True, description="Use custom attributes mapping")
    mapping: list[CustomAttributeMappingModel] = ayon_field(
        title="Attributes mapping",
        description="Map AYON attributes to ftrack custom attributes",
        default_factory=list,
    )

    def item_for(self, ayon_attribute: str) -> CustomAttributeMappingModel | None:
        """The mapping row of an AYON attribute (the last one wins, as in the original)."""
        found: CustomAttributeMappingModel | None = None
        for item in self.mapping:
            if item.name == ayon_attribute:
                found = item
        return found


class CustomAttributeModel(SettingsBlock):
    write_security_roles: list[str] = ayon_field(title="Write roles", default_factory=list)
    read_security_roles: list[str] = ayon_field(title="Read roles", default_factory=list)


def _api_admin() -> CustomAttributeModel:
    return CustomAttributeModel(
        write_security_roles=list(_API_ADMIN), read_security_roles=list(_API_ADMIN)
    )


class MandatoryAttributesModel(SettingsBlock):
    """Security roles of the attributes the integration creates in ftrack.

    An empty role list means "all roles" when the attribute is created.
    """

    ayon_id: CustomAttributeModel = ayon_field(
        title="AYON ID", default_factory=CustomAttributeModel
    )
    ayon_path: CustomAttributeModel = ayon_field(
        title="AYON path", default_factory=CustomAttributeModel
    )
    ayon_list_type: CustomAttributeModel = ayon_field(
        title="AYON list type", default_factory=CustomAttributeModel
    )
    ayon_sync_failed: CustomAttributeModel = ayon_field(
        title="AYON sync failed", default_factory=_api_admin
    )
    auto_sync_enabled: CustomAttributeModel = ayon_field(
        title="AYON auto-sync", default_factory=_api_admin
    )

    def roles_for(self, key: str) -> CustomAttributeModel:
        """Roles of one mandatory attribute by its ftrack key (``ayon_id``, ...)."""
        if key not in MANDATORY_ATTRIBUTE_KEYS:
            raise KeyError(f"not a mandatory attribute: {key!r}")
        value: CustomAttributeModel = getattr(self, key)
        return value


class CustomAttributesModel(SettingsBlock):
    mandatory_attributes: MandatoryAttributesModel = ayon_field(
        title="Mandatory custom attributes",
        description="Set read/write roles of AYON mandatory custom attributes",
        default_factory=MandatoryAttributesModel,
    )
    attributes_mapping: CustomAttributesMappingModel = ayon_field(
        title="Attributes mapping",
        description="Use custom mapping of AYON attributes to ftrack custom attributes",
        default_factory=lambda: CustomAttributesMappingModel(
            enabled=True, mapping=_default_mapping()
        ),
    )
