"""The settings defaults are the original ayon-ftrack addon's defaults (seed_features.md 5.2).

Expected values are written out by hand from the original's ``DEFAULT_VALUES``; when the shared
reference data is present, the defaults are also compared with what a real AYON server returned
for the original addon (``settings_traffic.jsonl``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ayon_ftrack_sync.settings import (
    IGNORED_TOP_LEVEL_KEYS,
    MANDATORY_ATTRIBUTE_KEYS,
    SettingsError,
    SyncSettings,
    default_settings_data,
    parse_settings,
)

ADMIN_PM = ["Administrator", "Project manager"]
ADMIN_PM_CAP = ["Administrator", "Project Manager"]
REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "ayon"


@pytest.fixture(scope="module")
def defaults() -> dict[str, Any]:
    return SyncSettings().model_dump(mode="json")


def test_top_level_keys_and_scalars(defaults: dict[str, Any]) -> None:
    assert list(defaults) == [
        "enabled",
        "ftrack_server",
        "service_settings",
        "service_event_handlers",
        "post_launch_hook",
        "custom_attributes",
    ]
    assert defaults["enabled"] is True
    assert defaults["ftrack_server"] == ""
    assert defaults["service_settings"] == {"username": "", "api_key": ""}


def test_default_settings_data_is_a_fresh_copy(defaults: dict[str, Any]) -> None:
    first = default_settings_data()
    first["service_event_handlers"]["prepare_project"]["role_list"].append("Intruder")
    assert default_settings_data() == defaults
    assert SyncSettings().service_event_handlers.prepare_project.role_list == ADMIN_PM


EXPECTED_HANDLERS: dict[str, dict[str, Any]] = {
    "prepare_project": {"enabled": True, "role_list": ADMIN_PM},
    "sync_from_ftrack": {
        "enabled": True,
        "sync_versions": False,
        "sync_link_type": "< Skip >",
        "deactivate_ayon_only": False,  # ours: the original always deactivated
        "role_list": ADMIN_PM,
    },
    "sync_users_from_ftrack": {"enabled": True, "role_list": ADMIN_PM},
    "sync_hier_entity_attributes": {
        "enabled": True,
        "interest_entity_types": ["Shot", "Asset Build"],
        "interest_attributes": ["frameStart", "frameEnd"],
        "action_enabled": True,
        "role_list": ADMIN_PM_CAP,
    },
    "clone_review_session": {"enabled": True, "role_list": ADMIN_PM_CAP},
    # absent from the original's defaults dict -> model defaults -> open to every user
    "delete_ayon_entities": {"enabled": True, "role_list": []},
    "thumbnail_updates": {"enabled": True, "levels": 1},
    "status_task_to_parent": {
        "enabled": True,
        "parent_object_types": ["Shot", "Asset Build"],
        "parent_status_match_all_task_statuses": [
            {"name": "Completed", "value": ["Approved", "Omitted"]}
        ],
        "parent_status_by_task_status": [
            {
                "new_status": "In Progress",
                "task_statuses": ["in progress", "change requested", "retake", "pending review"],
            }
        ],
    },
    "status_task_to_version": {
        "enabled": True,
        "mapping": [],
        "asset_types_filter_type": "allow_list",
        "asset_types": [],
    },
    "status_version_to_task": {
        "enabled": True,
        "mapping": [],
        "asset_types_filter_type": "deny_list",
        "asset_types": [],
    },
    "next_task_update": {
        "enabled": True,
        "mapping": [{"name": "Not Ready", "value": "Ready"}],
        "ignored_statuses": ["Omitted"],
        "name_sorting": False,
    },
    "transfer_values_of_hierarchical_attributes": {"enabled": True, "role_list": ADMIN_PM},
    "create_daily_lists": {
        "enabled": False,
        "cycle_hour_start": "00:00:00",
        "cycle_days": ["monday", "tuesday", "wednesday", "thursday", "friday"],
        "lists": [
            {
                "name_template": "{yy}{mm}{dd}",
                "category": "Dailies",
                "cycle_enabled": True,
                "filters": [{"statuses": ["Approved"], "custom_attributes": []}],
            }
        ],
        "role_list": ADMIN_PM_CAP,
    },
    "project_components_sizes": {"enabled": True, "role_list": ADMIN_PM_CAP},
}


def test_every_service_event_handler_block_is_present_in_order(defaults: dict[str, Any]) -> None:
    assert list(defaults["service_event_handlers"]) == list(EXPECTED_HANDLERS)


@pytest.mark.parametrize("block", list(EXPECTED_HANDLERS))
def test_service_event_handler_block_defaults(defaults: dict[str, Any], block: str) -> None:
    assert defaults["service_event_handlers"][block] == EXPECTED_HANDLERS[block]


def test_post_launch_hook_defaults(defaults: dict[str, Any]) -> None:
    assert defaults["post_launch_hook"] == {
        "enabled": True,
        "mapping": [
            {"name": "In Progress", "value": ["__any__"]},
            {"name": "Ready", "value": ["Not Ready"]},
            {"name": "__ignore__", "value": ["in progress", "omitted", "on hold"]},
        ],
    }


def test_mandatory_attribute_roles(defaults: dict[str, Any]) -> None:
    mandatory = defaults["custom_attributes"]["mandatory_attributes"]
    assert tuple(mandatory) == MANDATORY_ATTRIBUTE_KEYS
    api_admin = {
        "write_security_roles": ["API", "Administrator"],
        "read_security_roles": ["API", "Administrator"],
    }
    everyone: dict[str, list[str]] = {"write_security_roles": [], "read_security_roles": []}
    assert mandatory["auto_sync_enabled"] == api_admin
    assert mandatory["ayon_sync_failed"] == api_admin
    assert mandatory["ayon_id"] == everyone
    assert mandatory["ayon_path"] == everyone
    assert mandatory["ayon_list_type"] == everyone
    roles = SyncSettings().custom_attributes.mandatory_attributes
    assert roles.roles_for("auto_sync_enabled").write_security_roles == ["API", "Administrator"]
    with pytest.raises(KeyError):
        roles.roles_for("fps")


def test_attributes_mapping_defaults(defaults: dict[str, Any]) -> None:
    mapping = defaults["custom_attributes"]["attributes_mapping"]
    assert mapping["enabled"] is True
    rows = {row["name"]: row for row in mapping["mapping"]}
    assert [row["name"] for row in mapping["mapping"]] == [
        "resolutionWidth",
        "resolutionHeight",
        "pixelAspect",
        "fps",
        "frameStart",
        "frameEnd",
        "handleStart",
        "handleEnd",
        "clipIn",
        "clipOut",
    ]
    assert all(row["attr_type"] == "standard" for row in rows.values())
    assert all(row["hierarchical"] == name for name, row in rows.items())
    assert rows["fps"]["standard"] == ["fps"]
    assert rows["frameStart"]["standard"] == ["fstart"]
    assert rows["frameEnd"]["standard"] == ["fend"]
    for unsynced in ("resolutionWidth", "pixelAspect", "handleStart", "clipOut"):
        assert rows[unsynced]["standard"] == []


def test_json_schema_carries_titles_and_ayon_hints() -> None:
    """The addon is generated from this schema: titles and AYON hints must be in it."""
    schema = SyncSettings.model_json_schema()
    props = schema["properties"]
    assert props["ftrack_server"]["title"] == "ftrack server url"
    assert props["ftrack_server"]["ayon"] == {"scope": ["studio"]}
    assert props["custom_attributes"]["ayon"] == {"scope": ["studio"]}
    assert props["service_event_handlers"]["title"] == "Server Actions/Events"
    handlers = schema["$defs"]["ServiceEventHandlers"]["properties"]
    assert handlers["sync_from_ftrack"]["title"] == "Sync to AYON"
    assert handlers["create_daily_lists"]["title"] == "Create daily lists"
    link = schema["$defs"]["SyncFromFtrackModel"]["properties"]["sync_link_type"]
    assert link["ayon"] == {"enum_resolver": "project_link_types"}
    service = schema["$defs"]["ServiceSettings"]["properties"]
    assert service["api_key"]["ayon"] == {"enum_resolver": "secrets"}
    sizes = schema["$defs"]["ComponentsSizeCalcModel"]["properties"]["enabled"]
    assert sizes["ayon"] == {"scope": ["studio"]}
    hook_row = schema["$defs"]["PostLaunchHookMapping"]["properties"]
    assert (hook_row["name"]["title"], hook_row["value"]["title"]) == (
        "New status",
        "From statuses",
    )
    mandatory = schema["$defs"]["MandatoryAttributesModel"]["properties"]
    assert mandatory["auto_sync_enabled"]["title"] == "AYON auto-sync"
    roles = schema["$defs"]["SimpleServiceAction"]["properties"]["role_list"]
    assert roles["title"] == "Roles for action"
    assert schema["$defs"]["NextTaskUpdate"]["ayon"] == {"isGroup": True}
    assert schema["$defs"]["SyncFromFtrackModel"]["additionalProperties"] is False


def _recorded_default_settings() -> dict[str, Any]:
    traffic = REFERENCE / "settings_traffic.jsonl"
    if not traffic.is_file():
        pytest.skip("shared reference data not present (../shared/reference)")
    for line in traffic.read_text(encoding="utf-8").splitlines():
        exchange = json.loads(line)
        body = exchange["resp_body"]
        if (
            exchange["method"] == "GET"
            and exchange["path"].endswith("/settings")
            and isinstance(body, dict)
            and body.get("ftrack_server") == ""
        ):
            return body
    pytest.fail("no default settings read found in settings_traffic.jsonl")


def test_defaults_equal_what_a_real_server_returns_for_the_original_addon(
    defaults: dict[str, Any],
) -> None:
    recorded = _recorded_default_settings()
    assert IGNORED_TOP_LEVEL_KEYS <= set(recorded)
    service_part = {k: v for k, v in recorded.items() if k not in IGNORED_TOP_LEVEL_KEYS}
    assert _without_extensions(defaults) == service_part
    # and the real response (with publish/user_handlers) loads as-is
    assert SyncSettings.model_validate(recorded).model_dump(mode="json") == defaults


#: keys this product adds to the original addon's schema (defaults keep the original behaviour
#: where a studio switching over expects it, and are documented in the settings model)
EXTENSION_KEYS = {("service_event_handlers", "sync_from_ftrack", "deactivate_ayon_only")}


def _without_extensions(data: dict[str, Any]) -> dict[str, Any]:
    import copy

    trimmed = copy.deepcopy(data)
    for *parents, key in EXTENSION_KEYS:
        node = trimmed
        for parent in parents:
            node = node[parent]
        node.pop(key, None)
    return trimmed


def _recorded_exchanges() -> list[dict[str, Any]]:
    traffic = REFERENCE / "settings_traffic.jsonl"
    if not traffic.is_file():
        pytest.skip("shared reference data not present (../shared/reference)")
    lines = traffic.read_text(encoding="utf-8").splitlines()
    return [
        exchange
        for exchange in map(json.loads, lines)
        if "/addons/ftrack/" in exchange["path"] and "/settings" in exchange["path"]
    ]


def test_every_recorded_settings_document_is_judged_like_the_real_server() -> None:
    """Bodies the server returned or accepted validate; the one it refused fails on same key."""
    checked = refused = 0
    for exchange in _recorded_exchanges():
        if exchange["method"] == "GET" and exchange["status"] == 200:
            SyncSettings.model_validate(exchange["resp_body"])
            checked += 1
        elif exchange["method"] == "POST" and exchange["status"] == 204:
            SyncSettings.model_validate(exchange["req_body"])
            checked += 1
        elif exchange["method"] == "POST" and exchange["status"] == 400:
            server_paths = {".".join(err["loc"]) for err in exchange["resp_body"]["errors"]}
            with pytest.raises(SettingsError) as info:
                parse_settings(exchange["req_body"])
            assert {path for path, _ in info.value.problems} == server_paths
            refused += 1
    assert checked >= 4 and refused >= 1
