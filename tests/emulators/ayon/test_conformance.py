"""Conformance against the recorded real-server traffic and validation probe.

Replays `traffic.jsonl` / `settings_traffic.jsonl` request by request and checks the
status code plus the keys and value types of every JSON response, and the values too
except volatile ones (ids, timestamps, cursors, secrets; see `conformance.VOLATILE_KEY`);
replays the cases of
`validation.log` and checks status, error code and message. Skipped when the reference
folder (`<repo root>/../shared/reference/ayon`) is absent.
"""

from __future__ import annotations

import ast
import re
import uuid
from typing import Any

import pytest
import requests

from ayon_ftrack_sync.emulators.ayon import AyonEmulator

from .conformance import (
    KEEP_HEADERS,
    REFERENCE,
    learn_ids,
    load_jsonl,
    shape_diff,
    substitute,
    value_diff,
)

pytestmark = pytest.mark.skipif(not REFERENCE.is_dir(), reason="reference data absent")
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 65


def _install_addons(emulator: AyonEmulator, records: list[dict[str, Any]]) -> None:
    """The recorded server had a core stub and ftrack 1.6.4+dev; take their defaults from
    the first recorded settings/schema answers."""
    settings = next(
        r["resp_body"]
        for r in records
        if r["path"] == "/api/addons/ftrack/1.6.4+dev/settings" and r["method"] == "GET"
    )
    schema = next(
        (r["resp_body"] for r in records if r["path"] == "/api/addons/ftrack/1.6.4+dev/schema"),
        None,
    )
    emulator.control.register_addon("core", "1.0.0", title="Core (probe stub)")
    emulator.control.set_addon_settings("ftrack", "1.6.4+dev", settings, requires=["core"])
    if schema is not None:
        emulator.state.addons["ftrack"]["versions"]["1.6.4+dev"]["schema"] = schema


def _install_recorded_attributes(emulator: AyonEmulator, records: list[dict[str, Any]]) -> None:
    """Create (through the API, plus a restart) attributes the recorded server already had."""
    info = next(
        r["resp_body"]
        for r in records
        if r["path"] == "/api/info" and "attributes" in r["resp_body"]
    )
    headers = {"x-api-key": emulator.api_key}
    known = {
        a["name"]
        for a in requests.get(f"{emulator.url}/api/attributes", headers=headers, timeout=5).json()[
            "attributes"
        ]
    }
    listed = next(
        r["resp_body"]
        for r in records
        if r["path"] == "/api/attributes" and r["method"] == "GET" and r["status"] == 200
    )
    in_database = {a["name"] for a in listed["attributes"]}
    extra = [a for a in info["attributes"] if a["name"] not in known]
    for attr in extra:
        response = requests.put(
            f"{emulator.url}/api/attributes/{attr['name']}",
            headers=headers,
            timeout=5,
            json={
                "data": attr["data"],
                "scope": attr["scope"],
                "position": attr["position"],
                "builtin": False,
            },
        )
        assert response.status_code == 204
    requests.post(f"{emulator.url}/api/system/restart", headers=headers, timeout=5)
    # attributes the recorded server still had loaded but had already deleted (no restart)
    for attr in extra:
        if attr["name"] not in in_database:
            requests.delete(
                f"{emulator.url}/api/attributes/{attr['name']}", headers=headers, timeout=5
            )


def _replay(emulator: AyonEmulator, records: list[dict[str, Any]]) -> list[str]:
    mapping: dict[str, str] = {}
    tokens: dict[str, str] = {}
    problems: list[str] = []
    session = requests.Session()
    for index, rec in enumerate(records):
        headers = {k: v for k, v in rec["req_headers"].items() if k in KEEP_HEADERS}
        if "x-api-key" in rec["req_headers"]:
            headers["x-api-key"] = emulator.api_key
        auth = rec["req_headers"].get("authorization", "")
        if auth:
            prefix = auth.split()[-1].rstrip("*")
            headers["authorization"] = f"Bearer {tokens.get(prefix, emulator.api_key)}"
        path = substitute(rec["path"], mapping)
        url = emulator.url + path + (f"?{rec['query']}" if rec["query"] else "")
        body = rec["req_body"]
        kwargs: dict[str, Any] = {}
        if body == "<generator>":
            kwargs["data"] = PNG
            headers["content-type"] = "image/png"
        elif body is not None:
            kwargs["json"] = substitute(body, mapping)
        # the real server's first poll of a slow background batch said "in_progress";
        # reproduce that timing with the emulator's knob for exactly those batches
        following = records[index + 1] if index + 1 < len(records) else None
        slow = (
            rec["path"].endswith("/operations/background")
            and following is not None
            and isinstance(following["resp_body"], dict)
            and following["resp_body"].get("status") == "in_progress"
        )
        emulator.control.set_background_polls(1 if slow else 0)
        response = session.request(rec["method"], url, headers=headers, timeout=10, **kwargs)
        label = f"#{index} {rec['label']} {rec['method']} {rec['path']}"
        if response.status_code != rec["status"]:
            problems.append(f"{label}: status {response.status_code} != {rec['status']}")
            continue
        recorded = rec["resp_body"]
        if isinstance(recorded, str) and recorded.startswith("<"):
            match = re.match(r"<\d+ bytes ([^;>]*)", recorded)
            if match and match.group(1).strip():
                got = response.headers.get("Content-Type", "").split(";")[0]
                if got != match.group(1).strip():
                    problems.append(f"{label}: content type {got} != {match.group(1)}")
            continue
        if recorded in (None, ""):
            if response.content.strip():
                problems.append(f"{label}: expected an empty body")
            continue
        actual = response.json()
        problems.extend(f"{label}: {d}" for d in shape_diff(recorded, actual))
        problems.extend(f"{label}: value {d}" for d in value_diff(recorded, actual))
        learn_ids(recorded, actual, mapping)
        if isinstance(recorded, dict) and isinstance(recorded.get("token"), str):
            tokens[recorded["token"][:4]] = actual["token"]
    session.close()
    return problems


@pytest.mark.parametrize("name", ["traffic.jsonl", "settings_traffic.jsonl"])
def test_replay_recorded_traffic(name: str, ayon_server: AyonEmulator) -> None:
    records = load_jsonl(name)
    _install_addons(ayon_server, load_jsonl("traffic.jsonl") + records)
    _install_recorded_attributes(ayon_server, records)
    if name == "settings_traffic.jsonl":
        # the second recorded run happened after a production bundle had been created
        records = _with_bundle_after_first_run(ayon_server, records)
    problems = _replay(ayon_server, records)
    assert not problems, "\n".join(problems)


def _with_bundle_after_first_run(
    emulator: AyonEmulator, records: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Replay run 1, create the bundle the probe created between runs, return run 2."""
    split = next(i for i, r in enumerate(records) if i > 0 and r["path"] == "/")
    assert _replay(emulator, records[:split]) == []
    headers = {"x-api-key": emulator.api_key}
    created = requests.post(
        f"{emulator.url}/api/bundles",
        headers=headers,
        timeout=5,
        json={
            "name": "probe_bundle",
            "installerVersion": None,
            "addons": {"ftrack": "1.6.4+dev", "core": "1.0.0"},
            "isProduction": True,
        },
    )
    assert created.status_code == 201
    # run 2 starts from the default studio settings again (see its first GET)
    defaults = next(
        r["resp_body"]
        for r in records[split:]
        if r["path"] == "/api/addons/ftrack/1.6.4+dev/settings" and r["method"] == "GET"
    )
    reset = requests.post(
        f"{emulator.url}/api/addons/ftrack/1.6.4+dev/settings",
        headers=headers,
        timeout=5,
        json=defaults,
    )
    assert reset.status_code == 204
    return records[split:]


# ------------------------------------------------------------------ validation.log
LINE = re.compile(r"^(?P<label>.+?)\s+-> (?P<status>\d+) (?P<code>\S+) (?P<detail>.*)$")
RECORDED_ROOT = "457e032c-e787-11f1-9f1c-02fc00000001"
RECORDED_MISSING = "45da2ac6e78711f19f1c02fc00000001"


def _parse_log() -> tuple[list[tuple[str, int, str | None, str | None]], list[str]]:
    cases = []
    tail = []
    for line in (REFERENCE / "validation.log").read_text("utf-8").splitlines():
        match = LINE.match(line)
        if not match:
            tail.append(line)
            continue
        code = None if match["code"] == "None" else match["code"]
        detail = ast.literal_eval(match["detail"])
        cases.append(
            (match["label"], int(match["status"]), code, None if detail == "None" else detail)
        )
    return cases, tail


def _hex() -> str:
    return uuid.uuid1().hex


def test_validation_log_cases(ayon_server: AyonEmulator) -> None:
    url = ayon_server.url
    headers = {"x-api-key": ayon_server.api_key}
    http = requests.Session()
    http.headers.update(headers)
    assert (
        http.post(
            f"{url}/api/projects",
            json={
                "name": "probe_val",
                "code": "PV",
                "anatomy": http.get(f"{url}/api/anatomy/presets/__primary__").json(),
            },
        ).status_code
        == 201
    )
    root = _hex()
    comp = _hex()
    missing = _hex()

    def op(
        kind: str,
        data: dict[str, Any] | None,
        *,
        op_type: str = "create",
        entity_id: str | None = None,
    ) -> dict[str, Any]:
        eid = entity_id or _hex()
        body: dict[str, Any] = {"id": _hex(), "type": op_type, "entityType": kind, "entityId": eid}
        if data is not None:
            body["data"] = data
        result = http.post(
            f"{url}/api/projects/probe_val/operations",
            json={"operations": [body], "canFail": False},
        ).json()
        first: dict[str, Any] = result["operations"][0]
        return first

    assert op("folder", {"name": "root", "folderType": "Folder"}, entity_id=root)["success"]
    assert op(
        "task", {"name": "comp", "taskType": "Compositing", "folderId": root}, entity_id=comp
    )["success"]

    def folder(name: str, **extra: Any) -> dict[str, Any]:
        return op("folder", {"name": name, "folderType": "Folder", "parentId": root, **extra})

    def task(name: str, **extra: Any) -> dict[str, Any]:
        return op("task", {"name": name, "taskType": "Compositing", "folderId": root, **extra})

    builders = {
        "folder dup name case-insensitive 'OK_NAME'": lambda: folder("OK_NAME"),
        "root folder dup name 'Root' (no parent)": lambda: op(
            "folder", {"name": "Root", "folderType": "Folder"}
        ),
        "unknown folderType": lambda: folder("ft1", folderType="Nope"),
        "unknown status": lambda: folder("st1", status="Nope"),
        "status case 'in progress'": lambda: folder("st2", status="in progress"),
        "label with quote": lambda: folder("lb1", label="it's"),
        "label with semicolon": lambda: folder("lb2", label="a;b"),
        "unknown tag": lambda: folder("tag1", tags=["no-such-tag"]),
        "attrib unknown key": lambda: folder("att1", attrib={"noSuchAttr": 1}),
        "attrib wrong type frameStart='abc'": lambda: folder("att2", attrib={"frameStart": "abc"}),
        "missing folderType": lambda: op("folder", {"name": "noft", "parentId": root}),
        "task dup name 'COMP'": lambda: task("COMP"),
        "task unknown taskType": lambda: op(
            "task", {"name": "t2", "taskType": "Nope", "folderId": root}
        ),
        "task unknown assignee": lambda: task("t3", assignees=["nobody"]),
        "task name with space": lambda: task("t 4"),
        "entityId not hex32": lambda: op("folder", {"name": "bad_id"}, entity_id="not-a-hex"),
        "update nonexistent": lambda: op(
            "folder", {"label": "x"}, op_type="update", entity_id=missing
        ),
        "rename folder root->root2": lambda: op(
            "folder", {"name": "root2"}, op_type="update", entity_id=root
        ),
        "deactivate task": lambda: op("task", {"active": False}, op_type="update", entity_id=comp),
        "task dup name after deactivation": lambda: task("comp"),
    }
    cases, tail = _parse_log()
    assert len(cases) >= 25
    mismatches = []
    for label, status, code, detail in cases:
        name_match = re.match(r"^folder name '(.*)'$", label)
        if name_match:
            name = name_match.group(1)
            if name == "x" * 20:
                name = "x" * 300  # the log truncates the label; the probe used 300 chars
            result = folder(name)
        else:
            assert label in builders, f"no request builder for case {label!r}"
            result = builders[label]()
        if result["status"] != status or result["errorCode"] != code:
            mismatches.append(
                f"{label}: {result['status']} {result['errorCode']} != {status} {code}"
            )
            continue
        if detail is not None:
            root_uuid = f"{root[:8]}-{root[8:12]}-{root[12:16]}-{root[16:20]}-{root[20:]}"
            want = detail.replace(RECORDED_ROOT, root_uuid).replace(RECORDED_MISSING, missing)
            if not str(result["detail"]).startswith(want):
                mismatches.append(f"{label}: detail {result['detail']!r} !~ {want!r}")
    assert mismatches == []

    # final state lines of the log: folder paths under the renamed root, task list
    paths = ast.literal_eval(tail[0].replace("true", "True").replace("false", "False"))
    folders = ayon_server.control.entities("probe_val", "folder")
    got_paths = sorted((f["path"], f["active"]) for f in folders)
    assert got_paths == sorted((p, a) for p, a in paths)
    tasks = ast.literal_eval(tail[1].split(" ", 1)[1])
    got_tasks = [
        (t["name"], t["active"]) for t in ayon_server.control.entities("probe_val", "task")
    ]
    assert got_tasks == tasks
    http.close()
