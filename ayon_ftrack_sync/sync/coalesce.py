"""Merge the changes of a window of events into one net change per entity.

Within a window, ten edits of one shot's frame range become one update; a task created and
deleted before the window closed becomes nothing. Order of first appearance is kept, so
parents created in the window still come before their children.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, Field

from ayon_ftrack_sync.sync.events import EntityChange, ProjectEvent, ValueChange


class Coalesced(BaseModel):
    """Net changes of a window and the events they came from."""

    changes: list[EntityChange] = Field(default_factory=list)
    event_ids: list[str] = Field(default_factory=list)


def coalesce(events: Iterable[ProjectEvent]) -> Coalesced:
    merged: dict[str, EntityChange] = {}
    cancelled: set[str] = set()
    event_ids: list[str] = []
    for event in events:
        event_ids.append(event.event_id)
        for change in event.changes:
            key = f"{change.table}:{change.entity_id}"
            if key in cancelled:
                continue  # created and removed in this window: later noise is moot
            current = merged.get(key)
            if current is None:
                merged[key] = _normalised(change)
                continue
            result = _merge(current, _normalised(change))
            if result is None:
                del merged[key]
                cancelled.add(key)
            else:
                merged[key] = result
    return Coalesced(changes=list(merged.values()), event_ids=event_ids)


def _normalised(change: EntityChange) -> EntityChange:
    """`move` is an update of `parent_id`."""
    if change.action != "move":
        return change
    keys = list(dict.fromkeys([*change.keys, "parent_id"]))
    return change.model_copy(update={"action": "update", "keys": keys})


def _merge(first: EntityChange, later: EntityChange) -> EntityChange | None:
    if first.action == "remove":
        return first
    if later.action == "remove":
        return None if first.action == "add" else later
    if later.action == "add":
        return later  # a re-add (should not happen with unique ids): the newest wins
    changes: dict[str, ValueChange] = dict(first.changes)
    for name, value in later.changes.items():
        previous = changes.get(name)
        changes[name] = ValueChange(old=previous.old if previous else value.old, new=value.new)
    return first.model_copy(
        update={
            "keys": list(dict.fromkeys([*first.keys, *later.keys])),
            "changes": changes,
            "parent_id": later.parent_id or first.parent_id,
            "parents": later.parents or first.parents,
            "api_type": later.api_type or first.api_type,
            "object_type_id": later.object_type_id or first.object_type_id,
        }
    )
