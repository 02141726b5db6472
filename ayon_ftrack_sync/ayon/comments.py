"""Read and write AYON comment activities through ayon_api.

A comment made for an ftrack note is created *as* the note's AYON author (`X-as-user`,
which only a service key may send) so AYON shows who wrote it; edits, links and deletes go
out as the service user, whom AYON treats as an administrator (the author of a comment
may be anyone). Every write carries the client's sender type (`ftrack` for the service),
which is how the AYON listener skips this service's own `activity.*` events.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import ayon_api
from ayon_api.exceptions import HTTPRequestError

from ayon_ftrack_sync.sync.comments import AyonComment, EntityRef
from ayon_ftrack_sync.sync.users import AyonUser

log = logging.getLogger(__name__)

COMMENT = "comment"
ID_CHUNK = 200
_FIELDS = ("activityId", "activityType", "body", "entityId", "entityType", "activityData")


def read_comments(
    api: ayon_api.ServerAPI,
    project: str,
    *,
    entity_ids: Iterable[str] = (),
    activity_ids: Iterable[str] = (),
    whole_project: bool = False,
) -> list[AyonComment]:
    """Comments on these entities plus comments with these ids (paged GraphQL), or every
    comment of the project (`whole_project`: only when nothing narrower is known)."""
    found: dict[str, AyonComment] = {}
    if whole_project:
        for row in api.get_activities(project, activity_types={COMMENT}, fields=set(_FIELDS)):
            comment = _comment(row)
            if comment is not None:
                found[comment.id] = comment
    for key, values in (("entity_ids", entity_ids), ("activity_ids", activity_ids)):
        ids = sorted(set(values))
        for start in range(0, len(ids), ID_CHUNK):
            filters: dict[str, Any] = {key: ids[start : start + ID_CHUNK]}
            for row in api.get_activities(
                project, activity_types={COMMENT}, fields=set(_FIELDS), **filters
            ):
                comment = _comment(row)
                if comment is not None:
                    found[comment.id] = comment
    return [found[key] for key in sorted(found)]


def _comment(row: dict[str, Any]) -> AyonComment | None:
    if row.get("activityType") != COMMENT:
        return None
    data = row.get("activityData") or {}
    ftrack = data.get("ftrack") if isinstance(data, dict) else None
    ftrack_id = ftrack.get("id") if isinstance(ftrack, dict) else None
    return AyonComment(
        id=str(row["activityId"]),
        entity=EntityRef(str(row["entityType"]), str(row["entityId"])),
        body=str(row.get("body") or ""),
        author=data.get("author") if isinstance(data, dict) else None,
        ftrack_id=str(ftrack_id) if ftrack_id else None,
    )


def read_users(api: ayon_api.ServerAPI) -> list[AyonUser]:
    """Every AYON user with their e-mail (for `map_users`)."""
    return [
        AyonUser(str(u["name"]), (u.get("attrib") or {}).get("email"))
        for u in api.get_users(fields=["name", "attrib.email"])
    ]


def create_comment(
    api: ayon_api.ServerAPI,
    project: str,
    *,
    activity_id: str,
    entity: EntityRef,
    body: str,
    data: dict[str, Any],
    as_user: str | None,
) -> bool:
    """Create the comment as `as_user` when possible, else as the service user.

    Returns whether it was made as `as_user` (False: as the service user)."""
    if as_user:
        try:
            with api.as_username(as_user):
                _create(api, project, activity_id, entity, body, data)
            return True
        except ValueError:  # not a service key: acting as someone else is impossible
            log.info("AYON key is not a service key: comment %s as service user", activity_id)
        except HTTPRequestError as exc:
            if _status(exc) != 403:
                raise
            log.info("%s may not comment on %s: as service user", as_user, entity)
    _create(api, project, activity_id, entity, body, data)
    return False


def _create(
    api: ayon_api.ServerAPI,
    project: str,
    activity_id: str,
    entity: EntityRef,
    body: str,
    data: dict[str, Any],
) -> None:
    api.create_activity(
        project,
        entity.entity_id,
        entity.entity_type,
        COMMENT,
        activity_id=activity_id,
        body=body,
        data=data,
    )


def update_comment(
    api: ayon_api.ServerAPI,
    project: str,
    activity_id: str,
    *,
    body: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """PATCH the body and/or top-level data keys (AYON merges `data`, keeps the author)."""
    api.update_activity(project, activity_id, body=body, data=data)


def delete_comment(api: ayon_api.ServerAPI, project: str, activity_id: str) -> bool:
    """Delete; a comment already gone counts as done (a retry finds it deleted)."""
    response = api.delete(f"projects/{project}/activities/{activity_id}")
    if response.status_code == 404:
        return False
    response.raise_for_status()
    return True


def _status(exc: HTTPRequestError) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)
