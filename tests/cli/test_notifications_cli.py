"""`gitopslib notifications`: Argo CD's offline notification tools on the guide's ConfigMap,
delivering to a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import http.server
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitopslib.cli import main

APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: guestbook, namespace: argocd}
spec:
  project: default
  source: {repoURL: https://example.com/guestbook.git, path: guestbook}
  destination: {server: https://kubernetes.default.svc, namespace: default}
status:
  sync: {status: Synced, revision: 4e2b1f0}
  health: {status: Healthy}
  operationState: {phase: Succeeded, startedAt: "2024-05-01T10:00:00Z"}
"""


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[int, list[tuple[str, bytes]]]]:
    """A local HTTP server keeping (path, body) of every POST."""
    seen: list[tuple[str, bytes]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append((self.path, self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv.server_address[1], seen
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def files(corpus_dir: Path, tmp_path: Path, server: tuple[int, list[tuple[str, bytes]]]) -> Path:
    """The guide's ConfigMap pointed at the local server, and an app with a status."""
    text = (corpus_dir / "seed/configmap-argocd-notifications-cm.yaml").read_text()
    (tmp_path / "cm.yaml").write_text(
        text.replace("https://oapi.dingtalk.com", f"http://127.0.0.1:{server[0]}")
    )
    (tmp_path / "app.yaml").write_text(APP)
    server[1].clear()
    return tmp_path


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_template_notify_delivers_to_recipient(
    files: Path, server: tuple[int, list[tuple[str, bytes]]]
) -> None:
    """`template notify ... --recipient webhook:dingtalk` posts the rendered body."""
    code, out = run(
        "notifications", "template", "notify", "app-sync-change", str(files / "app.yaml"),
        "--config", str(files / "cm.yaml"), "--recipient", "webhook:dingtalk",
    )  # fmt: skip
    assert (code, out) == (0, "dingtalk: sent\n")
    ((path, body),) = server[1]
    assert path.startswith("/robot/send?access_token=")
    assert json.loads(body)["markdown"]["text"].startswith(
        "### ArgoCD同步状态\n> - app名称: guestbook\n> - app同步状态: Succeeded\n"
    )


def test_template_notify_without_recipient_prints_fields(files: Path) -> None:
    """Without --recipient the rendered fields are printed and nothing is sent."""
    code, out = run(
        "notifications", "template", "notify", "app-sync-change", str(files / "app.yaml"),
        "--config", str(files / "cm.yaml"),
    )  # fmt: skip
    assert code == 0
    assert out.startswith("webhook:\n  dingtalk:\n    method: POST\n    body: |\n")
    assert "app名称: guestbook" in out


def test_template_notify_unknown_service_fails(files: Path) -> None:
    """An unknown recipient service is reported and the exit code is 1."""
    code, out = run(
        "notifications", "template", "notify", "app-sync-change", str(files / "app.yaml"),
        "--config", str(files / "cm.yaml"), "--recipient", "slack:ops",
    )  # fmt: skip
    assert (code, out) == (1, "slack:ops: failed: notification service 'slack' is not configured\n")


def test_trigger_run_shows_each_condition(files: Path) -> None:
    """`trigger run on-deployed` prints the condition, true, and the oncePer value."""
    code, out = run(
        "notifications", "trigger", "run", "on-deployed", str(files / "app.yaml"),
        "--config", str(files / "cm.yaml"), "-o", "json",
    )  # fmt: skip
    assert code == 0
    assert json.loads(out) == [
        {
            "condition": "app.status.operationState.phase in ['Succeeded'] and "
            "app.status.health.status == 'Healthy'",
            "result": True,
            "oncePer": "4e2b1f0",
            "send": ["app-sync-change"],
            "error": None,
        }
    ]


def test_trigger_and_template_get(files: Path) -> None:
    """`trigger get` lists the six triggers; `template get` the one template."""
    code, out = run("notifications", "trigger", "get", "--config", str(files / "cm.yaml"))
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == [
        "NAME", "on-deployed", "on-health-degraded", "on-sync-failed", "on-sync-running",
        "on-sync-status-unknown", "on-sync-succeeded",
    ]  # fmt: skip
    code, out = run("notifications", "template", "get", "--config", str(files / "cm.yaml"))
    assert (code, out.split()) == (0, ["NAME", "PREVIEW", "app-sync-change"])


def test_unknown_trigger_is_one_line_error(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A trigger the ConfigMap lacks: exit 2 and one line naming it."""
    code, _ = run(
        "notifications", "trigger", "run", "on-nothing", str(files / "app.yaml"),
        "--config", str(files / "cm.yaml"),
    )  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("gitopslib: error: trigger 'on-nothing' is not configured")
    assert err.count("\n") == 1


def test_get_of_a_name_the_configmap_lacks(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`trigger get NAME` / `template get NAME` of an undefined name: exit 2, one line; a
    defined name lists only it."""
    cm = str(files / "cm.yaml")
    for group, name in (("trigger", "on-nothing"), ("template", "no-template")):
        code, _ = run("notifications", group, "get", name, "--config", cm)
        assert code == 2
        assert capsys.readouterr().err == f"gitopslib: error: {group} {name!r} is not in {cm}\n"
    code, out = run("notifications", "trigger", "get", "on-deployed", "--config", cm)
    assert (code, [line.split()[0] for line in out.splitlines()]) == (0, ["NAME", "on-deployed"])
