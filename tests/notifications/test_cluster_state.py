"""Notified state kept in a cluster (MemoryCluster here), so a restarted notifier that gets a
fresh copy of the app does not send again."""

from __future__ import annotations

import copy
from typing import Any

from notify_servers import Recorder

from gitopslib.cluster import MemoryCluster
from gitopslib.manifest import ResourceKey
from gitopslib.notifications import NOTIFIED_ANNOTATION, Notifier
from gitopslib.notifications.cluster_state import ClusterStateStore

APP: dict[str, Any] = {
    "metadata": {
        "name": "web",
        "namespace": "team-a",
        "annotations": {"notifications.argoproj.io/subscribe.on-synced.hook": ""},
    },
    "status": {"sync": {"status": "Synced", "revision": "r1"}},
}


def config(url: str) -> dict[str, Any]:
    return {
        "data": {
            "service.webhook.hook": f"url: {url}",
            "template.t": "message: hi",
            "trigger.on-synced": (
                "- when: app.status.sync.status == 'Synced'\n"
                "  oncePer: app.status.sync.revision\n  send: [t]"
            ),
        }
    }


def test_restarted_notifier_reads_state_from_the_cluster(http: Recorder) -> None:
    """Two Notifier instances (two processes) sharing a cluster send once for r1."""
    cluster = MemoryCluster()
    first = Notifier.from_yaml(config(http.url), state_store=ClusterStateStore(cluster))
    assert [d.sent for d in first.process(copy.deepcopy(APP))] == [True]
    second = Notifier.from_yaml(config(http.url), state_store=ClusterStateStore(cluster))
    assert second.process(copy.deepcopy(APP)) == []
    assert len(http.requests) == 1


def test_state_object_is_a_labelled_configmap_with_argo_annotation(http: Recorder) -> None:
    """The state lives on ConfigMap gitopslib.notified.<app> in the app's namespace, under
    Argo CD's annotation key."""
    cluster = MemoryCluster()
    Notifier.from_yaml(config(http.url), state_store=ClusterStateStore(cluster)).process(
        copy.deepcopy(APP)
    )
    obj = cluster.get(ResourceKey("", "ConfigMap", "team-a", "gitopslib.notified.web"))
    assert obj is not None
    assert obj["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "gitopslib"}
    assert obj["metadata"]["annotations"][NOTIFIED_ANNOTATION].startswith('{"r1:on-synced:')
