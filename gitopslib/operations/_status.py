"""``app_status``: an Application's status as last recorded in the cluster."""

from __future__ import annotations

from typing import Any

from gitopslib.models import ApplicationStatus
from gitopslib.operations._loop import context_from, resolve_cluster
from gitopslib.operations._sync import status_store
from gitopslib.sync.context import OperationContext
from gitopslib.sync.protocol import Cluster

__all__ = ["app_status"]


def app_status(
    app: Any,
    cluster: Cluster | None = None,
    *,
    context: OperationContext | None = None,
    clusters: Any = None,
    namespace: str | None = None,
) -> ApplicationStatus:
    """The app's :class:`~gitopslib.models.ApplicationStatus` as the last operation recorded
    it: ``operation_state``, ``sync``, ``health``, ``resources`` and ``history`` (oldest
    first). An app never synced has an empty status. ``namespace`` overrides where status
    records are looked up (see :mod:`gitopslib.cluster.status`).

    Raises :class:`~gitopslib.errors.OperationError` naming the app when the recorded status
    was edited into something unreadable.

    >>> import gitopslib as g
    >>> app = g.Application.from_yaml(
    ...     "apiVersion: argoproj.io/v1alpha1\\nkind: Application\\nmetadata: {name: web}\\n"
    ...     "spec: {destination: {name: in-cluster, namespace: shop}}\\n")
    >>> app_status(app, g.MemoryCluster()).history is None
    True
    """
    ctx = context_from(context, clusters=clusters, status_namespace=namespace)
    target = resolve_cluster(app, cluster, ctx)
    return status_store(target, ctx).load(app).status
