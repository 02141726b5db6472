"""Deterministic project generator: N sequences x M shots x K tasks with statuses, types,
custom attribute values, assignees, lists and versions. Writes go through the normal write path
(validation, defaults) but emit no events, like data that existed before a test started."""

from __future__ import annotations

import random
import uuid
from typing import Any

from .api import Backend
from .seed import TASK_TYPES, add_ayon_attributes, add_frame_attributes, sid
from .writer import WriteOptions, Writer


def _ref(entity_type: str, entity_id: str) -> dict[str, str]:
    return {"__entity_type__": entity_type, "id": entity_id}


def generate_project(
    backend: Backend,
    name: str,
    sequences: int = 2,
    shots: int = 3,
    tasks: int = 2,
    *,
    seed: int = 0,
    full_name: str | None = None,
    ayon_attributes: bool = True,
    frame_attributes: bool = True,
    assignees: int = 2,
    versions_per_task: int = 0,
    lists: int = 0,
    auto_sync: bool = False,
) -> str:
    """Create a project tree; returns the project id. Same arguments -> same ids."""
    rng = random.Random(f"{seed}/{name}")

    def new_id() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    with backend.lock:
        store = backend.store
        conf_ids: dict[str, str] = {}
        if ayon_attributes:
            conf_ids.update(add_ayon_attributes(store))
        if frame_attributes:
            conf_ids.update(add_frame_attributes(store))
        api_user = next(iter(backend.users.values()), None)
        writer = Writer(
            backend.model,
            WriteOptions(
                unique_sibling_names=True, acting_user_id=api_user.id if api_user else None
            ),
        )
        statuses = [row["id"] for row in store.rows("Status")]
        type_ids = [sid("type", t) for t in TASK_TYPES[1:]]
        users = []
        for i in range(assignees):
            username = f"artist{i + 1}.{name}".lower()
            user = backend.add_user(
                username, None, user_id=new_id(), first_name="Artist", last_name=str(i + 1)
            )
            users.append(user.id)
        store.begin()
        try:
            project_id = new_id()
            writer.create(
                "Project",
                [project_id],
                {
                    "id": project_id,
                    "name": name,
                    "full_name": full_name or name.title(),
                    "project_schema": _ref("ProjectSchema", sid("projectschema", "VFX Scheme")),
                },
            )
            if "auto_sync_enabled" in conf_ids:
                writer.update(
                    "ContextCustomAttributeValue",
                    [conf_ids["auto_sync_enabled"], project_id],
                    {"value": auto_sync},
                )
            if "fps" in conf_ids:
                writer.update(
                    "ContextCustomAttributeValue", [conf_ids["fps"], project_id], {"value": 25.0}
                )
            task_ids: list[str] = []
            shot_ids: list[str] = []
            for s in range(sequences):
                seq_id = new_id()
                writer.create(
                    "Sequence",
                    [seq_id],
                    {
                        "id": seq_id,
                        "name": f"sq{(s + 1) * 10:03d}",
                        "parent": _ref("Project", project_id),
                    },
                )
                for h in range(shots):
                    shot_id = new_id()
                    shot_ids.append(shot_id)
                    writer.create(
                        "Shot",
                        [shot_id],
                        {
                            "id": shot_id,
                            "name": f"sq{(s + 1) * 10:03d}sh{(h + 1) * 10:04d}",
                            "parent": _ref("Sequence", seq_id),
                            "status": _ref("Status", rng.choice(statuses)),
                            "description": f"Shot {h + 1} of sequence {s + 1}",
                        },
                    )
                    if "frameStart" in conf_ids:
                        start = 1001
                        writer.update(
                            "ContextCustomAttributeValue",
                            [conf_ids["frameStart"], shot_id],
                            {"value": start},
                        )
                        writer.update(
                            "ContextCustomAttributeValue",
                            [conf_ids["frameEnd"], shot_id],
                            {"value": start + rng.randint(20, 200)},
                        )
                    for k in range(tasks):
                        task_id = new_id()
                        task_ids.append(task_id)
                        type_id = type_ids[k % len(type_ids)]
                        writer.create(
                            "Task",
                            [task_id],
                            {
                                "id": task_id,
                                "name": TASK_TYPES[1:][k % len(type_ids)].lower()
                                + ("" if k < len(type_ids) else str(k)),
                                "parent": _ref("Shot", shot_id),
                                "type": _ref("Type", type_id),
                                "status": _ref("Status", rng.choice(statuses)),
                            },
                        )
                        if users:
                            writer.create(
                                "Appointment",
                                [new_id()],
                                {
                                    "context": _ref("Task", task_id),
                                    "resource": _ref("User", rng.choice(users)),
                                    "type": "assignment",
                                },
                            )
            if versions_per_task and task_ids:
                _add_versions(writer, rng, new_id, task_ids, versions_per_task, statuses)
            for n in range(lists):
                list_id = new_id()
                items = rng.sample(task_ids, min(len(task_ids), 5))
                writer.create(
                    "TypedContextList",
                    [list_id],
                    {
                        "id": list_id,
                        "name": f"list{n + 1}",
                        "project": _ref("Project", project_id),
                        "category": _ref("ListCategory", sid("listcategory", "Default")),
                        "items": [_ref("Task", t) for t in items],
                    },
                )
        except BaseException:
            store.rollback()
            raise
        store.commit()
    return project_id


def _add_versions(
    writer: Writer,
    rng: random.Random,
    new_id: Any,
    task_ids: list[str],
    per_task: int,
    statuses: list[str],
) -> None:
    model = writer.model
    for task_id in task_ids:
        task = model.store.get("TypedContext", task_id)
        assert task is not None
        asset_id = new_id()
        writer.create(
            "Asset",
            [asset_id],
            {
                "id": asset_id,
                "name": f"render{task['name'].capitalize()}",
                "parent": _ref("Shot", task["parent_id"]),
                "type": _ref("AssetType", sid("assettype", "render")),
            },
        )
        for v in range(per_task):
            writer.create(
                "AssetVersion",
                [new_id()],
                {
                    "asset": _ref("Asset", asset_id),
                    "version": v + 1,
                    "task": _ref("Task", task_id),
                    "status": _ref("Status", rng.choice(statuses)),
                    "comment": f"v{v + 1}",
                },
            )
