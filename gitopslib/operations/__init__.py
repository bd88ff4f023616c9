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

from gitopslib.sync.context import ClusterResolver, HealthFunction, OperationContext

__all__ = [
    "ClusterResolver",
    "HealthFunction",
    "OperationContext",
]
