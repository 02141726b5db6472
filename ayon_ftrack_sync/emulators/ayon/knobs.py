"""Fault-injection knobs and request statistics, applied by middleware."""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Knobs:
    """Per-request latency, random error rate and 503 bursts (thread-safe setters)."""

    latency_s: float = 0.0
    error_rate: float = 0.0
    error_status: int = 500
    burst_503: int = 0
    # polls of a background operation answered "in_progress" before "completed" (the real
    # server's first poll usually is; 0 keeps EntityHub commits fast)
    background_polls: int = 0
    seed: int = 0
    _rng: random.Random = field(default_factory=random.Random)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rng.seed(self.seed)

    def take_burst(self) -> bool:
        with self._lock:
            if self.burst_503 > 0:
                self.burst_503 -= 1
                return True
            return False

    def roll_error(self) -> bool:
        with self._lock:
            return self.error_rate > 0 and self._rng.random() < self.error_rate


@dataclass
class Stats:
    """HTTP request counts: total and per `METHOD route-pattern`."""

    total: int = 0
    by_route: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, key: str) -> None:
        with self._lock:
            self.total += 1
            self.by_route[key] += 1

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return {"total": self.total, "by_route": dict(self.by_route)}

    def reset(self) -> None:
        with self._lock:
            self.total = 0
            self.by_route.clear()
