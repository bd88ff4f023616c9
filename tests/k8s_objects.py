"""Kubernetes objects that tests in more than one folder use, each built fresh by a function
(no test can change another's copy). Importable from any test folder: tests/ is on
``sys.path`` through its conftest.py."""

from __future__ import annotations

from typing import Any

__all__ = ["quota_crd"]


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
