"""The ``POST /api`` batch protocol: authentication, dispatch, atomic batches, error shapes.

This layer is transport-free (the aiohttp handler passes decoded JSON in and gets a status and a
JSON-able body back), so it is also what the in-process control API drives.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import (
    FtrackServerError,
    InvalidActionError,
    InvalidCredentialsError,
    ValidationError,
)
from .events import Actor, UpdateEventBuilder
from .model import Model
from .query.evaluator import Evaluator, ResultCache
from .query.parser import parse_query
from .schemas import SchemaRegistry, TypeDef, registry
from .store import Record, Store
from .values import encode_value
from .writer import WriteOptions, Writer

SERVER_VERSION = "4.13.8"
WRITE_ACTIONS = {"create", "update", "delete", "reset_remote", "encode_media"}


@dataclass
class ApiUser:
    id: str
    username: str
    api_key: str | None
    first_name: str = ""
    last_name: str = ""

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.username


@dataclass
class Stats:
    """Request counters; ``reset()`` between benchmark phases or tests."""

    http_requests: int = 0
    batches: int = 0
    actions: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    events_published: int = 0
    busy_s: float = 0.0  # time spent serving /api (decode, execute, encode), no latency

    def reset(self) -> None:
        self.http_requests = 0
        self.batches = 0
        self.actions = Counter()
        self.errors = 0
        self.events_published = 0
        self.busy_s = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "http_requests": self.http_requests,
            "batches": self.batches,
            "actions": dict(self.actions),
            "errors": self.errors,
            "events_published": self.events_published,
            "busy_s": round(self.busy_s, 6),
        }


class Backend:
    """Server state and the batch dispatcher. All access goes through ``lock``."""

    def __init__(self, reg: SchemaRegistry | None = None) -> None:
        self.reg = reg or registry()
        self.store = Store(self.reg)
        self.model = Model(self.reg, self.store)
        self.lock = threading.RLock()
        self.users: dict[str, ApiUser] = {}
        self.stats = Stats()
        self.options = WriteOptions()
        self.emit_api_events = True
        self.api_application_id = "ftrack.api"
        self.publish: Callable[[dict[str, Any]], None] = lambda event: None
        self.request_log: list[list[dict[str, Any]]] = []
        self.keep_request_log = False
        self.query_cache = ResultCache()
        self.base_url = ""
        self.blobs: dict[str, bytes] = {}  # component id -> data of the ftrack.server location

    # -- users ------------------------------------------------------------------------------
    def add_user(
        self,
        username: str,
        api_key: str | None = None,
        *,
        user_id: str | None = None,
        first_name: str = "",
        last_name: str = "",
    ) -> ApiUser:
        with self.lock:
            existing = next(self.store.lookup("User", "username", username), None)
            uid = user_id or (existing["id"] if existing else str(uuid.uuid4()))
            if existing is None:
                self.store.put(
                    "User",
                    {
                        "__entity_type__": "User",
                        "id": uid,
                        "username": username,
                        "first_name": first_name,
                        "last_name": last_name,
                        "email": None,
                        "is_active": True,
                        "is_otp_enabled": False,
                        "is_totp_enabled": False,
                        "require_details_update": False,
                        "resource_type": "user",
                        "thumbnail_id": None,
                    },
                )
            user = ApiUser(uid, username, api_key, first_name, last_name)
            self.users[username] = user
            return user

    def authenticate(self, username: str | None, api_key: str | None) -> ApiUser:
        user = self.users.get(username or "")
        if user is None or user.api_key is None or user.api_key != api_key:
            raise InvalidCredentialsError("The supplied API key is not valid for the given user.")
        return user

    # -- batches ----------------------------------------------------------------------------
    def handle(self, batch: Any, user: ApiUser, *, actor: Actor | None = None) -> Any:
        """Run one batch atomically; returns the result list or raises FtrackServerError."""
        if not isinstance(batch, list):
            raise ValidationError("The request body must be a list of actions.")
        with self.lock:
            self.stats.batches += 1
            if self.keep_request_log:
                self.request_log.append(batch)
            writes = any(isinstance(a, dict) and a.get("action") in WRITE_ACTIONS for a in batch)
            if not writes:
                return [self._dispatch(action, user, None) for action in batch]
            writer = Writer(
                self.model,
                WriteOptions(
                    unique_sibling_names=self.options.unique_sibling_names,
                    acting_user_id=(actor.user_id if actor else user.id),
                ),
            )
            builder = UpdateEventBuilder(self.model)
            writer.listener = builder.add
            self.store.begin()
            try:
                results = [self._dispatch(action, user, writer) for action in batch]
            except BaseException:
                self.store.rollback()
                raise
            self.store.commit()
            event = None
            if actor is not None or self.emit_api_events:
                event = builder.build(
                    actor
                    or Actor(user.id, user.username, user.display_name, self.api_application_id)
                )
        if event is not None:
            self.stats.events_published += 1
            self.publish(event)
        return results

    def _dispatch(self, action: Any, user: ApiUser, writer: Writer | None) -> Any:
        if not isinstance(action, dict):
            raise ValidationError("Each batch item must be an object.")
        name = str(action.get("action"))
        self.stats.actions[name] += 1
        if name == "query_server_information":
            return self.server_information(user)
        if name == "query_schemas":
            return self.reg.schemas
        if name == "query":
            return self._query(action)
        if name in WRITE_ACTIONS:
            assert writer is not None
            return self._write(name, action, writer)
        if name == "get_widget_url":
            return {"widget_url": f"/widget/{action.get('name', '')}"}
        if name == "get_upload_metadata":
            return {
                "url": f"{self.base_url}/_upload/{action.get('component_id')}",
                "headers": {"Content-Type": "application/octet-stream"},
            }
        if name in ("send_user_invite", "send_review_session_invite"):
            return {"sent": True}
        if name == "permissions":
            return {"action": "permissions", "data": {}}
        raise InvalidActionError(f"Invalid action '{name}'")

    def server_information(self, user: ApiUser) -> dict[str, Any]:
        return {
            "version": SERVER_VERSION,
            "schema_hash": self.reg.schema_hash,
            "storage_scenario": {"scenario": "ftrack.automatic", "data": {}},
            "is_timezone_support_enabled": True,
            "user_information": {"id": user.id, "username": user.username},
        }

    def _query(self, action: dict[str, Any]) -> dict[str, Any]:
        expression = action.get("expression")
        if not isinstance(expression, str):
            raise ValidationError("A query needs an expression.")
        query = parse_query(expression.strip())
        data, next_offset = Evaluator(self.model, self.query_cache).run(query)
        return {"action": "query", "data": data, "metadata": {"next": {"offset": next_offset}}}

    def _write(self, name: str, action: dict[str, Any], writer: Writer) -> dict[str, Any]:
        entity_type = str(action.get("entity_type"))
        entity_key = action.get("entity_key")
        data = action.get("entity_data") or {}
        if name == "create":
            record = writer.create(entity_type, entity_key, data)
            return {"action": "create", "data": self.serialise_record(record)}
        if name == "update":
            record = writer.update(entity_type, entity_key, data)
            return {"action": "update", "data": self.serialise_record(record)}
        if name == "delete":
            writer.delete(entity_type, entity_key)
            return {"action": "delete", "data": True}
        if name == "reset_remote":
            attribute = str(action.get("reset_type"))
            t = self.reg.get(entity_type)
            prop = t.props.get(attribute)
            default = prop.default if prop is not None and prop.has_default else None
            record = writer.update(entity_type, entity_key, {attribute: default})
            return {"action": "reset_remote", "data": self.serialise_record(record)}
        job = writer.create("Job", [str(uuid.uuid4())], {"status": "done", "type": "encode_media"})
        return {"job_id": job["id"]}

    def serialise_record(self, record: Record) -> dict[str, Any]:
        """Full persisted scalar record, as create/update responses carry it."""
        t: TypeDef = self.reg.get(record["__entity_type__"])
        out: dict[str, Any] = {"__entity_type__": record["__entity_type__"]}
        for name, value in record.items():
            if name == "__entity_type__":
                continue
            prop = t.props.get(name)
            if prop is None or prop.kind != "scalar" or value is None:
                continue  # the real server leaves nulls out, so the client loads them lazily
            out[name] = encode_value(value, prop)
        return out

    def control_find_config(self, entity_id: str, key: str) -> str:
        """Id of the configuration ``key`` that applies to ``entity_id`` (for test helpers)."""
        with self.lock:
            for family in ("Context", "AssetVersion", "User", "Asset", "List"):
                record = self.model.get(family, entity_id)
                if record is not None:
                    for conf in self.model.configs_for(record):
                        if conf.get("key") == key:
                            return str(conf["id"])
                    raise KeyError(f"no custom attribute {key!r} on {entity_id}")
        raise KeyError(f"no entity {entity_id}")

    @staticmethod
    def error_body(error: FtrackServerError) -> dict[str, Any]:
        return {
            "exception": error.exception_name,
            "content": error.content,
            "error_code": error.error_code,
        }
