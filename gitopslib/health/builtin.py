"""Built-in health checks: one function per kind, written from Argo CD's documented rules.

Each check takes a live object (a plain dict) and returns a :class:`HealthStatus`. Dispatch is
on (API group, kind) exactly as gitops-engine does it; each check then accepts only the API
versions Argo CD accepts, and any other version is reported ``Unknown`` with the message
``unsupported <Kind> GVK: <group>/<version>, Kind=<Kind>``. A field of the wrong type (a
string where an integer belongs) is ``Unknown`` too, with a message naming the field.

The messages are Argo CD's, so a UI or a test written against Argo CD reads the same text.
:data:`BUILTIN_CHECKS` is the registry; :func:`builtin_health` is the entry point.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from gitopslib.health._types import HealthStatus, HealthStatusCode

__all__ = [
    "ANNOTATION_IGNORE_RESTART_POLICY",
    "BUILTIN_CHECKS",
    "HOOK_FINALIZER",
    "BuiltinCheck",
    "builtin_health",
    "has_builtin_check",
    "is_hook",
]

H = HealthStatusCode
BuiltinCheck = Callable[[Mapping[str, Any]], HealthStatus]

ANNOTATION_IGNORE_RESTART_POLICY = "argocd.argoproj.io/ignore-restart-policy"
HOOK_FINALIZER = "argocd.argoproj.io/hook-finalizer"
_ANNOTATION_HOOK = "argocd.argoproj.io/hook"
_HELM_HOOK = "helm.sh/hook"


class CheckError(Exception):
    """A built-in check could not judge the object; the message becomes an Unknown status."""


# --- small readers ------------------------------------------------------------------------


def _get(obj: Mapping[str, Any], *path: str) -> Any:
    cur: Any = obj
    for part in path:
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(part)
    return cur


def _int(obj: Mapping[str, Any], kind: str, *path: str, default: int | None = 0) -> int | None:
    value = _get(obj, *path)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CheckError(
            f"failed to convert unstructured {kind} to typed: .{'.'.join(path)}: "
            f"expected an integer, got {type(value).__name__} {value!r}"
        )
    if isinstance(value, float):
        if not value.is_integer():
            raise CheckError(
                f"failed to convert unstructured {kind} to typed: .{'.'.join(path)}: "
                f"expected an integer, got {value!r}"
            )
        return int(value)
    return value


def _generations(obj: Mapping[str, Any], kind: str) -> tuple[int, int]:
    """``metadata.generation`` and ``status.observedGeneration`` (0 when absent)."""
    generation = _int(obj, kind, "metadata", "generation") or 0
    observed = _int(obj, kind, "status", "observedGeneration") or 0
    return generation, observed


def _str(obj: Mapping[str, Any], *path: str) -> str:
    value = _get(obj, *path)
    return value if isinstance(value, str) else ""


def _list(obj: Mapping[str, Any], *path: str) -> list[Any]:
    value = _get(obj, *path)
    return value if isinstance(value, list) else []


def _conditions(obj: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [c for c in _list(obj, "status", "conditions") if isinstance(c, Mapping)]


def _condition(obj: Mapping[str, Any], ctype: str) -> Mapping[str, Any] | None:
    for cond in _conditions(obj):
        if cond.get("type") == ctype:
            return cond
    return None


def _name(obj: Mapping[str, Any]) -> str:
    return _str(obj, "metadata", "name")


def _version(obj: Mapping[str, Any]) -> tuple[str, str]:
    api_version = str(obj.get("apiVersion") or "")
    group, _, version = api_version.rpartition("/")
    return group, version


def _require_version(obj: Mapping[str, Any], kind: str, *versions: str) -> None:
    group, version = _version(obj)
    if version not in versions:
        raise CheckError(f"unsupported {kind} GVK: {group}/{version}, Kind={obj.get('kind')}")


def _annotations(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    ann = _get(obj, "metadata", "annotations")
    return ann if isinstance(ann, Mapping) else {}


def is_hook(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is an Argo CD (or Helm) resource hook, judged by its annotations.

    >>> is_hook({"metadata": {"annotations": {"argocd.argoproj.io/hook": "PreSync"}}})
    True
    """
    ann = _annotations(obj)
    if str(ann.get(_ANNOTATION_HOOK) or "").strip():
        return True
    helm = [h.strip() for h in str(ann.get(_HELM_HOOK) or "").split(",") if h.strip()]
    return any(h != "crd-install" for h in helm)


def _status(code: HealthStatusCode, message: str = "") -> HealthStatus:
    return HealthStatus(code, message)


# --- workloads ------------------------------------------------------------------------------


def deployment_health(obj: Mapping[str, Any]) -> HealthStatus:
    """Health of an ``apps/v1`` Deployment (paused, progress deadline, rollout counters)."""
    kind = "Deployment"
    _require_version(obj, kind, "v1")
    if _get(obj, "spec", "paused") is True:
        return _status(H.SUSPENDED, "Deployment is paused")
    generation, observed = _generations(obj, kind)
    if generation > observed:
        return _status(
            H.PROGRESSING,
            "Waiting for rollout to finish: observed deployment generation less than desired "
            "generation",
        )
    replicas = _int(obj, kind, "spec", "replicas", default=None)
    updated = _int(obj, kind, "status", "updatedReplicas") or 0
    current = _int(obj, kind, "status", "replicas") or 0
    available = _int(obj, kind, "status", "availableReplicas") or 0
    cond = _condition(obj, "Progressing")
    if cond is not None and cond.get("reason") == "ProgressDeadlineExceeded":
        return _status(H.DEGRADED, f'Deployment "{_name(obj)}" exceeded its progress deadline')
    if replicas is not None and updated < replicas:
        return _status(
            H.PROGRESSING,
            f"Waiting for rollout to finish: {updated} out of {replicas} new replicas have "
            "been updated...",
        )
    if current > updated:
        return _status(
            H.PROGRESSING,
            f"Waiting for rollout to finish: {current - updated} old replicas are pending "
            "termination...",
        )
    if available < updated:
        return _status(
            H.PROGRESSING,
            f"Waiting for rollout to finish: {available} of {updated} updated replicas are "
            "available...",
        )
    return _status(H.HEALTHY)


def statefulset_health(obj: Mapping[str, Any]) -> HealthStatus:
    """Health of an ``apps/v1`` StatefulSet (observed generation, readiness, partitions)."""
    kind = "StatefulSet"
    _require_version(obj, kind, "v1")
    generation, observed = _generations(obj, kind)
    if observed == 0 or generation > observed:
        return _status(H.PROGRESSING, "Waiting for statefulset spec update to be observed...")
    replicas = _int(obj, kind, "spec", "replicas", default=None)
    ready = _int(obj, kind, "status", "readyReplicas") or 0
    updated = _int(obj, kind, "status", "updatedReplicas") or 0
    if replicas is not None and ready < replicas:
        return _status(H.PROGRESSING, f"Waiting for {replicas - ready} pods to be ready...")
    strategy = _str(obj, "spec", "updateStrategy", "type")
    rolling = _get(obj, "spec", "updateStrategy", "rollingUpdate")
    if strategy == "RollingUpdate" and rolling is not None:
        partition = _int(
            obj, kind, "spec", "updateStrategy", "rollingUpdate", "partition", default=None
        )
        if replicas is not None and partition is not None and updated < replicas - partition:
            return _status(
                H.PROGRESSING,
                f"Waiting for partitioned roll out to finish: {updated} out of "
                f"{replicas - partition} new pods have been updated...",
            )
        return _status(
            H.HEALTHY, f"partitioned roll out complete: {updated} new pods have been updated..."
        )
    if strategy == "OnDelete":
        return _status(H.HEALTHY, f"statefulset has {ready} ready pods")
    update_rev = _str(obj, "status", "updateRevision")
    current_rev = _str(obj, "status", "currentRevision")
    if update_rev != current_rev:
        return _status(
            H.PROGRESSING,
            f"waiting for statefulset rolling update to complete {updated} pods at revision "
            f"{update_rev}...",
        )
    current = _int(obj, kind, "status", "currentReplicas") or 0
    return _status(
        H.HEALTHY,
        f"statefulset rolling update complete {current} pods at revision {current_rev}...",
    )


def daemonset_health(obj: Mapping[str, Any]) -> HealthStatus:
    """Health of an ``apps/v1`` DaemonSet (observed generation, scheduled and available pods)."""
    kind = "DaemonSet"
    _require_version(obj, kind, "v1")
    generation, observed = _generations(obj, kind)
    if generation > observed:
        return _status(
            H.PROGRESSING,
            "Waiting for rollout to finish: observed daemon set generation less than desired "
            "generation",
        )
    updated = _int(obj, kind, "status", "updatedNumberScheduled") or 0
    desired = _int(obj, kind, "status", "desiredNumberScheduled") or 0
    available = _int(obj, kind, "status", "numberAvailable") or 0
    if _str(obj, "spec", "updateStrategy", "type") == "OnDelete":
        return _status(
            H.HEALTHY, f"daemon set {updated} out of {desired} new pods have been updated"
        )
    name = _name(obj)
    if updated < desired:
        return _status(
            H.PROGRESSING,
            f'Waiting for daemon set "{name}" rollout to finish: {updated} out of {desired} '
            "new pods have been updated...",
        )
    if available < desired:
        return _status(
            H.PROGRESSING,
            f'Waiting for daemon set "{name}" rollout to finish: {available} of {desired} '
            "updated pods are available...",
        )
    return _status(H.HEALTHY)


def replicaset_health(obj: Mapping[str, Any]) -> HealthStatus:
    """Health of an ``apps/v1`` ReplicaSet (ReplicaFailure condition, available replicas)."""
    kind = "ReplicaSet"
    _require_version(obj, kind, "v1")
    generation, observed = _generations(obj, kind)
    if generation > observed:
        return _status(
            H.PROGRESSING,
            "Waiting for rollout to finish: observed replica set generation less than desired "
            "generation",
        )
    cond = _condition(obj, "ReplicaFailure")
    if cond is not None and cond.get("status") == "True":
        return _status(H.DEGRADED, str(cond.get("message") or ""))
    replicas = _int(obj, kind, "spec", "replicas", default=None)
    available = _int(obj, kind, "status", "availableReplicas") or 0
    if replicas is not None and available < replicas:
        return _status(
            H.PROGRESSING,
            f"Waiting for rollout to finish: {available} out of {replicas} new replicas are "
            "available...",
        )
    return _status(H.HEALTHY)


# --- pods -----------------------------------------------------------------------------------


def _pod_fail_message(ctr: Mapping[str, Any]) -> str:
    term = _get(ctr, "state", "terminated")
    if not isinstance(term, Mapping):
        return ""
    if term.get("message"):
        return str(term["message"])
    if term.get("reason") == "OOMKilled":
        return "OOMKilled"
    code = term.get("exitCode") or 0
    if code != 0:
        return f'container "{ctr.get("name", "")}" failed with exit code {code}'
    return ""


def pod_health(obj: Mapping[str, Any]) -> HealthStatus:
    """Health of a core ``v1`` Pod.

    Long-running pods (``restartPolicy: Always``, or any pod annotated
    ``argocd.argoproj.io/ignore-restart-policy: "true"`` that is not a hook) are Degraded when
    a container waits with a reason starting ``Err`` or ending ``Error``/``BackOff``, and
    Healthy when Ready. Finite pods (``OnFailure``/``Never``, i.e. hooks) stay Progressing
    while Running.
    """
    _require_version(obj, "Pod", "v1")
    policy = _str(obj, "spec", "restartPolicy")
    ignore_policy = str(_annotations(obj).get(ANNOTATION_IGNORE_RESTART_POLICY, "")) == "true"
    long_running = policy == "Always" or (ignore_policy and not is_hook(obj))
    statuses = [c for c in _list(obj, "status", "containerStatuses") if isinstance(c, Mapping)]
    init_statuses = [
        c for c in _list(obj, "status", "initContainerStatuses") if isinstance(c, Mapping)
    ]
    message = _str(obj, "status", "message")
    if long_running:
        problems: list[str] = []
        for ctr in statuses:
            waiting = _get(ctr, "state", "waiting")
            if not isinstance(waiting, Mapping):
                continue
            reason = str(waiting.get("reason") or "")
            if reason.startswith("Err") or reason.endswith(("Error", "BackOff")):
                problems.append(str(waiting.get("message") or ""))
        if problems:
            return _status(H.DEGRADED, ", ".join(problems))
    phase = _str(obj, "status", "phase")
    if phase == "Pending":
        return _status(H.PROGRESSING, message)
    if phase == "Succeeded":
        return _status(H.HEALTHY, message)
    if phase == "Failed":
        if message:
            return _status(H.DEGRADED, message)
        for ctr in init_statuses + statuses:
            fail = _pod_fail_message(ctr)
            if fail:
                return _status(H.DEGRADED, fail)
        return _status(H.DEGRADED, "")
    if phase == "Running":
        if long_running:
            ready = _condition(obj, "Ready")
            if ready is not None and ready.get("status") == "True":
                return _status(H.HEALTHY, message)
            if any(isinstance(_get(c, "lastState", "terminated"), Mapping) for c in statuses):
                return _status(H.DEGRADED, message)
            return _status(H.PROGRESSING, message)
        if policy in ("OnFailure", "Never"):
            return _status(H.PROGRESSING, message)
    return _status(H.UNKNOWN, message)


# --- storage, networking --------------------------------------------------------------------


def pvc_health(obj: Mapping[str, Any]) -> HealthStatus:
    """Health of a core ``v1`` PersistentVolumeClaim by its phase."""
    _require_version(obj, "PersistentVolumeClaim", "v1")
    phase = _str(obj, "status", "phase")
    code = {"Lost": H.DEGRADED, "Pending": H.PROGRESSING, "Bound": H.HEALTHY}.get(phase, H.UNKNOWN)
    return _status(code)


def service_health(obj: Mapping[str, Any]) -> HealthStatus:
    """Health of a core ``v1`` Service: a LoadBalancer waits for an ingress address."""
    _require_version(obj, "Service", "v1")
    if _str(obj, "spec", "type") == "LoadBalancer":
        if _list(obj, "status", "loadBalancer", "ingress"):
            return _status(H.HEALTHY)
        return _status(H.PROGRESSING)
    return _status(H.HEALTHY)


def ingress_health(obj: Mapping[str, Any]) -> HealthStatus:
    """Health of an Ingress (any version): Healthy once it has a load-balancer address."""
    if _list(obj, "status", "loadBalancer", "ingress"):
        return _status(H.HEALTHY)
    return _status(H.PROGRESSING)


# --- batch, API registration, autoscaling, workflows ----------------------------------------


def job_health(obj: Mapping[str, Any]) -> HealthStatus:
    """Health of a ``batch/v1`` Job from its Failed/Complete/Suspended conditions."""
    _require_version(obj, "Job", "v1")
    failed = complete = suspended = False
    fail_msg = message = ""
    for cond in _conditions(obj):
        ctype = cond.get("type")
        if ctype == "Failed":
            failed = complete = True
            fail_msg = str(cond.get("message") or "")
        elif ctype == "Complete":
            complete = True
            message = str(cond.get("message") or "")
        elif ctype == "Suspended":
            complete = True
            message = str(cond.get("message") or "")
            if cond.get("status") == "True":
                suspended = True
    if not complete:
        return _status(H.PROGRESSING, message)
    if failed:
        return _status(H.DEGRADED, fail_msg)
    if suspended:
        # the Suspended condition's own message (the job controller writes "Job suspended"),
        # as Argo CD reports it
        return _status(H.SUSPENDED, message or "Job suspended")
    return _status(H.HEALTHY, message)


def apiservice_health(obj: Mapping[str, Any]) -> HealthStatus:
    """Health of an ``apiregistration.k8s.io`` APIService from its Available condition."""
    _require_version(obj, "APIService", "v1", "v1beta1")
    for cond in _conditions(obj):
        if cond.get("type") == "Available":
            text = f"{cond.get('reason') or ''}: {cond.get('message') or ''}"
            if cond.get("status") == "True":
                return _status(H.HEALTHY, text)
            return _status(H.PROGRESSING, text)
    return _status(H.PROGRESSING, "Waiting to be processed")


_HPA_DEGRADED = frozenset(
    {
        ("AbleToScale", "FailedGetScale"),
        ("AbleToScale", "FailedUpdateScale"),
        ("ScalingActive", "FailedGetResourceMetric"),
        ("ScalingActive", "FailedGetObjectMetric"),
        ("ScalingActive", "FailedGetPodsMetric"),
        ("ScalingActive", "FailedGetExternalMetric"),
        ("ScalingActive", "FailedComputeMetricsReplicas"),
        ("ScalingActive", "InvalidSelector"),
    }
)
_HPA_WAITING = "Waiting to Autoscale"


def _hpa_from_conditions(conditions: list[Any]) -> HealthStatus:
    for cond in conditions:
        if not isinstance(cond, Mapping):
            continue
        ctype, reason = str(cond.get("type") or ""), str(cond.get("reason") or "")
        if (ctype, reason) in _HPA_DEGRADED:
            return _status(H.DEGRADED, str(cond.get("message") or ""))
        if ctype in ("AbleToScale", "ScalingLimited") and cond.get("status") == "True":
            return _status(H.HEALTHY, str(cond.get("message") or ""))
    return _status(H.PROGRESSING, _HPA_WAITING)


def hpa_health(obj: Mapping[str, Any]) -> HealthStatus:
    """Health of a HorizontalPodAutoscaler.

    ``autoscaling/v1`` keeps its conditions as JSON in the annotation
    ``autoscaling.alpha.kubernetes.io/conditions``; ``v2`` (and the old ``v2beta1``/``v2beta2``)
    in ``status.conditions``.
    """
    _require_version(obj, "HPA", "v1", "v2", "v2beta1", "v2beta2")
    if _version(obj)[1] == "v1":
        raw = _annotations(obj).get("autoscaling.alpha.kubernetes.io/conditions")
        if raw is None:
            return _status(H.PROGRESSING, _HPA_WAITING)
        try:
            conditions = json.loads(str(raw))
        except ValueError as exc:
            raise CheckError(f"failed to convert conditions annotation to typed: {exc}") from None
        if not isinstance(conditions, list):
            raise CheckError(
                "failed to convert conditions annotation to typed: expected a JSON list"
            )
        return _hpa_from_conditions(conditions)
    return _hpa_from_conditions(_list(obj, "status", "conditions"))


def workflow_health(obj: Mapping[str, Any]) -> HealthStatus:
    """Health of an Argo Workflow (``argoproj.io``) from ``status.phase``."""
    phase = _str(obj, "status", "phase")
    message = _str(obj, "status", "message")
    if phase in ("", "Pending", "Running"):
        return _status(H.PROGRESSING, message)
    if phase == "Succeeded":
        return _status(H.HEALTHY, message)
    if phase in ("Failed", "Error"):
        return _status(H.DEGRADED, message)
    return _status(H.UNKNOWN, message)


#: The registry of built-in checks, keyed by (API group, kind); mirrors gitops-engine's
#: ``GetHealthCheckFunc``.
BUILTIN_CHECKS: dict[tuple[str, str], BuiltinCheck] = {
    ("apps", "Deployment"): deployment_health,
    ("apps", "StatefulSet"): statefulset_health,
    ("apps", "ReplicaSet"): replicaset_health,
    ("apps", "DaemonSet"): daemonset_health,
    ("extensions", "Ingress"): ingress_health,
    ("networking.k8s.io", "Ingress"): ingress_health,
    ("argoproj.io", "Workflow"): workflow_health,
    ("apiregistration.k8s.io", "APIService"): apiservice_health,
    ("", "Service"): service_health,
    ("", "PersistentVolumeClaim"): pvc_health,
    ("", "Pod"): pod_health,
    ("batch", "Job"): job_health,
    ("autoscaling", "HorizontalPodAutoscaler"): hpa_health,
}


def has_builtin_check(group: str, kind: str) -> bool:
    """Whether a built-in (Python) check exists for ``group``/``kind``."""
    return (group, kind) in BUILTIN_CHECKS


def builtin_health(obj: Mapping[str, Any]) -> HealthStatus | None:
    """Run the built-in check for ``obj``'s kind; ``None`` when there is none.

    A check that cannot judge the object (unsupported version, wrongly typed field) gives
    ``Unknown`` with the reason, as Argo CD does.

    >>> builtin_health({"apiVersion": "v1", "kind": "ConfigMap"}) is None
    True
    >>> builtin_health({"apiVersion": "apps/v1beta2", "kind": "Deployment"}).message
    'unsupported Deployment GVK: apps/v1beta2, Kind=Deployment'
    """
    group, _ = _version(obj)
    check = BUILTIN_CHECKS.get((group, str(obj.get("kind") or "")))
    if check is None:
        return None
    try:
        return check(obj)
    except CheckError as exc:
        return HealthStatus(H.UNKNOWN, str(exc))
