"""Sync options as Argo CD reads them, and a read-only view of an Application for the planner.

Argo CD keeps sync options as plain strings: a flag is an exact ``Key=value`` member of the
list, a valued option is the first item starting with ``Key=`` (argocd-semantics.md §3.1).
:class:`OptionList` does exactly that for an app-level list or a resource's
``argocd.argoproj.io/sync-options`` annotation, and :func:`resolve` lets a resource-level value
win over the app-level default.

:class:`AppView` reads the few Application fields the planner needs from either the typed
model (``gitopslib.models.Application``) or a plain dict of the YAML, so planning works on both.

>>> opts = OptionList(["Prune=false", "PrunePropagationPolicy=background"])
>>> opts.has("Prune=false"), opts.get("PrunePropagationPolicy")
(True, 'background')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from gitopslib.errors import PlanError
from gitopslib.manifest import ANNOTATION_SYNC_OPTIONS

__all__ = ["KNOWN_OPTIONS", "AppView", "OptionList", "resolve"]

#: Every option key Argo CD reads, with the values it acts on (None: any value).
KNOWN_OPTIONS: Final[dict[str, frozenset[str] | None]] = {
    "Prune": frozenset({"true", "false", "confirm"}),
    "Delete": frozenset({"true", "false", "confirm"}),
    "Validate": frozenset({"true", "false"}),
    "SkipDryRunOnMissingResource": frozenset({"true", "false"}),
    "CreateNamespace": frozenset({"true", "false"}),
    "PruneLast": frozenset({"true", "false"}),
    "ApplyOutOfSyncOnly": frozenset({"true", "false"}),
    "ServerSideApply": frozenset({"true", "false"}),
    "ClientSideApplyMigration": frozenset({"true", "false"}),
    "Replace": frozenset({"true", "false"}),
    "Force": frozenset({"true", "false"}),
    "PrunePropagationPolicy": frozenset({"foreground", "background", "orphan"}),
    "RespectIgnoreDifferences": frozenset({"true", "false"}),
    "FailOnSharedResource": frozenset({"true", "false"}),
}


class OptionList:
    """A list of ``Key=value`` sync options with Argo CD's lookups.

    >>> OptionList.from_object({"metadata": {"annotations": {
    ...     "argocd.argoproj.io/sync-options": "Prune=false, Replace=true"}}}).items
    ('Prune=false', 'Replace=true')
    """

    __slots__ = ("items",)

    def __init__(self, items: Iterable[str] = ()) -> None:
        seen: list[str] = []
        for raw in items:
            item = str(raw).strip()
            if item and item not in seen:
                seen.append(item)
        self.items: tuple[str, ...] = tuple(seen)

    @classmethod
    def from_object(cls, obj: Mapping[str, Any] | None) -> OptionList:
        """The ``argocd.argoproj.io/sync-options`` annotation of ``obj`` (CSV)."""
        if not obj:
            return _EMPTY
        meta = obj.get("metadata")
        if not meta:
            return _EMPTY
        return cls.from_annotations(meta.get("annotations"))

    @classmethod
    def from_annotations(cls, ann: Mapping[str, Any] | None) -> OptionList:
        """The ``argocd.argoproj.io/sync-options`` value of ``ann`` (an object's annotations).

        >>> OptionList.from_annotations({"argocd.argoproj.io/sync-options": "Force=true"}).items
        ('Force=true',)
        """
        if not ann:
            return _EMPTY
        raw = ann.get(ANNOTATION_SYNC_OPTIONS)
        if raw is None:
            return _EMPTY
        return cls(str(raw).split(","))

    def has(self, item: str) -> bool:
        """Exact membership (Argo CD's ``HasOption``)."""
        return item in self.items

    def get(self, key: str) -> str | None:
        """The value of the first ``key=`` item (Argo CD's ``GetOptionValue``)."""
        prefix = key + "="
        for item in self.items:
            if item.startswith(prefix):
                return item[len(prefix) :]
        return None

    def check(self, where: str, *, strict: bool, warnings: list[str]) -> None:
        """Unknown keys become warnings (Argo CD ignores them); a known key with a value
        Argo CD does not act on raises :class:`PlanError` (a warning with ``strict=False``)."""
        for item in self.items:
            key, sep, value = item.partition("=")
            allowed = KNOWN_OPTIONS.get(key)
            if key not in KNOWN_OPTIONS or not sep:
                warnings.append(f"{where}: sync option {item!r} is not one Argo CD knows; ignored")
                continue
            if allowed is not None and value not in allowed:
                message = (
                    f"{where}: sync option {item!r}: {value!r} is not one of "
                    f"{', '.join(sorted(allowed))} (Argo CD silently ignores it)"
                )
                if strict:
                    raise PlanError(message, obj=where, option=item)
                warnings.append(message)

    def __repr__(self) -> str:
        return f"OptionList({list(self.items)!r})"


_EMPTY: Final = OptionList()


def resolve(key: str, resource: OptionList, app: OptionList) -> str | None:
    """The value of ``key``: the resource's when it sets one, else the app-level default."""
    value = resource.get(key)
    return value if value is not None else app.get(key)


def _get(obj: Any, *path: str) -> Any:
    """Walk attributes (typed models) or keys (dicts, camelCase) along ``path``."""
    current = obj
    for name in path:
        if current is None:
            return None
        if isinstance(current, Mapping):
            camel = name.split("_")[0] + "".join(p.title() for p in name.split("_")[1:])
            current = current.get(camel, current.get(name))
        else:
            current = getattr(current, name, None)
    return current


class AppView:
    """The Application fields the planner reads, from a model or a dict (None: no app).

    >>> AppView({"metadata": {"name": "web"},
    ...          "spec": {"syncPolicy": {"syncOptions": ["CreateNamespace=true"]}}}).sync_options
    ['CreateNamespace=true']
    """

    __slots__ = ("app",)

    def __init__(self, app: Any) -> None:
        self.app = app

    @property
    def name(self) -> str | None:
        value = _get(self.app, "metadata", "name")
        return str(value) if value else None

    @property
    def namespace(self) -> str | None:
        value = _get(self.app, "metadata", "namespace")
        return str(value) if value else None

    @property
    def destination_namespace(self) -> str:
        return str(_get(self.app, "spec", "destination", "namespace") or "")

    @property
    def sync_options(self) -> list[str]:
        return [str(x) for x in _get(self.app, "spec", "sync_policy", "sync_options") or []]

    @property
    def automated_prune(self) -> bool:
        automated = _get(self.app, "spec", "sync_policy", "automated")
        if automated is None:
            return False
        if _get(automated, "enabled") is False:
            return False
        return bool(_get(automated, "prune"))

    @property
    def managed_namespace_metadata(self) -> tuple[dict[str, str], dict[str, str]] | None:
        mnm = _get(self.app, "spec", "sync_policy", "managed_namespace_metadata")
        if mnm is None:
            return None
        labels = _get(mnm, "labels") or {}
        annotations = _get(mnm, "annotations") or {}
        return (
            {str(k): str(v) for k, v in dict(labels).items()},
            {str(k): str(v) for k, v in dict(annotations).items()},
        )

    @property
    def finalizers(self) -> list[str]:
        return [str(x) for x in _get(self.app, "metadata", "finalizers") or []]

    @property
    def revision(self) -> str:
        return str(_get(self.app, "status", "sync", "revision") or "")

    def instance_names(self) -> frozenset[str]:
        """Names the app's tracking can use: ``<name>`` and ``<namespace>_<name>``."""
        name = self.name
        if not name:
            return frozenset()
        namespace = self.namespace
        return frozenset({name, f"{namespace}_{name}"} if namespace else {name})
