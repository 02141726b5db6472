"""ftrack `ftrack.update` events: decoding, noise filtering, grouping by project.

The hub delivers dicts whose shape varies with the server version and with what changed
(legacy table names, stringified values, parents self-first or unordered). Decoding turns one
raw event into typed `EntityChange`s per project, or says exactly why it cannot: a malformed
entity is reported and skipped, the rest of the event still counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

#: Legacy entity tables whose changes never matter for the sync (they flood the hub).
NOISE_ENTITY_TYPES = frozenset({"socialfeed", "socialnotification", "team"})
#: Hub bookkeeping topics.
META_TOPICS = frozenset({"ftrack.meta.connected", "ftrack.meta.disconnected"})
#: Actions ftrack sends; `move` is an update of `parent_id` with the new location.
Action = Literal["add", "update", "move", "remove"]
_ACTIONS = frozenset({"add", "update", "move", "remove"})
#: Largest number of entity changes kept from one event (a hostile or runaway event is cut).
MAX_CHANGES_PER_EVENT = 5000
#: Longest value kept per changed key; longer text is cut (AYON rejects huge attributes anyway).
MAX_VALUE_CHARS = 10_000


class ValueChange(BaseModel):
    """Old and new value of one changed key, as the hub sent them (often strings)."""

    old: Any = None
    new: Any = None


class EntityChange(BaseModel):
    """One entity's change inside an event."""

    action: Action
    entity_id: str
    table: str = Field(description="legacy entityType: show, task, assetversion, list, ...")
    api_type: str | None = Field(None, description="entity_type: Shot, Task, Project, ...")
    object_type_id: str | None = None
    parent_id: str | None = None
    keys: list[str] = Field(default_factory=list)
    changes: dict[str, ValueChange] = Field(default_factory=dict)
    parents: list[str] = Field(default_factory=list, description="ancestor ids, self first")


class ProjectEvent(BaseModel):
    """The part of one ftrack event that concerns one project."""

    event_id: str
    project_id: str
    topic: str = "ftrack.update"
    user_id: str | None = None
    application_id: str | None = None
    #: made by the sync's own ftrack API user (its events may echo the sync's writes)
    by_service: bool = False
    changes: list[EntityChange]


class DecodeProblem(BaseModel):
    """Why (part of) an event was not used; recorded where a user sees it."""

    event_id: str | None
    reason: str


class Decoded(BaseModel):
    """Result of decoding one raw event."""

    per_project: list[ProjectEvent] = Field(default_factory=list)
    problems: list[DecodeProblem] = Field(default_factory=list)
    dropped_as_noise: bool = False


def is_noise(event: Mapping[str, Any]) -> bool:
    """Meta topics, and events whose entities are all social feed / notification / team."""
    if event.get("topic") in META_TOPICS:
        return True
    data = event.get("data")
    entities = data.get("entities") if isinstance(data, Mapping) else None
    if not isinstance(entities, list) or not entities:
        return False
    return all(
        isinstance(item, Mapping) and item.get("entityType") in NOISE_ENTITY_TYPES
        for item in entities
    )


def decode_update(event: Mapping[str, Any], service_user: str | None = None) -> Decoded:
    """Typed changes of an `ftrack.update` event, grouped by the project they belong to.

    `service_user`: the sync's own ftrack API user name; its events are marked `by_service`.
    """
    event_id = event.get("id") if isinstance(event.get("id"), str) else None
    if is_noise(event):
        return Decoded(dropped_as_noise=True)
    if not event_id:
        return Decoded(problems=[DecodeProblem(event_id=None, reason="event has no id")])
    if event.get("topic") != "ftrack.update":
        return Decoded(
            problems=[
                DecodeProblem(event_id=event_id, reason=f"not an update: {event.get('topic')!r}")
            ]
        )
    data = event.get("data")
    entities = data.get("entities") if isinstance(data, Mapping) else None
    if not isinstance(entities, list):
        return Decoded(problems=[DecodeProblem(event_id=event_id, reason="data.entities missing")])
    source = event.get("source") if isinstance(event.get("source"), Mapping) else {}
    user = source.get("user") if isinstance(source, Mapping) else None
    user_id = (
        user.get("id") if isinstance(user, Mapping) and isinstance(user.get("id"), str) else None
    )
    user_name = user.get("username") if isinstance(user, Mapping) else None
    by_service = bool(
        service_user
        and isinstance(user_name, str)
        and user_name.casefold() == service_user.casefold()
    )
    application_id = source.get("applicationId") if isinstance(source, Mapping) else None
    problems: list[DecodeProblem] = []
    if len(entities) > MAX_CHANGES_PER_EVENT:
        problems.append(
            DecodeProblem(
                event_id=event_id,
                reason=f"{len(entities)} entity changes; only the first {MAX_CHANGES_PER_EVENT} "
                "are used (a full resync repairs the rest)",
            )
        )
        entities = entities[:MAX_CHANGES_PER_EVENT]
    by_project: dict[str, list[EntityChange]] = {}
    for index, raw in enumerate(entities):
        if isinstance(raw, Mapping) and raw.get("entityType") in NOISE_ENTITY_TYPES:
            continue
        change, project_id, reason = _decode_entity(raw)
        if change is None or project_id is None:
            problems.append(DecodeProblem(event_id=event_id, reason=f"entity #{index}: {reason}"))
            continue
        by_project.setdefault(project_id, []).append(change)
    return Decoded(
        per_project=[
            ProjectEvent(
                event_id=event_id,
                project_id=project_id,
                user_id=user_id,
                application_id=application_id if isinstance(application_id, str) else None,
                by_service=by_service,
                changes=changes,
            )
            for project_id, changes in by_project.items()
        ],
        problems=problems,
    )


def _decode_entity(raw: object) -> tuple[EntityChange | None, str | None, str]:
    if not isinstance(raw, Mapping):
        return None, None, f"not an object ({type(raw).__name__})"
    action = raw.get("action")
    if action not in _ACTIONS:
        return None, None, f"unknown action {action!r}"
    entity_id, table = raw.get("entityId"), raw.get("entityType")
    if not isinstance(entity_id, str) or not entity_id:
        return None, None, "entityId missing"
    if not isinstance(table, str) or not table:
        return None, None, "entityType missing"
    parents = _parent_ids(raw.get("parents"))
    project_id = entity_id if table == "show" else _project_of(raw.get("parents"))
    if project_id is None:
        return None, None, f"{table} {entity_id}: no project among its parents"
    keys = [k for k in raw.get("keys") or [] if isinstance(k, str)]
    changes: dict[str, ValueChange] = {}
    raw_changes = raw.get("changes")
    if isinstance(raw_changes, Mapping):
        for key, value in raw_changes.items():
            if isinstance(key, str) and isinstance(value, Mapping):
                changes[key] = ValueChange(
                    old=_bounded(value.get("old")), new=_bounded(value.get("new"))
                )
    api_type = raw.get("entity_type")
    parent_id = raw.get("parentId")
    object_type_id = raw.get("objectTypeId")
    change = EntityChange(
        action=action,
        entity_id=entity_id,
        table=table,
        api_type=api_type if isinstance(api_type, str) else None,
        object_type_id=object_type_id if isinstance(object_type_id, str) else None,
        parent_id=parent_id if isinstance(parent_id, str) else None,
        keys=keys or sorted(changes),
        changes=changes,
        parents=parents,
    )
    return change, project_id, ""


def _parent_ids(parents: object) -> list[str]:
    if not isinstance(parents, Sequence) or isinstance(parents, str):
        return []
    ids: list[str] = []
    for item in parents:
        if isinstance(item, Mapping) and isinstance(item.get("entityId"), str):
            ids.append(item["entityId"])
    return ids


def _project_of(parents: object) -> str | None:
    if not isinstance(parents, Sequence) or isinstance(parents, str):
        return None
    for item in parents:
        if isinstance(item, Mapping) and item.get("entityType") == "show":
            value = item.get("entityId")
            return value if isinstance(value, str) and value else None
    return None


def _bounded(value: Any) -> Any:
    """Keep scalar values; cut long text; structures become their text, cut (hostile input)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS]
