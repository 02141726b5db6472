"""Throughput of the ftrack emulator through the real ftrack_api client.

Prints one JSON object:

* ``queries_per_s``: single-request queries by id with a projection (a sync's lookups);
* ``commit_ops_per_s``: operations per second in batched commits of 100 recorded operations
  (entity updates + custom attribute upserts), the way ayon-ftrack writes;
* ``orm_commit_ops_per_s``: creates plus ``entity["custom_attributes"][k] = v`` through the
  client's ORM (slower: the client populates each new entity's attributes first);
* ``full_read_s`` / ``dense_ca_read_s``: paging a 12,020-entity project with and without
  custom attributes; ``generate_12k_s``: server-side generation of that project;
* ``*_server_share``: fraction of each phase's wall time the emulator spent executing
  batches (the rest is the client and the wire), to show the emulator is not the bottleneck.

Run: ``python bench/ftrack_emulator.py``. Never asserted on in CI.
"""

from __future__ import annotations

import collections
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ftrack_api
import ftrack_api.operation

from ayon_ftrack_sync.emulators.ftrack import FtrackEmulator


def _session(emulator: FtrackEmulator) -> Any:
    return ftrack_api.Session(**emulator.session_kwargs(), auto_connect_event_hub=False)


class _Phase:
    """Wall time of a phase and the share of it the emulator spent executing batches."""

    def __init__(self, emulator: FtrackEmulator) -> None:
        self.emulator = emulator

    def __enter__(self) -> _Phase:
        self.busy0 = self.emulator.stats.busy_s
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.t0
        self.server_share = (self.emulator.stats.busy_s - self.busy0) / self.wall


def main() -> None:
    with FtrackEmulator() as emulator:
        control = emulator.control
        t0 = time.perf_counter()
        pid = control.generate_project("bench", 20, 50, 11)  # 20 + 1000 + 11000 entities
        generate_s = time.perf_counter() - t0
        shot_ids = [
            s["id"] for s in control.query(f"select id from Shot where project_id is {pid}")
        ]
        task_ids = [
            t["id"] for t in control.query(f"select id from Task where project_id is {pid}")
        ]
        conf_id = control.query(
            'select id from CustomAttributeConfiguration where key is "ayon_id"'
        )[0]["id"]
        result: dict[str, Any] = {}

        session = _session(emulator)
        try:
            n_queries = 500
            with _Phase(emulator) as phase:
                for i in range(n_queries):
                    session.query(
                        f"select name, parent_id, status_id from Shot where id is "
                        f'"{shot_ids[i % len(shot_ids)]}"'
                    ).all()
            result["queries_per_s"] = round(n_queries / phase.wall, 1)
            result["queries_server_share"] = round(phase.server_share, 3)
        finally:
            session.close()

        session = _session(emulator)
        try:
            n_ops = 0
            with _Phase(emulator) as phase:
                for start in range(0, 4000, 50):
                    for task_id in task_ids[start : start + 50]:
                        session.recorded_operations.push(
                            ftrack_api.operation.UpdateEntityOperation(
                                "Task",
                                collections.OrderedDict(id=task_id),
                                "description",
                                "",
                                f"batch {start}",
                            )
                        )
                        session.recorded_operations.push(
                            ftrack_api.operation.UpdateEntityOperation(
                                "CustomAttributeValue",
                                collections.OrderedDict(
                                    configuration_id=conf_id, entity_id=task_id
                                ),
                                "value",
                                "",
                                f"ayon-{start}",
                            )
                        )
                        n_ops += 2
                    session.commit()
                    # the client's commit cost grows with its identity map; a sync activity
                    # works in bounded chunks, so start each chunk clean
                    session.reset()
            result["commit_ops_per_s"] = round(n_ops / phase.wall, 1)
            result["commit_server_share"] = round(phase.server_share, 3)
        finally:
            session.close()

        session = _session(emulator)
        try:
            seq = session.query(f"Sequence where project_id is {pid}").first()
            n_orm = 0
            with _Phase(emulator) as phase:
                for batch in range(10):
                    created = [
                        session.create("Shot", {"name": f"b{batch}_{i}", "parent": seq})
                        for i in range(50)
                    ]
                    session.commit()
                    for shot in created:
                        shot["custom_attributes"]["frameStart"] = 1000 + batch
                    session.commit()
                    n_orm += 2 * len(created)
            result["orm_commit_ops_per_s"] = round(n_orm / phase.wall, 1)
            result["orm_commit_server_share"] = round(phase.server_share, 3)
        finally:
            session.close()

        for name, expression in (
            (
                "full_read",
                f"select id, name, parent_id, object_type_id from TypedContext "
                f"where project_id is {pid}",
            ),
            (
                "dense_ca_read",
                f"select custom_attributes from TypedContext where project_id is {pid}",
            ),
        ):
            session = _session(emulator)
            try:
                with _Phase(emulator) as phase:
                    rows = session.query(expression).all()
                result[f"{name}_entities"] = len(rows)
                result[f"{name}_s"] = round(phase.wall, 3)
                result[f"{name}_server_share"] = round(phase.server_share, 3)
            finally:
                session.close()

        result["generate_12k_s"] = round(generate_s, 3)
        result["http_requests"] = emulator.stats.http_requests
        result["events_published"] = emulator.stats.events_published
        print(json.dumps(result))


if __name__ == "__main__":
    main()
