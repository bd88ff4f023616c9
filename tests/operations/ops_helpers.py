"""Helpers for the operations tests: a small directory app in a local folder, an
Application for it, and a fake clock so nothing waits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from gitopslib.models import Application

WEB = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:%s"}]
"""
SETTINGS = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: fast}
"""


class FakeTime:
    """A monotonic clock, a sleep that advances it, and a wall clock that follows it."""

    def __init__(self) -> None:
        self.t = 0.0
        self.slept: list[float] = []
        self.start = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)

    def clock(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.t)


def write_repo(root: Path, tag: str = "1.25") -> Path:
    """The app's folder: a ConfigMap and a Deployment running ``nginx:<tag>``."""
    app = root / "web"
    app.mkdir(parents=True, exist_ok=True)
    (app / "deploy.yaml").write_text(WEB % tag)
    (app / "settings.yaml").write_text(SETTINGS)
    return root


def make_app(policy: str = "", name: str = "web", extra: str = "") -> Application:
    return Application.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        f"metadata: {{name: {name}, namespace: argocd}}\n"
        "spec:\n  project: default\n"
        "  source: {repoURL: 'https://example.com/web.git', path: web, targetRevision: HEAD}\n"
        "  destination: {server: 'https://kubernetes.default.svc', namespace: shop}\n"
        + extra
        + policy
    )
