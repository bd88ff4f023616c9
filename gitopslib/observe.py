"""What an operation tells the outside while it runs: the contract between the loop and its
observers (Prometheus metrics, notifications), so neither side imports the other.

The loop (``sync``, ``reconcile``, ``wait``, ``GitRepository``, the render path) calls these
methods on whatever object the caller passed as ``metrics=`` or ``notifier=``. Both are
optional; ``None`` costs nothing. An observer must not raise: a failing observer is logged by
the caller and never stops an operation.

>>> class Printer:
...     def record_sync(self, app, phase, *, dry_run=False):
...         print(app.name, phase)
>>> isinstance(Printer(), SyncRecorder)
True
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

__all__ = [
    "AppLike",
    "GitRecorder",
    "K8sRecorder",
    "NotifierLike",
    "ReconcileRecorder",
    "RenderRecorder",
    "SyncRecorder",
]


class AppLike(Protocol):
    """An Application as observers see it: ``name`` plus whatever the model carries."""

    @property
    def name(self) -> str: ...


@runtime_checkable
class SyncRecorder(Protocol):
    """Counts finished sync operations (``argocd_app_sync_total``)."""

    def record_sync(self, app: Any, phase: str, *, dry_run: bool = False) -> None: ...


@runtime_checkable
class ReconcileRecorder(Protocol):
    """Times reconcile passes and publishes the app's state (``argocd_app_reconcile``,
    ``argocd_app_info``, ``argocd_app_condition``)."""

    def record_reconcile(self, app: Any, seconds: float) -> None: ...

    def record_app(self, app: Any) -> None: ...


@runtime_checkable
class GitRecorder(Protocol):
    """Counts and times Git requests (``argocd_git_request_total``,
    ``argocd_git_request_duration_seconds``). ``request_type`` is ``ls-remote`` or
    ``fetch``; ``repo`` is already credential-masked by the caller."""

    def record_git_request(
        self, repo: str, request_type: str, seconds: float, *, failed: bool = False
    ) -> None: ...


@runtime_checkable
class K8sRecorder(Protocol):
    """Counts Kubernetes API requests (``argocd_app_k8s_request_total``)."""

    def record_k8s_request(
        self, *, server: str, verb: str, kind: str, response_code: int, app: str | None = None
    ) -> None: ...


@runtime_checkable
class RenderRecorder(Protocol):
    """Times renders by source type and counts render cache hits and misses (``gitopslib_``)."""

    def record_render(self, source_type: str, seconds: float, *, cache_hit: bool) -> None: ...


@runtime_checkable
class NotifierLike(Protocol):
    """Processes an Application after a state change (``gitopslib.Notifier`` is one). The app
    handed over carries the status as just recorded; the return value is the deliveries."""

    def process(self, app: Any) -> list[Any]: ...
