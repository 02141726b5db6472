"""Runtime configuration: where Temporal, ftrack and AYON are, and how to authenticate.

One typed config object, built from (highest precedence first) CLI flags, environment
variables, a `.env` file and defaults. Environment names are the ones operators already use:
Temporal's own `TEMPORAL_*`, ftrack-python-api's `FTRACK_*`, and the variables the AYON
service host (ASH) injects (`AYON_SERVER_URL`, `AYON_API_KEY`, `AYON_ADDON_NAME`,
`AYON_ADDON_VERSION`, `AYON_SERVICE_NAME`). Everything specific to this product is prefixed
`AYON_FTRACK_SYNC_`.

Secrets are `SecretStr`: their repr, str and JSON dumps are masked, so a config can be logged
or shown by `ayon-ftrack-sync config` without leaking a key.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Default location of the dotenv file, relative to the working directory.
DEFAULT_ENV_FILE = Path(".env")
#: Env var naming another dotenv file (so a container can point at a mounted one).
ENV_FILE_VARIABLE = "AYON_FTRACK_SYNC_ENV_FILE"

#: AYON writes of this service carry this sender type; the AYON listener ignores it (loop guard).
AYON_SENDER_TYPE = "ftrack"


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the offending setting."""


def _settings_config() -> SettingsConfigDict:
    return SettingsConfigDict(
        env_file=None,
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )


class TemporalConfig(BaseSettings):
    """How to reach the Temporal cluster (or the embedded dev server)."""

    model_config = _settings_config()

    address: str = Field(
        "localhost:7233",
        validation_alias="TEMPORAL_ADDRESS",
        description="host:port of the Temporal frontend",
    )
    namespace: str = Field(
        "default",
        validation_alias="TEMPORAL_NAMESPACE",
        description="Temporal namespace",
    )
    task_queue: str = Field(
        "ftrack-sync",
        validation_alias="AYON_FTRACK_SYNC_TASK_QUEUE",
        description="task queue the workers poll",
    )
    tls: bool = Field(
        False,
        validation_alias="TEMPORAL_TLS",
        description="use TLS to reach Temporal (implied by an API key or a client cert)",
    )
    tls_client_cert_path: Path | None = Field(
        None,
        validation_alias="TEMPORAL_TLS_CLIENT_CERT_PATH",
        description="mTLS client certificate (PEM)",
    )
    tls_client_key_path: Path | None = Field(
        None,
        validation_alias="TEMPORAL_TLS_CLIENT_KEY_PATH",
        description="mTLS client private key (PEM)",
    )
    tls_server_ca_cert_path: Path | None = Field(
        None,
        validation_alias="TEMPORAL_TLS_SERVER_CA_CERT_PATH",
        description="CA certificate to verify the server (PEM)",
    )
    api_key: SecretStr | None = Field(
        None,
        validation_alias="TEMPORAL_API_KEY",
        description="Temporal Cloud API key",
    )

    @field_validator("address")
    @classmethod
    def _address_has_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError(f"expected host:port, got {value!r}")
        return value

    @property
    def uses_tls(self) -> bool:
        return self.tls or self.api_key is not None or self.tls_client_cert_path is not None


class FtrackConfig(BaseSettings):
    """ftrack server and the API user the service acts as."""

    model_config = _settings_config()

    server_url: str | None = Field(
        None,
        validation_alias="FTRACK_SERVER",
        description="ftrack server URL, e.g. https://studio.ftrackapp.com",
    )
    api_user: str | None = Field(
        None,
        validation_alias="FTRACK_API_USER",
        description="ftrack API user (the service user)",
    )
    api_key: SecretStr | None = Field(
        None,
        validation_alias="FTRACK_API_KEY",
        description="ftrack API key of that user",
    )

    @field_validator("server_url")
    @classmethod
    def _strip_url(cls, value: str | None) -> str | None:
        return _normalise_url(value)


class AyonConfig(BaseSettings):
    """AYON server, service credentials and the addon identity (as ASH injects them)."""

    model_config = _settings_config()

    server_url: str | None = Field(
        None,
        validation_alias="AYON_SERVER_URL",
        description="AYON server URL",
    )
    api_key: SecretStr | None = Field(
        None,
        validation_alias="AYON_API_KEY",
        description="API key of the AYON service user",
    )
    addon_name: str = Field(
        "ftrack",
        validation_alias="AYON_ADDON_NAME",
        description="AYON addon whose settings drive the sync",
    )
    addon_version: str | None = Field(
        None,
        validation_alias="AYON_ADDON_VERSION",
        description="addon version (ASH sets it; else the bundle's version is used)",
    )
    service_name: str | None = Field(
        None,
        validation_alias="AYON_SERVICE_NAME",
        description="service name, used as AYON event sender (keep it stable)",
    )
    settings_variant: str = Field(
        "production",
        validation_alias="AYON_DEFAULT_SETTINGS_VARIANT",
        description="settings variant (production, staging or a dev bundle)",
    )

    @field_validator("server_url")
    @classmethod
    def _strip_url(cls, value: str | None) -> str | None:
        return _normalise_url(value)

    @property
    def sender(self) -> str:
        """Event sender: the ASH service name, else a stable per-host name."""
        return self.service_name or f"ayon-ftrack-sync@{socket.gethostname()}"

    @property
    def sender_type(self) -> str:
        return AYON_SENDER_TYPE


class ServiceConfig(BaseSettings):
    """Where this product keeps local state and where it finds its tools."""

    model_config = _settings_config()

    state_dir: Path = Field(
        Path(".ayon-ftrack-sync"),
        validation_alias="AYON_FTRACK_SYNC_STATE_DIR",
        description="local state: dev-server database, leecher spool",
    )
    temporal_bin: Path | None = Field(
        None,
        validation_alias="AYON_FTRACK_SYNC_TEMPORAL_BIN",
        description="path of the `temporal` CLI for the embedded dev server",
    )
    settings_file: Path | None = Field(
        None,
        validation_alias="AYON_FTRACK_SYNC_SETTINGS_FILE",
        description="sync settings file (JSON/TOML) used instead of AYON addon settings",
    )
    log_level: str = Field(
        "INFO",
        validation_alias="AYON_FTRACK_SYNC_LOG_LEVEL",
        description="log level of workers and CLI",
    )

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"unknown log level {value!r}")
        return level


class AppConfig(BaseModel):
    """The whole runtime configuration, one section per system."""

    temporal: TemporalConfig
    ftrack: FtrackConfig
    ayon: AyonConfig
    service: ServiceConfig

    def secrets(self) -> list[str]:
        """Plain values of every configured secret, for log redaction."""
        found: list[str] = []
        for section in (self.temporal, self.ftrack, self.ayon):
            key = section.api_key
            if key is not None and key.get_secret_value():
                found.append(key.get_secret_value())
        return found

    def describe(self) -> dict[str, dict[str, str]]:
        """A printable view: every field with secrets masked (set / not set)."""
        view: dict[str, dict[str, str]] = {}
        for name in ("temporal", "ftrack", "ayon", "service"):
            section: BaseSettings = getattr(self, name)
            rows: dict[str, str] = {}
            for field_name in type(section).model_fields:
                value = getattr(section, field_name)
                if isinstance(value, SecretStr):
                    rows[field_name] = "****** (set)" if value.get_secret_value() else "(empty)"
                elif value is None:
                    rows[field_name] = "(not set)"
                else:
                    rows[field_name] = str(value)
            view[name] = rows
        return view


_SECTIONS: dict[str, type[BaseSettings]] = {
    "temporal": TemporalConfig,
    "ftrack": FtrackConfig,
    "ayon": AyonConfig,
    "service": ServiceConfig,
}


def resolve_env_file(env_file: Path | None = None) -> Path | None:
    """The dotenv file to read: explicit, else `$AYON_FTRACK_SYNC_ENV_FILE`, else `./.env`."""
    if env_file is not None:
        return env_file
    named = os.environ.get(ENV_FILE_VARIABLE)
    if named:
        return Path(named)
    return DEFAULT_ENV_FILE if DEFAULT_ENV_FILE.is_file() else None


def load_config(
    env_file: Path | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
) -> AppConfig:
    """Build the config: `overrides` (CLI flags) > environment > dotenv file > defaults.

    `overrides` maps a section name to field values; `None` values mean "flag not given"
    and are dropped so they do not shadow the environment.
    """
    path = resolve_env_file(env_file)
    if path is not None and not path.is_file():
        raise ConfigError(f"env file {path} does not exist")
    given = overrides or {}
    unknown = set(given) - set(_SECTIONS)
    if unknown:
        raise ConfigError(f"unknown config section(s): {', '.join(sorted(unknown))}")
    built: dict[str, BaseSettings] = {}
    for name, section_type in _SECTIONS.items():
        flags = _flags_by_alias(section_type, given.get(name, {}))
        try:
            built[name] = section_type(_env_file=path, **flags)
        except ValidationError as exc:
            raise ConfigError(_format_errors(name, exc)) from None
    return AppConfig.model_validate(built)


def _flags_by_alias(section_type: type[BaseSettings], values: dict[str, Any]) -> dict[str, Any]:
    """Key CLI values by their env alias: fields are only populated by alias, so that a bare
    `API_KEY` in the environment can never leak into every section's `api_key`."""
    flags: dict[str, Any] = {}
    for field_name, value in values.items():
        if value is None:
            continue
        field = section_type.model_fields.get(field_name)
        if field is None:
            raise ConfigError(f"unknown setting {field_name!r}")
        flags[str(field.validation_alias or field_name)] = value
    return flags


def _format_errors(section: str, exc: ValidationError) -> str:
    """One readable line per bad setting; never echoes the offending value (may be a secret)."""
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "?"
        lines.append(f"{section}.{where}: {error['msg']}")
    return "invalid configuration: " + "; ".join(lines)


def _normalise_url(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().rstrip("/")
    if not value:
        return None
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"expected an http(s) URL, got {value!r}")
    return value
