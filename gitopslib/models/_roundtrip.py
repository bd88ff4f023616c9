"""Write-back: new document data expressed as edits to the ruamel tree it was read from.

Editing the tree in place (rather than dumping fresh data) keeps the comments, key order and
quoting of every value that did not change.
"""

from __future__ import annotations

import contextlib
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from gitopslib.models._yaml import _key_text


def _copy(value: Any) -> Any:
    """A deep copy of plain YAML data (dicts, lists, scalars)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _same(a: Any, b: Any) -> bool:
    """Equal as YAML data, with booleans and numbers told apart."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b if not isinstance(a, int | float) else a == b


def _merge(tree: Any, old: Any, new: Any) -> Any:
    """``new`` expressed by editing ``tree`` (whose plain data is ``old``) in place, so that
    comments, key order and quoting of what did not change are kept."""
    if _same(old, new):
        return tree
    anchor = getattr(tree, "anchor", None)
    if anchor is not None and getattr(anchor, "value", None):
        return new  # shared through an alias: editing it in place would change the others
    if isinstance(tree, CommentedMap) and isinstance(old, dict) and isinstance(new, dict):
        for key in list(tree):
            if _key_text(key) not in new and key in tree:
                with contextlib.suppress(KeyError):
                    del tree[key]
        by_text = {_key_text(k): k for k in tree}
        for name, value in new.items():
            if name in by_text:
                key = by_text[name]
                tree[key] = _merge(tree[key], old.get(name), value)
            else:
                tree[name] = value
        return tree
    if isinstance(tree, CommentedSeq) and isinstance(old, list) and isinstance(new, list):
        for index, value in enumerate(new):
            if index < len(tree) and index < len(old):
                tree[index] = _merge(tree[index], old[index], value)
            else:
                tree.append(value)
        del tree[len(new) :]
        return tree
    return new


def _plain_floats(tree: Any) -> None:
    """Swap ruamel's format-preserving floats for plain ones in place: ruamel rebuilds their
    text from width/precision hints, which can change the value of long floats."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, CommentedMap):
            items: Any = list(node.items())
        elif isinstance(node, CommentedSeq):
            items = list(enumerate(node))
        else:
            continue
        for key, value in items:
            if isinstance(value, float) and type(value) is not float:
                node[key] = float(value)
            elif isinstance(value, CommentedMap | CommentedSeq):
                stack.append(value)
