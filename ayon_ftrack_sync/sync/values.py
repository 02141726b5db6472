"""Value conversion between ftrack custom attributes / fields and AYON attributes.

ftrack hands values over in two forms: typed, from API queries (bool, float, list, datetime),
and stringified, in `ftrack.update` events (`"1"`, `"25.0"`, `"a, b"`). Both are turned into a
Python value here and then coerced to the AYON attribute's declared type, so a value that does
not fit fails loudly with the attribute name instead of being rejected by AYON in bulk.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

_NUMBER_RE = re.compile(r"^\d+(\.\d+)?$")

#: ftrack custom attribute types whose values are not synced (computed or UI-only).
UNSYNCED_FTRACK_TYPES = frozenset({"expression", "notificationtype", "dynamic enumerator"})


class ConversionError(ValueError):
    """A value cannot be represented in the target type; the message names the attribute."""


class UnsupportedType(ConversionError):
    """The ftrack attribute type is never synced (expression, notification type, ...)."""


def parse_fps(value: object) -> float:
    """An fps value from a number or a text: `25`, `23,976`, `.5`, `24000/1001`."""
    if isinstance(value, bool):
        raise ConversionError(f"fps cannot be a boolean ({value!r})")
    if isinstance(value, int | float):
        return _finite(float(value), "fps")
    if not isinstance(value, str):
        raise ConversionError(f"fps must be a number or text, got {type(value).__name__}")
    text = value.strip().replace(",", ".")
    parts = text.split("/")
    if len(parts) > 2 or not text:
        raise ConversionError(f"fps {value!r} is not a number or a fraction")
    numbers = [_fps_number(part, value) for part in parts]
    if len(numbers) == 2:
        if numbers[1] == 0:
            raise ConversionError(f"fps {value!r} divides by zero")
        return numbers[0] / numbers[1]
    return numbers[0]


def _fps_number(part: str, original: str) -> float:
    if part.startswith("."):
        part = "0" + part
    elif part.endswith("."):
        part = part + "0"
    if not _NUMBER_RE.match(part):
        raise ConversionError(f"fps {original!r} is not a number or a fraction")
    return float(part)


def _finite(value: float, what: str) -> float:
    if math.isnan(value) or math.isinf(value):
        raise ConversionError(f"{what} must be a finite number, got {value!r}")
    return value


def ftrack_day(value: datetime) -> datetime:
    """The calendar day an ftrack date field means, as midnight UTC.

    ftrack stores a date picked in the web UI as local midnight converted to UTC, so
    `2024-10-30` in Europe arrives as `2024-10-29T22:00:00Z`. Rounding to the nearest
    midnight recovers the day for any offset within +/-12 h. (The original integration
    added `24 - hour` hours, which moves a date already at midnight to the next day.)
    """
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if moment - midnight >= timedelta(hours=12):
        midnight += timedelta(days=1)
    return midnight


def ayon_datetime(value: datetime) -> str:
    """ISO 8601 text as AYON stores datetime attributes."""
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    return moment.isoformat()


def parse_datetime(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    raise ConversionError(f"{value!r} is not a date")


def event_value(
    ftrack_type: str,
    raw: object,
    *,
    multi_select: bool = False,
    is_decimal: bool = True,
) -> Any:
    """The typed value of a stringified custom attribute value from an `ftrack.update` event."""
    kind = ftrack_type.lower()
    if kind in UNSYNCED_FTRACK_TYPES:
        raise UnsupportedType(f"ftrack {ftrack_type} attributes are not synced")
    if raw is None:
        return None
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true"}:
            return True
        if text in {"0", "false", ""}:
            return False
        raise ConversionError(f"{raw!r} is not a boolean")
    if kind == "number":
        try:
            number = float(str(raw).strip())
        except ValueError:
            raise ConversionError(f"{raw!r} is not a number") from None
        number = _finite(number, "number")
        return number if is_decimal else int(number)
    if kind == "date":
        return parse_datetime(raw)
    if kind == "enumerator":
        if isinstance(raw, list):
            return [str(item) for item in raw] if multi_select else (str(raw[0]) if raw else None)
        text = str(raw)
        if multi_select:
            return [item for item in text.split(", ") if item]
        return text
    return raw if isinstance(raw, str) else str(raw)


def to_ayon(value: Any, ayon_type: str, *, attribute: str) -> Any:
    """Coerce a typed value to an AYON attribute type; None stays None (unset = inherit)."""
    if value is None:
        return None
    try:
        if attribute == "fps":
            return parse_fps(value)
        return _COERCE.get(ayon_type, _as_is)(value)
    except ConversionError as exc:
        raise ConversionError(f"attribute {attribute} ({ayon_type}): {exc}") from None


def _as_is(value: Any) -> Any:
    return value


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ConversionError(f"{value!r} is a boolean, not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ConversionError(f"{value!r} is not a whole number")
        return int(value)
    if isinstance(value, str):
        try:
            return _integer(float(value.strip()))
        except ValueError:
            pass
    raise ConversionError(f"{value!r} is not an integer")


def _float(value: Any) -> float:
    if isinstance(value, bool):
        raise ConversionError(f"{value!r} is a boolean, not a number")
    if isinstance(value, int | float):
        return _finite(float(value), "value")
    if isinstance(value, str):
        try:
            return _finite(float(value.strip().replace(",", ".")), "value")
        except ValueError:
            pass
    raise ConversionError(f"{value!r} is not a number")


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in {"1", "0", "true", "false"}:
        return value.strip().lower() in {"1", "true"}
    raise ConversionError(f"{value!r} is not a boolean")


def _string(value: Any) -> str:
    if isinstance(value, datetime):
        return ayon_datetime(value)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _datetime(value: Any) -> str:
    return ayon_datetime(parse_datetime(value))


def _list_of_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence):
        return [str(item) for item in value]
    raise ConversionError(f"{value!r} is not a list")


_COERCE = {
    "integer": _integer,
    "float": _float,
    "boolean": _boolean,
    "string": _string,
    "datetime": _datetime,
    "list_of_strings": _list_of_strings,
}
