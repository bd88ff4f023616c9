"""Small models shared by Application, AppProject and status: metadata, info, retry."""

from __future__ import annotations

from typing import Any

from gitopslib.models._base import GitOpsModel, OpenModel

__all__ = ["Backoff", "Info", "ObjectMeta", "RetryStrategy"]


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


class RetryStrategy(GitOpsModel):
    """``syncPolicy.retry``: how failed syncs are retried (``limit`` < 0 means forever)."""

    limit: int | None = None
    backoff: Backoff | None = None
    refresh: bool | None = None
