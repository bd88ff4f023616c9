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

__all__ = ["app_instance_name", "claims", "parse_tracking_id", "self_referenced", "tracking_id"]

ANNOTATION_INSTALLATION_ID = "argocd.argoproj.io/installation-id"


def app_instance_name(app: Any, settings: DiffSettings) -> str | None:
    """``<name>``, or ``<namespace>_<name>`` for an Application outside the controller's
    namespace; None without an app."""
    meta = getattr(app, "metadata", None)
    if meta is None and isinstance(app, dict):
        meta_d = app.get("metadata") or {}
        name, namespace = meta_d.get("name"), meta_d.get("namespace")
    else:
        name = getattr(meta, "name", None)
        namespace = getattr(meta, "namespace", None)
    if not name:
        return None
    if namespace and namespace != settings.controller_namespace:
        return f"{namespace}_{name}"
    return str(name)


def tracking_id(instance: str, obj: dict[str, Any], default_namespace: str = "") -> str:
    """The tracking-id Argo CD stamps on ``obj`` for the app ``instance``."""
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace") or default_namespace or ""
    return f"{instance}:{api_group(obj)}/{obj.get('kind', '')}:{namespace}/{meta.get('name', '')}"


def parse_tracking_id(value: str) -> tuple[str, str, str, str, str] | None:
    """(app, group, kind, namespace, name), or None when ``value`` is malformed."""
    parts = value.split(":")
    if len(parts) != 3:
        return None
    gk, nn = parts[1].split("/"), parts[2].split("/")
    if len(gk) != 2 or len(nn) != 2:
        return None
    return parts[0], gk[0], gk[1], nn[0], nn[1]


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
