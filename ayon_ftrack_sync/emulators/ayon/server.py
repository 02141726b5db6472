"""`AyonEmulator`: the emulated AYON server running in its own thread and event loop."""

from __future__ import annotations

import asyncio
import secrets
import socket
import threading
from types import TracebackType
from typing import Any

from aiohttp import web

from .app import build_app
from .control import Control
from .defaults import ADMIN_NAME, ADMIN_PASSWORD
from .knobs import Knobs, Stats
from .store import State


class _StatsView:
    """Read/reset access to request counters (`total`, `by_route`)."""

    def __init__(self, stats: Stats) -> None:
        self._stats = stats

    @property
    def total(self) -> int:
        return self._stats.total

    @property
    def by_route(self) -> dict[str, int]:
        return dict(self._stats.by_route)

    def snapshot(self) -> dict[str, object]:
        return self._stats.snapshot()

    def reset(self) -> None:
        self._stats.reset()


def listen_socket(host: str, port: int) -> socket.socket:
    """Listening socket with TCP_NODELAY set (accepted sockets inherit it on Linux)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(256)
    sock.setblocking(False)
    return sock


class AyonEmulator:
    """An AYON server the real `ayon_api` client talks to over HTTP and websockets."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        api_key: str | None = None,
        seed: int = 0,
        latency_s: float = 0.0,
        error_rate: float = 0.0,
    ) -> None:
        self.host = host
        self._port = port
        self._api_key = api_key or secrets.token_hex(16)
        self.state = State(self._api_key, seed=seed)
        self.knobs = Knobs(latency_s=latency_s, error_rate=error_rate, seed=seed)
        self._stats = Stats()
        self.control = Control(self.state, self.knobs)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def api_key(self) -> str:
        return self._api_key

    @property
    def admin_credentials(self) -> tuple[str, str]:
        """Name and password of the built-in admin (for `ServerAPI.login`)."""
        return ADMIN_NAME, ADMIN_PASSWORD

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._port}"

    @property
    def port(self) -> int:
        return self._port

    @property
    def stats(self) -> _StatsView:
        return _StatsView(self._stats)

    def start(self) -> AyonEmulator:
        """Start serving; returns once the socket listens."""
        if self._thread is not None:
            return self
        self._thread = threading.Thread(target=self._run, name="ayon-emulator", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=30)
        if self._error is not None:
            raise RuntimeError("AYON emulator failed to start") from self._error
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._shutdown())
            loop.close()

    async def _serve(self) -> None:
        app = build_app(self.state, self.knobs, self._stats)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        sock = listen_socket(self.host, self._port)
        self._port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        self._thread = None
        self._loop = None

    def __enter__(self) -> AyonEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"AyonEmulator(url={self.url!r})"

    def info(self) -> dict[str, Any]:
        return {"url": self.url, "projects": self.control.project_names()}
