"""Benchmark of the AYON emulator through the real ayon_api client.

Prints one JSON object: create/update operations per second (batched operations, as a sync
sends them) and GraphQL rows per second (get_folders / get_tasks paging, 300 per page).
Usage: `python bench/ayon_emulator.py [--folders N] [--batch N]`.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from typing import Any

import ayon_api

from ayon_ftrack_sync.emulators.ayon import AyonEmulator

PROJECT = "bench"


def _op(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    eid = uuid.uuid1().hex
    return {
        "id": uuid.uuid1().hex,
        "type": "create",
        "entityType": kind,
        "entityId": eid,
        "data": {**data, "id": eid},
    }


def _send(api: ayon_api.ServerAPI, ops: list[dict[str, Any]], batch: int) -> None:
    for start in range(0, len(ops), batch):
        api.send_batch_operations(PROJECT, ops[start : start + batch])


def run(folders: int, batch: int) -> dict[str, Any]:
    with AyonEmulator() as emulator:
        api = ayon_api.ServerAPI(emulator.url, token=emulator.api_key, sender_type="bench")
        api.create_project(PROJECT, "BEN")
        sequences = [
            _op("folder", {"name": f"sq{i:03d}", "folderType": "Sequence"})
            for i in range(max(1, folders // 100))
        ]
        shots = []
        for index in range(folders - len(sequences)):
            parent = sequences[index % len(sequences)]["entityId"]
            shots.append(
                _op(
                    "folder",
                    {
                        "name": f"sh{index:05d}",
                        "folderType": "Shot",
                        "parentId": parent,
                        "attrib": {"frameStart": 1001, "frameEnd": 1100},
                    },
                )
            )
        tasks = [
            _op("task", {"name": "comp", "taskType": "Compositing", "folderId": shot["entityId"]})
            for shot in shots
        ]
        creates = sequences + shots + tasks
        start = time.perf_counter()
        _send(api, creates, batch)
        create_s = time.perf_counter() - start

        updates = [
            {
                "id": uuid.uuid1().hex,
                "type": "update",
                "entityType": "folder",
                "entityId": shot["entityId"],
                "data": {"status": "In progress", "attrib": {"frameEnd": 1200}},
            }
            for shot in shots
        ]
        start = time.perf_counter()
        _send(api, updates, batch)
        update_s = time.perf_counter() - start

        start = time.perf_counter()
        folder_rows = list(api.get_folders(PROJECT))
        task_rows = list(api.get_tasks(PROJECT))
        graphql_s = time.perf_counter() - start
        rows = len(folder_rows) + len(task_rows)
        assert rows == len(sequences) + len(shots) + len(tasks)
        api.close_session()
    total_ops = len(creates) + len(updates)
    return {
        "entities": len(creates),
        "batch": batch,
        "create_ops_per_s": round(len(creates) / create_s, 1),
        "update_ops_per_s": round(len(updates) / update_s, 1),
        "operations_per_s": round(total_ops / (create_s + update_s), 1),
        "graphql_rows": rows,
        "graphql_rows_per_s": round(rows / graphql_s, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folders", type=int, default=6000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    print(json.dumps(run(args.folders, args.batch)))


if __name__ == "__main__":
    main()
