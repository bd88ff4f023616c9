"""ignoreDifferences: remove fields from both sides of a comparison.

Three kinds of rule, applied in Argo CD's order (all JSON pointers of a rule, then its jq path
expressions; managed-fields managers before everything else):

* :func:`remove_pointer` removes an RFC 6901 JSON pointer (missing paths are ignored);
* :func:`remove_jq` removes what a jq path expression selects (``del(<expr>)``, real jq);
* :func:`remove_managed_fields` removes the fields that given managers own according to the
  live object's ``metadata.managedFields`` (``fieldsV1``: ``f:``, ``k:``, ``v:``, ``i:`` keys)
  and that Git would modify (argocd-semantics.md §5.1 step 2).

Every function returns a new object and the JSON pointers it removed (for
RespectIgnoreDifferences).

>>> remove_pointer({"spec": {"replicas": 3, "x": 1}}, "/spec/replicas")
({'spec': {'x': 1}}, ['/spec/replicas'])
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from gitopslib.errors import DiffError

__all__ = [
    "escape_pointer",
    "managed_field_pointers",
    "parse_pointer",
    "remove_jq",
    "remove_managed_fields",
    "remove_pointer",
]

#: Upper bound on the JSON size handed to jq (the input limit that bounds its run time).
MAX_JQ_INPUT = 4 * 1024 * 1024
# jq constructs that can run without bound on a finite input; the jq binding holds the GIL,
# so a runaway program cannot be interrupted: refuse it up front instead.
_UNBOUNDED = re.compile(
    r"\b(def|repeat|while|until|range|limit|input|inputs|env|combinations)\b"
    r"|\brecurse\s*\(|\$__loc__"
)


def escape_pointer(token: str) -> str:
    """One RFC 6901 reference token, escaped (``~`` -> ``~0``, ``/`` -> ``~1``)."""
    return token.replace("~", "~0").replace("/", "~1")


def parse_pointer(pointer: str) -> list[str]:
    """The reference tokens of an RFC 6901 pointer (``DiffError`` if malformed)."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise DiffError(f"JSON pointer {pointer!r} must start with '/'")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _pointer(tokens: Iterable[Any]) -> str:
    return "".join("/" + escape_pointer(str(t)) for t in tokens)


def remove_pointer(obj: Any, pointer: str) -> tuple[Any, list[str]]:
    """``obj`` without the value at ``pointer`` (unchanged when the path does not exist)."""
    tokens = parse_pointer(pointer)
    if not tokens:
        return obj, []
    new, removed = _remove_tokens(obj, tokens)
    return (new, [pointer]) if removed else (obj, [])


def _remove_tokens(value: Any, tokens: list[str]) -> tuple[Any, bool]:
    head, rest = tokens[0], tokens[1:]
    if type(value) is dict:
        if head not in value:
            return value, False
        if not rest:
            return {k: v for k, v in value.items() if k != head}, True
        child, removed = _remove_tokens(value[head], rest)
        return ({**value, head: child}, True) if removed else (value, False)
    if type(value) is list:
        if not head.isdigit() or int(head) >= len(value):
            return value, False
        i = int(head)
        if not rest:
            return value[:i] + value[i + 1 :], True
        child, removed = _remove_tokens(value[i], rest)
        if not removed:
            return value, False
        return [*value[:i], child, *value[i + 1 :]], True
    return value, False


# --- jq ------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _compile(expression: str) -> tuple[Any, Any]:
    try:
        import jq
    except ImportError:  # pragma: no cover - jq is a declared extra
        from gitopslib.errors import EngineNotFoundError

        raise EngineNotFoundError(
            "jqPathExpressions need the jq bindings: pip install gitopslib[jq]",
            engine="jq",
            extra="jq",
        ) from None
    if _UNBOUNDED.search(expression):
        raise DiffError(
            f"jqPathExpression {expression!r} uses a construct that may not terminate "
            "(def, recursion with arguments, range, repeat, while, until, input ...); "
            "only path expressions are supported"
        )
    try:
        return jq.compile(f"del({expression})"), jq.compile(f"[path({expression})]")
    except ValueError as exc:
        raise DiffError(f"jqPathExpression {expression!r} does not compile: {exc}") from None


def remove_jq(obj: Any, expression: str, timeout: float = 1.0) -> tuple[Any, list[str]]:
    """``obj`` without what ``expression`` selects, as jq's ``del(<expression>)``.

    The program must yield exactly one result; the input is bounded (:data:`MAX_JQ_INPUT`)
    and a run longer than ``timeout`` seconds is an error ("JQ patch execution timed out").

    >>> remove_jq({"a": [{"n": "x", "v": 1}, {"n": "y"}]}, '.a[] | select(.n == "x") | .v')
    ({'a': [{'n': 'x'}, {'n': 'y'}]}, ['/a/0/v'])
    """
    deleter, pather = _compile(expression)
    text = json.dumps(obj)
    if len(text) > MAX_JQ_INPUT:
        raise DiffError(f"jqPathExpression {expression!r}: input over {MAX_JQ_INPUT} bytes")
    start = time.monotonic()
    try:
        results = deleter.input_text(text).all()
        paths = pather.input_text(text).first()
    except ValueError as exc:
        raise DiffError(f"jqPathExpression {expression!r} failed: {exc}") from None
    elapsed = time.monotonic() - start
    if elapsed > timeout:
        raise DiffError(f"JQ patch execution timed out ({timeout:g}s): {expression!r}")
    if len(results) != 1:
        raise DiffError(f"jqPathExpression {expression!r} yielded {len(results)} results, not 1")
    pointers = [_pointer(p) for p in paths or [] if isinstance(p, list)]
    return results[0], pointers


# --- managed fields --------------------------------------------------------------------------


def _match_item(item: Any, spec: str) -> bool:
    kind, _, raw = spec.partition(":")
    try:
        wanted = json.loads(raw)
    except ValueError:
        return False
    if kind == "v":
        return bool(item == wanted)
    if kind == "k" and isinstance(item, dict) and isinstance(wanted, dict):
        present = [k for k in wanted if k in item]
        if not present:
            return False
        # A key field the item omits is one the API server defaulted (protocol: TCP).
        return all(item[k] == wanted[k] for k in present)
    return False


def _owned(
    value: Any, fs: dict[str, Any], path: list[Any], out: list[tuple[list[Any], bool]]
) -> None:
    """Collect (path, whole) for every member of the field set ``fs`` found in ``value``."""
    for key, child in fs.items():
        if key == ".":
            continue
        child = child if isinstance(child, dict) else {}
        if key.startswith("f:"):
            name = key[2:]
            if type(value) is dict and name in value:
                if not child or set(child) == {"."}:
                    out.append(([*path, name], True))
                else:
                    _owned(value[name], child, [*path, name], out)
        elif key.startswith(("k:", "v:")):
            if type(value) is not list:
                continue
            for i, item in enumerate(value):
                if _match_item(item, key):
                    if not child or "." in child:
                        out.append(([*path, i], True))
                    else:
                        _owned(item, child, [*path, i], out)
        elif key.startswith("i:"):
            idx = key[2:]
            if type(value) is list and idx.isdigit() and int(idx) < len(value):
                if not child or "." in child:
                    out.append(([*path, int(idx)], True))
                else:
                    _owned(value[int(idx)], child, [*path, int(idx)], out)


def _fieldsets(
    live: dict[str, Any], managers: Iterable[str] | None
) -> list[tuple[str, dict[str, Any]]]:
    wanted = None if managers is None else set(managers)
    out = []
    meta = live.get("metadata") or {}
    for entry in meta.get("managedFields") or []:
        if not isinstance(entry, dict):
            continue
        manager = str(entry.get("manager") or "")
        if wanted is not None and manager not in wanted:
            continue
        fs = entry.get("fieldsV1")
        if isinstance(fs, dict):
            out.append((manager, fs))
    return out


def managed_field_pointers(
    live: dict[str, Any], target: Any, managers: Iterable[str] | None = None
) -> list[tuple[str, str]]:
    """(manager, JSON pointer) for every field of ``target`` that a manager owns in live's
    managedFields (all managers when ``managers`` is None).

    >>> live = {"metadata": {"managedFields": [{"manager": "hpa",
    ...     "fieldsV1": {"f:spec": {"f:replicas": {}}}}]}, "spec": {"replicas": 5}}
    >>> managed_field_pointers(live, live)
    [('hpa', '/spec/replicas')]
    """
    out: list[tuple[str, str]] = []
    for manager, fs in _fieldsets(live, managers):
        found: list[tuple[list[Any], bool]] = []
        _owned(target, fs, [], found)
        out.extend((manager, _pointer(p)) for p, _ in found)
    return out


def _remove_paths(value: Any, paths: list[list[Any]]) -> Any:
    # Remove deepest / highest-index paths first so earlier indices stay valid.
    for path in sorted(
        paths, key=lambda p: [(-1 if isinstance(t, int) else 0, t) for t in p], reverse=True
    ):
        value, _ = _remove_tokens(value, [str(t) for t in path])
    return value


def _find_item(value: Any, spec: str) -> int | None:
    """Index of the list item a ``k:``/``v:``/``i:`` field-set key names in ``value``."""
    if type(value) is not list:
        return None
    if spec.startswith("i:"):
        idx = spec[2:]
        return int(idx) if idx.isdigit() and int(idx) < len(value) else None
    for i, item in enumerate(value):
        if _match_item(item, spec):
            return i
    return None


def _is_leaf(value: Any, child: dict[str, Any]) -> bool:
    """Whether an owned value is compared as a whole (structured-merge-diff's leaf).

    A field set entry with no members below it is a leaf for scalars and for non-empty maps
    and lists (a granular map or keyed list would list its members, so a non-empty one owned
    as a whole is atomic). An empty map or list owned as a whole is granular: what Git adds
    to it is an addition, never a modification.
    """
    if child and set(child) != {"."}:
        return False
    if type(value) in (dict, list):
        return bool(value)
    return True


def _modified_owned(
    live: Any,
    config: Any,
    fs: dict[str, Any],
    live_path: list[Any],
    config_path: list[Any],
    out: list[tuple[list[Any], list[Any]]],
) -> None:
    """Collect (live path, config path) of every owned leaf present on both sides with
    different values: structured-merge-diff's ``Comparison.Modified`` ∩ the field set."""
    from gitopslib.diff.strategic import strict_equal

    for key, raw_child in fs.items():
        if key == ".":
            continue
        child = raw_child if isinstance(raw_child, dict) else {}
        if key.startswith("f:"):
            name = key[2:]
            if type(live) is not dict or type(config) is not dict:
                continue
            if name not in live or name not in config:
                continue  # added or removed by Git: never "modified"
            lv, cv = live[name], config[name]
            lp, cp = [*live_path, name], [*config_path, name]
        elif key.startswith(("k:", "i:")):
            li, ci = _find_item(live, key), _find_item(config, key)
            if li is None or ci is None:
                continue
            lv, cv = live[li], config[ci]
            lp, cp = [*live_path, li], [*config_path, ci]
            if key.startswith("k:") and (not child or set(child) == {"."}):
                continue  # the item itself: an addition or removal, never a modification
        else:  # "v:" set members are scalars matched by value: equal by construction
            continue
        if _is_leaf(lv, child):
            if not strict_equal(lv, cv):
                out.append((lp, cp))
        else:
            _modified_owned(lv, cv, child, lp, cp, out)


def remove_managed_fields(
    live: dict[str, Any], objs: list[Any], managers: Iterable[str]
) -> tuple[list[Any], list[str]]:
    """Argo CD's ``managedfields.Normalize``: ``objs`` is ``[live side, config, *others]``;
    the fields ``managers`` own (per ``live``'s managedFields) that the config would
    *modify* (present on both sides with different values) are removed from the first two.
    Fields Git adds or drops are kept (they are additions and removals, not modifications),
    the whole of an owned list item is never removed (only its modified fields), and any
    further objects (the last-applied configuration) are returned unchanged. List items are
    found by their key in each object, not by index. Returns the objects and the JSON
    pointers removed from the live side.

    >>> live = {"metadata": {"managedFields": [{"manager": "hpa",
    ...     "fieldsV1": {"f:spec": {"f:replicas": {}, "f:paused": {}}}}]},
    ...     "spec": {"replicas": 5, "paused": False}}
    >>> objs, removed = remove_managed_fields(
    ...     live, [live, {"spec": {"replicas": 1, "paused": False}}], ["hpa"])
    >>> objs[1], removed
    ({'spec': {'paused': False}}, ['/spec/replicas'])
    """
    sets = _fieldsets(live, managers)
    if not sets or len(objs) < 2 or objs[0] is None or objs[1] is None:
        return objs, []
    found: list[tuple[list[Any], list[Any]]] = []
    for _, fs in sets:
        _modified_owned(objs[0], objs[1], fs, [], [], found)
    if not found:
        return objs, []
    live_side = _remove_paths(objs[0], [lp for lp, _ in found])
    config = _remove_paths(objs[1], [cp for _, cp in found])
    removed = sorted({_pointer(lp) for lp, _ in found})
    return [live_side, config, *objs[2:]], removed
