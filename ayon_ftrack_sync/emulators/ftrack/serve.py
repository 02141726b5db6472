"""Standalone emulator process (``ayon-ftrack-sync emulate ftrack``)."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from types import FrameType

from .server import FtrackEmulator


def serve_forever(
    host: str,
    port: int,
    *,
    api_user: str,
    api_key: str,
    seed_project: str | None = None,
    seed: int = 0,
    latency_s: float = 0.0,
    error_rate: float = 0.0,
    state_file: str | None = None,
) -> None:
    """Run until SIGINT/SIGTERM. ``state_file`` is loaded at start (if present) and written
    back on exit, so a dev instance keeps its data between runs."""
    emulator = FtrackEmulator(
        host,
        port,
        api_user=api_user,
        api_key=api_key,
        seed=seed,
        latency_s=latency_s,
        error_rate=error_rate,
    )
    state_path = Path(state_file) if state_file else None
    if state_path is not None and state_path.exists():
        emulator.control.load(json.loads(state_path.read_text()))
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    emulator.start()
    try:
        if seed_project and not emulator.control.query(
            f'select id from Project where name is "{seed_project}"'
        ):
            project_id = emulator.control.generate_project(seed_project, 3, 5, 3)
            print(f"seeded project {seed_project} ({project_id})", flush=True)
        print(f"ftrack emulator listening on {emulator.url}", flush=True)
        print(f"  FTRACK_SERVER={emulator.url}", flush=True)
        print(f"  FTRACK_API_USER={emulator.api_user}", flush=True)
        print(
            f"  FTRACK_API_KEY={emulator.api_key}  (local emulator key, not a secret)", flush=True
        )
        while not stop.wait(0.5):
            pass
    finally:
        if state_path is not None:
            state_path.write_text(json.dumps(emulator.control.dump()))
        emulator.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
