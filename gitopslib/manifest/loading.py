"""Bounded YAML loading for manifests: libyaml's safe loader tuned for bulk Kubernetes YAML
(timestamps kept as strings), the bounds on size, nesting and alias expansion that refuse
alias bombs, :func:`load_manifests` with Argo CD's list handling, and :func:`paused_gc` for bulk
loads. Every name here is also importable from :mod:`gitopslib.manifest`.

>>> load_manifests("kind: A\\n---\\nkind: B\\n")
[{'kind': 'A'}, {'kind': 'B'}]
"""

import gc
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import yaml

from gitopslib.errors import ManifestError

__all__ = [
    "MAX_DEPTH",
    "MAX_EXPANDED_BYTES",
    "MAX_EXPANDED_NODES",
    "MAX_MANIFEST_BYTES",
    "Manifest",
    "expand_list_objects",
    "expanded_size",
    "iter_yaml_documents",
    "load_manifests",
    "load_yaml_documents",
    "paused_gc",
    "too_deep",
]

Manifest = dict[str, Any]

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_SPECIAL_KEYS = frozenset({"tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"})


class _Fallback(Exception):
    """A document needs PyYAML's general constructor (merge keys, unusual tags)."""


class _ManifestLoader(_Loader):  # type: ignore[valid-type,misc]
    """libyaml's safe loader, tuned for bulk manifests.

    * No timestamp resolver: Kubernetes tooling (go-yaml via sigs.k8s.io/yaml) keeps
      ``2024-01-01`` a string, and so must we.
    * A direct builder for the common case (plain maps, sequences and strings), with
      PyYAML's own constructor for every other scalar and for documents using merge keys or
      unusual tags, so results equal the safe loader's. Aliased nodes are built once and
      shared, as PyYAML does.
    """

    _resolvers_by_first: ClassVar[dict[str | None, list[tuple[str, re.Pattern[str]]]]] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        # PyYAML's Resolver.resolve without path resolvers (never used here) and without
        # building a list per scalar.
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in self._resolvers_by_first.get(value[:1] or "", ()):
                    if regexp.match(value):
                        return tag
            return _STR_TAG
        return _SEQ_TAG if kind is yaml.SequenceNode else _MAP_TAG

    def construct_document(self, node: Any) -> Any:
        try:
            data = self._build(node, {}, 1)
        except _Fallback:
            _check_node_depth(node)  # PyYAML's constructor recurses: bound it first
            return super().construct_document(node)
        self.constructed_objects: dict[Any, Any] = {}
        self.recursive_objects: dict[Any, Any] = {}
        return data

    def _build(self, node: Any, memo: dict[int, Any], depth: int) -> Any:
        cls = node.__class__
        if cls is yaml.ScalarNode:
            if node.tag == _STR_TAG:
                return node.value
            return self.construct_object(node, deep=True)
        found = memo.get(id(node))
        if found is not None:
            return found  # an alias: its expansion is measured after loading
        if depth > MAX_DEPTH:
            raise _too_deep(node)
        if cls is yaml.MappingNode:
            if node.tag != _MAP_TAG:
                raise _Fallback
            out: dict[Any, Any] = {}
            memo[id(node)] = out
            for key_node, value_node in node.value:
                if key_node.tag in _SPECIAL_KEYS:
                    raise _Fallback
                key = self._build(key_node, memo, depth + 1)
                try:
                    out[key] = self._build(value_node, memo, depth + 1)
                except TypeError:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        "found unhashable key",
                        key_node.start_mark,
                    ) from None
            return out
        if node.tag != _SEQ_TAG:
            raise _Fallback
        seq: list[Any] = []
        memo[id(node)] = seq
        seq.extend(self._build(child, memo, depth + 1) for child in node.value)
        return seq


def _too_deep(node: Any) -> yaml.constructor.ConstructorError:
    return yaml.constructor.ConstructorError(
        None,
        None,
        f"nested deeper than {MAX_DEPTH} levels (no Kubernetes object is; refusing it)",
        node.start_mark,
    )


def _check_node_depth(root: Any) -> None:
    """Refuse a composed YAML tree deeper than :data:`MAX_DEPTH`, without recursion."""
    seen: set[int] = set()
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if node.__class__ is yaml.ScalarNode or id(node) in seen:
            continue
        seen.add(id(node))
        if depth > MAX_DEPTH:
            raise _too_deep(node)
        if node.__class__ is yaml.MappingNode:
            for key_node, value_node in node.value:
                stack.append((key_node, depth + 1))
                stack.append((value_node, depth + 1))
        else:
            stack.extend((child, depth + 1) for child in node.value)


_ManifestLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _Loader.yaml_implicit_resolvers.items()
}
_ManifestLoader._resolvers_by_first = {
    first: [*resolvers, *_ManifestLoader.yaml_implicit_resolvers.get(None, [])]
    for first, resolvers in _ManifestLoader.yaml_implicit_resolvers.items()
    if first is not None
}


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for a bulk load (parsed manifests are trees, never
    cycles, so collections during the load are pure overhead)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


#: Default bound on the bytes one ``load_manifests`` call reads.
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
#: Bound on the nodes an aliased document may expand to (a "billion laughs" stops here).
MAX_EXPANDED_NODES = 2_000_000
#: Bound on the bytes of text (keys and string values) one YAML stream may expand to through
#: aliases: a large anchored string repeated many times stops here, however few nodes it takes.
MAX_EXPANDED_BYTES = 256 * 1024 * 1024
#: Bound on nesting (maps and lists inside each other). Kubernetes objects, CRD schemas
#: included, stay far below; everything downstream (compare, normalize, plan, diff output)
#: relies on it instead of recursing without a bound.
MAX_DEPTH = 128


def expanded_size(value: Any, max_nodes: int, max_bytes: int) -> tuple[int, int, int]:
    """``(nodes, bytes, depth)`` of ``value`` once YAML aliases are expanded, without expanding
    them and without recursion.

    Aliases load as shared Python objects, so the size of a container is memoised by identity:
    a "billion laughs" document is measured in a few thousand steps. Stops early (returning
    what it has) once the nodes pass ``max_nodes``, the bytes ``max_bytes`` or the depth
    :data:`MAX_DEPTH`. Bytes count string keys and values (other scalars count 8).

    >>> big = "x" * 1000
    >>> expanded_size({"a": [big, big, big]}, 10**6, 10**9)
    (5, 3001, 2)
    """
    memo: dict[int, tuple[int, int, int]] = {}
    # (node, children, index, nodes, bytes, height)
    stack: list[list[Any]] = []

    def open_(node: Any) -> tuple[int, int, int] | None:
        if isinstance(node, dict):
            key = id(node)
            if key in memo:
                return memo[key]
            keys = sum(len(k) if isinstance(k, str) else 8 for k in node)
            stack.append([node, list(node.values()), 0, 1, keys, 0])
            return None
        if isinstance(node, list):
            key = id(node)
            if key in memo:
                return memo[key]
            stack.append([node, node, 0, 1, 0, 0])
            return None
        return (1, len(node) if isinstance(node, str) else 8, 0)

    result = open_(value)
    while stack:
        frame = stack[-1]
        if len(stack) > MAX_DEPTH or frame[3] > max_nodes or frame[4] > max_bytes:
            return frame[3], frame[4], len(stack)  # over a bound: the caller refuses it
        children, index = frame[1], frame[2]
        if index < len(children):
            frame[2] = index + 1
            sub = open_(children[index])
            if sub is None:
                continue
        else:
            stack.pop()
            sub = (frame[3], frame[4], frame[5] + 1)
            memo[id(frame[0])] = sub
            if not stack:
                result = sub
                break
            frame = stack[-1]
        frame[3] += sub[0]
        frame[4] += sub[1]
        frame[5] = max(frame[5], sub[2])
    assert result is not None
    return result


def too_deep(obj: Any, limit: int = MAX_DEPTH) -> str | None:
    """The path (``spec.a[0].b``) at which ``obj`` nests deeper than ``limit`` maps and lists,
    or None. Iterative, so it is safe on any input; shared sub-objects are walked once.

    >>> too_deep({"a": [{"b": {}}]}, limit=2)
    'a[0]'
    """
    if type(obj) is not dict and type(obj) is not list:
        return None
    stack: list[tuple[Any, int, tuple[Any, ...]]] = [(obj, 1, ())]
    seen: dict[int, int] = {}
    while stack:
        node, depth, path = stack.pop()
        room = limit - depth
        before = seen.get(id(node))
        if before is not None and before >= room:
            continue  # reached before with at least as much room left
        seen[id(node)] = room
        if room < 0:
            return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        if type(node) is dict:
            for key, value in node.items():
                if type(value) is dict or type(value) is list:
                    stack.append((value, depth + 1, (*path, key)))
        else:
            for index, value in enumerate(node):
                if type(value) is dict or type(value) is list:
                    stack.append((value, depth + 1, (*path, index)))
    return None


def _read_source(text_or_path: str | os.PathLike[str], max_bytes: int) -> tuple[str, str | None]:
    if isinstance(text_or_path, os.PathLike) or (
        isinstance(text_or_path, str)
        and "\n" not in text_or_path
        and len(text_or_path) < 4096
        and Path(text_or_path).suffix in {".yaml", ".yml", ".json"}
    ):
        path = Path(text_or_path)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise ManifestError(f"cannot read file: {exc.strerror}", file=str(path)) from None
        if size > max_bytes:
            raise ManifestError(
                f"file is {size} bytes, over the limit of {max_bytes}", file=str(path)
            )
        return path.read_text(encoding="utf-8"), str(path)
    text = str(text_or_path)
    if len(text) > max_bytes:
        raise ManifestError(f"document is {len(text)} bytes, over the limit of {max_bytes}")
    return text, None


def _yaml_error(exc: yaml.YAMLError, file: str | None) -> ManifestError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        return ManifestError(
            f"malformed YAML: {exc.problem or exc.context}",
            file=file,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        )
    return ManifestError(f"malformed YAML: {exc}", file=file)


def iter_yaml_documents(data: bytes | str, *, file: str | None = None) -> Iterator[Any]:
    """The documents of a YAML stream one by one (``None`` for empty ones), parsed by libyaml
    with timestamps kept as strings. A syntax error raises :class:`ManifestError` with
    file:line once the documents before it have been yielded; so does a document nested
    deeper than :data:`MAX_DEPTH` (with its line), and a stream whose aliases expand past
    :data:`MAX_EXPANDED_NODES` nodes in a document or :data:`MAX_EXPANDED_BYTES` of text
    (alias bombs, a large anchor repeated many times).

    >>> docs = iter_yaml_documents("a: 1\\n---\\nb: [\\n")
    >>> next(docs)
    {'a': 1}
    """
    check_aliases = _may_alias(data)
    budget = MAX_EXPANDED_BYTES
    try:
        for index, doc in enumerate(yaml.load_all(data, Loader=_ManifestLoader)):
            if check_aliases:
                nodes, size, depth = expanded_size(doc, MAX_EXPANDED_NODES, budget)
                if nodes > MAX_EXPANDED_NODES or size > budget:
                    what = (
                        f"{MAX_EXPANDED_NODES} nodes"
                        if nodes > MAX_EXPANDED_NODES
                        else (f"{MAX_EXPANDED_BYTES} bytes of text")
                    )
                    raise ManifestError(
                        f"document {index + 1} expands to more than {what} through YAML "
                        "aliases (an alias bomb?); refusing it",
                        file=file,
                    )
                if depth > MAX_DEPTH:
                    raise ManifestError(
                        f"document {index + 1} nests deeper than {MAX_DEPTH} levels through "
                        "YAML aliases; refusing it",
                        file=file,
                    )
                budget -= size
            yield doc
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, file) from None
    except RecursionError:  # a safety net: the depth bound above should come first
        raise ManifestError(f"nested deeper than {MAX_DEPTH} levels", file=file) from None


def _may_alias(data: bytes | str) -> bool:
    """Whether ``data`` may hold YAML aliases (an anchor ``&`` and an alias ``*``)."""
    if isinstance(data, bytes):
        return b"&" in data and b"*" in data
    return "&" in data and "*" in data


def load_yaml_documents(data: bytes | str, *, file: str | None = None) -> list[Any]:
    """Every document of a YAML stream (``None`` for empty ones), parsed by libyaml with
    timestamps kept as strings. Syntax errors raise :class:`ManifestError` with file:line.

    >>> load_yaml_documents("a: 2024-01-01\\n---\\n")
    [{'a': '2024-01-01'}, None]
    """
    return list(iter_yaml_documents(data, file=file))


def load_manifests(
    text_or_path: str | os.PathLike[str],
    *,
    max_bytes: int = MAX_MANIFEST_BYTES,
    expand_lists: bool = True,
) -> list[Manifest]:
    """Parse multi-document Kubernetes YAML (or JSON) into a list of dicts.

    Empty documents are skipped; list objects (``kind: List``, ``ConfigMapList``: anything
    whose ``items`` is an array) are expanded into their items, as Argo CD does
    (:func:`expand_list_objects`). Input over ``max_bytes`` and alias bombs are refused with a
    :class:`~gitopslib.errors.ManifestError`; so is a document that is not a mapping.

    >>> [o["kind"] for o in load_manifests("kind: A\\n---\\n---\\nkind: B\\n")]
    ['A', 'B']
    """
    text, file = _read_source(text_or_path, max_bytes)
    out: list[Manifest] = []
    for index, doc in enumerate(iter_yaml_documents(text, file=file)):  # alias bombs refused
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise ManifestError(
                f"document {index + 1} is a {type(doc).__name__}, not a Kubernetes object",
                file=file,
            )
        out.append(doc)
    return expand_list_objects(out, file=file) if expand_lists else out


def expand_list_objects(objs: Iterable[Manifest], *, file: str | None = None) -> list[Manifest]:
    """Argo CD's list handling (``GenerateManifests``): an object whose ``items`` is an array
    is replaced by its items (each must be an object); an object whose ``items`` is null and
    that has no ``spec`` or ``status`` (``isNullList``) disappears, whatever its kind.

    >>> expand_list_objects([{"kind": "List", "items": [{"kind": "A"}]},
    ...                      {"kind": "BList", "items": None}])
    [{'kind': 'A'}]
    """
    out: list[Manifest] = []
    for obj in objs:
        if "items" not in obj:
            out.append(obj)
            continue
        items = obj["items"]
        if isinstance(items, list):
            for item in items:
                if not isinstance(item, dict):
                    raise ManifestError(
                        f"{obj.get('kind') or 'list'}: items member is not an object "
                        f"({type(item).__name__})",
                        file=file,
                    )
                out.append(item)
            continue
        if items is None and "spec" not in obj and "status" not in obj:
            continue
        out.append(obj)
    return out
