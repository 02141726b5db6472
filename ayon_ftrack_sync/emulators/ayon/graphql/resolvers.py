"""Resolvers: turn the in-memory store into the node/connection shapes of the real API.

Sources are `Node` wrappers (project, kind, entity dict); plain fields come straight from
the entity dict via the default resolver, computed ones (allAttrib, path, hasTasks, ...)
have resolvers here. Candidate sets come from indexes (ids, parents), never full scans
when an id/parent filter is given.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from graphql import GraphQLResolveInfo

from ..attribs import all_attrib, project_attrib
from ..events import iter_events, topic_matcher
from ..store import Entity, Project, State
from ..util import parse_iso
from ..views import entity_path, has_versions
from .paging import paginate
from .queries import (
    folders_query,
    products_query,
    representations_query,
    tasks_query,
    versions_query,
)

Resolver = Callable[..., Any]


class Node:
    """A graph node: an entity dict plus the project it lives in."""

    __slots__ = ("ent", "kind", "proj")

    def __init__(self, proj: Project | None, kind: str, ent: dict[str, Any]) -> None:
        self.proj = proj
        self.kind = kind
        self.ent = ent


def default_resolver(source: Any, info: GraphQLResolveInfo, **_: Any) -> Any:
    if isinstance(source, Node):
        return source.ent.get(info.field_name)
    if isinstance(source, dict):
        return source.get(info.field_name)
    return getattr(source, info.field_name, None)


def _state(info: GraphQLResolveInfo) -> State:
    state: State = info.context["state"]
    return state


def jdump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)


def _data_str(node: Node, _info: GraphQLResolveInfo) -> str | None:
    data = node.ent.get("data")
    return jdump(data) if data else None


def _seq(ent: dict[str, Any]) -> int:
    return int(ent.get("_seq", 0))


def _connection(
    proj: Project, kind: str, ents: Iterable[Entity], args: dict[str, Any]
) -> dict[str, Any]:
    ordered = sorted(ents, key=_seq)
    return paginate(ordered, _seq, lambda e: Node(proj, kind, e), args)


# ------------------------------------------------------------------ project
def resolve_project(
    _root: Any, info: GraphQLResolveInfo, name: str | None = None, code: str | None = None
) -> Node | None:
    state = _state(info)
    if name is not None:
        proj = state.projects.get(name)
    else:
        proj = next((p for p in state.projects.values() if p.record["code"] == code), None)
    if proj is None:
        return None
    return Node(proj, "project", proj.record)


def _proj(node: Node) -> Project:
    assert node.proj is not None
    return node.proj


def _conn(kind: str, query: Callable[[Project, dict[str, Any]], list[Entity]]) -> Resolver:
    def resolve(node: Node, _info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
        proj = _proj(node)
        return _connection(proj, kind, query(proj, args), args)

    return resolve


def _single(kind: str) -> Resolver:
    def resolve(node: Node, _info: GraphQLResolveInfo, id: str) -> Node | None:
        proj = _proj(node)
        ent = proj.entities[kind].get(id)
        return Node(proj, kind, ent) if ent else None

    return resolve


def _project_link_types(node: Node, _info: GraphQLResolveInfo, **_: Any) -> list[dict[str, Any]]:
    out = []
    for lt in node.ent.get("linkTypes", []):
        data = lt.get("data") or {}
        out.append({**lt, "color": data.get("color"), "style": data.get("style")})
    return out


def _project_entity_lists(node: Node, _info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    proj = _proj(node)
    items = list(proj.lists.values())
    if args.get("ids") is not None:
        wanted = set(args["ids"])
        items = [i for i in items if i["id"] in wanted]
    items.sort(key=_seq)
    return paginate(items, _seq, lambda e: Node(proj, "list", e), args)


def _activities(node: Node, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    proj = _proj(node)
    if node.kind != "project":
        args = {**args, "entityIds": [node.ent["id"]]}
    if args.get("entityIds") is not None:
        items = [
            proj.activities[a]
            for e in dict.fromkeys(args["entityIds"])
            for a in proj.activities_by_entity.get(e, {})
        ]
    else:
        items = list(proj.activities.values())
    for key, field in (
        ("activityTypes", "activityType"),
        ("referenceTypes", "referenceType"),
        ("activityIds", "activityId"),
        ("entityType", "entityType"),
    ):
        if args.get(key) is not None:
            wanted = {args[key]} if isinstance(args[key], str) else set(args[key])
            items = [i for i in items if i.get(field) in wanted]
    if args.get("authors") is not None:
        authors = set(args["authors"])
        items = [i for i in items if i.get("author") in authors]
    if args.get("changedAfter"):
        after = parse_iso(args["changedAfter"])
        items = [i for i in items if parse_iso(i["updatedAt"]) > after]
    if args.get("changedBefore"):
        before = parse_iso(args["changedBefore"])
        items = [i for i in items if parse_iso(i["updatedAt"]) < before]
    items.sort(key=_seq)
    return paginate(items, _seq, lambda e: Node(proj, "activity", e), args)


def _links(node: Node, _info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    proj = _proj(node)
    eid = node.ent["id"]
    edges: list[dict[str, Any]] = []
    direction = args.get("direction")
    link_types = set(args["linkTypes"]) if args.get("linkTypes") is not None else None
    for lid in proj.links_by_entity.get(eid, {}):
        link = proj.links[lid]
        is_out = link["input"] == eid
        link_dir = "out" if is_out else "in"
        if direction and direction != link_dir:
            continue
        if link_types is not None and link["linkType"] not in link_types:
            continue
        other = link["output"] if is_out else link["input"]
        other_type = link["outputType"] if is_out else link["inputType"]
        edges.append(
            {
                "id": link["id"],
                "projectName": proj.name,
                "entityId": other,
                "entityType": other_type,
                "linkType": link["linkType"],
                "name": link.get("name"),
                "direction": link_dir,
                "author": link.get("author"),
                "data": link.get("data") or {},
                "description": (
                    f"{link['linkType']} link with input {link['inputType']} and "
                    f"output {link['outputType']}"
                ),
                "_seq": link.get("_seq", 0),
            }
        )
    edges.sort(key=_seq)
    first = int(args.get("first") or 300)
    start = int(args.get("after") or 0)
    page = edges[start : start + first]
    for index, edge in enumerate(page, start + 1):
        edge["cursor"] = str(index)
    return {
        "edges": page,
        "pageInfo": {
            "hasNextPage": start + len(page) < len(edges),
            "hasPreviousPage": start > 0,
            "startCursor": page[0]["cursor"] if page else None,
            "endCursor": page[-1]["cursor"] if page else None,
        },
    }


def _entity_resolvers(kind: str) -> dict[str, Resolver]:
    def all_attr(node: Node, info: GraphQLResolveInfo) -> str:
        return jdump(all_attrib(_state(info), _proj(node), kind, node.ent))

    def attrib(node: Node, info: GraphQLResolveInfo) -> dict[str, Any]:
        return all_attrib(_state(info), _proj(node), kind, node.ent)

    def own(node: Node, _info: GraphQLResolveInfo) -> list[str]:
        return [k for k, v in (node.ent.get("attrib") or {}).items() if v is not None]

    def path(node: Node, _info: GraphQLResolveInfo) -> str | None:
        return entity_path(_proj(node), kind, node.ent)

    def parents(node: Node, _info: GraphQLResolveInfo) -> list[str]:
        proj = _proj(node)
        if kind == "folder":
            return proj.folder_parents(node.ent.get("parentId"))
        if kind in ("task", "product"):
            return proj.folder_parents(node.ent.get("folderId"))
        product = proj.entities["product"].get(node.ent.get("productId") or "")
        if product is None:
            return []
        return [*proj.folder_parents(product.get("folderId")), product["name"]]

    def ref(target: str, field: str) -> Resolver:
        def resolve(node: Node, _info: GraphQLResolveInfo) -> Node | None:
            proj = _proj(node)
            ent = proj.entities[target].get(node.ent.get(field) or "")
            return Node(proj, target, ent) if ent else None

        return resolve

    out: dict[str, Resolver] = {
        "allAttrib": all_attr,
        "attrib": attrib,
        "ownAttrib": own,
        "path": path,
        "parents": parents,
        "data": _data_str,
        "links": _links,
        "projectName": lambda n, _i: _proj(n).name,
        "type": lambda _n, _i: kind,
        "thumbnailHash": lambda n, _i: n.ent.get("thumbnailId") or "",
        "hasReviewables": lambda _n, _i: False,
        "activities": _activities,
    }
    if kind == "folder":
        out.update(
            {
                "childCount": lambda n, _i: len(_proj(n).children.get(n.ent["id"], {})),
                "hasChildren": lambda n, _i: bool(_proj(n).children.get(n.ent["id"])),
                "taskCount": lambda n, _i: len(_proj(n).by_parent["task"].get(n.ent["id"], {})),
                "hasTasks": lambda n, _i: bool(_proj(n).by_parent["task"].get(n.ent["id"])),
                "productCount": lambda n, _i: len(
                    _proj(n).by_parent["product"].get(n.ent["id"], {})
                ),
                "hasProducts": lambda n, _i: bool(_proj(n).by_parent["product"].get(n.ent["id"])),
                "hasVersions": lambda n, _i: has_versions(_proj(n), n.ent["id"]),
                "parent": ref("folder", "parentId"),
                "tasks": _child_conn("task", "folderIds", tasks_query),
                "products": _child_conn("product", "folderIds", products_query),
            }
        )
    elif kind == "task":
        out.update(
            {
                "folder": ref("folder", "folderId"),
                "versions": _child_conn("version", "taskIds", versions_query),
            }
        )
    elif kind == "product":
        out.update(
            {
                "folder": ref("folder", "folderId"),
                "versions": _child_conn("version", "productIds", versions_query),
            }
        )
    elif kind == "version":
        out.update(
            {
                "product": ref("product", "productId"),
                "task": ref("task", "taskId"),
                "heroVersionId": lambda _n, _i: None,
                "representations": _child_conn(
                    "representation", "versionIds", representations_query
                ),
            }
        )
    elif kind == "representation":
        out.update(
            {
                "version": ref("version", "versionId"),
                "context": lambda n, _i: jdump(n.ent.get("context") or {}),
                "traits": lambda n, _i: jdump(n.ent["traits"]) if n.ent.get("traits") else None,
                "fileCount": lambda n, _i: len(n.ent.get("files") or []),
            }
        )
    return out


def _child_conn(
    kind: str, arg: str, query: Callable[[Project, dict[str, Any]], list[Entity]]
) -> Resolver:
    def resolve(node: Node, _info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
        proj = _proj(node)
        args = {**args, arg: [node.ent["id"]]}
        return _connection(proj, kind, query(proj, args), args)

    return resolve


# -------------------------------------------------------------------- users
def user_node(state: State, user: dict[str, Any]) -> dict[str, Any]:
    data = user.get("data") or {}
    return {
        "name": user["name"],
        "active": user.get("active", True),
        "createdAt": user["createdAt"],
        "updatedAt": user["updatedAt"],
        "accessGroups": jdump(data.get("accessGroups") or {}),
        "defaultAccessGroups": data.get("defaultAccessGroups") or [],
        "isAdmin": bool(data.get("isAdmin")),
        "isManager": bool(data.get("isManager")),
        "isService": bool(data.get("isService")),
        "isGuest": bool(data.get("isGuest")),
        "isDeveloper": bool(data.get("isDeveloper")),
        "hasPassword": user["name"] in state.passwords,
        "apiKeyPreview": data.get("apiKeyPreview"),
        "deleted": False,
        "attrib": user.get("attrib") or {},
        "allAttrib": jdump({k: v for k, v in (user.get("attrib") or {}).items() if v is not None}),
        "data": jdump(data),
    }


def resolve_users(_root: Any, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    state = _state(info)
    users = sorted(state.users.values(), key=lambda u: u["name"])
    if args.get("name") is not None:
        users = [u for u in users if u["name"] == args["name"]]
    if args.get("names") is not None:
        names = set(args["names"])
        users = [u for u in users if u["name"] in names]
    if args.get("emails") is not None:
        emails = {e.lower() for e in args["emails"]}
        users = [
            u for u in users if str((u.get("attrib") or {}).get("email") or "").lower() in emails
        ]
    return paginate(users, lambda u: u["name"], lambda u: user_node(state, u), args)


def resolve_user(_root: Any, info: GraphQLResolveInfo, name: str) -> dict[str, Any] | None:
    state = _state(info)
    user = state.users.get(name)
    return user_node(state, user) if user else None


def resolve_me(_root: Any, info: GraphQLResolveInfo) -> dict[str, Any] | None:
    state = _state(info)
    user = state.users.get(info.context["user"])
    return user_node(state, user) if user else None


def resolve_projects(_root: Any, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    state = _state(info)
    projs = sorted(state.projects.values(), key=lambda p: p.name)
    if args.get("name") is not None:
        projs = [p for p in projs if p.name == args["name"]]
    return paginate(projs, lambda p: p.name, lambda p: Node(p, "project", p.record), args)


# ------------------------------------------------------------------- events
def event_node(ev: dict[str, Any]) -> dict[str, Any]:
    out = dict(ev)
    out["summary"] = jdump(ev.get("summary") or {})
    out["payload"] = jdump(ev["payload"]) if ev.get("payload") else None
    out["data"] = None
    return out


def resolve_events(_root: Any, info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
    state = _state(info)
    if args.get("ids") is not None:
        evs = sorted(
            (state.events[i] for i in dict.fromkeys(args["ids"]) if i in state.events), key=_seq
        )
        if args.get("topics") is not None:
            match = topic_matcher(args["topics"])
            evs = [e for e in evs if match(e["topic"])]
    else:
        evs = iter_events(state, args.get("topics"))
    if not args.get("includeLogs"):
        evs = [e for e in evs if not e["topic"].startswith("log.")]
    if args.get("projects") is not None:
        projects = set(args["projects"])
        evs = [e for e in evs if e.get("project") in projects]
    statuses = args.get("statuses") if args.get("statuses") is not None else args.get("states")
    if statuses is not None:
        sset = set(statuses)
        evs = [e for e in evs if e["status"] in sset]
    if args.get("users") is not None:
        uset = set(args["users"])
        evs = [e for e in evs if e.get("user") in uset]
    if args.get("hasChildren") is not None:
        parents = {e.get("dependsOn") for e in state.events.values() if e.get("dependsOn")}
        want = bool(args["hasChildren"])
        evs = [e for e in evs if (e["id"] in parents) == want]
    if args.get("newerThan"):
        newer = parse_iso(args["newerThan"])
        evs = [e for e in evs if parse_iso(e["createdAt"]) > newer]
    if args.get("olderThan"):
        older = parse_iso(args["olderThan"])
        evs = [e for e in evs if parse_iso(e["createdAt"]) < older]
    if args.get("filter"):
        text = str(args["filter"]).lower()
        evs = [
            e
            for e in evs
            if text in (e.get("description") or "").lower() or text in e["topic"].lower()
        ]
    return paginate(evs, _seq, event_node, args)


# ----------------------------------------------------------- lists/activity
def _list_resolvers() -> dict[str, Resolver]:
    return {
        "count": lambda n, _i: len(n.ent.get("items") or []),
        "attributes": lambda n, _i: jdump(n.ent.get("attributes") or []),
        "allAttrib": lambda n, _i: jdump(
            {k: v for k, v in (n.ent.get("attrib") or {}).items() if v is not None}
        ),
        # the server keeps the item count in the list's data
        "data": lambda n, _i: jdump(
            {**(n.ent.get("data") or {}), "count": len(n.ent.get("items") or [])}
        ),
        "projectName": lambda n, _i: _proj(n).name,
    }


def _activity_resolvers() -> dict[str, Resolver]:
    def author(node: Node, info: GraphQLResolveInfo) -> dict[str, Any] | None:
        state = _state(info)
        user = state.users.get(node.ent.get("author") or "")
        if user is None:
            return {"name": node.ent.get("author")}
        return user_node(state, user)

    return {
        "activityData": lambda n, _i: jdump(n.ent.get("activityData") or {}),
        "projectName": lambda n, _i: _proj(n).name,
        "author": author,
    }


def type_resolvers() -> dict[str, dict[str, Resolver]]:
    """Resolvers to attach, by GraphQL type name and field name."""
    return {
        "Query": {
            "project": resolve_project,
            "projects": resolve_projects,
            "users": resolve_users,
            "user": resolve_user,
            "me": resolve_me,
            "events": resolve_events,
        },
        "ProjectNode": {
            "projectName": lambda n, _i: _proj(n).name,
            "skeleton": lambda _n, _i: False,
            "label": lambda _n, _i: None,
            "data": lambda n, _i: jdump(n.ent.get("data") or {}),
            "config": lambda n, _i: jdump(n.ent.get("config") or {}),
            "attrib": lambda n, i: project_attrib(_state(i), _proj(n)),
            "allAttrib": lambda n, i: jdump(project_attrib(_state(i), _proj(n))),
            "linkTypes": _project_link_types,
            "folderTypes": lambda n, _i, **_a: n.ent.get("folderTypes", []),
            "taskTypes": lambda n, _i, **_a: n.ent.get("taskTypes", []),
            "usedTags": lambda n, _i: sorted(
                {
                    t
                    for k in ("folder", "task", "product", "version")
                    for e in _proj(n).entities[k].values()
                    for t in e.get("tags") or []
                }
            ),
            "productTypes": lambda n, _i: [
                {"name": t}
                for t in sorted(
                    {str(e.get("productType")) for e in _proj(n).entities["product"].values()}
                )
            ],
            "folder": _single("folder"),
            "folders": _conn("folder", folders_query),
            "task": _single("task"),
            "tasks": _conn("task", tasks_query),
            "product": _single("product"),
            "products": _conn("product", products_query),
            "version": _single("version"),
            "versions": _conn("version", versions_query),
            "representation": _single("representation"),
            "representations": _conn("representation", representations_query),
            "entityList": lambda n, _i, id: (
                Node(_proj(n), "list", _proj(n).lists[id]) if id in _proj(n).lists else None
            ),
            "entityLists": _project_entity_lists,
            "activities": _activities,
        },
        "FolderNode": _entity_resolvers("folder"),
        "TaskNode": _entity_resolvers("task"),
        "ProductNode": _entity_resolvers("product"),
        "VersionNode": _entity_resolvers("version"),
        "RepresentationNode": _entity_resolvers("representation"),
        "EntityListNode": _list_resolvers(),
        "ActivityNode": _activity_resolvers(),
    }
