"""Delivery of rendered notifications: ``webhook``, ``slack`` and ``email`` natively (httpx,
smtplib), every other service type through ``apprise`` (the ``apprise`` extra).

A sender is ``send(service, notification, recipient)``: ``service`` is the
:class:`~gitopslib.notifications.config.ServiceConfig`, ``notification`` the rendered template
fields (``message`` plus the service type's block) and ``recipient`` the part after ``:`` in
``service:recipient``. It raises :class:`DeliveryError` on failure; the notifier records that
in the :class:`~gitopslib.notifications.Delivery` and carries on with the next destination.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from gitopslib.notifications.config import ServiceConfig
from gitopslib.notifications.services._common import DeliveryError

__all__ = ["NATIVE_TYPES", "DeliveryError", "Sender", "default_senders"]

Sender = Callable[[ServiceConfig, Mapping[str, Any], str], None]

#: Service types delivered without apprise.
NATIVE_TYPES = ("email", "slack", "webhook")


def default_senders() -> dict[str, Sender]:
    """The built-in senders by service type; other types go to apprise."""
    from gitopslib.notifications.services.slack import send_slack
    from gitopslib.notifications.services.smtp import send_email
    from gitopslib.notifications.services.webhook import send_webhook

    return {"webhook": send_webhook, "slack": send_slack, "email": send_email}
