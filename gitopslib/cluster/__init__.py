"""Clusters: where live objects come from and where a sync sends them.

Every adapter here speaks the :class:`~gitopslib.sync.protocol.Cluster` protocol the sync
executor drives:

* :class:`MemoryCluster`: objects in memory, optionally playing the controllers so an offline
  sync completes (previews, tests);
* :class:`SnapshotCluster`: read-only live state from YAML files (``kubectl get -o yaml``
  dumps);
* :class:`KubernetesCluster`: a real API server through the official ``kubernetes`` client.

>>> from gitopslib.cluster import MemoryCluster
>>> MemoryCluster().objects()
[]
"""

from __future__ import annotations

from gitopslib.cluster._common import EXCLUDED_KINDS
from gitopslib.cluster.kube import KubernetesCluster
from gitopslib.cluster.live import live_state
from gitopslib.cluster.memory import MemoryCluster
from gitopslib.cluster.registry import ClusterRegistry
from gitopslib.cluster.snapshot import SnapshotCluster
from gitopslib.sync.protocol import ApplyResult, Cluster, ClusterEvent

__all__ = [
    "EXCLUDED_KINDS",
    "ApplyResult",
    "Cluster",
    "ClusterEvent",
    "ClusterRegistry",
    "KubernetesCluster",
    "MemoryCluster",
    "SnapshotCluster",
    "live_state",
]
