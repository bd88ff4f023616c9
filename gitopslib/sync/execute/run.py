"""The entry points: :func:`execute_plan` (the arguments resolved) and :func:`run_plan` (the
loop: steps, progress, polling, the timeout)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from gitopslib.errors import ClusterError, ClusterTimeoutError
from gitopslib.manifest import LABEL_INSTANCE, paused_gc
from gitopslib.models import OperationState
from gitopslib.sync._options import AppView
from gitopslib.sync.context import HealthFunction, OperationContext, context_from
from gitopslib.sync.deadline import operation_deadline
from gitopslib.sync.execute.executor import _Executor
from gitopslib.sync.execute.runs import _COMPLETED
from gitopslib.sync.plan import SyncPlan
from gitopslib.sync.protocol import Cluster
from gitopslib.tracking import TrackingMethod, instance_name

__all__ = ["execute_plan", "run_plan"]

#: Seconds the clean-up after a timeout (running hooks stopped) may take past the deadline.
_TERMINATE_GRACE = 10.0


def execute_plan(
    plan: SyncPlan,
    cluster: Cluster,
    *,
    app: Any = None,
    app_instance: str | None = None,
    destination_namespace: str | None = None,
    tracking_method: TrackingMethod = "annotation",
    label_key: str = LABEL_INSTANCE,
    health: HealthFunction | None = None,
    prune_confirmed: bool | Callable[[], bool] | None = None,
    timeout: float | None = None,
    poll_interval: float | None = None,
    wave_delay: float | None = None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], None] | None = None,
    now: Callable[[], datetime] | None = None,
    on_progress: Callable[[OperationState], None] | None = None,
    controller_namespace: str = "argocd",
    context: OperationContext | None = None,
) -> OperationState:
    """Run ``plan`` against ``cluster`` until the operation completes; see the module docs.

    ``app`` (model or dict) supplies the tracking instance name (``<name>``, or
    ``<namespace>_<name>`` outside ``controller_namespace``; ``app_instance`` overrides it),
    the destination namespace and the ``deletion-approved`` annotation;
    ``prune_confirmed`` overrides that approval (a bool, or a callable polled while waiting).
    ``health`` judges live objects (default :func:`~gitopslib.health.assess_health`).
    ``poll_interval`` seconds between polls while waiting; ``wave_delay`` seconds after each
    step that is not the last (Argo CD's ``ARGOCD_SYNC_WAVE_DELAY``, 2 s there; 0 here);
    ``timeout`` ends a stuck operation like Argo CD's terminate (``Failed``, "Operation
    terminated..."). ``clock``/``sleep``/``now`` are injectable for tests; ``on_progress``
    receives the operation state after every step. ``context`` (an
    :class:`~gitopslib.sync.context.OperationContext`) carries all of these at once; a
    keyword given here overrides its field.

    Returns an :class:`~gitopslib.models.OperationState`: ``phase`` Succeeded, Failed or
    Error, Argo CD's ``message``, and ``sync_result.resources`` rows (``status`` Synced,
    SyncFailed, Pruned, PruneSkipped; ``hook_phase``; ``message`` such as ``pruned``,
    ``ignored (no prune)`` or ``deployment.apps/web created``).
    """
    ctx = context_from(
        context,
        health=health,
        timeout=timeout,
        poll_interval=poll_interval,
        wave_delay=wave_delay,
        clock=clock,
        sleep=sleep,
        now=now,
        on_progress=on_progress,
    )
    view = AppView(app)
    instance = app_instance
    if instance is None and view.name:
        instance = instance_name(view.name, view.namespace, controller_namespace)
    dest_ns = view.destination_namespace
    if destination_namespace is not None:
        dest_ns = destination_namespace
    return run_plan(
        plan,
        cluster,
        ctx,
        app=app,
        app_instance=instance,
        destination_namespace=dest_ns,
        tracking_method=tracking_method,
        label_key=label_key,
        prune_confirmed=prune_confirmed,
    )


def _wants_state(on_progress: Callable[[OperationState], None]) -> bool:
    """Whether ``on_progress`` gets the state after this step. A callback may say it has
    nothing to do now through a ``wanted()`` method (the status recorder between two
    throttled writes): the state of every resource is then not built at every step."""
    wanted = getattr(on_progress, "wanted", None)
    return bool(wanted()) if callable(wanted) else True


def run_plan(
    plan: SyncPlan,
    cluster: Cluster,
    ctx: OperationContext,
    *,
    app: Any,
    app_instance: str | None,
    destination_namespace: str,
    tracking_method: TrackingMethod,
    label_key: str,
    prune_confirmed: bool | Callable[[], bool] | None = None,
) -> OperationState:
    """:func:`execute_plan` with everything resolved: the clocks, timeout, health function
    and progress callback come from ``ctx``."""
    wall = ctx.now
    # each step is bulk work on acyclic trees: the cyclic collector's full passes over every
    # object held are pure overhead during one, so it runs between steps (while waiting)
    with paused_gc():
        executor = _Executor(
            plan,
            cluster,
            app=app,
            app_instance=app_instance,
            destination_namespace=destination_namespace,
            tracking_method=tracking_method,
            label_key=label_key,
            prune_confirmed=prune_confirmed,
            context=ctx,
            started_at=wall(),
        )
    clock, sleep, on_progress, timeout = ctx.clock, ctx.sleep, ctx.on_progress, ctx.timeout
    deadline = clock() + timeout
    timed_out = ""
    try:
        # requests (and their retries) stop at the deadline too, not only the polling
        with operation_deadline(timeout):
            with paused_gc():
                started = executor.first_step()
            if started:
                while True:
                    with paused_gc():
                        acted = executor.step()
                    if executor.phase in _COMPLETED:
                        break
                    if on_progress is not None and _wants_state(on_progress):
                        on_progress(executor.state(None))
                    if clock() >= deadline:
                        waiting = f" while {executor.message}" if executor.message else ""
                        timed_out = f": timed out after {timeout:g}s{waiting}"
                        break
                    if not acted:
                        sleep(max(0.0, min(ctx.poll_interval, deadline - clock())))
    except ClusterTimeoutError as exc:
        # a request ran out of the operation's time: terminated as a timeout, never Succeeded
        timed_out = f": timed out after {timeout:g}s ({exc})"
    except ClusterError as exc:
        # a failure outside any task (reading the cluster): Argo CD's OperationError
        executor.phase, executor.message = "Error", str(exc)
    if timed_out:
        # outside the operation's deadline: stopping running hooks gets a short time of its own
        with operation_deadline(_TERMINATE_GRACE):
            executor.terminate(timed_out)
    with paused_gc():
        final = executor.state(wall())
    if on_progress is not None:
        on_progress(final)
    return final
