"""KubernetesCluster (in progress)."""

from __future__ import annotations

__all__ = ["KubernetesCluster"]


class KubernetesCluster:
    """Placeholder."""
