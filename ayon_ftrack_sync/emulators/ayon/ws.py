"""`/ws` event stream: auth message, prefix subscriptions, heartbeats, payload-less events."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .events import event_ws
from .store import State

HEARTBEAT_S = 5.0


@dataclass(eq=False)
class _Client:
    queue: asyncio.Queue[dict[str, Any]]
    subscriptions: list[str] = field(default_factory=list)
    authenticated: bool = False
    project: str | None = None


class WsHub:
    """Fans stored/broadcast events out to websocket clients on the server loop.

    Events may be produced on any thread (HTTP handlers run on the loop, control calls on
    the caller's thread), so delivery goes through `call_soon_threadsafe`.
    """

    def __init__(self, state: State) -> None:
        self.state = state
        self.clients: set[_Client] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        state.event_listeners.append(self.on_event)

    def detach(self) -> None:
        with contextlib.suppress(ValueError):
            self.state.event_listeners.remove(self.on_event)

    def on_event(self, ev: dict[str, Any]) -> None:
        loop = self.loop
        if loop is None or not self.clients or loop.is_closed():
            return
        message = event_ws(ev)
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._deliver(message)
        else:
            loop.call_soon_threadsafe(self._deliver, message)

    def _deliver(self, message: dict[str, Any]) -> None:
        topic = str(message.get("topic") or "")
        for client in list(self.clients):
            if not client.authenticated:
                continue
            if client.subscriptions and not any(topic.startswith(s) for s in client.subscriptions):
                continue
            client.queue.put_nowait(message)

    def _token_ok(self, token: str) -> bool:
        return token in self.state.api_keys or token in self.state.tokens

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        self.loop = asyncio.get_running_loop()
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        client = _Client(queue=asyncio.Queue())
        self.clients.add(client)
        sender = asyncio.create_task(self._sender(ws, client))
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(msg.data)
                except ValueError:
                    continue
                if not isinstance(data, dict):
                    continue
                if data.get("topic") == "auth":
                    client.authenticated = self._token_ok(str(data.get("token") or ""))
                    client.subscriptions = [str(s) for s in data.get("subscribe") or []]
                    client.project = data.get("project")
                    if not client.authenticated:
                        await ws.close(code=1008, message=b"Invalid token")
                        break
                    client.queue.put_nowait({"topic": "heartbeat"})
                elif data.get("topic") == "subscribe":
                    client.subscriptions = [str(s) for s in data.get("subscribe") or []]
        finally:
            self.clients.discard(client)
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
        return ws

    async def _sender(self, ws: web.WebSocketResponse, client: _Client) -> None:
        while not ws.closed:
            try:
                message = await asyncio.wait_for(client.queue.get(), timeout=HEARTBEAT_S)
            except TimeoutError:
                if not client.authenticated:
                    continue
                message = {"topic": "heartbeat"}
            try:
                await ws.send_str(json.dumps(message, default=str))
            except (ConnectionError, RuntimeError):
                return

    async def close_all(self) -> None:
        self.clients.clear()
