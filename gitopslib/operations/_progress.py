"""A running operation's progress in its status record, as Argo CD keeps
``status.operationState`` up to date while a sync runs.

:func:`~gitopslib.operations.run_sync` records the operation as ``Running`` when it starts and
its final state when it ends; in between, :class:`OperationRecorder` (the executor's
``on_progress``) writes what the operation does now: the executor's message ("waiting for
healthy state of apps/Deployment/web", "waiting for completion of hook batch/Job/migrate")
and ``syncResult.resources`` with each task's result so far, so ``gitopslib get``,
:func:`~gitopslib.operations.app_status` and any other reader see it.

Argo CD's controller persists the operation state after each pass of its sync state machine,
skipping the patch when nothing changed. Here a pass is one executor step, and steps follow
each other without pause while waves are applied, so writes are also throttled: at most one
every ``OperationContext.progress_interval`` seconds (default 2, the default poll interval
and Argo CD's sync wave delay), and only when the phase, the message or a resource's result
changed.

A progress write is best effort. It carries the ``resourceVersion`` of the last write, as the
start and the end do, so it never overwrites another process's record. One that fails is
logged and the operation goes on; before the next write the record is read again: when it
still shows this operation (the failed write landed, or nothing did) it is adopted, otherwise
the record was taken over (a stale-operation takeover) and nothing more is written, so the
final write reports the conflict as it always has.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from gitopslib.cluster.status import StatusRecord, StatusStore
from gitopslib.manifest import paused_gc
from gitopslib.models import OperationState
from gitopslib.sync.context import OperationContext

__all__ = ["OperationRecorder"]

_log = logging.getLogger("gitopslib.operations")


def _same(a: OperationState | None, b: OperationState | None) -> bool:
    """Whether two operation states are the same record (compared as stored)."""
    if a is None or b is None:
        return a is b
    return bool(a.to_dict() == b.to_dict())


class OperationRecorder:
    """The status record of one operation from its start to its end, and the callable
    that persists its progress in between (pass it as ``on_progress``; it calls the
    context's own ``on_progress`` first, with the same state).

    ``running`` is the operation as recorded at the start (its ``operation`` and
    ``startedAt`` are kept in every progress write); ``deadline`` is the stale-after
    annotation every write keeps. :attr:`record` is the last read or write this process
    owns.
    """

    def __init__(
        self,
        store: StatusStore,
        app: Any,
        running: OperationState,
        deadline: datetime | None,
        ctx: OperationContext,
    ) -> None:
        self.store = store
        self.app = app
        self.running = running
        self.deadline = deadline
        self.user: Callable[[OperationState], None] | None = ctx.on_progress
        self.clock = ctx.clock
        self.interval = ctx.progress_interval
        self.record: StatusRecord | None = None
        self.retry_count = 0
        self._shown: OperationState | None = None
        self._checked_at = self.clock()
        self._pending: OperationState | None = None
        self._lost = False

    # -- the writes of run_sync ------------------------------------------------------------

    def begin(self) -> StatusRecord:
        """Record the operation as ``Running`` (see :meth:`StatusStore.begin`)."""
        record = self.store.begin(self.app, self.running, deadline=self.deadline)
        self.recorded(record)
        return record

    def recorded(self, record: StatusRecord | None) -> None:
        """Note a write made outside the progress (the start, a retry's wait): the next
        progress write goes over it, one interval later."""
        self.record = record
        self._shown = record.status.operation_state if record is not None else None
        self._pending = None
        self._checked_at = self.clock()

    def current(self) -> StatusRecord | None:
        """The record to write over next: after a failed progress write, the record as
        read again when it still shows this operation."""
        self._settle()
        return self.record

    # -- on_progress -----------------------------------------------------------------------

    def wanted(self) -> bool:
        """Whether the executor should build its state now: the caller's ``on_progress``
        wants every one, the record one per interval."""
        return self.user is not None or self._due()

    def __call__(self, state: OperationState) -> None:
        """The executor's progress: to the caller's ``on_progress``, then, when due and
        changed, into the record."""
        if self.user is not None:
            self.user(state)
        if state.phase != "Running" or not self._due():
            return
        self._checked_at = self.clock()
        self._settle()
        if self._lost or self.record is None:
            return
        view = self._view(state)
        if not _same(view, self._shown):
            self._write(self.record, view)

    def _due(self) -> bool:
        if self.record is None or self._lost:
            return False
        return self.clock() - self._checked_at >= self.interval

    def _view(self, state: OperationState) -> OperationState:
        """The executor's state as this operation records it: what was asked, when it
        started and the retries so far."""
        view = state.model_copy()
        view.operation = self.running.operation
        view.started_at = self.running.started_at
        view.finished_at = None
        if self.retry_count:
            view.retry_count = self.retry_count
        return view

    def _write(self, record: StatusRecord, view: OperationState) -> None:
        status = record.status.model_copy(update={"operation_state": view})
        try:
            with paused_gc():  # the results of every resource, serialised
                self.record = self.store.save(self.app, record, status, deadline=self.deadline)
        except Exception as exc:  # a progress write never stops the operation
            self._pending = view
            _log.warning(
                "application %s: the operation's progress was not recorded (%s); it goes on",
                record.app_name,
                exc,
            )
            return
        self._shown = view

    def _settle(self) -> None:
        """After a failed write: read the record again and adopt it when it shows this
        operation (as written before, or as the failed write meant it)."""
        if self._pending is None or self.record is None:
            return
        try:
            found = self.store.load(self.app)
        except Exception as exc:  # still unreachable: try again before the next write
            _log.warning(
                "application %s: the status record could not be read again (%s)",
                self.record.app_name,
                exc,
            )
            return
        state = found.status.operation_state
        if _same(state, self._pending) or _same(state, self._shown):
            self.record, self._shown = found, state
        else:
            self._lost = True
            _log.warning(
                "application %s: another process took the status record over; this "
                "operation's progress is no longer recorded",
                found.app_name,
            )
        self._pending = None
