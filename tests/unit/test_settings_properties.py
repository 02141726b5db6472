"""Properties of the settings model, with overrides generated from its own JSON schema.

Any schema-valid partial override must validate, win over the defaults at every key it sets,
survive a dump/validate round trip unchanged, and give the same result whether an earlier
override layer (studio) was resolved before the next one (project) is applied.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ayon_ftrack_sync.settings import SyncSettings, deep_merge, parse_settings

SCHEMA = SyncSettings.model_json_schema()
DEFS: dict[str, Any] = SCHEMA["$defs"]

_TEXT = st.text(max_size=6)


def _strategy(node: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values valid for one JSON-schema node; objects may leave out any non-required key."""
    if "$ref" in node:
        return _strategy(DEFS[node["$ref"].rsplit("/", 1)[-1]])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    kind = node.get("type")
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(min_value=node.get("minimum", -1000), max_value=1000)
    if kind == "number":
        return st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
    if kind == "string":
        if "pattern" in node:
            return st.from_regex(node["pattern"], fullmatch=True)
        return _TEXT
    if kind == "array":
        item_node = node["items"]
        items = _strategy(item_node)
        target = DEFS.get(item_node.get("$ref", "").rsplit("/", 1)[-1], {})
        if "name" in target.get("properties", {}):
            # AYON rejects duplicate names in these lists; so does the model
            return st.lists(items, max_size=2, unique_by=lambda item: item.get("name", ""))
        return st.lists(items, max_size=2)
    if kind == "object":
        props: dict[str, Any] = node["properties"]
        required = set(node.get("required", ()))
        fixed = {k: _strategy(v) for k, v in props.items() if k in required}
        optional = {k: _strategy(v) for k, v in props.items() if k not in required}
        # any subset of the optional keys: defaults (or item defaults in lists) fill the rest
        return st.fixed_dictionaries(fixed, optional=optional)
    raise AssertionError(f"schema node not handled: {node}")


OVERRIDES = _strategy(SCHEMA)


FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _contains(result: Any, given: Any) -> bool:
    """Whether ``result`` keeps everything ``given`` sets (dict keys recursively, lists whole)."""
    if isinstance(given, dict):
        return isinstance(result, dict) and all(
            key in result and _contains(result[key], value) for key, value in given.items()
        )
    if isinstance(given, list):
        return (
            isinstance(result, list)
            and len(result) == len(given)
            and all(_contains(r, g) for r, g in zip(result, given, strict=True))
        )
    return bool(result == given and type(result) is type(given))


@FAST
@given(OVERRIDES)
def test_any_override_validates_and_wins(override: dict[str, Any]) -> None:
    result = parse_settings(override).model_dump(mode="json")
    assert _contains(result, override)


@FAST
@given(OVERRIDES)
def test_dump_validate_round_trip_is_identity(override: dict[str, Any]) -> None:
    loaded = parse_settings(override)
    assert SyncSettings.model_validate(loaded.model_dump(mode="json")) == loaded
    assert SyncSettings.model_validate_json(loaded.model_dump_json()) == loaded


@FAST
@given(OVERRIDES, OVERRIDES)
def test_override_layers_compose(studio: dict[str, Any], project: dict[str, Any]) -> None:
    resolved_studio = parse_settings(studio).model_dump(mode="json")
    layered = parse_settings(deep_merge(resolved_studio, project))
    assert layered == parse_settings(deep_merge(studio, project))
