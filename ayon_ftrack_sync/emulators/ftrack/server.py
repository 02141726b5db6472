"""aiohttp transport for the emulator and ``FtrackEmulator``, which runs it in its own thread.

Endpoints: ``POST /api`` (batches), ``GET /socket.io/1/`` (handshake, at the host root),
``GET /socket.io/1/websocket/<sid>`` (hub), ``/_emu/*`` (test control). TCP_NODELAY is set on
every accepted socket (aiohttp's protocol does it on connection; a test checks it): with
Nagle plus delayed ACK a keep-alive request costs ~40 ms.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import socket
import threading
import time
from types import TracebackType
from typing import Any

from aiohttp import web

from .api import Backend, Stats
from .control import Control, FaultConfig
from .errors import FtrackServerError, InvalidCredentialsError, ValidationError
from .hub import EventHub
from .seed import seed_baseline

log = logging.getLogger(__name__)


def _nodelay_of(request: web.Request) -> bool | None:
    """Whether TCP_NODELAY is on for this request's socket (aiohttp's protocol sets it on
    every accepted connection; exposed in ``/_emu/stats`` so a test can check it)."""
    transport = request.transport
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is None:
        return None
    return bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))


class _App:
    """Request handlers bound to one backend, hub and fault configuration."""

    def __init__(
        self, backend: Backend, hub: EventHub, faults: FaultConfig, control: Control
    ) -> None:
        self.backend = backend
        self.hub = hub
        self.faults = faults
        self.control = control

    def build(self) -> web.Application:
        app = web.Application(client_max_size=256 * 1024 * 1024)
        app.router.add_post("/api", self.api)
        app.router.add_get("/socket.io/1/", self.handshake)
        app.router.add_get("/socket.io/1/websocket/{sid}", self.hub.handle_websocket)
        app.router.add_put("/_upload/{component_id}", self.upload)
        app.router.add_get("/component/get", self.component_get)
        app.router.add_get("/component/remove", self.component_remove)
        app.router.add_get("/_emu/dump", self.emu_dump)
        app.router.add_post("/_emu/load", self.emu_load)
        app.router.add_post("/_emu/reset", self.emu_reset)
        app.router.add_post("/_emu/publish", self.emu_publish)
        app.router.add_get("/_emu/stats", self.emu_stats)
        app.router.add_post("/_emu/ui-change", self.emu_ui_change)
        return app

    def _json(self, body: Any, status: int = 200) -> web.Response:
        text = json.dumps(body, separators=(",", ":"), check_circular=False)
        return web.Response(text=text, status=status, content_type="application/json")

    async def api(self, request: web.Request) -> web.StreamResponse:
        self.backend.stats.http_requests += 1
        strict = request.headers.get("ftrack-strict-api", "false").lower() == "true"
        if self.faults.latency_s:
            await asyncio.sleep(self.faults.latency_s)
        failure = self.faults.pick_failure()
        if failure == "5xx":
            self.backend.stats.errors += 1
            return self._json(
                {
                    "exception": "ServerError",
                    "content": "Service temporarily unavailable (injected 503)",
                    "error_code": None,
                },
                503,
            )
        if failure == "timeout":
            self.backend.stats.errors += 1
            await asyncio.sleep(self.faults.timeout_hang_s)
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=504)
        body = await request.read()
        started = time.perf_counter()
        try:
            return self._api_response(body, request, strict)
        finally:
            self.backend.stats.busy_s += time.perf_counter() - started

    def _api_response(self, body: bytes, request: web.Request, strict: bool) -> web.Response:
        try:
            user = self.backend.authenticate(
                request.headers.get("ftrack-user"), request.headers.get("ftrack-api-key")
            )
            try:
                batch = json.loads(body)
            except ValueError:
                raise ValidationError("The request body is not valid JSON.") from None
            result = self.backend.handle(batch, user)
        except FtrackServerError as error:
            self.backend.stats.errors += 1
            status = error.status if strict else 200
            return self._json(Backend.error_body(error), status)
        except Exception as error:  # never leak internals (or keys) to the client
            log.exception("emulator internal error")
            self.backend.stats.errors += 1
            internal = {
                "exception": "ServerError",
                "content": f"Internal emulator error: {type(error).__name__}",
                "error_code": None,
            }
            return self._json(internal, 500 if strict else 200)
        return self._json(result)

    def _query_auth(self, request: web.Request) -> None:
        self.backend.authenticate(request.query.get("username"), request.query.get("apiKey"))

    async def upload(self, request: web.Request) -> web.Response:
        # the URL came from get_upload_metadata in an authenticated batch; like a signed URL
        self.backend.blobs[request.match_info["component_id"]] = await request.read()
        return web.Response(status=200)

    async def component_get(self, request: web.Request) -> web.Response:
        try:
            self._query_auth(request)
        except InvalidCredentialsError:
            return web.Response(status=401)
        data = self.backend.blobs.get(request.query.get("id", ""))
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    async def component_remove(self, request: web.Request) -> web.Response:
        try:
            self._query_auth(request)
        except InvalidCredentialsError:
            return web.Response(status=401)
        self.backend.blobs.pop(request.query.get("id", ""), None)
        return web.Response(status=200)

    async def handshake(self, request: web.Request) -> web.Response:
        try:
            user = self.backend.authenticate(
                request.headers.get("ftrack-user"), request.headers.get("ftrack-api-key")
            )
        except InvalidCredentialsError:
            return web.Response(status=401, text="invalid credentials")
        return web.Response(text=self.hub.handshake_body(self.hub.new_session(user.username)))

    async def emu_dump(self, request: web.Request) -> web.Response:
        return self._json(self.control.dump())

    async def emu_load(self, request: web.Request) -> web.Response:
        self.control.load(await request.json())
        return self._json({"ok": True})

    async def emu_reset(self, request: web.Request) -> web.Response:
        self.control.reset()
        return self._json({"ok": True})

    async def emu_publish(self, request: web.Request) -> web.Response:
        delivered = self.hub.publish(await request.json())
        return self._json({"delivered": delivered})

    async def emu_ui_change(self, request: web.Request) -> web.Response:
        """Body: ``{"username", "application_id"?, "batch": [...]}`` applied as that user."""
        body = await request.json()
        ui = self.control.as_user(
            str(body["username"]), str(body.get("application_id", "ftrack.client.web"))
        )
        try:
            result = ui.call(body["batch"])
        except FtrackServerError as error:
            return self._json(Backend.error_body(error), error.status)
        return self._json(result)

    async def emu_stats(self, request: web.Request) -> web.Response:
        return self._json({**self.backend.stats.as_dict(), "tcp_nodelay": _nodelay_of(request)})


class FtrackEmulator:
    """A local ftrack server that the unmodified ``ftrack_api`` client runs against."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        api_user: str = "admin",
        api_key: str | None = None,
        seed: int = 0,
        latency_s: float = 0.0,
        error_rate: float = 0.0,
        heartbeat_s: float = 10.0,
    ) -> None:
        if host not in ("127.0.0.1", "localhost"):
            raise ValueError("the emulator only binds to the loopback interface")
        self._host = "127.0.0.1"
        self._port = port
        self._api_user = api_user
        self._api_key = api_key or secrets.token_hex(16)
        self.backend = Backend()
        seed_baseline(self.backend.store)
        self.backend.add_user(api_user, self._api_key, first_name="API", last_name="User")
        self.hub = EventHub(heartbeat_s=heartbeat_s)
        self.faults = FaultConfig(latency_s=latency_s, error_rate=error_rate)
        self.control = Control(self.backend, self.faults, self._publish_threadsafe, api_user)
        self.control.seed_rng(seed)
        self.control.on_reset.append(self.hub.log.clear)
        self.backend.publish = self._publish_threadsafe
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._stopped = threading.Event()
        self._start_error: BaseException | None = None

    # -- properties -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._port}"

    @property
    def port(self) -> int:
        return self._port

    @property
    def api_user(self) -> str:
        return self._api_user

    @property
    def api_key(self) -> str:
        return self._api_key

    @property
    def stats(self) -> Stats:
        return self.backend.stats

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> FtrackEmulator:
        if self._thread is not None:
            return self
        self._thread = threading.Thread(target=self._run, name="ftrack-emulator", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._start_error is not None:
            raise RuntimeError("ftrack emulator failed to start") from self._start_error
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        except BaseException as error:  # surfaced to start()
            self._start_error = error
            self._ready.set()
        finally:
            loop.close()
            self._stopped.set()

    async def _serve(self) -> None:
        app = _App(self.backend, self.hub, self.faults, self.control).build()
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port, reuse_address=True)
        await site.start()
        server = site._server
        if server is not None:
            for sock in getattr(server, "sockets", ()):
                self._port = sock.getsockname()[1]
                try:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                except OSError:
                    pass
        self.backend.base_url = self.url
        self._stop_future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._ready.set()
        await self._stop_future
        await self.hub.close_all()
        await self._runner.cleanup()

    def stop(self) -> None:
        loop = self._loop
        if loop is None or self._thread is None:
            return
        if not loop.is_closed():

            def _finish() -> None:
                if not self._stop_future.done():
                    self._stop_future.set_result(None)

            try:
                loop.call_soon_threadsafe(_finish)
            except RuntimeError:
                pass
        self._thread.join(15)
        self._thread = None

    def __enter__(self) -> FtrackEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- events -----------------------------------------------------------------------------
    def _publish_threadsafe(self, event: dict[str, Any]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self.hub.publish(event)
        else:
            loop.call_soon_threadsafe(self.hub.publish, event)

    def session_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``ftrack_api.Session`` pointed at this emulator."""
        return {
            "server_url": self.url,
            "api_key": self._api_key,
            "api_user": self._api_user,
            "schema_cache_path": False,
        }
