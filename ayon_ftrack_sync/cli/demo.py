"""`ayon-ftrack-sync demo`: the whole product on one machine, in one command.

Starts, as child processes of this one (each in its own process group, so Ctrl-C reaches only
us and we decide the stop order): the embedded Temporal dev server (`server`), the ftrack
emulator with a seeded project, the AYON emulator, the `worker`, the `leecher` and the
`ayon-listener`. Their output goes to log files in the demo state directory. Then it runs the
first full sync through the same client path as `resync --create-project`, switches auto-sync
on, makes a few ftrack edits through ftrack_api and shows each one arriving in AYON (polled
through ayon_api), then makes one AYON edit through ayon_api as a person would (not the sync's
sender type) and a comment on the same shot, and shows both arriving in ftrack (polled through
ftrack_api; the comment as a note), prints the Temporal
Web UI and emulator URLs, and keeps everything running until Ctrl-C. On Ctrl-C, SIGTERM or any
failure it stops AYON listener, leecher, worker, emulators and server in that order (SIGTERM,
then SIGKILL after a timeout) and leaves no process behind.

The emulator keys are local, random, generated here; they are written to `demo.env` in the
state directory (mode 0600) and never printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic_settings import BaseSettings
from rich.markup import escape

from ayon_ftrack_sync.cli.context import console, error_console, state
from ayon_ftrack_sync.config import (
    AppConfig,
    AyonConfig,
    FtrackConfig,
    ServiceConfig,
    TemporalConfig,
)

#: the ftrack project the emulator seeds (3 sequences x 5 shots x 3 tasks); AYON name "Demo"
DEMO_PROJECT = "demo"
API_USER = "admin"
LOOPBACK = "127.0.0.1"
TASK_QUEUE = "ftrack-sync"
#: files of a previous run that are removed at start (each run starts from fresh emulators,
#: so old Temporal history and spooled events would only refer to entities that are gone)
STALE_FILES = (
    "temporal.db",
    "temporal.db-wal",
    "temporal.db-shm",
    "temporal.log",
    "leecher-spool.sqlite3",
    "leecher-spool.sqlite3-wal",
    "leecher-spool.sqlite3-shm",
)
PIDS_FILE = "demo-pids.json"
MASK = b"******"
ENV_FILE = "demo.env"
SETTINGS_FILE = "sync-settings.json"
#: sync settings for the emulator's generated project: its frame attributes are hierarchical
#: custom attributes named like the AYON attributes
DEMO_SYNC_SETTINGS: dict[str, Any] = {
    "custom_attributes": {
        "attributes_mapping": {
            "enabled": True,
            "mapping": [
                {"name": name, "attr_type": "hierarchical", "hierarchical": name, "standard": []}
                for name in ("frameStart", "frameEnd", "fps")
            ],
        }
    }
}
#: seconds a child gets to stop after SIGTERM before SIGKILL (the worker finishes activities)
STOP_TIMEOUTS = {"ayon-listener": 20.0, "leecher": 15.0, "worker": 35.0, "server": 25.0}
#: AYON edits of the demo carry this sender type: a person's, not the sync's (`ftrack`)
DEMO_SENDER_TYPE = "demo"
DEMO_SENDER = "demo-user"
DEFAULT_STOP_TIMEOUT = 10.0
#: config variables of the user's environment that must not leak into the demo's children
CONFIG_PREFIXES = ("TEMPORAL_", "FTRACK_", "AYON_")


class DemoError(RuntimeError):
    """The demo cannot go on; the message says why (and where to look)."""


@dataclass(frozen=True)
class DemoPorts:
    temporal: int
    ui: int
    ftrack: int
    ayon: int

    @property
    def temporal_address(self) -> str:
        return f"{LOOPBACK}:{self.temporal}"

    @property
    def ui_url(self) -> str:
        return f"http://{LOOPBACK}:{self.ui}"

    @property
    def ftrack_url(self) -> str:
        return f"http://{LOOPBACK}:{self.ftrack}"

    @property
    def ayon_url(self) -> str:
        return f"http://{LOOPBACK}:{self.ayon}"


def demo(
    ctx: typer.Context,
    state_dir: Annotated[
        Path | None,
        typer.Option(
            help="Logs, Temporal database, keys and pids of the demo (default: demo/ in the "
            "state dir, ./.ayon-ftrack-sync/demo); the previous run's database is removed at "
            "start."
        ),
    ] = None,
    temporal_port: Annotated[int, typer.Option(help="Temporal frontend port.")] = 7233,
    ui_port: Annotated[int, typer.Option(help="Temporal Web UI port.")] = 8233,
    ftrack_port: Annotated[int, typer.Option(help="ftrack emulator port.")] = 8765,
    ayon_port: Annotated[int, typer.Option(help="AYON emulator port.")] = 5005,
    once: Annotated[
        bool,
        typer.Option(
            "--once",
            help="Stop after showing the edits, both ways (exit code 1 if one did not arrive); "
            "for CI.",
        ),
    ] = False,
    edit_timeout: Annotated[
        float,
        typer.Option(
            help="Seconds to wait for each ftrack edit to show up in AYON (and the AYON edit "
            "in ftrack)."
        ),
    ] = 30.0,
    start_timeout: Annotated[
        float, typer.Option(help="Seconds each process gets to become ready.")
    ] = 60.0,
) -> None:
    """Everything local: Temporal, both emulators, worker, leecher and AYON listener; full sync,
    live edits both ways."""
    config = state(ctx).config()
    folder = state_dir if state_dir is not None else config.service.state_dir / "demo"
    ports = DemoPorts(temporal_port, ui_port, ftrack_port, ayon_port)
    runner = DemoRunner(
        folder.absolute(),
        ports,
        log_level=config.service.log_level,
        temporal_bin=config.service.temporal_bin,
        once=once,
        edit_timeout=edit_timeout,
        start_timeout=start_timeout,
    )
    raise typer.Exit(asyncio.run(runner.run()))


# -- child processes ---------------------------------------------------------------------------


@dataclass
class Child:
    """One child process: its own process group, output in a log file."""

    name: str
    role: str  # key of STOP_TIMEOUTS and of the pids file
    process: subprocess.Popen[bytes]
    log_path: Path
    descendants: set[int] = field(default_factory=set)
    copier: threading.Thread | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text("utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.rstrip().splitlines()[-lines:]) or "(empty log)"

    def log_text(self) -> str:
        try:
            return self.log_path.read_text("utf-8", errors="replace")
        except OSError:
            return ""

    def died(self, doing: str) -> DemoError:
        return DemoError(
            f"{self.name} exited with code {self.process.returncode} {doing}; "
            f"last lines of {self.log_path}:\n{self.tail()}"
        )


class Children:
    """The demo's process tree: started in order, stopped in reverse, nothing left behind."""

    def __init__(self, folder: Path, env: dict[str, str], secrets: list[str]) -> None:
        self.folder = folder
        self.env = env
        self.secrets = [s.encode() for s in secrets if s]
        self.started: list[Child] = []
        self.hurry = False

    def start(self, name: str, role: str, *args: str) -> Child:
        log_path = self.folder / f"{role}.log"
        command = [sys.executable, "-m", "ayon_ftrack_sync.cli", *args]
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=self.env,
            cwd=self.folder,
            start_new_session=True,  # own process group: terminal Ctrl-C reaches only us
        )
        child = Child(name, role, process, log_path)
        self.started.append(child)
        child.copier = threading.Thread(
            target=_copy_redacted,
            args=(process, log_path, self.secrets),
            name=f"log-{role}",
            daemon=True,
        )
        child.copier.start()
        self.write_pids()
        console.print(f"  started {name} (pid {child.pid}), log {log_path}", highlight=False)
        return child

    def note_descendants(self) -> None:
        """Remember grandchildren (the `temporal` binary runs in a session of its own)."""
        for child in self.started:
            if child.alive():
                child.descendants.update(descendants(child.pid))
        self.write_pids()

    def write_pids(self) -> None:
        data = {
            "demo": os.getpid(),
            "children": {
                c.role: {"pid": c.pid, "descendants": sorted(c.descendants)} for c in self.started
            },
        }
        (self.folder / PIDS_FILE).write_text(json.dumps(data, indent=2) + "\n", "utf-8")

    def first_dead(self) -> Child | None:
        return next((c for c in self.started if not c.alive()), None)

    def stop_all(self) -> None:
        """AYON listener, leecher, worker, emulators, server (the reverse of the start order):
        SIGTERM, then SIGKILL after a timeout."""
        self.note_descendants()
        for child in reversed(self.started):
            self._stop(child)
        self.write_pids()

    def _wait_stopped(self, child: Child, timeout: float) -> bool:
        """Wait for the child to exit; a second Ctrl-C (`hurry`) cuts the wait short."""
        deadline = time.monotonic() + timeout
        while child.alive():
            if self.hurry:
                deadline = min(deadline, time.monotonic() + 0.5)
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def _stop(self, child: Child) -> None:
        if child.alive():
            child.descendants.update(descendants(child.pid))
            console.print(f"  stopping {child.name} (pid {child.pid})", highlight=False)
            _signal_group(child.pid, signal.SIGTERM)
            timeout = STOP_TIMEOUTS.get(child.role, DEFAULT_STOP_TIMEOUT)
            if not self._wait_stopped(child, timeout):
                error_console.print(
                    f"[yellow]{escape(child.name)} did not stop within {timeout:.0f} s: killed[/]"
                )
                _signal_group(child.pid, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.process.wait(5)
        else:
            child.process.poll()  # reap
        if child.copier is not None:
            child.copier.join(2)  # the rest of its output, up to the end of the pipe
        # whatever the child started and did not stop (it was killed, or it misbehaved)
        leftovers = [pid for pid in child.descendants if pid_alive(pid)]
        for pid in leftovers:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + (0.5 if self.hurry else 5.0)
        while any(pid_alive(pid) for pid in leftovers) and time.monotonic() < deadline:
            time.sleep(0.05)
        for pid in leftovers:
            if pid_alive(pid):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)


def _copy_redacted(process: subprocess.Popen[bytes], log_path: Path, secrets: list[bytes]) -> None:
    """A child's output, line by line, into its log file with the demo keys masked (the
    ftrack emulator prints its key on purpose; the demo's logs must not hold it)."""
    assert process.stdout is not None
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as log, process.stdout:
        for line in iter(process.stdout.readline, b""):
            for secret in secrets:
                line = line.replace(secret, MASK)
            log.write(line)
            log.flush()


def _signal_group(pid: int, signum: int) -> None:
    try:
        os.killpg(pid, signum)  # the child leads its own group (start_new_session)
    except ProcessLookupError:
        pass
    except PermissionError:
        with contextlib.suppress(OSError):
            os.kill(pid, signum)


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (Linux /proc; empty where there is none)."""
    parents: dict[int, list[int]] = {}
    proc = Path("/proc")
    if not proc.is_dir():
        return set()
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1 and fields[1].isdigit():
            parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for kid in parents.get(todo.pop(), []):
            if kid not in found:
                found.add(kid)
                todo.append(kid)
    return found


def pid_alive(pid: int) -> bool:
    """True while `pid` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rfind(")") + 2 :].split()[:1] != ["Z"]


def port_in_use(port: int, host: str = LOOPBACK) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


# -- the demo ----------------------------------------------------------------------------------


@dataclass
class Edit:
    """One ftrack edit and how to recognise it in AYON."""

    text: str
    check: Callable[[AyonView], bool]
    made_at: float = 0.0
    seen_after: float | None = None


@dataclass
class AyonView:
    """What the demo looks at in AYON: folders and tasks of the project, by ftrack id."""

    folders: dict[str, dict[str, Any]]
    tasks: dict[str, dict[str, Any]]

    def folder(self, ftrack_id: str) -> dict[str, Any] | None:
        return self.folders.get(ftrack_id)

    def task(self, ftrack_id: str) -> dict[str, Any] | None:
        return self.tasks.get(ftrack_id)


class DemoRunner:
    def __init__(
        self,
        folder: Path,
        ports: DemoPorts,
        *,
        log_level: str,
        temporal_bin: Path | None,
        once: bool,
        edit_timeout: float,
        start_timeout: float,
    ) -> None:
        self.folder = folder
        self.ports = ports
        self.log_level = log_level
        self.temporal_bin = temporal_bin
        self.once = once
        self.edit_timeout = edit_timeout
        self.start_timeout = start_timeout
        self.ftrack_key = secrets.token_hex(16)
        self.ayon_key = secrets.token_hex(16)
        self.config = self._config()
        self.children = Children(folder, self._child_env(), [self.ftrack_key, self.ayon_key])
        self.interrupted = False
        self.ftrack_project_id = ""
        self.ayon_project = ""
        self._ayon_api: Any = None
        #: (ftrack id, name) of the shot the AYON edit changes (one the ftrack edits leave alone)
        self._ayon_edit_shot: tuple[str, str] | None = None

    # -- configuration ---------------------------------------------------------------------

    def _variables(self) -> dict[str, str]:
        """The configuration every demo process uses (written to demo.env too)."""
        values = {
            "TEMPORAL_ADDRESS": self.ports.temporal_address,
            "TEMPORAL_NAMESPACE": "default",
            "AYON_FTRACK_SYNC_TASK_QUEUE": TASK_QUEUE,
            "FTRACK_SERVER": self.ports.ftrack_url,
            "FTRACK_API_USER": API_USER,
            "FTRACK_API_KEY": self.ftrack_key,
            "AYON_SERVER_URL": self.ports.ayon_url,
            "AYON_API_KEY": self.ayon_key,
            "AYON_SERVICE_NAME": "ayon-ftrack-sync-demo",
            "AYON_FTRACK_SYNC_STATE_DIR": str(self.folder),
            "AYON_FTRACK_SYNC_SETTINGS_FILE": str(self.folder / SETTINGS_FILE),
            "AYON_FTRACK_SYNC_LOG_LEVEL": self.log_level,
        }
        if self.temporal_bin is not None:
            values["AYON_FTRACK_SYNC_TEMPORAL_BIN"] = str(self.temporal_bin.absolute())
        return values

    def _child_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(CONFIG_PREFIXES)}
        env.update(self._variables())
        env["AYON_FTRACK_SYNC_ENV_FILE"] = str(self.folder / ENV_FILE)  # never ./.env
        env["PYTHONUNBUFFERED"] = "1"
        env.setdefault("COLUMNS", "120")
        return env

    def _config(self) -> AppConfig:
        """The demo's own config: exactly the demo values, nothing from the environment."""
        values = self._variables()
        sections: dict[str, BaseSettings] = {}
        for name, section in (
            ("temporal", TemporalConfig),
            ("ftrack", FtrackConfig),
            ("ayon", AyonConfig),
            ("service", ServiceConfig),
        ):
            kwargs: dict[str, Any] = {}
            for field_name, info in section.model_fields.items():
                alias = str(info.validation_alias or field_name)
                kwargs[alias] = values.get(alias, info.default)
            sections[name] = section(_env_file=None, **kwargs)
        return AppConfig.model_validate(sections)

    def _prepare_folder(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for name in STALE_FILES:
            with contextlib.suppress(FileNotFoundError):
                (self.folder / name).unlink()
        (self.folder / SETTINGS_FILE).write_text(json.dumps(DEMO_SYNC_SETTINGS, indent=2), "utf-8")
        env_path = self.folder / ENV_FILE
        env_path.touch(mode=0o600, exist_ok=True)
        env_path.chmod(0o600)
        lines = [
            "# ayon-ftrack-sync demo: local emulator keys, valid while the demo runs",
            *(f"{k}={v}" for k, v in self._variables().items()),
        ]
        env_path.write_text("\n".join(lines) + "\n", "utf-8")

    def _check_ports(self) -> None:
        for port, what, flag in (
            (self.ports.temporal, "Temporal", "--temporal-port"),
            (self.ports.ui, "Temporal Web UI", "--ui-port"),
            (self.ports.ftrack, "ftrack emulator", "--ftrack-port"),
            (self.ports.ayon, "AYON emulator", "--ayon-port"),
        ):
            if port_in_use(port):
                raise DemoError(
                    f"port {port} ({what}) on {LOOPBACK} is already in use (another demo or "
                    f"server running?); stop it or pick another port with {flag}"
                )
        chosen = [self.ports.temporal, self.ports.ui, self.ports.ftrack, self.ports.ayon]
        if len(set(chosen)) != len(chosen):
            raise DemoError(f"the demo needs four different ports, got {chosen}")

    # -- main ------------------------------------------------------------------------------

    async def run(self) -> int:
        from ayon_ftrack_sync.temporal.devserver import DevServerError, find_temporal_binary

        try:
            find_temporal_binary(self.temporal_bin)
            self._check_ports()
        except (DevServerError, DemoError) as exc:
            error_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            return 1
        loop = asyncio.get_running_loop()
        flow = asyncio.ensure_future(self._flow())

        def on_signal(signum: int) -> None:
            if self.interrupted:
                self.children.hurry = True  # second Ctrl-C: do not wait for graceful stops
                return
            self.interrupted = True
            console.print(f"\n{signal.Signals(signum).name}: stopping the demo...")
            flow.cancel()

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, on_signal, signum)
        code = 1
        try:
            code = await flow
        except asyncio.CancelledError:
            code = 0 if self.interrupted else 1
        except DemoError as exc:
            error_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            code = 1
        except Exception as exc:  # anything unexpected: say it, then still stop everything
            error_console.print(
                f"[bold red]error:[/] {type(exc).__name__}: {escape(str(exc))}", highlight=False
            )
            code = 1
        finally:
            self._close_clients()
            if self.children.started:
                console.print("Stopping AYON listener, leecher, worker, emulators and Temporal...")
                await asyncio.to_thread(self.children.stop_all)
                console.print("Demo stopped.")
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
        return code

    async def _flow(self) -> int:
        self._prepare_folder()
        console.print(
            f"[bold]ayon-ftrack-sync demo[/]: state and logs in {self.folder}", highlight=False
        )
        await self._start_processes()
        await self._full_sync()
        await self._enable_auto_sync()
        edits = await self._make_edits()
        all_seen = await self._watch_edits(edits)
        ayon_seen = await self._ayon_edit()
        comment_seen = await self._ayon_comment()
        self._print_urls()
        if self.once:
            return 0 if all_seen and ayon_seen and comment_seen else 1
        console.print("[bold green]Demo ready.[/] Press Ctrl-C to stop.")
        while True:
            dead = self.children.first_dead()
            if dead is not None:
                raise dead.died("while the demo was running")
            await asyncio.sleep(0.5)

    # -- processes -------------------------------------------------------------------------

    async def _start_processes(self) -> None:
        p = self.ports
        console.print("Starting Temporal and the emulators:")
        server = self.children.start(
            "Temporal dev server",
            "server",
            "server",
            "--port",
            str(p.temporal),
            "--ui-port",
            str(p.ui),
            "--state-dir",
            str(self.folder),
        )
        ftrack = self.children.start(
            "ftrack emulator",
            "ftrack-emulator",
            "emulate",
            "ftrack",
            "--port",
            str(p.ftrack),
            "--api-user",
            API_USER,
            "--seed-project",
            DEMO_PROJECT,
            "--api-key",
            self.ftrack_key,
        )
        ayon = self.children.start(
            "AYON emulator", "ayon-emulator", "emulate", "ayon", "--port", str(p.ayon),
            "--api-key", self.ayon_key,
        )  # fmt: skip
        await asyncio.gather(
            self._ready(server, self._temporal_ready),
            self._ready(ftrack, lambda: self._log_has(ftrack, "ftrack emulator listening on")),
            self._ready(ayon, lambda: self._log_has(ayon, "AYON emulator listening on")),
        )
        self.children.note_descendants()
        console.print("Starting the worker, the leecher and the AYON listener:")
        # stopped in reverse: the AYON listener and the leecher before the worker
        worker = self.children.start("worker", "worker", "worker")
        leecher = self.children.start("leecher", "leecher", "leecher")
        listener = self.children.start("AYON listener", "ayon-listener", "ayon-listener")
        await asyncio.gather(
            self._ready(worker, lambda: self._worker_ready(worker)),
            self._ready(
                leecher, lambda: self._log_has(leecher, "listening on the ftrack event hub")
            ),
            self._ready(listener, lambda: self._log_has(listener, "AYON listener started")),
        )
        console.print(
            f"[green]ready[/]: Temporal {p.temporal_address}, ftrack {p.ftrack_url}, "
            f"AYON {p.ayon_url}, worker on task queue {TASK_QUEUE}, leecher on the event hub, "
            "AYON listener on AYON's events",
            highlight=False,
        )

    async def _ready(self, child: Child, probe: Callable[[], Awaitable[bool]]) -> None:
        """Poll `probe` until true; a dead child or the timeout ends the demo with its log."""
        started = time.monotonic()
        deadline = started + self.start_timeout
        while True:
            if not child.alive():
                raise child.died("while starting")
            if await probe():
                console.print(
                    f"  [green]ready[/] {child.name} ({time.monotonic() - started:.1f} s)",
                    highlight=False,
                )
                return
            if time.monotonic() > deadline:
                raise DemoError(
                    f"{child.name} not ready after {self.start_timeout:.0f} s; "
                    f"last lines of {child.log_path}:\n{child.tail()}"
                )
            await asyncio.sleep(0.1)

    async def _log_has(self, child: Child, marker: str) -> bool:
        return marker in child.log_text()

    async def _temporal_ready(self) -> bool:
        from temporalio.service import RPCError

        from ayon_ftrack_sync.temporal import TemporalUnavailable, connect

        if not _port_open(self.ports.temporal) or not _port_open(self.ports.ui):
            return False
        try:
            client = await connect(self.config.temporal, connect_timeout=timedelta(seconds=2))
            return await asyncio.wait_for(client.service_client.check_health(), 2)
        except (TemporalUnavailable, TimeoutError, RPCError, RuntimeError):
            return False

    async def _worker_ready(self, worker: Child) -> bool:
        from ayon_ftrack_sync.doctor import check_worker

        if "worker started" not in worker.log_text():
            return False
        result = await check_worker(self.config.temporal, timeout_s=10)
        return result.ok

    # -- full sync -------------------------------------------------------------------------

    async def _full_sync(self) -> None:
        """The first full sync, as `resync demo --create-project` runs it."""
        from temporalio.client import WorkflowFailureError
        from temporalio.common import (
            SearchAttributePair,
            TypedSearchAttributes,
            WorkflowIDReusePolicy,
        )

        from ayon_ftrack_sync.cli.resync import _follow, full_sync_workflow_id
        from ayon_ftrack_sync.ftrack import find_project
        from ayon_ftrack_sync.payloads.full_sync import FullSyncInput
        from ayon_ftrack_sync.temporal import (
            AYON_PROJECT,
            FTRACK_PROJECT_ID,
            SYNC_STATE,
            SyncState,
            connect,
        )
        from ayon_ftrack_sync.temporal.failures import root_message
        from ayon_ftrack_sync.workflows.full_sync import FullSyncWorkflow

        def resolve() -> tuple[str, str]:
            with self._ftrack() as session:
                info = find_project(session, DEMO_PROJECT)
            return info.id, info.full_name

        self.ftrack_project_id, full_name = await asyncio.to_thread(resolve)
        self.ayon_project = full_name
        console.print(
            f"Full sync of ftrack project [bold]{DEMO_PROJECT}[/] to AYON project "
            f"[bold]{escape(full_name)}[/] (creating it):"
        )
        client = await connect(self.config.temporal)
        started = time.monotonic()
        request = FullSyncInput(
            ftrack_project_id=self.ftrack_project_id,
            create_project=True,
            requested_by="demo",
        )
        handle = await client.start_workflow(
            FullSyncWorkflow.run,
            request,
            id=full_sync_workflow_id(self.ftrack_project_id),
            task_queue=TASK_QUEUE,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(FTRACK_PROJECT_ID, self.ftrack_project_id),
                    SearchAttributePair(AYON_PROJECT, full_name),
                    SearchAttributePair(SYNC_STATE, SyncState.RESYNCING.value),
                ]
            ),
            static_summary=f"full sync of {full_name} (demo)",
        )
        try:
            report = await _follow(handle)
        except WorkflowFailureError as exc:
            raise DemoError(
                f"the full sync failed: {root_message(exc)} (see {self.folder / 'worker.log'})"
            ) from None
        seconds = time.monotonic() - started
        self.ayon_project = report.project.ayon_project_name
        totals = report.totals()
        view = await asyncio.to_thread(self._ayon_view)
        console.print(
            f"  [green]done[/] in {seconds:.1f} s: created {totals.get('created', 0)}, "
            f"updated {totals.get('updated', 0)}, conflicts {totals['conflicts']}; AYON "
            f"project {escape(self.ayon_project)} has {len(view.folders)} folders and "
            f"{len(view.tasks)} tasks (workflow {escape(handle.id)})",
            highlight=False,
        )

    async def _enable_auto_sync(self) -> None:
        """Switch `auto_sync_enabled` on: the leecher then forwards every change (and asks the
        project workflow for a full sync, which finds nothing to do)."""
        from ayon_ftrack_sync.payloads.project_sync import ProjectSyncStatus
        from ayon_ftrack_sync.temporal import connect
        from ayon_ftrack_sync.workflows.project_sync import ProjectSyncWorkflow, workflow_id_for

        def switch_on() -> None:
            with self._ftrack() as session:
                project = session.get("Project", self.ftrack_project_id)
                project["custom_attributes"]["auto_sync_enabled"] = True
                session.commit()

        await asyncio.to_thread(switch_on)
        started = time.monotonic()
        console.print(f"Auto-sync switched on for [bold]{DEMO_PROJECT}[/] in ftrack")
        client = await connect(self.config.temporal)
        handle = client.get_workflow_handle_for(
            ProjectSyncWorkflow.run, workflow_id_for(self.ftrack_project_id)
        )
        deadline = started + 60
        while time.monotonic() < deadline:
            status: ProjectSyncStatus | None = None
            with contextlib.suppress(Exception):  # not started yet, or between runs
                status = await handle.query(ProjectSyncWorkflow.status)
            if status is not None and status.stats.resyncs >= 1 and not status.resync_running:
                console.print(
                    f"  [green]done[/]: the leecher started the project's sync workflow "
                    f"({handle.id}) and its full sync in {time.monotonic() - started:.1f} s",
                    highlight=False,
                )
                return
            await asyncio.sleep(0.2)
        console.print(
            "  [yellow]the project's sync workflow has not finished its first full sync "
            "after 60 s; making the edits anyway[/]"
        )

    # -- edits -----------------------------------------------------------------------------

    async def _make_edits(self) -> list[Edit]:
        console.print("Editing in ftrack (through ftrack_api):")
        return await asyncio.to_thread(self._edits_in_ftrack)

    def _edits_in_ftrack(self) -> list[Edit]:
        pid = self.ftrack_project_id
        edits: list[Edit] = []
        with self._ftrack() as session:
            shots = sorted(
                session.query(f'select id, name, parent_id from Shot where project_id is "{pid}"'),
                key=lambda s: s["name"],
            )
            if len(shots) < 2:
                raise DemoError(f"the seeded ftrack project {DEMO_PROJECT} has too few shots")
            first, second = shots[0], shots[1]
            third = shots[2] if len(shots) > 2 else second
            self._ayon_edit_shot = (third["id"], third["name"])
            taken = {s["name"] for s in shots}

            # 1. rename a shot
            old_name = first["name"]
            new_name = f"{old_name}_new"
            first["name"] = new_name
            shot_id = first["id"]
            edits.append(
                self._commit(
                    session,
                    Edit(
                        f"{old_name} renamed -> {new_name}",
                        lambda v: (v.folder(shot_id) or {}).get("name") == new_name,
                    ),
                )
            )

            # 2. a new shot with a task, in the same sequence
            sequence = session.get("Sequence", first["parent_id"])
            prefix = old_name[:-4] if old_name[-4:].isdigit() else f"{old_name}_"
            number = 10
            while f"{prefix}{number:04d}" in taken or f"{prefix}{number:04d}" == new_name:
                number += 10
            shot_name = f"{prefix}{number:04d}"
            task_type = session.query('select id, name from Type where name is "Compositing"')
            task_type = task_type.first() or session.query("select id, name from Type").first()
            new_shot = session.create("Shot", {"name": shot_name, "parent": sequence})
            task_name = str(task_type["name"]).lower()
            new_task = session.create(
                "Task", {"name": task_name, "parent": new_shot, "type": task_type}
            )
            new_shot_id, new_task_id = new_shot["id"], new_task["id"]
            edits.append(
                self._commit(
                    session,
                    Edit(
                        f"new shot {shot_name} with task {task_name}",
                        lambda v: (
                            v.folder(new_shot_id) is not None and v.task(new_task_id) is not None
                        ),
                    ),
                )
            )

            # 3. frame range (a hierarchical custom attribute)
            attributes = second["custom_attributes"]
            old_end = attributes.get("frameEnd")
            new_end = int(old_end or 1100) + 24
            attributes["frameEnd"] = new_end
            second_id = second["id"]
            edits.append(
                self._commit(
                    session,
                    Edit(
                        f"{second['name']} frameEnd {old_end} -> {new_end}",
                        lambda v: _attrib(v.folder(second_id), "frameEnd") == new_end,
                    ),
                )
            )

            # 4. task status
            task = session.query(
                f'select id, name, status.name from Task where parent_id is "{second_id}"'
            ).first()
            if task is not None:
                old_status = task["status"]["name"] if task["status"] else "none"
                target = "Approved" if old_status != "Approved" else "In progress"
                status = session.query(f'select id, name from Status where name is "{target}"')
                status = status.first()
                if status is not None:
                    task["status"] = status
                    task_id = task["id"]
                    edits.append(
                        self._commit(
                            session,
                            Edit(
                                f"{second['name']}/{task['name']} status {old_status} -> {target}",
                                lambda v: (
                                    str((v.task(task_id) or {}).get("status", "")).lower()
                                    == target.lower()
                                ),
                            ),
                        )
                    )
        for edit in edits:
            console.print(f"  {escape(edit.text)}", highlight=False)
        return edits

    @staticmethod
    def _commit(session: Any, edit: Edit) -> Edit:
        session.commit()
        edit.made_at = time.monotonic()
        return edit

    async def _watch_edits(self, edits: list[Edit]) -> bool:
        """Poll AYON until every edit shows (a line each, with its latency) or times out."""
        console.print(f"Waiting for the edits in AYON (up to {self.edit_timeout:.0f} s each):")
        pending = list(edits)
        while pending:
            view = await asyncio.to_thread(self._ayon_view)
            now = time.monotonic()
            for edit in list(pending):
                if edit.check(view):
                    edit.seen_after = now - edit.made_at
                    pending.remove(edit)
                    console.print(
                        f"  [green]{escape(edit.text)}: in AYON after {edit.seen_after:.1f} s[/]",
                        highlight=False,
                    )
                elif now - edit.made_at > self.edit_timeout:
                    pending.remove(edit)
                    console.print(
                        f"  [red]{escape(edit.text)}: not seen in AYON after "
                        f"{self.edit_timeout:.0f} s[/]",
                        highlight=False,
                    )
            if pending:
                dead = self.children.first_dead()
                if dead is not None:
                    raise dead.died("while the edits were on their way")
                await asyncio.sleep(0.1)
        missing = [e for e in edits if e.seen_after is None]
        if missing:
            console.print(
                f"  {len(missing)} of {len(edits)} edit(s) did not arrive: see "
                f"{self.folder / 'worker.log'}, {self.folder / 'leecher.log'} and the "
                f"project's workflow in the Web UI ({self.ports.ui_url})",
                highlight=False,
            )
        return not missing

    async def _ayon_edit(self) -> bool:
        """One AYON edit through ayon_api as a person; poll ftrack until it shows there."""
        if self._ayon_edit_shot is None:
            raise DemoError("no shot to edit in AYON")
        shot_id, shot_name = self._ayon_edit_shot
        view = await asyncio.to_thread(self._ayon_view)
        folder = view.folder(shot_id)
        if folder is None:
            raise DemoError(f"shot {shot_name} is not in AYON project {self.ayon_project}")
        text = f"description of {shot_name} changed in AYON"
        description = f"{text} at {time.strftime('%H:%M:%S')}"
        console.print(
            f"Editing in AYON (through ayon_api, sender type {DEMO_SENDER_TYPE!r}, as a person):"
        )
        await asyncio.to_thread(self._edit_in_ayon, str(folder["id"]), description)
        made_at = time.monotonic()
        console.print(f"  {escape(shot_name)} description -> {escape(repr(description))}")
        console.print(f"Waiting for the edit in ftrack (up to {self.edit_timeout:.0f} s):")
        with self._ftrack() as session:
            while True:
                value = await asyncio.to_thread(_ftrack_description, session, shot_id)
                seconds = time.monotonic() - made_at
                if value == description:
                    console.print(
                        f"  [green]{escape(text)}: in ftrack after {seconds:.1f} s[/]",
                        highlight=False,
                    )
                    return True
                if seconds > self.edit_timeout:
                    console.print(
                        f"  [red]{escape(text)}: not seen in ftrack after "
                        f"{self.edit_timeout:.0f} s[/]; see {self.folder / 'ayon-listener.log'} "
                        f"and {self.folder / 'worker.log'}",
                        highlight=False,
                    )
                    return False
                dead = self.children.first_dead()
                if dead is not None:
                    raise dead.died("while the AYON edit was on its way")
                await asyncio.sleep(0.1)

    async def _ayon_comment(self) -> bool:
        """A person's comment on the same shot in AYON; poll ftrack until it is a note."""
        assert self._ayon_edit_shot is not None
        shot_id, shot_name = self._ayon_edit_shot
        view = await asyncio.to_thread(self._ayon_view)
        folder = view.folder(shot_id)
        if folder is None:
            raise DemoError(f"shot {shot_name} is not in AYON project {self.ayon_project}")
        body = f"comment on {shot_name} written in AYON at {time.strftime('%H:%M:%S')}"
        await asyncio.to_thread(self._comment_in_ayon, str(folder["id"]), body)
        made_at = time.monotonic()
        console.print(f"  {escape(shot_name)} comment -> {escape(repr(body))}")
        with self._ftrack() as session:
            while True:
                notes = await asyncio.to_thread(_ftrack_notes, session, shot_id)
                seconds = time.monotonic() - made_at
                if body in notes:
                    console.print(
                        f"  [green]comment on {escape(shot_name)} in AYON: an ftrack note after "
                        f"{seconds:.1f} s[/]",
                        highlight=False,
                    )
                    return True
                if seconds > self.edit_timeout:
                    console.print(
                        f"  [red]comment on {escape(shot_name)} in AYON: no ftrack note after "
                        f"{self.edit_timeout:.0f} s[/]; see {self.folder / 'ayon-listener.log'} "
                        f"and {self.folder / 'worker.log'}",
                        highlight=False,
                    )
                    return False
                dead = self.children.first_dead()
                if dead is not None:
                    raise dead.died("while the AYON comment was on its way")
                await asyncio.sleep(0.1)

    def _comment_in_ayon(self, folder_id: str, body: str) -> None:
        import ayon_api

        api = ayon_api.ServerAPI(
            self.ports.ayon_url,
            token=self.ayon_key,
            sender_type=DEMO_SENDER_TYPE,
            sender=DEMO_SENDER,
            timeout=10,
        )
        try:
            api.create_activity(self.ayon_project, folder_id, "folder", "comment", body=body)
        finally:
            with contextlib.suppress(Exception):
                api.close_session()

    def _edit_in_ayon(self, folder_id: str, description: str) -> None:
        import ayon_api

        api = ayon_api.ServerAPI(
            self.ports.ayon_url,
            token=self.ayon_key,
            sender_type=DEMO_SENDER_TYPE,
            sender=DEMO_SENDER,
            timeout=10,
        )
        try:
            api.update_folder(self.ayon_project, folder_id, attrib={"description": description})
        finally:
            with contextlib.suppress(Exception):
                api.close_session()

    # -- clients ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _ftrack(self) -> Any:
        from ayon_ftrack_sync.ftrack import open_session

        session = open_session(self.config.ftrack, schema_cache_dir=self.folder / "schema-cache")
        try:
            yield session
        finally:
            with contextlib.suppress(Exception):
                session.close()

    def _ayon_view(self) -> AyonView:
        """Folders and tasks of the demo project in AYON (one connection, kept)."""
        from ayon_ftrack_sync.ayon.client import open_api

        if self._ayon_api is None:
            self._ayon_api, _ = open_api(self.config.ayon, timeout=10)
        api = self._ayon_api
        folders = list(
            api.get_folders(
                self.ayon_project, fields={"id", "name", "attrib.ftrackId", "attrib.frameEnd"}
            )
        )
        tasks = list(
            api.get_tasks(self.ayon_project, fields={"id", "name", "status", "attrib.ftrackId"})
        )
        return AyonView(_by_ftrack_id(folders), _by_ftrack_id(tasks))

    def _close_clients(self) -> None:
        api, self._ayon_api = self._ayon_api, None
        if api is not None:
            with contextlib.suppress(Exception):
                api.close_session()

    # -- end -------------------------------------------------------------------------------

    def _print_urls(self) -> None:
        p = self.ports
        env_file = self.folder / ENV_FILE
        rows = [
            ("Temporal Web UI", f"{p.ui_url}  (workflows ftrack-sync/project/...)"),
            ("Temporal", f"{p.temporal_address}  (namespace default, task queue {TASK_QUEUE})"),
            ("ftrack emulator", f"{p.ftrack_url}  (user {API_USER}, key in {env_file})"),
            ("AYON emulator", f"{p.ayon_url}  (project {self.ayon_project}, key in {env_file})"),
            ("logs", f"{self.folder}/*.log"),
            ("try", f"ayon-ftrack-sync --env-file {env_file} status"),
        ]
        console.print("")
        for name, value in rows:
            console.print(f"  [bold]{name:<16}[/] {escape(value)}", highlight=False)
        console.print("")


def _ftrack_description(session: Any, shot_id: str) -> Any:
    """The shot's description as the ftrack server has it now (the session cache is reset)."""
    session.reset()
    shot = session.query(f'select id, description from Shot where id is "{shot_id}"').first()
    return None if shot is None else shot["description"]


def _ftrack_notes(session: Any, entity_id: str) -> list[str]:
    """The texts of the notes on an ftrack entity as the server has them now."""
    session.reset()
    notes = session.query(f'select content from Note where parent_id is "{entity_id}"').all()
    return [str(note["content"]) for note in notes]


def _attrib(entity: dict[str, Any] | None, name: str) -> Any:
    if entity is None:
        return None
    return (entity.get("attrib") or {}).get(name)


def _by_ftrack_id(entities: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for entity in entities:
        ftrack_id = _attrib(entity, "ftrackId")
        if ftrack_id:
            found[str(ftrack_id)] = entity
    return found


def _port_open(port: int, host: str = LOOPBACK) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False
