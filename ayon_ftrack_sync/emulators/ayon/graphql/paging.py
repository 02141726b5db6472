"""Relay-style cursor paging the way the AYON server does it.

`first`/`after` walk forward; `last`/`before` return the newest items first (the client's
descending mode continues from `endCursor` with `before`).
"""

from __future__ import annotations

import base64
import bisect
import json
from collections.abc import Callable, Sequence
from typing import Any

DEFAULT_PAGE = 100


def encode(key: Any) -> str:
    if type(key) is int:  # the usual sequence number: what json.dumps([key]) gives
        return base64.b64encode(f"[{key}]".encode()).decode()
    return base64.b64encode(json.dumps([key]).encode()).decode()


def decode(cursor: str | None) -> Any:
    if not cursor:
        return None
    try:
        return json.loads(base64.b64decode(cursor.encode()).decode())[0]
    except (ValueError, TypeError, IndexError, KeyError):
        return None


def paginate(
    items: Sequence[Any],
    key: Callable[[Any], Any],
    wrap: Callable[[Any], Any],
    args: dict[str, Any],
) -> dict[str, Any]:
    """Slice `items` (already sorted ascending by `key`) into a connection dict."""
    first = args.get("first")
    last = args.get("last")
    if last is not None and first is None:
        before = decode(args.get("before"))
        pool = list(items)
        if before is not None:
            try:
                pool = pool[: bisect.bisect_left(items, before, key=key)]
            except TypeError:
                pass
        page = pool[-last:][::-1] if last > 0 else []
        edges = [{"node": wrap(i), "cursor": encode(key(i))} for i in page]
        return {
            "edges": edges,
            "pageInfo": {
                "hasNextPage": False,
                "hasPreviousPage": len(pool) > len(page),
                "startCursor": edges[0]["cursor"] if edges else None,
                "endCursor": edges[-1]["cursor"] if edges else None,
            },
        }
    after = decode(args.get("after"))
    start = 0
    if after is not None:
        try:
            start = bisect.bisect_right(items, after, key=key)
        except TypeError:
            start = 0
    size = DEFAULT_PAGE if first is None else max(0, int(first))
    page = list(items[start : start + size])
    edges = [{"node": wrap(i), "cursor": encode(key(i))} for i in page]
    return {
        "edges": edges,
        "pageInfo": {
            "hasNextPage": start + len(page) < len(items),
            "hasPreviousPage": start > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }
