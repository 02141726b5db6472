"""Addon settings: defaults, studio values and project overrides, per variant.

Effective studio settings are the defaults deep-merged with the studio overrides; project
settings are the studio settings deep-merged with that project's overrides. Overrides are
stored as diffs, as the real server stores them.
"""

from __future__ import annotations

import copy
from typing import Any

from .store import State

VARIANTS = ("production", "staging")


def deep_merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = deep_merge(base.get(key), value) if key in base else copy.deepcopy(value)
        return out
    return copy.deepcopy(over)


def diff(base: Any, new: Any) -> dict[str, Any]:
    """Keys of `new` that differ from `base` (recursively for dicts)."""
    out: dict[str, Any] = {}
    if not isinstance(new, dict):
        return out
    base = base if isinstance(base, dict) else {}
    for key, value in new.items():
        if key not in base:
            out[key] = copy.deepcopy(value)
        elif isinstance(value, dict) and isinstance(base[key], dict):
            sub = diff(base[key], value)
            if sub:
                out[key] = sub
        elif value != base[key]:
            out[key] = copy.deepcopy(value)
    return out


def type_errors(reference: Any, value: Any, loc: list[str]) -> list[dict[str, Any]]:
    """pydantic-like errors where `value` has a different JSON type than the defaults."""
    errors: list[dict[str, Any]] = []
    if isinstance(reference, dict):
        if not isinstance(value, dict):
            return [{"loc": loc, "msg": "value is not a valid dict", "type": "type_error.dict"}]
        for key, ref in reference.items():
            if key in value:
                errors.extend(type_errors(ref, value[key], [*loc, key]))
        return errors
    if isinstance(reference, bool):
        if not isinstance(value, bool):
            errors.append(
                {
                    "loc": loc,
                    "msg": "value could not be parsed to a boolean",
                    "type": "type_error.bool",
                }
            )
    elif isinstance(reference, int | float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            errors.append(
                {"loc": loc, "msg": "value is not a valid number", "type": "type_error.number"}
            )
    elif isinstance(reference, str):
        if not isinstance(value, str):
            errors.append({"loc": loc, "msg": "str type expected", "type": "type_error.str"})
    elif isinstance(reference, list) and not isinstance(value, list):
        errors.append({"loc": loc, "msg": "value is not a valid list", "type": "type_error.list"})
    return errors


def addon_version(state: State, name: str, version: str) -> dict[str, Any] | None:
    addon = state.addons.get(name)
    if addon is None:
        return None
    ver = addon["versions"].get(version)
    return ver if isinstance(ver, dict) else None


def register_addon(
    state: State,
    name: str,
    version: str,
    *,
    defaults: dict[str, Any] | None,
    title: str | None = None,
    requires: list[str] | None = None,
    schema: dict[str, Any] | None = None,
) -> dict[str, Any]:
    addon = state.addons.setdefault(
        name, {"name": name, "title": title or name, "versions": {}, "productionVersion": version}
    )
    if title:
        addon["title"] = title
    ver = addon["versions"].setdefault(
        version,
        {
            "defaults": {},
            "studio": {v: {} for v in VARIANTS},
            "projects": {v: {} for v in VARIANTS},
            "requires": [],
            "schema": None,
        },
    )
    if defaults is not None:
        ver["defaults"] = copy.deepcopy(defaults)
    if requires is not None:
        ver["requires"] = list(requires)
    if schema is not None:
        ver["schema"] = copy.deepcopy(schema)
    return ver


def studio_settings(ver: dict[str, Any], variant: str) -> dict[str, Any]:
    merged: dict[str, Any] = deep_merge(ver["defaults"], ver["studio"].get(variant) or {})
    return merged


def project_settings(ver: dict[str, Any], variant: str, project: str) -> dict[str, Any]:
    base = studio_settings(ver, variant)
    over = (ver["projects"].get(variant) or {}).get(project) or {}
    merged: dict[str, Any] = deep_merge(base, over)
    return merged


def overrides_listing(ver: dict[str, Any], variant: str) -> dict[str, Any]:
    """`GET .../overrides`: one entry per overridden leaf and per branch on its path."""
    out: dict[str, Any] = {}

    def walk(node: dict[str, Any], path: list[str]) -> None:
        for key, value in node.items():
            p = [*path, key]
            ident = "root_" + "_".join(p)
            if isinstance(value, dict):
                out[ident] = {
                    "path": p,
                    "type": "branch",
                    "level": "studio",
                    "inGroup": None,
                    "scope": ["studio"],
                }
                walk(value, p)
            else:
                out[ident] = {
                    "path": p,
                    "value": value,
                    "level": "studio",
                    "inGroup": None,
                    "scope": ["studio"],
                }

    walk(ver["studio"].get(variant) or {}, [])
    return out
