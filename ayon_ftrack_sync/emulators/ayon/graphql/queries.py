"""Entity list queries behind the `folders`/`tasks`/`products`/`versions` connections.

Candidates come from indexes when an id or parent filter is given (no full scans for id
lists); the remaining filters are applied to that candidate set.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from ..events import filter_ok
from ..store import Entity, Project


def _by_ids(proj: Project, kind: str, ids: Iterable[str]) -> list[Entity]:
    table = proj.entities[kind]
    return [table[i] for i in dict.fromkeys(ids) if i in table]


def _subtree(proj: Project, folder_ids: Iterable[str]) -> list[str]:
    out: list[str] = []
    stack = list(folder_ids)
    while stack:
        fid = stack.pop()
        out.append(fid)
        stack.extend(proj.children.get(fid, {}))
    return out


def _common_filters(ents: Iterable[Entity], args: dict[str, Any]) -> Iterable[Entity]:
    statuses = args.get("statuses")
    if statuses is not None:
        wanted = set(statuses)
        ents = [e for e in ents if e.get("status") in wanted]
    tags = args.get("tags")
    if tags is not None:
        need = set(tags)
        ents = [e for e in ents if need.issubset(e.get("tags") or [])]
    tags_any = args.get("tagsAny")
    if tags_any is not None:
        anyset = set(tags_any)
        ents = [e for e in ents if anyset.intersection(e.get("tags") or [])]
    names = args.get("names")
    if names is not None:
        nameset = set(names)
        ents = [e for e in ents if e.get("name") in nameset]
    raw_filter = args.get("filter")
    if raw_filter:
        try:
            flt = json.loads(raw_filter) if isinstance(raw_filter, str) else raw_filter
        except ValueError:
            flt = None
        if isinstance(flt, dict):
            ents = [e for e in ents if filter_ok(e, flt)]
    attributes = args.get("attributes")
    if attributes:
        for cond in attributes:
            values = set(cond.get("values") or [])
            attr_name = cond.get("name")
            ents = [e for e in ents if str((e.get("attrib") or {}).get(attr_name)) in values]
    return ents


def folders_query(proj: Project, args: dict[str, Any]) -> list[Entity]:
    folders = proj.entities["folder"]
    if args.get("ids") is not None:
        ents: Iterable[Entity] = _by_ids(proj, "folder", args["ids"])
    elif args.get("parentIds") is not None or args.get("parentId") is not None:
        parents = list(args.get("parentIds") or []) + (
            [args["parentId"]] if args.get("parentId") is not None else []
        )
        ids: list[str] = []
        for parent in parents:
            pid = None if parent in ("root", "", None) else parent
            ids.extend(proj.children.get(pid, {}))
        ents = [folders[i] for i in ids]
    elif args.get("paths") is not None:
        found = [proj.folder_by_path(p) for p in args["paths"]]
        ents = [f for f in found if f is not None]
    else:
        ents = folders.values()
    if args.get("includeFolderChildren") and args.get("ids") is not None:
        ents = [folders[i] for i in _subtree(proj, [e["id"] for e in ents])]
    if args.get("name") is not None:
        ents = [e for e in ents if e["name"] == args["name"]]
    if args.get("folderTypes") is not None:
        types = set(args["folderTypes"])
        ents = [e for e in ents if e.get("folderType") in types]
    if args.get("pathEx"):
        rx = re.compile(args["pathEx"], re.IGNORECASE)
        ents = [e for e in ents if rx.search(proj.folder_path(e["id"]))]
    if args.get("paths") is not None and args.get("ids") is not None:
        paths = {p.rstrip("/") or "/" for p in args["paths"]}
        ents = [e for e in ents if proj.folder_path(e["id"]) in paths]
    for flag, fn in (
        ("hasChildren", lambda e: bool(proj.children.get(e["id"]))),
        ("hasProducts", lambda e: bool(proj.by_parent["product"].get(e["id"]))),
        ("hasTasks", lambda e: bool(proj.by_parent["task"].get(e["id"]))),
    ):
        if args.get(flag) is not None:
            want = bool(args[flag])
            ents = [e for e in ents if fn(e) == want]
    if args.get("assignees") is not None:
        need = set(args["assignees"])
        tasks = proj.entities["task"]
        ents = [
            e
            for e in ents
            if any(
                need.issubset(tasks[t].get("assignees") or [])
                for t in proj.by_parent["task"].get(e["id"], {})
            )
        ]
    if args.get("hasLinks") is not None:
        ents = _has_links(proj, ents, args["hasLinks"])
    return list(_common_filters(ents, args))


def _has_links(proj: Project, ents: Iterable[Entity], mode: Any) -> list[Entity]:
    mode = str(mode).lower()

    def ok(e: Entity) -> bool:
        links = [proj.links[i] for i in proj.links_by_entity.get(e["id"], {})]
        ins = any(link["output"] == e["id"] for link in links)
        outs = any(link["input"] == e["id"] for link in links)
        return {
            "none": not links,
            "in": ins,
            "out": outs,
            "any": bool(links),
            "both": ins and outs,
        }.get(mode, True)

    return [e for e in ents if ok(e)]


def tasks_query(proj: Project, args: dict[str, Any]) -> list[Entity]:
    tasks = proj.entities["task"]
    if args.get("ids") is not None:
        ents: Iterable[Entity] = _by_ids(proj, "task", args["ids"])
    elif args.get("folderIds") is not None:
        folder_ids = list(args["folderIds"])
        if args.get("includeFolderChildren"):
            folder_ids = _subtree(proj, folder_ids)
        ents = [
            tasks[t] for f in dict.fromkeys(folder_ids) for t in proj.by_parent["task"].get(f, {})
        ]
    else:
        ents = tasks.values()
    if args.get("ids") is not None and args.get("folderIds") is not None:
        fset = set(args["folderIds"])
        ents = [e for e in ents if e.get("folderId") in fset]
    if args.get("taskTypes") is not None:
        types = set(args["taskTypes"])
        ents = [e for e in ents if e.get("taskType") in types]
    if args.get("assignees") is not None:
        need = set(args["assignees"])
        ents = [e for e in ents if need.issubset(e.get("assignees") or [])]
    if args.get("assigneesAny") is not None:
        anyset = set(args["assigneesAny"])
        ents = [e for e in ents if anyset.intersection(e.get("assignees") or [])]
    if args.get("hasLinks") is not None:
        ents = _has_links(proj, ents, args["hasLinks"])
    return list(_common_filters(ents, args))


def products_query(proj: Project, args: dict[str, Any]) -> list[Entity]:
    products = proj.entities["product"]
    if args.get("ids") is not None:
        ents: Iterable[Entity] = _by_ids(proj, "product", args["ids"])
    elif args.get("folderIds") is not None:
        folder_ids = list(args["folderIds"])
        if args.get("includeFolderChildren"):
            folder_ids = _subtree(proj, folder_ids)
        ents = [
            products[p]
            for f in dict.fromkeys(folder_ids)
            for p in proj.by_parent["product"].get(f, {})
        ]
    else:
        ents = products.values()
    if args.get("productTypes") is not None:
        types = set(args["productTypes"])
        ents = [e for e in ents if e.get("productType") in types]
    if args.get("productBaseTypes") is not None:
        btypes = set(args["productBaseTypes"])
        ents = [e for e in ents if e.get("productBaseType") in btypes]
    if args.get("namesCi") is not None:
        lowered = {n.lower() for n in args["namesCi"]}
        ents = [e for e in ents if e["name"].lower() in lowered]
    if args.get("nameEx"):
        rx = re.compile(args["nameEx"])
        ents = [e for e in ents if rx.search(e["name"])]
    return list(_common_filters(ents, args))


def representations_query(proj: Project, args: dict[str, Any]) -> list[Entity]:
    repres = proj.entities["representation"]
    if args.get("ids") is not None:
        ents: Iterable[Entity] = _by_ids(proj, "representation", args["ids"])
    elif args.get("versionIds") is not None:
        ents = [
            repres[r]
            for v in dict.fromkeys(args["versionIds"])
            for r in proj.by_parent["representation"].get(v, {})
        ]
    else:
        ents = repres.values()
    if args.get("versionIds") is not None:
        vset = set(args["versionIds"])
        ents = [e for e in ents if e.get("versionId") in vset]
    if args.get("hasLinks") is not None:
        ents = _has_links(proj, ents, args["hasLinks"])
    return list(_common_filters(ents, args))


def versions_query(proj: Project, args: dict[str, Any]) -> list[Entity]:
    versions = proj.entities["version"]
    if args.get("ids") is not None:
        ents: Iterable[Entity] = _by_ids(proj, "version", args["ids"])
    elif args.get("productIds") is not None:
        ents = [
            versions[v]
            for p in dict.fromkeys(args["productIds"])
            for v in proj.by_parent["version"].get(p, {})
        ]
    elif args.get("taskIds") is not None:
        ents = [
            versions[v]
            for t in dict.fromkeys(args["taskIds"])
            for v in proj.versions_by_task.get(t, {})
        ]
    elif args.get("folderIds") is not None:
        folder_ids = list(args["folderIds"])
        if args.get("includeFolderChildren"):
            folder_ids = _subtree(proj, folder_ids)
        ents = [
            versions[v]
            for f in dict.fromkeys(folder_ids)
            for p in proj.by_parent["product"].get(f, {})
            for v in proj.by_parent["version"].get(p, {})
        ]
    else:
        ents = versions.values()
    if args.get("productIds") is not None:
        pset = set(args["productIds"])
        ents = [e for e in ents if e.get("productId") in pset]
    if args.get("taskIds") is not None:
        tset = set(args["taskIds"])
        ents = [e for e in ents if e.get("taskId") in tset]
    if args.get("version") is not None:
        ents = [e for e in ents if e.get("version") == args["version"]]
    if args.get("versions") is not None:
        vset = set(args["versions"])
        ents = [e for e in ents if e.get("version") in vset]
    if args.get("authors") is not None:
        aset = set(args["authors"])
        ents = [e for e in ents if e.get("author") in aset]
    ents = list(ents)
    if args.get("heroOnly"):
        ents = [e for e in ents if int(e.get("version", 0)) < 0]
    if args.get("latestOnly") or args.get("heroOrLatestOnly"):
        latest: dict[str, Entity] = {}
        for e in ents:
            if int(e.get("version", 0)) < 0:
                continue
            cur = latest.get(e["productId"])
            if cur is None or e["version"] > cur["version"]:
                latest[e["productId"]] = e
        picked = list(latest.values())
        if args.get("heroOrLatestOnly"):
            heroes = {e["productId"]: e for e in ents if int(e.get("version", 0)) < 0}
            picked = [heroes.get(e["productId"], e) for e in picked]
        ents = picked
    return list(_common_filters(ents, args))
