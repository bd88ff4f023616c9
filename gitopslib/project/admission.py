"""What a project decides at sync time, before and while a plan is built: pure functions.

``project.check(app)`` admits the Application as a whole (source repositories, destination,
...). At sync time two more rules apply, as Argo CD's controller applies them:

* the sync windows: a manual sync inside a deny window (or outside every allow window) is
  refused unless the window allows manual syncs (``manualSync: true``);
* every object's own namespace: a manifest that says ``metadata.namespace: kube-system``
  goes to kube-system, whatever the Application's destination, so the project's
  ``destinations`` must permit that namespace on the destination cluster (the planner marks
  the task invalid, and the sync fails with "one or more synchronization tasks are not
  valid"). Cluster-scoped objects need the project's cluster resource whitelist instead.

>>> from gitopslib.project import AppProject
>>> proj = AppProject.from_yaml('''
... apiVersion: argoproj.io/v1alpha1
... kind: AppProject
... metadata: {name: shop}
... spec:
...   sourceRepos: ['*']
...   destinations: [{server: 'https://kubernetes.default.svc', namespace: 'shop-*'}]
... ''')
>>> from types import SimpleNamespace as NS
>>> app = NS(spec=NS(destination=NS(server="https://kubernetes.default.svc", name=None,
...     namespace="shop-web")))
>>> permits = namespace_permits(proj, app)
>>> permits("shop-web"), permits("kube-system")
(True, False)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

__all__ = ["namespace_permits", "sync_refusal"]


def _destination(app: Any) -> tuple[str, str]:
    dest = getattr(getattr(app, "spec", None), "destination", None)
    return str(getattr(dest, "server", None) or ""), str(getattr(dest, "name", None) or "")


def namespace_permits(project: Any, app: Any) -> Callable[[str], bool]:
    """A predicate: may ``app`` put a namespaced object into this namespace? (The project's
    ``destinations`` for the app's destination cluster and that namespace.)"""
    server, name = _destination(app)

    def permits(namespace: str) -> bool:
        return bool(project.is_destination_permitted(server=server, name=name, namespace=namespace))

    return permits


def sync_refusal(
    project: Any,
    app: Any,
    now: datetime,
    *,
    manual: bool = True,
    control_plane: str | None = None,
) -> str | None:
    """Why ``project`` refuses to sync ``app`` at ``now`` (None: it may sync).

    The Application's admission (:meth:`AppProject.check`) first, then the sync windows
    (``manual``: a user's sync, as ``argocd app sync``; False for auto-sync).
    """
    kwargs = {} if control_plane is None else {"control_plane_namespace": control_plane}
    violations = project.check(app, **kwargs)
    if violations:
        return "; ".join(str(v) for v in violations)
    decision = project.sync_decision(app, now, manual=manual)
    if not decision.allowed:
        reason = getattr(decision, "reason", "") or "blocked by sync window"
        return f"cannot sync: {reason}"
    return None
