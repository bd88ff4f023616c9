"""App health aggregation (Argo CD's setApplicationHealth) and the status order."""

from __future__ import annotations

from itertools import combinations
from typing import Any

import pytest

from gitopslib.health import HealthStatus, HealthStatusCode, aggregate_health, is_worse
from gitopslib.manifest import ResourceKey

H = HealthStatusCode
# Argo CD's healthOrder, best to worst, written out by hand from gitops-engine.
ARGO_ORDER = ["Healthy", "Suspended", "Progressing", "Missing", "Degraded", "Unknown"]


def obj(
    kind: str, name: str, group: str = "apps", annotations: dict[str, str] | None = None
) -> dict[str, Any]:
    api = f"{group}/v1" if group else "v1"
    meta: dict[str, Any] = {"name": name, "namespace": "prod"}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": api, "kind": kind, "metadata": meta}


def hs(code: H, message: str = "") -> HealthStatus:
    return HealthStatus(code, message)


def test_codes_are_declared_in_argo_order() -> None:
    """HealthStatusCode lists Argo CD's exact values from best to worst."""
    assert [c.value for c in HealthStatusCode] == ARGO_ORDER


@pytest.mark.parametrize(("better", "worse"), list(combinations(ARGO_ORDER, 2)))
def test_is_worse_follows_argo_order(better: str, worse: str) -> None:
    """is_worse(current, new) is True exactly when new comes later in Argo CD's order."""
    assert is_worse(better, worse)
    assert not is_worse(worse, better)


def test_empty_code_ranks_like_healthy() -> None:
    """An empty or unknown code ranks like Healthy, as in Argo CD's IsWorse."""
    assert not is_worse("Healthy", "")
    assert not is_worse("Healthy", "Bogus")
    assert is_worse("", "Suspended")


@pytest.mark.parametrize(("better", "worse"), list(combinations(ARGO_ORDER, 2)))
def test_simple_form_worst_wins(better: str, worse: str) -> None:
    """aggregate_health([hs, ...]) returns the worst status, whatever the input order."""
    items = [hs(H(better), "b"), hs(H(worse), "w")]
    assert aggregate_health(items) == hs(H(worse), "w")
    assert aggregate_health(list(reversed(items))) == hs(H(worse), "w")


def test_simple_form_empty_is_healthy() -> None:
    """No statuses (or only None and empty ones) aggregate to Healthy."""
    assert aggregate_health([]) == hs(H.HEALTHY)
    assert aggregate_health([None, HealthStatus(None)]) == hs(H.HEALTHY)


def test_rows_name_the_cause() -> None:
    """The row form's message names the resources behind the worst status."""
    rows = [
        (obj("Deployment", "web"), hs(H.HEALTHY)),
        (obj("StatefulSet", "db"), hs(H.DEGRADED, "boom")),
    ]
    assert aggregate_health(rows) == hs(H.DEGRADED, "Caused by apps/StatefulSet:prod/db")


def test_rows_cause_list_is_capped_at_three() -> None:
    """More than three causes: the first three are named, then "and N more"."""
    rows = [(obj("Pod", f"p{i}", group=""), hs(H.PROGRESSING)) for i in range(5)]
    assert aggregate_health(rows).message == (
        "Caused by Pod:prod/p0, Pod:prod/p1, Pod:prod/p2 and 2 more"
    )


def test_hooks_do_not_count() -> None:
    """A hook's health never affects the app."""
    hook = obj("Job", "migrate", group="batch", annotations={"argocd.argoproj.io/hook": "PreSync"})
    rows = [(obj("Deployment", "web"), hs(H.HEALTHY)), (hook, hs(H.DEGRADED))]
    assert aggregate_health(rows).status is H.HEALTHY


def test_ignore_healthcheck_annotation_skips_resource() -> None:
    """argocd.argoproj.io/ignore-healthcheck: "true" removes a resource from the verdict."""
    ignored = obj(
        "Deployment", "batchy", annotations={"argocd.argoproj.io/ignore-healthcheck": "true"}
    )
    rows = [(obj("Deployment", "web"), hs(H.HEALTHY)), (ignored, hs(H.DEGRADED))]
    assert aggregate_health(rows).status is H.HEALTHY


@pytest.mark.parametrize("value", ["True", "TRUE", "yes", " true"])
def test_ignore_healthcheck_needs_exactly_true(value: str) -> None:
    """§6.4: Argo CD compares the annotation with "true" exactly (setApplicationHealth), so
    any other spelling leaves the resource in the verdict."""
    counted = obj(
        "Deployment", "batchy", annotations={"argocd.argoproj.io/ignore-healthcheck": value}
    )
    rows = [(obj("Deployment", "web"), hs(H.HEALTHY)), (counted, hs(H.DEGRADED))]
    assert aggregate_health(rows).status is H.DEGRADED


def test_missing_resources_do_not_lower_health() -> None:
    """A Missing resource does not make the app Missing while others are live."""
    rows = [
        (ResourceKey("apps", "Deployment", "prod", "web"), hs(H.HEALTHY)),
        (ResourceKey("", "Service", "prod", "web"), hs(H.MISSING)),
    ]
    assert aggregate_health(rows).status is H.HEALTHY


def test_all_missing_is_missing() -> None:
    """An app whose resources are all missing is Missing."""
    rows = [
        (ResourceKey("apps", "Deployment", "prod", "web"), hs(H.MISSING)),
        (ResourceKey("", "Service", "prod", "web"), hs(H.MISSING)),
    ]
    assert aggregate_health(rows).status is H.MISSING


def test_ignored_but_live_resource_prevents_missing() -> None:
    """A live resource counts as present even when its health check is ignored."""
    ignored = obj(
        "Deployment", "batchy", annotations={"argocd.argoproj.io/ignore-healthcheck": "true"}
    )
    rows = [(ignored, hs(H.DEGRADED)), (ResourceKey("", "Service", "prod", "a"), hs(H.MISSING))]
    assert aggregate_health(rows).status is H.HEALTHY


def test_missing_message_names_the_missing() -> None:
    """When nothing is live, the message names the missing resources."""
    rows = [(ResourceKey("", "Service", "prod", "a"), hs(H.MISSING))]
    assert aggregate_health(rows) == hs(H.MISSING, "Caused by Service:prod/a")


@pytest.mark.parametrize("code", [H.MISSING, H.UNKNOWN])
def test_child_application_missing_or_unknown_is_skipped(code: H) -> None:
    """A child Application that is Missing or Unknown does not affect its parent."""
    rows = [
        (ResourceKey("apps", "Deployment", "prod", "web"), hs(H.HEALTHY)),
        (ResourceKey("argoproj.io", "Application", "argocd", "child"), hs(code)),
    ]
    assert aggregate_health(rows).status is H.HEALTHY


def test_child_application_degraded_counts() -> None:
    """A Degraded child Application does make the parent Degraded."""
    rows = [(ResourceKey("argoproj.io", "Application", "argocd", "child"), hs(H.DEGRADED))]
    assert aggregate_health(rows) == hs(
        H.DEGRADED, "Caused by argoproj.io/Application:argocd/child"
    )


def test_resources_without_health_are_skipped() -> None:
    """A row with no health (a ConfigMap) counts as live but not toward the verdict."""
    rows = [(obj("ConfigMap", "cfg", group=""), None)]
    assert aggregate_health(rows).status is H.HEALTHY


def test_self_managed_app_row_is_skipped() -> None:
    """The app's own row (app_key) is ignored."""
    me = ResourceKey("argoproj.io", "Application", "argocd", "me")
    rows = [(me, hs(H.PROGRESSING)), (ResourceKey("", "Service", "prod", "a"), hs(H.HEALTHY))]
    assert aggregate_health(rows, app_key=me).status is H.HEALTHY


def test_malformed_rows_are_a_clear_error() -> None:
    """A bare object (not a (object, status) row) is refused with a readable error."""
    from gitopslib.errors import HealthError

    with pytest.raises(HealthError, match="expects HealthStatus items"):
        aggregate_health([obj("Deployment", "web")])  # type: ignore[list-item]
