"""Secret masking for diff output.

Secret ``data`` values (and annotations named sensitive in the settings) are replaced by runs
of ``+``, per key as Argo CD's ``HideSecretData`` does (argocd-semantics.md §5.4): for each
key, the first distinct value (desired, then live, then the last-applied configuration) gets
8, the next 12, then 16 and so on. Equal values of one key share a mask, so a change stays
visible without showing either value, and masks of different keys say nothing about whether
their values are equal. The last-applied annotation of a Secret is re-serialised with its
data (``stringData`` folded into ``data``) masked the same way, or replaced by a mask when
it cannot be parsed or is itself listed as sensitive. Masking is for output only: the
comparison sees the real values.

>>> live = {"kind": "Secret", "apiVersion": "v1", "data": {"a": "eA==", "b": "eQ=="}}
>>> want = {"kind": "Secret", "apiVersion": "v1", "data": {"a": "eA==", "b": "eg=="}}
>>> m_want, m_live = mask_secrets([want, live])
>>> m_want["data"], m_live["data"]
({'a': '++++++++', 'b': '++++++++'}, {'a': '++++++++', 'b': '++++++++++++'})
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
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


def _fold_string_data(obj: dict[str, Any]) -> dict[str, Any]:
    """``stringData`` merged into base64 ``data`` (as the API server and Argo CD do)."""
    string_data = obj.get("stringData")
    if not isinstance(string_data, dict):
        return obj
    out = {k: v for k, v in obj.items() if k != "stringData"}
    data = dict(out.get("data") or {}) if isinstance(out.get("data"), dict) else {}
    for key, value in string_data.items():
        data[key] = base64.b64encode(str("" if value is None else value).encode()).decode()
    out["data"] = data
    return out


def _mask_data(obj: dict[str, Any], maskers: dict[str, Masker]) -> dict[str, Any]:
    out = dict(obj)
    for field in ("data", "stringData"):
        data = out.get(field)
        if isinstance(data, dict):
            out[field] = {k: maskers[k].mask(v) for k, v in sorted(data.items())}
        elif data is not None:  # not a map (an invalid Secret): hide it whole
            out[field] = maskers["\0" + field].mask(data)
    return out


def mask_secrets(
    objs: Iterable[dict[str, Any] | None], sensitive_annotations: Iterable[str] = ()
) -> list[dict[str, Any] | None]:
    """Masked copies of the objects of one resource (desired first, then live), sharing one
    mask table per key so equal values of a key get equal masks across them."""
    items = list(objs)
    sensitive = set(sensitive_annotations)
    if not sensitive and not any(_is_secret(o) for o in items):
        return items
    # One masker per data key (and per sensitive annotation), as Argo CD assigns masks.
    maskers: dict[str, Masker] = defaultdict(Masker)
    annotation_maskers: dict[str, Masker] = defaultdict(Masker)
    out: list[dict[str, Any] | None] = []
    secret = any(_is_secret(o) for o in items)
    # Data first, in order, so masks follow Argo CD's assignment order.
    masked = [_mask_data(o, maskers) if _is_secret(o) and o is not None else o for o in items]
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
                        _mask_data(_fold_string_data(applied), maskers),
                        sort_keys=True,
                        separators=(",", ":"),
                    )
                else:
                    new_ann[key] = "+" * 8
            elif key in sensitive:
                new_ann[key] = annotation_maskers[key].mask(value)
        out.append({**obj, "metadata": {**meta, "annotations": new_ann}})
    return out
