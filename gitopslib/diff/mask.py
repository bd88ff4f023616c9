"""Secret masking for diff output.

Secret ``data`` values (and annotations named sensitive in the settings) are replaced by runs
of ``+``: the first distinct value gets 8, the next 12, then 16 and so on, so equal values
share a mask and a change stays visible without showing either value. The last-applied
annotation of a Secret is re-serialised with its data masked the same way (or replaced by a
mask when it cannot be parsed or is itself listed as sensitive). Masking is for output only:
the comparison sees the real values.

>>> live = {"kind": "Secret", "apiVersion": "v1", "data": {"a": "eA==", "b": "eQ=="}}
>>> want = {"kind": "Secret", "apiVersion": "v1", "data": {"a": "eA==", "b": "eg=="}}
>>> m_want, m_live = mask_secrets([want, live])
>>> m_want["data"], m_live["data"]
({'a': '++++++++', 'b': '++++++++++++'}, {'a': '++++++++', 'b': '++++++++++++++++'})
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from gitopslib.manifest import ANNOTATION_LAST_APPLIED, api_group

__all__ = ["Masker", "mask_secrets"]


class Masker:
    """Assigns masks to values: equal values share a mask, each new value a longer run."""

    def __init__(self) -> None:
        self._masks: dict[str, str] = {}

    def mask(self, value: Any) -> str:
        """The mask of ``value``."""
        key = json.dumps(value, sort_keys=True)
        mask = self._masks.get(key)
        if mask is None:
            mask = "+" * (8 + 4 * len(self._masks))
            self._masks[key] = mask
        return mask


def _is_secret(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("kind") == "Secret" and api_group(obj) == ""


def _mask_data(obj: dict[str, Any], masker: Masker) -> dict[str, Any]:
    out = dict(obj)
    for field in ("data", "stringData"):
        data = out.get(field)
        if isinstance(data, dict):
            out[field] = {k: masker.mask(v) for k, v in sorted(data.items())}
    return out


def mask_secrets(
    objs: Iterable[dict[str, Any] | None], sensitive_annotations: Iterable[str] = ()
) -> list[dict[str, Any] | None]:
    """Masked copies of the objects of one resource (desired first, then live), sharing one
    mask table so equal values get equal masks across them."""
    items = list(objs)
    sensitive = set(sensitive_annotations)
    if not sensitive and not any(_is_secret(o) for o in items):
        return items
    masker = Masker()
    out: list[dict[str, Any] | None] = []
    secret = any(_is_secret(o) for o in items)
    # Data first, in order, so masks follow Argo CD's assignment order.
    masked = [_mask_data(o, masker) if _is_secret(o) and o is not None else o for o in items]
    for obj in masked:
        if obj is None:
            out.append(None)
            continue
        meta = obj.get("metadata")
        annotations = meta.get("annotations") if isinstance(meta, dict) else None
        if not isinstance(meta, dict) or not isinstance(annotations, dict):
            out.append(obj)
            continue
        new_ann = dict(annotations)
        for key, value in annotations.items():
            if key == ANNOTATION_LAST_APPLIED and secret:
                if key in sensitive:
                    new_ann[key] = "+" * 8
                    continue
                try:
                    applied = json.loads(str(value))
                except ValueError:
                    new_ann[key] = "+" * 8
                    continue
                if isinstance(applied, dict):
                    new_ann[key] = json.dumps(
                        _mask_data(applied, masker), sort_keys=True, separators=(",", ":")
                    )
                else:
                    new_ann[key] = "+" * 8
            elif key in sensitive:
                new_ann[key] = masker.mask(value)
        out.append({**obj, "metadata": {**meta, "annotations": new_ann}})
    return out
