"""Pure helpers over the settings: role checks, attribute mapping, launch status mapping."""

from __future__ import annotations

import pytest

from ayon_ftrack_sync.settings import (
    AyonAttr,
    CustomAttributesMappingModel,
    FtrackAttrConf,
    SyncSettings,
    entity_kind,
    parse_settings,
    resolve_attribute_mapping,
    roles_allow,
)
from ayon_ftrack_sync.settings.service_handlers import DailyListCustomAttributesModel

SHOT, SEQ = "ot-shot", "ot-seq"


@pytest.mark.parametrize(
    ("role_list", "user_roles", "allowed"),
    [
        ([], [], True),  # empty list = everyone (original rule)
        ([], ["User"], True),
        (["Administrator"], [], False),
        (["Administrator", "Project manager"], ["Project Manager"], True),
        (["Administrator"], ["administrator"], True),
        (["Administrator"], ["API", "User"], False),
    ],
)
def test_roles_allow(role_list: list[str], user_roles: list[str], allowed: bool) -> None:
    assert roles_allow(role_list, user_roles) is allowed


def test_action_allowed_uses_enabled_and_roles() -> None:
    handlers = SyncSettings().service_event_handlers
    assert handlers.action_allowed("sync_from_ftrack", ["Project Manager"])
    assert not handlers.action_allowed("sync_from_ftrack", ["User"])
    assert handlers.action_allowed("delete_ayon_entities", ["User"])  # no roles by default
    assert not handlers.action_allowed("create_daily_lists", ["Administrator"])  # off by default

    custom = parse_settings(
        {
            "service_event_handlers": {
                "prepare_project": {"enabled": False},
                # the event handler is off, the action has its own switch and stays usable
                "sync_hier_entity_attributes": {"enabled": False, "action_enabled": True},
                "clone_review_session": {"role_list": []},
            }
        }
    ).service_event_handlers
    assert not custom.action_allowed("prepare_project", ["Administrator"])
    assert custom.action_allowed("sync_hier_entity_attributes", ["Administrator"])
    assert custom.action_allowed("clone_review_session", ["Anyone"])
    no_action = parse_settings(
        {"service_event_handlers": {"sync_hier_entity_attributes": {"action_enabled": False}}}
    ).service_event_handlers
    assert not no_action.action_allowed("sync_hier_entity_attributes", ["Administrator"])


def test_sync_link_type() -> None:
    assert SyncSettings().service_event_handlers.sync_from_ftrack.link_type is None
    custom = parse_settings(
        {"service_event_handlers": {"sync_from_ftrack": {"sync_link_type": "breakdown"}}}
    )
    assert custom.service_event_handlers.sync_from_ftrack.link_type == "breakdown"


def test_daily_list_expected_value_follows_attr_type() -> None:
    row = DailyListCustomAttributesModel(attr_name="x", attr_type="int_value", int_value=4)
    assert row.expected_value == 4
    assert DailyListCustomAttributesModel().expected_value is True


@pytest.mark.parametrize(
    ("current", "candidates"),
    [
        # defaults: the "__any__" row comes first, so every status yields "in progress" first
        ("Not Ready", ["in progress", "ready"]),
        ("On Hold", ["in progress"]),
    ],
)
def test_post_launch_hook_defaults(current: str, candidates: list[str]) -> None:
    assert SyncSettings().post_launch_hook.status_candidates(current) == candidates


def test_post_launch_hook_ignore_row_stops_the_search() -> None:
    hook = parse_settings(
        {
            "post_launch_hook": {
                "mapping": [
                    {"name": "__ignore__", "value": ["Omitted", "On Hold"]},
                    {"name": "In Progress", "value": ["__any__"]},
                    {"name": "Ready", "value": ["not ready"]},
                ]
            }
        }
    ).post_launch_hook
    assert hook.status_candidates("on hold") == []
    assert hook.status_candidates("Not Ready") == ["in progress", "ready"]
    off = parse_settings({"post_launch_hook": {"enabled": False}}).post_launch_hook
    assert off.status_candidates("Not Ready") == []


def test_entity_kind() -> None:
    assert entity_kind("Shot", context_type="task", object_type_id=SHOT) == ("task", SHOT)
    assert entity_kind("Project", context_type="show", object_type_id=SHOT) == ("show", None)
    assert entity_kind("AssetVersion") == ("assetversion", None)


CONFS = [
    FtrackAttrConf("c1", "fstart", False, "task", SHOT),
    FtrackAttrConf("c2", "fend", False, "task", SHOT),
    FtrackAttrConf("c3", "fps", False, "task", SHOT),
    FtrackAttrConf("c4", "fps", False, "task", SEQ),
    FtrackAttrConf("c5", "fps", False, "show"),
    FtrackAttrConf("h1", "frameStart", True, "show", group="ayon"),
    FtrackAttrConf("h2", "resolutionWidth", True, "show", group="openpype"),
    FtrackAttrConf("h3", "studioThing", True, "show", group="studio"),
    FtrackAttrConf("h4", "fps", True, "show", group="other"),
]
AYON_ATTRS = [
    AyonAttr("frameStart", builtin=True),
    AyonAttr("frameEnd", builtin=True),
    AyonAttr("fps", builtin=True),
    AyonAttr("resolutionWidth", builtin=True),
    AyonAttr("studioThing"),
    AyonAttr("priority"),
]


def test_default_mapping_resolves_standard_attributes_per_entity_kind() -> None:
    settings = SyncSettings().custom_attributes.attributes_mapping
    mapping = resolve_attribute_mapping(settings, CONFS, AYON_ATTRS)
    assert set(mapping) == {a.name for a in AYON_ATTRS}  # every AYON attribute has an entry
    assert mapping.ayon_name_for("fstart", "task", SHOT) == "frameStart"
    assert mapping.ayon_name_for("fstart", "task", SEQ) is None  # fstart exists on Shots only
    assert mapping.conf_for("fps", "task", SEQ) == CONFS[3]
    assert mapping.conf_for("fps", "show", None) == CONFS[4]
    assert mapping.ftrack_to_ayon("task", SHOT) == {
        "fstart": "frameStart",
        "fend": "frameEnd",
        "fps": "fps",
    }
    # mapped with no keys -> not synced; unmapped AYON attribute -> empty entry
    assert mapping["resolutionWidth"].confs == ()
    assert mapping["priority"].confs == () and mapping.conf_for("priority", "show", None) is None
    assert mapping.conf_for("unknown", "show", None) is None


def test_hierarchical_mapping_row() -> None:
    settings = CustomAttributesMappingModel(
        enabled=True,
        mapping=[
            {"name": "frameStart", "attr_type": "hierarchical", "hierarchical": "frameStart"},
            {"name": "studioThing", "attr_type": "hierarchical", "hierarchical": "missing"},
            {"name": "notInAyon", "attr_type": "hierarchical", "hierarchical": "fps"},
        ],
    )
    mapping = resolve_attribute_mapping(settings, CONFS, AYON_ATTRS)
    # a hierarchical attribute serves every entity kind
    assert mapping.conf_for("frameStart", "task", SHOT) == CONFS[5]
    assert mapping.ayon_name_for("frameStart", "show", None) == "frameStart"
    assert mapping["studioThing"].confs == ()
    assert "notInAyon" not in mapping
    assert settings.item_for("frameStart") is not None and settings.item_for("x") is None


def test_legacy_mode_maps_same_named_hierarchical_attributes() -> None:
    settings = CustomAttributesMappingModel(enabled=False)
    mapping = resolve_attribute_mapping(settings, CONFS, AYON_ATTRS)
    assert mapping.conf_for("frameStart", "task", SHOT) == CONFS[5]  # builtin, ayon group
    assert mapping.conf_for("resolutionWidth", "show", None) == CONFS[6]
    assert mapping.conf_for("fps", "show", None) == CONFS[8]  # builtin, any group
    # not builtin and not in the ayon/openpype group -> not synced
    assert mapping["studioThing"].confs == ()
    # standard attributes are never used in legacy mode
    assert mapping.ayon_name_for("fstart", "task", SHOT) is None
