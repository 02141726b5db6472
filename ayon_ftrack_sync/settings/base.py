"""Building blocks shared by every settings block.

The settings schema is written once, here, and the AYON server addon (``addon/server``) is built
from it. AYON's own ``SettingsField`` carries UI hints (scope, widget, enum resolver, section,
...) that pydantic does not know; we keep them under one ``"ayon"`` key of each field's JSON
schema so the addon can translate them 1:1 and a drift test can compare the two schemas.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

#: Title the original addon gives to every ``role_list`` field.
ROLES_TITLE = "Roles for action"


class SettingsBlock(BaseModel):
    """Base of every nested settings block.

    ``extra="forbid"`` makes a typo in a key (``enabeld``) an error that names the key instead of
    a silently ignored value; ``frozen`` because settings are a read-only snapshot once loaded.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


def block_hints(**hints: str | bool) -> JsonDict:
    """JSON-schema extra of a block class holding AYON model hints (``isGroup``, ``layout``)."""
    ayon: JsonDict = dict(hints)
    return {"ayon": ayon}


def ayon_field(
    default: Any = ...,
    *,
    title: str | None = None,
    description: str | None = None,
    default_factory: Any = None,
    scope: Sequence[str] | None = None,
    enum_resolver: str | None = None,
    conditional_enum: bool | None = None,
    widget: str | None = None,
    section: str | None = None,
    pattern: str | None = None,
    ge: int | None = None,
) -> Any:
    """A pydantic ``Field`` that also records the AYON ``SettingsField`` hints.

    ``enum_resolver`` is the *name* of a resolver (see ``ENUM_RESOLVERS`` in
    :mod:`ayon_ftrack_sync.settings.enums`), since callables cannot live in a JSON schema.
    """
    hints: JsonDict = {}
    if scope is not None:
        hints["scope"] = [str(item) for item in scope]
    if enum_resolver is not None:
        hints["enum_resolver"] = enum_resolver
    if conditional_enum is not None:
        hints["conditional_enum"] = conditional_enum
    if widget is not None:
        hints["widget"] = widget
    if section is not None:
        hints["section"] = section
    extra: JsonDict | None = {"ayon": hints} if hints else None
    if default_factory is not None:
        return Field(
            default_factory=default_factory,
            title=title,
            description=description,
            json_schema_extra=extra,
            pattern=pattern,
            ge=ge,
        )
    return Field(
        default,
        title=title,
        description=description,
        json_schema_extra=extra,
        pattern=pattern,
        ge=ge,
    )


class _Named(Protocol):
    @property
    def name(self) -> str: ...


def ensure_unique_names(items: Iterable[_Named]) -> None:
    """Reject two list items with the same ``name`` (AYON's ``ensure_unique_names`` rule).

    The server refuses such settings, so a file must not be able to contain them either.
    """
    seen: set[str] = set()
    for item in items:
        if item.name in seen:
            raise ValueError(f"duplicate name {item.name!r}")
        seen.add(item.name)


class NameValueList(SettingsBlock):
    """A ``name`` with a list of strings (the original's ``DictWithStrList``)."""

    model_config = ConfigDict(json_schema_extra=block_hints(layout="expanded"))

    name: str = ""
    value: list[str] = Field(default_factory=list)
