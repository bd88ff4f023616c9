"""Kubernetes objects that tests in more than one folder use, each built fresh by a function
(no test can change another's copy). Importable from any test folder: tests/ is on
``sys.path`` through its conftest.py."""

from __future__ import annotations

from typing import Any

__all__ = ["LATE_CONFIGMAP_YAML", "WAITING_FOR_WEB", "WEB_DEPLOYMENT_YAML", "quota_crd"]

#: A one-replica Deployment ``web`` (no namespace: the app's destination gives it one); it is
#: Healthy only once something writes a rolled-out status.
WEB_DEPLOYMENT_YAML = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
"""
#: A ConfigMap in a later wave (5): a sync must wait for ``web`` to be healthy before it.
LATE_CONFIGMAP_YAML = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: late\n"
    "  annotations: {argocd.argoproj.io/sync-wave: '5'}\n"
)
#: The executor's message while it waits for ``web`` (Argo CD's wording).
WAITING_FOR_WEB = "waiting for healthy state of apps/Deployment/web"


def quota_crd() -> dict[str, Any]:
    """The CRD of ``Quota`` (``example.com/v1``), a custom kind that is cluster-scoped: the
    scope a namespace-less kind gets only from its CRD."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "quotas.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Cluster",
            "names": {"kind": "Quota", "plural": "quotas"},
            "versions": [{"name": "v1", "served": True, "storage": True}],
        },
    }
