"""AYON server emulator: the real ayon-python-api runs against it unmodified.

Usage::

    with AyonEmulator() as server:              # 127.0.0.1, free port, own thread
        api = ayon_api.ServerAPI(server.url, token=server.api_key, sender_type="ftrack")
        server.control.seed_demo_project("demo")
        ...

`server.api_key` belongs to the service user (`X-Api-Key`); `server.admin_credentials`
log in with a password (Bearer session token). `server.control` offers knobs (latency,
error rate, 503 bursts), dump/load/reset, addon settings and read helpers for assertions;
`server.stats` counts HTTP requests per route. `serve.serve_forever` runs it standalone.
"""

from __future__ import annotations

from .server import AyonEmulator

__all__ = ["AyonEmulator"]
