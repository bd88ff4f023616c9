"""What an operation runs with: one typed, immutable :class:`OperationContext`.

A sync, a reconcile pass, a wait or a rollback needs the same dozen values: clocks, timeouts,
how to judge health, the diff settings, the retry policy, the observers (metrics,
notifications) and where destinations resolve to clusters. They travel together in one frozen
object instead of a dozen parameters passed from function to function; the public functions
(:func:`gitopslib.sync`, :func:`gitopslib.reconcile.reconcile`, :func:`gitopslib.wait`,
:func:`gitopslib.rollback`) keep their keyword arguments as a thin convenience over it.

Every field has a default, so ``OperationContext()`` is a real-time context with Argo CD's
defaults; tests replace the clock and sleep so nothing waits:

>>> ctx = OperationContext(timeout=30.0)
>>> ctx.timeout, ctx.poll_interval, ctx.settings.controller_namespace
(30.0, 2.0, 'argocd')
>>> fast = ctx.replace(sleep=lambda seconds: None, poll_interval=0.0)
>>> fast.timeout, fast.poll_interval, ctx.poll_interval
(30.0, 0.0, 2.0)
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from gitopslib.diff import DiffSettings
from gitopslib.health import HealthStatus, assess_health
from gitopslib.models import OperationState, RetryStrategy

__all__ = [
    "ClusterResolver",
    "HealthFunction",
    "OperationContext",
    "context_from",
    "utc_now",
]

_log = logging.getLogger("gitopslib.operations")

HealthFunction = Callable[[Mapping[str, Any]], HealthStatus | None]


def utc_now() -> datetime:
    """The wall clock in UTC (the default ``OperationContext.now``)."""
    return datetime.now(UTC)


class ClusterResolver(Protocol):
    """Maps an Application's destination to a cluster (``gitopslib.ClusterRegistry`` is one)."""

    def for_app(self, app: Any) -> Any: ...


@dataclass(frozen=True)
class OperationContext:
    """Everything an operation runs with, with Argo CD's defaults.

    ``clock`` (monotonic seconds) and ``sleep`` drive polling; ``now`` is the wall clock for
    timestamps (``startedAt``, ``deployedAt``). ``timeout`` bounds one sync attempt (then it
    is terminated like Argo CD's terminate), ``poll_interval`` is the pause between polls,
    ``wave_delay`` the pause after each sync step but the last (Argo CD's
    ``ARGOCD_SYNC_WAVE_DELAY``; 0 here). ``on_progress`` receives the
    :class:`~gitopslib.models.OperationState` after every step. ``progress_interval`` is
    the least time (seconds of ``clock``) between two writes of a running operation's
    progress (message and per-resource results) into its status record; a write happens
    only when something changed (0: at every change; ``math.inf``: never, only the start
    and the end are recorded). ``health`` judges a live
    object (default :func:`~gitopslib.health.assess_health`); ``settings`` are the diff and
    tracking settings; ``render_options`` go to :func:`gitopslib.render`. ``retry`` overrides
    the app's ``syncPolicy.retry``. ``metrics`` (a ``SyncRecorder``/``ReconcileRecorder``,
    e.g. ``gitopslib.GitOpsMetrics``) and ``notifier`` (a ``NotifierLike``) observe the
    operation; an observer that raises is logged and never stops it. ``clusters`` (a
    :class:`ClusterResolver` such as ``gitopslib.ClusterRegistry``) resolves destinations
    when no cluster is passed. ``status_namespace`` is where the status record of an app
    without an Application object is kept (None: the app's ``metadata.namespace``, else
    ``argocd``); ``stale_after`` is how long a ``Running`` record without a deadline counts
    as alive. ``initiated_by`` is the user name recorded in ``initiatedBy``.
    ``record_status=False`` records nothing (and takes no lock): for an identity that may
    not write ConfigMaps, or a caller that keeps status itself.
    """

    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], datetime] = utc_now
    timeout: float = 600.0
    poll_interval: float = 2.0
    wave_delay: float = 0.0
    on_progress: Callable[[OperationState], None] | None = None
    progress_interval: float = 2.0
    health: HealthFunction = assess_health
    settings: DiffSettings = field(default_factory=DiffSettings)
    render_options: Mapping[str, Any] | None = None
    retry: RetryStrategy | None = None
    metrics: Any = None
    notifier: Any = None
    clusters: ClusterResolver | None = None
    status_namespace: str | None = None
    stale_after: float | None = None
    initiated_by: str = "gitopslib"
    record_status: bool = True

    def replace(self, **changes: Any) -> OperationContext:
        """A copy with ``changes``; ``None`` values are ignored (a keyword left at its
        default does not override the context).

        >>> OperationContext().replace(timeout=5.0, poll_interval=None).poll_interval
        2.0
        """
        given = {k: v for k, v in changes.items() if v is not None}
        return dataclasses.replace(self, **given) if given else self

    def observe(self, what: str, fn: Callable[..., Any] | None, *args: Any, **kwargs: Any) -> Any:
        """Call an observer method; a failure is logged (never raised, never a value).

        >>> OperationContext().observe("record_sync", None) is None
        True
        """
        if fn is None:
            return None
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # an observer must never stop an operation
            _log.warning("observer %s failed: %s", what, type(exc).__name__)
            return None


def context_from(context: OperationContext | None, **changes: Any) -> OperationContext:
    """``context`` (default: Argo CD's defaults) with the keywords the caller gave (None:
    not given): the layer under the keyword arguments of ``sync``, ``reconcile``, ``wait``,
    ``rollback`` and ``execute_plan``.

    >>> context_from(None, timeout=5.0, poll_interval=None).timeout
    5.0
    """
    return (context or OperationContext()).replace(**changes)
