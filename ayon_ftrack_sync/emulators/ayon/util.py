"""Small helpers shared by every module: ids and timestamps."""

from __future__ import annotations

import random
from datetime import UTC, datetime


class IdFactory:
    """32-hex ids from a seeded RNG, so a seeded emulator produces reproducible ids."""

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(seed)

    def new(self) -> str:
        return f"{self._rng.getrandbits(128):032x}"


def now_iso() -> str:
    """Timestamp in the server's format, e.g. `2026-11-23T21:45:54.793848+00:00`."""
    return datetime.now(UTC).isoformat()


def parse_iso(value: str) -> datetime:
    """Parse an ISO timestamp; naive values are taken as UTC."""
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt
