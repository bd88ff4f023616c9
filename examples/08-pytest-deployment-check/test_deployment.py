"""Deployment checks for the web app, run with plain pytest: no cluster, no network.

The ``gitops`` fixture comes from gitopslib's pytest plugin (installed with gitopslib).
"""

import copy

from gitopslib.health import assess_health

APP = "application.yaml"
LIVE = "live"


def test_every_container_has_a_memory_limit(gitops):
    """Policy as a test: each container of each workload sets resources.limits.memory."""
    for obj in gitops.render(APP).manifests:
        if obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet"):
            for container in obj["spec"]["template"]["spec"]["containers"]:
                assert "memory" in container.get("resources", {}).get("limits", {}), (
                    f"{obj['kind']} {obj['metadata']['name']}: container {container['name']}"
                )


def test_live_state_has_not_drifted(gitops):
    """The snapshot of the cluster matches Git."""
    gitops.assert_no_drift(gitops.compare(APP, LIVE))


def test_live_workloads_are_healthy(gitops):
    """Every live object with a health check is Healthy."""
    for obj in gitops.compare(APP, LIVE).resources:
        health = assess_health(obj.live) if obj.live else None
        assert health is None or health.status == "Healthy", (obj.kind, obj.name, health)


def test_config_is_applied_before_the_deployment(gitops):
    """The ConfigMap's sync wave (-1) puts it before the Deployment in a fresh sync."""
    plan = gitops.plan(APP)
    gitops.assert_plan_order(plan, ["ConfigMap/web-config", "Deployment/web"])


def test_image_bump_changes_nothing_else(gitops):
    """A release changes only container images (what a release bot would commit)."""
    base = gitops.render(APP)
    head = copy.deepcopy(base.manifests)
    for obj in head:
        if obj["kind"] == "Deployment":
            obj["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
    gitops.assert_only_changes(base, head, paths=["/spec/template/spec/containers/*/image"])
