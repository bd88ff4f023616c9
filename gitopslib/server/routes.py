"""The HTTP endpoints of ``gitopslib serve`` (Starlette handlers over a :class:`Controller`).

``POST /api/webhook`` (provider signatures, no bearer token), ``GET /metrics``,
``GET /healthz`` (always open), ``GET /api/v1/applications`` and
``GET /api/v1/applications/{name}`` (Argo CD's JSON shapes; read only).
"""

from __future__ import annotations

import hmac
import logging
from typing import TYPE_CHECKING, Any

from gitopslib.errors import WebhookError
from gitopslib.server.apps import app_key
from gitopslib.webhook import apps_for_webhook, parse_webhook

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from gitopslib.server.loop import Controller

__all__ = ["Handlers"]

log = logging.getLogger("gitopslib.serve")


def _json(data: Any, status: int = 200) -> Response:
    from starlette.responses import JSONResponse

    return JSONResponse(data, status_code=status)


def _error(status: int, message: str, code: int = 2) -> Response:
    # grpc-gateway's error body, as Argo CD's API answers (code: the gRPC status code)
    return _json({"error": message, "code": code, "message": message}, status)


class Handlers:
    """The request handlers, bound to one controller."""

    def __init__(self, controller: Controller) -> None:
        self.controller = controller
        self.settings = controller.settings

    # --- auth -----------------------------------------------------------------------------

    def _authorized(self, request: Request) -> bool:
        token = self.settings.token
        if not token:
            return True
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(value.strip().encode(), token.encode())

    def _denied(self) -> Response:
        return _error(401, "no valid bearer token", code=16)

    # --- endpoints ------------------------------------------------------------------------

    async def healthz(self, request: Request) -> Response:
        c = self.controller
        if c.stopping:
            return _json({"status": "stopping"}, 503)
        if not c.ready:
            return _json({"status": "starting"}, 503)
        return _json({"status": "ok", "apps": len(c.records()), "queue": c.queue.depth})

    async def metrics(self, request: Request) -> Response:
        from starlette.responses import Response

        if not self._authorized(request):
            return self._denied()
        m = self.controller.metrics
        if m is None:
            return _error(404, "metrics are off", code=5)
        return Response(m.exposition(), media_type=m.content_type)

    async def list_apps(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._denied()
        items = [rec.to_dict() for _, rec in self.controller.records()]
        project = request.query_params.getlist("projects") or request.query_params.getlist(
            "project"
        )
        if project:
            items = [a for a in items if (a.get("spec") or {}).get("project", "default") in project]
        return _json({"metadata": {}, "items": items})

    async def get_app(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._denied()
        name = request.path_params["name"]
        rec = self.controller.record(name, request.query_params.get("appNamespace"))
        if rec is None:
            return _error(404, f'applications.argoproj.io "{name}" not found', code=5)
        return _json(rec.to_dict())

    async def webhook(self, request: Request) -> Response:
        limit = self.settings.max_payload_size
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return _error(413, f"webhook payload exceeds the limit of {limit} bytes", code=8)
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > limit:
                return _error(413, f"webhook payload exceeds the limit of {limit} bytes", code=8)
        try:
            event = parse_webhook(
                request.headers,
                bytes(body),
                self.settings.webhook_secrets,
                max_payload_size=limit,
                require_secret=self.settings.refuse_unsigned,
            )
        except WebhookError as exc:
            log.warning(
                "webhook refused",
                extra={"event": "webhook-refused", "status": exc.status, "error": str(exc)},
            )
            return _error(int(exc.status), str(exc), code=16 if exc.status == 401 else 3)
        if event is None:
            return _json({"status": "ignored"})
        c = self.controller
        if c.metrics is not None:
            c.metrics.record_webhook(event.repo_url)
        apps = apps_for_webhook(event, c.apps())
        keys = [app_key(a, self.settings.app_namespace) for a in apps]
        refused = c.refresh(keys, "webhook")
        log.info(
            "webhook accepted",
            extra={
                "event": "webhook",
                "provider": event.provider,
                "repo": event.repo_url,
                "revision": event.revision,
                "refresh": [k[1] for k in keys],
            },
        )
        if refused:
            return _error(503, "the work queue is full; retry later", code=14)
        return _json({"status": "accepted", "refresh": [k[1] for k in keys]}, 202)
