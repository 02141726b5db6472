"""Value conversion: fps parsing, the ftrack date-shift fix, event strings, AYON types."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ayon_ftrack_sync.sync.values import (
    ConversionError,
    UnsupportedType,
    event_value,
    ftrack_day,
    parse_fps,
    to_ayon,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25", 25.0),
        ("23,976", 23.976),
        (",05", 0.05),
        ("1000.", 1000.0),
        ("24000/1001", 24000 / 1001),
        ("1000,05/1000", 1.00005),
        (30, 30.0),
        (29.97, 29.97),
    ],
)
def test_fps_accepted(text: object, expected: float) -> None:
    assert parse_fps(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["/", "/1000", "1000/", ",", ".", "abc", "", "1/0", "1/2/3"])
def test_fps_rejected(text: str) -> None:
    with pytest.raises(ConversionError):
        parse_fps(text)


@given(st.integers(1, 240_000), st.integers(1, 1001))
def test_fps_fraction_property(numerator: int, denominator: int) -> None:
    assert parse_fps(f"{numerator}/{denominator}") == pytest.approx(numerator / denominator)


@given(
    st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1)),
    st.integers(min_value=-11 * 60, max_value=11 * 60 + 59),
)
def test_ftrack_day_recovers_the_picked_day_for_any_utc_offset(day: date, minutes: int) -> None:
    """A date picked at local midnight in any zone within +/-12 h comes back as that day."""
    local_zone = timezone(timedelta(minutes=minutes))
    picked = datetime.combine(day, time(0), tzinfo=local_zone)
    stored = picked.astimezone(UTC)  # what ftrack returns
    assert ftrack_day(stored) == datetime.combine(day, time(0), tzinfo=UTC)


def test_ftrack_day_keeps_a_date_already_at_midnight() -> None:
    """The original added 24 - hour hours, which moved midnight to the next day."""
    midnight = datetime(2024, 10, 30, tzinfo=UTC)
    assert ftrack_day(midnight) == midnight
    assert ftrack_day(datetime(2024, 10, 29, 22, 0, tzinfo=UTC)) == midnight


@pytest.mark.parametrize(
    ("ftrack_type", "raw", "kwargs", "expected"),
    [
        ("boolean", "1", {}, True),
        ("boolean", "0", {}, False),
        ("number", "1001.0", {"is_decimal": False}, 1001),
        ("number", "25.5", {}, 25.5),
        ("enumerator", "a, b", {"multi_select": True}, ["a", "b"]),
        ("enumerator", "a", {}, "a"),
        ("text", "hello", {}, "hello"),
        ("text", None, {}, None),
        ("date", "2024-10-29T22:00:00Z", {}, datetime(2024, 10, 29, 22, tzinfo=UTC)),
    ],
)
def test_event_values(ftrack_type: str, raw: object, kwargs: dict, expected: object) -> None:
    assert event_value(ftrack_type, raw, **kwargs) == expected


@pytest.mark.parametrize("ftrack_type", ["expression", "notificationtype", "dynamic enumerator"])
def test_unsynced_types(ftrack_type: str) -> None:
    with pytest.raises(UnsupportedType):
        event_value(ftrack_type, "x")


def test_bad_event_values_are_clear() -> None:
    with pytest.raises(ConversionError, match="not a boolean"):
        event_value("boolean", "maybe")
    with pytest.raises(ConversionError, match="not a number"):
        event_value("number", "ten")


def test_to_ayon_coerces_by_attribute_type_and_names_the_attribute() -> None:
    assert to_ayon(1001.0, "integer", attribute="frameStart") == 1001
    assert to_ayon("24000/1001", "float", attribute="fps") == pytest.approx(23.976, rel=1e-3)
    assert to_ayon(None, "integer", attribute="frameStart") is None
    assert to_ayon(["a"], "list_of_strings", attribute="tags") == ["a"]
    assert to_ayon(datetime(2024, 1, 2, tzinfo=UTC), "datetime", attribute="startDate") == (
        "2024-01-02T00:00:00+00:00"
    )
    with pytest.raises(ConversionError, match="frameStart"):
        to_ayon(1001.5, "integer", attribute="frameStart")
    with pytest.raises(ConversionError, match="resolutionWidth"):
        to_ayon(True, "integer", attribute="resolutionWidth")


@given(st.integers(-(10**9), 10**9))
def test_integers_survive_event_round_trip(number: int) -> None:
    raw = str(float(number))
    assert to_ayon(event_value("number", raw), "integer", attribute="frameStart") == number
