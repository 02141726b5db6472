"""The AYON listener's pure parts: its topic list and how an AYON event becomes a change."""

from __future__ import annotations

from ayon_ftrack_sync.workers.ayon_listener import (
    IGNORED_SENDER_TYPES,
    SOURCE_TOPICS,
    TARGET_TOPIC,
    Job,
    _batches,
    change_from_event,
)


def test_source_topics_are_those_of_seed_features_4_1() -> None:
    expected = {
        f"entity.{entity}.{change}"
        for entity in ("project", "folder", "task", "product", "version")
        for change in ("created", "deleted", "active_changed", "attrib_changed", "data_changed")
    }
    expected |= {f"entity.{e}.type_changed" for e in ("folder", "task", "product")}
    expected |= {
        f"entity.{e}.{c}"
        for e in ("folder", "task", "version")
        for c in ("thumbnail_changed", "status_changed")
    }
    expected |= {
        "entity.project.changed",
        "entity.folder.parent_changed",
        "entity.task.folder_changed",
        "entity.product.folder_changed",
        "entity.version.product_changed",
        "entity.version.task_changed",
        "entity.task.assignees_changed",
        "reviewable.created",
        "entity_list.created",
        "entity_list.changed",
        "entity_list.deleted",
    }
    expected |= {
        f"entity.{e}.{c}" for e in ("folder", "task") for c in ("renamed", "label_changed")
    }
    # comments as events (the original polled them); deletions are not sent, as before
    expected |= {"activity.created", "activity.updated"}
    assert len(SOURCE_TOPICS) == len(set(SOURCE_TOPICS)) == len(expected) == 51
    assert set(SOURCE_TOPICS) == expected
    assert not any("*" in topic for topic in SOURCE_TOPICS)  # explicit, no wildcard
    assert TARGET_TOPIC == "ftrack.sync" and IGNORED_SENDER_TYPES == ("ftrack",)


def _event(**extra: object) -> dict[str, object]:
    return {
        "id": "e" * 32,
        "topic": "entity.folder.attrib_changed",
        "project": "demo",
        "user": "jane",
        "summary": {"entityId": "f" * 32, "parentId": "p" * 32},
        "payload": {"newValue": {"frameStart": 1001}, "oldValue": {"frameStart": 1}},
        **extra,
    }


def test_a_small_event_is_kept_whole() -> None:
    change, problem, cut = change_from_event(_event(), "j" * 32, 16 * 1024)
    assert problem is None and not cut and change is not None
    assert change.event_id == "e" * 32 and change.job_id == "j" * 32
    assert change.entity_type == "folder" and change.entity_id == "f" * 32
    assert change.project_name == "demo" and change.user == "jane"
    assert change.payload == _event()["payload"] and change.summary == _event()["summary"]


def test_a_huge_payload_is_cut_but_keeps_what_identifies_the_change() -> None:
    huge = {
        "entityData": {
            "id": "f" * 32,
            "name": "sh010",
            "folderType": "Shot",
            "parentId": "p" * 32,
            "data": {"blob": "x" * 500_000, "many": list(range(100_000))},
            "attrib": {f"a{i}": "y" * 1000 for i in range(1000)},
        }
    }
    event = _event(topic="entity.folder.deleted", payload=huge)
    change, problem, cut = change_from_event(event, "j" * 32, 16 * 1024)
    assert problem is None and cut and change is not None
    assert len(change.model_dump_json()) <= 16 * 1024
    data = change.payload["entityData"]
    assert data["id"] == "f" * 32 and data["name"] == "sh010" and data["folderType"] == "Shot"
    assert change.payload["_truncated"] > 500_000
    assert change.entity_id == "f" * 32 and change.topic == "entity.folder.deleted"


def test_an_unusable_event_gives_a_reason_instead_of_a_change() -> None:
    assert change_from_event(_event(project=None), "j", 1024)[1]
    assert change_from_event({"topic": "entity.folder.created"}, "j", 1024)[1]


def test_list_and_project_events_name_their_entity() -> None:
    change, _, _ = change_from_event(
        _event(topic="entity_list.changed", summary={"id": "l" * 32}), "j", 4096
    )
    assert change is not None and (change.entity_type, change.entity_id) == ("list", "l" * 32)
    change, _, _ = change_from_event(_event(topic="entity.project.changed", summary={}), "j", 4096)
    assert change is not None and change.entity_type == "project" and change.entity_id is None


def test_signal_batches_stay_under_the_limit_in_order() -> None:
    jobs = []
    for i in range(40):
        change, _, _ = change_from_event(
            _event(id=f"{i:032d}", payload={"newValue": "v" * 3000}), f"{i}", 16 * 1024
        )
        jobs.append(Job(job_id=str(i), source_id=f"{i:032d}", slot=0, change=change))
    batches = _batches(jobs, 20 * 1024)
    assert [job for batch in batches for job in batch] == jobs
    assert len(batches) > 1
    for batch in batches:
        size = sum(len(j.change.model_dump_json()) for j in batch if j.change)
        assert size <= 20 * 1024
