"""Credentials: Argo CD repository Secrets, SSH command construction, HTTP basic auth."""

from __future__ import annotations

import base64
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from gitlib_fixtures import Fixture

from gitopslib.errors import GitAuthError, GitError
from gitopslib.git import (
    GitRepository,
    HTTPSCredentials,
    SSHCredentials,
    build_ssh_command,
    credentials_from_secrets,
)

LABEL = "argocd.argoproj.io/secret-type"


def secret(kind: str, name: str, **data: str) -> dict[str, Any]:
    """An Argo CD declarative Secret (values in base64 `data`, as kubectl stores them)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "labels": {LABEL: kind}},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }


def test_repository_secret_matches_same_url() -> None:
    """A repository Secret applies to the same repository in another spelling."""
    s = secret("repository", "r", url="https://github.com/org/app.git", username="u", password="p")
    creds = credentials_from_secrets([s], "https://GitHub.com/org/app")
    assert creds == HTTPSCredentials("u", "p")


def test_repo_creds_longest_prefix_wins() -> None:
    """Of several matching templates the longest normalised prefix wins."""
    short = secret("repo-creds", "a", url="https://github.com", password="short")
    long = secret("repo-creds", "b", url="https://github.com/org", password="long")
    other = secret("repo-creds", "c", url="https://gitlab.com/org", password="other")
    creds = credentials_from_secrets([short, long, other], "https://github.com/org/app.git")
    assert creds == HTTPSCredentials("", "long")


def test_repository_without_creds_uses_template() -> None:
    """A repository Secret with only a URL takes credentials from the matching template."""
    repo = secret("repository", "r", url="https://github.com/org/app")
    tmpl = secret("repo-creds", "t", url="https://github.com/org", username="x", password="y")
    assert credentials_from_secrets([repo, tmpl], "https://github.com/org/app") == (
        HTTPSCredentials("x", "y")
    )


def test_ssh_key_secret_with_string_data_and_known_hosts() -> None:
    """sshPrivateKey in stringData gives SSH credentials; known_hosts is attached."""
    s = {
        "metadata": {"name": "k", "labels": {LABEL: "repo-creds"}},
        "stringData": {"url": "git@github.com:org", "sshPrivateKey": "KEYDATA-0123456789abcdef"},
    }
    creds = credentials_from_secrets([s], "git@github.com:org/app.git", known_hosts="kh")
    assert isinstance(creds, SSHCredentials)
    assert creds.known_hosts == "kh" and not creds.insecure_ignore_host_key
    assert creds.private_key == "KEYDATA-0123456789abcdef"


def test_unlabelled_or_unmatched_secrets_are_ignored() -> None:
    """Secrets without the label, or for other repositories, give nothing."""
    s = secret("repository", "r", url="https://example.com/x", password="p")
    unlabelled = {"metadata": {"name": "n"}, "stringData": {"url": "https://github.com/a/b"}}
    assert credentials_from_secrets([s, unlabelled], "https://github.com/a/b") is None


def test_bad_base64_is_a_clear_error() -> None:
    """Invalid base64 in data names the Secret and key."""
    bad = {"metadata": {"name": "broken", "labels": {LABEL: "repository"}}, "data": {"url": "%%"}}
    with pytest.raises(GitError, match=r"'broken': data\.url"):
        credentials_from_secrets([bad], "https://github.com/a/b")


def test_ssh_credentials_repr_masks_key() -> None:
    """The private key never appears in repr()."""
    creds = SSHCredentials("-----BEGIN KEY-----\nSECRETKEYMATERIAL0123\n-----END KEY-----")
    assert "SECRETKEYMATERIAL" not in repr(creds)


def test_ssh_command_is_strict_and_isolated() -> None:
    """The ssh argv uses batch mode, our known_hosts, strict checking and no user config."""
    argv = build_ssh_command(
        "github.com", b"git-upload-pack 'org/app.git'", username="git", port=2222,
        key_file="/k/id", known_hosts_file="/k/known_hosts", timeout=7,
    )  # fmt: skip
    assert argv[0] == "ssh"
    assert argv[-3:] == ["--", "github.com", "git-upload-pack 'org/app.git'"]
    joined = " ".join(argv)
    for opt in (
        "BatchMode=yes",
        "StrictHostKeyChecking=yes",
        "UserKnownHostsFile=/k/known_hosts",
        "-F /dev/null",
        "-i /k/id",
        "-p 2222",
        "-l git",
        "ConnectTimeout=7",
    ):
        assert opt in joined


def test_ssh_insecure_flag_is_explicit() -> None:
    """Host-key checking is only disabled by the explicit insecure flag."""
    argv = build_ssh_command("h", "cmd", insecure=True)
    assert "StrictHostKeyChecking=no" in argv


def test_ssh_without_known_hosts_is_refused(tmp_path: Path) -> None:
    """SSH credentials with neither known_hosts nor the insecure flag are refused."""
    repo = GitRepository(
        "git@127.0.0.1:org/app.git", cache_dir=tmp_path, credentials=SSHCredentials("KEY")
    )
    with pytest.raises(GitError, match="known_hosts"):
        repo.ls_remote()


# --- HTTP smart server with basic auth (dulwich.web on loopback) ---------------------------

USER, PASSWORD = "bot", "s3cr3t-http-token-42"


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def http_server(fixture_repo: Fixture) -> Iterator[str]:
    """dulwich's smart HTTP server for the fixture repo, requiring basic auth."""
    from dulwich.repo import Repo
    from dulwich.server import DictBackend
    from dulwich.web import make_wsgi_chain

    served = Repo(str(fixture_repo.bare))
    app = make_wsgi_chain(DictBackend({"/repo.git": served}))
    expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

    def auth(environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("HTTP_AUTHORIZATION") != expected:
            start("401 Unauthorized", [("WWW-Authenticate", 'Basic realm="git"')])
            return [b"no"]
        return app(environ, start)  # type: ignore[no-any-return]

    server: WSGIServer = make_server("127.0.0.1", 0, auth, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/repo.git"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
        served.close()


def test_http_basic_auth(http_server: str, fixture_repo: Fixture, tmp_path: Path) -> None:
    """Username/password credentials fetch over http(s) and read a file."""
    creds = HTTPSCredentials(USER, PASSWORD)
    with GitRepository(http_server, cache_dir=tmp_path, credentials=creds) as repo:
        sha = repo.resolve("main")
        assert sha == fixture_repo.shas["c2"]
        assert repo.read_file(sha, "README.md") == b"c2\n"


def test_http_credentials_in_url(http_server: str, fixture_repo: Fixture, tmp_path: Path) -> None:
    """Credentials embedded in the URL are used, and masked in repr."""
    url = http_server.replace("http://", f"http://{USER}:{PASSWORD}@")
    with GitRepository(url, cache_dir=tmp_path) as repo:
        assert repo.resolve("feature") == fixture_repo.shas["c3"]
        assert PASSWORD not in repr(repo)


def test_http_wrong_password(http_server: str, tmp_path: Path) -> None:
    """A refused password is GitAuthError, without the password in the message."""
    creds = HTTPSCredentials(USER, "wrong-password-xyz")
    repo = GitRepository(http_server, cache_dir=tmp_path, credentials=creds, retries=1)
    with pytest.raises(GitAuthError) as info:
        repo.resolve("main")
    assert "wrong-password-xyz" not in str(info.value)


def test_ssh_transport_to_closed_port_fails_cleanly(tmp_path: Path) -> None:
    """The real ssh client runs with our options; a refused connection is a masked GitError."""
    from gitlib_fixtures import free_port

    key = "-----BEGIN OPENSSH PRIVATE KEY-----\nNOTAREALKEYbutSECRETmaterial0123456789\n-----END"
    creds = SSHCredentials(key, insecure_ignore_host_key=True)
    url = f"ssh://git@127.0.0.1:{free_port()}/org/repo.git"
    repo = GitRepository(url, cache_dir=tmp_path, credentials=creds, retries=2, backoff=0.01)
    with pytest.raises(GitError) as info:
        repo.ls_remote()
    assert "NOTAREALKEY" not in str(info.value)
    assert not list(Path(tempfile.gettempdir()).glob("gitopslib-ssh-*/id"))  # key file removed


def test_http_write_back(http_server: str, fixture_repo: Fixture, tmp_path: Path) -> None:
    """commit_change pushes over smart HTTP with basic auth."""
    from gitlib_fixtures import git

    creds = HTTPSCredentials(USER, PASSWORD)
    with GitRepository(http_server, cache_dir=tmp_path, credentials=creds) as repo:
        result = repo.commit_change("main", {"README.md": "via http\n"}, "m", "Bot <b@x>")
    assert git("rev-parse", "main", cwd=fixture_repo.bare) == result.sha
