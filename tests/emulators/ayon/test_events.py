"""Events: dispatch/dedup, get/patch/delete, enroll (contract C.4), /api/query, /ws."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import ayon_api
import pytest
import requests
from ayon_api.exceptions import HTTPRequestError

from ayon_ftrack_sync.emulators.ayon import AyonEmulator


def test_dispatch_dedup_get_patch_delete(ayon_api_client: ayon_api.ServerAPI) -> None:
    api = ayon_api_client
    first = api.dispatch_event(
        "ftrack.leech", sender="leecher", event_hash="ftrack-ev-1", payload={"a": 1}
    )
    assert first.status_code == 200
    with pytest.raises(HTTPRequestError) as info:
        api.dispatch_event("ftrack.leech", sender="leecher", event_hash="ftrack-ev-1")
    assert info.value.response.status_code == 409
    assert info.value.response.json() == {
        "code": 409,
        "detail": "Event with the same hash already exists",
    }
    event_id = first.data["id"]
    event = api.get_event(event_id)
    assert event["hash"] == "ftrack-ev-1" and event["status"] == "finished"
    assert event["senderType"] == "test" and event["payload"] == {"a": 1}
    pending = api.dispatch_event("probe.temp", finished=False).data["id"]
    assert api.get_event(pending)["status"] == "pending"
    api.update_event(pending, status="in_progress", description="working", progress=50)
    assert api.get_event(pending)["status"] == "in_progress"
    api.delete_event(pending)
    assert api.get(f"events/{pending}").status_code == 404
    unstored = api.dispatch_event("probe.ephemeral", store=False).data["id"]
    assert api.get(f"events/{unstored}").status_code == 404


def test_sender_type_defaults_to_api(ayon_server: AyonEmulator) -> None:
    headers = {"X-Api-Key": ayon_server.api_key}
    response = requests.post(
        f"{ayon_server.url}/api/events",
        timeout=5,
        headers=headers,
        json={"topic": "probe.plain", "payload": {}},
    )
    event = requests.get(
        f"{ayon_server.url}/api/events/{response.json()['id']}", timeout=5, headers=headers
    ).json()
    assert event["senderType"] == "api" and event["sender"] is None


def _leech(api: ayon_api.ServerAPI, n: int, topic: str = "ftrack.leech") -> list[str]:
    return [
        api.dispatch_event(topic, sender="leecher", description=f"leech {i}").data["id"]
        for i in range(n)
    ]


def test_enroll_sequence_of_contract(ayon_api_client: ayon_api.ServerAPI) -> None:
    api = ayon_api_client
    sources = _leech(api, 3)
    job1 = api.enroll_event_job(
        "ftrack.leech",
        "ftrack.proc",
        "proc-A",
        sequential=True,
        description="processing",
        max_retries=3,
    )
    assert job1 is not None and job1["dependsOn"] == sources[0] and job1["status"] == "pending"
    assert len(job1["hash"]) == 64
    assert api.enroll_event_job("ftrack.leech", "ftrack.proc", "proc-B", sequential=True) is None
    again = api.enroll_event_job("ftrack.leech", "ftrack.proc", "proc-A", sequential=True)
    assert again is not None and again["id"] == job1["id"]
    api.update_event(job1["id"], status="finished")
    job2 = api.enroll_event_job("ftrack.leech", "ftrack.proc", "proc-B", sequential=True)
    assert job2 is not None and job2["dependsOn"] == sources[1]
    api.update_event(job2["id"], status="failed")
    retry = api.enroll_event_job("ftrack.leech", "ftrack.proc", "proc-B", sequential=True)
    assert retry is not None and retry["id"] == job2["id"] and retry["status"] == "pending"
    assert api.get_event(job2["id"])["retries"] == 1
    target = api.get_event(job1["id"])
    assert target["topic"] == "ftrack.proc" and target["user"] == "service"


def test_enroll_non_sequential_skips_foreign_jobs(ayon_api_client: ayon_api.ServerAPI) -> None:
    api = ayon_api_client
    sources = _leech(api, 2)
    a = api.enroll_event_job("ftrack.leech", "ftrack.proc", "A", sequential=False)
    b = api.enroll_event_job("ftrack.leech", "ftrack.proc", "B", sequential=False)
    assert a is not None and b is not None
    assert (a["dependsOn"], b["dependsOn"]) == (sources[0], sources[1])
    assert api.enroll_event_job("ftrack.leech", "ftrack.proc", "C", sequential=False) is None


def test_enroll_retries_exhausted(ayon_api_client: ayon_api.ServerAPI) -> None:
    api = ayon_api_client
    _leech(api, 1)
    job = api.enroll_event_job("ftrack.leech", "ftrack.proc", "A", max_retries=1)
    assert job is not None
    api.update_event(job["id"], status="failed")
    again = api.enroll_event_job("ftrack.leech", "ftrack.proc", "A", max_retries=1)
    assert again is not None and again["id"] == job["id"]
    api.update_event(job["id"], status="failed")
    assert api.enroll_event_job("ftrack.leech", "ftrack.proc", "A", max_retries=1) is not None
    api.update_event(job["id"], status="failed")
    # retries (2) > maxRetries (1): the source is skipped for good
    assert api.enroll_event_job("ftrack.leech", "ftrack.proc", "A", max_retries=1) is None


def test_enroll_ignore_sender_types_older_than_and_filter(
    ayon_server: AyonEmulator, ayon_api_factory: Callable[..., ayon_api.ServerAPI]
) -> None:
    sync = ayon_api_factory(sender_type="ftrack")
    web = ayon_api_factory(sender_type="web")
    sync.create_project("enr_p", "ENR")
    sync.create_folder("enr_p", "from_sync")
    web_folder = web.create_folder("enr_p", "from_web")
    job = sync.enroll_event_job(
        "entity.folder.created", "ftrack.sync.to.ftrack", "tx", ignore_sender_types=["ftrack"]
    )
    assert job is not None
    source = sync.get_event(job["dependsOn"])
    assert source["summary"]["entityId"] == web_folder and source["senderType"] == "web"
    sync.update_event(job["id"], status="finished")
    assert (
        sync.enroll_event_job(
            "entity.folder.created", "ftrack.sync.to.ftrack", "tx", ignore_sender_types=["ftrack"]
        )
        is None
    )
    # old events are ignored by ignoreOlderThan (days)
    old_id = ayon_server.control.dispatch_event("probe.old")
    ayon_server.state.events[old_id]["createdAt"] = (
        datetime.now(UTC) - timedelta(days=5)
    ).isoformat()
    assert sync.enroll_event_job("probe.old", "probe.done", "x", ignore_older_than=3) is None
    assert sync.enroll_event_job("probe.old", "probe.done", "x", ignore_older_than=10)
    # filter on summary keys
    ayon_server.control.dispatch_event("probe.flt", payload={"k": 1})
    wanted = ayon_server.control.dispatch_event("probe.flt", payload={"k": 2})
    flt = {"conditions": [{"key": "payload/k", "value": 2, "operator": "eq"}]}
    picked = sync.enroll_event_job("probe.flt", "probe.flt.done", "x", events_filter=flt)
    assert picked is not None and picked["dependsOn"] == wanted


def test_enroll_is_for_services_only(ayon_server: AyonEmulator) -> None:
    token = requests.post(
        f"{ayon_server.url}/api/auth/login", timeout=5, json={"name": "admin", "password": "admin"}
    ).json()["token"]
    ayon_server.control.register_addon("x", "1.0.0")
    requests.put(
        f"{ayon_server.url}/api/users/artist",
        timeout=5,
        headers={"Authorization": f"Bearer {token}"},
        json={"password": "pw", "data": {}},
    )
    artist = requests.post(
        f"{ayon_server.url}/api/auth/login", timeout=5, json={"name": "artist", "password": "pw"}
    ).json()["token"]
    response = requests.post(
        f"{ayon_server.url}/api/enroll",
        timeout=5,
        headers={"Authorization": f"Bearer {artist}"},
        json={"sourceTopic": "a.b.c", "targetTopic": "d.e.f", "sender": "x"},
    )
    assert response.status_code == 403
    ayon_server.control.create_user("bot", api_key="b" * 32)  # an API key, but not a service
    as_bot = ayon_api.ServerAPI(ayon_server.url, token="b" * 32)
    assert as_bot.get_user()["name"] == "bot"
    assert (
        as_bot.post("enroll", sourceTopic="a.b.c", targetTopic="d.e.f", sender="x").status_code
        == 403
    )
    as_bot.close_session()


def test_rest_query_events(ayon_api_client: ayon_api.ServerAPI) -> None:
    api = ayon_api_client
    _leech(api, 3)
    api.dispatch_event("other.topic")
    rows = api.post(
        "query",
        entity="event",
        limit=2,
        filter={"conditions": [{"key": "topic", "value": "ftrack.leech"}]},
    ).data
    assert [r["description"] for r in rows] == ["leech 2", "leech 1"]
    assert rows[0]["sender_type"] == "test" and "created_at" in rows[0]


async def _ws_collect(
    url: str, token: str, subscribe: list[str], trigger: Any, want: int
) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    async with aiohttp.ClientSession() as session, session.ws_connect(url + "/ws") as ws:
        await ws.send_str(json.dumps({"topic": "auth", "token": token, "subscribe": subscribe}))
        first = await ws.receive_json(timeout=5)
        assert first["topic"] == "heartbeat"
        await asyncio.get_running_loop().run_in_executor(None, trigger)
        while len(got) < want:
            message = await ws.receive_json(timeout=5)
            if message["topic"] != "heartbeat":
                got.append(message)
    return got


@pytest.mark.asyncio
async def test_ws_event_stream_prefix_subscription(ayon_server: AyonEmulator) -> None:
    api = ayon_api.ServerAPI(ayon_server.url, token=ayon_server.api_key, sender_type="ftrack")

    def trigger() -> None:
        api.dispatch_event("probe.skip", payload={"x": 1})
        api.dispatch_event("probe.ws", payload={"secret": 1}, description="hello")
        api.create_project("ws_p", "WSP")

    got = await _ws_collect(
        ayon_server.url, ayon_server.api_key, ["probe.w", "entity."], trigger, 2
    )
    api.close_session()
    assert [m["topic"] for m in got] == ["probe.ws", "entity.project.created"]
    assert got[0]["description"] == "hello" and "payload" not in got[0]
    assert got[0]["senderType"] == "ftrack"
