"""AYON gateway through the real ayon-python-api against the AYON emulator:
link attributes, snapshot reads, plan writes, and the full round trip of sync/ planning."""

from __future__ import annotations

import dataclasses

import ayon_api
import pytest

from ayon_ftrack_sync.ayon.attributes import (
    MissingAttributes,
    ensure_link_attributes,
    missing_link_attributes,
    require_link_attributes,
)
from ayon_ftrack_sync.ayon.client import AyonCredentialsRejected, open_api
from ayon_ftrack_sync.ayon.reader import ProjectNotFound, read_project
from ayon_ftrack_sync.ayon.writer import OperationsFailed, apply_plan, operations_for
from ayon_ftrack_sync.config import AyonConfig
from ayon_ftrack_sync.emulators.ayon import AyonEmulator
from ayon_ftrack_sync.sync.hierarchy import plan_hierarchy
from ayon_ftrack_sync.sync.model import FtrackNode, FtrackProject, Kind
from ayon_ftrack_sync.sync.plan import CreateEntity, Plan

PROJECT = "gateway_test"
FTRACK_PROJECT = "ftrack-project-1"


def ayon_config(server: AyonEmulator, key: str | None = None) -> AyonConfig:
    return AyonConfig(  # type: ignore[call-arg]
        AYON_SERVER_URL=server.url, AYON_API_KEY=key or server.api_key, AYON_SERVICE_NAME="test"
    )


@pytest.fixture
def api(ayon_server: AyonEmulator) -> ayon_api.ServerAPI:
    ayon_server.control.create_project(PROJECT, "gw")
    connection, _ = open_api(ayon_config(ayon_server))
    ensure_link_attributes(connection)
    return connection


def generated_ftrack(sequences: int, shots: int, tasks: int) -> FtrackProject:
    nodes: dict[str, FtrackNode] = {}
    for q in range(sequences):
        seq = f"seq-{q}"
        nodes[seq] = FtrackNode(seq, f"sq{q:03d}", FTRACK_PROJECT, Kind.FOLDER, "Sequence")
        for s in range(shots):
            shot = f"{seq}-sh-{s}"
            nodes[shot] = FtrackNode(
                shot,
                f"sh{s * 10:04d}",
                seq,
                Kind.FOLDER,
                "Shot",
                status="In progress",
                attributes={"frameStart": 1001, "fps": 24.0},
                mapped=frozenset({"frameStart", "fps"}),
            )
            for t in range(tasks):
                task_id = f"{shot}-t-{t}"
                nodes[task_id] = FtrackNode(
                    task_id,
                    ["comp", "anim", "fx"][t % 3],
                    shot,
                    Kind.TASK,
                    ["Compositing", "Animation", "FX"][t % 3],
                )
    return FtrackProject(FTRACK_PROJECT, PROJECT, nodes)


def test_rejected_key_and_unknown_project_are_clear(ayon_server: AyonEmulator) -> None:
    with pytest.raises(AyonCredentialsRejected, match="rejected"):
        open_api(ayon_config(ayon_server, key="not-the-key-0000"))
    connection, _ = open_api(ayon_config(ayon_server))
    with pytest.raises(ProjectNotFound, match="no_such_project"):
        read_project(connection, "no_such_project", attributes=[])


def test_link_attributes_are_created_once(ayon_server: AyonEmulator) -> None:
    connection, _ = open_api(ayon_config(ayon_server))
    ensure_link_attributes(connection)
    assert missing_link_attributes(connection) == []
    assert ensure_link_attributes(connection) == []  # idempotent
    require_link_attributes(connection)


def test_missing_attribute_message_says_what_to_do(ayon_server: AyonEmulator) -> None:
    connection, _ = open_api(ayon_config(ayon_server))
    if not missing_link_attributes(connection):
        connection.delete("attributes/ftrackPath")
        connection.reset_attributes_cache()
    with pytest.raises(MissingAttributes, match="restart"):
        require_link_attributes(connection)


def test_plan_round_trip_through_the_real_client(
    api: ayon_api.ServerAPI, ayon_server: AyonEmulator
) -> None:
    ftrack = generated_ftrack(sequences=3, shots=4, tasks=3)
    before = read_project(api, PROJECT, attributes=["frameStart", "fps"])
    plan = plan_hierarchy(ftrack, before.project)
    assert len(plan.creates) == len(ftrack.nodes)
    ayon_server.stats.reset()
    result = apply_plan(api, PROJECT, plan, chunk_size=20)
    assert result.requests == -(-len(plan.creates) // 20)
    after = read_project(api, PROJECT, attributes=["frameStart", "fps"])
    shot = next(n for n in after.project.nodes.values() if n.attrib.get("ftrackId") == "seq-1-sh-2")
    assert after.project.path(shot.id) == "/sq001/sh0020"
    assert shot.attrib["frameStart"] == 1001 and shot.attrib["fps"] == 24.0
    assert shot.status == "In progress"
    replanned = plan_hierarchy(ftrack, after.project)
    assert not replanned.creates and not replanned.updates

    # rename, move, unset an attribute, delete: applied and stable
    nodes = dict(ftrack.nodes)
    nodes["seq-1-sh-2"] = dataclasses.replace(
        nodes["seq-1-sh-2"], name="sh9999", parent_id="seq-2", attributes={"fps": 25.0}
    )
    for gone in [k for k in nodes if k.startswith("seq-0-sh-0")]:
        del nodes[gone]
    edited = dataclasses.replace(ftrack, nodes=nodes)
    apply_plan(api, PROJECT, plan_hierarchy(edited, after.project))
    final = read_project(api, PROJECT, attributes=["frameStart", "fps"])
    moved = final.project.nodes[shot.id]
    assert final.project.path(moved.id) == "/sq002/sh9999"
    assert "frameStart" not in moved.attrib and moved.attrib["fps"] == 25.0
    deleted = next(
        n for n in final.project.nodes.values() if n.attrib.get("ftrackId") == "seq-0-sh-0"
    )
    assert deleted.active is False
    again = plan_hierarchy(edited, final.project)
    assert not again.creates and not again.updates


def test_rename_frees_a_name_before_a_create_needs_it(api: ayon_api.ServerAPI) -> None:
    ftrack = FtrackProject(
        FTRACK_PROJECT, PROJECT, {"a": FtrackNode("a", "shot", FTRACK_PROJECT, Kind.FOLDER, "Shot")}
    )
    apply_plan(
        api, PROJECT, plan_hierarchy(ftrack, read_project(api, PROJECT, attributes=[]).project)
    )
    renamed = FtrackProject(
        FTRACK_PROJECT,
        PROJECT,
        {
            "a": FtrackNode("a", "shot_old", FTRACK_PROJECT, Kind.FOLDER, "Shot"),
            "b": FtrackNode("b", "shot", FTRACK_PROJECT, Kind.FOLDER, "Shot"),
        },
    )
    plan = plan_hierarchy(renamed, read_project(api, PROJECT, attributes=[]).project)
    ops = operations_for(plan)
    assert [op["type"] for op in ops][:2] == ["update", "create"]
    apply_plan(api, PROJECT, plan)
    names = {n.name for n in read_project(api, PROJECT, attributes=[]).project.nodes.values()}
    assert names == {"shot_old", "shot"}


def test_refused_chunk_is_reported_and_rolled_back(api: ayon_api.ServerAPI) -> None:
    good = CreateEntity(Kind.FOLDER, "a" * 32, "ok", "ok", None, "Shot", None, {})
    bad = CreateEntity(Kind.FOLDER, "b" * 32, "bad", "bad", None, "NoSuchType", None, {})
    with pytest.raises(OperationsFailed, match=r"NoSuchType|foreign") as caught:
        apply_plan(api, PROJECT, Plan(creates=[good, bad]))
    assert caught.value.failures
    assert read_project(api, PROJECT, attributes=[]).project.nodes == {}  # whole chunk undone
