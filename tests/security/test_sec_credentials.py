"""Credentials never appear in an exception message, a repr, a log record or a CLI line; URL
option injection and transport helpers are refused; nothing from a repository is executed."""

from __future__ import annotations

import base64
import io
import logging
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from sec_fixtures import AppFor

import gitopslib
from gitopslib.cli import main
from gitopslib.errors import GitError, GitOpsError
from gitopslib.git import GitRepository
from gitopslib.git._credentials import HTTPSCredentials
from gitopslib.git._transport import parse_remote

TOKEN = "ghp_SUPERSECRETTOKEN0123456789"  # a fake token the tests hunt for


def _encodings(secret: str, user: str = "bot") -> list[str]:
    """The token and the Basic header values it travels as."""
    return [
        secret,
        base64.b64encode(f"{user}:{secret}".encode()).decode(),
        base64.b64encode(f"{secret}:".encode()).decode(),
    ]


def _clean(text: str) -> bool:
    return not any(s in text for s in _encodings(TOKEN))


class _Handler(BaseHTTPRequestHandler):
    """Answers every request with the status in the first path segment and a body that
    echoes the Authorization header back (as a misconfigured proxy or login page might)."""

    def do_GET(self) -> None:
        code = int(self.path.split("/")[1])
        self.send_response(code)
        if code == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="x"')
        self.end_headers()
        self.wfile.write(f"<html>echo {self.headers.get('Authorization')}</html>".encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[int]:
    """A loopback HTTP server (see _Handler); yields its port."""
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("status", [200, 401, 403, 404, 500])
@pytest.mark.parametrize("style", ["user:token in URL", "token as user in URL", "credentials"])
def test_git_errors_reprs_and_logs_never_show_the_token(
    http_server: int,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    status: int,
    style: str,
) -> None:
    """Whatever the server answers, the token (raw or as a Basic header) stays hidden."""
    base = f"127.0.0.1:{http_server}/{status}/repo.git"
    creds = None
    if style == "user:token in URL":
        url = f"http://bot:{TOKEN}@{base}"
    elif style == "token as user in URL":
        url = f"http://{TOKEN}@{base}"
    else:
        url, creds = f"http://{base}", HTTPSCredentials("bot", TOKEN)
    caplog.set_level(logging.DEBUG)
    repo = GitRepository(url, cache_dir=tmp_path, credentials=creds, retries=1, timeout=5)
    with pytest.raises(GitError) as info:
        repo.ls_remote()
    err = info.value
    shown = [str(err), repr(err), repr(err.args), repr(vars(err)), repr(repo), repo.url]
    shown.append(caplog.text)
    assert all(_clean(text) for text in shown)


def test_token_as_user_name_is_masked_in_reprs() -> None:
    """https://<token>@host: the user name is the secret, so reprs mask it."""
    remote = parse_remote(f"https://{TOKEN}@github.com/org/repo.git")
    assert TOKEN not in repr(remote)
    assert TOKEN not in repr(remote.embedded)
    assert TOKEN in (remote.embedded.secrets() if remote.embedded else ())


def test_malformed_url_is_a_git_error() -> None:
    """A URL urllib cannot split (an unclosed IPv6 bracket) is refused in the error tree."""
    with pytest.raises(GitError, match="refusing repository URL"):
        parse_remote(f"https://bot:{TOKEN}@[::1/repo.git")


def test_render_error_masks_repo_url(repo: Path, app_for: AppFor) -> None:
    """A missing app path names the repository without its token."""
    app = app_for({"repoURL": f"https://bot:{TOKEN}@example.com/r.git", "path": "missing"})
    with pytest.raises(GitOpsError) as info:
        gitopslib.render(app, repo_root=repo)
    assert _clean(str(info.value))
    assert "example.com/r.git" in str(info.value)


def test_helm_repository_chart_error_masks_repo_url(repo: Path, app_for: AppFor) -> None:
    """A Helm-repository chart source names the repository without its token."""
    app = app_for({"repoURL": f"https://bot:{TOKEN}@charts.example.com", "chart": "x"})
    with pytest.raises(GitOpsError) as info:
        gitopslib.render(app, repo_root=repo)
    assert _clean(str(info.value))


def _app_file(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "app.yaml"
    path.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        "metadata: {name: c, namespace: argocd}\nspec:\n  project: default\n"
        "  destination: {server: https://kubernetes.default.svc, namespace: default}\n"
        f"  source: {{{source}}}\n"
    )
    return path


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    "source",
    [
        f"repoURL: 'https://bot:{TOKEN}@127.0.0.1:1/org/repo.git', path: missing",
        f"repoURL: 'https://{TOKEN}@127.0.0.1:1/org/repo.git', path: missing",
        f"repoURL: 'https://bot:{TOKEN}@127.0.0.1:1/charts', chart: web",
    ],
)
@pytest.mark.parametrize("repo_root", [True, False])
def test_cli_error_and_progress_lines_mask_the_token(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
    repo_root: bool,
) -> None:
    """The CLI's error line (and progress lines on a terminal) never print the token."""
    app = _app_file(tmp_path, source)
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    argv = ["render", str(app), "--cache-dir", str(tmp_path / "cache")]
    if repo_root:
        argv += ["--repo-root", str(tmp_path)]
    assert main(argv, out=io.StringIO()) == 2
    text = terminal.getvalue()
    assert "gitopslib: error:" in text
    assert _clean(text)


def test_option_injection_and_transport_helpers_run_nothing(tmp_path: Path) -> None:
    """URLs that would run a command through git or ssh are refused before any connection."""
    marker = tmp_path / "pwned"
    urls = [
        f"--upload-pack=touch {marker}",
        f"ext::sh -c touch% {marker}",
        "fd::17",
        f"ssh://-oProxyCommand=touch {marker}/x",
        "git@-oProxyCommand=touch:x",
        "ssh://host/-x",
        "git://-h/x",
    ]
    for url in urls:
        with pytest.raises(GitError, match="refusing repository URL"):
            GitRepository(url, cache_dir=tmp_path / "cache").ls_remote()
    assert not marker.exists()


def test_repository_hooks_never_run(tmp_path: Path) -> None:
    """Fetching, resolving and checking out a local repository runs none of its hooks."""
    src = tmp_path / "src"
    marker = tmp_path / "hook-ran"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "init", "-q", "-b", "main", str(src)], env=env, check=True, timeout=30)
    (src / "a.txt").write_text("a\n")
    for hook in (
        "post-checkout",
        "post-merge",
        "pre-receive",
        "post-update",
        "reference-transaction",
    ):
        path = src / ".git" / "hooks" / hook
        path.write_text(f"#!/bin/sh\ntouch {marker}\n")
        path.chmod(0o755)
    for argv in (
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"],
    ):
        subprocess.run(["git", *argv], cwd=src, env=env, check=True, timeout=30)
    marker.unlink(missing_ok=True)  # our own git commit above may have run one
    repo = GitRepository(str(src), cache_dir=tmp_path / "cache")
    with repo.checkout(repo.resolve("main")) as root:
        assert (root / "a.txt").read_text() == "a\n"
    repo.fetch()
    assert not marker.exists()


def test_project_source_repo_violation_masks_the_token(app_for: AppFor) -> None:
    """A repoURL refused by sourceRepos is named without its token (message, value, repr)."""
    from gitopslib.project import AppProject

    project = AppProject.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\n"
        "metadata: {name: default, namespace: argocd}\n"
        "spec: {sourceRepos: ['https://github.com/allowed/*'], "
        "destinations: [{server: '*', namespace: '*'}]}\n"
    )
    app = app_for({"repoURL": f"https://bot:{TOKEN}@example.com/r.git", "path": "."})
    violations = project.check(app)
    assert violations
    assert all(_clean(str(v)) and _clean(repr(v)) for v in violations)
    assert any("example.com/r.git" in str(v) for v in violations)
