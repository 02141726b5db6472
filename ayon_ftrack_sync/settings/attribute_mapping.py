"""Which ftrack custom attribute holds which AYON attribute, per ftrack entity kind.

Pure logic over data the caller has already read (ftrack attribute configurations, the AYON
attribute list), following seed_features.md 3.3:

* mapping enabled (default): each row names an AYON attribute and either one hierarchical
  ftrack attribute key or a list of non-hierarchical keys; a non-hierarchical key applies to
  the entity kinds (``entity_type`` + ``object_type_id``) its configurations exist for, e.g.
  ``fstart`` on Shots only.
* mapping disabled (legacy): every hierarchical ftrack attribute whose key equals an AYON
  attribute name is used, if the AYON attribute is builtin or the ftrack attribute sits in the
  ``ayon`` / ``openpype`` group.
* AYON attributes without a row get an empty entry, so lookups never fail.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from .custom_attributes import CustomAttributesMappingModel

#: ftrack attribute groups whose hierarchical attributes are synced in legacy mode.
LEGACY_SYNC_GROUPS: Final = frozenset({"ayon", "openpype"})


@dataclass(frozen=True, slots=True)
class FtrackAttrConf:
    """The part of an ftrack ``CustomAttributeConfiguration`` the mapping needs."""

    id: str
    key: str
    is_hierarchical: bool
    #: ftrack's configuration ``entity_type``: ``show``, ``task`` (any TypedContext),
    #: ``assetversion``, ``list``, ``user``...
    entity_type: str
    #: ``ObjectType`` id for ``task`` configurations (Shot, Sequence, Task...), else None.
    object_type_id: str | None = None
    #: name of the configuration's ``CustomAttributeGroup``, if any.
    group: str | None = None


@dataclass(frozen=True, slots=True)
class AyonAttr:
    """An AYON attribute definition as far as the mapping cares."""

    name: str
    builtin: bool = False


def entity_kind(
    entity_type: str, *, context_type: str | None = None, object_type_id: str | None = None
) -> tuple[str, str | None]:
    """The (``entity_type``, ``object_type_id``) pair configurations are keyed by.

    ``entity_type`` is the ftrack entity type name (``Shot``, ``Project``, ``AssetVersion``);
    context entities use their ``context_type`` (``show`` / ``task``); only ``task`` kinds
    carry an object type id.
    """
    kind = context_type or entity_type.lower()
    return kind, (object_type_id if kind == "task" else None)


@dataclass(frozen=True, slots=True)
class MappedAttribute:
    """One AYON attribute and the ftrack configuration(s) that hold it."""

    ayon_name: str
    is_hierarchical: bool = True
    confs: tuple[FtrackAttrConf, ...] = ()

    def conf_for(self, entity_type: str, object_type_id: str | None) -> FtrackAttrConf | None:
        """The configuration holding the value for one entity kind (see :func:`entity_kind`)."""
        if not self.confs:
            return None
        if self.is_hierarchical:
            return self.confs[0]
        for conf in self.confs:
            if conf.entity_type == entity_type and conf.object_type_id == object_type_id:
                return conf
        return None


class AttributeMapping(Mapping[str, MappedAttribute]):
    """AYON attribute name -> :class:`MappedAttribute`, with the reverse lookup by ftrack key."""

    def __init__(self, items: Iterable[MappedAttribute]) -> None:
        self._items: dict[str, MappedAttribute] = {item.ayon_name: item for item in items}

    def __getitem__(self, ayon_name: str) -> MappedAttribute:
        return self._items[ayon_name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def conf_for(
        self, ayon_name: str, entity_type: str, object_type_id: str | None
    ) -> FtrackAttrConf | None:
        item = self._items.get(ayon_name)
        return None if item is None else item.conf_for(entity_type, object_type_id)

    def ayon_name_for(
        self, ftrack_key: str, entity_type: str, object_type_id: str | None
    ) -> str | None:
        """The AYON attribute an ftrack attribute key feeds on an entity of this kind."""
        for item in self._items.values():
            conf = item.conf_for(entity_type, object_type_id)
            if conf is not None and conf.key == ftrack_key:
                return item.ayon_name
        return None

    def ftrack_to_ayon(self, entity_type: str, object_type_id: str | None) -> dict[str, str]:
        """ftrack attribute key -> AYON attribute name for one entity kind."""
        result: dict[str, str] = {}
        for item in self._items.values():
            conf = item.conf_for(entity_type, object_type_id)
            if conf is not None:
                result.setdefault(conf.key, item.ayon_name)
        return result


def resolve_attribute_mapping(
    settings: CustomAttributesMappingModel,
    attr_confs: Iterable[FtrackAttrConf],
    ayon_attributes: Iterable[AyonAttr],
) -> AttributeMapping:
    """Combine the ``attributes_mapping`` settings with what exists on both servers."""
    ayon_attrs = list(ayon_attributes)
    ayon_names = {attr.name for attr in ayon_attrs}
    confs = list(attr_confs)
    hierarchical = [conf for conf in confs if conf.is_hierarchical]
    standard = [conf for conf in confs if not conf.is_hierarchical]

    items: dict[str, MappedAttribute] = {}
    if settings.enabled:
        for row in settings.mapping:
            if row.name not in ayon_names:
                continue
            if row.attr_type == "hierarchical":
                found = next((c for c in hierarchical if c.key == row.hierarchical), None)
                items[row.name] = MappedAttribute(row.name, True, (found,) if found else ())
            else:
                keys = set(row.standard)
                matched = tuple(conf for conf in standard if conf.key in keys)
                items[row.name] = MappedAttribute(row.name, False, matched)
    else:
        builtin = {attr.name for attr in ayon_attrs if attr.builtin}
        for conf in hierarchical:
            if conf.key in items or conf.key not in ayon_names:
                continue
            if conf.key in builtin or conf.group in LEGACY_SYNC_GROUPS:
                items[conf.key] = MappedAttribute(conf.key, True, (conf,))

    for attr in ayon_attrs:
        items.setdefault(attr.name, MappedAttribute(attr.name))
    return AttributeMapping(items.values())
