"""GraphQL through ayon_api: filters, cursor paging, JSON-string fields, EntityHub."""

from __future__ import annotations

import json
import uuid
from typing import Any

import ayon_api
import pytest
from ayon_api.entity_hub import EntityHub

from ayon_ftrack_sync.emulators.ayon import AyonEmulator

P = "gql_p"


def _id() -> str:
    return uuid.uuid1().hex


@pytest.fixture
def api(ayon_api_client: ayon_api.ServerAPI) -> ayon_api.ServerAPI:
    ayon_api_client.create_project(P, "GQL")
    return ayon_api_client


def _folders(n: int, parent: str | None = None, prefix: str = "f") -> list[dict[str, Any]]:
    ops = []
    for i in range(n):
        eid = _id()
        data: dict[str, Any] = {"id": eid, "name": f"{prefix}{i:04d}", "folderType": "Shot"}
        if parent:
            data["parentId"] = parent
        ops.append(
            {"id": _id(), "type": "create", "entityType": "folder", "entityId": eid, "data": data}
        )
    return ops


def test_folders_paging_over_many_pages(api: ayon_api.ServerAPI) -> None:
    ops = _folders(650)
    api.send_batch_operations(P, ops)
    folders = list(api.get_folders(P, fields={"id", "name"}))
    assert len(folders) == 650
    assert [f["name"] for f in folders[:2]] == ["f0000", "f0001"]
    assert len({f["id"] for f in folders}) == 650
    some = [ops[5]["entityId"], ops[600]["entityId"]]
    assert {f["id"] for f in api.get_folders(P, folder_ids=some)} == set(some)


def test_folder_filters_and_json_fields(api: ayon_api.ServerAPI) -> None:
    seq = api.create_folder(
        P,
        "sq010",
        folder_type="Sequence",
        attrib={"ftrackId": "ft-1"},
        data={"ftrack": {"id": "ft-1"}},
    )
    shot = api.create_folder(
        P,
        "sh010",
        folder_type="Shot",
        parent_id=seq,
        attrib={"frameStart": 1001},
        tags=["ftrack"],
        status="In progress",
    )
    api.create_task(P, "comp", "Compositing", shot)
    api.update_project(P, attrib={"fps": 24.0})
    raw = api.query_graphql(
        "query F($projectName: String!) { project(name: $projectName) { folders(first: 10) "
        "{ edges { node { name allAttrib data ownAttrib hasTasks path parents } } } } }",
        {"projectName": P},
    ).data["data"]["project"]["folders"]["edges"]
    by_name = {e["node"]["name"]: e["node"] for e in raw}
    assert isinstance(by_name["sq010"]["allAttrib"], str)
    seq_attrib = json.loads(by_name["sq010"]["allAttrib"])
    assert seq_attrib["ftrackId"] == "ft-1" and seq_attrib["fps"] == 24.0
    shot_attrib = json.loads(by_name["sh010"]["allAttrib"])
    assert "ftrackId" not in shot_attrib  # inherit: false
    assert shot_attrib["frameStart"] == 1001 and shot_attrib["fps"] == 24.0
    assert by_name["sh010"]["data"] is None
    assert json.loads(by_name["sq010"]["data"]) == {"ftrack": {"id": "ft-1"}}
    assert by_name["sh010"]["ownAttrib"] == ["frameStart"]
    assert by_name["sh010"]["hasTasks"] is True and by_name["sq010"]["hasTasks"] is False
    assert by_name["sh010"]["parents"] == ["sq010"]

    assert [f["name"] for f in api.get_folders(P, parent_ids=[seq])] == ["sh010"]
    assert [f["name"] for f in api.get_folders(P, parent_ids=[None])] == ["sq010"]
    assert [f["name"] for f in api.get_folders(P, folder_types=["Shot"])] == ["sh010"]
    assert [f["name"] for f in api.get_folders(P, statuses=["In progress"])] == ["sh010"]
    assert [f["name"] for f in api.get_folders(P, tags=["ftrack"])] == ["sh010"]
    assert [f["name"] for f in api.get_folders(P, folder_names=["sq010"])] == ["sq010"]
    assert api.get_folder_by_path(P, "/sq010/sh010")["id"] == shot
    assert api.get_folder_by_path(P, "/nope") is None
    folder = api.get_folder_by_id(P, shot, own_attributes=True)
    assert folder["attrib"]["frameStart"] == 1001 and folder["data"] == {}
    assert folder["ownAttrib"]["frameStart"] == 1001


def test_tasks_products_versions(api: ayon_api.ServerAPI) -> None:
    shot = api.create_folder(P, "sh010", folder_type="Shot")
    other = api.create_folder(P, "sh020", folder_type="Shot")
    comp = api.create_task(P, "comp", "Compositing", shot, assignees=["admin"])
    api.create_task(P, "anim", "Animation", other)
    product = api.create_product(P, "renderMain", "render", shot)
    v1 = api.create_version(P, 1, product, task_id=comp)
    v2 = api.create_version(P, 2, product, task_id=comp)
    tasks = list(api.get_tasks(P, folder_ids=[shot]))
    assert [t["name"] for t in tasks] == ["comp"]
    assert tasks[0]["assignees"] == ["admin"] and tasks[0]["attrib"]["fps"] == 25.0
    assert [t["name"] for t in api.get_tasks(P, task_types=["Animation"])] == ["anim"]
    assert [t["name"] for t in api.get_tasks(P, assignees_all=["admin"])] == ["comp"]
    assert api.get_task_by_name(P, shot, "comp")["id"] == comp
    products = list(api.get_products(P, folder_ids=[shot]))
    assert [p["name"] for p in products] == ["renderMain"]
    assert api.get_product_by_name(P, "renderMain", shot)["id"] == product
    versions = list(api.get_versions(P, product_ids=[product]))
    assert sorted(v["version"] for v in versions) == [1, 2]
    assert {v["status"] for v in versions} == {"Pending review"}
    assert api.get_last_version_by_product_id(P, product)["id"] == v2
    assert [v["id"] for v in api.get_versions(P, task_ids=[comp], versions=[1])] == [v1]


def test_users_and_events_query(api: ayon_api.ServerAPI) -> None:
    users = {u["name"]: u for u in api.get_users()}
    assert set(users) == {"admin", "service"}
    assert users["service"]["isService"] is True and users["admin"]["isAdmin"] is True
    assert users["admin"]["accessGroups"] == {}
    for i in range(3):
        api.dispatch_event(
            "ftrack.leech",
            sender="leecher",
            project_name=P,
            description=f"leech {i}",
            summary={"n": i},
            payload={"ftrack_event": {"id": f"ev{i}"}},
        )
    events = list(
        api.get_events(
            topics=["ftrack.leech"],
            project_names=[P],
            fields={"id", "summary", "payload", "description"},
        )
    )
    assert [e["description"] for e in events] == ["leech 0", "leech 1", "leech 2"]
    # like the real server, summary/payload are JSON strings the client leaves as they are
    assert json.loads(events[1]["summary"]) == {"n": 1}
    assert json.loads(events[2]["payload"]) == {"ftrack_event": {"id": "ev2"}}
    newest = list(api.get_events(topics=["ftrack.*"], order="descending", limit=2))
    assert [e["description"] for e in newest] == ["leech 2", "leech 1"]
    bad = api.query_graphql("query { events(first: 1) { edges { node { senderType } } } }")
    assert bad.data["errors"]


def test_links_lists_activities(api: ayon_api.ServerAPI) -> None:
    a = api.create_folder(P, "a")
    b = api.create_folder(P, "b")
    api.create_link_type(P, "reference", "folder", "folder")
    assert "reference|folder|folder" in {t["name"] for t in api.get_link_types(P)}
    link = api.create_link(P, "reference", a, "folder", b, "folder")
    links = api.get_folder_links(P, a)
    assert [(lnk["entityId"], lnk["direction"]) for lnk in links] == [(b, "out")]
    assert [(lnk["entityId"], lnk["direction"]) for lnk in api.get_folder_links(P, b)] == [
        (a, "in")
    ]
    api.delete_link(P, link["id"])
    assert api.get_folder_links(P, a) == []
    list_id = api.create_entity_list(P, "folder", "Probe list", items=[{"entityId": a}])
    lists = list(api.get_entity_lists(P))
    assert [(e["id"], e["label"], e["count"]) for e in lists] == [(list_id, "Probe list", 1)]
    task = api.create_task(P, "anim", "Animation", a)
    activity_id = api.create_activity(P, task, "task", "comment", body="Hello from ftrack")
    activities = list(api.get_activities(P, entity_ids=[task]))
    assert [(x["activityId"], x["body"]) for x in activities] == [
        (activity_id, "Hello from ftrack")
    ]
    assert activities[0]["activityData"]["origin"]["name"] == "anim"
    assert (
        list(api.get_activities(P, entity_ids=[task], changed_after="2999-01-01T00:00:00+00:00"))
        == []
    )
    api.update_task(P, task, status="In progress")
    changes = list(api.get_activities(P, entity_ids=[task], activity_types=["status.change"]))
    assert [c["activityData"]["newValue"] for c in changes] == ["In progress"]


def test_entity_hub_round_trip(api: ayon_api.ServerAPI, ayon_server: AyonEmulator) -> None:
    hub = EntityHub(P, connection=api)
    hub.fetch_hierarchy_entities()
    seq = hub.add_new_folder(folder_type="Sequence", name="eh_seq", attribs={"ftrackId": "ft"})
    task = hub.add_new_task(task_type="Animation", name="anim", folder_id=seq.id)
    hub.commit_changes()
    assert ayon_server.control.get_entity(P, "task", task.id)["folderId"] == seq.id

    hub2 = EntityHub(P, connection=api)
    hub2.fetch_hierarchy_entities()
    folder = hub2.get_folder_by_id(seq.id)
    assert folder is not None and folder.attribs["ftrackId"] == "ft"
    folder.label = "EH Seq"
    folder.attribs["fps"] = 30.0
    hub_task = hub2.get_task_by_id(task.id)
    assert hub_task is not None
    hub_task.status = "In progress"
    hub2.commit_changes()
    stored = ayon_server.control.get_entity(P, "folder", seq.id)
    assert stored["label"] == "EH Seq" and stored["attrib"]["fps"] == 30.0
    assert ayon_server.control.get_entity(P, "task", task.id)["status"] == "In progress"
    assert ayon_server.control.attrib_of(P, "task", task.id)["fps"] == 30.0

    hub3 = EntityHub(P, connection=api)
    hub3.fetch_hierarchy_entities()
    hub3.delete_entity(hub3.get_folder_by_id(seq.id))
    hub3.commit_changes()
    assert ayon_server.control.count(P, "folder") == 0


def test_client_filter_variants_are_accepted(api: ayon_api.ServerAPI) -> None:
    seq = api.create_folder(P, "sq010", folder_type="Sequence")
    shot = api.create_folder(P, "sh010", folder_type="Shot", parent_id=seq)
    api.create_folder(P, "sh020", folder_type="Shot", parent_id=seq)
    task = api.create_task(P, "comp", "Compositing", shot, assignees=["admin"])
    product = api.create_product(P, "renderMain", "render", shot)
    api.create_version(P, 1, product, task_id=task)
    v2 = api.create_version(P, 2, product, task_id=task)
    hero = api.create_version(P, -2, product)
    assert [f["name"] for f in api.get_folders(P, folder_path_regex="sh01")] == ["sh010"]
    assert [
        f["name"] for f in api.get_folders(P, has_tasks=True, has_products=True, has_children=False)
    ] == ["sh010"]
    assert [f["name"] for f in api.get_folders(P, has_children=True)] == ["sq010"]
    assert [f["name"] for f in api.get_folders(P, assignees_all=["admin"])] == ["sh010"]
    assert [f["name"] for f in api.get_folders(P, has_links="ANY")] == []
    assert len(list(api.get_folders(P, has_links=None))) == 3
    by_path = api.get_tasks_by_folder_paths(P, ["/sq010/sh010"], assignees=["admin"])
    assert [t["id"] for t in by_path["/sq010/sh010"]] == [task]
    assert [t["id"] for t in api.get_tasks(P, task_names=["comp"], statuses=["Not ready"])] == [
        task
    ]
    assert [p["id"] for p in api.get_products(P, product_name_regex="^render")] == [product]
    assert [p["id"] for p in api.get_products(P, names_by_folder_ids={shot: ["renderMain"]})] == [
        product
    ]
    assert [
        v["id"] for v in api.get_versions(P, product_ids=[product], hero=False, latest=True)
    ] == [v2]
    assert [v["id"] for v in api.get_hero_versions(P, product_ids=[product])] == [hero]
    assert api.get_last_versions(P, [product])[product]["id"] == v2
    assert api.get_folders_links(P, [shot]) == {shot: []}
    advanced = {
        "conditions": [
            {"key": "folderType", "value": "Shot"},
            {"key": "name", "value": "sh020", "operator": "ne"},
        ]
    }
    assert [f["id"] for f in api.get_folders(P, filters=advanced)] == [shot]
    events = list(
        api.get_events(
            topics=["entity.*"],
            statuses=["finished"],
            users=["service"],
            has_children=False,
            text_filter="created",
            newer_than="2000-01-01T00:00:00+00:00",
            older_than="2999-01-01T00:00:00+00:00",
            include_logs=True,
        )
    )
    assert {e["topic"] for e in events} >= {"entity.folder.created", "entity.task.created"}


def test_representations_crud_and_cascade(
    api: ayon_api.ServerAPI, ayon_server: AyonEmulator
) -> None:
    folder = api.create_folder(P, "asset")
    product = api.create_product(P, "modelMain", "model", folder)
    version = api.create_version(P, 1, product)
    repre = api.create_representation(
        P,
        "abc",
        version,
        files=[{"id": _id(), "name": "a.abc", "path": "/x/a.abc", "size": 10, "hash": "h"}],
        traits={"Ext": {"ext": "abc"}},
    )
    found = list(api.get_representations(P, version_ids=[version]))
    assert [(r["id"], r["name"]) for r in found] == [(repre, "abc")]
    assert json.loads(found[0]["traits"]) == {"Ext": {"ext": "abc"}}
    assert found[0]["status"] == "Omitted"  # the first status whose scope has representations
    assert api.get_representation_by_name(P, "abc", version)["id"] == repre
    body = api.post(
        f"projects/{P}/operations",
        operations=[
            {
                "id": _id(),
                "type": "create",
                "entityType": "representation",
                "entityId": _id(),
                "data": {"name": "ABC", "versionId": version},
            }
        ],
    ).data
    assert body["operations"][0]["errorCode"] == "unique-violation"
    api.delete_folder(P, folder, force=True)
    assert ayon_server.control.count(P, "representation") == 0
