"""A local ftrack server that the unmodified ``ftrack_api`` client runs against.

ftrack is a hosted service, so tests, the demo and benchmarks use this emulator instead. It
speaks the real wire protocols (``POST /api`` batches, the socket.io 0.9 event hub) and keeps
its state in memory::

    with FtrackEmulator() as emulator:                 # 127.0.0.1, free port, own thread
        project_id = emulator.control.generate_project("demo", sequences=2, shots=3, tasks=2)
        session = ftrack_api.Session(**emulator.session_kwargs())
        ...
        with emulator.control.as_user("jane.doe") as ui:   # a change "from the web UI"
            ui.update("Shot", shot_id, {"name": "sh010"})  # -> ftrack.update event
        session.close()                                # before the emulator stops

Modules: ``schemas`` (hand-written schemas + relation metadata), ``store`` (indexed tables,
undo log), ``model`` (relations, computed and custom attributes), ``query`` (parser and
evaluator), ``writer`` (create/update/delete rules), ``events`` (``ftrack.update``), ``api``
(batch protocol), ``hub`` (event hub), ``seed``/``generator`` (data), ``control`` (test
knobs), ``server`` (aiohttp + ``FtrackEmulator``), ``serve`` (standalone process).
"""

from .server import FtrackEmulator

__all__ = ["FtrackEmulator"]
