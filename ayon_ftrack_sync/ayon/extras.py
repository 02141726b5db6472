"""Bulk AYON reads and writes of the later full-sync phases: links, entity lists, versions.

Reads are paged GraphQL streams (300 rows a page) over the whole project, never one query
per entity. Writes: links go to ``POST /links/bulk`` (AYON >= 1.15.8) in chunks, version
changes are bulk operations (500 a request, one transaction each); entity lists cost one to
three requests per list that changes (AYON has no bulk list endpoint) and one per list read
for its items (``GET /lists/{id}``; the emulator serves no list items through GraphQL).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import ayon_api
from ayon_api.exceptions import HTTPRequestError

from ayon_ftrack_sync.sync.identity import is_linked_ftrack_id
from ayon_ftrack_sync.sync.links import AyonLink, AyonLinkType, CreateLink
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


def read_entity_lists(
    api: ayon_api.ServerAPI,
    project: str,
    *,
    items_of: Callable[[AyonList], bool] | None = None,
) -> tuple[AyonList, ...]:
    """Every entity list with its items (one GraphQL stream, then one REST read per list).

    With ``items_of``, only the lists it accepts get their items read (the others come
    without items): the incremental sync matches a handful of lists and must not read the
    items of every list of the project per batch (AYON has no ``ftrackId`` filter on lists,
    so their headers are read, which is one paged request)."""
    result: list[AyonList] = []
    for entity_list in api.get_entity_lists(
        project, fields=["id", "label", "entityType", f"attrib.{FTRACK_ID}"]
    ):
        ftrack_id = (entity_list.get("attrib") or {}).get(FTRACK_ID)
        header = AyonList(
            id=str(entity_list["id"]),
            label=str(entity_list.get("label") or ""),
            entity_type=str(entity_list.get("entityType") or ""),
            ftrack_id=ftrack_id if isinstance(ftrack_id, str) and ftrack_id else None,
        )
        if items_of is not None and not items_of(header):
            result.append(header)
            continue
        rest = api.get_entity_list_rest(project, entity_list["id"]) or {}
        items = tuple(
            AyonListItem(str(item["id"]), str(item["entityId"]))
            for item in sorted(rest.get("items") or [], key=lambda i: i.get("position", 0))
        )
        result.append(replace(header, items=items))
    return tuple(result)


def delete_entity_lists(api: ayon_api.ServerAPI, project: str, list_ids: Sequence[str]) -> int:
    """Delete entity lists (one request each; AYON has no bulk delete); returns how many.

    A list already gone (404: a retried activity, or someone deleted it) counts as done."""
    for list_id in list_ids:
        response = api.delete(f"projects/{project}/lists/{list_id}")
        if response.status_code != 404:
            response.raise_for_status()
    return len(list_ids)


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


# -- scoped reads and writes of the incremental sync -------------------------------------------

#: ids per GraphQL filter list (bounds one query's size, not the number of requests)
ID_CHUNK = 200


@dataclass(frozen=True, slots=True)
class FolderLinks:
    """Synced AYON folders of some ftrack ids, and the links of one type at those folders."""

    #: ftrack id -> AYON folder id (active folders whose ``ftrackId`` is the ftrack id)
    folders: dict[str, str]
    links: tuple[AyonLink, ...]


def _chunks(items: Sequence[str], size: int = ID_CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _stream(
    api: ayon_api.ServerAPI,
    project: str,
    connection: str,
    arguments: str,
    fields: str,
    variables: Mapping[str, Any],
    declarations: str,
) -> Iterator[dict[str, Any]]:
    """Nodes of one project connection (``folders``, ``tasks``, ``versions``), 300 a page.

    ``arguments``/``declarations`` are the filter arguments and their variable types, so a
    caller writes only what differs; the query text is built here, once per stream."""
    query = (
        f"query Scoped($projectName: String!, $after: String{declarations}) {{\n"
        f"  project(name: $projectName) {{\n"
        f"    {connection}(first: 300, after: $after{arguments}) {{\n"
        f"      edges {{ node {{ {fields} }} }}\n"
        "      pageInfo { endCursor hasNextPage }\n"
        "    }\n  }\n}"
    )
    after: str | None = None
    while True:
        page_vars: dict[str, Any] = {"projectName": project, **variables}
        if after is not None:
            page_vars["after"] = after
        response = api.query_graphql(query, page_vars)
        if response.errors:
            raise RuntimeError(f"AYON refused the {connection} query: {response.errors}")
        found = ((response.data or {}).get("data") or {})["project"][connection]
        for edge in found["edges"]:
            yield edge["node"]
        if not found["pageInfo"]["hasNextPage"]:
            return
        after = found["pageInfo"]["endCursor"]


_BY_FTRACK_ID = ', attributes: [{name: "ftrackId", values: $ids}]'


def read_synced_by_ftrack_ids(
    api: ayon_api.ServerAPI,
    project: str,
    ftrack_ids: Iterable[str],
    *,
    kinds: Sequence[str] = ("folder", "task"),
) -> dict[str, SyncedEntity]:
    """ftrack id -> active AYON folder/task linked to it, for these ftrack ids only.

    The GraphQL ``attributes`` filter looks the ids up server-side, so the cost is a request
    per kind and 200 ids, not a scan of the project as ``read_synced_entities``. As there,
    the first entity wins when several carry the same ``ftrackId``."""
    ids = sorted({i for i in ftrack_ids if is_linked_ftrack_id(i)})
    found: dict[str, SyncedEntity] = {}
    for kind in kinds:
        for chunk in _chunks(ids):
            for node in _stream(
                api,
                project,
                f"{kind}s",
                _BY_FTRACK_ID,
                f"id active attrib {{ {FTRACK_ID} }}",
                {"ids": list(chunk)},
                ", $ids: [String!]!",
            ):
                ftrack_id = (node.get("attrib") or {}).get(FTRACK_ID)
                if node.get("active", True) and isinstance(ftrack_id, str) and ftrack_id:
                    found.setdefault(ftrack_id, SyncedEntity(str(node["id"]), kind))
    return found


_FOLDERS_LINKS_BY_IDS = """
query ScopedLinks($projectName: String!, $ids: [String!], $linkTypes: [String!]) {
  project(name: $projectName) {
    folders(ids: $ids, first: 300) {
      edges { node { id
        links(linkTypes: $linkTypes, first: 300) {
          edges { id entityId entityType direction }
          pageInfo { hasNextPage }
        }
      } }
    }
  }
}
"""


def read_links_at_folders(
    api: ayon_api.ServerAPI, project: str, folder_ids: Iterable[str], link_type: str
) -> tuple[AyonLink, ...]:
    """Folder -> folder links of ``link_type`` (short name) with an end at these folders,
    with their ids (to delete them): one query per 200 folders, both directions nested. A
    folder with more than 300 such links has the rest read by ``get_folders_links``."""
    links: dict[str, AyonLink] = {}
    crowded: list[str] = []

    def add(folder_id: str, link: Mapping[str, Any]) -> None:
        if link.get("entityType", "folder") != "folder":
            return
        other = str(link["entityId"])
        pair = (folder_id, other) if link.get("direction") == "out" else (other, folder_id)
        links.setdefault(str(link["id"]), AyonLink(str(link["id"]), *pair))

    for chunk in _chunks(sorted(set(folder_ids))):
        response = api.query_graphql(
            _FOLDERS_LINKS_BY_IDS,
            {"projectName": project, "ids": list(chunk), "linkTypes": [link_type]},
        )
        if response.errors:
            raise RuntimeError(f"AYON refused the folder links query: {response.errors}")
        folders = ((response.data or {}).get("data") or {})["project"]["folders"]
        for edge in folders["edges"]:
            node = edge["node"]
            if node["links"]["pageInfo"]["hasNextPage"]:
                crowded.append(node["id"])
            for link in node["links"]["edges"]:
                add(str(node["id"]), link)
    if crowded:
        more = api.get_folders_links(project, folder_ids=crowded, link_types=[link_type])
        for folder_id, entity_links in more.items():
            for link in entity_links:
                add(folder_id, link)
    return tuple(sorted(links.values(), key=lambda link: link.id))


def read_folder_ftrack_ids(
    api: ayon_api.ServerAPI, project: str, folder_ids: Iterable[str]
) -> dict[str, str]:
    """AYON folder id -> ``ftrackId`` for the active, synced folders among ``folder_ids``."""
    found: dict[str, str] = {}
    for chunk in _chunks(sorted(set(folder_ids))):
        for node in _stream(
            api,
            project,
            "folders",
            ", ids: $ids",
            f"id active attrib {{ {FTRACK_ID} }}",
            {"ids": list(chunk)},
            ", $ids: [String!]!",
        ):
            ftrack_id = (node.get("attrib") or {}).get(FTRACK_ID)
            if node.get("active", True) and isinstance(ftrack_id, str):
                if is_linked_ftrack_id(ftrack_id):
                    found[str(node["id"])] = ftrack_id
    return found


def delete_links(api: ayon_api.ServerAPI, project: str, links: Sequence[AyonLink]) -> int:
    """Delete links by id (one request each: AYON has no bulk delete); returns how many.
    A link already gone (404) counts as done: a retried activity finds it deleted."""
    for link in links:
        response = api.delete(f"projects/{project}/links/{link.id}")
        if response.status_code != 404:
            response.raise_for_status()
    return len(links)


_VERSION_FIELDS = (
    f"id active version status productId attrib {{ {FTRACK_ID} }} product {{ name folderId }}"
)


def read_versions_scoped(
    api: ayon_api.ServerAPI,
    project: str,
    *,
    version_ids: Iterable[str] = (),
    folder_ids: Iterable[str] = (),
) -> tuple[AyonVersion, ...]:
    """The AYON versions a scoped version match can pick: the ones named by id (``ayon_id``
    stored on AssetVersions) and every version under the given folders (``ftrackId`` links
    and guesses are looked for among the products of the Asset's folder). Paged GraphQL with
    the product nested, so no project-wide product or version stream."""
    found: dict[str, AyonVersion] = {}
    streams = (
        ("ids", sorted(set(version_ids))),
        ("folderIds", sorted(set(folder_ids))),
    )
    for argument, ids in streams:
        for chunk in _chunks(ids):
            for node in _stream(
                api,
                project,
                "versions",
                f", {argument}: $ids",
                _VERSION_FIELDS,
                {"ids": list(chunk)},
                ", $ids: [String!]!",
            ):
                product = node.get("product") or {}
                if not node.get("active", True) or not product:
                    continue
                ftrack_id = (node.get("attrib") or {}).get(FTRACK_ID)
                found.setdefault(
                    str(node["id"]),
                    AyonVersion(
                        id=str(node["id"]),
                        product_id=str(node.get("productId") or ""),
                        product_name=str(product.get("name") or ""),
                        folder_id=str(product.get("folderId") or ""),
                        version=int(node.get("version") or 0),
                        status=node.get("status"),
                        ftrack_id=ftrack_id if isinstance(ftrack_id, str) and ftrack_id else None,
                    ),
                )
    return tuple(sorted(found.values(), key=lambda version: version.id))
