"""REST core driven through the real ayon_api client: auth, attributes, projects, entities."""

from __future__ import annotations

import ayon_api
import pytest
import requests
from ayon_api.exceptions import HTTPRequestError

from ayon_ftrack_sync.emulators.ayon import AyonEmulator


def test_root_info_and_service_key_semantics(ayon_server: AyonEmulator) -> None:
    assert requests.get(ayon_server.url + "/", timeout=5).status_code == 200
    # Bearer with an API key is refused; X-Api-Key works (client then flags is_service)
    bearer = requests.get(
        f"{ayon_server.url}/api/users/me",
        timeout=5,
        headers={"Authorization": f"Bearer {ayon_server.api_key}"},
    )
    assert bearer.status_code == 401
    assert bearer.json() == {"code": 401, "detail": "Access token is missing"}
    api = ayon_api.ServerAPI(ayon_server.url, token=ayon_server.api_key)
    assert api.is_service_user()
    assert api.get_server_version() == "1.16.0+DEVELOP"
    info = api.get_info()
    assert info["user"]["name"] == "service"
    assert any(a["name"] == "ftrackId" for a in info["attributes"])
    me = api.get_user()
    assert me["name"] == "service" and me["data"]["isService"] is True
    assert ayon_server.api_key not in repr(me)
    assert api.get_user("admin")["name"] == "admin"
    api.close_session()


def test_password_login_logout(ayon_server: AyonEmulator) -> None:
    api = ayon_api.ServerAPI(ayon_server.url)
    api.login(*ayon_server.admin_credentials)
    assert api.has_valid_token
    assert not api.is_service_user()
    assert api.get_user()["name"] == "admin"
    token = api.access_token
    api.logout()
    after = requests.get(
        f"{ayon_server.url}/api/users/me", timeout=5, headers={"Authorization": f"Bearer {token}"}
    )
    assert after.status_code == 401
    bad = requests.post(
        f"{ayon_server.url}/api/auth/login", timeout=5, json={"name": "admin", "password": "nope"}
    )
    assert bad.status_code == 401
    api.close_session()


def test_user_create_patch_delete(ayon_api_client: ayon_api.ServerAPI) -> None:
    api = ayon_api_client
    assert (
        api.put(
            "users/jane.doe", attrib={"fullName": "Jane", "email": "jane@x.io"}, password="pw"
        ).status_code
        == 204
    )
    assert api.patch("users/jane.doe", attrib={"fullName": "Jane D"}).status_code == 204
    users = {u["name"]: u for u in api.get_users()}
    assert users["jane.doe"]["attrib"]["fullName"] == "Jane D"
    assert [u["name"] for u in api.get_users(emails=["jane@x.io"])] == ["jane.doe"]
    assert api.delete("users/jane.doe").status_code == 204
    assert api.get("users/jane.doe").status_code == 404


def test_as_username_header(ayon_api_client: ayon_api.ServerAPI) -> None:
    with ayon_api_client.as_username("admin"):
        assert ayon_api_client.get_user()["name"] == "admin"
    assert ayon_api_client.get_user()["name"] == "service"


def test_attribute_config_requires_restart(
    ayon_api_client: ayon_api.ServerAPI, ayon_server: AyonEmulator
) -> None:
    api = ayon_api_client
    names = {a["name"] for a in api.get_attributes_schema(use_cache=False)["attributes"]}
    assert {"ftrackId", "ftrackPath", "fps", "frameStart"} <= names
    api.set_attribute_config(
        "probeAttr", {"type": "string", "title": "Probe", "inherit": False}, ["folder", "task"]
    )
    assert api.get("system/restartRequired").data["required"] is True
    api.create_project("attr_p", "ATP")
    folder_id = api.create_folder("attr_p", "f1", attrib={"probeAttr": "x", "frameStart": 5})
    stored = ayon_server.control.entity("attr_p", "folder", folder_id)
    assert stored is not None
    assert stored["ownAttrib"] == ["frameStart"]  # probeAttr silently dropped before restart
    api.trigger_server_restart()
    api.update_folder("attr_p", folder_id, attrib={"probeAttr": "y"})
    assert ayon_server.control.attrib_of("attr_p", "folder", folder_id)["probeAttr"] == "y"
    api.remove_attribute_config("probeAttr")
    names = {a["name"] for a in api.get_attributes_schema(use_cache=False)["attributes"]}
    assert "probeAttr" not in names


def test_project_crud_and_anatomy(ayon_api_client: ayon_api.ServerAPI) -> None:
    api = ayon_api_client
    assert api.get_project("probe_sync") is None
    project = api.create_project("probe_sync", "PSY")
    assert project["name"] == "probe_sync" and project["code"] == "PSY"
    assert [t["name"] for t in project["folderTypes"]][:3] == ["Folder", "Library", "Asset"]
    assert "Compositing" in [t["name"] for t in project["taskTypes"]]
    statuses = {s["name"]: s for s in project["statuses"]}
    assert statuses["Not ready"]["scope"] == ["folder", "product", "task"]
    assert statuses["Approved"]["state"] == "done"
    assert {lt["name"] for lt in project["linkTypes"]} >= {"breakdown|folder|folder"}
    assert project["attrib"]["fps"] == 25.0
    assert api.get_project_names() == ["probe_sync"]
    assert [p["name"] for p in api.get_projects()] == ["probe_sync"]

    new_statuses = [
        *project["statuses"],
        {
            "name": "Pending ftrack",
            "shortName": "PNF",
            "state": "in_progress",
            "icon": "sync",
            "color": "#ff8800",
            "scope": ["folder", "task"],
        },
    ]
    api.update_project(
        "probe_sync",
        statuses=new_statuses,
        folder_types=[*project["folderTypes"], {"name": "Asset Build"}],
        attrib={"fps": 24.0},
        data={"ftrackId": "prj-1"},
        tags=[*project["tags"], {"name": "ftrack", "color": "#00ff00"}],
    )
    updated = api.get_project("probe_sync")
    assert updated["statuses"][-1]["name"] == "Pending ftrack"
    assert updated["folderTypes"][-1]["name"] == "Asset Build"
    assert updated["attrib"]["fps"] == 24.0
    assert updated["data"] == {"ftrackId": "prj-1"}
    api.update_project("probe_sync", data={"other": 1})
    assert api.get_project("probe_sync")["data"] == {"other": 1}  # data replaces
    topics = [e["topic"] for e in api.get_events(topics=["entity.project.*"])]
    assert "entity.project.created" in topics
    assert "entity.project.statuses_changed" in topics
    assert "entity.project.attrib_changed" in topics
    api.delete_project("probe_sync")
    assert api.get_project_names() == []


def test_rest_folder_task_crud_and_hierarchy(ayon_api_client: ayon_api.ServerAPI) -> None:
    api = ayon_api_client
    api.create_project("rest_p", "RSP")
    seq = api.create_folder("rest_p", "sq010", folder_type="Sequence")
    shot = api.create_folder(
        "rest_p",
        "sh010",
        folder_type="Shot",
        parent_id=seq,
        attrib={"frameStart": 1001},
        label="Shot 10",
    )
    task = api.create_task("rest_p", "comp", "Compositing", shot, assignees=["admin"])
    folder = api.get_rest_folder("rest_p", shot)
    assert folder["path"] == "/sq010/sh010"
    assert folder["status"] == "Not ready"  # default status for the folder scope
    assert folder["attrib"]["frameStart"] == 1001 and folder["attrib"]["fps"] == 25.0
    assert folder["ownAttrib"] == ["frameStart"]
    rest_task = api.get_rest_task("rest_p", task)
    assert rest_task["assignees"] == ["admin"] and rest_task["folderId"] == shot
    api.update_folder("rest_p", shot, name="sh011", status="In progress")
    assert api.get_rest_folder("rest_p", shot)["path"] == "/sq010/sh011"
    hierarchy = api.get_folders_hierarchy("rest_p")["hierarchy"]
    assert hierarchy[0]["name"] == "sq010"
    child = hierarchy[0]["children"][0]
    assert child["name"] == "sh011" and child["taskNames"] == ["comp"]
    assert child["parents"] == ["sq010"]
    with pytest.raises(HTTPRequestError):
        api.create_folder("rest_p", "SH011", parent_id=seq)  # case-insensitive unique
    api.delete_folder("rest_p", seq)
    assert api.get_rest_folder("rest_p", shot) is None
    assert api.get_rest_task("rest_p", task) is None


def test_secrets_services_restart(ayon_api_client: ayon_api.ServerAPI) -> None:
    api = ayon_api_client
    api.save_secret("ftrack_api_key", "s3cr3t")
    api.save_secret("ftrack_username", "probe.user")
    assert api.get_secrets() == [
        {"name": "ftrack_api_key", "value": "s3cr3t"},
        {"name": "ftrack_username", "value": "probe.user"},
    ]
    assert api.get_secret("ftrack_username")["value"] == "probe.user"
    api.delete_secret("ftrack_username")
    assert [s["name"] for s in api.get_secrets()] == ["ftrack_api_key"]
    assert api.get("services").data == {"services": []}
    assert api.get("system/restartRequired").data["required"] is False


def test_anatomy_rename_and_validation(ayon_api_client: ayon_api.ServerAPI) -> None:
    api = ayon_api_client
    project = api.create_project("ana_p", "ANA")
    folder = api.create_folder("ana_p", "sh010", status="In progress")
    statuses = [dict(s, original_name=s["name"]) for s in project["statuses"]]
    for status in statuses:
        if status["name"] == "In progress":
            status["name"] = "WIP"
    api.update_project("ana_p", statuses=statuses)
    assert api.get_rest_folder("ana_p", folder)["status"] == "WIP"
    assert "original_name" not in api.get_project("ana_p")["statuses"][0]
    bad = [dict(project["statuses"][0], state="sleeping")]
    response = api.patch("projects/ana_p", statuses=bad)
    assert response.status_code == 400


def test_unknown_route_answers_json_404(ayon_server: AyonEmulator) -> None:
    response = requests.get(
        f"{ayon_server.url}/api/nope", timeout=5, headers={"X-Api-Key": ayon_server.api_key}
    )
    assert response.status_code == 404
    assert response.json() == {"code": 404, "detail": "Not Found"}
