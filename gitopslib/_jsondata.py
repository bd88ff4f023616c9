"""Copying JSON-like data (what manifests are once parsed: dicts, lists, strings, numbers,
booleans, None) without ``copy.deepcopy``'s general machinery.

``copy.deepcopy`` keeps a memo of every container and looks up a copier per type; for a
tree of plain dicts and lists that bookkeeping costs about three times the copy itself.
Its memo also keeps shared sub-trees shared (YAML aliases); here each place gets its own
copy, which is what a caller about to change one of them wants anyway.

>>> original = {"spec": {"ports": [{"port": 80}]}, "kind": "Service"}
>>> copied = copy_json(original)
>>> copied == original, copied["spec"]["ports"][0] is original["spec"]["ports"][0]
(True, False)
"""

from __future__ import annotations

import copy
from typing import TypeVar

__all__ = ["copy_json"]

T = TypeVar("T")

#: Immutable leaf types shared by the copy as they are.
_ATOMIC: frozenset[type] = frozenset({str, int, float, bool, bytes, type(None)})


def copy_json(value: T) -> T:
    """A deep copy of ``value``: plain dicts and lists are rebuilt, immutable leaves shared;
    anything else (a dict subclass, a set, a custom object) goes through ``copy.deepcopy``.
    """
    kind = type(value)
    if kind is dict:
        return {  # type: ignore[return-value]
            k: v if type(v) in _ATOMIC else copy_json(v)
            for k, v in value.items()  # type: ignore[attr-defined]
        }
    if kind is list:
        return [v if type(v) in _ATOMIC else copy_json(v) for v in value]  # type: ignore[return-value,attr-defined]
    if kind in _ATOMIC:
        return value
    return copy.deepcopy(value)
