"""Addons, addon settings (studio/project, variants), bundles and `/api/settings`."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import settings as st
from ..errors import ApiError
from ..util import now_iso
from .common import actor_of, json_response, no_content, read_object, require_admin, state_of

routes = web.RouteTableDef()


def _variant(request: web.Request) -> str:
    return request.query.get("variant") or "production"


def _version_or_404(request: web.Request) -> dict[str, Any]:
    state = state_of(request)
    name, version = request.match_info["addon"], request.match_info["version"]
    ver = st.addon_version(state, name, version)
    if ver is None:
        raise ApiError(404, f"Addon {name} {version} not found")
    return ver


def _addon_info(addon: dict[str, Any]) -> dict[str, Any]:
    versions = {
        ver: {
            "hasSettings": bool(data.get("defaults")),
            "hasSiteSettings": False,
            "frontendScopes": {},
            "isBroken": False,
            "projectCanOverrideAddonVersion": False,
        }
        for ver, data in addon["versions"].items()
    }
    return {
        "name": addon["name"],
        "title": addon.get("title", addon["name"]),
        "versions": versions,
        "description": "",
        "productionVersion": addon.get("productionVersion"),
        "addonType": "pipeline",
        "system": False,
        "projectCanOverrideAddonVersion": False,
    }


@routes.get("/api/addons")
async def list_addons(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    with state.lock:
        return json_response({"addons": [_addon_info(a) for a in state.addons.values()]})


@routes.get("/api/addons/{addon}/{version}/settings")
async def studio_settings(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    with state.lock:
        ver = _version_or_404(request)
        return json_response(st.studio_settings(ver, _variant(request)))


@routes.get("/api/addons/{addon}/{version}/settings/{project}")
async def project_settings(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    with state.lock:
        ver = _version_or_404(request)
        project = request.match_info["project"]
        if project not in state.projects:
            raise ApiError(404, f"Project {project} not found")
        return json_response(st.project_settings(ver, _variant(request), project))


def _validate(ver: dict[str, Any], body: dict[str, Any]) -> None:
    errors = st.type_errors(ver["defaults"], body, [])
    if errors:
        raise _SettingsError(errors)


class _SettingsError(ApiError):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(400, "Invalid settings")
        self.errors = errors

    def body(self) -> dict[str, object]:
        return {"code": 400, "detail": "Invalid settings", "errors": self.errors}


@routes.post("/api/addons/{addon}/{version}/settings")
async def set_studio_settings(request: web.Request) -> web.Response:
    require_admin(actor_of(request))
    state = state_of(request)
    body = await read_object(request)
    with state.lock:
        ver = _version_or_404(request)
        _validate(ver, body)
        ver["studio"][_variant(request)] = st.diff(ver["defaults"], body)
    return no_content()


@routes.post("/api/addons/{addon}/{version}/settings/{project}")
async def set_project_settings(request: web.Request) -> web.Response:
    require_admin(actor_of(request))
    state = state_of(request)
    body = await read_object(request)
    with state.lock:
        ver = _version_or_404(request)
        _validate(ver, body)
        variant = _variant(request)
        base = st.studio_settings(ver, variant)
        ver["projects"].setdefault(variant, {})[request.match_info["project"]] = st.diff(base, body)
    return no_content()


@routes.get("/api/addons/{addon}/{version}/overrides")
async def overrides(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    with state.lock:
        ver = _version_or_404(request)
        return json_response(st.overrides_listing(ver, _variant(request)))


@routes.get("/api/addons/{addon}/{version}/schema")
async def schema(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    with state.lock:
        ver = _version_or_404(request)
        if ver.get("schema"):
            return json_response(ver["schema"])
        props = {
            k: {"title": k, "default": v, "scope": ["project", "studio"]}
            for k, v in ver["defaults"].items()
        }
        return json_response(
            {
                "title": request.match_info["addon"],
                "type": "object",
                "properties": props,
                "definitions": {},
            }
        )


@routes.get("/api/addons/{addon}/{version}/customProcessorHandlers")
async def custom_handlers(request: web.Request) -> web.Response:
    actor_of(request)
    return json_response({"custom_handlers": []})


@routes.get("/api/bundles")
async def list_bundles(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    with state.lock:
        bundles = list(state.bundles.values())
    prod = next((b["name"] for b in bundles if b.get("isProduction")), None)
    staging = next((b["name"] for b in bundles if b.get("isStaging")), None)
    return json_response(
        {"bundles": bundles, "productionBundle": prod, "stagingBundle": staging, "devBundles": []}
    )


@routes.post("/api/bundles")
async def create_bundle(request: web.Request) -> web.Response:
    require_admin(actor_of(request))
    state = state_of(request)
    body = await read_object(request)
    name = str(body.get("name") or "")
    addons = body.get("addons") or {}
    with state.lock:
        for addon_name, version in addons.items():
            if version is None:
                continue
            ver = st.addon_version(state, addon_name, version)
            if ver is None:
                raise ApiError(
                    400, f"Failed to validate bundle: {addon_name} {version} is not installed"
                )
            for required in ver.get("requires") or []:
                if not addons.get(required):
                    raise ApiError(
                        400, f"Failed to validate bundle: {addon_name}: {required} is required"
                    )
        if name in state.bundles:
            # the real server lets the asyncpg unique violation through as a 500
            raise ApiError(500, "Internal server error")
        ts = now_iso()
        bundle = {
            "name": name,
            "installerVersion": body.get("installerVersion"),
            "addons": addons,
            "dependencyPackages": body.get("dependencyPackages") or {},
            "isProduction": bool(body.get("isProduction")),
            "isStaging": bool(body.get("isStaging")),
            "isDev": bool(body.get("isDev")),
            "createdAt": ts,
            "updatedAt": ts,
        }
        if bundle["isProduction"]:
            for other in state.bundles.values():
                other["isProduction"] = False
        if bundle["isStaging"]:
            for other in state.bundles.values():
                other["isStaging"] = False
        state.bundles[name] = bundle
    return no_content(201)


@routes.delete("/api/bundles/{name}")
async def delete_bundle(request: web.Request) -> web.Response:
    require_admin(actor_of(request))
    state = state_of(request)
    with state.lock:
        if state.bundles.pop(request.match_info["name"], None) is None:
            raise ApiError(404, "Bundle not found")
    return no_content()


@routes.get("/api/settings")
async def all_settings(request: web.Request) -> web.Response:
    actor_of(request)
    state = state_of(request)
    variant = _variant(request)
    flag = "isStaging" if variant == "staging" else "isProduction"
    with state.lock:
        wanted = request.query.get("bundle_name")
        if wanted:
            bundle = state.bundles.get(wanted)
        else:
            bundle = next((b for b in state.bundles.values() if b.get(flag)), None)
        if bundle is None:
            return json_response(
                {"code": 404, "detail": "Bundle not found", "status_code": 404}, status=404
            )
        project = request.query.get("project_name") or request.query.get("project")
        addons: list[dict[str, Any]] = []
        for addon_name, version in sorted(bundle["addons"].items()):
            ver = st.addon_version(state, addon_name, version) if version else None
            if ver is None:
                continue
            has_settings = bool(ver.get("defaults"))
            values = (
                (
                    st.project_settings(ver, variant, project)
                    if project
                    else st.studio_settings(ver, variant)
                )
                if has_settings
                else {}
            )
            item: dict[str, Any] = {
                "name": addon_name,
                "version": version,
                "title": state.addons[addon_name].get("title", addon_name),
                "hasSettings": has_settings,
                "hasProjectSettings": has_settings,
                "hasProjectSiteSettings": False,
                "hasSiteSettings": False,
            }
            if has_settings:
                item["hasStudioOverrides"] = bool(ver["studio"].get(variant))
            item.update(
                {
                    "settings": values,
                    "siteSettings": {},
                    "isBroken": False,
                    "isProjectBundle": False,
                }
            )
            addons.append(item)
    return json_response({"bundleName": bundle["name"], "addons": addons, "inheritedAddons": []})
