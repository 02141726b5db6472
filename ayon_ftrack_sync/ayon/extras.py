"""Bulk AYON reads and writes of the later full-sync phases: links, entity lists, versions.

Reads are paged GraphQL streams (300 rows a page) over the whole project, never one query
per entity. Writes: links go to ``POST /links/bulk`` (AYON >= 1.15.8) in chunks, version
changes are bulk operations (500 a request, one transaction each); entity lists cost one to
three requests per list that changes (AYON has no bulk list endpoint) and one per list read
for its items (``GET /lists/{id}``; the emulator serves no list items through GraphQL).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ayon_api
from ayon_api.exceptions import HTTPRequestError

from ayon_ftrack_sync.sync.identity import is_linked_ftrack_id
from ayon_ftrack_sync.sync.links import AyonLinkType, CreateLink
from ayon_ftrack_sync.sync.lists import AyonList, AyonListItem, ListsPlan
from ayon_ftrack_sync.sync.versions import AyonVersion, VersionUpdate

from .writer import OperationsFailed

LINK_CHUNK = 500
OPERATIONS_CHUNK = 500
FTRACK_ID = "ftrackId"


@dataclass(frozen=True, slots=True)
class SyncedEntity:
    ayon_id: str
    entity_type: str  # "folder" | "task"


def read_synced_entities(api: ayon_api.ServerAPI, project: str) -> dict[str, SyncedEntity]:
    """ftrack id -> active AYON folder/task linked to it (two paged streams)."""
    found: dict[str, SyncedEntity] = {}
    streams: tuple[tuple[str, Callable[..., Iterable[dict[str, Any]]]], ...] = (
        ("folder", api.get_folders),
        ("task", api.get_tasks),
    )
    for kind, getter in streams:
        for entity in getter(project, active=True, fields=["id", f"attrib.{FTRACK_ID}"]):
            ftrack_id = (entity.get("attrib") or {}).get(FTRACK_ID)
            if isinstance(ftrack_id, str) and is_linked_ftrack_id(ftrack_id):
                found.setdefault(ftrack_id, SyncedEntity(entity["id"], kind))
    return found


def read_link_types(api: ayon_api.ServerAPI, project: str) -> tuple[AyonLinkType, ...]:
    """Link types of the project, including ones added after its anatomy."""
    return tuple(
        AyonLinkType(
            str(item.get("linkType") or ""),
            str(item.get("inputType") or ""),
            str(item.get("outputType") or ""),
        )
        for item in api.get_link_types(project)
    )


_FOLDER_LINKS_QUERY = """
query FolderLinks($projectName: String!, $linkTypes: [String!], $after: String) {
  project(name: $projectName) {
    folders(first: 300, after: $after) {
      edges { node { id
        links(direction: "out", linkTypes: $linkTypes, first: 300) {
          edges { entityId entityType }
          pageInfo { hasNextPage }
        }
      } }
      pageInfo { endCursor hasNextPage }
    }
  }
}
"""


def read_folder_links(
    api: ayon_api.ServerAPI, project: str, link_type: str
) -> frozenset[tuple[str, str]]:
    """``(input, output)`` folder pairs of every link of ``link_type`` (short name).

    One query per 300 folders with their outgoing links nested; ``get_folders_links`` pages
    its outer connection one folder at a time (a request per folder). A folder with more
    than 300 such links has the rest read by ``get_folders_links`` (rare)."""
    pairs: set[tuple[str, str]] = set()
    crowded: list[str] = []
    after: str | None = None
    while True:
        variables: dict[str, Any] = {"projectName": project, "linkTypes": [link_type]}
        if after is not None:
            variables["after"] = after
        response = api.query_graphql(_FOLDER_LINKS_QUERY, variables)
        if response.errors:
            raise RuntimeError(f"AYON refused the folder links query: {response.errors}")
        folders = ((response.data or {}).get("data") or {})["project"]["folders"]
        for edge in folders["edges"]:
            node = edge["node"]
            links = node["links"]
            if links["pageInfo"]["hasNextPage"]:
                crowded.append(node["id"])
            for link in links["edges"]:
                if link.get("entityType", "folder") == "folder":
                    pairs.add((node["id"], str(link["entityId"])))
        if not folders["pageInfo"]["hasNextPage"]:
            break
        after = folders["pageInfo"]["endCursor"]
    if crowded:
        more = api.get_folders_links(
            project, folder_ids=crowded, link_types=[link_type], link_direction="out"
        )
        for folder_id, entity_links in more.items():
            for link in entity_links:
                if link.get("entityType", "folder") == "folder":
                    pairs.add((folder_id, str(link["entityId"])))
    return frozenset(pairs)


def create_links(
    api: ayon_api.ServerAPI, project: str, full_type: str, creates: Sequence[CreateLink]
) -> int:
    """Create links of ``full_type`` (``type|folder|folder``); returns how many were made.

    Uses the bulk endpoint in chunks; a server without it (older AYON, or the emulator)
    answers 404/405 and the rest go one request each."""
    bulk = True
    made = 0
    for start in range(0, len(creates), LINK_CHUNK):
        chunk = creates[start : start + LINK_CHUNK]
        payload = [
            {"input": c.input_id, "output": c.output_id, "linkType": full_type} for c in chunk
        ]
        if bulk:
            response = api.post(f"projects/{project}/links/bulk", links=payload)
            if response.status_code in (404, 405):
                bulk = False
            else:
                response.raise_for_status()
                made += len(chunk)
                continue
        link_type, input_type, output_type = full_type.split("|")
        for create in chunk:
            api.create_link(
                project, link_type, create.input_id, input_type, create.output_id, output_type
            )
            made += 1
    return made


def read_entity_lists(api: ayon_api.ServerAPI, project: str) -> tuple[AyonList, ...]:
    """Every entity list with its items (one GraphQL stream, then one REST read per list)."""
    result: list[AyonList] = []
    for entity_list in api.get_entity_lists(
        project, fields=["id", "label", "entityType", f"attrib.{FTRACK_ID}"]
    ):
        rest = api.get_entity_list_rest(project, entity_list["id"]) or {}
        items = tuple(
            AyonListItem(str(item["id"]), str(item["entityId"]))
            for item in sorted(rest.get("items") or [], key=lambda i: i.get("position", 0))
        )
        ftrack_id = (entity_list.get("attrib") or {}).get(FTRACK_ID)
        result.append(
            AyonList(
                id=str(entity_list["id"]),
                label=str(entity_list.get("label") or ""),
                entity_type=str(entity_list.get("entityType") or ""),
                ftrack_id=ftrack_id if isinstance(ftrack_id, str) and ftrack_id else None,
                items=items,
            )
        )
    return tuple(result)


def change_list_items(
    api: ayon_api.ServerAPI,
    project: str,
    entity_list: AyonList,
    add: Sequence[str],
    remove: Sequence[str],
) -> int:
    """Add entities to / remove items from one list; returns the number of requests.

    ``PATCH /lists/{id}/items`` in ``merge`` mode for additions and ``delete`` mode for
    removals (at most two requests per list, whatever the number of items); kept items are
    not resent, so their labels, attributes and data stay as people set them in AYON."""
    requests = 0
    if add:
        api.update_entity_list_items(
            project, entity_list.id, items=[{"entityId": e} for e in add], mode="merge"
        )
        requests += 1
    if remove:
        api.update_entity_list_items(
            project, entity_list.id, items=[{"id": i} for i in remove], mode="delete"
        )
        requests += 1
    return requests


def write_lists(
    api: ayon_api.ServerAPI,
    project: str,
    plan: ListsPlan,
    current: Mapping[str, AyonList],
    *,
    on_list: Callable[[int, int], None] | None = None,
) -> int:
    """Apply a lists plan; returns the number of requests (AYON has no bulk list endpoint:
    one to three requests per list that changes, none for the others)."""
    requests = 0
    total = len(plan.creates) + len(plan.updates)
    done = 0
    for create in plan.creates:
        try:
            api.create_entity_list(
                project,
                create.entity_type,
                create.label,
                attrib={FTRACK_ID: create.ftrack_id},
                items=[{"entityId": e, "position": i} for i, e in enumerate(create.entity_ids)],
                list_id=create.id,
            )
        except HTTPRequestError as exc:
            # a retried activity finds the list its first attempt created
            if "409" not in str(exc) and "already exists" not in str(exc).lower():
                raise
        requests += 1
        done += 1
        if on_list is not None:
            on_list(done, total)
    for update in plan.updates:
        if update.label is not None or update.ftrack_id is not None:
            api.update_entity_list(
                project,
                update.id,
                label=update.label,
                attrib={FTRACK_ID: update.ftrack_id} if update.ftrack_id is not None else None,
            )
            requests += 1
        if update.add or update.remove:
            requests += change_list_items(
                api, project, current[update.id], update.add, update.remove
            )
        done += 1
        if on_list is not None:
            on_list(done, total)
    return requests


def read_versions(api: ayon_api.ServerAPI, project: str) -> tuple[AyonVersion, ...]:
    """Every version with its product's name and folder (two paged streams)."""
    products = {
        product["id"]: product
        for product in api.get_products(project, fields=["id", "name", "folderId"])
    }
    if not products:
        return ()
    versions: list[AyonVersion] = []
    for version in api.get_versions(
        project,
        fields=["id", "productId", "version", "status", f"attrib.{FTRACK_ID}"],
    ):
        product = products.get(version["productId"])
        if product is None:
            continue
        ftrack_id = (version.get("attrib") or {}).get(FTRACK_ID)
        versions.append(
            AyonVersion(
                id=version["id"],
                product_id=product["id"],
                product_name=str(product.get("name") or ""),
                folder_id=str(product.get("folderId") or ""),
                version=int(version.get("version") or 0),
                status=version.get("status"),
                ftrack_id=ftrack_id if isinstance(ftrack_id, str) and ftrack_id else None,
            )
        )
    return tuple(versions)


def update_versions(
    api: ayon_api.ServerAPI,
    project: str,
    updates: Sequence[VersionUpdate],
    *,
    on_chunk: Callable[[int, int], None] | None = None,
) -> int:
    """Bulk operations, one transaction per chunk; returns the number of requests."""
    operations = []
    for update in updates:
        data: dict[str, Any] = {}
        if update.status is not None:
            data["status"] = update.status
        if update.ftrack_id is not None:
            data["attrib"] = {FTRACK_ID: update.ftrack_id}
        operations.append(
            {
                "id": uuid.uuid4().hex,
                "type": "update",
                "entityType": "version",
                "entityId": update.id,
                "data": data,
            }
        )
    chunks = [
        operations[i : i + OPERATIONS_CHUNK] for i in range(0, len(operations), OPERATIONS_CHUNK)
    ]
    for index, chunk in enumerate(chunks):
        response = api.send_batch_operations(project, chunk, can_fail=False, raise_on_fail=False)
        failures = [op for op in response if not op.get("success", False)]
        if failures:
            first = failures[0]
            raise OperationsFailed(
                f"AYON refused {len(failures)} version update(s): "
                f"{first.get('entityId')}: {first.get('status')} {first.get('detail') or ''}",
                failures,
            )
        if on_chunk is not None:
            on_chunk(index + 1, len(chunks))
    return len(chunks)
