"""Git webhooks: verify a provider's push notification and name the apps it refreshes.

Pure functions of data: :func:`parse_webhook` takes the request's headers and body (and the
secrets) and returns a :class:`PushEvent`; :func:`apps_for_webhook` takes that event and the
Applications and returns those to refresh. HTTP lives in :mod:`gitopslib.server`.
"""

from __future__ import annotations

from gitopslib.webhook._match import (
    MANIFEST_GENERATE_PATHS,
    app_refresh_paths,
    apps_for_webhook,
    files_touch_paths,
    url_matches,
)
from gitopslib.webhook._parse import (
    DEFAULT_MAX_PAYLOAD_SIZE,
    PushEvent,
    parse_revision,
    parse_webhook,
)
from gitopslib.webhook._secrets import PROVIDERS, WebhookSecrets

__all__ = [
    "DEFAULT_MAX_PAYLOAD_SIZE",
    "MANIFEST_GENERATE_PATHS",
    "PROVIDERS",
    "PushEvent",
    "WebhookSecrets",
    "app_refresh_paths",
    "apps_for_webhook",
    "files_touch_paths",
    "parse_revision",
    "parse_webhook",
    "url_matches",
]
