"""The ASGI application and the process around it: ``create_app(settings)`` (Starlette) and
``run(settings)`` (uvicorn, structured logs, graceful SIGTERM)."""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitopslib.errors import GitOpsError
from gitopslib.server.loop import Controller
from gitopslib.server.routes import Handlers
from gitopslib.server.settings import ServeSettings

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = ["JSONFormatter", "create_app", "run"]

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _require() -> None:
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:  # pragma: no cover - only without the extra
        raise GitOpsError(
            "gitopslib serve needs its extra: pip install gitopslib[server]"
        ) from None


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the record's extras."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = value
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


def _notifier(settings: ServeSettings) -> Any:
    if not settings.notifications_cm:
        return None
    import gitopslib

    notifier_cls = getattr(gitopslib, "Notifier", None)
    if notifier_cls is None:  # pragma: no cover - until notifications land
        raise GitOpsError("--notifications-cm needs gitopslib.Notifier (notifications)")
    secret = settings.notifications_secret
    return notifier_cls.from_yaml(
        Path(settings.notifications_cm), secret=Path(secret) if secret else None
    )


def create_app(
    settings: ServeSettings,
    *,
    controller: Controller | None = None,
    metrics: Any = None,
    cluster: Any = None,
) -> Starlette:
    """The Starlette application of ``gitopslib serve``; its lifespan loads the apps and
    runs the loop, and stops it (gracefully) on shutdown.

    >>> from gitopslib.server import ServeSettings
    >>> app = create_app(ServeSettings(paths=("examples/01-directory-app",), memory=True))
    >>> sorted(r.path for r in app.routes)  # doctest: +NORMALIZE_WHITESPACE
    ['/api/v1/applications', '/api/v1/applications/{name}', '/api/webhook', '/healthz',
     '/metrics']
    """
    _require()
    from starlette.applications import Starlette
    from starlette.routing import Route

    if controller is None:
        if metrics is None:
            from gitopslib.metrics import GitOpsMetrics

            metrics = GitOpsMetrics()
        controller = Controller(
            settings, metrics=metrics, cluster=cluster, notifier=_notifier(settings)
        )
    handlers = Handlers(controller)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        from starlette.concurrency import run_in_threadpool

        controller.load()
        controller.start()
        try:
            yield
        finally:
            await run_in_threadpool(controller.stop)

    routes = [
        Route("/api/webhook", handlers.webhook, methods=["POST"]),
        Route("/metrics", handlers.metrics, methods=["GET"]),
        Route("/healthz", handlers.healthz, methods=["GET"]),
        Route("/api/v1/applications", handlers.list_apps, methods=["GET"]),
        Route("/api/v1/applications/{name}", handlers.get_app, methods=["GET"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.controller = controller
    return app


def _configure_logging(settings: ServeSettings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(JSONFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger("gitopslib")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False


def run(settings: ServeSettings) -> int:
    """Serve until SIGTERM or SIGINT (uvicorn's handlers), then stop gracefully."""
    _require()
    import uvicorn

    _configure_logging(settings)
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=max(1, int(settings.grace_period)),
    )
    server = uvicorn.Server(config)
    log = logging.getLogger("gitopslib.serve")
    received: list[int] = []
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then raises the signal again for the
    # handler that was installed before it: ours notes it, so the process exits 0 after a
    # clean stop instead of dying of the re-raised signal
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: received.append(signum))
    log.info(
        "serving",
        extra={"event": "start", "listen": settings.listen, "shard": settings.shard},
    )
    server.run()
    log.info("stopped", extra={"event": "stop", "signals": received})
    return 0 if server.started else 2
