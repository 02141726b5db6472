"""Addons, settings (studio/project/variants), bundles, thumbnails, service mode."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import ayon_api
import pytest
from ayon_api.exceptions import HTTPRequestError

from ayon_ftrack_sync.emulators.ayon import AyonEmulator

STUDIO = {
    "enabled": True,
    "ftrack_server": "https://studio.ftrackapp.com",
    "service_settings": {"username": "ftrack_username", "api_key": "ftrack_api_key"},
    "sync": {"sync_versions": False, "interval": 10},
}


def test_addon_settings_studio_project_variants(
    ayon_server: AyonEmulator, ayon_api_client: ayon_api.ServerAPI
) -> None:
    api = ayon_api_client
    api.create_project("set_p", "SET")
    ayon_server.control.set_addon_settings(
        "ftrack", "1.6.4", STUDIO, {"set_p": {"sync": {"sync_versions": True}}}
    )
    addons = api.get_addons_info()["addons"]
    assert addons[0]["name"] == "ftrack" and "1.6.4" in addons[0]["versions"]
    studio = api.get_addon_studio_settings("ftrack", "1.6.4")
    assert studio == STUDIO
    project = api.get_addon_project_settings("ftrack", "1.6.4", "set_p")
    assert project["sync"] == {"sync_versions": True, "interval": 10}
    assert project["ftrack_server"] == STUDIO["ftrack_server"]
    assert api.get_addon_settings("ftrack", "1.6.4", "set_p")["sync"]["sync_versions"] is True
    # studio overrides through the REST API, per variant
    changed = {**STUDIO, "sync": {"sync_versions": False, "interval": 30}}
    assert api.post("addons/ftrack/1.6.4/settings?variant=staging", **changed).status_code == 204
    assert (
        api.get_addon_studio_settings("ftrack", "1.6.4", variant="staging")["sync"]["interval"]
        == 30
    )
    assert api.get_addon_studio_settings("ftrack", "1.6.4")["sync"]["interval"] == 10
    bad = api.post("addons/ftrack/1.6.4/settings", **{**STUDIO, "enabled": "notabool"})
    assert bad.status_code == 400
    assert bad.data["errors"][0]["loc"] == ["enabled"]
    overrides = api.get("addons/ftrack/1.6.4/overrides?variant=staging").data
    assert overrides["root_sync_interval"]["value"] == 30
    assert api.get_addon_settings_schema("ftrack", "1.6.4")["type"] == "object"


def test_bundles_and_all_settings(
    ayon_server: AyonEmulator, ayon_api_client: ayon_api.ServerAPI
) -> None:
    api = ayon_api_client
    ayon_server.control.set_addon_settings("ftrack", "1.6.4", STUDIO, requires=["core"])
    ayon_server.control.register_addon("core", "1.0.0")
    assert api.get("settings").status_code == 404
    with pytest.raises(HTTPRequestError, match="core is required"):
        api.create_bundle("b1", {"ftrack": "1.6.4"}, "1.0.0", is_production=True)
    api.create_bundle("b1", {"ftrack": "1.6.4", "core": "1.0.0"}, "1.0.0", is_production=True)
    assert api.get_bundles()["productionBundle"] == "b1"
    duplicate = api.post("bundles", name="b1", addons={"core": "1.0.0"}, installerVersion=None)
    assert duplicate.status_code == 500  # the real server leaks the unique violation
    settings = api.get_addons_settings(only_values=True)
    assert settings["ftrack"]["ftrack_server"] == STUDIO["ftrack_server"]
    api.create_project("bund_p", "BND")
    ayon_server.control.set_addon_settings(
        "ftrack", "1.6.4", STUDIO, {"bund_p": {"enabled": False}}, requires=["core"]
    )
    project = api.get_addons_project_settings("bund_p")
    assert project["ftrack"]["enabled"] is False and project["core"] == {}
    assert api.get_addons_settings(bundle_name="b1")["ftrack"]["enabled"] is True
    api.delete_bundle("b1")
    assert api.get_bundles()["bundles"] == []


def test_service_mode_settings_and_sender(
    ayon_server: AyonEmulator, ayon_service: Callable[..., Any]
) -> None:
    ayon_server.control.create_project("svc_p")
    ayon_server.control.set_addon_settings(
        "ftrack", "1.0.0", STUDIO, {"svc_p": {"ftrack_server": "https://p.ftrack"}}
    )
    con = ayon_service(sender_type="ftrack", sender="leecher-1")
    assert ayon_api.is_service_user()
    assert ayon_api.get_service_addon_settings() == STUDIO
    project = ayon_api.get_service_addon_settings("svc_p")
    assert project == {**STUDIO, "ftrack_server": "https://p.ftrack"}
    ayon_api.dispatch_event("ftrack.leech", event_hash="ev-1")
    event = next(iter(ayon_api.get_events(topics=["ftrack.leech"])))
    rest = con.get_event(event["id"])
    assert rest["senderType"] == "ftrack" and rest["sender"] == "leecher-1"


def test_thumbnails(ayon_api_client: ayon_api.ServerAPI, tmp_path: Path) -> None:
    api = ayon_api_client
    api.create_project("thumb_p", "THB")
    folder = api.create_folder("thumb_p", "sh010")
    image = tmp_path / "t.png"
    payload = b"\x89PNG\r\n\x1a\n" + b"0" * 65
    image.write_bytes(payload)
    thumb_id = api.create_thumbnail("thumb_p", str(image))
    api.update_folder("thumb_p", folder, thumbnail_id=thumb_id)
    content = api.get_folder_thumbnail("thumb_p", folder)
    assert content.content == payload and content.content_type == "image/png"
    assert content.id == thumb_id
    assert api.get_thumbnail_by_id("thumb_p", thumb_id).content == payload
