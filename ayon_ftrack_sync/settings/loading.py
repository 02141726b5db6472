"""Where settings come from: a JSON/TOML file (standalone) or the AYON server (the source).

Both paths end in :func:`parse_settings`, so a file and the server are validated identically
and produce the same :class:`SyncSettings` for the same content.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from .errors import SettingsError
from .model import SyncSettings

if TYPE_CHECKING:
    from ayon_api import ServerAPI


def parse_settings(data: object, *, source: str | None = None) -> SyncSettings:
    """Validate settings data (complete or partial) into :class:`SyncSettings`.

    Missing keys take the addon defaults. Raises :class:`SettingsError` naming every bad key;
    the pydantic error is not chained because its text repeats the input values.
    """
    if not isinstance(data, Mapping):
        problem = f"settings must be a table of keys and values, not {type(data).__name__}"
        raise SettingsError([("", problem)], source=source)
    try:
        return SyncSettings.model_validate(data)
    except ValidationError as exc:
        raise SettingsError.from_validation_error(exc, source=source) from None


def load_settings_file(path: str | os.PathLike[str]) -> SyncSettings:
    """Read settings from a ``.json`` or ``.toml`` file (by suffix); missing keys are defaults.

    The file holds the same keys as the AYON addon settings (for example the output of
    ``SyncSettings().model_dump(mode="json")``), any subset of them.
    """
    file_path = Path(path)
    source = str(file_path)
    suffix = file_path.suffix.lower()
    if suffix not in (".json", ".toml"):
        raise SettingsError(
            [("", f"unsupported settings file type {suffix or '(none)'!r}; use .json or .toml")],
            source=source,
        )
    try:
        text = file_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SettingsError([("", f"cannot read file: {reason}")], source=source) from None
    data = _decode(text, suffix, source)
    return parse_settings(data, source=source)


def _decode(text: str, suffix: str, source: str) -> Any:
    # Decoder messages carry only position information, never document content.
    if suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            problem = f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
            raise SettingsError([("", problem)], source=source) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError([("", f"not valid TOML: {exc}")], source=source) from None


def load_settings_from_ayon(
    api: ServerAPI,
    *,
    addon_name: str,
    addon_version: str,
    project_name: str | None,
    variant: str = "production",
) -> SyncSettings:
    """Read the addon settings from AYON through ayon-python-api.

    Without a project these are the studio settings; with one, the server returns the project
    settings with its overrides already applied over the studio ones. Site overrides are not
    requested (a service has no site). HTTP failures (unreachable server, unknown project or
    addon version) propagate as ayon-python-api's exceptions, so callers can retry them;
    only bad content raises :class:`SettingsError`.
    """
    if project_name is None:
        data = api.get_addon_studio_settings(addon_name, addon_version, variant=variant)
        scope = "studio"
    else:
        data = api.get_addon_project_settings(
            addon_name, addon_version, project_name, variant=variant, use_site=False
        )
        scope = f"project {project_name!r}"
    source = f"AYON settings of addon {addon_name} {addon_version} ({scope}, variant {variant!r})"
    return parse_settings(data, source=source)
