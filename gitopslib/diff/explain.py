"""Explain drift: for each differing path, the likely cause and the smallest ignoreDifferences
rule that would silence it.

Causes (``DriftReason.cause``):

* ``only-in-git``: Git sets a field live does not have (or the whole object is missing);
* ``changed-by-manager``: live's ``managedFields`` name another field manager as owner of the
  path (an HPA scaling replicas, a controller rewriting a field);
* ``removed-from-git``: Git no longer has the field, the last-applied configuration and live
  still do;
* ``added-by-other``: a list item live has and Git does not (a list merged as a whole);
* ``differs``: Git and live disagree and nothing more specific is known.

Values never appear in an explanation (they may be secrets); only paths and manager names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gitopslib.diff._render import make_patch
from gitopslib.diff.ignore import managed_field_pointers, parse_pointer
from gitopslib.manifest import ANNOTATION_LAST_APPLIED

if TYPE_CHECKING:
    from gitopslib.diff._result import ResourceDiff

__all__ = ["DriftReason", "explain"]

#: Managers that apply what Git says; owning a field does not make them the cause of drift.
GIT_APPLIERS = frozenset({"argocd-controller", "argocd-application-controller"})


@dataclass(frozen=True)
class DriftReason:
    """Why one path differs between Git and live.

    >>> r = DriftReason("/spec/replicas", "replace", "changed-by-manager", "owned by hpa",
    ...                 "hpa", {"kind": "Deployment", "managedFieldsManagers": ["hpa"]})
    >>> str(r)
    '/spec/replicas: owned by hpa'
    """

    path: str
    op: str
    cause: str
    detail: str
    manager: str | None = None
    rule: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.path or '/'}: {self.detail}"


def _resolve(obj: Any, pointer: str) -> tuple[bool, Any]:
    value = obj
    for token in parse_pointer(pointer):
        if type(value) is dict and token in value:
            value = value[token]
        elif type(value) is list and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        else:
            return False, None
    return True, value


def _jq_path(obj: Any, pointer: str) -> str | None:
    """A jq path that finds list items by name instead of by index (None if not needed)."""
    parts: list[str] = []
    value = obj
    used_name = False
    for token in parse_pointer(pointer):
        if type(value) is list and token.isdigit() and int(token) < len(value):
            item = value[int(token)]
            name = item.get("name") if type(item) is dict else None
            if isinstance(name, str):
                parts.append(f"[] | select(.name == {json.dumps(name)})")
                used_name = True
            else:
                parts.append(f"[{token}]")
            value = item
        elif type(value) is dict and token in value:
            parts.append("." + token if token.isidentifier() else f"[{json.dumps(token)}]")
            value = value[token]
        else:
            return None
    if not used_name:
        return None
    text, after_select = "", False
    for part in parts:
        if part.startswith("[] | select"):
            text += part
            after_select = True
        elif after_select:
            text += " | " + (part if part.startswith(".") else "." + part)
            after_select = False
        else:
            text += part
    return text


def _base_rule(rd: ResourceDiff) -> dict[str, Any]:
    rule: dict[str, Any] = {"group": rd.group, "kind": rd.kind, "name": rd.name}
    if rd.namespace:
        rule["namespace"] = rd.namespace
    return rule


def explain(rd: ResourceDiff) -> list[DriftReason]:
    """The reasons ``rd`` differs (see the module docs); [] when it is in sync."""
    if not rd.modified or rd.normalized_desired is None:
        return []
    if rd.normalized_live is None:
        return [DriftReason("", "add", "only-in-git", "the object exists only in Git")]
    live_raw = rd.live or {}
    owners: dict[str, list[str]] = {}
    for owner, pointer in managed_field_pointers(live_raw, live_raw):
        if owner not in GIT_APPLIERS:
            owners.setdefault(pointer, []).append(owner)
    orig: Any = None
    raw = ((live_raw.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION_LAST_APPLIED)
    if raw is not None:
        try:
            orig = json.loads(str(raw))
        except ValueError:
            orig = None

    def owner_of(pointer: str) -> str | None:
        for p, managers in owners.items():
            if pointer == p or pointer.startswith(p + "/") or p.startswith(pointer + "/"):
                return sorted(managers)[0]
        return None

    reasons: list[DriftReason] = []
    for op in make_patch(rd.normalized_live, rd.normalized_desired):
        path, kind = op["path"], op["op"]
        manager = owner_of(path)
        rule = _base_rule(rd)
        where = rd.normalized_desired if kind == "add" else rd.normalized_live
        jq_path = _jq_path(where, path)
        if jq_path is not None:
            rule["jqPathExpressions"] = [jq_path]
        else:
            rule["jsonPointers"] = [path]
        if kind == "add":
            cause, detail = "only-in-git", "present only in Git (live has no value here)"
        elif kind == "remove":
            in_orig = orig is not None and _resolve(orig, path)[0]
            last = path.rsplit("/", 1)[-1]
            if in_orig:
                cause = "removed-from-git"
                detail = "removed from Git but kept live (still in last-applied-configuration)"
            elif last.isdigit():
                cause = "added-by-other"
                detail = "list item present only live, added by " + (manager or "someone else")
            else:
                cause, detail = "differs", "present live but not in Git"
        elif manager is not None:
            cause, detail = "changed-by-manager", f"changed live by field manager {manager!r}"
        else:
            cause, detail = "differs", "Git and live values differ"
        if manager is not None and cause in ("changed-by-manager", "added-by-other"):
            rule = {**_base_rule(rd), "managedFieldsManagers": [manager]}
        reasons.append(DriftReason(path, kind, cause, detail, manager, rule))
    return reasons
