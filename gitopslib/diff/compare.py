"""compare(): desired objects from Git against live objects from a cluster, as Argo CD does.

Resources are matched by group/kind/namespace/name (the destination namespace fills in for
namespaced desired objects without one), then each pair is compared by
:func:`compare_resource` (:mod:`gitopslib.diff._resource`: a fast path, else the full
normalise-and-merge pipeline; a masked diff and patch only for modified resources).

Hooks get no sync status, ``Skip`` objects occupy their key with no status, live objects the
app's tracking claims but Git no longer has are ``requires_pruning``.

>>> d = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "2"}}
>>> l = {"apiVersion": "v1", "kind": "ConfigMap", "data": {"k": "1"}, "metadata": {
...     "name": "c", "namespace": "prod", "uid": "u",
...     "annotations": {"argocd.argoproj.io/tracking-id": "a:/ConfigMap:prod/c"}}}
>>> from types import SimpleNamespace as NS
>>> app = NS(metadata=NS(name="a", namespace="argocd"), spec=NS(
...     destination=NS(namespace="prod"), ignore_differences=None))
>>> r = compare([d], [l], app=app)
>>> r.sync_status, r.resources[0].patch
('OutOfSync', [{'op': 'replace', 'path': '/data/k', 'value': '2'}])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from gitopslib.diff._render import unified_diff
from gitopslib.diff._resource import (
    annotations_of,
    compare_resource,
    display_name,
    hook_type,
    wave_of,
)
from gitopslib.diff._result import ComparisonResult, ResourceDiff
from gitopslib.diff.mask import mask_secrets
from gitopslib.diff.settings import DiffSettings, IgnoreRule
from gitopslib.diff.tracking import app_instance_name, claims, self_referenced
from gitopslib.errors import DiffError, GitOpsError
from gitopslib.manifest import (
    ANNOTATION_COMPARE_OPTIONS,
    CLUSTER_SCOPED_KINDS,
    ResourceKey,
    api_group,
    crd_cluster_scoped,
    expand_list_objects,
    split_csv,
)
from gitopslib.tracking import stamp_tracking

__all__ = ["compare", "compare_resource", "hook_type", "wave_of"]


# --- the Application, duck-typed ---------------------------------------------------------------


def _attr(obj: Any, snake: str, camel: str | None = None) -> Any:
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(camel or snake, obj.get(snake))
    return getattr(obj, snake, None)


class _AppView:
    """What compare needs from an Application (a model, a dict or None)."""

    def __init__(self, app: Any, settings: DiffSettings) -> None:
        spec = _attr(app, "spec")
        destination = _attr(spec, "destination")
        self.dest_ns = str(_attr(destination, "namespace") or "")
        self.instance = app_instance_name(app, settings) if app is not None else None
        raw_rules = _attr(spec, "ignore_differences", "ignoreDifferences") or []
        self.rules = [
            IgnoreRule.from_obj(r, where=f"spec.ignoreDifferences[{i}]")
            for i, r in enumerate(raw_rules)
        ]


# --- the app's resources --------------------------------------------------------------------------


def _rules_for(key: ResourceKey, view: _AppView, settings: DiffSettings) -> list[IgnoreRule]:
    rules = settings.system_rules(key.group, key.kind)
    rules.extend(r for r in view.rules if r.matches(key.group, key.kind, key.namespace, key.name))
    return rules


def _fill_namespace(
    obj: dict[str, Any], namespace: str, scoped: frozenset[tuple[str, str]]
) -> dict[str, Any]:
    if not namespace or (api_group(obj), str(obj.get("kind") or "")) in scoped:
        return obj
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    if meta.get("namespace"):
        return obj
    return {**obj, "metadata": {**meta, "namespace": namespace}}


def _stamp_tracking(
    obj: dict[str, Any], instance: str | None, settings: DiffSettings, dest_ns: str
) -> dict[str, Any]:
    """Stamp the app's tracking on a desired object as Argo CD's repo server does (never on
    CRDs); an object that already carries it is returned as is."""
    if instance is None or obj.get("kind") == "CustomResourceDefinition":
        return obj
    return stamp_tracking(
        obj,
        instance,
        destination_namespace=dest_ns,
        method=settings.tracking_method,
        label_key=settings.instance_label_key,
        installation_id=settings.installation_id,
    )


def _live_key(obj: Mapping[str, Any], scoped: frozenset[tuple[str, str]]) -> ResourceKey:
    meta = obj.get("metadata")
    meta = meta if type(meta) is dict else {}
    group = api_group(obj)
    kind = str(obj.get("kind") or "")
    ns = "" if (group, kind) in scoped else str(meta.get("namespace") or "")
    return ResourceKey(group, kind, ns, str(meta.get("name") or ""))


def _expanded(objs: Iterable[dict[str, Any]], what: str) -> list[dict[str, Any]]:
    """``objs`` with list objects (``kind: List``, ``ConfigMapList``...) replaced by their
    items, as render and load_manifests do, so a Secret inside a List is compared (and
    masked) as the Secret it is."""
    checked: list[dict[str, Any]] = []
    for obj in objs:
        if not isinstance(obj, dict):
            raise DiffError(f"{what} object is a {type(obj).__name__}, not a mapping")
        checked.append(obj)
    try:
        return expand_list_objects(checked)
    except GitOpsError as exc:
        raise DiffError(f"{what} objects: {exc}") from None


def compare(
    desired: Iterable[dict[str, Any]],
    live: Iterable[dict[str, Any]],
    app: Any = None,
    settings: DiffSettings | None = None,
    *,
    cluster_scoped: Iterable[tuple[str, str]] = (),
) -> ComparisonResult:
    """Compare the desired objects (rendered from Git) with the live ones.

    ``app`` (an Application model, its dict, or None) supplies the destination namespace,
    ``spec.ignoreDifferences`` and the tracking instance name; ``settings`` the system-level
    options (:class:`DiffSettings`). Without an app every root live object given is the
    app's. A kind is cluster-scoped when Kubernetes' built-in table says so, when a
    CustomResourceDefinition among the desired or live objects declares it so, or when
    ``cluster_scoped`` (e.g. a cluster's discovery) names it; a cluster-scoped object's
    ``metadata.namespace`` is ignored, as the API server ignores it. Pure: no IO.

    >>> cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c",
    ...       "namespace": "d"}, "data": {"k": "v"}}
    >>> compare([cm], [cm]).sync_status
    'Synced'
    """
    settings = settings or DiffSettings()
    view = _AppView(app, settings)
    desired = _expanded(desired, "desired")
    live = _expanded(live, "live")
    scoped = frozenset(
        CLUSTER_SCOPED_KINDS
        | set(cluster_scoped)
        | crd_cluster_scoped(desired)
        | crd_cluster_scoped(live)
    )
    targets: dict[ResourceKey, dict[str, Any]] = {}
    warnings: list[str] = []
    for obj in desired:
        filled = _stamp_tracking(
            _fill_namespace(obj, view.dest_ns, scoped), view.instance, settings, view.dest_ns
        )
        key = _live_key(filled, scoped)
        if key in targets:
            warnings.append(f"RepeatedResourceWarning: {key} appears more than once; last wins")
        targets[key] = filled
    lives: dict[ResourceKey, dict[str, Any]] = {}
    for obj in live:
        lives[_live_key(obj, scoped)] = obj

    rule_cache: dict[tuple[str, str], list[IgnoreRule]] = {}
    results: list[ResourceDiff] = []
    for key, d in targets.items():
        lv = lives.pop(key, None)
        kind = hook_type(d)
        if kind == "ignored":
            continue
        if kind in ("hook", "skip"):
            results.append(
                ResourceDiff(
                    group=key.group,
                    kind=key.kind,
                    namespace=key.namespace,
                    name=key.name,
                    status="",
                    desired=d,
                    live=lv,
                    hook=kind == "hook",
                    skip=kind == "skip",
                    wave=wave_of(d),
                )
            )
            continue
        if lv is not None and settings.tracking_method != "label" and not self_referenced(lv, d):
            # A copy of an object tracked for something else: no status, never touched.
            results.append(
                ResourceDiff(
                    group=key.group,
                    kind=key.kind,
                    namespace=key.namespace,
                    name=key.name,
                    status="",
                    desired=d,
                    live=lv,
                    wave=wave_of(d),
                    warnings=["live tracking-id names another object; left alone"],
                )
            )
            continue
        gk = (key.group, key.kind)
        if view.rules:
            rules = _rules_for(key, view, settings)
        else:
            if gk not in rule_cache:
                rule_cache[gk] = settings.system_rules(*gk)
            rules = rule_cache[gk]
        results.append(compare_resource(d, lv, key=key, rules=rules, settings=settings))

    for key, lv in lives.items():
        kind = hook_type(lv)
        if kind == "ignored" or not claims(view.instance, lv, settings):
            continue
        rd = compare_resource(
            None, lv, key=key, rules=_rules_for(key, view, settings), settings=settings
        )
        rd.status = "" if kind == "hook" else "OutOfSync"
        rd.hook = kind == "hook"
        rd.requires_pruning = True
        rd.ignore_extraneous = "IgnoreExtraneous" in split_csv(
            annotations_of(lv).get(ANNOTATION_COMPARE_OPTIONS, "")
        )
        masked = mask_secrets([rd.normalized_live], settings.sensitive_annotations)[0]
        rd.diff = unified_diff(masked, None, display_name(key))
        results.append(rd)

    out_of_sync = any(
        r.status == "OutOfSync" and not (r.requires_pruning and r.ignore_extraneous)
        for r in results
    )
    return ComparisonResult(
        sync_status="OutOfSync" if out_of_sync else "Synced",
        resources=results,
        app=app,
        warnings=warnings,
    )
