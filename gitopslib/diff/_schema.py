"""Access to the generated merge-key table (``_merge_keys.json``).

The table is derived from the Kubernetes OpenAPI schemas by ``scripts/gen_merge_keys.py``; this
module only loads it (once, lazily, from package data) and answers lookups.

>>> type_of_gvk("apps", "v1", "Deployment")
'apps.v1.Deployment'
>>> field_of("core.v1.PodSpec", "containers")[:4]
['l', 'core.v1.Container', 'merge', 'name']
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["field_of", "is_typed", "type_of_gvk"]

#: A field descriptor: ``["o", type, strategy]`` object, ``["l", item, strategy, mergeKey,
#: listType, mapKeys]`` list, ``["m", value]`` map, ``["q"]`` quantity.
Descriptor = list[Any]


@cache
def _table() -> dict[str, Any]:
    text = resources.files("gitopslib.diff").joinpath("_merge_keys.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    by_gk: dict[str, str] = {}
    for gvk, name in data["gvk"].items():
        group, _version, kind = gvk.split("/")
        # Prefer a stable version's type when the exact version is unknown.
        by_gk.setdefault(f"{group}/{kind}", name)
    data["by_gk"] = by_gk
    return data


def is_typed(group: str, kind: str) -> bool:
    """Whether (group, kind) is a built-in Kubernetes type (strategic merge applies)."""
    return f"{group}/{kind}" in _table()["by_gk"]


def type_of_gvk(group: str, version: str, kind: str) -> str | None:
    """The table's type name for a built-in kind ("" when it has nothing of interest, None
    when the kind is not built in)."""
    table = _table()
    name = table["gvk"].get(f"{group}/{version}/{kind}")
    if name is None:
        name = table["by_gk"].get(f"{group}/{kind}")
    return name if name is None else str(name)


def field_of(type_name: str | None, field: str) -> Descriptor | None:
    """The descriptor of ``field`` inside ``type_name`` (None when nothing is known)."""
    if not type_name:
        return None
    fields = _table()["types"].get(type_name)
    if fields is None:
        return None
    desc = fields.get(field)
    return None if desc is None else desc  # shared, read-only
