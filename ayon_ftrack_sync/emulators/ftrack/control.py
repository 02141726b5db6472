"""Test control of the emulator: seeding, fault knobs, changes "as the web UI", raw events,
dump/load and reset. Everything here is in-process; ``server.py`` exposes the same over
``/_emu/*`` for out-of-process use."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from .api import ApiUser, Backend
from .events import Actor
from .generator import generate_project as _generate_project
from .seed import add_attribute, add_ayon_attributes, add_frame_attributes, seed_baseline


@dataclass
class FaultConfig:
    """Latency and injected failures, applied per ``/api`` request before the batch runs."""

    latency_s: float = 0.0
    error_rate: float = 0.0
    kinds: tuple[str, ...] = ("5xx", "timeout")
    timeout_hang_s: float = 1.0
    rng: random.Random = field(default_factory=random.Random)

    def pick_failure(self) -> str | None:
        if self.error_rate <= 0 or self.rng.random() >= self.error_rate:
            return None
        return self.rng.choice(self.kinds)


class UiSession:
    """Makes changes attributed to another user and application (default: the web UI)."""

    def __init__(self, backend: Backend, user: ApiUser, application_id: str) -> None:
        self.backend = backend
        self.user = user
        self.actor = Actor(user.id, user.username, user.display_name, application_id)

    def __enter__(self) -> UiSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def call(self, batch: list[dict[str, Any]]) -> Any:
        return self.backend.handle(batch, self.user, actor=self.actor)

    def create(self, entity_type: str, data: dict[str, Any]) -> dict[str, Any]:
        t = self.backend.reg.get(entity_type)
        data = dict(data)
        if t.single_pk:
            data.setdefault("id", str(uuid.uuid4()))
        key = [data.get(name) for name in t.primary_key]
        result = self.call(
            [
                {
                    "action": "create",
                    "entity_type": entity_type,
                    "entity_key": key,
                    "entity_data": data,
                }
            ]
        )
        return result[0]["data"]

    def update(self, entity_type: str, entity_id: Any, data: dict[str, Any]) -> dict[str, Any]:
        key = entity_id if isinstance(entity_id, list) else [entity_id]
        result = self.call(
            [
                {
                    "action": "update",
                    "entity_type": entity_type,
                    "entity_key": key,
                    "entity_data": data,
                }
            ]
        )
        return result[0]["data"]

    def delete(self, entity_type: str, entity_id: Any) -> None:
        key = entity_id if isinstance(entity_id, list) else [entity_id]
        self.call([{"action": "delete", "entity_type": entity_type, "entity_key": key}])

    def set_custom_attribute(self, entity_id: str, key: str, value: Any) -> None:
        conf_id = self.backend.control_find_config(entity_id, key)
        self.call(
            [
                {
                    "action": "update",
                    "entity_type": "ContextCustomAttributeValue",
                    "entity_key": [conf_id, entity_id],
                    "entity_data": {"value": value},
                }
            ]
        )


class Control:
    """The handle tests use (``emulator.control``)."""

    def __init__(
        self,
        backend: Backend,
        faults: FaultConfig,
        publish: Callable[[dict[str, Any]], None],
        api_user: str,
    ) -> None:
        self.backend = backend
        self.faults = faults
        self._publish = publish
        self._api_user = api_user
        self._seed = 0
        self.on_reset: list[Callable[[], None]] = []

    # -- data -------------------------------------------------------------------------------
    def generate_project(
        self, name: str, sequences: int = 2, shots: int = 3, tasks: int = 2, **kwargs: Any
    ) -> str:
        kwargs.setdefault("seed", self._seed)
        return _generate_project(self.backend, name, sequences, shots, tasks, **kwargs)

    def add_ayon_attributes(self) -> dict[str, str]:
        with self.backend.lock:
            return add_ayon_attributes(self.backend.store)

    def add_frame_attributes(self) -> dict[str, str]:
        with self.backend.lock:
            return add_frame_attributes(self.backend.store)

    def add_custom_attribute(self, key: str, type_name: str, **kwargs: Any) -> str:
        with self.backend.lock:
            return add_attribute(self.backend.store, key, type_name, **kwargs)

    def add_user(self, username: str, api_key: str | None = None, **kwargs: Any) -> ApiUser:
        return self.backend.add_user(username, api_key, **kwargs)

    def as_user(self, username: str, application_id: str = "ftrack.client.web") -> UiSession:
        user = self.backend.users.get(username) or self.backend.add_user(
            username, None, first_name=username.split(".")[0].title()
        )
        return UiSession(self.backend, user, application_id)

    def query(self, expression: str) -> list[dict[str, Any]]:
        """Run a query server-side (no HTTP), handy for assertions."""
        user = self.backend.users[self._api_user]
        result = self.backend.handle([{"action": "query", "expression": expression}], user)
        return result[0]["data"]

    # -- knobs ------------------------------------------------------------------------------
    def set_latency(self, seconds: float) -> None:
        self.faults.latency_s = max(0.0, float(seconds))

    def set_error_rate(
        self,
        rate: float,
        kinds: tuple[str, ...] = ("5xx", "timeout"),
        timeout_hang_s: float | None = None,
    ) -> None:
        unknown = set(kinds) - {"5xx", "timeout"}
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
        self.faults.error_rate = max(0.0, min(1.0, float(rate)))
        self.faults.kinds = tuple(kinds)
        if timeout_hang_s is not None:
            self.faults.timeout_hang_s = timeout_hang_s

    def set_emit_api_events(self, enabled: bool) -> None:
        self.backend.emit_api_events = enabled

    def set_api_application_id(self, application_id: str) -> None:
        """``source.applicationId`` of events for API changes (unknown on real servers)."""
        self.backend.api_application_id = application_id

    def set_unique_sibling_names(self, enabled: bool) -> None:
        self.backend.options.unique_sibling_names = enabled

    def seed_rng(self, seed: int) -> None:
        self._seed = seed
        self.faults.rng.seed(seed)

    # -- events -----------------------------------------------------------------------------
    def emit_event(self, event: dict[str, Any]) -> None:
        """Inject any hub event (e.g. ``ftrack.action.launch`` from the UI)."""
        self._publish(dict(event))

    # -- state ------------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        with self.backend.lock:
            return {"format": "ftrack-emulator/1", "tables": self.backend.store.dump()}

    def load(self, data: dict[str, Any]) -> None:
        with self.backend.lock:
            self.backend.store.load(data["tables"])
            for user in self.backend.users.values():
                if self.backend.store.get("User", user.id) is None:
                    self.backend.add_user(user.username, user.api_key, user_id=user.id)

    def reset(self) -> None:
        """Back to the baseline: only seeded rows and the configured API users."""
        with self.backend.lock:
            self.backend.store.clear()
            seed_baseline(self.backend.store)
            users = list(self.backend.users.values())
            self.backend.users.clear()
            for user in users:
                if user.api_key is not None:
                    self.backend.add_user(
                        user.username,
                        user.api_key,
                        user_id=user.id,
                        first_name=user.first_name,
                        last_name=user.last_name,
                    )
            self.backend.stats.reset()
            self.backend.emit_api_events = True
            self.backend.api_application_id = "ftrack.api"
            self.backend.options.unique_sibling_names = True
        self.faults.latency_s = 0.0
        self.faults.error_rate = 0.0
        for hook in self.on_reset:
            hook()
