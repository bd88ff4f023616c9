"""Sync options: a typed view over Argo CD's ``Key=Value`` strings.

They come from an app's ``spec.syncPolicy.syncOptions`` list or a resource's
``argocd.argoproj.io/sync-options`` annotation (comma-separated). Argo CD reads flags by
exact membership (``CreateNamespace=true`` and nothing else turns namespace creation on) and
valued options by the first item starting with ``Key=``. Items that have no effect in Argo CD
(unknown keys, unknown values, a different case) are kept in ``raw`` and listed in
``unknown`` so they can be reported.

>>> opts = SyncOptions.from_list(["CreateNamespace=true", "Prune=confirm", "Foo=bar"])
>>> opts.create_namespace, opts.prune, opts.prune_confirm, opts.unknown
(True, None, True, ['Foo=bar'])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gitopslib.manifest import ANNOTATION_SYNC_OPTIONS, csv_annotation

__all__ = ["KNOWN_SYNC_OPTIONS", "SyncOptions"]

_BOOL = frozenset({"true", "false"})

#: Every option key Argo CD knows, with the values that have an effect (or are defined).
KNOWN_SYNC_OPTIONS: Mapping[str, frozenset[str]] = {
    "Prune": frozenset({"true", "false", "confirm"}),
    "Delete": frozenset({"true", "false", "confirm"}),
    "Validate": _BOOL,
    "SkipDryRunOnMissingResource": _BOOL,
    "CreateNamespace": _BOOL,
    "PruneLast": _BOOL,
    "ApplyOutOfSyncOnly": _BOOL,
    "ServerSideApply": _BOOL,
    "ClientSideApplyMigration": _BOOL,
    "Replace": _BOOL,
    "Force": _BOOL,
    "PrunePropagationPolicy": frozenset({"background", "foreground", "orphan"}),
    "RespectIgnoreDifferences": _BOOL,
    "FailOnSharedResource": _BOOL,
}


def _key(item: str) -> str:
    return item.split("=", 1)[0]


def _tri(items: list[str], key: str) -> bool | None:
    """``True``/``False`` when ``Key=true``/``Key=false`` is present (false wins), else None."""
    if f"{key}=false" in items:
        return False
    if f"{key}=true" in items:
        return True
    return None


@dataclass(frozen=True)
class SyncOptions:
    """Parsed sync options. Build with :meth:`from_list`, :meth:`from_object` or
    :meth:`from_app`; combine resource over app level with :meth:`merged_over`.

    >>> SyncOptions.from_list(["ServerSideApply=true"]).server_side_apply
    True
    """

    raw: list[str] = field(default_factory=list)

    # -- queries with Argo CD's matching rules ---------------------------------------------

    def has(self, item: str) -> bool:
        """Exact membership, as Argo CD's ``HasOption``.

        >>> SyncOptions.from_list(["PruneLast=true"]).has("PruneLast=true")
        True
        """
        return item in self.raw

    def get(self, key: str) -> str | None:
        """The value of the first item starting with ``key=`` (Argo CD's ``GetOptionValue``).

        >>> SyncOptions.from_list(["PrunePropagationPolicy=orphan"]).get("PrunePropagationPolicy")
        'orphan'
        """
        prefix = f"{key}="
        for item in self.raw:
            if item.startswith(prefix):
                return item[len(prefix) :]
        return None

    # -- typed views -----------------------------------------------------------------------

    @property
    def prune(self) -> bool | None:
        """``False`` with ``Prune=false``, ``True`` with ``Prune=true``, else None."""
        return _tri(self.raw, "Prune")

    @property
    def prune_confirm(self) -> bool:
        """``Prune=confirm``: pruning waits for the deletion-approved annotation."""
        return self.has("Prune=confirm")

    @property
    def delete(self) -> bool | None:
        """``False`` with ``Delete=false`` (kept on app deletion), ``True``/None otherwise."""
        return _tri(self.raw, "Delete")

    @property
    def delete_confirm(self) -> bool:
        """``Delete=confirm``: cascade deletion waits for approval."""
        return self.has("Delete=confirm")

    @property
    def requires_deletion_confirmation(self) -> bool:
        """Set by ``Delete=confirm`` or ``Prune=confirm``."""
        return self.delete_confirm or self.prune_confirm

    @property
    def validate(self) -> bool | None:
        """``False`` with ``Validate=false`` (``kubectl apply --validate=false``)."""
        return _tri(self.raw, "Validate")

    @property
    def skip_dry_run_on_missing_resource(self) -> bool:
        """``SkipDryRunOnMissingResource=true``."""
        return self.has("SkipDryRunOnMissingResource=true")

    @property
    def create_namespace(self) -> bool:
        """``CreateNamespace=true``."""
        return self.has("CreateNamespace=true")

    @property
    def prune_last(self) -> bool:
        """``PruneLast=true``: prune in a final extra wave."""
        return self.has("PruneLast=true")

    @property
    def apply_out_of_sync_only(self) -> bool:
        """``ApplyOutOfSyncOnly=true``."""
        return self.has("ApplyOutOfSyncOnly=true")

    @property
    def server_side_apply(self) -> bool | None:
        """``True`` with ``ServerSideApply=true``, ``False`` with the resource-level opt-out
        ``ServerSideApply=false``, else None."""
        return _tri(self.raw, "ServerSideApply")

    @property
    def client_side_apply_migration(self) -> bool | None:
        """``False`` with ``ClientSideApplyMigration=false`` (migration off), else True/None."""
        return _tri(self.raw, "ClientSideApplyMigration")

    @property
    def replace(self) -> bool:
        """``Replace=true``: create/replace instead of apply."""
        return self.has("Replace=true")

    @property
    def force(self) -> bool:
        """``Force=true`` (effective on resources; ignored in an app-level list by Argo CD)."""
        return self.has("Force=true")

    @property
    def prune_propagation_policy(self) -> str | None:
        """``PrunePropagationPolicy=background|foreground|orphan`` (Argo CD's default is
        foreground when unset)."""
        return self.get("PrunePropagationPolicy")

    @property
    def respect_ignore_differences(self) -> bool:
        """``RespectIgnoreDifferences=true``."""
        return self.has("RespectIgnoreDifferences=true")

    @property
    def fail_on_shared_resource(self) -> bool:
        """``FailOnSharedResource=true``."""
        return self.has("FailOnSharedResource=true")

    @property
    def unknown(self) -> list[str]:
        """Items with no effect in Argo CD: unknown keys, unknown values, other spellings.

        >>> SyncOptions.from_list(["CreateNamespace=True", "Prune=false"]).unknown
        ['CreateNamespace=True']
        """
        out: list[str] = []
        for item in self.raw:
            key, sep, value = item.partition("=")
            allowed = KNOWN_SYNC_OPTIONS.get(key)
            if not sep or allowed is None or value not in allowed:
                out.append(item)
        return out

    # -- construction ----------------------------------------------------------------------

    @classmethod
    def from_list(cls, items: Iterable[str] | None) -> SyncOptions:
        """From an app-level list (``spec.syncPolicy.syncOptions``), kept exactly as given."""
        return cls(raw=[str(i) for i in items or ()])

    @classmethod
    def from_annotation(cls, value: str | None) -> SyncOptions:
        """From the annotation's text: comma-separated, items trimmed, empties and repeats
        dropped."""
        obj = {"metadata": {"annotations": {ANNOTATION_SYNC_OPTIONS: value}}}
        return cls(raw=csv_annotation(obj, ANNOTATION_SYNC_OPTIONS) if value else [])

    @classmethod
    def from_object(cls, obj: Mapping[str, Any]) -> SyncOptions:
        """From a Kubernetes object's ``argocd.argoproj.io/sync-options`` annotation.

        >>> o = {"metadata": {"annotations": {"argocd.argoproj.io/sync-options":
        ...     "Prune=false, Replace=true"}}}
        >>> SyncOptions.from_object(o).raw
        ['Prune=false', 'Replace=true']
        """
        return cls(raw=csv_annotation(obj, ANNOTATION_SYNC_OPTIONS))

    @classmethod
    def from_app(cls, app: Any) -> SyncOptions:
        """From an :class:`~gitopslib.models.Application`'s ``spec.syncPolicy.syncOptions``."""
        policy = app.spec.sync_policy
        return cls.from_list(policy.sync_options if policy is not None else None)

    def merged_over(self, app_level: SyncOptions) -> SyncOptions:
        """These (resource-level) options over ``app_level``: for each key, the resource's
        items win; app-level items whose key the resource does not mention are kept.

        >>> res = SyncOptions.from_list(["ServerSideApply=false"])
        >>> res.merged_over(SyncOptions.from_list(["ServerSideApply=true", "Validate=false"])).raw
        ['ServerSideApply=false', 'Validate=false']
        """
        keys = {_key(i) for i in self.raw}
        return SyncOptions(raw=[*self.raw, *(i for i in app_level.raw if _key(i) not in keys)])
