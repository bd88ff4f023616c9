"""``gitopslib serve``: the reconcile loop with webhooks, metrics and a read API, in one
process (the ``server`` extra: Starlette and uvicorn).

One module per concept: :mod:`~gitopslib.server.settings` (what a process runs with),
:mod:`~gitopslib.server.apps` (where Applications come from),
:mod:`~gitopslib.server.sharding` (which replica owns which app),
:mod:`~gitopslib.server.queue` (the bounded coalescing work queue),
:mod:`~gitopslib.server.loop` (scheduler and workers), :mod:`~gitopslib.server.status`
(Argo CD's ``status`` from a pass), :mod:`~gitopslib.server.routes` (HTTP) and
:mod:`~gitopslib.server.lifecycle` (the ASGI app and the process).
"""

from __future__ import annotations

from gitopslib.server.lifecycle import create_app, run
from gitopslib.server.loop import Controller
from gitopslib.server.settings import ServeSettings, SettingsError
from gitopslib.server.sharding import shard_of

__all__ = ["Controller", "ServeSettings", "SettingsError", "create_app", "run", "shard_of"]
