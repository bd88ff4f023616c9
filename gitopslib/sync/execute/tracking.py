"""The app's tracking on an applied object: :func:`stamp_tracking`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitopslib._jsondata import copy_json
from gitopslib.manifest import LABEL_INSTANCE
from gitopslib.tracking import TrackingMethod
from gitopslib.tracking import stamp_tracking as _stamp_tracking

__all__ = ["stamp_tracking"]


def stamp_tracking(
    obj: Mapping[str, Any],
    app_instance: str,
    *,
    destination_namespace: str = "",
    method: TrackingMethod = "annotation",
    label_key: str = LABEL_INSTANCE,
) -> dict[str, Any]:
    """A deep copy of ``obj`` carrying the app's tracking as Argo CD writes it (§7.1-§7.4):
    the tracking-id annotation (``annotation``, the default), the instance label (``label``,
    untruncated) or both (``annotation+label``, label truncated to 63 characters). CRDs are
    never stamped. See :func:`gitopslib.tracking.stamp_tracking`.

    >>> svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ui"}}
    >>> stamp_tracking(svc, "guestbook", destination_namespace="default")["metadata"]["annotations"]
    {'argocd.argoproj.io/tracking-id': 'guestbook:/Service:default/ui'}
    """
    return _stamp_tracking(
        copy_json(dict(obj)),
        app_instance,
        destination_namespace=destination_namespace,
        method=method,
        label_key=label_key,
    )
