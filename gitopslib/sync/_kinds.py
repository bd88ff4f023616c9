"""The kind order Argo CD sorts sync tasks by (borrowed by Argo CD from Helm's kind sorter).

A listed kind ranks at its index minus the list length, so every listed kind is negative and
sorts before any unlisted kind (custom resources, ``Application``, ...), which ranks 0.
Matching is by ``kind`` alone; the API group plays no part.

>>> kind_rank("Namespace"), kind_rank("APIService"), kind_rank("Certificate")
(-35, -1, 0)
"""

from __future__ import annotations

from typing import Final

__all__ = ["KIND_ORDER", "KIND_RANK", "kind_rank"]

KIND_ORDER: Final[tuple[str, ...]] = (
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
)

#: A CustomResourceDefinition (its kinds are planned after it, and it skips a dry run the API
#: cannot answer yet)
_CRD_GROUP = "apiextensions.k8s.io"
_CRD_KIND = "CustomResourceDefinition"

KIND_RANK: Final[dict[str, int]] = {
    kind: index - len(KIND_ORDER) for index, kind in enumerate(KIND_ORDER)
}


def kind_rank(kind: str) -> int:
    """Sort rank of ``kind``: negative for the 35 listed kinds, 0 for every other kind."""
    return KIND_RANK.get(kind, 0)
