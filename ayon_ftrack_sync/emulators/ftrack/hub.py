"""The ftrack event hub: socket.io 0.9 over a websocket (spec section 9).

Routing reproduces the real server: an event goes once per connection when any of that
connection's subscribers matches (the client re-dispatches locally), the publisher gets its own
echo, and a non-empty ``target`` restricts delivery to subscribers whose metadata matches it.
Subscriptions use the client's own expression parser so both sides agree on the grammar.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web
from ftrack_api.event.expression import Expression, Parser

log = logging.getLogger(__name__)

_parser_local = Parser()


def parse_expression(text: str) -> Expression:
    return _parser_local.parse(text)


@dataclass
class Subscriber:
    metadata: dict[str, Any]
    expression: Expression


@dataclass
class Connection:
    sid: str
    username: str
    ws: web.WebSocketResponse | None = None
    subscribers: dict[str, Subscriber] = field(default_factory=dict)
    queue: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    heartbeats_sent: int = 0
    heartbeats_received: int = 0


class EventHub:
    """Socket.io sessions and routing; all methods run on the server's event loop."""

    def __init__(self, heartbeat_s: float = 10.0) -> None:
        self.heartbeat_s = heartbeat_s
        self.sessions: dict[str, Connection] = {}
        self.connections: dict[str, Connection] = {}
        # bounded: a long benchmark must not grow memory without limit
        self.log: deque[dict[str, Any]] = deque(maxlen=10_000)
        self.keep_log = True

    def new_session(self, username: str) -> str:
        sid = uuid.uuid4().hex
        self.sessions[sid] = Connection(sid, username)
        return sid

    def handshake_body(self, sid: str) -> str:
        timeout = max(int(self.heartbeat_s * 6), 60)
        return f"{sid}:{timeout}:{timeout}:websocket"

    # -- websocket --------------------------------------------------------------------------
    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        sid = request.match_info["sid"]
        conn = self.sessions.pop(sid, None)
        if conn is None:
            raise web.HTTPNotFound(text="unknown socket.io session")
        ws = web.WebSocketResponse(autoping=True, max_msg_size=64 * 1024 * 1024)
        await ws.prepare(request)
        conn.ws = ws
        self.connections[sid] = conn
        writer = asyncio.create_task(self._writer(conn))
        heartbeat = asyncio.create_task(self._heartbeat(conn))
        conn.queue.put_nowait("1::")
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_packet(conn, msg.data)
                elif msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                    break
        finally:
            self.connections.pop(sid, None)
            heartbeat.cancel()
            conn.queue.put_nowait(None)
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(writer, 1.0)
        return ws

    async def _writer(self, conn: Connection) -> None:
        assert conn.ws is not None
        while True:
            packet = await conn.queue.get()
            if packet is None or conn.ws.closed:
                return
            try:
                await conn.ws.send_str(packet)
            except (ConnectionError, RuntimeError):
                return

    async def _heartbeat(self, conn: Connection) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_s)
            conn.heartbeats_sent += 1
            conn.queue.put_nowait("2::")

    async def close_all(self) -> None:
        for conn in list(self.connections.values()):
            if conn.ws is not None and not conn.ws.closed:
                with contextlib.suppress(Exception):
                    await conn.ws.close()

    # -- packets ----------------------------------------------------------------------------
    def _on_packet(self, conn: Connection, packet: str) -> None:
        parts = packet.split(":", 3)
        code = parts[0]
        if code == "2":
            conn.heartbeats_received += 1
        if code != "5":
            return  # heartbeat replies (2:::), disconnects and messages need no answer
        packet_id = parts[1] if len(parts) > 1 else ""
        data = parts[3] if len(parts) > 3 else ""
        ack: dict[str, Any] = {"success": True}
        try:
            payload = json.loads(data)
            args = payload.get("args") or []
            event = args[0] if args else {}
            ack = self._on_event(conn, event)
        except Exception as error:  # a bad packet must not kill the connection
            log.debug("bad hub packet: %s", error)
            ack = {"success": False, "message": f"Invalid packet: {type(error).__name__}"}
        if packet_id:
            number = packet_id.rstrip("+")
            conn.queue.put_nowait(f"6:::{number}+{json.dumps([ack])}")

    def _on_event(self, conn: Connection, event: dict[str, Any]) -> dict[str, Any]:
        topic = event.get("topic")
        data = event.get("data") or {}
        if topic == "ftrack.meta.subscribe":
            subscriber = dict(data.get("subscriber") or {})
            try:
                expression = parse_expression(str(data.get("subscription", "")))
            except Exception:
                return {"success": False, "message": "Could not parse subscription."}
            conn.subscribers[str(subscriber.get("id"))] = Subscriber(subscriber, expression)
            return {"success": True}
        if topic == "ftrack.meta.unsubscribe":
            subscriber = data.get("subscriber") or {}
            conn.subscribers.pop(str(subscriber.get("id")), None)
            return {"success": True}
        self.publish(event)
        return {"success": True}

    # -- routing ----------------------------------------------------------------------------
    def publish(self, event: dict[str, Any]) -> int:
        """Deliver ``event`` once to every connection with a matching subscriber."""
        event = dict(event)
        if "in_reply_to_event" in event:
            event["inReplyToEvent"] = event.pop("in_reply_to_event")
        event.setdefault("id", uuid.uuid4().hex)
        event.setdefault("data", {})
        event.setdefault("source", {})
        event.setdefault("target", "")
        event.setdefault("sent", None)
        event.setdefault("inReplyToEvent", None)
        if self.keep_log:
            self.log.append(event)
        candidate = dict(event)
        candidate["in_reply_to_event"] = event.get("inReplyToEvent")
        target_expr: Expression | None = None
        target = event.get("target")
        if target:
            try:
                target_expr = parse_expression(str(target))
            except Exception:
                return 0
        packet: str | None = None
        delivered = 0
        for conn in list(self.connections.values()):
            for sub in conn.subscribers.values():
                if target_expr is not None and not target_expr.match(sub.metadata):
                    continue
                if sub.expression.match(candidate):
                    if packet is None:
                        packet = "5:::" + json.dumps({"name": "ftrack.event", "args": [event]})
                    conn.queue.put_nowait(packet)
                    delivered += 1
                    break
        return delivered
