"""A generic health check for custom resources that follow Kubernetes API conventions.

Argo CD has no opinion about a custom resource without a Lua script (its health is ``None``).
Many controllers publish enough to judge anyway: ``status.observedGeneration`` and the
``Ready`` / ``Reconciling`` / ``Stalled`` conditions that kstatus (sigs.k8s.io/cli-utils)
reads. :func:`kstatus_health` applies those rules; ``assess_health(obj, generic=True)``
uses it for objects no script and no built-in check covers. It is opt-in: it is not what
Argo CD does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitopslib.health._types import HealthStatus, HealthStatusCode

__all__ = ["kstatus_health", "stale_generation"]

H = HealthStatusCode


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def stale_generation(obj: Mapping[str, Any]) -> tuple[int, int] | None:
    """``(generation, observedGeneration)`` when the controller has not yet seen the latest
    spec (``status.observedGeneration < metadata.generation``), else ``None``.

    >>> stale_generation({"metadata": {"generation": 3}, "status": {"observedGeneration": 2}})
    (3, 2)
    """
    meta = obj.get("metadata")
    status = obj.get("status")
    if not isinstance(meta, Mapping) or not isinstance(status, Mapping):
        return None
    generation = _int(meta.get("generation"))
    observed = _int(status.get("observedGeneration"))
    if generation is None or observed is None or observed >= generation:
        return None
    return generation, observed


def _text(cond: Mapping[str, Any], fallback: str) -> str:
    reason = str(cond.get("reason") or "")
    message = str(cond.get("message") or "")
    if reason and message:
        return f"{reason}: {message}"
    return message or reason or fallback


def kstatus_health(obj: Mapping[str, Any]) -> HealthStatus | None:
    """Health of a conventional custom resource, or ``None`` when it publishes nothing to judge.

    Rules, in order (kstatus, mapped onto Argo CD's codes):

    * ``status.observedGeneration < metadata.generation`` ⇒ Progressing;
    * condition ``Stalled`` True ⇒ Degraded;
    * condition ``Reconciling`` True ⇒ Progressing;
    * condition ``Ready``: True ⇒ Healthy, False or Unknown ⇒ Progressing;
    * otherwise, with ``status.observedGeneration`` or a ``status.conditions`` list present ⇒
      Healthy (kstatus' "Current"); with neither ⇒ ``None``.

    >>> kstatus_health({"kind": "Widget", "metadata": {"generation": 1},
    ...                 "status": {"observedGeneration": 1,
    ...                            "conditions": [{"type": "Ready", "status": "True"}]}})
    HealthStatus(status=<HealthStatusCode.HEALTHY: 'Healthy'>, message='')
    """
    status = obj.get("status")
    if not isinstance(status, Mapping):
        return None
    kind = str(obj.get("kind") or "resource")
    stale = stale_generation(obj)
    if stale is not None:
        return HealthStatus(
            H.PROGRESSING,
            f"{kind} generation is {stale[0]}, but latest observed generation is {stale[1]}",
        )
    raw = status.get("conditions")
    conditions = (
        {str(c.get("type")): c for c in raw if isinstance(c, Mapping)}
        if isinstance(raw, list)
        else {}
    )
    stalled = conditions.get("Stalled")
    if stalled is not None and stalled.get("status") == "True":
        return HealthStatus(H.DEGRADED, _text(stalled, f"{kind} is stalled"))
    reconciling = conditions.get("Reconciling")
    if reconciling is not None and reconciling.get("status") == "True":
        return HealthStatus(H.PROGRESSING, _text(reconciling, f"{kind} is reconciling"))
    ready = conditions.get("Ready")
    if ready is not None:
        if ready.get("status") == "True":
            message = str(ready.get("message") or "")
            return HealthStatus(H.HEALTHY, message)
        return HealthStatus(H.PROGRESSING, _text(ready, f"{kind} is not ready"))
    if isinstance(raw, list) or _int(status.get("observedGeneration")) is not None:
        return HealthStatus(H.HEALTHY)
    return None
