"""The ``webhook`` service: one HTTP request per notification, as the engine sends it.

Options (``service.webhook.<name>``): ``url``, ``headers`` (list of ``name``/``value``),
``basicAuth`` (``username``/``password``), ``retryMax`` (3), ``retryWaitMin`` (1s),
``retryWaitMax`` (5s), ``insecureSkipVerify``; gitopslib adds ``timeout`` (30s) and
``caFile``/``certFile``/``keyFile``. The template's ``webhook.<name>`` block gives ``method``
(default GET), ``path`` (appended to ``url``) and ``body``; without a block the body is the
``message`` and the method GET.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitopslib.errors import NotificationError
from gitopslib.notifications.config import ServiceConfig
from gitopslib.notifications.services._common import check_status, http_request

__all__ = ["send_webhook", "webhook_request"]


def webhook_request(
    service: ServiceConfig, notification: Mapping[str, Any]
) -> tuple[str, str, dict[str, str], str, tuple[str, str] | None]:
    """(method, url, headers, body, basic auth) for ``notification`` — pure, for previews."""
    opts = service.options
    url = opts.get("url")
    if not isinstance(url, str) or not url:
        raise NotificationError(f"{service.key}: url is required", key=service.key)
    method, body = "GET", str(notification.get("message") or "")
    block = (notification.get("webhook") or {}).get(service.name)
    if isinstance(block, Mapping):
        body = str(block.get("body") or "")
        method = str(block.get("method") or method)
        path = str(block.get("path") or "")
        if path:
            url = url.rstrip("/") + "/" + path.lstrip("/")
    headers: dict[str, str] = {}
    for i, header in enumerate(opts.get("headers") or []):
        if not isinstance(header, Mapping) or "name" not in header:
            raise NotificationError(
                f"{service.key}: headers[{i}] needs name and value", key=service.key
            )
        headers[str(header["name"])] = str(header.get("value", ""))
    auth = None
    basic = opts.get("basicAuth")
    if basic:
        if not isinstance(basic, Mapping):
            raise NotificationError(
                f"{service.key}: basicAuth needs username and password", key=service.key
            )
        auth = (str(basic.get("username", "")), str(basic.get("password", "")))
    return method.upper(), url, headers, body, auth


def send_webhook(service: ServiceConfig, notification: Mapping[str, Any], recipient: str) -> None:
    """Send; :class:`~gitopslib.notifications.services.DeliveryError` unless a 2xx came back."""
    method, url, headers, body, auth = webhook_request(service, notification)
    response = http_request(
        service, method, url, headers=headers, content=body.encode("utf-8"), auth=auth
    )
    check_status(service, method, url, response)
