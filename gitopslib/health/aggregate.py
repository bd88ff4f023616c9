"""Application health from the health of its resources, as Argo CD computes it.

Two input forms:

* a list of :class:`HealthStatus` (or ``None``): the worst status wins, in Argo CD's order
  ``Healthy < Suspended < Progressing < Missing < Degraded < Unknown``; the message is the
  first message carrying that status;
* a list of ``(object_or_key, HealthStatus | None)`` rows, one per managed resource, where
  the first item is the live object (a dict) or its :class:`~gitopslib.manifest.ResourceKey`
  and a ``Missing`` status means "not in the cluster". Rows follow Argo CD's
  ``setApplicationHealth``: hooks are skipped, objects annotated
  ``argocd.argoproj.io/ignore-healthcheck: "true"`` are skipped, Missing resources do not
  lower the app's health, child Applications that are Missing or Unknown are skipped, and an
  app whose resources are all missing is ``Missing``. The message names the resources behind
  the result: ``Caused by apps/Deployment:prod/web, Pod:prod/db`` (at most three, then
  ``and N more``).

Both forms may be mixed; plain statuses then simply compete for the worst.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from gitopslib.errors import HealthError
from gitopslib.health._types import HealthStatus, HealthStatusCode, rank
from gitopslib.health.builtin import is_hook
from gitopslib.manifest import ANNOTATION_IGNORE_HEALTHCHECK, ResourceKey, key_of

__all__ = ["MAX_CAUSES", "aggregate_health", "describe_key"]

H = HealthStatusCode
MAX_CAUSES = 3

Row = tuple[Mapping[str, Any] | ResourceKey, HealthStatus | None]


def describe_key(key: ResourceKey) -> str:
    """How a resource is named in an aggregated message: ``group/Kind:namespace/name``.

    >>> describe_key(ResourceKey("apps", "Deployment", "prod", "web"))
    'apps/Deployment:prod/web'
    """
    gk = f"{key.group}/{key.kind}" if key.group else key.kind
    return f"{gk}:{key.namespace}/{key.name}" if key.namespace else f"{gk}:{key.name}"


def _causes(keys: list[ResourceKey]) -> str:
    names = [describe_key(k) for k in keys]
    text = ", ".join(names[:MAX_CAUSES])
    if len(names) > MAX_CAUSES:
        text += f" and {len(names) - MAX_CAUSES} more"
    return f"Caused by {text}"


def aggregate_health(
    items: Iterable[HealthStatus | Row | None],
    *,
    app_key: ResourceKey | None = None,
) -> HealthStatus:
    """The health of an application (or any group of objects) from its parts.

    ``app_key`` names the Application itself, so a self-managing app's own row is skipped.

    >>> hs = HealthStatus
    >>> aggregate_health([hs(H.HEALTHY), hs(H.PROGRESSING, "rolling"), None]).status
    <HealthStatusCode.PROGRESSING: 'Progressing'>
    >>> web = {"apiVersion": "apps/v1", "kind": "Deployment",
    ...        "metadata": {"name": "web", "namespace": "prod"}}
    >>> aggregate_health([(web, hs(H.DEGRADED, "deadline"))]).message
    'Caused by apps/Deployment:prod/web'
    """
    worst: HealthStatusCode = H.HEALTHY
    plain_message: dict[HealthStatusCode, str] = {}
    by_code: dict[HealthStatusCode, list[ResourceKey]] = {}
    missing: list[ResourceKey] = []
    has_rows = has_live = False

    for item in items:
        if item is None:
            continue
        if isinstance(item, HealthStatus):
            if item.status is None:
                continue
            plain_message.setdefault(item.status, item.message)
            if rank(item.status) > rank(worst):
                worst = item.status
            continue
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise HealthError(
                "aggregate_health expects HealthStatus items or (object or ResourceKey, "
                f"HealthStatus) rows, got {type(item).__name__}"
            )
        target, health = item
        obj: Mapping[str, Any] | None = None
        if isinstance(target, ResourceKey):
            key = target
        else:
            obj = target
            if is_hook(obj):
                continue
            key = key_of(obj)
        has_rows = True
        if health is not None and health.status is H.MISSING:
            missing.append(key)
            continue
        has_live = True
        if obj is not None:
            meta = obj.get("metadata") or {}
            annotations = meta.get("annotations") or {}
            if annotations.get(ANNOTATION_IGNORE_HEALTHCHECK) == "true":  # exact, as Argo CD
                continue
        if app_key is not None and key == app_key:
            continue
        if health is None or health.status is None:
            continue
        if (
            key.group == "argoproj.io"
            and key.kind == "Application"
            and health.status in (H.MISSING, H.UNKNOWN)
        ):
            continue
        by_code.setdefault(health.status, []).append(key)
        if rank(health.status) > rank(worst):
            worst = health.status

    if has_rows and not has_live and rank(H.MISSING) > rank(worst):
        return HealthStatus(H.MISSING, _causes(missing) if missing else "")
    if worst is H.HEALTHY:
        return HealthStatus(H.HEALTHY, "")
    if by_code.get(worst):
        return HealthStatus(worst, _causes(by_code[worst]))
    return HealthStatus(worst, plain_message.get(worst, ""))
