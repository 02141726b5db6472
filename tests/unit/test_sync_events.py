"""Decoding ftrack.update events (real payloads and a hostile corpus) and coalescing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ayon_ftrack_sync.sync.coalesce import coalesce
from ayon_ftrack_sync.sync.events import (
    MAX_CHANGES_PER_EVENT,
    MAX_VALUE_CHARS,
    EntityChange,
    ProjectEvent,
    ValueChange,
    decode_update,
    is_noise,
)
from tests.helpers import REFERENCE_DIR

EVENTS_DIR = REFERENCE_DIR / "ftrack" / "events"
PROJECT = "proj-1"


def parents(*ids: str) -> list[dict[str, Any]]:
    items = [{"entityId": i, "entityType": "task"} for i in ids]
    return [*items, {"entityId": PROJECT, "entityType": "show", "parentId": None}]


def event(*entities: Any, event_id: str = "ev-1", **extra: Any) -> dict[str, Any]:
    return {
        "topic": "ftrack.update",
        "id": event_id,
        "source": {"applicationId": "ftrack.client.web", "user": {"id": "user-1"}},
        "data": {"entities": list(entities)},
        **extra,
    }


def update(entity_id: str, **changes: tuple[Any, Any]) -> dict[str, Any]:
    return {
        "action": "update",
        "entityId": entity_id,
        "entityType": "task",
        "entity_type": "Shot",
        "keys": list(changes),
        "changes": {k: {"old": old, "new": new} for k, (old, new) in changes.items()},
        "parents": parents(entity_id, "seq"),
    }


@pytest.mark.skipif(not EVENTS_DIR.is_dir(), reason="shared/reference not available")
@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in EVENTS_DIR.glob("update_*.json")) if EVENTS_DIR.is_dir() else [],
)
def test_real_update_events_decode(name: str) -> None:
    raw = json.loads((EVENTS_DIR / name).read_text())
    while isinstance(raw, list) and len(raw) == 1 and isinstance(raw[0], list):
        raw = raw[0]  # this source wraps the entities list once more
    if isinstance(raw, list):  # a list of entity items
        raw = event(*raw)
    elif "action" in raw:  # a single entity item: wrap it the way the hub sends it
        raw = event(raw)
    elif "topic" not in raw:
        raw = {"topic": "ftrack.update", "id": "ev", **raw}
    raw.setdefault("id", "ev-real")
    decoded = decode_update(raw)
    assert decoded.per_project, decoded.problems
    entities = raw["data"]["entities"]
    assert sum(len(p.changes) for p in decoded.per_project) + len(decoded.problems) == len(entities)
    for project_event in decoded.per_project:
        for change in project_event.changes:
            assert change.entity_id and change.table
            assert change.parents[:1] in ([change.entity_id], [])  # self first when given


def test_groups_by_project_and_keeps_source() -> None:
    other = update("shot-2", name=("a", "b"))
    other["parents"][-1]["entityId"] = "proj-2"
    decoded = decode_update(event(update("shot-1", fend=("1020", "1022")), other))
    assert {p.project_id for p in decoded.per_project} == {PROJECT, "proj-2"}
    first = next(p for p in decoded.per_project if p.project_id == PROJECT)
    assert first.user_id == "user-1" and first.application_id == "ftrack.client.web"
    assert first.changes[0].changes["fend"].new == "1022"


def test_noise_is_dropped() -> None:
    social = {"action": "add", "entityId": "x", "entityType": "socialfeed", "parents": []}
    assert decode_update(event(social)).dropped_as_noise
    assert is_noise({"topic": "ftrack.meta.connected", "data": {}})
    mixed = decode_update(event(social, update("shot-1", name=("a", "b"))))
    assert not mixed.dropped_as_noise and len(mixed.per_project[0].changes) == 1


HOSTILE: list[tuple[str, Any, str]] = [
    ("no id", {"topic": "ftrack.update", "data": {"entities": []}}, "no id"),
    ("no entities", {"topic": "ftrack.update", "id": "e", "data": {}}, "data.entities missing"),
    (
        "data not a dict",
        {"topic": "ftrack.update", "id": "e", "data": "x"},
        "data.entities missing",
    ),
    ("entity not a dict", event("oops"), "not an object"),
    ("unknown action", event({**update("s"), "action": "explode"}), "unknown action"),
    ("no entity id", event({**update("s"), "entityId": None}), "entityId missing"),
    ("no table", event({**update("s"), "entityType": 3}), "entityType missing"),
    ("no project", event({**update("s"), "parents": [{"entityId": "s"}]}), "no project"),
    ("parents not a list", event({**update("s"), "parents": "zzz"}), "no project"),
]


@pytest.mark.parametrize(("label", "raw", "reason"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_events_are_reported_not_raised(label: str, raw: Any, reason: str) -> None:
    decoded = decode_update(raw)
    assert not decoded.per_project
    assert any(reason in p.reason for p in decoded.problems), decoded.problems


def test_bad_entity_does_not_lose_the_good_ones() -> None:
    decoded = decode_update(event("oops", update("shot-1", name=("a", "b"))))
    assert len(decoded.per_project[0].changes) == 1
    assert len(decoded.problems) == 1


def test_huge_payloads_are_bounded() -> None:
    big = update("shot-1", description=("", "x" * (MAX_VALUE_CHARS * 3)))
    nested = update("shot-2", fend=({"a": [1, 2, {"b": 3}]}, ["deep"]))
    decoded = decode_update(event(big, nested))
    changes = {c.entity_id: c for c in decoded.per_project[0].changes}
    assert len(changes["shot-1"].changes["description"].new) == MAX_VALUE_CHARS
    assert isinstance(changes["shot-2"].changes["fend"].old, str)
    many = decode_update(event(*[update(f"s{i}") for i in range(MAX_CHANGES_PER_EVENT + 5)]))
    assert len(many.per_project[0].changes) == MAX_CHANGES_PER_EVENT
    assert "only the first" in many.problems[0].reason


# -- coalescing -------------------------------------------------------------------------


def change(action: str, entity: str, **values: Any) -> EntityChange:
    return EntityChange(
        action=action,  # type: ignore[arg-type]
        entity_id=entity,
        table="task",
        keys=list(values),
        changes={k: ValueChange(old=None, new=v) for k, v in values.items()},
        parents=[entity, PROJECT],
    )


def window(*changes: EntityChange) -> list[ProjectEvent]:
    return [
        ProjectEvent(event_id=f"e{i}", project_id=PROJECT, changes=[c])
        for i, c in enumerate(changes)
    ]


def test_updates_merge_keeping_first_old_and_last_new() -> None:
    a = change("update", "s", fend="1")
    a.changes["fend"].old = "0"
    result = coalesce(window(a, change("update", "s", fend="2", name="x")))
    (merged,) = result.changes
    assert merged.changes["fend"].old == "0" and merged.changes["fend"].new == "2"
    assert merged.keys == ["fend", "name"]
    assert result.event_ids == ["e0", "e1"]


def test_add_then_remove_is_nothing_and_move_is_an_update() -> None:
    assert (
        coalesce(window(change("add", "t"), change("update", "t"), change("remove", "t"))).changes
        == []
    )
    (moved,) = coalesce(window(change("move", "s"))).changes
    assert moved.action == "update" and "parent_id" in moved.keys


Model = dict[str, dict[str, Any] | None]


def apply_all(state: Model, changes: list[EntityChange]) -> Model:
    result = {k: (dict(v) if v is not None else None) for k, v in state.items()}
    for item in changes:
        current = result.get(item.entity_id)
        if item.action == "add":
            result[item.entity_id] = {k: v.new for k, v in item.changes.items()}
        elif item.action == "remove":
            result[item.entity_id] = None
        elif current is not None:
            current.update({k: v.new for k, v in item.changes.items()})
    return result


@st.composite
def histories(draw: st.DrawFn) -> list[EntityChange]:
    existing = ["a", "b", "c"]
    alive = set(existing)
    created = 0
    steps: list[EntityChange] = []
    for _ in range(draw(st.integers(0, 25))):
        kind = draw(st.sampled_from(["update", "update", "move", "add", "remove"]))
        if kind == "add":
            created += 1
            entity = f"n{created}"
            alive.add(entity)
            steps.append(change("add", entity, name=draw(st.sampled_from(["x", "y"]))))
            continue
        if not alive:
            continue
        entity = draw(st.sampled_from(sorted(alive)))
        if kind == "remove":
            alive.discard(entity)
            steps.append(change("remove", entity))
        else:
            key = draw(st.sampled_from(["name", "fend", "parent_id"]))
            steps.append(change(kind, entity, **{key: draw(st.integers(0, 9))}))
    return steps


@given(histories())
def test_coalesced_window_has_the_same_effect_as_the_sequence(steps: list[EntityChange]) -> None:
    initial: Model = {"a": {"name": "a"}, "b": {"name": "b"}, "c": {"name": "c"}}
    merged = coalesce(window(*steps)).changes

    def existing(model: Model) -> Model:
        return {k: v for k, v in model.items() if v is not None}

    assert existing(apply_all(initial, merged)) == existing(apply_all(initial, steps))
    assert len({c.entity_id for c in merged}) == len(merged)  # one net change per entity
