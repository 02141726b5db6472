"""Reachability and credential checks behind `ayon-ftrack-sync doctor`.

Each check returns a `CheckResult` instead of raising: an operator wants one line per system
saying what is wrong, not a traceback. Messages never contain an API key.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import requests
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import WorkflowFailureError
from temporalio.service import RPCError

from ayon_ftrack_sync.config import AppConfig, AyonConfig, FtrackConfig, TemporalConfig
from ayon_ftrack_sync.logging_setup import redact
from ayon_ftrack_sync.payloads.health import PingRequest, WorkerIdentity
from ayon_ftrack_sync.temporal import TemporalUnavailable, connect
from ayon_ftrack_sync.temporal.registration import missing_search_attributes

TIMEOUT_S = 5.0


@dataclass(frozen=True)
class CheckResult:
    """One line of the doctor's report."""

    name: str
    ok: bool
    detail: str


async def check_temporal(config: TemporalConfig) -> CheckResult:
    """Frontend reachable, namespace exists, our search attributes registered."""
    try:
        client = await connect(config, connect_timeout=timedelta(seconds=TIMEOUT_S))
    except TemporalUnavailable as exc:
        return CheckResult("Temporal", False, str(exc))
    where = f"{config.address}, namespace {config.namespace}"
    try:
        await asyncio.wait_for(client.service_client.check_health(), TIMEOUT_S)
        await asyncio.wait_for(
            client.workflow_service.describe_namespace(
                DescribeNamespaceRequest(namespace=config.namespace)
            ),
            TIMEOUT_S,
        )
        missing = await asyncio.wait_for(missing_search_attributes(client), TIMEOUT_S)
    except RPCError as exc:
        return CheckResult("Temporal", False, f"{where}: {exc.message}")
    except TimeoutError:
        return CheckResult("Temporal", False, f"{where}: no answer within {TIMEOUT_S:.0f} s")
    if missing:
        return CheckResult(
            "Temporal",
            False,
            f"{where}: search attributes missing: {', '.join(missing)} "
            "(the embedded server registers them; on a cluster run "
            "`temporal operator search-attribute create --name NAME --type Keyword`)",
        )
    return CheckResult("Temporal", True, f"{where}: healthy, search attributes registered")


async def check_worker(config: TemporalConfig, timeout_s: float = 15.0) -> CheckResult:
    """A real round trip through a worker polling the task queue (`doctor --worker`)."""
    from ayon_ftrack_sync.workflows.health import HealthCheckWorkflow

    try:
        client = await connect(config, connect_timeout=timedelta(seconds=TIMEOUT_S))
    except TemporalUnavailable as exc:
        return CheckResult("worker", False, str(exc))
    workflow_id = f"ftrack-sync/doctor/{uuid.uuid4().hex}"
    try:
        identity: WorkerIdentity = await client.execute_workflow(
            HealthCheckWorkflow.run,
            PingRequest(requested_by="doctor"),
            id=workflow_id,
            task_queue=config.task_queue,
            execution_timeout=timedelta(seconds=timeout_s),
        )
    except WorkflowFailureError:
        return CheckResult(
            "worker",
            False,
            f"no worker answered on task queue {config.task_queue} within {timeout_s:.0f} s "
            "(start one with `ayon-ftrack-sync worker`)",
        )
    except RPCError as exc:
        return CheckResult("worker", False, f"task queue {config.task_queue}: {exc.message}")
    return CheckResult(
        "worker",
        True,
        f"task queue {config.task_queue}: answered by {identity.hostname} pid {identity.pid} "
        f"(version {identity.product_version})",
    )


def check_ftrack(config: FtrackConfig) -> CheckResult:
    """`query_server_information` with the service credentials: the ftrack client's own check."""
    missing = [
        name
        for name, value in (
            ("FTRACK_SERVER", config.server_url),
            ("FTRACK_API_USER", config.api_user),
            ("FTRACK_API_KEY", config.api_key),
        )
        if not value
    ]
    if missing:
        return CheckResult("ftrack", False, f"not configured: set {', '.join(missing)}")
    assert config.server_url and config.api_user and config.api_key
    key = config.api_key.get_secret_value()
    url = config.server_url
    try:
        response = requests.post(
            f"{url}/api",
            json=[{"action": "query_server_information"}],
            headers={
                "ftrack-user": config.api_user,
                "ftrack-api-key": key,
                "ftrack-strict-api": "true",
                "accept": "application/json",
            },
            timeout=TIMEOUT_S,
        )
    except requests.RequestException as exc:
        return CheckResult("ftrack", False, f"{url}: unreachable ({_reason(exc, key)})")
    body = _json(response)
    if response.status_code == 401 or _ftrack_credentials_rejected(body):
        return CheckResult(
            "ftrack", False, f"{url}: credentials rejected for API user {config.api_user}"
        )
    if response.status_code != 200 or not isinstance(body, list) or not body:
        return CheckResult(
            "ftrack",
            False,
            f"{url}: unexpected answer (HTTP {response.status_code}); is it ftrack?",
        )
    info = body[0] if isinstance(body[0], dict) else {}
    version = info.get("version", "?")
    return CheckResult("ftrack", True, f"{url}: server {version}, signed in as {config.api_user}")


def _ftrack_credentials_rejected(body: Any) -> bool:
    if not isinstance(body, dict):
        return False
    return body.get("error_code") == "api_credentials_invalid" or "Credentials" in str(
        body.get("exception", "")
    )


def check_ayon(config: AyonConfig) -> CheckResult:
    """Server answers and the service API key is accepted (with ayon-python-api itself)."""
    import ayon_api

    missing = [
        name
        for name, value in (
            ("AYON_SERVER_URL", config.server_url),
            ("AYON_API_KEY", config.api_key),
        )
        if not value
    ]
    if missing:
        return CheckResult("AYON", False, f"not configured: set {', '.join(missing)}")
    assert config.server_url and config.api_key
    key = config.api_key.get_secret_value()
    url = config.server_url
    try:
        api = ayon_api.ServerAPI(url, token=key, timeout=TIMEOUT_S, max_retries=1)
        if not api.is_server_available:
            return CheckResult("AYON", False, f"{url}: unreachable")
        if not api.has_valid_token:
            return CheckResult("AYON", False, f"{url}: API key rejected")
        user = api.get_user() or {}
        version = api.get_server_version()
    except Exception as exc:  # ayon_api raises many types; the doctor reports, never crashes
        reason = _reason(exc, key)
        if reason in ("connection refused", "timed out"):
            reason = f"unreachable ({reason})"
        return CheckResult("AYON", False, f"{url}: {reason}")
    name = user.get("name", "?")
    return CheckResult("AYON", True, f"{url}: server {version}, signed in as {name}")


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _reason(exc: BaseException, secret: str) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "Connection refused" in text or "NewConnectionError" in text:
        text = "connection refused"
    elif "timed out" in text.lower():
        text = "timed out"
    return redact(text, secret)


async def run_checks(config: AppConfig, *, with_worker: bool = False) -> list[CheckResult]:
    """All checks; the blocking HTTP ones run in threads so the whole report is fast."""
    temporal, ftrack, ayon = await asyncio.gather(
        check_temporal(config.temporal),
        asyncio.to_thread(check_ftrack, config.ftrack),
        asyncio.to_thread(check_ayon, config.ayon),
    )
    results = [temporal, ftrack, ayon]
    if with_worker:
        results.append(
            await check_worker(config.temporal)
            if temporal.ok
            else CheckResult("worker", False, "skipped: Temporal is not reachable")
        )
    return results
