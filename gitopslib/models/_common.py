"""Small models shared by Application, AppProject and status: metadata, info, retry."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationInfo, model_validator

from gitopslib.errors import ValidationError
from gitopslib.models._base import FieldProblem, GitOpsModel, OpenModel
from gitopslib.models._duration import parse_go_duration_ns

__all__ = [
    "DEFAULT_RETRY_DURATION",
    "DEFAULT_RETRY_FACTOR",
    "DEFAULT_RETRY_MAX_DURATION",
    "Backoff",
    "Info",
    "ObjectMeta",
    "RetryStrategy",
    "check_object_name",
    "parse_retry_duration",
]

#: Argo CD's ``DefaultSyncRetryDuration``, ``DefaultSyncRetryFactor`` and
#: ``DefaultSyncRetryMaxDuration`` (argocd-semantics.md section 4.5).
DEFAULT_RETRY_DURATION = timedelta(seconds=5)
DEFAULT_RETRY_FACTOR = 2
DEFAULT_RETRY_MAX_DURATION = timedelta(minutes=3)

_GO_INT = re.compile(r"[+-]?[0-9]+")


def parse_retry_duration(text: str) -> timedelta:
    """A retry backoff duration as Argo CD reads it: a bare integer is seconds, anything else
    is a Go duration (``30s``, ``1m30s``, ``1.5h``; units ns us ms s m h, no days).

    >>> parse_retry_duration("10"), parse_retry_duration("1m30s")
    (datetime.timedelta(seconds=10), datetime.timedelta(seconds=90))
    """
    if _GO_INT.fullmatch(text):
        return timedelta(seconds=int(text))
    try:
        nanos = parse_go_duration_ns(text)
    except ValueError:
        raise ValidationError(
            f"invalid duration {text!r}: use whole seconds (30) or a Go duration (30s, 1m30s)",
            field="backoff",
        ) from None
    return timedelta(microseconds=nanos / 1000)


_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def check_object_name(name: str | None, kind: str) -> None:
    """Refuse a ``metadata.name`` the Kubernetes API server refuses for a custom resource
    (``Application``, ``AppProject``): a DNS-1123 subdomain, at most 253 characters of
    lowercase letters, digits, ``-`` and ``.``, starting and ending with a letter or digit.

    >>> check_object_name("a/b", "Application")
    Traceback (most recent call last):
    ...
    gitopslib.models._located_errors.FieldProblem: invalid Application name 'a/b': ...
    """
    if name is None or (len(name) <= 253 and _DNS1123_SUBDOMAIN.fullmatch(name)):
        return
    raise FieldProblem(
        f"invalid {kind} name {name!r}: a name is at most 253 characters of lowercase "
        "letters, digits, '-' and '.', starting and ending with a letter or digit (DNS-1123)",
        "metadata",
        "name",
    )


class ObjectMeta(OpenModel):
    """Kubernetes ``metadata``. Keys not modelled here are kept as written."""

    name: str | None = None
    generate_name: str | None = None
    namespace: str | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    finalizers: list[str] | None = None
    uid: str | None = None
    resource_version: str | None = None
    generation: int | None = None
    creation_timestamp: str | None = None
    deletion_timestamp: str | None = None
    deletion_grace_period_seconds: int | None = None
    owner_references: list[dict[str, Any]] | None = None
    managed_fields: list[dict[str, Any]] | None = None


class Info(GitOpsModel):
    """A free ``name``/``value`` pair shown in the UI (``spec.info``, ``operation.info``)."""

    name: str | None = None
    value: str | None = None


class Backoff(GitOpsModel):
    """Retry backoff: ``duration`` (Go duration, default ``5s``), ``factor`` (default 2),
    ``maxDuration`` (default ``3m``)."""

    duration: str | None = None
    factor: int | None = None
    max_duration: str | None = None

    @model_validator(mode="after")
    def _durations(self, info: ValidationInfo) -> Backoff:
        if not (info.context and info.context.get("document")):
            return self  # built in code: effective_duration says what is wrong, when used
        for attr, name in (("duration", "duration"), ("max_duration", "maxDuration")):
            text = getattr(self, attr)
            if text:
                try:
                    parse_retry_duration(text)
                except ValidationError as exc:
                    raise FieldProblem(exc.reason, name) from None
        return self

    @property
    def effective_duration(self) -> timedelta:
        """``duration`` parsed, or Argo CD's default of 5 s when unset or empty.

        >>> Backoff().effective_duration, Backoff(duration="10").effective_duration
        (datetime.timedelta(seconds=5), datetime.timedelta(seconds=10))
        """
        return parse_retry_duration(self.duration) if self.duration else DEFAULT_RETRY_DURATION

    @property
    def effective_factor(self) -> int:
        """``factor``, or Argo CD's default of 2 when unset.

        >>> Backoff().effective_factor, Backoff(factor=3).effective_factor
        (2, 3)
        """
        return DEFAULT_RETRY_FACTOR if self.factor is None else self.factor

    @property
    def effective_max_duration(self) -> timedelta:
        """``maxDuration`` parsed, or Argo CD's default of 3 minutes when unset or empty.

        >>> Backoff().effective_max_duration
        datetime.timedelta(seconds=180)
        """
        if not self.max_duration:
            return DEFAULT_RETRY_MAX_DURATION
        return parse_retry_duration(self.max_duration)


class RetryStrategy(GitOpsModel):
    """``syncPolicy.retry``: how failed syncs are retried (``limit`` < 0 means forever)."""

    limit: int | None = None
    backoff: Backoff | None = None
    refresh: bool | None = None

    @property
    def effective_backoff(self) -> Backoff:
        """``backoff``, or an empty one whose ``effective_*`` values are Argo CD's defaults."""
        return self.backoff if self.backoff is not None else Backoff()

    def retry_delay(self, retry_count: int) -> timedelta:
        """How long Argo CD waits before retry ``retry_count``: ``duration * factor**count``,
        capped at ``maxDuration`` when that is positive.

        >>> [RetryStrategy(limit=5).retry_delay(n).total_seconds() for n in (0, 1, 2, 6)]
        [5.0, 10.0, 20.0, 180.0]
        """
        b = self.effective_backoff
        base = b.effective_duration.total_seconds()
        wait = base * float(b.effective_factor) ** retry_count
        cap = b.effective_max_duration.total_seconds()
        if cap > 0:
            wait = min(cap, wait)
        return timedelta(seconds=wait)

    def next_retry_at(self, last_attempt: datetime, retry_count: int) -> datetime:
        """Argo CD's ``NextRetryAt``: ``last_attempt + retry_delay(retry_count)``.

        >>> from datetime import datetime
        >>> RetryStrategy().next_retry_at(datetime(2026, 1, 1), 1).isoformat()
        '2026-01-01T00:00:10'
        """
        return last_attempt + self.retry_delay(retry_count)
