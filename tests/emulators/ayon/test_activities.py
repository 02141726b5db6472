"""Activity edits, deletes and `activity.*` events, as ayon-backend's activity endpoints.

Real server: `api/activities/activity.py` (PATCH/DELETE `/projects/{p}/activities/{id}`),
`ayon_server/activities/{create,update,delete}_activity.py` (events and who may change what).
"""

from __future__ import annotations

from collections.abc import Callable

import ayon_api
import pytest
from ayon_api.exceptions import HTTPRequestError

from ayon_ftrack_sync.emulators.ayon import AyonEmulator

P = "acts"


@pytest.fixture
def api(ayon_api_factory: Callable[..., ayon_api.ServerAPI]) -> ayon_api.ServerAPI:
    client = ayon_api_factory(sender_type="ftrack", sender="svc")
    client.create_project(P, "ACT")
    return client


def _folder(api: ayon_api.ServerAPI) -> str:
    return str(api.create_folder(P, "sh010", folder_type="Shot"))


def test_create_patch_delete_emit_events(
    api: ayon_api.ServerAPI, ayon_server: AyonEmulator
) -> None:
    folder = _folder(api)
    activity_id = api.create_activity(P, folder, "folder", "comment", body="one", data={"k": 1})
    api.update_activity(P, activity_id, body="two", data={"ftrack": {"id": "n1"}, "author": "x"})
    [row] = api.get_activities(P, activity_ids=[activity_id])
    assert row["body"] == "two"
    # data merges top-level keys and never changes the author
    assert row["activityData"]["k"] == 1
    assert row["activityData"]["ftrack"] == {"id": "n1"}
    assert row["activityData"]["author"] == api.get_user()["name"]
    api.delete_activity(P, activity_id)
    assert list(api.get_activities(P, activity_ids=[activity_id])) == []

    events = ayon_server.control.events("activity.")
    assert [e["topic"] for e in events] == [
        "activity.created",
        "activity.updated",
        "activity.deleted",
    ]
    for event in events:
        assert event["project"] == P
        assert (event["sender"], event["senderType"]) == ("svc", "ftrack")
        assert event["summary"]["activity_id"] == activity_id
        assert event["summary"]["activity_type"] == "comment"
        assert {"entity_id": folder, "entity_type": "folder", "reference_type": "origin"} in (
            event["summary"]["references"]
        )
    assert [e["payload"] for e in events] == [{"body": "one"}, {"body": "two"}, {}]


def test_only_author_or_admin_may_edit(api: ayon_api.ServerAPI, ayon_server: AyonEmulator) -> None:
    folder = _folder(api)
    ayon_server.control.create_user("jane")
    ayon_server.control.create_user("joe")
    with api.as_username("jane"):
        activity_id = api.create_activity(P, folder, "folder", "comment", body="- [ ] todo")
    with api.as_username("joe"):
        api.update_activity(P, activity_id, body="- [x] todo")  # ticking a checkbox is fine
        with pytest.raises(HTTPRequestError):
            api.update_activity(P, activity_id, body="rewritten")
        with pytest.raises(HTTPRequestError):
            api.delete_activity(P, activity_id)
    with api.as_username("jane"):
        api.update_activity(P, activity_id, body="rewritten by jane")
    api.update_activity(P, activity_id, body="by the service")  # service = administrator
    [row] = api.get_activities(P, activity_ids=[activity_id])
    assert (row["body"], row["activityData"]["author"]) == ("by the service", "jane")
    with pytest.raises(HTTPRequestError):
        api.update_activity(P, "0" * 32, body="missing")
