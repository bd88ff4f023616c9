"""compare(): desired objects from Git against live objects from a cluster, as Argo CD does.

Per resource (matched by group/kind/namespace/name; the destination namespace fills in for
namespaced desired objects without one):

1. a fast path: when live, projected onto the keys desired has, equals desired (and the
   last-applied configuration, if any, is desired itself) the resource is Synced with no
   merge machinery at all;
2. otherwise the full pipeline: canonical copies, managedFieldsManagers, tracking
   normalisation, server metadata dropped, kind normalisers, ignoreDifferences (JSON pointers,
   jq), then the three-way (or two-way) merge of :mod:`gitopslib.diff.strategic`; the
   resource is modified when the predicted live object differs from live;
3. only modified resources get a masked unified diff and RFC 6902 patch.

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

import json
from collections.abc import Iterable, Mapping
from typing import Any

from gitopslib.diff import _schema
from gitopslib.diff._render import make_patch, unified_diff
from gitopslib.diff._result import ComparisonResult, ResourceDiff
from gitopslib.diff.defaults import apply_defaults
from gitopslib.diff.ignore import remove_jq, remove_managed_fields, remove_pointer
from gitopslib.diff.mask import mask_secrets
from gitopslib.diff.normalize import (
    SERVER_METADATA_FIELDS,
    copy_canonical,
    normalize_kinds,
    strip_server_fields,
)
from gitopslib.diff.settings import DiffSettings, IgnoreRule
from gitopslib.diff.strategic import predict, strict_equal
from gitopslib.diff.tracking import app_instance_name, claims, self_referenced
from gitopslib.errors import DiffError, GitOpsError
from gitopslib.hooks import parse_hook, sync_wave
from gitopslib.manifest import (
    ANNOTATION_COMPARE_OPTIONS,
    ANNOTATION_LAST_APPLIED,
    ANNOTATION_TRACKING_ID,
    CLUSTER_SCOPED_KINDS,
    MAX_DEPTH,
    ResourceKey,
    api_group,
    crd_cluster_scoped,
    expand_list_objects,
    split_csv,
    too_deep,
)
from gitopslib.tracking import stamp_tracking

__all__ = ["compare", "compare_resource", "hook_type", "wave_of"]

_MISSING: Any = object()
_SKIP_META = frozenset(SERVER_METADATA_FIELDS)


def _annotations(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    if type(meta) is not dict:
        return {}
    ann = meta.get("annotations")
    return ann if type(ann) is dict else {}


def hook_type(obj: Mapping[str, Any]) -> str | None:
    """``"hook"``, ``"skip"`` (Skip as the only recognised hook type), ``"ignored"`` (a hook
    with no recognised type, e.g. ``helm.sh/hook: test``) or None (an ordinary resource), as
    :func:`gitopslib.hooks.parse_hook` reads the annotations (never raising).

    >>> hook_type({"metadata": {"annotations": {"argocd.argoproj.io/hook": "PreSync"}}})
    'hook'
    >>> hook_type({"metadata": {"annotations": {"helm.sh/hook": "crd-install"}}}) is None
    True
    """
    if not _annotations(obj):
        return None
    info = parse_hook(obj, strict=False)
    if info.skip:
        return "skip"
    if not info.is_hook:
        return None
    return "ignored" if info.ignored else "hook"


def wave_of(obj: Mapping[str, Any] | None) -> int:
    """The sync wave: ``argocd.argoproj.io/sync-wave``, else ``helm.sh/hook-weight``, else 0
    (:func:`gitopslib.hooks.sync_wave`). A malformed value counts as 0 here (the sync planner
    reports it)."""
    if obj is None or not _annotations(obj):
        return 0
    return sync_wave(obj, strict=False)[0]


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


# --- fast path -----------------------------------------------------------------------------------


def _proj(d: Any, live: Any) -> bool:
    """Whether ``live`` projected onto ``d``'s keys equals ``d`` (list items index by index).

    A subtree equal under ``==`` counts as equal (so ``True`` and ``1`` are conflated there,
    which no Kubernetes field relies on); leaves compare bools strictly.
    """
    td = type(d)
    if td is dict:
        return type(live) is dict and _proj_dict(d, live)
    if td is list:
        return type(live) is list and _proj_list(d, live)
    if td is bool or type(live) is bool:
        return d is live
    return bool(d == live)


def _proj_list(d: list[Any], live: list[Any]) -> bool:
    if len(d) != len(live):
        return False
    if d == live:
        return True
    for x, y in zip(d, live, strict=True):
        if type(x) is dict:
            if type(y) is not dict or not (x == y or _proj_dict(x, y)):
                return False
        elif not _proj(x, y):
            return False
    return True


def _proj_dict(d: dict[str, Any], live: dict[str, Any]) -> bool:
    get = live.get
    for k, v in d.items():
        lv = get(k, _MISSING)
        if v is lv:
            continue
        tv = type(v)
        if tv is str:
            if v != lv:
                return False
        elif tv is dict:
            if type(lv) is not dict or not (v == lv or _proj_dict(v, lv)):
                return False
        elif tv is list:
            if type(lv) is not list or not _proj_list(v, lv):
                return False
        elif tv is bool or type(lv) is bool:
            return False  # not identical (checked above)
        elif lv is _MISSING or v != lv:
            return False
    return True


def _fast_equal(d: dict[str, Any], live: dict[str, Any], skip_status: bool) -> bool:
    for k, v in d.items():
        if k == "status" and skip_status:
            continue
        lv = live.get(k, _MISSING)
        if lv is _MISSING:
            return False
        if k == "metadata" and type(v) is dict and type(lv) is dict:
            for mk, mv in v.items():
                if mk in _SKIP_META:
                    continue
                mlv = lv.get(mk, _MISSING)
                if mlv is not mv and (mlv is _MISSING or not _proj(mv, mlv)):
                    return False
        elif not _proj(v, lv):
            return False
    return True


def _for_three_way(obj: dict[str, Any]) -> dict[str, Any]:
    """Argo CD drops ``metadata.namespace`` and empty annotations from orig and config."""
    meta = obj.get("metadata")
    if type(meta) is not dict:
        return obj
    new_meta = {k: v for k, v in meta.items() if k != "namespace"}
    if "annotations" in new_meta and not new_meta["annotations"]:
        del new_meta["annotations"]
    return {**obj, "metadata": new_meta}


def _orig_is_config(last_applied: Any, desired: dict[str, Any]) -> bool:
    try:
        orig = json.loads(str(last_applied))
    except ValueError:
        return False
    return type(orig) is dict and bool(_for_three_way(orig) == _for_three_way(desired))


# --- one resource ---------------------------------------------------------------------------------


def _rules_for(key: ResourceKey, view: _AppView, settings: DiffSettings) -> list[IgnoreRule]:
    rules = settings.system_rules(key.group, key.kind)
    rules.extend(r for r in view.rules if r.matches(key.group, key.kind, key.namespace, key.name))
    return rules


def _status_ignored(rules: list[IgnoreRule]) -> bool:
    return any("/status" in r.json_pointers for r in rules)


def _normalize_tracking(
    live: dict[str, Any], desired: dict[str, Any], settings: DiffSettings
) -> dict[str, Any]:
    """Label -> annotation migration aid (annotation tracking modes, not for CRDs): a live
    object with the instance label takes the desired tracking-id (overwritten, as Argo CD's
    ``resourceTracking.Normalize`` does) and loses the label when Git does not have it."""
    if settings.tracking_method == "label" or live.get("kind") == "CustomResourceDefinition":
        return live
    meta = live.get("metadata") or {}
    labels = meta.get("labels") or {}
    key = settings.instance_label_key
    if key not in labels:
        return live
    new_meta = dict(meta)
    ann = dict(meta.get("annotations") or {})
    desired_ann = _annotations(desired)
    if ANNOTATION_TRACKING_ID in desired_ann:
        ann[ANNOTATION_TRACKING_ID] = desired_ann[ANNOTATION_TRACKING_ID]
        new_meta["annotations"] = ann
    desired_labels = (desired.get("metadata") or {}).get("labels") or {}
    if key not in desired_labels:
        new_meta["labels"] = {k: v for k, v in labels.items() if k != key}
    return {**live, "metadata": new_meta}


def _holds_secrets(obj: Mapping[str, Any], settings: DiffSettings) -> bool:
    """A core Secret, or an object carrying an annotation listed as sensitive."""
    if obj.get("kind") == "Secret" and api_group(obj) == "":
        return True
    return any(key in settings.sensitive_annotations for key in _annotations(obj))


def _apply_rules(
    objs: list[Any], rules: list[IgnoreRule], settings: DiffSettings, warnings: list[str]
) -> tuple[list[Any], list[str]]:
    ignored: list[str] = []
    for rule in rules:
        for pointer in rule.json_pointers:
            for i, obj in enumerate(objs):
                if obj is None:
                    continue
                try:
                    objs[i], removed = remove_pointer(obj, pointer)
                except DiffError as exc:
                    warnings.append(str(exc))
                    break
                if removed and pointer != "/status" and pointer not in ignored:
                    ignored.append(pointer)
        for expression in rule.jq_path_expressions:
            for i, obj in enumerate(objs):
                if obj is None:
                    continue
                try:
                    objs[i], removed_paths = remove_jq(obj, expression, settings.jq_timeout)
                except GitOpsError as exc:
                    hidden = f"jqPathExpression {expression!r} failed (jq's message is hidden:"
                    hidden += " it may quote Secret data or sensitive annotations)"
                    warnings.append(hidden if _holds_secrets(obj, settings) else str(exc))
                    continue
                ignored.extend(p for p in removed_paths if p not in ignored)
    return objs, ignored


def compare_resource(
    desired: dict[str, Any] | None,
    live: dict[str, Any] | None,
    *,
    key: ResourceKey,
    rules: list[IgnoreRule],
    settings: DiffSettings,
) -> ResourceDiff:
    """Compare one desired object with its live counterpart (either may be None).

    Objects nested deeper than :data:`gitopslib.manifest.MAX_DEPTH` are refused with a
    :class:`DiffError` before anything recurses into them (checked once the cheap equality
    test has not settled the comparison, so synced objects cost nothing more).
    """
    try:
        return _compare_resource(desired, live, key=key, rules=rules, settings=settings)
    except RecursionError:  # a safety net: the depth check below normally comes first
        raise DiffError(
            f"{_display_name(key)}: nested too deeply to compare (over {MAX_DEPTH} levels)",
            obj=str(key),
        ) from None


def _compare_resource(
    desired: dict[str, Any] | None,
    live: dict[str, Any] | None,
    *,
    key: ResourceKey,
    rules: list[IgnoreRule],
    settings: DiffSettings,
) -> ResourceDiff:
    rd = ResourceDiff(
        group=key.group,
        kind=key.kind,
        namespace=key.namespace,
        name=key.name,
        status="Synced",
        desired=desired,
        live=live,
        wave=wave_of(desired if desired is not None else live),
    )
    skip_status = _status_ignored(rules)
    if desired is not None and live is not None:
        has_jq = any(r.jq_path_expressions for r in rules)
        if not has_jq and _fast_equal(desired, live, skip_status):
            last_applied = _annotations(live).get(ANNOTATION_LAST_APPLIED)
            if last_applied is None or _orig_is_config(last_applied, desired):
                return rd
    for side, obj in (("desired", desired), ("live", live)):
        where = too_deep(obj) if obj is not None else None
        if where is not None:
            raise DiffError(
                f"{_display_name(key)}: the {side} object nests deeper than {MAX_DEPTH} levels "
                f"(at {where}); no Kubernetes object does, refusing to compare it",
                obj=str(key),
            )
    warnings: list[str] = []
    live_c = copy_canonical(live) if live is not None else None
    desired_c = copy_canonical(desired) if desired is not None else None
    orig_c: dict[str, Any] | None = None
    if live_c is not None:
        raw_orig = _annotations(live_c).get(ANNOTATION_LAST_APPLIED)
        if raw_orig is not None:
            try:
                parsed = json.loads(str(raw_orig))
            except ValueError:
                warnings.append(f"{ANNOTATION_LAST_APPLIED} is not valid JSON; compared two-way")
                parsed = None
            orig_c = copy_canonical(parsed) if type(parsed) is dict else None

    ignored: list[str] = []
    managers = [m for r in rules for m in r.managed_fields_managers]
    if managers and live is not None:
        objs, removed = remove_managed_fields(live, [live_c, desired_c, orig_c], managers)
        live_c, desired_c, orig_c = objs
        ignored.extend(removed)
    if live_c is not None and desired_c is not None:
        live_c = _normalize_tracking(live_c, desired_c, settings)
    objs = [
        normalize_kinds(strip_server_fields(o), settings) if o is not None else None
        for o in (live_c, desired_c, orig_c)
    ]
    objs, rule_ignored = _apply_rules(objs, rules, settings, warnings)
    ignored.extend(p for p in rule_ignored if p not in ignored)
    live_n, desired_n, orig_n = objs
    rd.ignored_paths = ignored
    rd.warnings = warnings
    rd.normalized_live = live_n

    if desired_n is None:  # extraneous: nothing to predict
        return rd
    if live_n is None:  # missing live
        rd.status, rd.modified = "OutOfSync", True
        rd.normalized_desired = desired_n
        masked_desired = mask_secrets([desired_n], settings.sensitive_annotations)[0]
        rd.patch = [{"op": "add", "path": "", "value": masked_desired}]
        rd.diff = unified_diff(None, masked_desired, _display_name(key))
        return rd

    config = _for_three_way(desired_n)
    orig = _for_three_way(orig_n) if orig_n is not None else config
    group = key.group
    version = str(desired_n.get("apiVersion") or "").rsplit("/", 1)[-1]
    type_name = _schema.type_of_gvk(group, version, key.kind)
    predicted = predict(
        orig, config, live_n, type_name=type_name or None, typed=type_name is not None
    )
    if type_name is not None:
        # Built-in kinds: the API defaults on both sides (§5.1 step 6), so a field Git dropped
        # whose value was the default is not drift.
        predicted = apply_defaults(predicted, group, key.kind)
        live_n = apply_defaults(live_n, group, key.kind)
        rd.normalized_live = live_n
    rd.normalized_desired = predicted
    if strict_equal(predicted, live_n):
        return rd
    rd.status, rd.modified = "OutOfSync", True
    m_pred, m_live = mask_secrets([predicted, live_n], settings.sensitive_annotations)
    rd.patch = make_patch(m_live, m_pred)
    rd.diff = unified_diff(m_live, m_pred, _display_name(key))
    return rd


def _display_name(key: ResourceKey) -> str:
    gk = f"{key.group}/{key.kind}" if key.group else key.kind
    return f"{gk}/{key.namespace}/{key.name}" if key.namespace else f"{gk}/{key.name}"


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
            _annotations(lv).get(ANNOTATION_COMPARE_OPTIONS, "")
        )
        masked = mask_secrets([rd.normalized_live], settings.sensitive_annotations)[0]
        rd.diff = unified_diff(masked, None, _display_name(key))
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
