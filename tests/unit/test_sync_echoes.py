"""Echo recognition: the keys the transmit wrote are dropped from the service user's events,
once per write, for a limited time; nobody else's changes are ever touched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ayon_ftrack_sync.sync.echoes import (
    ECHO_TTL,
    MAX_EXPECTED_ECHOES,
    ExpectedEcho,
    drop_echoes,
    drop_link_echoes,
    expect,
)
from ayon_ftrack_sync.sync.events import EntityChange, ProjectEvent

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def event(*changes: EntityChange, by_service: bool = True, event_id: str = "e1") -> ProjectEvent:
    return ProjectEvent(
        event_id=event_id, project_id="p", by_service=by_service, changes=list(changes)
    )


def update(entity_id: str, *keys: str) -> EntityChange:
    return EntityChange(action="update", entity_id=entity_id, table="task", keys=list(keys))


def test_a_written_key_is_dropped_from_the_service_users_event_once() -> None:
    expected: dict[str, ExpectedEcho] = {}
    expect(expected, ["sh:fstart", "sh:name"], NOW)
    events, dropped = drop_echoes([event(update("sh", "fstart", "fend"))], expected, NOW)
    assert dropped == 1
    assert events[0].changes[0].keys == ["fend"]  # a key nobody wrote here stays
    assert set(expected) == {"sh:name"}
    # the expectation was used up: the next service change of fstart is a real one
    events, dropped = drop_echoes([event(update("sh", "fstart"))], expected, NOW)
    assert dropped == 0 and events[0].changes[0].keys == ["fstart"]


def test_a_person_changing_a_written_key_is_never_dropped() -> None:
    expected: dict[str, ExpectedEcho] = {}
    expect(expected, ["sh:fstart"], NOW)
    events, dropped = drop_echoes([event(update("sh", "fstart"), by_service=False)], expected, NOW)
    assert dropped == 0 and events[0].changes[0].keys == ["fstart"]
    assert "sh:fstart" in expected


def test_creations_and_removals_are_never_echoes() -> None:
    expected: dict[str, ExpectedEcho] = {}
    expect(expected, ["sh:name"], NOW)
    added = EntityChange(action="add", entity_id="sh", table="task", keys=["name"])
    removed = EntityChange(action="remove", entity_id="sh", table="task", keys=["name"])
    events, dropped = drop_echoes([event(added, removed)], expected, NOW)
    assert dropped == 0 and len(events[0].changes) == 2


def test_the_services_link_attribute_writes_are_always_echoes() -> None:
    events = [
        event(update("sh", "ayon_sync_failed"), update("sq", "ayon_path", "fend")),
        event(update("t1", "ayon_id"), by_service=False, event_id="e2"),
    ]
    kept, dropped = drop_link_echoes(events)
    assert dropped == 2
    assert [(c.entity_id, c.keys) for c in kept[0].changes] == [("sq", ["fend"])]
    assert kept[1] == events[1]  # a person's edit of a link attribute is applied


def test_expectations_expire() -> None:
    expected: dict[str, ExpectedEcho] = {}
    expect(expected, ["sh:fstart"], NOW)
    late = NOW + ECHO_TTL + timedelta(seconds=1)
    events, dropped = drop_echoes([event(update("sh", "fstart"))], expected, late)
    assert dropped == 0 and events[0].changes and not expected


def test_the_memory_is_bounded_and_forgets_the_oldest_first() -> None:
    expected: dict[str, ExpectedEcho] = {}
    expect(expected, ["first:fstart"], NOW)
    later = NOW + timedelta(seconds=1)
    expect(expected, [f"e{i}:fstart" for i in range(MAX_EXPECTED_ECHOES)], later)
    assert len(expected) == MAX_EXPECTED_ECHOES and "first:fstart" not in expected


def test_two_writes_of_one_key_expect_two_echoes() -> None:
    expected: dict[str, ExpectedEcho] = {}
    expect(expected, ["sh:fstart"], NOW)
    expect(expected, ["sh:fstart"], NOW + timedelta(seconds=1))
    for _ in range(2):
        events, dropped = drop_echoes([event(update("sh", "fstart"))], expected, NOW)
        assert dropped == 1 and not events[0].changes
    assert not expected


def test_an_appointment_echo_is_matched_by_its_task() -> None:
    expected: dict[str, ExpectedEcho] = {}
    expect(expected, ["t1:appointment"], NOW)
    appointment = EntityChange(
        action="add", entity_id="ap", table="appointment", parent_id="t1", keys=["type"]
    )
    events, dropped = drop_echoes([event(appointment)], expected, NOW)
    assert dropped == 1 and not events[0].changes


keys = st.sampled_from(["fstart", "fend", "name", "statusid", "parent_id"])
entities = st.sampled_from(["a", "b", "c"])
changes = st.builds(
    lambda entity, named, action: EntityChange(
        action=action, entity_id=entity, table="task", keys=sorted(set(named))
    ),
    entities,
    st.lists(keys, max_size=3),
    st.sampled_from(["add", "update", "update", "remove"]),
)


@given(
    written=st.lists(st.tuples(entities, keys), max_size=8),
    batch=st.lists(st.tuples(st.lists(changes, max_size=3), st.booleans()), max_size=5),
)
def test_nothing_but_expected_keys_of_service_updates_is_dropped(
    written: list[tuple[str, str]], batch: list[tuple[list[EntityChange], bool]]
) -> None:
    expected: dict[str, ExpectedEcho] = {}
    expect(expected, [f"{e}:{k}" for e, k in written], NOW)
    budget = {k: v.count for k, v in expected.items()}
    events = [event(*c, by_service=s, event_id=f"e{i}") for i, (c, s) in enumerate(batch)]
    kept, dropped = drop_echoes(events, expected, NOW)
    keys_in = sum(len(c.keys) for e in events for c in e.changes)
    keys_out = sum(len(c.keys) for e in kept for c in e.changes)
    assert keys_in - keys_out == dropped
    used = {k: budget[k] - (expected[k].count if k in expected else 0) for k in budget}
    assert sum(used.values()) == dropped  # each dropped key used up one expectation
    for before, after in zip(events, kept, strict=True):
        if not before.by_service:
            assert after == before
        survivors = [(c.action, c.entity_id) for c in after.changes]
        for change in before.changes:
            if change.action in ("add", "remove"):
                assert (change.action, change.entity_id) in survivors
