"""One resource compared, as Argo CD does (:func:`compare_resource`; the app-level
:func:`~gitopslib.diff.compare.compare` calls it for each resource):

1. a fast path: when live, projected onto the keys desired has, equals desired (and the
   last-applied configuration, if any, is desired itself) the resource is Synced with no
   merge machinery at all;
2. otherwise the full pipeline: canonical copies, managedFieldsManagers, tracking
   normalisation, server metadata dropped, kind normalisers, ignoreDifferences (JSON pointers,
   jq), then the three-way (or two-way) merge of :mod:`gitopslib.diff.strategic`; the
   resource is modified when the predicted live object differs from live;
3. only modified resources get a masked unified diff and RFC 6902 patch.

Also what a resource is to a comparison: a hook or not (:func:`hook_type`), its wave
(:func:`wave_of`). Every public name here is importable from :mod:`gitopslib.diff.compare`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from gitopslib.diff import _schema
from gitopslib.diff._render import make_patch, unified_diff
from gitopslib.diff._result import ResourceDiff
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
from gitopslib.errors import DiffError, GitOpsError
from gitopslib.hooks import parse_hook, sync_wave
from gitopslib.manifest import (
    ANNOTATION_LAST_APPLIED,
    ANNOTATION_TRACKING_ID,
    MAX_DEPTH,
    ResourceKey,
    api_group,
    too_deep,
)

__all__ = ["annotations_of", "compare_resource", "display_name", "hook_type", "wave_of"]

_MISSING: Any = object()
_SKIP_META = frozenset(SERVER_METADATA_FIELDS)


def annotations_of(obj: Mapping[str, Any]) -> Mapping[str, Any]:
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
    if not annotations_of(obj):
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
    if obj is None or not annotations_of(obj):
        return 0
    return sync_wave(obj, strict=False)[0]


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
    desired_ann = annotations_of(desired)
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
    return any(key in settings.sensitive_annotations for key in annotations_of(obj))


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
            f"{display_name(key)}: nested too deeply to compare (over {MAX_DEPTH} levels)",
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
            last_applied = annotations_of(live).get(ANNOTATION_LAST_APPLIED)
            if last_applied is None or _orig_is_config(last_applied, desired):
                return rd
    for side, obj in (("desired", desired), ("live", live)):
        where = too_deep(obj) if obj is not None else None
        if where is not None:
            raise DiffError(
                f"{display_name(key)}: the {side} object nests deeper than {MAX_DEPTH} levels "
                f"(at {where}); no Kubernetes object does, refusing to compare it",
                obj=str(key),
            )
    warnings: list[str] = []
    live_c = copy_canonical(live) if live is not None else None
    desired_c = copy_canonical(desired) if desired is not None else None
    orig_c: dict[str, Any] | None = None
    if live_c is not None:
        raw_orig = annotations_of(live_c).get(ANNOTATION_LAST_APPLIED)
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
        rd.diff = unified_diff(None, masked_desired, display_name(key))
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
    rd.diff = unified_diff(m_live, m_pred, display_name(key))
    return rd


def display_name(key: ResourceKey) -> str:
    gk = f"{key.group}/{key.kind}" if key.group else key.kind
    return f"{gk}/{key.namespace}/{key.name}" if key.namespace else f"{gk}/{key.name}"
