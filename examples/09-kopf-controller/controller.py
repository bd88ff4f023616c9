"""A kopf operator that reconciles Argo CD ``Application`` objects with gitopslib.

Argo CD's application controller in a few dozen lines: for every Application it renders the
desired manifests, compares them with the cluster, judges health, and (for apps with
``syncPolicy.automated``) syncs in Argo CD's order, all through
:func:`gitopslib.reconcile.reconcile`. The result goes to ``status`` the way Argo CD writes
it (``status.sync``, ``status.health``, ``status.operationState``).

``reconcile()`` is plain Python over a ``Cluster`` object, so it is tested with an in-memory
cluster; the kopf handlers only connect it to a real API server:

    GITOPS_REPO_ROOT=/path/to/checkout kopf run examples/09-kopf-controller/controller.py
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import kopf

from gitopslib.models import Application
from gitopslib.reconcile import reconcile as reconcile_app

GROUP, VERSION, PLURAL = "argoproj.io", "v1alpha1", "applications"
#: Where Git content comes from: a local checkout (kept fresh by a git-sync sidecar, say).
REPO_ROOT = os.environ.get("GITOPS_REPO_ROOT", ".")


def reconcile(
    body: Mapping[str, Any],
    cluster: Any,
    *,
    repo_root: str | os.PathLike[str] = REPO_ROOT,
    **options: Any,
) -> dict[str, Any]:
    """One reconciliation of the Application ``body`` against ``cluster``; returns the new
    ``status`` (camelCase, as Argo CD writes it).

    :func:`gitopslib.reconcile.reconcile` does the work: render, live state, compare, health,
    plan and, when the automated policy says so, the sync. ``options`` reach it (timeouts,
    poll interval, clocks).
    """
    app = Application.from_dict({k: v for k, v in body.items() if k != "status"})
    result = reconcile_app(app, cluster, repo_root=repo_root, **options)
    status: dict[str, Any] = {}
    if result.operation is not None:
        status["operationState"] = {
            "phase": result.operation.phase,
            "message": result.operation.message,
        }
        # report the state after the sync, as Argo CD's refresh after an operation does
        result = reconcile_app(app, cluster, repo_root=repo_root, auto_sync=False, **options)
    if result.conditions:
        status["conditions"] = result.conditions
    status["sync"] = {"status": result.sync_status, "revision": result.render.revision or ""}
    status["health"] = {"status": str(result.health.status)}
    status["resources"] = [
        {
            "group": r.group,
            "kind": r.kind,
            "namespace": r.namespace,
            "name": r.name,
            "status": r.status,
            **({"requiresPruning": True} if r.requires_pruning else {}),
        }
        for r in result.comparison.resources
        if not r.hook
    ]
    return status


# -- kopf wiring: only this part needs a real cluster ----------------------------------------

_cluster: Any = None


def _kubernetes() -> Any:
    global _cluster
    if _cluster is None:
        from gitopslib.cluster import KubernetesCluster

        _cluster = KubernetesCluster.from_kubeconfig()  # in-cluster config inside a pod
    return _cluster


@kopf.on.resume(GROUP, VERSION, PLURAL)
@kopf.on.create(GROUP, VERSION, PLURAL)
@kopf.on.update(GROUP, VERSION, PLURAL, field="spec")
@kopf.timer(GROUP, VERSION, PLURAL, interval=180, idle=30)
def on_application(body: kopf.Body, patch: kopf.Patch, logger: Any, **_: Any) -> None:
    """Reconcile on every change of the spec, and every three minutes (Argo CD's default)."""
    status = reconcile(dict(body), _kubernetes())
    logger.info(
        "%s: %s, %s", body["metadata"]["name"], status["sync"]["status"], status["health"]["status"]
    )
    patch.status.update(status)
