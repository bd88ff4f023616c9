"""Where an Application's status lives: in the cluster, so every process sees the same history.

Argo CD keeps ``status`` (``operationState``, ``sync``, ``health``, ``history``, ...) in the
Application object. :class:`StatusStore` does the same through the
:class:`~gitopslib.sync.protocol.Cluster` protocol, so :class:`~gitopslib.cluster.MemoryCluster`,
:class:`~gitopslib.cluster.SnapshotCluster` and :class:`~gitopslib.cluster.KubernetesCluster`
all keep it without code of their own:

* where an ``argoproj.io/v1alpha1`` Application with the app's name exists in the app's
  namespace, its ``.status`` is read and written (as Argo CD's controller does);
* otherwise the status is one **ConfigMap** per app, ``gitopslib.app.<name>``, in the status
  namespace (default: the app's ``metadata.namespace``, else ``argocd``; the namespace is
  created when missing, like ``helm install --create-namespace``), labelled
  ``app.kubernetes.io/managed-by=gitopslib`` and ``gitopslib.io/application=<name>`` so
  ``kubectl get configmaps -l app.kubernetes.io/managed-by=gitopslib -A`` lists them.

A ConfigMap, not a Secret (Helm's choice for releases): Helm stores rendered manifests, which
can hold secret values; the status holds none (names, revisions, sources, messages, all
masked already), it is what ``kubectl get application -o yaml`` shows anyone who may read
apps, and a ConfigMap stays readable with ``kubectl get -o yaml`` without base64.

Writes are optimistic: every update is a merge patch carrying the ``resourceVersion`` that was
read, so of two writers the second gets a 409 conflict. :meth:`StatusStore.begin` uses that
to let only one operation run per app (:class:`~gitopslib.errors.OperationInProgressError`,
"another operation is already in progress", as Argo CD answers). A process that dies
mid-operation leaves phase ``Running``; the record carries the operation's deadline
(annotation ``gitopslib.io/operation-deadline``: start + timeout + retries' backoff + 60 s), and
once that has passed the record is *stale* and the next operation takes over.

>>> from gitopslib.cluster import MemoryCluster
>>> from gitopslib.models import Application, OperationState
>>> app = Application.from_yaml(
...     "apiVersion: argoproj.io/v1alpha1\\nkind: Application\\nmetadata: {name: web}\\n"
...     "spec: {destination: {name: in-cluster, namespace: shop}}\\n")
>>> store = StatusStore(MemoryCluster())
>>> store.load(app).status.operation_state is None
True
>>> record = store.begin(app, OperationState(phase="Running", started_at="2026-01-01T00:00:00Z"))
>>> store.load(app).status.operation_state.phase, record.key.name
('Running', 'gitopslib.app.web')
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pydantic

from gitopslib._timestamps import parse_rfc3339, rfc3339
from gitopslib.errors import ClusterError, OperationError, OperationInProgressError
from gitopslib.manifest import ResourceKey
from gitopslib.models import ApplicationStatus, OperationState
from gitopslib.models._base import convert_pydantic_error

__all__ = [
    "ANNOTATION_DEADLINE",
    "DEFAULT_STATUS_NAMESPACE",
    "LABEL_APPLICATION",
    "LABEL_MANAGED_BY",
    "StatusRecord",
    "StatusStore",
    "is_status_record",
    "record_name",
]

#: Where status records live when neither the context nor the app names a namespace.
DEFAULT_STATUS_NAMESPACE = "argocd"
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
LABEL_APPLICATION = "gitopslib.io/application"
ANNOTATION_DEADLINE = "gitopslib.io/operation-deadline"
_DATA_KEY = "status.json"
_PREFIX = "gitopslib.app."
_APPLICATION = ("argoproj.io", "Application")
_CONFLICT_RETRIES = 5


def record_name(app_name: str) -> str:
    """The status ConfigMap's name: ``gitopslib.app.<name>`` (hashed past 253 characters).

    >>> record_name("guestbook")
    'gitopslib.app.guestbook'
    """
    name = _PREFIX + app_name
    if len(name) <= 253:
        return name
    digest = hashlib.sha256(app_name.encode()).hexdigest()[:16]
    return f"{name[:236]}.{digest}"


def _label_value(app_name: str) -> str:
    if len(app_name) <= 63:
        return app_name
    return app_name[:46] + "-" + hashlib.sha256(app_name.encode()).hexdigest()[:16]


def is_status_record(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is a status ConfigMap written by :class:`StatusStore`.

    >>> is_status_record({"kind": "ConfigMap", "metadata": {"name": "gitopslib.app.web",
    ...     "labels": {"app.kubernetes.io/managed-by": "gitopslib"}}})
    True
    """
    meta = obj.get("metadata") or {}
    labels = meta.get("labels") or {}
    return (
        obj.get("kind") == "ConfigMap"
        and str(meta.get("name") or "").startswith(_PREFIX)
        and labels.get(LABEL_MANAGED_BY) == "gitopslib"
    )


@dataclass
class StatusRecord:
    """One read of an app's status: the status, the object that holds it (``key``, ``kind``
    ``Application`` or ``ConfigMap``, None when nothing was recorded yet), its
    ``resource_version`` and the running operation's ``deadline``."""

    app_name: str
    key: ResourceKey
    status: ApplicationStatus = field(default_factory=ApplicationStatus)
    kind: str | None = None
    resource_version: str | None = None
    deadline: datetime | None = None
    raw_status: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def exists(self) -> bool:
        return self.kind is not None

    @property
    def running(self) -> OperationState | None:
        """The operation state when its phase is ``Running`` (or ``Terminating``)."""
        state = self.status.operation_state
        if state is not None and state.phase in ("Running", "Terminating"):
            return state
        return None


def _app_identity(app: Any) -> tuple[str, str | None]:
    meta = getattr(app, "metadata", None)
    if isinstance(app, Mapping):
        data = app.get("metadata") or {}
        return str(data.get("name") or ""), data.get("namespace")
    return str(getattr(meta, "name", "") or ""), getattr(meta, "namespace", None)


class StatusStore:
    """Reads and writes the status of apps in ``cluster`` (see the module docs).

    ``namespace``: where ConfigMap records live (None: each app's ``metadata.namespace``,
    else ``argocd``). ``now`` is the wall clock; ``stale_after`` the seconds after
    ``startedAt`` at which a ``Running`` record without a deadline counts as stale (default
    600, the default operation timeout).
    """

    def __init__(
        self,
        cluster: Any,
        *,
        namespace: str | None = None,
        now: Callable[[], datetime] | None = None,
        stale_after: float | None = None,
    ) -> None:
        self.cluster = cluster
        self.namespace = namespace
        self.now = now or (lambda: datetime.now(UTC))
        self.stale_after = 600.0 if stale_after is None else stale_after
        self._namespaces_seen: set[str] = set()

    # -- reading ---------------------------------------------------------------------------

    def _app_key(self, app: Any) -> ResourceKey:
        name, namespace = _app_identity(app)
        return ResourceKey(*_APPLICATION, namespace or DEFAULT_STATUS_NAMESPACE, name)

    def _record_key(self, app: Any) -> ResourceKey:
        name, namespace = _app_identity(app)
        where = self.namespace or namespace or DEFAULT_STATUS_NAMESPACE
        return ResourceKey("", "ConfigMap", where, record_name(name))

    def load(self, app: Any) -> StatusRecord:
        """The app's status as last recorded (an empty status when nothing was).

        Raises :class:`~gitopslib.errors.OperationError` naming the app when the stored
        status cannot be read (a record edited into something that is not a status)."""
        name, _ = _app_identity(app)
        app_obj = self.cluster.get(self._app_key(app))
        if app_obj is not None:
            raw = app_obj.get("status")
            return self._record(name, self._app_key(app), "Application", app_obj, raw, "status")
        key = self._record_key(app)
        obj = self.cluster.get(key)
        if obj is None:
            return StatusRecord(name, key)
        text = (obj.get("data") or {}).get(_DATA_KEY)
        if text is None:
            raw = None
        else:
            try:
                raw = json.loads(str(text))
            except json.JSONDecodeError as exc:
                raise self._broken(name, key, f"data.{_DATA_KEY} is not JSON ({exc.msg})") from None
        return self._record(name, key, "ConfigMap", obj, raw, f"data.{_DATA_KEY}")

    def _record(
        self,
        name: str,
        key: ResourceKey,
        kind: str,
        obj: Mapping[str, Any],
        raw: Any,
        where: str,
    ) -> StatusRecord:
        meta = obj.get("metadata") or {}
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise self._broken(name, key, f"{where} is a {type(raw).__name__}, not an object")
        try:
            status = ApplicationStatus.model_validate(raw)
        except pydantic.ValidationError as exc:
            problem = convert_pydantic_error(ApplicationStatus, exc, raw, prefix=("status",))
            raise self._broken(
                name, key, f"{where} is not an Application status: {problem}"
            ) from None
        deadline = parse_rfc3339((meta.get("annotations") or {}).get(ANNOTATION_DEADLINE))
        return StatusRecord(
            name,
            key,
            status,
            kind,
            str(meta.get("resourceVersion") or "") or None,
            deadline,
            raw,
        )

    @staticmethod
    def _broken(name: str, key: ResourceKey, what: str) -> OperationError:
        return OperationError(
            f"application {name}: the status recorded in {key.kind} "
            f"{key.namespace}/{key.name} is unreadable: {what}"
        )

    # -- the operation lock ----------------------------------------------------------------

    def stale(self, record: StatusRecord) -> bool:
        """Whether a ``Running`` record was left by an operation that can no longer be
        alive: its deadline passed (or, without one, ``startedAt + stale_after``)."""
        state = record.running
        if state is None:
            return True
        now = self.now()
        if record.deadline is not None:
            return now > record.deadline
        started = parse_rfc3339(state.started_at)
        if started is None:
            return True
        return now > started + timedelta(seconds=self.stale_after)

    def check_idle(self, app: Any) -> StatusRecord:
        """The app's record; :class:`~gitopslib.errors.OperationInProgressError` when an
        operation that is not stale runs."""
        record = self.load(app)
        running = record.running
        if running is not None and not self.stale(record):
            raise _in_progress(record.app_name, running)
        return record

    def begin(
        self, app: Any, state: OperationState, *, deadline: datetime | None = None
    ) -> StatusRecord:
        """Record ``state`` (phase ``Running``) as the app's operation, unless another
        operation is running: then raise
        :class:`~gitopslib.errors.OperationInProgressError`. A stale running record is
        taken over."""
        name, _ = _app_identity(app)
        for _ in range(_CONFLICT_RETRIES):
            record = self.load(app)
            running = record.running
            if running is not None and not self.stale(record):
                raise _in_progress(name, running)
            status = record.status.model_copy(deep=True)
            status.operation_state = state
            try:
                return self._write(app, record, status, deadline)
            except _Conflict:
                continue
        raise OperationInProgressError(
            f"application {name}: another operation is already in progress "
            "(its status kept changing while this one tried to start)"
        )

    def save(
        self,
        app: Any,
        record: StatusRecord,
        status: ApplicationStatus,
        *,
        deadline: datetime | None = None,
    ) -> StatusRecord:
        """Write ``status`` over ``record`` (the read this process owns). Raises
        :class:`~gitopslib.errors.OperationError` when someone else wrote in between (a
        process that took over this operation as stale)."""
        try:
            return self._write(app, record, status, deadline)
        except _Conflict:
            name, _ = _app_identity(app)
            raise OperationError(
                f"application {name}: the status was changed by another process while this "
                "operation ran (it took the operation over as stale); nothing recorded"
            ) from None

    # -- writing ---------------------------------------------------------------------------

    def _write(
        self,
        app: Any,
        record: StatusRecord,
        status: ApplicationStatus,
        deadline: datetime | None,
    ) -> StatusRecord:
        name, _ = _app_identity(app)
        raw = status.to_dict() if hasattr(status, "to_dict") else status.model_dump()
        annotations = {ANNOTATION_DEADLINE: rfc3339(deadline) if deadline else None}
        if record.kind == "Application":
            patch: dict[str, Any] = {
                "metadata": {
                    "resourceVersion": record.resource_version,
                    "annotations": annotations,
                },
                "status": _merge_patch(record.raw_status, raw),
            }
            stored = self._patch(record.key, patch)
        elif record.kind == "ConfigMap":
            patch = {
                "metadata": {
                    "resourceVersion": record.resource_version,
                    "annotations": annotations,
                },
                "data": {_DATA_KEY: json.dumps(raw, sort_keys=True)},
            }
            stored = self._patch(record.key, patch)
        else:
            stored = self._create(name, record.key, raw, deadline)
        meta = stored.get("metadata") or {}
        return StatusRecord(
            name,
            record.key,
            status.model_copy(deep=True),
            record.kind or "ConfigMap",
            str(meta.get("resourceVersion") or "") or None,
            deadline,
            raw,
        )

    def _patch(self, key: ResourceKey, patch: dict[str, Any]) -> dict[str, Any]:
        try:
            stored = self.cluster.patch(key, patch)
        except ClusterError as exc:
            if getattr(exc, "status", None) == 409:
                raise _Conflict from None
            raise
        if stored is None:  # deleted in between: someone else's business
            raise _Conflict
        result: dict[str, Any] = stored
        return result

    def _create(
        self, name: str, key: ResourceKey, raw: dict[str, Any], deadline: datetime | None
    ) -> dict[str, Any]:
        self._ensure_namespace(key.namespace)
        obj: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": key.name,
                "namespace": key.namespace,
                "labels": {LABEL_MANAGED_BY: "gitopslib", LABEL_APPLICATION: _label_value(name)},
            },
            "data": {"application": name, _DATA_KEY: json.dumps(raw, sort_keys=True)},
        }
        if deadline is not None:
            obj["metadata"]["annotations"] = {ANNOTATION_DEADLINE: rfc3339(deadline)}
        try:
            result = self.cluster.apply(obj, mode="create", validate=False)
        except ClusterError as exc:
            if getattr(exc, "status", None) == 409:
                raise _Conflict from None
            raise
        stored: dict[str, Any] = result.object
        return stored

    def _ensure_namespace(self, namespace: str) -> None:
        if not namespace or namespace in self._namespaces_seen:
            return
        key = ResourceKey("", "Namespace", "", namespace)
        if self.cluster.get(key) is None:
            ns = {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": namespace, "labels": {LABEL_MANAGED_BY: "gitopslib"}},
            }
            try:
                self.cluster.apply(ns, mode="create", validate=False)
            except ClusterError as exc:
                if getattr(exc, "status", None) != 409:
                    raise
        self._namespaces_seen.add(namespace)


def _in_progress(name: str, running: OperationState) -> OperationInProgressError:
    return OperationInProgressError(
        f"application {name}: another operation is already in progress "
        f"(started at {running.started_at or 'an unknown time'})"
    )


class _Conflict(Exception):
    """Someone else wrote the record since it was read."""


def _merge_patch(old: Any, new: Any) -> Any:
    """The JSON merge patch (RFC 7386) turning ``old`` into ``new`` (lists whole)."""
    if not isinstance(old, Mapping) or not isinstance(new, Mapping):
        return new
    patch: dict[str, Any] = {k: None for k in old if k not in new}
    for key, value in new.items():
        if key not in old:
            patch[key] = value
        elif old[key] != value:
            patch[key] = _merge_patch(old[key], value)
    return patch
