"""How to plan: :class:`SyncPlanOptions` (the operation's settings, Argo CD's defaults) and
the project rules it may carry (:class:`ResourcePermitter`, or a permit callable)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

__all__ = ["PermitCallable", "ResourcePermitter", "SyncPlanOptions"]


@runtime_checkable
class ResourcePermitter(Protocol):
    """Anything that answers project resource rules, e.g. ``gitopslib.project.AppProject``."""

    def is_resource_permitted(self, group: str, kind: str, namespaced: bool, name: str) -> bool:
        """Whether the project allows this object."""
        ...


PermitCallable = Callable[[str, str, bool, str], bool]


@dataclass
class SyncPlanOptions:
    """How to plan. Every field has Argo CD's default.

    ``prune``: pruning allowed (None: the app's ``automated.prune``, else False, as a manual
    ``argocd app sync`` without ``--prune``). ``sync_options``: the operation's options
    (None: the app's ``syncPolicy.syncOptions``). ``resources``: selective sync, items
    ``(group, kind, name)`` or ``(group, kind, namespace, name)``; hooks are skipped then, as
    with ``skip_hooks``. ``force``: ``syncStrategy.{apply,hook}.force``. ``revision`` and
    ``started_at``: name ``generateName`` hooks (§2.4). ``existing_namespaces``: namespaces
    known to exist (None: unknown) for ``CreateNamespace=true``. ``permits``: project rule,
    a callable ``(group, kind, namespaced, name) -> bool`` or an object with
    ``is_resource_permitted``; ``namespace_permits``: destination namespace rule.
    ``strict``: malformed annotations raise :class:`PlanError` (False: warn, use Argo CD's
    fallback). ``app_instance``: the tracking instance name when it is not the app's name.
    ``cascade``: for :func:`plan_delete`, whether resources are deleted with the app.

    >>> SyncPlanOptions(prune=True, dry_run=True).strict
    True
    """

    prune: bool | None = None
    dry_run: bool = False
    strict: bool = True
    sync_options: Sequence[str] | None = None
    resources: Collection[Sequence[str]] | None = None
    skip_hooks: bool = False
    force: bool = False
    prune_confirmed: bool = False
    revision: str | None = None
    started_at: datetime | int | float | None = None
    destination_namespace: str | None = None
    existing_namespaces: Collection[str] | None = None
    permits: PermitCallable | ResourcePermitter | None = None
    namespace_permits: Callable[[str], bool] | None = None
    app_instance: str | None = None
    cascade: bool = True
    cluster_scoped_kinds: Collection[tuple[str, str]] = ()
