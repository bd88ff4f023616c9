"""The ``slack`` service: ``chat.postMessage`` with a bot ``token`` (the engine's way), or an
incoming-webhook ``url``.

Options: ``token``, ``apiURL`` (default ``https://slack.com/api/``), ``username``, ``icon``
(an ``:emoji:`` or an image URL), ``insecureSkipVerify``, and gitopslib's ``url`` for incoming
webhooks (the recipient channel is then the webhook's own). The template's ``slack`` block:
``attachments`` and ``blocks`` (JSON text), ``username``/``icon`` overrides. Messages are always
posted (``deliveryPolicy``/``groupingKey`` threads are not followed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from gitopslib.errors import NotificationError
from gitopslib.notifications.config import ServiceConfig
from gitopslib.notifications.services._common import (
    DeliveryError,
    check_status,
    http_request,
    masked_url,
)

__all__ = ["send_slack", "slack_payload"]


def _json_field(service: ServiceConfig, block: Mapping[str, Any], name: str) -> Any:
    raw = block.get(name)
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise NotificationError(
            f"{service.key}: slack.{name} is not valid JSON after rendering (line {exc.lineno}, "
            f"column {exc.colno}: {exc.msg})",
            key=service.key,
        ) from None


def slack_payload(
    service: ServiceConfig, notification: Mapping[str, Any], recipient: str
) -> dict[str, Any]:
    """The JSON body for ``notification`` — pure, for previews."""
    block = notification.get("slack") or {}
    payload: dict[str, Any] = {"text": str(notification.get("message") or "")}
    if recipient:
        payload["channel"] = recipient
    for name in ("attachments", "blocks"):
        value = _json_field(service, block, name)
        if value is not None:
            payload[name] = value
    username = block.get("username") or service.options.get("username")
    if username:
        payload["username"] = str(username)
    icon = block.get("icon") or service.options.get("icon")
    if icon:
        icon = str(icon)
        payload["icon_emoji" if icon.startswith(":") else "icon_url"] = icon
    return payload


def send_slack(service: ServiceConfig, notification: Mapping[str, Any], recipient: str) -> None:
    """Post; :class:`DeliveryError` on an HTTP failure or ``"ok": false``."""
    opts = service.options
    payload = slack_payload(service, notification, recipient)
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8"}
    webhook_url = opts.get("url") or opts.get("webhook")
    if webhook_url:
        url = str(webhook_url)
        response = http_request(service, "POST", url, headers=headers, content=body)
        check_status(service, "POST", url, response)
        return
    token = opts.get("token")
    if not token:
        raise NotificationError(f"{service.key}: token (or url) is required", key=service.key)
    if not recipient:
        raise NotificationError(
            f"{service.key}: a channel is needed as recipient (slack:<channel>)", key=service.key
        )
    api = str(opts.get("apiURL") or "https://slack.com/api/")
    url = api.rstrip("/") + "/chat.postMessage"
    headers["Authorization"] = f"Bearer {token}"
    response = http_request(service, "POST", url, headers=headers, content=body)
    check_status(service, "POST", url, response)
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if not isinstance(answer, dict) or not answer.get("ok"):
        reason = answer.get("error", "no ok in the answer") if isinstance(answer, dict) else ""
        raise DeliveryError(
            f"{service.key}: {masked_url(url, service)} answered {reason}",
            key=service.key,
            service=service.name,
        )
