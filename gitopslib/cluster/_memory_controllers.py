"""The controllers :class:`~gitopslib.cluster.memory.MemoryCluster` plays with ``simulate=True``:
the status a healthy (or failing) controller would write for each workload kind."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitopslib.manifest import api_group

__all__ = ["simulated_status"]


def _replicas(obj: Mapping[str, Any]) -> int:
    value = (obj.get("spec") or {}).get("replicas")
    return int(value) if isinstance(value, int) else 1


def simulated_status(
    obj: Mapping[str, Any], failing: bool, load_balancers: bool, now: str
) -> dict[str, Any] | None:
    """The status a healthy (or, with ``failing``, a failed) controller would write."""
    kind = str(obj.get("kind") or "")
    group = api_group(obj)
    generation = int((obj.get("metadata") or {}).get("generation") or 1)
    status = dict(obj.get("status") or {})
    n = _replicas(obj)
    if group == "apps" and kind == "Deployment":
        status.update(
            observedGeneration=generation,
            replicas=n,
            updatedReplicas=n,
            readyReplicas=n,
            availableReplicas=n,
        )
        progressing = (
            {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}
            if failing
            else {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}
        )
        status["conditions"] = [
            {"type": "Available", "status": "False" if failing else "True"},
            progressing,
        ]
        if failing:
            status.update(updatedReplicas=0, readyReplicas=0, availableReplicas=0)
        return status
    if group == "apps" and kind == "StatefulSet":
        ready = 0 if failing else n
        status.update(
            observedGeneration=generation,
            replicas=n,
            readyReplicas=ready,
            currentReplicas=n,
            updatedReplicas=n,
            currentRevision=f"{(obj.get('metadata') or {}).get('name')}-{generation}",
            updateRevision=f"{(obj.get('metadata') or {}).get('name')}-{generation}",
        )
        return status
    if group == "apps" and kind == "DaemonSet":
        status.update(
            observedGeneration=generation,
            desiredNumberScheduled=1,
            currentNumberScheduled=1,
            updatedNumberScheduled=1,
            numberReady=0 if failing else 1,
            numberAvailable=0 if failing else 1,
        )
        return status
    if group == "apps" and kind == "ReplicaSet":
        status.update(
            observedGeneration=generation,
            replicas=n,
            readyReplicas=0 if failing else n,
            availableReplicas=0 if failing else n,
        )
        if failing:
            status["conditions"] = [
                {
                    "type": "ReplicaFailure",
                    "status": "True",
                    "reason": "FailedCreate",
                    "message": "simulated failure",
                }
            ]
        return status
    if group == "batch" and kind == "Job":
        status.update(startTime=now)
        if failing:
            status.update(
                failed=1,
                conditions=[
                    {
                        "type": "Failed",
                        "status": "True",
                        "reason": "BackoffLimitExceeded",
                        "message": "Job has reached the specified backoff limit",
                    }
                ],
            )
        else:
            status.update(
                succeeded=1,
                completionTime=now,
                conditions=[{"type": "Complete", "status": "True"}],
            )
        return status
    if not group and kind == "Pod":
        policy = ((obj.get("spec") or {}).get("restartPolicy")) or "Always"
        if failing:
            return {"phase": "Failed", "message": "simulated failure"}
        if policy == "Always":
            return {
                "phase": "Running",
                "conditions": [{"type": "Ready", "status": "True"}],
            }
        return {"phase": "Succeeded"}
    if not group and kind == "PersistentVolumeClaim":
        return {"phase": "Lost" if failing else "Bound"}
    address = {"loadBalancer": {"ingress": [{"ip": "127.0.0.1"}]}}
    if not group and kind == "Service":
        if load_balancers and (obj.get("spec") or {}).get("type") == "LoadBalancer":
            return address
        return None
    if kind == "Ingress" and group in ("networking.k8s.io", "extensions"):
        return address if load_balancers else None
    return None
