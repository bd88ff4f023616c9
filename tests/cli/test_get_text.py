"""``gitopslib get``'s text, as ``argocd app get`` prints it: the operation's own lines
(Operation, Sync Revision, Phase, Start, Finished, Duration, Message) and the resources table
with the operation's hook and message merged in; hooks are rows of their own."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gitopslib.cli.get import go_duration, status_text
from gitopslib.models import Application, ApplicationStatus

APP = Application.from_yaml(
    "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: web}\n"
    "spec:\n  source: {repoURL: 'https://example.com/web.git', path: web}\n"
    "  destination: {server: 'https://kubernetes.default.svc', namespace: shop}\n"
)


def _table(text: str) -> list[list[str]]:
    return [line.split("  ") for line in text.split("\n\n")[-1].splitlines()]


def test_finished_operation_and_merged_table() -> None:
    """A finished sync: its lines, and the table in argocd app get's order (its
    getResourceStates): the operation's results first, as they ran (a hook the status does not
    list is a row of its own, its status the hook's phase; a recorded resource has its sync
    status and health and the result's message), then the other recorded resources sorted by
    group/kind/namespace/name."""
    status = ApplicationStatus.model_validate(
        {
            "sync": {"status": "Synced", "revision": "abc123"},
            "health": {"status": "Healthy"},
            "resources": [
                {"kind": "Service", "namespace": "shop", "name": "api", "status": "Synced"},
                {"kind": "ConfigMap", "namespace": "shop", "name": "settings", "status": "Synced"},
                {
                    "group": "apps",
                    "kind": "Deployment",
                    "namespace": "shop",
                    "name": "web",
                    "status": "Synced",
                    "health": {"status": "Healthy"},
                },
            ],
            "operationState": {
                "phase": "Succeeded",
                "message": "successfully synced (all tasks run)",
                "startedAt": "2026-03-01T12:00:00Z",
                "finishedAt": "2026-03-01T12:00:10Z",
                "syncResult": {
                    "revision": "abc123",
                    "resources": [
                        {
                            "group": "batch",
                            "kind": "Job",
                            "namespace": "shop",
                            "name": "migrate",
                            "hookType": "PreSync",
                            "hookPhase": "Succeeded",
                            "message": "job completed",
                        },
                        {
                            "group": "apps",
                            "kind": "Deployment",
                            "namespace": "shop",
                            "name": "web",
                            "status": "Synced",
                            "message": "deployment.apps/web configured",
                        },
                    ],
                },
            },
        }
    )
    text = status_text(APP, status)
    assert (
        "\n\nOperation:          Sync\n"
        "Sync Revision:      abc123\n"
        "Phase:              Succeeded\n"
        "Start:              2026-03-01T12:00:00Z\n"
        "Finished:           2026-03-01T12:00:10Z\n"
        "Duration:           10s\n"
        "Message:            successfully synced (all tasks run)\n\n"
    ) in text
    rows = [[cell.strip() for cell in row if cell.strip()] for row in _table(text)]
    assert rows == [
        ["KIND", "NAMESPACE", "NAME", "STATUS", "HEALTH", "HOOK", "MESSAGE"],
        ["Job", "shop", "migrate", "Succeeded", "PreSync", "job completed"],
        ["Deployment", "shop", "web", "Synced", "Healthy", "deployment.apps/web configured"],
        ["ConfigMap", "shop", "settings", "Synced"],
        ["Service", "shop", "api", "Synced"],
    ]
    wide = status_text(APP, status, wide=True).split("\n\n")[-1].splitlines()[0].split()
    assert wide[0] == "GROUP" and wide[-2:] == ["HEALTH", "MESSAGE"]


def test_never_synced_app_has_no_operation_lines() -> None:
    """No operation recorded: the header only (Target empty, not 'None')."""
    text = status_text(APP, ApplicationStatus())
    assert "Operation:" not in text and "KIND" not in text
    assert "Target:             \n" in text


def test_running_operation_duration_runs_to_now() -> None:
    """A running operation (no finishedAt): Duration is now minus started, as Go prints a
    ``time.Duration``; it sits between Start and Message."""
    status = ApplicationStatus.model_validate(
        {
            "operationState": {
                "phase": "Running",
                "message": "waiting for healthy state of apps/Deployment/web",
                "startedAt": "2026-03-01T12:00:00Z",
            }
        }
    )
    now = datetime(2026, 3, 1, 14, 1, 30, 900000, tzinfo=UTC)
    text = status_text(APP, status, now=now)
    assert (
        "Phase:              Running\n"
        "Start:              2026-03-01T12:00:00Z\n"
        "Duration:           2h1m30s\n"
        "Message:            waiting for healthy state of apps/Deployment/web\n"
    ) in text
    assert "Finished:" not in text
    assert "Operation:" not in text  # no syncResult yet: argocd prints no Operation line


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (59, "59s"), (90, "1m30s"), (3600, "1h0m0s"), (7205, "2h0m5s"), (-5, "-5s")],
)
def test_go_duration(seconds: int, text: str) -> None:
    """Whole seconds as Go's ``time.Duration.String``."""
    assert go_duration(seconds) == text
