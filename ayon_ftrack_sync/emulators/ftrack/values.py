"""Value conversion between the wire (client JSON), storage and events."""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any

from .schemas import Prop

_NAIVE_FORMAT = "%Y-%m-%dT%H:%M:%S"


def normalise_datetime(value: Any) -> str | None:
    """Any ISO date or datetime (aware or naive) as a naive UTC ``YYYY-MM-DDTHH:MM:SS``.

    The client sends tz-aware values, the server stores and returns naive UTC (spec 3.2).
    """
    if value is None:
        return None
    if isinstance(value, dict) and value.get("__type__") in ("datetime", "date"):
        value = value.get("value")
    text = str(value).strip().replace(" ", "T", 1) if isinstance(value, str) else str(value)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = _dt.datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = _dt.datetime.combine(_dt.date.fromisoformat(text[:10]), _dt.time())
        except ValueError:
            return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(_dt.UTC).replace(tzinfo=None)
    return parsed.strftime(_NAIVE_FORMAT)


def now_naive() -> str:
    return _dt.datetime.now(_dt.UTC).replace(tzinfo=None).strftime(_NAIVE_FORMAT)


def encode_value(value: Any, prop: Prop | None) -> Any:
    """Stored value to its JSON wire form (datetimes wrapped as the client expects)."""
    if value is None:
        return None
    if prop is not None and prop.fmt == "date-time":
        return {"__type__": "datetime", "value": value}
    return value


def decode_wire(value: Any) -> Any:
    """Client JSON value to a storable value (datetimes normalised, others untouched)."""
    if isinstance(value, dict) and value.get("__type__") in ("datetime", "date"):
        return normalise_datetime(value.get("value"))
    return value


def event_string(value: Any) -> str:
    """Custom attribute values travel as strings in ``ftrack.update`` (booleans "1"/"0")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)
