"""Blocking entry point for `ayon-ftrack-sync emulate ayon`."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from types import FrameType

from .server import AyonEmulator


def serve_forever(
    host: str,
    port: int,
    *,
    api_key: str,
    seed_project: str | None = None,
    latency_s: float = 0.0,
    error_rate: float = 0.0,
    state_file: str | None = None,
) -> None:
    """Run until SIGINT/SIGTERM; loads `state_file` if it exists and saves it on exit."""
    stop = threading.Event()
    emulator = AyonEmulator(host, port, api_key=api_key, latency_s=latency_s, error_rate=error_rate)
    path = Path(state_file) if state_file else None
    if path is not None and path.exists():
        emulator.control.load(json.loads(path.read_text("utf-8")))
    emulator.start()
    if seed_project and seed_project not in emulator.control.project_names():
        emulator.control.seed_demo_project(seed_project)

    def _handler(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    print(f"AYON emulator listening on {emulator.url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        if path is not None:
            path.write_text(json.dumps(emulator.control.dump()), "utf-8")
        emulator.stop()
        for sig, old in previous.items():
            signal.signal(sig, old)
