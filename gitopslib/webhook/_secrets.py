"""Webhook secrets: one per provider, from the caller or from an ``argocd-secret``-shaped Secret.

The keys are Argo CD's (``webhook.github.secret``, ``webhook.gitlab.secret``,
``webhook.bitbucket.uuid``, ``webhook.bitbucketserver.secret``, ``webhook.gogs.secret``,
``webhook.azuredevops.username`` / ``.password``), so the same Secret configures both.
Values never print: ``repr`` shows which providers are configured, not what with.

>>> s = WebhookSecrets.from_mapping({"github": "s3cret"})
>>> s
WebhookSecrets(configured=['github'])
>>> s.github == "s3cret", s.gitlab
(True, '')
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from gitopslib.errors import WebhookError

__all__ = ["PROVIDERS", "WebhookSecrets"]

#: The providers we parse, in Argo CD's detection order.
PROVIDERS = ("azuredevops", "gogs", "github", "gitlab", "bitbucket", "bitbucketserver")

# argocd-secret key -> field name
_SECRET_KEYS = {
    "webhook.github.secret": "github",
    "webhook.gitlab.secret": "gitlab",
    "webhook.bitbucket.uuid": "bitbucket",
    "webhook.bitbucketserver.secret": "bitbucketserver",
    "webhook.gogs.secret": "gogs",
    "webhook.azuredevops.username": "azuredevops_username",
    "webhook.azuredevops.password": "azuredevops_password",
}
# short names a caller may use in a plain mapping
_SHORT_KEYS = {
    "github": "github",
    "gitlab": "gitlab",
    "bitbucket": "bitbucket",
    "bitbucketserver": "bitbucketserver",
    "gogs": "gogs",
    "azuredevops.username": "azuredevops_username",
    "azuredevops.password": "azuredevops_password",
    "azuredevops_username": "azuredevops_username",
    "azuredevops_password": "azuredevops_password",
}


@dataclass(frozen=True)
class WebhookSecrets:
    """The shared secret of each provider; an empty string means "not configured" (Argo CD
    then accepts that provider's payloads unverified, unless ``require_secret`` is set)."""

    github: str = field(default="", repr=False)
    gitlab: str = field(default="", repr=False)
    bitbucket: str = field(default="", repr=False)
    bitbucketserver: str = field(default="", repr=False)
    gogs: str = field(default="", repr=False)
    azuredevops_username: str = field(default="", repr=False)
    azuredevops_password: str = field(default="", repr=False)

    def __repr__(self) -> str:
        return f"WebhookSecrets(configured={self.configured()!r})"

    def configured(self) -> list[str]:
        """The providers that have a secret, in detection order."""
        out = []
        for provider in PROVIDERS:
            if provider == "azuredevops":
                if self.azuredevops_username or self.azuredevops_password:
                    out.append(provider)
            elif getattr(self, provider):
                out.append(provider)
        return out

    def has(self, provider: str) -> bool:
        """Whether ``provider`` has a secret configured."""
        return provider in self.configured()

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> WebhookSecrets:
        """From ``{"github": "...", "gitlab": "...", "azuredevops.username": ...}`` or the
        ``argocd-secret`` keys themselves. An unknown key is an error (a typo would otherwise
        turn verification off)."""
        if not values:
            return cls()
        known = {f.name for f in fields(cls)}
        kwargs: dict[str, str] = {}
        for key, value in values.items():
            name = _SECRET_KEYS.get(key) or _SHORT_KEYS.get(key)
            if name is None or name not in known:
                allowed = ", ".join(sorted({*_SHORT_KEYS, *_SECRET_KEYS}))
                raise WebhookError(
                    f"webhook secrets: unknown key {key!r} (expected one of {allowed})",
                    status=500,
                    field=key,
                )
            if value is None:
                continue
            if not isinstance(value, str):
                raise WebhookError(
                    f"webhook secrets: {key!r} must be a string", status=500, field=key
                )
            kwargs[name] = value.strip()
        return cls(**kwargs)

    @classmethod
    def from_secret(
        cls, secret: Mapping[str, Any], *, source: str = "argocd-secret"
    ) -> WebhookSecrets:
        """From a Kubernetes Secret object shaped like ``argocd-secret`` (``data`` base64,
        ``stringData`` plain; ``stringData`` wins, as the API server merges it). Keys other
        than the ``webhook.*`` ones are ignored."""
        kwargs: dict[str, str] = {}
        data = secret.get("data") or {}
        string_data = secret.get("stringData") or {}
        if not isinstance(data, Mapping) or not isinstance(string_data, Mapping):
            raise WebhookError(
                f"{source}: data and stringData must be mappings", status=500, file=source
            )
        for key, name in _SECRET_KEYS.items():
            if key in string_data and string_data[key] is not None:
                kwargs[name] = str(string_data[key]).strip()
            elif key in data and data[key] is not None:
                try:
                    raw = base64.b64decode(str(data[key]), validate=True)
                    kwargs[name] = raw.decode("utf-8").strip()
                except (binascii.Error, UnicodeDecodeError):
                    raise WebhookError(
                        f"{source}: data.{key} is not valid base64 UTF-8 text",
                        status=500,
                        file=source,
                        field=f"data.{key}",
                    ) from None
        return cls(**kwargs)

    @classmethod
    def coerce(cls, value: WebhookSecrets | Mapping[str, Any] | None) -> WebhookSecrets:
        """Accept a ready ``WebhookSecrets``, a mapping, a Secret object or None."""
        if isinstance(value, WebhookSecrets):
            return value
        if value is None:
            return cls()
        if value.get("kind") == "Secret" or "data" in value or "stringData" in value:
            return cls.from_secret(value)
        return cls.from_mapping(value)
