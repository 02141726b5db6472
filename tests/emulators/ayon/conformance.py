"""Helpers for replaying recorded AYON traffic against the emulator.

The recordings live outside the repository (`<repo root>/../shared/reference/ayon`); tests
using them are skipped when that folder is absent.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

REFERENCE = Path(__file__).resolve().parents[3].parent / "shared" / "reference" / "ayon"
HEX_ID = re.compile(r"^[0-9a-f]{32}$|^[0-9a-f]{64}$")
KEEP_HEADERS = ("content-type", "x-sender", "x-sender-type", "x-as-user")


def load_jsonl(name: str) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for line in (REFERENCE / name).read_text("utf-8").splitlines()
        if line.strip()
    ]


def kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "object"


def shape_diff(recorded: Any, actual: Any, path: str = "$") -> list[str]:
    """Differences in keys and value types (recursively; lists element-wise)."""
    if kind(recorded) != kind(actual):
        return [f"{path}: {kind(recorded)} != {kind(actual)}"]
    out: list[str] = []
    if isinstance(recorded, dict):
        missing = sorted(set(recorded) - set(actual))
        extra = sorted(set(actual) - set(recorded))
        if missing:
            out.append(f"{path}: missing keys {missing}")
        if extra:
            out.append(f"{path}: extra keys {extra}")
        for key in set(recorded) & set(actual):
            out.extend(shape_diff(recorded[key], actual[key], f"{path}.{key}"))
    elif isinstance(recorded, list):
        if len(recorded) != len(actual):
            out.append(f"{path}: {len(recorded)} items != {len(actual)}")
        for index, (rec, act) in enumerate(zip(recorded, actual, strict=False)):
            out.extend(shape_diff(rec, act, f"{path}[{index}]"))
    return out


# keys whose values legitimately differ between two runs (ids, times, secrets, cursors)
VOLATILE_KEY = re.compile(
    r"(At|_at|id|Id|hash|token|Cursor|cursor|uptime|password|apiKey"
    r"|apiKeyPreview|detail|progress|hasNextPage)$"
)
UNORDERED_KEYS = {"ownAttrib"}  # the real server returns these in set order


def value_diff(recorded: Any, actual: Any, path: str = "$") -> list[str]:
    """Differences in values, ignoring volatile keys; JSON-string fields are decoded."""
    if isinstance(recorded, dict) and isinstance(actual, dict):
        out: list[str] = []
        for key in set(recorded) & set(actual):
            if VOLATILE_KEY.search(key):
                continue
            rec, act = recorded[key], actual[key]
            if key in UNORDERED_KEYS and isinstance(rec, list) and isinstance(act, list):
                rec, act = sorted(map(str, rec)), sorted(map(str, act))
            out.extend(value_diff(rec, act, f"{path}.{key}"))
        return out
    if isinstance(recorded, list) and isinstance(actual, list):
        return [
            d
            for index, (rec, act) in enumerate(zip(recorded, actual, strict=False))
            for d in value_diff(rec, act, f"{path}[{index}]")
        ]
    if isinstance(recorded, str) and isinstance(actual, str) and recorded[:1] in "{[":
        try:
            return value_diff(json.loads(recorded), json.loads(actual), path + "~")
        except ValueError:
            pass
    if isinstance(recorded, str) and HEX_ID.match(recorded):
        return []
    return [] if recorded == actual else [f"{path}: {recorded!r} != {actual!r}"]


def learn_ids(recorded: Any, actual: Any, mapping: dict[str, str]) -> None:
    """Map server-generated ids in a recorded response to the emulator's ids."""
    if isinstance(recorded, dict) and isinstance(actual, dict):
        for key in set(recorded) & set(actual):
            learn_ids(recorded[key], actual[key], mapping)
    elif isinstance(recorded, list) and isinstance(actual, list):
        for rec, act in zip(recorded, actual, strict=False):
            learn_ids(rec, act, mapping)
    elif (
        isinstance(recorded, str)
        and isinstance(actual, str)
        and recorded != actual
        and HEX_ID.match(recorded)
        and HEX_ID.match(actual)
    ):
        mapping.setdefault(recorded, actual)


def substitute(value: Any, mapping: dict[str, str]) -> Any:
    if isinstance(value, str):
        for old, new in mapping.items():
            if old in value:
                value = value.replace(old, new)
        return value
    if isinstance(value, list):
        return [substitute(v, mapping) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, mapping) for k, v in value.items()}
    return value
