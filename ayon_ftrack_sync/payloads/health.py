"""Payloads of the health check that `doctor --worker` runs through a real worker."""

from __future__ import annotations

from pydantic import BaseModel


class PingRequest(BaseModel):
    """Who asks; echoed back so a caller can tell its own round trip apart."""

    requested_by: str


class WorkerIdentity(BaseModel):
    """Which worker process answered, and with which product version."""

    requested_by: str
    hostname: str
    pid: int
    product_version: str
