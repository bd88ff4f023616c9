"""An Application's ``status`` as Argo CD's API shows it, built from one reconcile pass."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

__all__ = [
    "error_status",
    "interrupted_status",
    "running_state",
    "status_from_result",
    "utc_now",
]


def utc_now() -> str:
    """Now, as Argo CD writes times (RFC 3339, seconds, ``Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _dump(model: Any) -> Any:
    return _compact(model.to_dict() if hasattr(model, "to_dict") else model)


def _compact(value: Any) -> Any:
    """Without null fields, as Argo CD's API omits empty ones."""
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


def _previous(app: Any) -> dict[str, Any]:
    status = getattr(app, "status", None)
    return dict(_dump(status) or {}) if status is not None else {}


def _source(app: Any) -> dict[str, Any]:
    spec = app.spec
    out: dict[str, Any] = {"destination": _dump(spec.destination)}
    if getattr(spec, "sources", None):
        out["sources"] = [_dump(s) for s in spec.sources]
    elif getattr(spec, "source", None) is not None:
        out["source"] = _dump(spec.source)
    return out


def _history(previous: dict[str, Any], app: Any, op: Any) -> list[dict[str, Any]]:
    history = list(previous.get("history") or [])
    result = getattr(op, "sync_result", None)
    if op is None or op.phase != "Succeeded" or result is None:
        return history
    entry: dict[str, Any] = {
        "id": (history[-1].get("id", -1) + 1) if history else 0,
        "deployedAt": op.finished_at,
        "deployStartedAt": op.started_at,
    }
    if result.revisions:
        entry["revisions"] = list(result.revisions)
        entry["sources"] = result.sources
    else:
        entry["revision"] = result.revision
        entry["source"] = result.source
    history.append(entry)
    limit = getattr(app.spec, "revision_history_limit", None)
    limit = 10 if limit is None else int(limit)
    return history[-limit:] if limit > 0 else []


def status_from_result(app: Any, result: Any) -> dict[str, Any]:
    """``status`` after ``result`` (a :class:`~gitopslib.reconcile.ReconcileResult`): sync
    and health, resources, conditions, the last operation and the history."""
    previous = _previous(app)
    health_of = dict(result.resource_health)
    resources = []
    for rd in result.comparison.resources:
        if rd.hook or rd.status == "":
            continue
        obj = rd.desired or rd.live or {}
        api_version = str(obj.get("apiVersion", ""))
        row: dict[str, Any] = {
            "group": rd.group,
            "version": api_version.rpartition("/")[2],
            "kind": rd.kind,
            "namespace": rd.namespace,
            "name": rd.name,
            "status": rd.status,
        }
        hs = health_of.get(rd.key)
        if hs is not None:
            row["health"] = {
                "status": str(hs.status),
                **({"message": hs.message} if hs.message else {}),
            }
        if rd.requires_pruning:
            row["requiresPruning"] = True
        resources.append(row)
    render = result.render
    sync: dict[str, Any] = {"status": result.comparison.sync_status, "comparedTo": _source(app)}
    if render.revisions and len(render.revisions) > 1:
        sync["revisions"] = [r or "" for r in render.revisions]
    elif render.revision:
        sync["revision"] = render.revision
    op = result.operation
    status: dict[str, Any] = {
        "sync": sync,
        "health": {"status": str(result.health.status)},
        "resources": resources,
        "reconciledAt": utc_now(),
        "sourceType": render.source_type,
    }
    if result.health.message:
        status["health"]["message"] = result.health.message
    if len(render.source_types) > 1:
        status["sourceTypes"] = [t or "" for t in render.source_types]
    if result.conditions:
        status["conditions"] = [dict(c, lastTransitionTime=utc_now()) for c in result.conditions]
    if op is not None:
        status["operationState"] = _dump(op)
    elif previous.get("operationState"):
        status["operationState"] = previous["operationState"]
    history = _history(previous, app, op)
    if history:
        status["history"] = history
    return dict(_compact(status))


def error_status(app: Any, message: str) -> dict[str, Any]:
    """``status`` after a pass that failed before comparing (Argo CD's ``ComparisonError``):
    sync and health ``Unknown``, the rest kept."""
    status = _previous(app)
    status["sync"] = {"status": "Unknown", "comparedTo": _source(app)}
    status["health"] = {"status": "Unknown"}
    status["conditions"] = [
        {"type": "ComparisonError", "message": message, "lastTransitionTime": utc_now()}
    ]
    status["reconciledAt"] = utc_now()
    return status


def interrupted_status(app: Any, started_at: str) -> dict[str, Any]:
    """``status`` of an app whose operation was cut short by a shutdown."""
    status = _previous(app)
    status["operationState"] = {
        "phase": "Failed",
        "message": "operation interrupted: gitopslib serve was shut down (SIGTERM) while it ran",
        "startedAt": started_at,
        "finishedAt": utc_now(),
    }
    return status


def running_state(state: Any) -> dict[str, Any]:
    """``status.operationState`` of an operation still running (an
    :class:`~gitopslib.models.OperationState` from the executor's ``on_progress``): phase
    ``Running``, what it waits for and the results so far. Serve's operations are the
    automated syncs of its reconcile passes."""
    data = dict(_dump(state))
    operation = dict(data.get("operation") or {})
    operation["initiatedBy"] = {"automated": True}
    data["operation"] = operation
    return data
