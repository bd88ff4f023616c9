"""Kubernetes API defaults for built-in kinds, applied to the predicted and live objects.

Argo CD's three-way diff for built-in kinds runs the Kubernetes scheme defaulting on both
the predicted live object and the live object before it compares them
(argocd-semantics.md §5.1 step 6). That matters when Git *drops* a field whose value was the
API default (``protocol: TCP``, ``imagePullPolicy: IfNotPresent``, ``replicas: 1``,
``type: ClusterIP`` ...): the three-way patch removes it from the prediction, defaulting puts
the same value back, and the resource stays Synced, as it will be after the next apply.

:func:`apply_defaults` fills in the defaults the API server's ``SetDefaults_*`` functions
set on the common workload, Service and PersistentVolumeClaim fields (only where a field is
absent; a value that is present is never changed). Fields the API server assigns outside of
defaulting (``clusterIP``, ``ipFamilies``, a Job's selector ...) are not invented.

>>> svc = {"apiVersion": "v1", "kind": "Service", "spec": {"ports": [{"port": 80}]}}
>>> apply_defaults(svc, "", "Service")["spec"]
{'ports': [{'port': 80, 'protocol': 'TCP', 'targetPort': 80}], 'type': 'ClusterIP', \
'sessionAffinity': 'None', 'internalTrafficPolicy': 'Cluster'}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["apply_defaults"]

_Obj = dict[str, Any]


def _map(parent: Any, key: str) -> _Obj | None:
    """``parent[key]`` as a fresh (copied) dict to fill in, or None when it is not a dict."""
    if type(parent) is not dict:
        return None
    value = parent.get(key)
    if type(value) is not dict:
        return None
    copied = dict(value)
    parent[key] = copied
    return copied


def _child(parent: _Obj, key: str) -> _Obj:
    """``parent[key]`` as a fresh dict to fill in, replaced by ``{}`` when not a dict."""
    child = _map(parent, key)
    if child is None:
        child = parent[key] = {}
    return child


def _items(parent: _Obj, key: str) -> list[_Obj]:
    """The dict items of ``parent[key]`` (a fresh list of fresh dicts, stored back)."""
    value = parent.get(key)
    if type(value) is not list:
        return []
    copied = [dict(item) if type(item) is dict else item for item in value]
    parent[key] = copied
    return [item for item in copied if type(item) is dict]


def _pull_policy(image: Any) -> str:
    """``Always`` for ``:latest`` or an untagged image, else ``IfNotPresent``."""
    text = str(image or "")
    if "@" in text:
        return "IfNotPresent"
    last = text.rsplit("/", 1)[-1]
    tag = last.rsplit(":", 1)[1] if ":" in last else ""
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _probe(container: _Obj, key: str) -> None:
    probe = _map(container, key)
    if probe is None:
        return
    probe.setdefault("timeoutSeconds", 1)
    probe.setdefault("periodSeconds", 10)
    probe.setdefault("successThreshold", 1)
    probe.setdefault("failureThreshold", 3)
    http = _map(probe, "httpGet")
    if http is not None:
        http.setdefault("scheme", "HTTP")


def _container(container: _Obj) -> None:
    if "image" in container:
        container.setdefault("imagePullPolicy", _pull_policy(container["image"]))
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    for port in _items(container, "ports"):
        port.setdefault("protocol", "TCP")
    for key in ("livenessProbe", "readinessProbe", "startupProbe"):
        _probe(container, key)
    for env in _items(container, "env"):
        value_from = _map(env, "valueFrom")
        field_ref = _map(value_from, "fieldRef") if value_from is not None else None
        if field_ref is not None:
            field_ref.setdefault("apiVersion", "v1")


def _pod_spec(spec: _Obj | None) -> None:
    if spec is None:
        return
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    spec.setdefault("terminationGracePeriodSeconds", 30)
    if spec.get("serviceAccountName") and "serviceAccount" not in spec:
        spec["serviceAccount"] = spec["serviceAccountName"]
    for key in ("containers", "initContainers"):
        for container in _items(spec, key):
            _container(container)
    for volume in _items(spec, "volumes"):
        for source in ("configMap", "secret", "downwardAPI", "projected"):
            inner = _map(volume, source)
            if inner is not None:
                inner.setdefault("defaultMode", 420)


def _template(spec: _Obj | None) -> None:
    template = _map(spec, "template")
    if template is not None:
        _pod_spec(_map(template, "spec"))


def _deployment(spec: _Obj) -> None:
    spec.setdefault("replicas", 1)
    strategy = _child(spec, "strategy")
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = _child(strategy, "rollingUpdate")
        rolling.setdefault("maxUnavailable", "25%")
        rolling.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    _template(spec)


def _stateful_set(spec: _Obj) -> None:
    spec.setdefault("replicas", 1)
    spec.setdefault("podManagementPolicy", "OrderedReady")
    strategy = _child(spec, "updateStrategy")
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = _child(strategy, "rollingUpdate")
        rolling.setdefault("partition", 0)
    spec.setdefault("revisionHistoryLimit", 10)
    retention = _child(spec, "persistentVolumeClaimRetentionPolicy")
    retention.setdefault("whenDeleted", "Retain")
    retention.setdefault("whenScaled", "Retain")
    _template(spec)


def _daemon_set(spec: _Obj) -> None:
    strategy = _child(spec, "updateStrategy")
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = _child(strategy, "rollingUpdate")
        rolling.setdefault("maxUnavailable", 1)
        rolling.setdefault("maxSurge", 0)
    spec.setdefault("revisionHistoryLimit", 10)
    _template(spec)


def _replicated(spec: _Obj) -> None:
    spec.setdefault("replicas", 1)
    _template(spec)


def _job_spec(spec: _Obj | None) -> None:
    if spec is None:
        return
    if "completions" not in spec and "parallelism" not in spec:
        spec["completions"] = 1
    spec.setdefault("parallelism", 1)
    if "backoffLimitPerIndex" not in spec:
        spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    _template(spec)


def _cron_job(spec: _Obj) -> None:
    spec.setdefault("concurrencyPolicy", "Allow")
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    job_template = _map(spec, "jobTemplate")
    if job_template is not None:
        _job_spec(_map(job_template, "spec"))


def _service(spec: _Obj) -> None:
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    kind = spec["type"]
    for port in _items(spec, "ports"):
        port.setdefault("protocol", "TCP")
        if port.get("targetPort") in (None, 0, "") and "port" in port:
            port["targetPort"] = port["port"]
    if kind in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    if kind != "ExternalName":
        spec.setdefault("internalTrafficPolicy", "Cluster")
    if kind == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)


def _pvc(spec: _Obj) -> None:
    spec.setdefault("volumeMode", "Filesystem")


def _pod(spec: _Obj) -> None:
    _pod_spec(spec)


_SPEC_DEFAULTS: dict[tuple[str, str], Callable[[_Obj], None]] = {
    ("apps", "Deployment"): _deployment,
    ("apps", "StatefulSet"): _stateful_set,
    ("apps", "DaemonSet"): _daemon_set,
    ("apps", "ReplicaSet"): _replicated,
    ("", "ReplicationController"): _replicated,
    ("batch", "Job"): _job_spec,
    ("batch", "CronJob"): _cron_job,
    ("", "Service"): _service,
    ("", "PersistentVolumeClaim"): _pvc,
    ("", "Pod"): _pod,
}


def apply_defaults(obj: _Obj, group: str, kind: str) -> _Obj:
    """``obj`` (a built-in kind) with the API server's defaults filled in where a field is
    absent; ``obj`` itself is not changed. Kinds without known defaults come back as they are.

    >>> dep = {"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "a:1"}]}}}}
    >>> apply_defaults(dep, "apps", "Deployment")["spec"]["template"]["spec"]["containers"][0][
    ...     "imagePullPolicy"]
    'IfNotPresent'
    """
    fill = _SPEC_DEFAULTS.get((group, kind))
    if fill is None:
        return obj
    out = dict(obj)
    spec = _map(out, "spec")
    if spec is None:
        return obj
    fill(spec)
    return out
