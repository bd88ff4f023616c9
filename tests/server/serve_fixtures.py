"""Helpers for the serve tests: a Git repository of two apps served by a real ``git daemon``,
uvicorn on a loopback port (in-process or as a ``gitopslib serve`` subprocess) and waiting."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from git_daemon import free_port, run_git
from git_daemon import git_daemon as git_daemon  # a read-only server for build_repo


def git(*args: str | Path, cwd: Path | None = None) -> str:
    """Run the git CLI (fixtures only)."""
    return run_git(*args, cwd=cwd)


def wait_for(check: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll ``check`` until it returns a truthy value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def passes(controller: Any, name: str) -> int:
    """How many reconcile passes the serve controller has made of app ``name`` (-1 before
    it has the app)."""
    rec = controller.record(name)
    return int(rec.passes) if rec is not None else -1


def configmap(name: str, value: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\ndata: {{v: '{value}'}}\n"


@dataclass
class Repo:
    """A work tree pushed into a bare repository that git daemon serves."""

    work: Path
    bare: Path
    url: str

    def commit(self, files: dict[str, str], message: str = "change") -> str:
        """Write files, commit and push to the served repository; the new commit SHA."""
        for rel, text in files.items():
            path = self.work / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        git("add", ".", cwd=self.work)
        git("commit", "-qm", message, cwd=self.work)
        git("push", "-q", str(self.bare), "main", cwd=self.work)
        return git("rev-parse", "HEAD", cwd=self.work)


def build_repo(root: Path, port: int) -> Repo:
    """main: apps/web and apps/api, one ConfigMap each, plus a README."""
    work = root / "work"
    git("init", "-q", "-b", "main", work)
    bare = root / "served" / "apps.git"
    bare.parent.mkdir(parents=True, exist_ok=True)
    repo = Repo(work, bare, f"git://127.0.0.1:{port}/apps.git")
    (work / "README.md").write_text("apps\n")
    (work / "apps" / "web").mkdir(parents=True)
    (work / "apps" / "api").mkdir(parents=True)
    (work / "apps" / "web" / "cm.yaml").write_text(configmap("web", "1"))
    (work / "apps" / "api" / "cm.yaml").write_text(configmap("api", "1"))
    git("add", ".", cwd=work)
    git("commit", "-qm", "init", cwd=work)
    git("init", "-q", "--bare", "-b", "main", bare)
    git("push", "-q", str(bare), "main", cwd=work)
    return repo


def application(name: str, repo_url: str, path: str, *, annotate: bool = True) -> str:
    """An auto-synced Application YAML for one path of the repository."""
    annotation = (
        "\n  annotations: {argocd.argoproj.io/manifest-generate-paths: .}" if annotate else ""
    )
    return f"""apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
  namespace: argocd{annotation}
spec:
  project: default
  source: {{repoURL: '{repo_url}', path: {path}, targetRevision: main}}
  destination: {{server: 'https://kubernetes.default.svc', namespace: {name}}}
  syncPolicy: {{automated: {{prune: true}}, syncOptions: [CreateNamespace=true]}}
"""


class InProcessServer:
    """``create_app(settings)`` served by uvicorn on a thread, on a free loopback port."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.app = app
        self.port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_config=None, lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> InProcessServer:
        self.thread.start()
        wait_for(lambda: self.server.started, 30, "uvicorn")
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)


@contextmanager
def serve_process(args: list[str], cwd: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``gitopslib serve ARGS --listen 127.0.0.1:<free>`` as a subprocess; yields it and
    its base URL once /healthz answers 200."""
    port = free_port()
    cmd = [sys.executable, "-m", "gitopslib.cli", "serve", *args, "--listen", f"127.0.0.1:{port}"]
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in the finally below
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=log, text=True)
    url = f"http://127.0.0.1:{port}"
    try:

        def healthy() -> bool:
            if proc.poll() is not None:
                log.seek(0)
                raise AssertionError(f"serve exited: {log.read()[-2000:]}")
            try:
                return httpx.get(url + "/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(healthy, 60, "serve to answer /healthz")
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
