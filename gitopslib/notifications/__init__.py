"""Argo CD notifications, in-process: ``argocd-notifications-cm`` triggers, templates, services
and subscriptions evaluated and delivered from Python.

One module per concept: :mod:`~gitopslib.notifications.config` (the ConfigMap and Secret),
:mod:`~gitopslib.notifications.expr` (trigger conditions),
:mod:`~gitopslib.notifications.gotemplate` (Go templates),
:mod:`~gitopslib.notifications.helpers` (the variables both see),
:mod:`~gitopslib.notifications.state` (what was already sent),
:mod:`~gitopslib.notifications.services` (delivery) and :mod:`~gitopslib.notifications.notifier`
(the controller step that ties them together).
"""

from __future__ import annotations

from gitopslib.notifications.cluster_state import ClusterStateStore
from gitopslib.notifications.config import NotificationsConfig, ServiceConfig
from gitopslib.notifications.helpers import CommitMetadata
from gitopslib.notifications.notifier import ConditionResult, Delivery, Destination, Notifier
from gitopslib.notifications.state import NOTIFIED_ANNOTATION, StateStore

__all__ = [
    "NOTIFIED_ANNOTATION",
    "ClusterStateStore",
    "CommitMetadata",
    "ConditionResult",
    "Delivery",
    "Destination",
    "NotificationsConfig",
    "Notifier",
    "ServiceConfig",
    "StateStore",
]
