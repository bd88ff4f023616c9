"""``gitopslib get``'s text, as ``argocd app get`` prints it: the operation's own lines
(Operation, Sync Revision, Phase, Start, Finished, Message) and the resources table with the
operation's hook and message merged in; hooks are rows of their own."""

from __future__ import annotations

from gitopslib.cli.get import status_text
from gitopslib.models import Application, ApplicationStatus

APP = Application.from_yaml(
    "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: web}\n"
    "spec:\n  source: {repoURL: 'https://example.com/web.git', path: web}\n"
    "  destination: {server: 'https://kubernetes.default.svc', namespace: shop}\n"
)


def _table(text: str) -> list[list[str]]:
    return [line.split("  ") for line in text.split("\n\n")[-1].splitlines()]


def test_finished_operation_and_merged_table() -> None:
    """A finished sync: its lines, and each recorded resource with the operation's message;
    a hook the status does not list is a row of its own, its status the hook's phase."""
    status = ApplicationStatus.model_validate(
        {
            "sync": {"status": "Synced", "revision": "abc123"},
            "health": {"status": "Healthy"},
            "resources": [
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
        "Message:            successfully synced (all tasks run)\n\n"
    ) in text
    rows = [[cell.strip() for cell in row if cell.strip()] for row in _table(text)]
    assert rows == [
        ["KIND", "NAMESPACE", "NAME", "STATUS", "HEALTH", "HOOK", "MESSAGE"],
        ["ConfigMap", "shop", "settings", "Synced"],
        ["Deployment", "shop", "web", "Synced", "Healthy", "deployment.apps/web configured"],
        ["Job", "shop", "migrate", "Succeeded", "PreSync", "job completed"],
    ]
    wide = status_text(APP, status, wide=True).split("\n\n")[-1].splitlines()[0].split()
    assert wide[0] == "GROUP" and wide[-2:] == ["HEALTH", "MESSAGE"]


def test_never_synced_app_has_no_operation_lines() -> None:
    """No operation recorded: the header only (Target empty, not 'None')."""
    text = status_text(APP, ApplicationStatus())
    assert "Operation:" not in text and "KIND" not in text
    assert "Target:             \n" in text
