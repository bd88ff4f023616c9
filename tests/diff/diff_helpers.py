"""Helpers for the diff tests: live objects as a real API server returns them."""

from __future__ import annotations

import copy
import json
from typing import Any

APP_YAML = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://github.com/argoproj/argocd-example-apps
    path: guestbook
    targetRevision: HEAD
  destination:
    server: https://kubernetes.default.svc
    namespace: default
"""

# What `kubectl get deploy -o yaml` adds to the guestbook Deployment after the API server
# defaulted it (field values as Kubernetes 1.30 fills them in).
POD_DEFAULTS: dict[str, Any] = {
    "dnsPolicy": "ClusterFirst",
    "restartPolicy": "Always",
    "schedulerName": "default-scheduler",
    "securityContext": {},
    "terminationGracePeriodSeconds": 30,
}
CONTAINER_DEFAULTS: dict[str, Any] = {
    "imagePullPolicy": "IfNotPresent",
    "resources": {},
    "terminationMessagePath": "/dev/termination-log",
    "terminationMessagePolicy": "File",
}


def tracking(obj: dict[str, Any], app: str = "guestbook", ns: str = "default") -> str:
    group = obj["apiVersion"].rsplit("/", 1)[0] if "/" in obj["apiVersion"] else ""
    return f"{app}:{group}/{obj['kind']}:{ns}/{obj['metadata']['name']}"


def serverize(
    desired: dict[str, Any],
    *,
    namespace: str = "default",
    last_applied: bool = False,
    managers: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """``desired`` as the API server would return it after ``kubectl apply``."""
    live = copy.deepcopy(desired)
    meta = live.setdefault("metadata", {})
    meta.setdefault("namespace", namespace)
    ann = meta.setdefault("annotations", {})
    ann.setdefault("argocd.argoproj.io/tracking-id", tracking(desired, ns=namespace))
    if last_applied:
        applied = copy.deepcopy(desired)
        applied["metadata"].setdefault("namespace", namespace)
        applied["metadata"].setdefault("annotations", {})["argocd.argoproj.io/tracking-id"] = ann[
            "argocd.argoproj.io/tracking-id"
        ]
        ann["kubectl.kubernetes.io/last-applied-configuration"] = json.dumps(applied)
    meta.update(
        {
            "uid": "6f1c7a3e-0d7b-4c55-9d0e-1b2f3c4d5e6f",
            "resourceVersion": "48213",
            "generation": 2,
            "creationTimestamp": "2026-11-20T10:00:00Z",
            "managedFields": managers
            or [
                {
                    "manager": "argocd-controller",
                    "operation": "Apply",
                    "apiVersion": "v1",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:metadata": {"f:annotations": {}}},
                }
            ],
        }
    )
    kind = live.get("kind")
    spec = live.get("spec")
    if kind == "Deployment" and isinstance(spec, dict):
        ann.setdefault("deployment.kubernetes.io/revision", "2")
        spec.setdefault("progressDeadlineSeconds", 600)
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault(
            "strategy",
            {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
        )
        pod = spec["template"]["spec"]
        for k, v in POD_DEFAULTS.items():
            pod.setdefault(k, copy.deepcopy(v))
        for c in pod["containers"]:
            for k, v in CONTAINER_DEFAULTS.items():
                c.setdefault(k, copy.deepcopy(v))
            for p in c.get("ports", []):
                p.setdefault("protocol", "TCP")
        spec["template"].setdefault("metadata", {}).setdefault("creationTimestamp", None)
        live["status"] = {
            "availableReplicas": spec.get("replicas", 1),
            "observedGeneration": 2,
            "conditions": [{"type": "Available", "status": "True"}],
        }
    elif kind == "Service" and isinstance(spec, dict):
        spec.setdefault("clusterIP", "10.96.12.34")
        spec.setdefault("clusterIPs", ["10.96.12.34"])
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
        for p in spec.get("ports", []):
            p.setdefault("protocol", "TCP")
        live["status"] = {"loadBalancer": {}}
    elif kind == "Secret":
        live.setdefault("type", "Opaque")
    return live
