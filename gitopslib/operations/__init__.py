"""Operations on Applications as Argo CD runs them: sync, wait, history and rollback, with the
status kept in the cluster so every process sees the same history.

:class:`OperationContext` is what an operation runs with (clocks, timeouts, health, diff
settings, retry, metrics, notifier, cluster registry), one immutable object passed as
``context=`` to :func:`gitopslib.sync`, :func:`gitopslib.reconcile.reconcile` and the functions
of this package.

>>> from gitopslib.operations import OperationContext
>>> OperationContext(timeout=60.0).replace(poll_interval=0.5).poll_interval
0.5
"""

from __future__ import annotations

from gitopslib.cluster.status import StatusRecord, StatusStore
from gitopslib.operations._loop import GitSource, SyncRequest
from gitopslib.operations._rollback import rollback
from gitopslib.operations._status import app_status
from gitopslib.operations._sync import run_sync, sync
from gitopslib.operations._wait import wait
from gitopslib.sync.context import ClusterResolver, HealthFunction, OperationContext

__all__ = [
    "ClusterResolver",
    "GitSource",
    "HealthFunction",
    "OperationContext",
    "StatusRecord",
    "StatusStore",
    "SyncRequest",
    "app_status",
    "rollback",
    "run_sync",
    "sync",
    "wait",
]
