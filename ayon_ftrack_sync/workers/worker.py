"""The worker process: runs every workflow and activity of the product on one task queue.

Activities that call ftrack or AYON are blocking (both clients use `requests`), so they run on
a thread pool sized to the activity slots. SIGTERM/SIGINT start a graceful shutdown: no new
tasks are polled, running activities get `graceful_shutdown_timeout` to finish, and whatever
does not finish is retried by Temporal on another worker, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
    Worker,
)

from ayon_ftrack_sync import __version__
from ayon_ftrack_sync.activities import build_activities
from ayon_ftrack_sync.config import AppConfig
from ayon_ftrack_sync.temporal import connect
from ayon_ftrack_sync.workflows import WORKFLOWS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerOptions:
    """Capacity and lifecycle knobs; the defaults suit a 2-core container."""

    max_concurrent_activities: int = 32
    max_concurrent_workflow_tasks: int = 50
    graceful_shutdown_s: float = 30.0
    health_interval_s: float = 60.0


class ActivityCounters:
    """Counts finished and failed activities for the periodic health log line."""

    def __init__(self) -> None:
        self.completed = 0
        self.failed = 0
        self.running = 0


class _CountingInterceptor(Interceptor):
    def __init__(self, counters: ActivityCounters) -> None:
        self._counters = counters

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _CountingActivityInbound(next, self._counters)


class _CountingActivityInbound(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, counters: ActivityCounters) -> None:
        super().__init__(next)
        self._counters = counters

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        self._counters.running += 1
        try:
            result = await super().execute_activity(input)
        except BaseException:
            self._counters.failed += 1
            raise
        finally:
            self._counters.running -= 1
        self._counters.completed += 1
        return result


def worker_identity() -> str:
    return f"ayon-ftrack-sync-worker-{__version__}@{socket.gethostname()}:{os.getpid()}"


def build_worker(
    client: Client,
    task_queue: str,
    *,
    activities: Sequence[Callable[..., Any]],
    workflows: Sequence[type] = WORKFLOWS,
    executor: ThreadPoolExecutor,
    options: WorkerOptions = WorkerOptions(),
    counters: ActivityCounters | None = None,
) -> Worker:
    """The Worker with our registries; tests build theirs the same way on a unique queue."""
    return Worker(
        client,
        task_queue=task_queue,
        workflows=list(workflows),
        activities=list(activities),
        activity_executor=executor,
        max_concurrent_activities=options.max_concurrent_activities,
        max_concurrent_workflow_tasks=options.max_concurrent_workflow_tasks,
        graceful_shutdown_timeout=timedelta(seconds=options.graceful_shutdown_s),
        interceptors=[_CountingInterceptor(counters or ActivityCounters())],
        identity=worker_identity(),
    )


async def run_worker(
    config: AppConfig,
    options: WorkerOptions = WorkerOptions(),
    *,
    stop: asyncio.Event | None = None,
) -> None:
    """Run until SIGTERM/SIGINT (or `stop` is set), logging a health line periodically."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    client = await connect(config.temporal, identity=worker_identity())
    counters = ActivityCounters()
    with ThreadPoolExecutor(
        max_workers=options.max_concurrent_activities, thread_name_prefix="activity"
    ) as executor:
        worker = build_worker(
            client,
            config.temporal.task_queue,
            activities=build_activities(config),
            executor=executor,
            options=options,
            counters=counters,
        )
        started = time.monotonic()
        log.info(
            "worker started: task queue %s on %s (namespace %s), %d workflows, %d activities",
            config.temporal.task_queue,
            config.temporal.address,
            config.temporal.namespace,
            len(WORKFLOWS),
            len(build_activities(config)),
        )
        async with worker:
            while not stop.is_set():
                try:
                    await asyncio.wait_for(stop.wait(), timeout=options.health_interval_s)
                except TimeoutError:
                    log.info(
                        "worker healthy: up %.0f s, activities completed %d, failed %d, running %d",
                        time.monotonic() - started,
                        counters.completed,
                        counters.failed,
                        counters.running,
                    )
            log.info(
                "shutdown requested: finishing running activities (up to %.0f s)",
                options.graceful_shutdown_s,
            )
        log.info(
            "worker stopped: activities completed %d, failed %d",
            counters.completed,
            counters.failed,
        )
    from ayon_ftrack_sync.activities.connections import close_idle_connections

    close_idle_connections()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.remove_signal_handler(signum)
