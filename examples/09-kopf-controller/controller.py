"""A kopf operator that reconciles Argo CD ``Application`` objects with gitopslib.

Argo CD's application controller in a few dozen lines: for every Application it renders the
desired manifests, compares them with the cluster, judges health, and (for apps with
``syncPolicy.automated``) syncs in Argo CD's order. The result goes to ``status`` the way
Argo CD writes it (``status.sync``, ``status.health``, ``status.operationState``).

``reconcile()`` is plain Python over a ``Cluster`` object, so it is tested with an in-memory
cluster; the kopf handlers only connect it to a real API server:

    GITOPS_REPO_ROOT=/path/to/checkout kopf run examples/09-kopf-controller/controller.py
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import kopf

from gitopslib.diff import compare
from gitopslib.health import HealthStatus, HealthStatusCode, aggregate_health, assess_health
from gitopslib.manifest import key_of
from gitopslib.models import Application
from gitopslib.sources import render
from gitopslib.sync import SyncPlanOptions, plan_sync
from gitopslib.sync.execute import execute_plan

GROUP, VERSION, PLURAL = "argoproj.io", "v1alpha1", "applications"
#: Where Git content comes from: a local checkout (kept fresh by a git-sync sidecar, say).
REPO_ROOT = os.environ.get("GITOPS_REPO_ROOT", ".")


def _live_objects(cluster: Any, app: Application, desired: list[dict[str, Any]]) -> list[dict]:
    """What the cluster holds for the app: tracked objects plus any desired object by key."""
    found = {key_of(o): o for o in cluster.list_tracked(str(app.metadata.name))}
    namespace = app.spec.destination.namespace or ""
    for obj in desired:
        key = key_of(obj, default_namespace=namespace)
        if key not in found and (live := cluster.get(key)) is not None:
            found[key] = live
    return list(found.values())


def _health(comparison: Any) -> HealthStatus:
    parts = []
    for r in comparison.resources:
        if r.hook or r.requires_pruning or r.desired is None:
            continue
        if r.live is None:
            parts.append((r.desired, HealthStatus(HealthStatusCode.MISSING, "not found")))
        else:
            parts.append((r.live, assess_health(r.live)))
    return aggregate_health(parts)


def reconcile(
    body: Mapping[str, Any],
    cluster: Any,
    *,
    repo_root: str | os.PathLike[str] = REPO_ROOT,
    **execute_options: Any,
) -> dict[str, Any]:
    """One reconciliation of the Application ``body`` against ``cluster``; returns the new
    ``status`` (camelCase, as Argo CD writes it).

    Automated apps that are OutOfSync are synced (prunes only with ``automated.prune``);
    ``execute_options`` reach :func:`gitopslib.sync.execute.execute_plan` (timeouts, clocks).
    """
    app = Application.from_dict({k: v for k, v in body.items() if k != "status"})
    result = render(app, repo_root=repo_root)
    comparison = compare(result.manifests, _live_objects(cluster, app, result.manifests), app=app)
    status: dict[str, Any] = {}
    automated = app.spec.sync_policy is not None and app.spec.sync_policy.automated is not None
    if automated and comparison.sync_status == "OutOfSync":
        plan = plan_sync(comparison, app=app, options=SyncPlanOptions(revision=result.revision))
        operation = execute_plan(plan, cluster, app=app, **execute_options)
        status["operationState"] = {"phase": operation.phase, "message": operation.message}
        # compare again: the status reports the state after the sync
        live = _live_objects(cluster, app, result.manifests)
        comparison = compare(result.manifests, live, app=app)
    health = _health(comparison)
    status["sync"] = {"status": comparison.sync_status, "revision": result.revision or ""}
    status["health"] = {"status": str(health.status)}
    status["resources"] = [
        {
            "group": r.group,
            "kind": r.kind,
            "namespace": r.namespace,
            "name": r.name,
            "status": r.status,
            **({"requiresPruning": True} if r.requires_pruning else {}),
        }
        for r in comparison.resources
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
