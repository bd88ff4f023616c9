"""The sync planner: Argo CD's task order for one sync, computed up front as plain data.

:func:`plan_sync` turns a :class:`~gitopslib.diff.ComparisonResult` into a :class:`SyncPlan`:
every task Argo CD would run, in the order it would run them (argocd-semantics.md §1-§3):

1. one task per resource (phase Sync), one per hook phase (PreSync, Sync, PostSync, SyncFail),
   one prune task per live object the app's tracking claims and Git no longer has;
2. prune tasks get their waves mirrored, ``PruneLast`` ones go after the last Sync wave;
3. sort by phase, wave, prunes-before-applies, the 35-entry kind order, name;
4. Namespaces and CRDs move before the first task that needs them and take its phase and wave.

Tasks Argo CD would run but that do nothing (``Prune=false``, pruning disabled,
``ApplyOutOfSyncOnly`` on a synced object) stay in the plan with ``skipped=True`` and a
reason; objects Argo CD never turns into tasks (``hook: Skip``, Helm test hooks, hooks in a
selective sync, live objects the app does not track) are listed in :attr:`SyncPlan.excluded`.
Project deny rules mark a task ``invalid`` rather than dropping it.

The modules, in the order a plan is made: :mod:`~gitopslib.sync.plan.options` (how to plan),
:mod:`~gitopslib.sync.plan.state` (what one planning call shares),
:mod:`~gitopslib.sync.plan.resource_tasks`, :mod:`~gitopslib.sync.plan.hook_tasks` and
:mod:`~gitopslib.sync.plan.prune_tasks` (the tasks), :mod:`~gitopslib.sync.plan.order` (their
order), :mod:`~gitopslib.sync.plan.sync` and :mod:`~gitopslib.sync.plan.delete` (the entry
points); :mod:`~gitopslib.sync.plan.model` holds the data they make.

>>> from gitopslib.diff._result import ComparisonResult, ResourceDiff
>>> cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}}
>>> cmp = ComparisonResult("OutOfSync", [ResourceDiff("", "ConfigMap", "ns", "cfg",
...                                                   "OutOfSync", desired=cm)])
>>> [(t.phase, t.wave, t.action, t.name) for t in plan_sync(cmp).tasks]
[('Sync', 0, 'create', 'cfg')]
"""

from __future__ import annotations

from gitopslib.sync.plan.delete import plan_delete
from gitopslib.sync.plan.model import Action, ExcludedResource, SyncPlan, SyncTask, SyncWave
from gitopslib.sync.plan.options import ResourcePermitter, SyncPlanOptions
from gitopslib.sync.plan.sync import plan_sync

__all__ = [
    "Action",
    "ExcludedResource",
    "ResourcePermitter",
    "SyncPlan",
    "SyncPlanOptions",
    "SyncTask",
    "SyncWave",
    "plan_delete",
    "plan_sync",
]
