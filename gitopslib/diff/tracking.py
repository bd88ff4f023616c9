"""Resource tracking: which live objects an Application claims (Argo CD's rules, section 7).

>>> tracking_id("guestbook", {"apiVersion": "apps/v1", "kind": "Deployment",
...     "metadata": {"name": "web"}}, "default")
'guestbook:apps/Deployment:default/web'
>>> parse_tracking_id("guestbook:/Service:default/ui")
('guestbook', '', 'Service', 'default', 'ui')
"""

from __future__ import annotations

from typing import Any

from gitopslib.diff.settings import DiffSettings
from gitopslib.manifest import ANNOTATION_TRACKING_ID, api_group, is_cluster_scoped
from gitopslib.tracking import ANNOTATION_INSTALLATION_ID, parse_tracking_id, tracking_id
from gitopslib.tracking import app_instance_name as _app_instance_name

__all__ = ["app_instance_name", "claims", "parse_tracking_id", "self_referenced", "tracking_id"]


def app_instance_name(app: Any, settings: DiffSettings) -> str | None:
    """``<name>``, or ``<namespace>_<name>`` for an Application outside the controller's
    namespace (:func:`gitopslib.tracking.app_instance_name`); None without an app."""
    return _app_instance_name(app, settings.controller_namespace) or None


def self_referenced(live: dict[str, Any], reference: dict[str, Any] | None = None) -> bool:
    """Whether live's tracking-id names the object itself (``reference``: the desired object,
    which wins when given); an object without a tracking-id counts as self-referenced."""
    meta = live.get("metadata") or {}
    value = (meta.get("annotations") or {}).get(ANNOTATION_TRACKING_ID)
    if value is None:
        return True
    parsed = parse_tracking_id(str(value))
    if parsed is None:
        return False
    _app, group, kind, namespace, name = parsed
    ref = reference if reference is not None else live
    ref_meta = ref.get("metadata") or {}
    rgroup, rkind = api_group(ref), str(ref.get("kind") or "")
    if (group, kind, name) != (rgroup, rkind, str(ref_meta.get("name") or "")):
        return False
    if is_cluster_scoped(rgroup, rkind):
        return True
    return namespace == str((live.get("metadata") or {}).get("namespace") or "")


def claims(instance: str | None, live: dict[str, Any], settings: DiffSettings) -> bool:
    """Whether the app ``instance`` claims ``live`` through its tracking (roots only: an
    object with ownerReferences is never claimed). Without an app (``instance`` None) every
    root object given is claimed unless its tracking-id names another object."""
    meta = live.get("metadata") or {}
    if meta.get("ownerReferences"):
        return False
    annotations = meta.get("annotations") or {}
    if instance is None:
        return self_referenced(live)
    if settings.tracking_method == "label":
        return (meta.get("labels") or {}).get(settings.instance_label_key) == instance
    value = annotations.get(ANNOTATION_TRACKING_ID)
    if value is None:
        return False
    parsed = parse_tracking_id(str(value))
    if parsed is None or parsed[0] != instance:
        return False
    if settings.installation_id is not None and (
        annotations.get(ANNOTATION_INSTALLATION_ID) != settings.installation_id
    ):
        return False
    return self_referenced(live)
