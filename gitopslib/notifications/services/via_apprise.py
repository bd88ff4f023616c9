"""Every other service type through `apprise <https://github.com/caronc/apprise>`_ (the
``apprise`` extra), by turning the Argo CD options into an apprise URL:

=============== ============================================ ================================
service type    options used                                 apprise URL
=============== ============================================ ================================
``apprise``     ``urls`` (list; gitopslib's own type)         each URL as written
``telegram``    ``token``; recipient = chat id                ``tgram://<token>/<recipient>``
``pushover``    ``token``; recipient = user key               ``pover://<recipient>@<token>``
``teams``       ``recipientUrls[<recipient>]``                the Teams webhook URL
``googlechat``  ``webhooks[<recipient>]``                     the Google Chat webhook URL
``discord``     ``webhooks[<recipient>]`` or ``url``          the Discord webhook URL
``mattermost``  ``url`` (an incoming-webhook URL)             the webhook URL
=============== ============================================ ================================

The title is the template's ``<type>.title`` (or ``email.subject``), the body its
``message``. Any other type is a clear error naming the service.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from gitopslib.errors import NotificationError
from gitopslib.notifications.config import ServiceConfig
from gitopslib.notifications.services._common import DeliveryError

__all__ = ["APPRISE_TYPES", "apprise_urls", "send_apprise"]

APPRISE_TYPES = ("apprise", "discord", "googlechat", "mattermost", "pushover", "teams", "telegram")


def _lookup(service: ServiceConfig, field: str, recipient: str) -> str:
    table = service.options.get(field) or {}
    if not isinstance(table, Mapping) or recipient not in table:
        raise NotificationError(
            f"{service.key}: {field} has no entry for recipient {recipient!r}", key=service.key
        )
    return str(table[recipient])


def apprise_urls(service: ServiceConfig, recipient: str) -> list[str]:
    """The apprise URLs for one destination of ``service``."""
    opts = service.options
    stype = service.type
    if stype == "apprise":
        urls = opts.get("urls") or ([opts["url"]] if opts.get("url") else [])
        if not isinstance(urls, list) or not urls:
            raise NotificationError(f"{service.key}: urls is required", key=service.key)
        return [str(u) for u in urls]
    if stype == "telegram":
        return [f"tgram://{opts.get('token', '')}/{recipient}"]
    if stype == "pushover":
        return [f"pover://{recipient}@{opts.get('token', '')}"]
    if stype == "teams":
        return [_lookup(service, "recipientUrls", recipient)]
    if stype == "googlechat":
        return [_lookup(service, "webhooks", recipient)]
    if stype in ("discord", "mattermost"):
        if opts.get("url"):
            return [str(opts["url"])]
        return [_lookup(service, "webhooks", recipient)]
    raise NotificationError(
        f"{service.key}: service type {stype!r} is not supported (native: webhook, slack, "
        f"email; through apprise: {', '.join(APPRISE_TYPES)})",
        key=service.key,
    )


def send_apprise(service: ServiceConfig, notification: Mapping[str, Any], recipient: str) -> None:
    """Notify through apprise; :class:`DeliveryError` when apprise reports a failure."""
    urls = apprise_urls(service, recipient)
    try:
        with warnings.catch_warnings():
            # apprise imports the deprecated imghdr module; that is apprise's business
            warnings.simplefilter("ignore", DeprecationWarning)
            import apprise
    except ImportError:
        raise NotificationError(
            f"{service.key}: service type {service.type!r} needs apprise: "
            "pip install gitopslib[apprise]",
            key=service.key,
        ) from None
    block: Any = notification.get(service.type) or {}
    title = ""
    if isinstance(block, Mapping):
        title = str(block.get("title") or "")
    if not title:
        title = str((notification.get("email") or {}).get("subject") or "")
    body = str(notification.get("message") or "")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # apprise's imghdr, see above
        notifier = apprise.Apprise()
        for url in urls:
            if not notifier.add(url):
                raise NotificationError(
                    f"{service.key}: apprise does not understand the URL built for {service.type}",
                    key=service.key,
                )
        delivered = notifier.notify(body=body or " ", title=title)
    if not delivered:
        raise DeliveryError(
            f"{service.key}: apprise could not deliver to {service.type}",
            key=service.key,
            service=service.name,
        )
