"""Parse and vet repository URLs, and build dulwich clients with timeouts.

Every URL goes through :func:`parse_remote` first, which refuses option injection (a URL,
host, user or path starting with ``-``), transport-helper syntax (``ext::``, ``fd::``) and
unknown schemes. Clients never read a Git config, so nothing a repository or the user's
``~/.gitconfig`` says (``url.insteadOf``, ``core.sshCommand``, proxies commands) is honoured.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from dulwich.client import (
    GitClient,
    LocalGitClient,
    SSHGitClient,
    SSHVendor,
    SubprocessWrapper,
    TCPGitClient,
    Urllib3HttpGitClient,
    default_urllib3_manager,
)
from dulwich.protocol import Protocol

from gitopslib.errors import GitError
from gitopslib.git._credentials import Credentials, HTTPSCredentials, SSHCredentials
from gitopslib.giturl import mask_credentials

__all__ = ["Remote", "build_ssh_command", "open_client", "parse_remote"]

_SCHEMES = {"http", "https", "git", "ssh", "git+ssh", "ssh+git", "file"}
_TRANSPORT_HELPER = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*::")
_SCP = re.compile(r"(?:(?P<user>[^@/:]+)@)?(?P<host>\[[^\]]+\]|[^/:\[\]]+):(?P<path>.*)", re.S)


@dataclass(frozen=True)
class Remote:
    """A vetted remote: where and how to connect (no credentials inside)."""

    kind: str  # "http" | "git" | "ssh" | "local"
    url: str  # the URL without embedded credentials (what dulwich is given)
    display: str  # credential-masked, for messages
    key: str  # identity of the repository for the cache (credential-free)
    host: str = ""
    port: int | None = None
    username: str | None = None
    path: str = ""
    embedded: HTTPSCredentials | None = field(default=None, repr=False)


def _refuse(url: str, why: str) -> GitError:
    shown = mask_credentials(url)
    return GitError(f"refusing repository URL {shown!r}: {why}", url=shown)


def parse_remote(url: str) -> Remote:
    """Vet ``url`` and split it into what a client needs.

    >>> parse_remote("git@github.com:org/repo.git").kind
    'ssh'
    >>> parse_remote("https://tok@github.com/o/r").display
    'https://***@github.com/o/r'
    """
    if not isinstance(url, str):
        raise GitError(f"repository URL must be a string, got {type(url).__name__}", url="")
    if not url.strip():
        raise GitError("repository URL is empty", url="")
    text = url.strip()
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        raise _refuse(text, "it contains control characters")
    if text.startswith("-"):
        raise _refuse(text, "it starts with '-' (option injection)")
    if _TRANSPORT_HELPER.match(text):
        raise _refuse(text, "transport-helper URLs (such as ext::) can run commands")
    if "://" in text:
        return _parse_url(text)
    scp = _SCP.fullmatch(text)
    if scp and "/" not in text.split(":", 1)[0] and not re.fullmatch(r"[A-Za-z]:[\\/].*", text):
        user, host, path = scp.group("user"), scp.group("host"), scp.group("path")
        _check_ssh_parts(text, host, user, path)
        display = mask_credentials(text)
        key = f"ssh://{user + '@' if user else ''}{host}/{path.lstrip('/')}"
        return Remote("ssh", text, display, key, host=host.strip("[]"), username=user, path=path)
    local = Path(text).expanduser().resolve()
    return Remote("local", str(local), str(local), str(local), path=str(local))


def _check_ssh_parts(text: str, host: str, user: str | None, path: str) -> None:
    if host.startswith("-") or (user or "").startswith("-"):
        raise _refuse(text, "an SSH host or user starting with '-' (option injection)")
    if path.startswith("-"):
        raise _refuse(text, "a repository path starting with '-' (option injection)")
    if not host:
        raise _refuse(text, "no host")


def _parse_url(text: str) -> Remote:
    try:
        parts = urlsplit(text)
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        raise _refuse(text, str(exc)) from None
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise _refuse(text, f"unsupported scheme {scheme!r} (use https, http, ssh, git or file)")
    display = mask_credentials(text)
    try:
        port = parts.port
    except ValueError:
        raise _refuse(text, "invalid port") from None
    host = parts.hostname or ""
    if scheme == "file":
        local = Path(unquote(parts.path)).resolve()
        return Remote("local", str(local), display, str(local), path=str(local))
    if not host:
        raise _refuse(text, "no host")
    user = unquote(parts.username) if parts.username is not None else None
    netloc_host = parts.netloc.rsplit("@", 1)[-1]
    if scheme in ("http", "https"):
        embedded = None
        if user is not None or parts.password is not None:
            embedded = HTTPSCredentials(user or "", unquote(parts.password or ""))
        clean = urlunsplit((scheme, netloc_host, parts.path, parts.query, ""))
        key = urlunsplit((scheme, netloc_host, parts.path, "", ""))
        return Remote("http", clean, display, key, host=host, port=port, embedded=embedded)
    if parts.password is not None:
        raise _refuse(text, "passwords in ssh:// or git:// URLs are not supported")
    path = unquote(parts.path)
    if scheme == "git":
        if host.startswith("-"):
            raise _refuse(text, "a host starting with '-' (option injection)")
        clean = urlunsplit(("git", netloc_host, parts.path, "", ""))
        return Remote("git", clean, display, clean, host=host, port=port, path=path)
    _check_ssh_parts(text, host, user, path.lstrip("/"))
    userpart = quote(user, safe="") + "@" if user else ""
    clean = urlunsplit(("ssh", userpart + netloc_host, parts.path, "", ""))
    return Remote("ssh", clean, display, clean, host=host, port=port, username=user, path=path)


# --- clients ----------------------------------------------------------------------------------


class _TimeoutTCPGitClient(TCPGitClient):
    """git:// with a connect and read timeout (dulwich's client has none)."""

    def __init__(self, host: str, port: int | None, timeout: float, **kwargs: Any) -> None:
        super().__init__(host, port=port, **kwargs)
        self._timeout = timeout
        self._open: list[Protocol] = []

    def close(self) -> None:
        """Close every connection this client opened (also after a failure mid-protocol)."""
        while self._open:
            with contextlib.suppress(Exception):
                self._open.pop().close()
        super().close()

    def _connect(
        self, cmd: bytes, path: str | bytes, protocol_version: int | None = None
    ) -> tuple[Protocol, Callable[[], bool], IO[bytes] | None]:
        if not isinstance(path, bytes):
            path = path.encode("utf-8")
        sock = socket.create_connection((self._host, self._port), timeout=self._timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        rfile = sock.makefile("rb", -1)
        wfile = sock.makefile("wb", 0)

        def close() -> None:
            rfile.close()
            wfile.close()
            sock.close()

        def shutdown_write() -> None:
            wfile.flush()
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_WR)

        proto = Protocol(rfile.read, wfile.write, close, shutdown_write=shutdown_write)
        self._open.append(proto)
        if path.startswith(b"/~"):
            path = path[1:]
        # Protocol v0/v1 everywhere: simple, and what every server speaks.
        self.protocol_version = 0
        proto.send_cmd(b"git-" + cmd, path, b"host=" + self._host.encode("ascii"))

        def can_read() -> bool:
            import select

            return bool(select.select([sock], [], [], 0)[0])

        return proto, can_read, None


def build_ssh_command(
    host: str,
    command: bytes | str,
    *,
    username: str | None = None,
    port: int | None = None,
    key_file: str | None = None,
    known_hosts_file: str | None = None,
    insecure: bool = False,
    timeout: float = 30.0,
    isolated: bool = True,
) -> list[str]:
    """The ``ssh`` argv used for an SSH remote (pure; exposed for inspection and tests).

    ``isolated`` ignores the user's ssh config and agent so that only the given key and
    known-hosts are used. Host-key checking is strict unless ``insecure``.

    >>> build_ssh_command("h", "git-upload-pack 'r'", known_hosts_file="/kh")[-2:]
    ['h', "git-upload-pack 'r'"]
    """
    if host.startswith("-") or (username or "").startswith("-"):
        raise GitError("refusing an SSH host or user starting with '-'", url=None)
    args = [
        "ssh",
        "-x",
        "-T",
        "-o",
        "BatchMode=yes",
        "-o",
        f"ConnectTimeout={max(1, int(timeout))}",
    ]
    args += ["-o", "ServerAliveInterval=10", "-o", "ServerAliveCountMax=3"]
    if isolated:
        args += ["-F", "/dev/null", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none"]
    if key_file:
        args += ["-i", key_file]
    if insecure:
        args += ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]
    elif known_hosts_file:
        args += ["-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={known_hosts_file}"]
    if port:
        args += ["-p", str(port)]
    if username:
        args += ["-l", username]
    cmd = command.decode("utf-8") if isinstance(command, bytes) else command
    return [*args, "--", host, cmd]


class _SSHVendor(SSHVendor):
    """dulwich SSH vendor running the system ``ssh`` with our fixed options."""

    def __init__(self, timeout: float, key_file: str | None, known_hosts: str | None,
                 insecure: bool, isolated: bool) -> None:  # fmt: skip
        self._timeout = timeout
        self._key_file = key_file
        self._known_hosts = known_hosts
        self._insecure = insecure
        self._isolated = isolated
        self._open: list[SubprocessWrapper] = []

    def close_all(self) -> None:
        """Close every ssh process this vendor started (also after a protocol error)."""
        while self._open:
            wrapper = self._open.pop()
            with contextlib.suppress(Exception):
                if wrapper.proc.poll() is None:
                    wrapper.proc.kill()
                wrapper.close(timeout=5)

    def run_command(
        self,
        host: str,
        command: bytes,
        username: str | None = None,
        port: int | None = None,
        password: str | None = None,
        key_filename: str | None = None,
        ssh_command: str | None = None,
        protocol_version: int | None = None,
    ) -> SubprocessWrapper:
        argv = build_ssh_command(
            host,
            command,
            username=username,
            port=port,
            key_file=self._key_file,
            known_hosts_file=self._known_hosts,
            insecure=self._insecure,
            timeout=self._timeout,
            isolated=self._isolated,
        )
        proc = subprocess.Popen(
            argv,
            bufsize=0,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")},
        )
        wrapper = SubprocessWrapper(proc)
        self._open.append(wrapper)
        return wrapper


class _TrackedSSHGitClient(SSHGitClient):
    """SSH client that closes every protocol it opened, even after a failure."""

    _opened: list[Protocol]

    def _connect(
        self, cmd: bytes, path: str | bytes, protocol_version: int | None = None
    ) -> tuple[Protocol, Callable[[], bool], IO[bytes] | None]:
        proto, can_read, stderr = super()._connect(cmd, path, protocol_version)
        self.__dict__.setdefault("_opened", []).append(proto)
        return proto, can_read, stderr

    def close(self) -> None:
        for proto in self.__dict__.get("_opened", []):
            with contextlib.suppress(Exception):
                proto.close()
        self.__dict__["_opened"] = []
        super().close()


class _TrackingPool:
    """Wraps dulwich's urllib3 pool manager to close every response (even on errors)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._responses: list[Any] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def request(self, *args: Any, **kwargs: Any) -> Any:
        resp = self._inner.request(*args, **kwargs)
        self._responses.append(resp)
        return resp

    def close_all(self) -> None:
        for resp in self._responses:
            with contextlib.suppress(Exception):
                resp.close()
            with contextlib.suppress(Exception):
                if resp.connection is not None:
                    resp.connection.close()
        self._responses.clear()
        with contextlib.suppress(Exception):
            self._inner.clear()


class _NoHooksLocalGitClient(LocalGitClient):
    """Local transport; dulwich runs no hooks on fetch or push, we rely on that."""


@contextlib.contextmanager
def open_client(
    remote: Remote, credentials: Credentials | None, timeout: float
) -> Iterator[tuple[GitClient, str]]:
    """A dulwich client and the path to give it, closed afterwards."""
    tmp: tempfile.TemporaryDirectory[str] | None = None
    vendor: _SSHVendor | None = None
    client: GitClient
    try:
        if remote.kind == "local":
            client, path = _NoHooksLocalGitClient(), remote.path
        elif remote.kind == "git":
            client = _TimeoutTCPGitClient(remote.host, remote.port, timeout)
            path = remote.path
        elif remote.kind == "http":
            creds = credentials if isinstance(credentials, HTTPSCredentials) else None
            creds = creds or remote.embedded
            pool = _TrackingPool(
                default_urllib3_manager(None, base_url=remote.url, timeout=timeout)
            )
            client = Urllib3HttpGitClient(
                remote.url,
                pool_manager=pool,  # type: ignore[arg-type]
                username=creds.username if creds else None,
                password=creds.password if creds else None,
                timeout=timeout,
            )
            path = urlsplit(remote.url).path
        else:
            key_file = known = None
            insecure = False
            isolated = isinstance(credentials, SSHCredentials)
            if isinstance(credentials, SSHCredentials):
                tmp = tempfile.TemporaryDirectory(prefix="gitopslib-ssh-")
                if credentials.private_key:
                    key_path = Path(tmp.name) / "id"
                    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(fd, "w") as fh:
                        fh.write(credentials.private_key.rstrip("\n") + "\n")
                    key_file = str(key_path)
                insecure = credentials.insecure_ignore_host_key
                if not insecure:
                    if credentials.known_hosts is None:
                        raise GitError(
                            f"SSH credentials for {remote.display} have no known_hosts; "
                            "give known_hosts or set insecure_ignore_host_key=True",
                            url=remote.display,
                        )
                    known_path = Path(tmp.name) / "known_hosts"
                    known_path.write_text(credentials.known_hosts, encoding="utf-8")
                    known = str(known_path)
            username = remote.username
            if isinstance(credentials, SSHCredentials) and credentials.username:
                username = credentials.username
            vendor = _SSHVendor(timeout, key_file, known, insecure, isolated)
            client = _TrackedSSHGitClient(
                remote.host,
                port=remote.port,
                username=username,
                vendor=vendor,
                ssh_command=shlex.quote("ssh"),
            )
            path = remote.path
        try:
            yield client, path
        finally:
            client.close()
            tracked = getattr(client, "pool_manager", None)
            if isinstance(tracked, _TrackingPool):
                tracked.close_all()
            if vendor is not None:
                vendor.close_all()
    finally:
        if tmp is not None:
            tmp.cleanup()
