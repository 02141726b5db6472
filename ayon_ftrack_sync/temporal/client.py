"""The one way this product connects to Temporal: pydantic payloads, TLS / API key, timeouts."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, TLSConfig

from ayon_ftrack_sync.config import TemporalConfig
from ayon_ftrack_sync.logging_setup import redact


class TemporalUnavailable(RuntimeError):
    """Temporal could not be reached; the message says where and why, without secrets."""


def tls_config(config: TemporalConfig) -> TLSConfig | bool:
    """TLS for the connection: mTLS files when given, plain TLS for API keys, else none."""
    if config.tls_client_cert_path or config.tls_server_ca_cert_path:
        return TLSConfig(
            client_cert=_read(config.tls_client_cert_path),
            client_private_key=_read(config.tls_client_key_path),
            server_root_ca_cert=_read(config.tls_server_ca_cert_path),
        )
    return config.uses_tls


async def connect(
    config: TemporalConfig,
    *,
    identity: str | None = None,
    connect_timeout: timedelta = timedelta(seconds=10),
) -> Client:
    """Connect with the pydantic data converter (every payload of this product is a model).

    A server that is still starting ("Frontend is not healthy yet") is waited for, within
    `connect_timeout`: a worker started together with its server must not give up on it."""
    api_key = config.api_key.get_secret_value() if config.api_key else None
    deadline = time.monotonic() + connect_timeout.total_seconds()
    while True:
        try:
            return await Client.connect(
                config.address,
                namespace=config.namespace,
                api_key=api_key,
                tls=tls_config(config),
                data_converter=pydantic_data_converter,
                identity=identity,
                connect_timeout=connect_timeout,
            )
        except (RuntimeError, RPCError, OSError) as exc:
            if _STARTING in str(exc) and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
                continue
            raise TemporalUnavailable(
                f"cannot reach Temporal at {config.address} (namespace {config.namespace}): "
                f"{_first_line(exc, api_key)}"
            ) from None


#: what a Temporal frontend answers while it starts
_STARTING = "not healthy yet"


_KNOWN_REASONS = (
    ("ConnectionRefused", "connection refused"),
    ("dns error", "host name not found"),
    ("timed out", "timed out"),
    ("Timeout", "timed out"),
    ("InvalidCertificate", "TLS certificate rejected"),
    ("Unauthenticated", "credentials rejected"),
    ("PermissionDenied", "permission denied"),
)


def _read(path: object) -> bytes | None:
    if path is None:
        return None
    from pathlib import Path

    return Path(str(path)).read_bytes()


def _first_line(exc: BaseException, secret: str | None) -> str:
    """A short reason: the Rust core's transport errors are long nested reprs."""
    raw = str(exc).strip()
    for marker, reason in _KNOWN_REASONS:
        if marker in raw:
            return reason
    return redact(raw.splitlines()[0] if raw else type(exc).__name__, secret)
