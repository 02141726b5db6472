"""Loading settings from JSON/TOML files and from plain data; errors name every bad key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ayon_ftrack_sync.settings import (
    SettingsError,
    SyncSettings,
    deep_merge,
    default_settings_data,
    load_settings_file,
    parse_settings,
)

TOML_PARTIAL = """
enabled = false
ftrack_server = "https://studio.ftrackapp.com"

[service_event_handlers.sync_from_ftrack]
sync_versions = true

[service_event_handlers.thumbnail_updates]
levels = 3

[[service_event_handlers.next_task_update.mapping]]
name = "Not Ready"
value = "To Do"

[[service_event_handlers.next_task_update.mapping]]
name = "On Hold"
value = "Ready"

[custom_attributes.attributes_mapping]
enabled = false
"""


def test_full_json_round_trip(tmp_path: Path) -> None:
    data = default_settings_data()
    data["service_event_handlers"]["status_task_to_version"]["asset_types"] = ["img", "mov"]
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    loaded = load_settings_file(path)
    assert loaded.service_event_handlers.status_task_to_version.asset_types == ["img", "mov"]
    assert loaded.model_dump(mode="json") == data


def test_partial_toml_fills_in_defaults(tmp_path: Path) -> None:
    path = tmp_path / "sync.TOML"
    path.write_text(TOML_PARTIAL, encoding="utf-8")
    loaded = load_settings_file(str(path))
    handlers = loaded.service_event_handlers
    assert loaded.enabled is False
    assert loaded.ftrack_server == "https://studio.ftrackapp.com"
    # the overridden key changed, its siblings kept the addon defaults of *this* block
    assert handlers.sync_from_ftrack.sync_versions is True
    assert handlers.sync_from_ftrack.role_list == ["Administrator", "Project manager"]
    assert handlers.sync_from_ftrack.link_type is None
    assert handlers.thumbnail_updates.levels == 3
    # lists replace wholesale (AYON override semantics)
    assert [(m.name, m.value) for m in handlers.next_task_update.mapping] == [
        ("Not Ready", "To Do"),
        ("On Hold", "Ready"),
    ]
    assert handlers.next_task_update.ignored_statuses == ["Omitted"]
    mapping = loaded.custom_attributes.attributes_mapping
    assert mapping.enabled is False
    assert len(mapping.mapping) == 10  # untouched default rows
    # everything not mentioned equals the defaults
    expected = deep_merge(
        default_settings_data(),
        {
            "enabled": False,
            "ftrack_server": "https://studio.ftrackapp.com",
            "service_event_handlers": {
                "sync_from_ftrack": {"sync_versions": True},
                "thumbnail_updates": {"levels": 3},
                "next_task_update": {
                    "mapping": [
                        {"name": "Not Ready", "value": "To Do"},
                        {"name": "On Hold", "value": "Ready"},
                    ]
                },
            },
            "custom_attributes": {"attributes_mapping": {"enabled": False}},
        },
    )
    assert loaded.model_dump(mode="json") == expected


def test_empty_files_give_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("{}", encoding="utf-8")
    (tmp_path / "b.toml").write_text("", encoding="utf-8")
    assert load_settings_file(tmp_path / "a.json") == SyncSettings()
    assert load_settings_file(tmp_path / "b.toml") == SyncSettings()


def test_list_items_take_item_defaults() -> None:
    settings = parse_settings(
        {"service_event_handlers": {"create_daily_lists": {"lists": [{"name_template": "x"}]}}}
    )
    (item,) = settings.service_event_handlers.create_daily_lists.lists
    assert (item.name_template, item.category, item.cycle_enabled, item.filters) == (
        "x",
        "Dailies",
        False,
        [],
    )


def test_publish_and_user_handlers_are_accepted_and_ignored() -> None:
    settings = parse_settings(
        {"publish": {"CollectFtrackFamily": {"profiles": []}}, "user_handlers": {"x": 1}}
    )
    assert settings == SyncSettings()
    assert "publish" not in settings.model_dump()


def test_invalid_value_names_the_key_path() -> None:
    with pytest.raises(SettingsError) as info:
        parse_settings({"service_event_handlers": {"sync_from_ftrack": {"enabled": "maybe"}}})
    message = str(info.value)
    assert "service_event_handlers.sync_from_ftrack.enabled: Input should be a valid boolean" in (
        message
    )
    assert "(got 'maybe')" in message
    assert info.value.problems == [
        (
            "service_event_handlers.sync_from_ftrack.enabled",
            info.value.problems[0][1],
        )
    ]
    assert isinstance(info.value, ValueError)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(
            {
                "enabeld": True,
                "service_event_handlers": {
                    "thumbnail_updates": {"levels": -1},
                    "status_version_to_task": {"asset_types_filter_type": "maybe_list"},
                    "next_task_update": {
                        "mapping": [{"name": "A", "value": "B"}, {"name": "A", "value": "C"}]
                    },
                    "create_daily_lists": {"cycle_hour_start": "25:00:00"},
                },
                "custom_attributes": {
                    "attributes_mapping": {"mapping": [{"name": "fps", "attr_type": "weird"}]}
                },
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(SettingsError) as info:
        load_settings_file(path)
    paths = [path for path, _ in info.value.problems]
    assert sorted(paths) == sorted(
        [
            "enabeld",
            "service_event_handlers.thumbnail_updates.levels",
            "service_event_handlers.status_version_to_task.asset_types_filter_type",
            "service_event_handlers.next_task_update.mapping",
            "service_event_handlers.create_daily_lists.cycle_hour_start",
            "custom_attributes.attributes_mapping.mapping[0].attr_type",
        ]
    )
    message = str(info.value)
    assert message.startswith(f"invalid sync settings in {path} (6 problems):")
    assert "enabeld: unknown key" in message
    assert "duplicate name 'A'" in message
    assert all(p in message for p in paths)


def test_typo_in_a_nested_block_is_an_error() -> None:
    with pytest.raises(SettingsError, match=r"sync_from_ftrack\.sync_version: unknown key"):
        parse_settings({"service_event_handlers": {"sync_from_ftrack": {"sync_version": True}}})
    deep = {"lists": [{"filters": [{"custom_attributes": [{"attr_nme": "x"}]}]}]}
    with pytest.raises(SettingsError) as info:
        parse_settings({"service_event_handlers": {"create_daily_lists": deep}})
    assert info.value.problems == [
        (
            "service_event_handlers.create_daily_lists.lists[0].filters[0]"
            ".custom_attributes[0].attr_nme",
            "unknown key (not part of the settings schema)",
        )
    ]


def test_secret_values_never_appear_in_errors() -> None:
    secret = "s3cr3t-ftrack-api-key-value"
    bad = {
        "service_settings": {"api_key": 8765123409, "username": [secret], "password": secret},
        "ftrack_api_key": secret,
        "enabled": "maybe",
    }
    with pytest.raises(SettingsError) as info:
        parse_settings(bad, source="test")
    message = str(info.value)
    assert secret not in message
    assert "8765123409" not in message
    assert "service_settings.password: unknown key" in message
    assert "service_settings.api_key" in message
    assert "ftrack_api_key: unknown key" in message
    assert "enabled:" in message


def test_long_values_are_shortened() -> None:
    with pytest.raises(SettingsError) as info:
        parse_settings({"enabled": "x" * 500})
    assert "x" * 100 not in str(info.value)
    assert "..." in str(info.value)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("s.json", "{not json", r"not valid JSON: .*line 1, column 2"),
        ("s.toml", "enabled = ", r"not valid TOML"),
        ("s.json", "[1, 2]", r"settings must be a table of keys and values, not list"),
        ("s.yaml", "enabled: true", r"unsupported settings file type '.yaml'"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, content: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SettingsError, match=expected) as info:
        load_settings_file(path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"cannot read file: No such file"):
        load_settings_file(tmp_path / "nope.json")
