"""The `health.ping` activity: proves a worker polls the task queue and runs activities."""

from __future__ import annotations

import os
import socket

from temporalio import activity

from ayon_ftrack_sync import __version__
from ayon_ftrack_sync.payloads.health import PingRequest, WorkerIdentity


@activity.defn(name="health.ping")
def ping(request: PingRequest) -> WorkerIdentity:
    """Answer with this worker's identity (runs on the sync-activity thread pool)."""
    return WorkerIdentity(
        requested_by=request.requested_by,
        hostname=socket.gethostname(),
        pid=os.getpid(),
        product_version=__version__,
    )
