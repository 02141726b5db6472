"""Direct (non-HTTP) control of a running emulator: seeding, knobs, state, assertions."""

from __future__ import annotations

import copy
from typing import Any

from . import entities as ent_domain
from . import projects as proj_domain
from . import settings as st
from .attribs import all_attrib
from .defaults import primary_preset
from .events import Actor, Tx, new_event, store_event
from .knobs import Knobs
from .store import Entity, State, preview_key
from .util import now_iso
from .views import entity_rest


class Control:
    """Handle tests and the CLI use to drive the emulator without going through HTTP."""

    def __init__(self, state: State, knobs: Knobs) -> None:
        self._state = state
        self._knobs = knobs

    # ---------------------------------------------------------------- knobs
    def set_latency(self, seconds: float) -> None:
        self._knobs.latency_s = max(0.0, float(seconds))

    def set_error_rate(self, rate: float, status: int = 500) -> None:
        """Answer this fraction of API requests with `status` (500 by default; 502/503
        are retried by ayon_api after 2 s, 500 is not)."""
        self._knobs.error_rate = min(1.0, max(0.0, float(rate)))
        self._knobs.error_status = int(status)

    def set_background_polls(self, polls: int) -> None:
        """Answer this many polls of a background operation with `in_progress` first."""
        self._knobs.background_polls = max(0, int(polls))

    def burst_503(self, count: int) -> None:
        """The next `count` API requests answer 503 (the client retries them after 2 s)."""
        self._knobs.burst_503 = max(0, int(count))

    # ----------------------------------------------------------------- state
    def dump(self) -> dict[str, Any]:
        return self._state.dump()

    def load(self, raw: dict[str, Any]) -> None:
        self._state.load(raw)

    def reset(self) -> None:
        """Back to a fresh server (same API key); knobs cleared."""
        fresh = State(self._state.api_key)
        with self._state.lock:
            listeners = list(self._state.event_listeners)
            self._state.load(fresh.dump())
            self._state.addons.clear()
            self._state.event_listeners[:] = listeners
        self._knobs.latency_s = 0.0
        self._knobs.error_rate = 0.0
        self._knobs.error_status = 500
        self._knobs.burst_503 = 0
        self._knobs.background_polls = 0

    # --------------------------------------------------------------- seeding
    def _actor(self, sender: str | None = None, sender_type: str | None = None) -> Actor:
        return Actor("admin", sender=sender, sender_type=sender_type, is_admin=True)

    def create_project(self, name: str, code: str | None = None) -> dict[str, Any]:
        with self._state.lock:
            tx = Tx(self._state, self._actor())
            proj_domain.create_project(
                tx,
                {
                    "name": name,
                    "code": code or name[:3].upper() or "PRJ",
                    "anatomy": primary_preset(),
                },
            )
            tx.commit()
            return proj_domain.project_rest(self._state, self._state.projects[name])

    def seed_demo_project(self, name: str = "demo") -> dict[str, Any]:
        """A small realistic project: 2 sequences x 3 shots with tasks, 2 assets."""
        self.create_project(name, code=name[:3].upper() or "DMO")
        ids: dict[str, str] = {}
        with self._state.lock:
            proj = self._state.projects[name]
            tx = Tx(self._state, self._actor(sender="emulator-seed"))
            for sq in ("sq010", "sq020"):
                seq = ent_domain.create(
                    tx, proj, "folder", None, {"name": sq, "folderType": "Sequence"}
                )
                ids[sq] = seq["id"]
                for n in (10, 20, 30):
                    shot_name = f"{sq}_sh{n:03d}"
                    shot = ent_domain.create(
                        tx,
                        proj,
                        "folder",
                        None,
                        {
                            "name": shot_name,
                            "folderType": "Shot",
                            "parentId": seq["id"],
                            "attrib": {"frameStart": 1001, "frameEnd": 1100},
                        },
                    )
                    ids[shot_name] = shot["id"]
                    for task, ttype in (("comp", "Compositing"), ("anim", "Animation")):
                        t = ent_domain.create(
                            tx,
                            proj,
                            "task",
                            None,
                            {"name": task, "taskType": ttype, "folderId": shot["id"]},
                        )
                        ids[f"{shot_name}/{task}"] = t["id"]
            assets = ent_domain.create(
                tx, proj, "folder", None, {"name": "assets", "folderType": "Folder"}
            )
            ids["assets"] = assets["id"]
            for asset in ("hero", "prop"):
                a = ent_domain.create(
                    tx,
                    proj,
                    "folder",
                    None,
                    {"name": asset, "folderType": "Asset", "parentId": assets["id"]},
                )
                ids[asset] = a["id"]
                t = ent_domain.create(
                    tx,
                    proj,
                    "task",
                    None,
                    {"name": "model", "taskType": "Modeling", "folderId": a["id"]},
                )
                ids[f"{asset}/model"] = t["id"]
            tx.commit()
        return {"project": name, "ids": ids}

    def set_addon_settings(
        self,
        addon: str,
        version: str,
        studio: dict[str, Any],
        project_overrides: dict[str, dict[str, Any]] | None = None,
        *,
        variant: str | None = None,
        defaults: dict[str, Any] | None = None,
        requires: list[str] | None = None,
    ) -> None:
        """Install an addon version whose studio settings are `studio`.

        `project_overrides` maps project name -> partial settings deep-merged on top of the
        studio values. Applies to both variants unless `variant` is given.
        """
        with self._state.lock:
            ver = st.register_addon(
                self._state,
                addon,
                version,
                defaults=defaults if defaults is not None else studio,
                requires=requires,
            )
            for var in [variant] if variant else list(st.VARIANTS):
                ver["studio"][var] = st.diff(ver["defaults"], studio)
                ver["projects"][var] = copy.deepcopy(project_overrides or {})

    def register_addon(
        self,
        addon: str,
        version: str,
        *,
        title: str | None = None,
        requires: list[str] | None = None,
        defaults: dict[str, Any] | None = None,
    ) -> None:
        with self._state.lock:
            st.register_addon(
                self._state, addon, version, defaults=defaults, title=title, requires=requires
            )

    def create_user(
        self,
        name: str,
        *,
        password: str | None = None,
        api_key: str | None = None,
        admin: bool = False,
        service: bool = False,
        attrib: dict[str, Any] | None = None,
    ) -> None:
        """Add a user; `api_key` lets it authenticate with `X-Api-Key`."""
        with self._state.lock:
            ts = now_iso()
            data: dict[str, Any] = {"accessGroups": {}, "defaultAccessGroups": []}
            if admin:
                data["isAdmin"] = True
            if service:
                data["isService"] = True
            if api_key:
                data["apiKeyPreview"] = preview_key(api_key)
                self._state.api_keys[api_key] = name
            self._state.users[name] = {
                "name": name,
                "attrib": attrib or {},
                "data": data,
                "active": True,
                "createdAt": ts,
                "updatedAt": ts,
                "_seq": self._state.next_seq(),
            }
            if password:
                self._state.passwords[name] = password

    def set_secret(self, name: str, value: str) -> None:
        with self._state.lock:
            self._state.secrets[name] = value

    def dispatch_event(
        self,
        topic: str,
        *,
        project: str | None = None,
        payload: dict[str, Any] | None = None,
        sender: str | None = None,
        sender_type: str | None = None,
        event_hash: str | None = None,
        finished: bool = True,
    ) -> str:
        with self._state.lock:
            ev = new_event(
                self._state,
                topic,
                self._actor(sender, sender_type),
                project=project,
                payload=payload or {},
                event_hash=event_hash,
                status="finished" if finished else "pending",
            )
            store_event(self._state, ev)
            return str(ev["id"])

    def as_user_write(
        self, project: str, kind: str, entity_id: str, data: dict[str, Any], *, user: str = "admin"
    ) -> None:
        """A change "made in the web UI" (senderType `web`), emitting the usual events."""
        with self._state.lock:
            proj = self._state.projects[project]
            tx = Tx(self._state, Actor(user, sender="web", sender_type="web", is_admin=True))
            ent_domain.update(tx, proj, kind, entity_id, data)
            tx.commit()

    # ----------------------------------------------------------------- reads
    def project_names(self) -> list[str]:
        with self._state.lock:
            return sorted(self._state.projects)

    def entity(self, project: str, kind: str, entity_id: str) -> dict[str, Any] | None:
        with self._state.lock:
            proj = self._state.projects.get(project)
            ent: Entity | None = proj.get(kind, entity_id) if proj else None
            if proj is None or ent is None:
                return None
            return entity_rest(self._state, proj, kind, ent)

    def get_entity(self, project: str, kind: str, entity_id: str) -> dict[str, Any]:
        """Like :meth:`entity` but raises KeyError when the entity does not exist."""
        found = self.entity(project, kind, entity_id)
        if found is None:
            raise KeyError(f"{kind} {entity_id} not found in {project}")
        return found

    def entities(self, project: str, kind: str) -> list[dict[str, Any]]:
        with self._state.lock:
            proj = self._state.projects[project]
            return [
                entity_rest(self._state, proj, kind, e)
                for e in sorted(proj.entities[kind].values(), key=lambda e: e["_seq"])
            ]

    def count(self, project: str, kind: str) -> int:
        with self._state.lock:
            return len(self._state.projects[project].entities[kind])

    def folder_by_path(self, project: str, path: str) -> dict[str, Any] | None:
        with self._state.lock:
            proj = self._state.projects[project]
            ent = proj.folder_by_path(path)
            return entity_rest(self._state, proj, "folder", ent) if ent else None

    def attrib_of(self, project: str, kind: str, entity_id: str) -> dict[str, Any]:
        with self._state.lock:
            proj = self._state.projects[project]
            ent = proj.get(kind, entity_id)
            assert ent is not None
            return all_attrib(self._state, proj, kind, ent)

    def events(self, topic_prefix: str = "") -> list[dict[str, Any]]:
        with self._state.lock:
            evs = sorted(self._state.events.values(), key=lambda e: e["_seq"])
            return [copy.deepcopy(e) for e in evs if e["topic"].startswith(topic_prefix)]

    def secrets(self) -> dict[str, str]:
        with self._state.lock:
            return dict(self._state.secrets)
