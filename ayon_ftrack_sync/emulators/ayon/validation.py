"""The real server's validation rules (ayon_server/types.py), reproduced with its messages.

Messages follow the pydantic v1 wording the server returns, because clients and the
conformance tests look at `errorCode` and sometimes at the text.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import ApiError, invalid

NAME_REGEX = r"^[a-zA-Z0-9_]([a-zA-Z0-9_\.\-]*[a-zA-Z0-9_])?$"
LABEL_REGEX = r"^[^';]*$"
PROJECT_NAME_REGEX = r"^[a-zA-Z0-9_]*$"
PROJECT_CODE_REGEX = r"^[a-zA-Z0-9_][a-zA-Z0-9_]*[a-zA-Z0-9_]$"
TYPE_NAME_REGEX = r"^[a-zA-Z0-9_][a-zA-Z0-9_ \-]{1,64}[a-zA-Z0-9_]$"
USER_NAME_REGEX = r"^[a-zA-Z0-9][a-zA-Z0-9_\.\-]*[a-zA-Z0-9]$"
ATTRIBUTE_NAME_REGEX = r"^[a-zA-Z0-9]{2,64}$"
TOPIC_REGEX = r"^[a-zA-Z][a-zA-Z0-9_\.\*]{2,64}$"
ENTITY_ID_REGEX = r"^[0-f]{32}$"

_COMPILED: dict[str, re.Pattern[str]] = {}

MODEL_NAMES = {
    "folder": "FolderPostModel",
    "task": "TaskPostModel",
    "product": "ProductPostModel",
    "version": "VersionPostModel",
    "representation": "RepresentationPostModel",
}


def _rx(pattern: str) -> re.Pattern[str]:
    compiled = _COMPILED.get(pattern)
    if compiled is None:
        compiled = _COMPILED[pattern] = re.compile(pattern)
    return compiled


def matches(pattern: str, value: str) -> bool:
    return _rx(pattern).match(value) is not None


def regex_error(model: str, field: str, pattern: str) -> ApiError:
    """The pydantic v1 message for a failed `regex=` constraint."""
    return invalid(
        f"1 validation error for {model}\n{field}\n  string does not match regex "
        f'"{pattern}" (type=value_error.str.regex; pattern={pattern})'
    )


def type_error(model: str, field: str, msg: str, kind: str) -> ApiError:
    return invalid(f"1 validation error for {model}\n{field}\n  {msg} (type={kind})")


def check_regex(model: str, field: str, pattern: str, value: Any) -> None:
    if not isinstance(value, str):
        raise type_error(model, field, "str type expected", "type_error.str")
    if not matches(pattern, value):
        raise regex_error(model, field, pattern)


def check_entity_id(value: Any, model: str = "FolderModel") -> str:
    """Validate a 32-hex id (dashes tolerated, as the server normalises UUIDs)."""
    if not isinstance(value, str):
        raise type_error(model, "id", "str type expected", "type_error.str")
    norm = value.replace("-", "").lower() if len(value) == 36 else value
    if not matches(ENTITY_ID_REGEX, norm):
        raise regex_error(model, "id", ENTITY_ID_REGEX)
    return norm


def coerce_attrib_value(model: str, name: str, attr_type: str, value: Any) -> Any:
    """Coerce one attribute value like pydantic v1 would, or raise 400 `invalid_data`."""
    field = f"attrib -> {name}"
    if value is None:
        return None
    if attr_type == "integer":
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise type_error(model, field, "value is not a valid integer", "type_error.integer")
    if attr_type == "float":
        if isinstance(value, bool):
            return float(value)
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                pass
        raise type_error(model, field, "value is not a valid float", "type_error.float")
    if attr_type == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.lower() in ("true", "1", "yes")
        raise type_error(model, field, "value could not be parsed to a boolean", "type_error.bool")
    if attr_type == "list_of_strings":
        if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            return list(value)
        raise type_error(model, field, "value is not a valid list", "type_error.list")
    if attr_type in ("string", "datetime"):
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise type_error(model, field, "str type expected", "type_error.str")
    return value
