"""The reconcile loop of ``gitopslib serve``: a scheduler, a bounded work queue and workers.

Every owned app is reconciled at start, then again after ``interval`` (with jitter), and at
once when a verified webhook names it. Workers run :func:`gitopslib.reconcile.reconcile`
(auto-sync and self-heal per each app's policy) and keep each app's ``status`` so the next
pass sees the last operation (Argo CD's "sync once per revision"). On shutdown the running
operations get ``grace_period`` seconds to finish; then their next wait raises and they are
recorded as interrupted.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from gitopslib.errors import GitOpsError
from gitopslib.giturl import mask_credentials
from gitopslib.models import OperationState
from gitopslib.server.apps import app_key, load_from_cluster, load_from_paths
from gitopslib.server.queue import WorkQueue
from gitopslib.server.settings import ServeSettings
from gitopslib.server.sharding import owns
from gitopslib.server.status import (
    error_status,
    interrupted_status,
    running_state,
    status_from_result,
    utc_now,
)
from gitopslib.sync.context import OperationContext

__all__ = ["AppRecord", "Controller", "ShutdownInterrupt"]

log = logging.getLogger("gitopslib.serve")

Key = tuple[str, str]
QUEUE_NAME = "app_reconciliation_queue"


class ShutdownInterrupt(BaseException):
    """Raised inside a running operation's wait once the grace period is over (a
    BaseException, so no ``except Exception`` on the way swallows it)."""


@dataclass
class AppRecord:
    """One owned app: the Application with its ``status`` as last recorded, and the
    ``operation`` running now (its progress: phase, message, results so far)."""

    app: Any
    project: Any = None
    next_due: float = 0.0
    passes: int = 0
    running_since: str | None = None
    last_reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    operation: OperationState | None = None

    def to_dict(self) -> dict[str, Any]:
        """The Application as the read API shows it: while an operation runs, its
        progress is ``status.operationState`` (as Argo CD's controller persists it)."""
        data: dict[str, Any] = self.app.to_dict()
        running = self.operation
        if running is not None:
            state = running_state(running)
            data["status"] = {**(data.get("status") or {}), "operationState": state}
        return data


def _one_line(text: str) -> str:
    return " ".join(mask_credentials(str(text)).split())


class Controller:
    """Owns the apps of one shard and reconciles them on background threads."""

    def __init__(
        self,
        settings: ServeSettings,
        *,
        metrics: Any = None,
        cluster: Any = None,
        notifier: Any = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.notifier = notifier
        self.cluster = cluster if cluster is not None else self._connect()
        self.queue: WorkQueue[Key] = WorkQueue(settings.queue_size)
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._lock = threading.RLock()
        self._apps: dict[Key, AppRecord] = {}
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._interrupt = threading.Event()
        self._repos: dict[str, Any] = {}
        from gitopslib.reconcile import reconcile
        from gitopslib.sources import RenderCache

        self._reconcile = reconcile
        self._render_cache = RenderCache(directory=None)
        self.ready = False

    # --- setup ----------------------------------------------------------------------------

    def _connect(self) -> Any:
        s = self.settings
        if s.kubeconfig:
            from gitopslib.cluster import KubernetesCluster

            return KubernetesCluster.from_kubeconfig(s.kubeconfig, s.context, metrics=self.metrics)
        if s.in_cluster:
            return self._connect_in_cluster()
        from gitopslib.cluster import MemoryCluster

        return MemoryCluster()

    def _connect_in_cluster(self) -> Any:
        """The pod's own API server as its service account; a failure names the flag (or
        the environment variable that chose in-cluster)."""
        from gitopslib.cluster import KubernetesCluster
        from gitopslib.errors import ClusterError

        s = self.settings
        try:
            return KubernetesCluster.in_cluster(
                token_file=s.service_account_token,
                ca_file=s.service_account_ca,
                metrics=self.metrics,
            )
        except ClusterError as exc:
            why = (
                "KUBERNETES_SERVICE_HOST is set and neither APP nor --kubeconfig was given"
                if s.in_cluster_from_env
                else "--in-cluster"
            )
            raise ClusterError(f"{why}: {exc}", status=getattr(exc, "status", None)) from None

    def load(self) -> list[Key]:
        """Read the apps (and projects) and keep those this shard owns; returns their keys."""
        s = self.settings
        if s.paths:
            apps, projects = load_from_paths(s.paths)
        else:
            apps, projects = load_from_cluster(self.cluster, s.app_namespace)
        from gitopslib.project import AppProject

        by_name = {p.metadata.name: p for p in projects}
        owned: dict[Key, AppRecord] = {}
        for app in apps:
            key = app_key(app, s.app_namespace)
            if not owns(key[0], key[1], s.shard, s.shards):
                continue
            wanted = app.spec.project or "default"
            project = by_name.get(wanted)
            if project is None and wanted == "default":
                project = AppProject.default()
            owned[key] = AppRecord(app=app, project=project)
            if project is None:
                owned[key].extra["project_missing"] = wanted
        with self._lock:
            self._apps = owned
        log.info(
            "apps loaded",
            extra={
                "event": "loaded",
                "apps": len(apps),
                "owned": len(owned),
                "shard": s.shard,
                "shards": s.shards,
            },
        )
        return sorted(owned)

    # --- public ---------------------------------------------------------------------------

    def records(self) -> list[tuple[Key, AppRecord]]:
        """The owned apps, sorted by key (a snapshot)."""
        with self._lock:
            return sorted(self._apps.items())

    def record(self, name: str, namespace: str | None = None) -> AppRecord | None:
        """The owned app called ``name`` (in ``namespace`` if given)."""
        with self._lock:
            for (ns, n), rec in self._apps.items():
                if n == name and (namespace is None or ns == namespace):
                    return rec
        return None

    def apps(self) -> list[Any]:
        """The owned Applications as last recorded."""
        return [rec.app for _, rec in self.records()]

    def refresh(self, keys: Iterable[Key], reason: str) -> list[Key]:
        """Queue ``keys`` at once; returns those the queue refused (full)."""
        refused = [k for k in keys if not self.queue.put(k, reason)]
        self._publish_depth()
        return refused

    def start(self) -> None:
        """Queue every owned app and start the scheduler and workers."""
        for key, _ in self.records():
            self.queue.put(key, "startup")
        with self._lock:
            for rec in self._apps.values():
                rec.next_due = math.inf  # set when its first pass ends
        self._publish_depth()
        for i in range(self.settings.workers):
            t = threading.Thread(target=self._work, name=f"gitopslib-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        sched = threading.Thread(target=self._schedule, name="gitopslib-scheduler", daemon=True)
        sched.start()
        self._threads.append(sched)
        self.ready = True

    def stop(self, grace: float | None = None) -> None:
        """Stop: no new passes; running operations get ``grace`` seconds, then are
        interrupted (and recorded so)."""
        grace = self.settings.grace_period if grace is None else grace
        self._stopping.set()
        self.queue.close()
        deadline = time.monotonic() + grace
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        if any(t.is_alive() for t in self._threads):
            log.warning("grace period over, interrupting", extra={"event": "interrupting"})
            self._interrupt.set()
            for t in self._threads:
                t.join(10.0)
        self.ready = False

    @property
    def stopping(self) -> bool:
        """Whether :meth:`stop` was called."""
        return self._stopping.is_set()

    # --- threads --------------------------------------------------------------------------

    def _publish_depth(self) -> None:
        if self.metrics is not None:
            self.metrics.set_queue_depth(QUEUE_NAME, self.queue.depth)

    def _next_wait(self) -> float:
        s = self.settings
        return s.interval * self._rng.uniform(1 - s.jitter, 1 + s.jitter)

    def _schedule(self) -> None:
        while not self._stopping.wait(0.2):
            now = time.monotonic()
            due = []
            with self._lock:
                for key, rec in self._apps.items():
                    if rec.next_due <= now:
                        rec.next_due = math.inf
                        due.append(key)
            if due:
                self.refresh(due, "resync")

    def _work(self) -> None:
        while not self._stopping.is_set():
            item = self.queue.get(timeout=0.5)
            if item is None:
                continue
            key, reason = item
            try:
                self._pass(key, reason)
            except ShutdownInterrupt:
                return
            except Exception:  # a bug of ours: log it, keep serving the other apps
                log.exception("reconcile crashed", extra={"event": "crash", "app": key[1]})
            finally:
                with self._lock:
                    rec = self._apps.get(key)
                    if rec is not None:
                        rec.operation = None  # a pass that crashed runs nothing either
                    if rec is not None and rec.next_due == math.inf:
                        rec.next_due = time.monotonic() + self._next_wait()
                self.queue.done(key)
                self._publish_depth()

    def _sleep(self, seconds: float) -> None:
        if self._interrupt.wait(max(0.0, seconds)):
            raise ShutdownInterrupt

    # --- one pass -------------------------------------------------------------------------

    def _resolver(self, app: Any) -> dict[str, Any]:
        s = self.settings
        if s.repo_root:
            return {"repo_root": s.repo_root}
        from pathlib import Path

        from gitopslib.git import GitRepository
        from gitopslib.sources import Resolver

        urls = [str(src.repo_url) for src in app.spec.all_sources() if src.repo_url]
        repos = {}
        for url in dict.fromkeys(urls):
            with self._lock:
                if url not in self._repos:
                    cache = Path(s.cache_dir) / "git" if s.cache_dir else None
                    self._repos[url] = GitRepository(url, cache_dir=cache, metrics=self.metrics)
                repos[url] = self._repos[url]
        default = repos[urls[0]] if urls else None
        return {"render_options": {"resolver": Resolver(repos, default=default)}}

    def _pass(self, key: Key, reason: str) -> None:
        with self._lock:
            rec = self._apps.get(key)
        if rec is None:
            return
        app = rec.app
        s = self.settings
        started = time.monotonic()
        rec.running_since = utc_now()
        rec.last_reason = reason
        log.info(
            "reconciling",
            extra={"event": "reconciling", "app": key[1], "namespace": key[0], "reason": reason},
        )
        kwargs: dict[str, Any] = self._resolver(app)
        options = dict(kwargs.pop("render_options", {}))
        options.update({"cache": self._render_cache, "metrics": self.metrics})
        kwargs.update(
            context=OperationContext(on_progress=lambda state: self._progress(key, state)),
            project=rec.project,
            auto_sync=s.auto_sync,
            render_options=options,
            timeout=s.sync_timeout,
            poll_interval=s.poll_interval,
            sleep=self._sleep,
        )
        result = None
        try:
            if "project_missing" in rec.extra:
                raise GitOpsError(
                    f"Application references project {rec.extra['project_missing']} "
                    "which does not exist"
                )
            result = self._reconcile(app, self.cluster, **kwargs)
            status = status_from_result(app, result)
        except ShutdownInterrupt:
            status = interrupted_status(app, rec.running_since)
            self._store(key, app, status)
            log.warning(
                "operation interrupted by shutdown",
                extra={"event": "interrupted", "app": key[1], "namespace": key[0]},
            )
            raise
        except GitOpsError as exc:
            status = error_status(app, _one_line(str(exc)))
            log.warning(
                "reconcile failed",
                extra={"event": "error", "app": key[1], "error": _one_line(str(exc))},
            )
        seconds = time.monotonic() - started
        new_app = self._store(key, app, status)
        rec.running_since = None
        self._observe(new_app, result, seconds)
        op = result.operation if result is not None else None
        log.info(
            "reconciled",
            extra={
                "event": "reconciled",
                "app": key[1],
                "namespace": key[0],
                "reason": reason,
                "sync": status.get("sync", {}).get("status"),
                "health": status.get("health", {}).get("status"),
                "operation": op.phase if op is not None else None,
                "seconds": round(seconds, 3),
            },
        )
        if op is not None and not self._stopping.is_set():
            # one more pass so that status shows the state the sync produced
            self.queue.put(key, "after-sync")

    def _progress(self, key: Key, state: OperationState) -> None:
        """``on_progress`` of a pass's sync: the read API shows the running operation."""
        with self._lock:
            rec = self._apps.get(key)
            if rec is not None:
                rec.operation = state if state.phase == "Running" else None

    def _store(self, key: Key, app: Any, status: dict[str, Any]) -> Any:
        data = app.to_dict()
        data["status"] = status
        new_app = type(app).from_dict(data)
        with self._lock:
            rec = self._apps.get(key)
            if rec is not None:
                rec.app = new_app
                rec.operation = None
                rec.passes += 1
        return new_app

    def _observe(self, app: Any, result: Any, seconds: float) -> None:
        m = self.metrics
        try:
            # serve records itself (reconcile gets no metrics=), so nothing counts twice
            if m is not None:
                if result is not None and result.operation is not None:
                    m.record_sync(app, str(result.operation.phase), op=result.operation)
                m.record_reconcile(app, seconds)
                m.record_app(app)
            if m is not None and result is not None:
                m.record_plan(app, len(result.plan.tasks))
                self._record_cluster(app)
            # every pass: triggers such as on-health-degraded watch state, not only syncs; the
            # notifier's oncePer state (kept on the app) stops repeats
            if self.notifier is not None and result is not None:
                self.notifier.process(app)
        except Exception:  # an observer never stops the loop
            log.warning("observer failed", exc_info=True, extra={"event": "observer"})

    def _record_cluster(self, app: Any) -> None:
        from gitopslib.metrics import app_labels

        server = app_labels(app)["dest_server"] or "in-cluster"
        version = getattr(self.cluster, "server_version", "")
        version = version() if callable(version) else version
        objects = self.cluster.objects() if hasattr(self.cluster, "objects") else None
        self.metrics.record_cluster(
            server,
            name=str(getattr(app.spec.destination, "name", None) or "in-cluster"),
            k8s_version=str(version or ""),
            objects=len(objects) if objects is not None else None,
        )
