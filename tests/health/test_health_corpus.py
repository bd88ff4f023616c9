"""Health of real manifests from the corpus (argocd-example-apps), before any status exists."""

from __future__ import annotations

from pathlib import Path

from gitopslib.errors import ManifestError
from gitopslib.health import HealthStatus, HealthStatusCode, aggregate_health, assess_health
from gitopslib.manifest import key_of, load_manifests

H = HealthStatusCode


def test_fresh_guestbook_deployment_is_progressing(example_apps: Path) -> None:
    """A Deployment with no status yet waits for its rollout (0 of 1 replicas updated).

    Derived by hand: generation and observedGeneration both default to 0, spec.replicas is 1
    and status.updatedReplicas defaults to 0, so Argo CD's first rollout rule applies.
    """
    [dep] = load_manifests(example_apps / "guestbook" / "guestbook-ui-deployment.yaml")
    assert assess_health(dep) == HealthStatus(
        H.PROGRESSING,
        "Waiting for rollout to finish: 0 out of 1 new replicas have been updated...",
    )


def test_guestbook_service_is_healthy(example_apps: Path) -> None:
    """A ClusterIP Service (the default type) is Healthy as soon as it exists."""
    [svc] = load_manifests(example_apps / "guestbook" / "guestbook-ui-svc.yaml")
    assert assess_health(svc) == HealthStatus(H.HEALTHY)


def test_every_example_manifest_is_assessable(example_apps: Path) -> None:
    """Every plain YAML object in argocd-example-apps gets a verdict or None, never an error,
    and none is Unknown (all use supported API versions)."""
    rows = []
    for path in sorted(example_apps.rglob("*.yaml")):
        if "templates" in path.parts or path.name in ("Chart.yaml", "values.yaml"):
            continue
        try:
            objs = load_manifests(path)
        except ManifestError:  # templated inputs (Helm, Jsonnet) are not plain YAML
            continue
        for obj in objs:
            if not isinstance(obj.get("kind"), str) or "apiVersion" not in obj:
                continue
            health = assess_health(obj)
            assert health is None or health.status is not H.UNKNOWN, (path, health)
            rows.append((key_of(obj, "default"), health))
    assert len(rows) > 20
    assert aggregate_health(rows).status is H.PROGRESSING
