"""Argo CD resource tracking, as pure functions (argocd-semantics §7).

An Application's *instance name* (§7.1) is what its objects are tracked by; the
*tracking id* (§7.2) is the ``argocd.argoproj.io/tracking-id`` annotation
``<instance>:<group>/<kind>:<namespace>/<name>`` stamped on every object it manages (or the
instance label, §7.3-§7.4). The diff, the sync executor, the renderers and the project
rules all read and write tracking through this one module.

>>> from types import SimpleNamespace as NS
>>> app_instance_name(NS(metadata=NS(name="web", namespace="team-a")))
'team-a_web'
>>> tracking_id("guestbook", {"apiVersion": "apps/v1", "kind": "Deployment",
...     "metadata": {"name": "web"}}, "default")
'guestbook:apps/Deployment:default/web'
>>> parse_tracking_id("guestbook:/Service:default/ui")
('guestbook', '', 'Service', 'default', 'ui')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from gitopslib.errors import PlanError
from gitopslib.manifest import ANNOTATION_TRACKING_ID, LABEL_INSTANCE, api_group

__all__ = [
    "ANNOTATION_INSTALLATION_ID",
    "DEFAULT_CONTROLLER_NAMESPACE",
    "TrackingMethod",
    "app_instance_name",
    "instance_name",
    "parse_tracking_id",
    "stamp_tracking",
    "tracked_instance",
    "tracking_id",
    "tracking_label_value",
]

#: The namespace Argo CD's controller runs in unless told otherwise.
DEFAULT_CONTROLLER_NAMESPACE = "argocd"
#: Stamped next to the tracking id when ``installationID`` is set in ``argocd-cm``.
ANNOTATION_INSTALLATION_ID = "argocd.argoproj.io/installation-id"

TrackingMethod = Literal["annotation", "label", "annotation+label"]

_CRD = ("apiextensions.k8s.io", "CustomResourceDefinition")
_TRAILING_NON_ALNUM = re.compile(r"[^a-zA-Z0-9]+$")
_LABEL_MAX = 63


def instance_name(
    name: str, namespace: str | None, controller_namespace: str = DEFAULT_CONTROLLER_NAMESPACE
) -> str:
    """Argo CD's instance name (§7.1): ``name``, or ``<namespace>_<name>`` for an
    Application outside the controller's namespace.

    >>> instance_name("web", "argocd"), instance_name("web", None), instance_name("web", "a")
    ('web', 'web', 'a_web')
    """
    if not namespace or namespace == controller_namespace:
        return name
    return f"{namespace}_{name}"


def app_instance_name(app: Any, controller_namespace: str = DEFAULT_CONTROLLER_NAMESPACE) -> str:
    """:func:`instance_name` of an Application: a model, anything with ``.metadata.name`` /
    ``.metadata.namespace``, or a plain dict. ``""`` when the app has no name.

    >>> from types import SimpleNamespace as NS
    >>> app_instance_name(NS(metadata=NS(name="web", namespace="team-a")))
    'team-a_web'
    >>> app_instance_name({"metadata": {"name": "web", "namespace": "argocd"}})
    'web'
    """
    meta = getattr(app, "metadata", None)
    if meta is None and isinstance(app, Mapping):
        meta_d = app.get("metadata") or {}
        name, namespace = meta_d.get("name"), meta_d.get("namespace")
    else:
        name = getattr(meta, "name", None)
        namespace = getattr(meta, "namespace", None)
    if not name:
        return ""
    return instance_name(str(name), str(namespace or ""), controller_namespace)


def tracking_id(instance: str, obj: Mapping[str, Any], default_namespace: str = "") -> str:
    """The tracking id ``<instance>:<group>/<kind>:<namespace>/<name>`` (§7.2); an object
    without a namespace (cluster-scoped ones too) gets ``default_namespace`` (the
    destination namespace).

    >>> tracking_id("guestbook", {"apiVersion": "apps/v1", "kind": "Deployment",
    ...                           "metadata": {"name": "web", "namespace": "default"}})
    'guestbook:apps/Deployment:default/web'
    """
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace") or default_namespace or ""
    return f"{instance}:{api_group(obj)}/{obj.get('kind', '')}:{namespace}/{meta.get('name', '')}"


def parse_tracking_id(value: str) -> tuple[str, str, str, str, str] | None:
    """(app, group, kind, namespace, name), or None when ``value`` is malformed.

    Only the first two ``:`` separate the parts, so an object name that holds ``:`` (RBAC
    names such as ``system:auth-delegator``) is kept whole, as Argo CD parses it.

    >>> parse_tracking_id("app:apps/Deployment:ns/web")
    ('app', 'apps', 'Deployment', 'ns', 'web')
    >>> parse_tracking_id("app:rbac.authorization.k8s.io/ClusterRole:ns/team:reader")[4]
    'team:reader'
    >>> parse_tracking_id("app:Deployment:ns/web") is None
    True
    """
    parts = value.split(":", 2)
    if len(parts) != 3:
        return None
    gk, nn = parts[1].split("/"), parts[2].split("/")
    if len(gk) != 2 or len(nn) != 2:
        return None
    return parts[0], gk[0], gk[1], nn[0], nn[1]


def tracking_label_value(instance: str) -> str:
    """The instance label value under ``annotation+label`` tracking: an instance name longer
    than 63 characters is cut to 63 and then loses trailing non-alphanumerics (a valid label
    value); a shorter one is kept as it is, as Argo CD does. A name whose first 63
    characters hold no letter or digit cannot become a label: :class:`PlanError`.

    >>> tracking_label_value("a" * 62 + "-b")
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
    >>> try:
    ...     tracking_label_value("-" * 70)
    ... except PlanError as exc:
    ...     print(exc)
    failed to set app instance label: unable to truncate label to not end with a special character
    """
    if len(instance) <= _LABEL_MAX:
        return instance
    value = _TRAILING_NON_ALNUM.sub("", instance[:_LABEL_MAX])
    if not value:
        raise PlanError(
            "failed to set app instance label: unable to truncate label to not end with a "
            "special character",
            instance=instance,
        )
    return value


def stamp_tracking(
    obj: Mapping[str, Any],
    instance: str,
    *,
    destination_namespace: str = "",
    method: TrackingMethod = "annotation",
    label_key: str = LABEL_INSTANCE,
    installation_id: str | None = None,
) -> dict[str, Any]:
    """``obj`` carrying the app's tracking as Argo CD writes it (§7.1-§7.4): the tracking-id
    annotation (``annotation``, the default; plus the installation id when given), the
    instance label (``label``, untruncated) or both (``annotation+label``, label cut by
    :func:`tracking_label_value`). CRDs are never stamped.

    Only ``metadata`` (and the maps changed in it) are copied; ``obj`` itself is returned
    when it already carries exactly this tracking.

    >>> svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ui"}}
    >>> stamp_tracking(svc, "guestbook", destination_namespace="default")["metadata"]["annotations"]
    {'argocd.argoproj.io/tracking-id': 'guestbook:/Service:default/ui'}
    """
    if (api_group(obj), obj.get("kind")) == _CRD:
        return obj if isinstance(obj, dict) else dict(obj)
    raw_meta = obj.get("metadata")
    meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
    new_meta = dict(meta)
    if method in ("annotation", "annotation+label"):
        raw_ann = meta.get("annotations")
        ann: dict[str, Any] = raw_ann if isinstance(raw_ann, dict) else {}
        wanted = {ANNOTATION_TRACKING_ID: tracking_id(instance, obj, destination_namespace)}
        if installation_id is not None:
            wanted[ANNOTATION_INSTALLATION_ID] = installation_id
        if any(ann.get(k) != v for k, v in wanted.items()):
            new_meta["annotations"] = {**ann, **wanted}
    if method in ("label", "annotation+label"):
        raw_labels = meta.get("labels")
        labels: dict[str, Any] = raw_labels if isinstance(raw_labels, dict) else {}
        value = instance if method == "label" else tracking_label_value(instance)
        if labels.get(label_key) != value:
            new_meta["labels"] = {**labels, label_key: value}
    if new_meta == meta:
        return obj if isinstance(obj, dict) else dict(obj)
    return {**obj, "metadata": new_meta}


def tracked_instance(obj: Mapping[str, Any], label_key: str = LABEL_INSTANCE) -> str | None:
    """The app instance an object's tracking names: the first part of its tracking-id
    annotation (None when that annotation is malformed: a broken id claims nothing), else,
    without the annotation, its instance label.

    >>> tracked_instance({"metadata": {"annotations": {
    ...     "argocd.argoproj.io/tracking-id": "web:apps/Deployment:shop/web"}}})
    'web'
    >>> tracked_instance({"metadata": {"labels": {"app.kubernetes.io/instance": "web"}}})
    'web'
    >>> tracked_instance({"metadata": {"annotations": {"argocd.argoproj.io/tracking-id": "x"},
    ...     "labels": {"app.kubernetes.io/instance": "web"}}}) is None
    True
    """
    meta = obj.get("metadata") or {}
    raw = (meta.get("annotations") or {}).get(ANNOTATION_TRACKING_ID)
    if raw is not None:
        instance, sep, _ = str(raw).partition(":")
        return instance if sep else None
    label = (meta.get("labels") or {}).get(label_key)
    return str(label) if label else None
