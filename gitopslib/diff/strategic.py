"""Three-way merge: predict the live object after applying the desired one.

``predict(orig, config, live)`` is ``live`` with the three-way patch from ``orig`` (the
last-applied configuration, or ``config`` itself for a two-way comparison) to ``config``
applied, as ``kubectl apply`` would:

* a field in ``config`` sets the live value; a field only live has stays (server defaults,
  fields other controllers own are not drift);
* a field in ``orig`` but no longer in ``config`` is removed (removed from Git is drift);
* built-in kinds use strategic-merge lists: with a merge key (containers and env by ``name``,
  ports by ``containerPort``, volumes by ``name`` ...) items are matched by key, items only
  live has are kept, items ``orig`` had and ``config`` dropped are removed; primitive lists
  with the ``merge`` strategy are merged as sets; ``retainKeys`` clears the keys ``config``
  does not name. Merge keys and strategies come from the generated ``_merge_keys.json``.
* in built-in kinds a zero value in ``config`` (``[]``, ``{}``, ``""``, ``0``, ``false``) for a
  field live does not have is not drift: the API server drops zero values of ``omitempty``
  fields (Argo CD's typed re-encoding drops them too);
* every other list (atomic lists, custom resources with JSON-merge semantics) is replaced by
  ``config``'s list unless live, pruned to the keys ``orig`` has (index by index), already
  equals it: the fields the API server defaults inside list items are not drift.

>>> live = {"spec": {"template": {"spec": {"containers": [
...     {"name": "app", "image": "a:1", "imagePullPolicy": "IfNotPresent"},
...     {"name": "istio-proxy", "image": "proxy"}]}}}}
>>> cfg = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "a:2"}]}}}}
>>> p = predict(cfg, cfg, live, type_name="apps.v1.Deployment", typed=True)
>>> [(c["name"], c["image"]) for c in p["spec"]["template"]["spec"]["containers"]]
[('app', 'a:2'), ('istio-proxy', 'proxy')]
"""

from __future__ import annotations

import json
from typing import Any

from gitopslib.diff import _schema

__all__ = ["predict", "prune_to", "strict_equal"]

_MISSING: Any = object()


def strict_equal(a: Any, b: Any) -> bool:
    """Deep equality as JSON sees it: ``True`` is not ``1``, ``1`` is ``1.0``."""
    ta, tb = type(a), type(b)
    if ta is dict:
        if tb is not dict or len(a) != len(b):
            return False
        return all(k in b and strict_equal(v, b[k]) for k, v in a.items())
    if ta is list:
        if tb is not list or len(a) != len(b):
            return False
        return all(strict_equal(x, y) for x, y in zip(a, b, strict=True))
    if (ta is bool) != (tb is bool):
        return False
    return bool(a == b)


def prune_to(shape: Any, live: Any) -> Any:
    """``live`` reduced to the map keys ``shape`` has (lists index by index; extra live list
    items are kept so they still show up)."""
    if type(shape) is dict and type(live) is dict:
        return {
            k: (prune_to(v, live[k]) if live[k] is not None else None)
            for k, v in shape.items()
            if k in live
        }
    if type(shape) is list and type(live) is list:
        return [
            prune_to(shape[i], v) if i < len(shape) and v is not None else v
            for i, v in enumerate(live)
        ]
    return live


def predict(
    orig: dict[str, Any] | None,
    config: dict[str, Any],
    live: dict[str, Any],
    *,
    type_name: str | None = None,
    typed: bool = False,
) -> dict[str, Any]:
    """The live object as it would be after applying ``config`` (see the module docs).

    ``typed`` selects strategic-merge semantics (a built-in kind; ``type_name`` is its entry
    in the merge-key table); otherwise JSON-merge semantics (custom resources).
    """
    return _merge_map(orig, config, live, type_name, typed, None)


def _merge_map(
    orig: Any,
    config: dict[str, Any],
    live: dict[str, Any],
    type_name: str | None,
    typed: bool,
    value_desc: list[Any] | None,
) -> dict[str, Any]:
    result = dict(live)
    orig_map = orig if type(orig) is dict else None
    for key, cv in config.items():
        if cv is None:  # an explicit null deletes a value (a live null stays as it is)
            if live.get(key) is not None:
                del result[key]
            continue
        if key not in live or live[key] is None:
            if typed and key not in live and _is_zero(cv):
                # The typed encoder drops zero values of omitempty fields (env: [],
                # paused: false ...); the API server never stores them, neither does Argo CD.
                continue
            result[key] = cv
            continue
        desc = (
            value_desc
            if value_desc is not None
            else (_schema.field_of(type_name, key) if typed and type_name else None)
        )
        ov = orig_map.get(key, _MISSING) if orig_map is not None else _MISSING
        result[key] = _merge_value(ov, cv, live[key], desc, typed)
    if orig_map is not None:
        for key in orig_map:
            if key not in config:
                result.pop(key, None)
    return result


def _is_zero(value: Any) -> bool:
    return value in ([], {}, "") or (type(value) in (int, float) and value == 0) or (value is False)


def _merge_value(ov: Any, cv: Any, lv: Any, desc: list[Any] | None, typed: bool) -> Any:
    tc = type(cv)
    if tc is dict and type(lv) is dict:
        child_type: str | None = None
        value_desc: list[Any] | None = None
        retain = False
        if desc is not None:
            if desc[0] == "o":
                child_type, retain = desc[1], desc[2] == "retainKeys"
            elif desc[0] == "m" and desc[1] not in (None, "q"):
                value_desc = ["o", desc[1], None]
        merged = _merge_map(ov, cv, lv, child_type, typed, value_desc)
        if retain and not strict_equal(merged, lv):
            merged = {k: v for k, v in merged.items() if k in cv}
        return merged
    if tc is list and type(lv) is list:
        if typed and desc is not None and desc[0] == "l" and desc[2] and "merge" in desc[2]:
            out = _merge_list(ov, cv, lv, desc)
            if out is not None:
                return out
        return _atomic_list(ov, cv, lv)
    return lv if strict_equal(cv, lv) else cv


def _atomic_list(ov: Any, cv: list[Any], lv: list[Any]) -> list[Any]:
    shape = ov if type(ov) is list else cv
    return lv if strict_equal(prune_to(shape, lv), cv) else cv


def _hashable(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return (type(value) is bool, value)


def _merge_list(ov: Any, cv: list[Any], lv: list[Any], desc: list[Any]) -> list[Any] | None:
    """Strategic merge of a list; None when the list cannot be merged by key (fall back to
    atomic, as the API server would reject or replace it)."""
    item_type, strategy, merge_key = desc[1], desc[2], desc[3]
    olist = ov if type(ov) is list else None
    if merge_key is None:
        if any(isinstance(x, dict | list) for x in cv):
            return None
        live_set = {_hashable(x) for x in lv}
        result = list(lv)
        for x in cv:
            if _hashable(x) not in live_set:
                result.append(x)
                live_set.add(_hashable(x))
        if olist is not None:
            gone = {_hashable(x) for x in olist} - {_hashable(x) for x in cv}
            result = [x for x in result if _hashable(x) not in gone]
        return result
    if not all(type(x) is dict and merge_key in x for x in cv):
        return None
    config_keys = [_hashable(x[merge_key]) for x in cv]
    if len(set(config_keys)) != len(config_keys):
        return None  # duplicate merge keys: only a whole-list replacement is well defined
    live_index: dict[Any, int] = {}
    for i, item in enumerate(lv):
        if type(item) is dict and merge_key in item:
            live_index.setdefault(_hashable(item[merge_key]), i)
    orig_index: dict[Any, Any] = {}
    if olist is not None:
        for item in olist:
            if type(item) is dict and merge_key in item:
                orig_index.setdefault(_hashable(item[merge_key]), item)
    retain = "retainKeys" in strategy
    result = list(lv)
    appended: list[Any] = []
    for key, citem in zip(config_keys, cv, strict=True):
        at = live_index.get(key)
        if at is None:
            appended.append(citem)
            continue
        merged = _merge_map(orig_index.get(key), citem, lv[at], item_type, True, None)
        if retain and not strict_equal(merged, lv[at]):
            merged = {k: v for k, v in merged.items() if k in citem}
        result[at] = merged
    gone = set(orig_index) - set(config_keys)
    if gone:
        result = [
            x
            for x in result
            if not (type(x) is dict and merge_key in x and _hashable(x[merge_key]) in gone)
        ]
    return result + appended
