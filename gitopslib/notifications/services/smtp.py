"""The ``email`` service over SMTP (smtplib).

Options: ``host``, ``port`` (25; 465 means implicit TLS), ``from``, ``username``/``password``
(login when given), ``html`` (send the body as HTML), ``insecure_skip_verify``; gitopslib adds
``starttls`` (default: when the server offers it) and ``timeout`` (30s). The recipient is the
address (several separated by ``,``); the template's ``email`` block gives ``subject`` and
``body`` (default: ``message``).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from gitopslib.errors import NotificationError
from gitopslib.giturl import mask_credentials
from gitopslib.notifications.config import ServiceConfig
from gitopslib.notifications.services._common import DeliveryError, option_seconds

__all__ = ["email_message", "send_email"]


def email_message(
    service: ServiceConfig, notification: Mapping[str, Any], recipient: str
) -> EmailMessage:
    """The message to send — pure, for previews."""
    opts = service.options
    sender = opts.get("from")
    if not sender:
        raise NotificationError(f"{service.key}: from is required", key=service.key)
    to = [r.strip() for r in recipient.split(",") if r.strip()]
    if not to:
        raise NotificationError(
            f"{service.key}: an address is needed as recipient (email:<address>)",
            key=service.key,
        )
    block = notification.get("email") or {}
    msg = EmailMessage()
    msg["From"] = str(sender)
    msg["To"] = ", ".join(to)
    msg["Subject"] = str(block.get("subject") or "")
    body = str(block.get("body") or notification.get("message") or "")
    if opts.get("html"):
        msg.set_content(body, subtype="html")
    else:
        msg.set_content(body)
    return msg


def send_email(service: ServiceConfig, notification: Mapping[str, Any], recipient: str) -> None:
    """Send through the SMTP server; :class:`DeliveryError` when it refuses or is away."""
    opts = service.options
    host = opts.get("host")
    if not host:
        raise NotificationError(f"{service.key}: host is required", key=service.key)
    port = opts.get("port") or 25
    if not isinstance(port, int) or isinstance(port, bool):
        raise NotificationError(f"{service.key}: port must be a number", key=service.key)
    msg = email_message(service, notification, recipient)
    timeout = option_seconds(service, "timeout", 30.0)
    context = ssl.create_default_context()
    if opts.get("insecure_skip_verify"):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        smtp: smtplib.SMTP
        if port == 465:
            smtp = smtplib.SMTP_SSL(str(host), port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(str(host), port, timeout=timeout)
        with smtp:
            smtp.ehlo()
            starttls = opts.get("starttls")
            if port != 465 and (starttls or (starttls is None and smtp.has_extn("starttls"))):
                smtp.starttls(context=context)
                smtp.ehlo()
            if opts.get("username"):
                smtp.login(str(opts["username"]), str(opts.get("password", "")))
            smtp.send_message(msg)
    except (smtplib.SMTPException, OSError) as exc:
        detail = mask_credentials(str(exc), service.secret_values)
        raise DeliveryError(
            f"{service.key}: SMTP {host}:{port} failed: {type(exc).__name__}: {detail}",
            key=service.key,
            service=service.name,
        ) from None
