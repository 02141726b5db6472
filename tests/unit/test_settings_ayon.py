"""Loading settings from AYON through the real ayon-python-api client over real HTTP.

The AYON emulator is built elsewhere; this test serves only what the settings read needs, with
the response shapes recorded from a real AYON 1.16 server (settings_traffic.jsonl): full
settings documents (including the desktop-only ``publish`` / ``user_handlers`` blocks), studio
overrides merged over defaults, project overrides merged over studio settings.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import ayon_api
import pytest
from aiohttp import web
from ayon_api.exceptions import HTTPRequestError

from ayon_ftrack_sync.settings import (
    SettingsError,
    SyncSettings,
    default_settings_data,
    load_settings_from_ayon,
)

API_KEY = "settings-test-service-key-0123456789"
ADDON, VERSION = "ftrack", "1.6.4+dev"


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """AYON's override rule, written independently of the code under test."""
    out = copy.deepcopy(dict(base))
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


@dataclass
class SettingsServer:
    """Addon settings endpoints of an AYON server, nothing else."""

    defaults: dict[str, Any]
    studio: dict[str, dict[str, Any]] = field(default_factory=dict)  # variant -> overrides
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)  # project -> overrides
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    url: str = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/", self._root)
        app.router.add_get("/api/info", self._info)
        app.router.add_get("/api/users/me", self._me)
        app.router.add_get("/api/addons/{addon}/{version}/settings", self._studio_settings)
        app.router.add_get(
            "/api/addons/{addon}/{version}/settings/{project}", self._project_settings
        )
        return app

    @staticmethod
    def _authorised(request: web.Request) -> bool:
        return request.headers.get("x-api-key") == API_KEY

    @staticmethod
    def _error(status: int, detail: str) -> web.Response:
        return web.json_response({"code": status, "detail": detail}, status=status)

    async def _root(self, request: web.Request) -> web.Response:
        return web.Response(text="<html>AYON</html>", content_type="text/html")

    async def _info(self, request: web.Request) -> web.Response:
        body: dict[str, Any] = {"version": "1.16.0+DEVELOP", "uptime": 1.0}
        if self._authorised(request):
            body["user"] = self._user()
        return web.json_response(body)

    @staticmethod
    def _user() -> dict[str, Any]:
        return {
            "name": "service",
            "attrib": {},
            "data": {"accessGroups": {}, "defaultAccessGroups": [], "isService": True},
            "active": True,
        }

    async def _me(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._error(401, "Access token is missing")
        return web.json_response(self._user())

    def _check(self, request: web.Request) -> web.Response | None:
        self.seen.append((request.path, dict(request.query)))
        if not self._authorised(request):
            return self._error(401, "Access token is missing")
        addon, version = request.match_info["addon"], request.match_info["version"]
        if (addon, version) != (ADDON, VERSION):
            return self._error(404, f"Addon {addon} {version} not found")
        return None

    def _studio(self, variant: str) -> dict[str, Any]:
        return _merge(self.defaults, self.studio.get(variant, {}))

    async def _studio_settings(self, request: web.Request) -> web.Response:
        failure = self._check(request)
        if failure is not None:
            return failure
        return web.json_response(self._studio(request.query.get("variant", "production")))

    async def _project_settings(self, request: web.Request) -> web.Response:
        failure = self._check(request)
        if failure is not None:
            return failure
        project = request.match_info["project"]
        if project not in self.projects:
            return self._error(404, f"Project {project} not found")
        studio = self._studio(request.query.get("variant", "production"))
        return web.json_response(_merge(studio, self.projects[project]))


def _server_defaults() -> dict[str, Any]:
    """A full document as the real server returns it, desktop-only blocks included."""
    data = default_settings_data()
    data["user_handlers"] = {"job_killer": {"enabled": True, "role_list": ["Administrator"]}}
    data["publish"] = {"IntegrateFtrackNote": {"enabled": False, "note_template": "{comment}"}}
    return data


@pytest.fixture
async def settings_server() -> AsyncIterator[SettingsServer]:
    server = SettingsServer(defaults=_server_defaults())
    server.studio["production"] = {
        "ftrack_server": "https://studio.ftrackapp.com",
        "service_settings": {"username": "ftrack_username", "api_key": "ftrack_api_key"},
        "service_event_handlers": {"thumbnail_updates": {"levels": 2}},
    }
    server.studio["staging"] = {"ftrack_server": "https://staging.ftrackapp.com"}
    server.projects["probe_set"] = {
        "post_launch_hook": {"enabled": False},
        "service_event_handlers": {
            "sync_from_ftrack": {"sync_versions": True},
            "thumbnail_updates": {"levels": 0},
        },
    }
    server.projects["broken"] = {"service_event_handlers": {"next_task_update": {"enabled": "x"}}}
    runner = web.AppRunner(server.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    server.url = f"http://127.0.0.1:{port}"
    try:
        yield server
    finally:
        await runner.cleanup()


def _load(url: str, project: str | None, variant: str = "production") -> SyncSettings:
    api = ayon_api.ServerAPI(url, token=API_KEY, site_id=None, max_retries=1, timeout=5)
    try:
        return load_settings_from_ayon(
            api, addon_name=ADDON, addon_version=VERSION, project_name=project, variant=variant
        )
    finally:
        api.close_session()


async def _load_async(url: str, project: str | None, variant: str = "production") -> SyncSettings:
    # ayon-python-api is synchronous; keep the event loop (and the server on it) running
    return await asyncio.to_thread(_load, url, project, variant)


async def test_studio_settings(settings_server: SettingsServer) -> None:
    settings = await _load_async(settings_server.url, None)
    assert settings.ftrack_server == "https://studio.ftrackapp.com"
    assert settings.service_settings.api_key == "ftrack_api_key"
    assert settings.service_event_handlers.thumbnail_updates.levels == 2
    assert settings.post_launch_hook.enabled is True
    assert settings.service_event_handlers.sync_from_ftrack.sync_versions is False
    assert (f"/api/addons/{ADDON}/{VERSION}/settings", {"variant": "production"}) in (
        settings_server.seen
    )


async def test_project_overrides_win_over_studio(settings_server: SettingsServer) -> None:
    studio = await _load_async(settings_server.url, None)
    project = await _load_async(settings_server.url, "probe_set")
    assert project.post_launch_hook.enabled is False
    assert project.service_event_handlers.sync_from_ftrack.sync_versions is True
    assert project.service_event_handlers.thumbnail_updates.levels == 0
    # studio-level values not overridden by the project are kept
    assert project.ftrack_server == "https://studio.ftrackapp.com"
    assert project.custom_attributes == studio.custom_attributes
    assert project.service_event_handlers.prepare_project == (
        studio.service_event_handlers.prepare_project
    )
    path, query = settings_server.seen[-1]
    assert path == f"/api/addons/{ADDON}/{VERSION}/settings/probe_set"
    assert query == {"variant": "production"}  # no site: a service has none


async def test_variant_is_passed_through(settings_server: SettingsServer) -> None:
    settings = await _load_async(settings_server.url, None, variant="staging")
    assert settings.ftrack_server == "https://staging.ftrackapp.com"
    assert settings_server.seen[-1][1] == {"variant": "staging"}


async def test_invalid_server_settings_raise_settings_error(
    settings_server: SettingsServer,
) -> None:
    with pytest.raises(SettingsError) as info:
        await _load_async(settings_server.url, "broken")
    message = str(info.value)
    assert "service_event_handlers.next_task_update.enabled: Input should be a valid boolean" in (
        message
    )
    assert "project 'broken'" in message
    assert API_KEY not in message


async def test_unknown_project_is_an_http_error_not_a_settings_error(
    settings_server: SettingsServer,
) -> None:
    with pytest.raises(HTTPRequestError, match="404"):
        await _load_async(settings_server.url, "no_such_project")
