"""Operations: batches, canFail, per-op status/errorCode, background, validation, events."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import ayon_api
import pytest
from ayon_api.exceptions import FailedOperations
from ayon_api.operations import OperationsSession

from ayon_ftrack_sync.emulators.ayon import AyonEmulator

P = "ops_p"


def _id() -> str:
    return uuid.uuid1().hex


def _create(kind: str, data: dict[str, Any], entity_id: str | None = None) -> dict[str, Any]:
    eid = entity_id or _id()
    return {
        "id": _id(),
        "type": "create",
        "entityType": kind,
        "entityId": eid,
        "data": {**data, "id": eid},
    }


@pytest.fixture
def api(ayon_api_client: ayon_api.ServerAPI) -> ayon_api.ServerAPI:
    ayon_api_client.create_project(P, "OPS")
    return ayon_api_client


def _send(
    api: ayon_api.ServerAPI, ops: list[dict[str, Any]], can_fail: bool = False
) -> dict[str, Any]:
    response = api.post(f"projects/{P}/operations", operations=ops, canFail=can_fail)
    assert response.status_code == 200
    data: dict[str, Any] = response.data
    return data


def test_batch_create_update_delete(api: ayon_api.ServerAPI, ayon_server: AyonEmulator) -> None:
    seq, shot, task, product, version = _id(), _id(), _id(), _id(), _id()
    result = api.send_batch_operations(
        P,
        [
            _create(
                "folder",
                {"name": "sq010", "folderType": "Sequence", "attrib": {"ftrackId": "ft-1"}},
                seq,
            ),
            _create(
                "folder",
                {
                    "name": "sh010",
                    "folderType": "Shot",
                    "parentId": seq,
                    "attrib": {"frameStart": 1001},
                    "status": "In progress",
                    "tags": ["ftrack"],
                },
                shot,
            ),
            _create(
                "task",
                {
                    "name": "comp",
                    "taskType": "Compositing",
                    "folderId": shot,
                    "assignees": ["admin"],
                },
                task,
            ),
            _create(
                "product",
                {"name": "renderMain", "productType": "render", "folderId": shot},
                product,
            ),
            _create("version", {"version": 1, "productId": product, "taskId": task}, version),
        ],
    )
    assert [r["status"] for r in result] == [201] * 5
    assert ayon_server.control.get_entity(P, "version", version)["status"] == "Pending review"
    assert ayon_server.control.get_entity(P, "version", version)["name"] == "v001"
    assert ayon_server.control.get_entity(P, "product", product)["status"] == "Not ready"
    upd = api.send_batch_operations(
        P,
        [
            {
                "id": _id(),
                "type": "update",
                "entityType": "folder",
                "entityId": shot,
                "data": {"label": "Shot 010", "attrib": {"fps": 24.0}},
            },
            {
                "id": _id(),
                "type": "update",
                "entityType": "task",
                "entityId": task,
                "data": {"status": "Approved"},
            },
        ],
    )
    assert [r["status"] for r in upd] == [204, 204]
    assert ayon_server.control.attrib_of(P, "task", task)["fps"] == 24.0  # inherited
    deleted = api.send_batch_operations(
        P,
        [
            {"id": _id(), "type": "delete", "entityType": "version", "entityId": version},
            {"id": _id(), "type": "delete", "entityType": "product", "entityId": product},
            {"id": _id(), "type": "delete", "entityType": "folder", "entityId": seq},
        ],
    )
    assert [r["status"] for r in deleted] == [204, 204, 204]
    assert ayon_server.control.count(P, "folder") == 0
    assert ayon_server.control.count(P, "task") == 0  # cascade


def test_can_fail_false_rolls_back_everything(
    api: ayon_api.ServerAPI, ayon_server: AyonEmulator
) -> None:
    body = _send(
        api,
        [
            _create("folder", {"name": "good", "folderType": "Shot"}),
            _create("folder", {"name": "bad name!", "folderType": "Shot"}),
            _create("folder", {"name": "never", "folderType": "Shot"}),
        ],
    )
    assert body["success"] is False
    failed = body["operations"][-1]
    assert failed["status"] == 400 and failed["errorCode"] == "invalid_data"
    assert "does not match regex" in failed["detail"]
    assert ayon_server.control.count(P, "folder") == 0
    with pytest.raises(FailedOperations):
        api.send_batch_operations(P, [_create("folder", {"name": "-x"})])


def test_can_fail_true_keeps_successes(api: ayon_api.ServerAPI, ayon_server: AyonEmulator) -> None:
    body = _send(
        api,
        [
            _create("folder", {"name": "a1"}),
            _create("folder", {"name": "A1"}),
            _create("folder", {"name": "a2", "folderType": "Nope"}),
            {
                "id": _id(),
                "type": "update",
                "entityType": "folder",
                "entityId": _id(),
                "data": {"label": "x"},
            },
            _create("folder", {"name": "a3"}),
        ],
        can_fail=True,
    )
    assert body["success"] is False
    assert [(o["status"], o["errorCode"]) for o in body["operations"]] == [
        (201, None),
        (409, "unique-violation"),
        (409, "foreign-key-violation"),
        (404, "not-found"),
        (201, None),
    ]
    names = sorted(f["name"] for f in ayon_server.control.entities(P, "folder"))
    assert names == ["a1", "a3"]


def test_uniqueness_active_siblings_and_rename(
    api: ayon_api.ServerAPI, ayon_server: AyonEmulator
) -> None:
    shot = api.create_folder(P, "sh010")
    t1 = api.create_task(P, "comp", "Compositing", shot)
    body = _send(
        api, [_create("task", {"name": "COMP", "taskType": "Compositing", "folderId": shot})]
    )
    assert body["operations"][0]["errorCode"] == "unique-violation"
    api.update_task(P, t1, active=False)  # a deactivated task frees its name
    body = _send(
        api, [_create("task", {"name": "comp", "taskType": "Compositing", "folderId": shot})]
    )
    assert body["success"] is True
    body = _send(api, [_create("task", {"name": "x", "taskType": "Nope", "folderId": shot})])
    assert body["operations"][0]["detail"] == (
        "task_type 'Nope' is not present in table \"task_types\"."
    )
    body = _send(api, [_create("folder", {"name": "f", "status": "in progress"})])
    assert body["operations"][0]["errorCode"] == "foreign-key-violation"
    body = _send(api, [_create("folder", {"name": "f", "attrib": {"frameStart": "abc"}})])
    assert body["operations"][0]["status"] == 400
    body = _send(
        api,
        [
            {
                "id": _id(),
                "type": "create",
                "entityType": "folder",
                "entityId": "not-hex",
                "data": {"name": "z"},
            }
        ],
    )
    assert body["operations"][0]["errorCode"] == "invalid_data"


def test_delete_with_products_needs_force(
    api: ayon_api.ServerAPI, ayon_server: AyonEmulator
) -> None:
    folder = api.create_folder(P, "asset")
    api.create_product(P, "modelMain", "model", folder)
    body = _send(api, [{"id": _id(), "type": "delete", "entityType": "folder", "entityId": folder}])
    assert body["success"] is False and body["operations"][0]["status"] == 409
    body = _send(
        api,
        [
            {
                "id": _id(),
                "type": "delete",
                "entityType": "folder",
                "entityId": folder,
                "force": True,
            }
        ],
    )
    assert body["success"] is True
    assert ayon_server.control.count(P, "product") == 0


def test_background_operations_and_session(
    api: ayon_api.ServerAPI, ayon_server: AyonEmulator
) -> None:
    fid = _id()
    status = api.send_background_batch_operations(
        P, [_create("folder", {"name": "bg", "folderType": "Shot"}, fid)], wait=True
    )
    assert status["status"] == "completed" and status["result"]["success"] is True
    assert status["result"]["operations"][0]["status"] == 201
    session = OperationsSession(con=api)
    session.update_entity(P, "folder", fid, {"label": "Background"})
    session.commit()
    assert ayon_server.control.get_entity(P, "folder", fid)["label"] == "Background"


def test_every_write_emits_events_with_sender(ayon_server: AyonEmulator) -> None:
    api = ayon_api.ServerAPI(
        ayon_server.url, token=ayon_server.api_key, sender_type="ftrack", sender="sync-1"
    )
    api.create_project(P, "OPS")
    folder = api.create_folder(P, "sh010", folder_type="Shot")
    api.update_folder(
        P,
        folder,
        name="sh020",
        status="In progress",
        attrib={"fps": 30.0},
        data={"k": 1},
        label="Shot",
    )
    api.delete_folder(P, folder)
    events = ayon_server.control.events("entity.folder.")
    topics = [e["topic"] for e in events]
    assert topics[0] == "entity.folder.created" and topics[-1] == "entity.folder.deleted"
    assert {
        "entity.folder.renamed",
        "entity.folder.status_changed",
        "entity.folder.attrib_changed",
        "entity.folder.data_changed",
        "entity.folder.label_changed",
    } <= set(topics)
    assert all(e["sender"] == "sync-1" and e["senderType"] == "ftrack" for e in events)
    attrib_ev = next(e for e in events if e["topic"] == "entity.folder.attrib_changed")
    assert attrib_ev["payload"] == {"newValue": {"fps": 30.0}, "oldValue": {"fps": 25.0}}
    assert attrib_ev["summary"]["entityId"] == folder
    deleted = events[-1]
    assert deleted["payload"]["entityData"]["name"] == "sh020"
    rest = api.get_event(events[0]["id"])
    assert rest["senderType"] == "ftrack" and rest["user"] == "service"
    api.close_session()


def test_concurrent_clients_stay_consistent(ayon_server: AyonEmulator) -> None:
    """Several real clients writing and reading at once: no errors, no lost writes."""
    setup = ayon_api.ServerAPI(ayon_server.url, token=ayon_server.api_key)
    setup.create_project(P, "OPS")
    setup.close_session()

    def worker(index: int) -> int:
        api = ayon_api.ServerAPI(
            ayon_server.url, token=ayon_server.api_key, sender_type=f"w{index}"
        )
        parent = api.create_folder(P, f"root{index}")
        for batch in range(4):
            api.send_batch_operations(
                P,
                [
                    _create("folder", {"name": f"f{batch}_{i}", "parentId": parent})
                    for i in range(25)
                ],
            )
            list(api.get_folders(P, parent_ids=[parent], fields={"id"}))
        count = len(list(api.get_folders(P, parent_ids=[parent], fields={"id"})))
        api.close_session()
        return count

    with ThreadPoolExecutor(max_workers=4) as pool:
        counts = list(pool.map(worker, range(4)))
    assert counts == [100] * 4
    assert ayon_server.control.count(P, "folder") == 404
    created = ayon_server.control.events("entity.folder.created")
    assert len(created) == 404 and len({e["id"] for e in created}) == 404


def test_move_topics(api: ayon_api.ServerAPI, ayon_server: AyonEmulator) -> None:
    a = api.create_folder(P, "a")
    b = api.create_folder(P, "b")
    task = api.create_task(P, "comp", "Compositing", a)
    api.update_folder(P, b, parent_id=a)
    api.update_task(P, task, folder_id=b)
    topics = [e["topic"] for e in ayon_server.control.events("entity.")]
    assert "entity.folder.parent_changed" in topics
    assert "entity.task.folder_changed" in topics
    assert ayon_server.control.get_entity(P, "task", task)["path"] == "/a/b/comp"
