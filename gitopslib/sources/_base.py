"""What every renderer shares: the protocol, the context it is handed, path confinement and
the one way engines are run (no shell, a timeout, a minimal environment).

Renderers reach the outside only through a :class:`CommandRunner`, so tests and embedders can
inject another runner (for example one that records commands).
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import signal
import stat
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from gitopslib.errors import CommandError, CommandTimeoutError, PathEscapeError, RenderError
from gitopslib.tracking import app_instance_name

if TYPE_CHECKING:
    from gitopslib.models import Application, ApplicationSource

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_OUTPUT_BYTES",
    "CommandResult",
    "CommandRunner",
    "RenderContext",
    "Renderer",
    "SubprocessRunner",
    "app_instance_name",
    "build_env",
    "check_tree_confined",
    "confined_path",
    "envsubst",
    "is_inside",
    "minimal_env",
    "tool_kube_version",
]

#: Argo CD's ``ARGOCD_EXEC_TIMEOUT`` default, in seconds.
DEFAULT_TIMEOUT = 90.0

#: Variables passed through from our own environment to every engine; nothing else leaks.
_PASSTHROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR")


def minimal_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A small environment for an engine process: PATH and friends plus ``extra``."""
    env = {k: os.environ[k] for k in _PASSTHROUGH if k in os.environ}
    env.setdefault("PATH", os.defpath)
    if extra:
        env.update(extra)
    return env


@dataclass(frozen=True)
class CommandResult:
    """What a finished process gave back."""

    command: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str


class CommandRunner(Protocol):
    """Runs an engine. Implementations must not use a shell and must honour ``timeout``."""

    def run(
        self,
        command: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        timeout: float = DEFAULT_TIMEOUT,
        stdin: str | None = None,
        check: bool = True,
    ) -> CommandResult: ...


def _tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


#: Bound on what one engine run may print on stdout; more fails the run (the process group
#: is killed) instead of exhausting memory.
MAX_OUTPUT_BYTES = 256 * 1024 * 1024
#: How much of stderr is kept (its tail) for error messages.
_STDERR_KEEP = 1024 * 1024


def _decode(data: bytes) -> str:
    """Text as ``subprocess``'s text mode gives it (UTF-8, universal newlines), never failing
    on bytes that are not UTF-8."""
    text = data.decode("utf-8", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _pump(
    proc: subprocess.Popen[bytes], stdin: bytes | None, deadline: float, limit: int
) -> tuple[bytes, bytes, str | None]:
    """Feed ``stdin`` and collect stdout/stderr until both close, the deadline passes
    (``"timeout"``) or stdout grows past ``limit`` (``"overflow"``). A descendant that left
    the process group and holds the pipes open cannot stretch this past the deadline."""
    out, err = bytearray(), bytearray()
    sel = selectors.DefaultSelector()
    view = memoryview(stdin or b"")
    offset = 0
    try:
        if proc.stdin is not None:
            if view:
                sel.register(proc.stdin, selectors.EVENT_WRITE)
            else:
                proc.stdin.close()
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                sel.register(pipe, selectors.EVENT_READ)
        while sel.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return bytes(out), bytes(err), "timeout"
            for key, _ in sel.select(remaining):
                if key.fileobj is proc.stdin:
                    try:
                        offset += os.write(key.fd, view[offset : offset + 65536])
                    except BrokenPipeError:
                        offset = len(view)
                    if offset >= len(view):
                        sel.unregister(key.fileobj)
                        proc.stdin.close()
                    continue
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    sel.unregister(key.fileobj)
                    continue
                if key.fileobj is proc.stdout:
                    out += chunk
                    if len(out) > limit:
                        return bytes(out[:limit]), bytes(err), "overflow"
                else:
                    err += chunk
                    if len(err) > 2 * _STDERR_KEEP:
                        del err[: len(err) - _STDERR_KEEP]
        return bytes(out), bytes(err), None
    finally:
        sel.close()


class SubprocessRunner:
    """The real runner: ``subprocess`` without a shell, in its own process group, killed as a
    group when the timeout passes or when it prints more than ``max_output`` bytes."""

    def __init__(self, max_output: int = MAX_OUTPUT_BYTES) -> None:
        self.max_output = max_output

    def run(
        self,
        command: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        timeout: float = DEFAULT_TIMEOUT,
        stdin: str | None = None,
        check: bool = True,
    ) -> CommandResult:
        argv = tuple(str(c) for c in command)
        try:
            proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except FileNotFoundError:
            raise CommandError(
                f"{argv[0]}: command not found",
                command=argv,
                exit_code=127,
                stderr="",
                source_type=None,
                path=str(cwd),
            ) from None
        except ValueError as exc:  # e.g. an environment variable name holding '=' or NUL
            raise CommandError(
                f"`{argv[0]}` cannot be started: {exc}",
                command=argv,
                exit_code=126,
                stderr=str(exc),
                source_type=None,
                path=str(cwd),
            ) from None
        deadline = time.monotonic() + timeout
        try:
            raw_out, raw_err, stop = _pump(
                proc, stdin.encode() if stdin is not None else None, deadline, self.max_output
            )
            if stop is None:
                try:
                    proc.wait(timeout=max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    stop = "timeout"
        finally:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            for pipe in (proc.stdin, proc.stdout, proc.stderr):
                if pipe is not None:
                    with contextlib.suppress(OSError):
                        pipe.close()
        out, err = _decode(raw_out), _decode(raw_err)
        if stop == "timeout":
            raise CommandTimeoutError(
                f"`{' '.join(argv)}` timed out after {timeout:g}s",
                command=argv,
                exit_code=-9,
                stderr=_tail(err),
                timeout=timeout,
                source_type=None,
                path=str(cwd),
            )
        if stop == "overflow":
            raise CommandError(
                f"`{' '.join(argv)}` printed more than {self.max_output} bytes; refusing the "
                "rest (raise SubprocessRunner(max_output=...) to allow more)",
                command=argv,
                exit_code=-9,
                stderr=_tail(err),
                source_type=None,
                path=str(cwd),
            )
        result = CommandResult(argv, proc.returncode, out, err)
        if check and proc.returncode != 0:
            raise CommandError(
                f"`{' '.join(argv)}` failed with exit code {proc.returncode}:\n{_tail(err)}",
                command=argv,
                exit_code=proc.returncode,
                stderr=_tail(err),
                source_type=None,
                path=str(cwd),
            )
        return result


def confined_path(
    root: Path,
    relative: str | os.PathLike[str],
    *,
    what: str = "path",
    resolved_root: Path | None = None,
) -> Path:
    """``root / relative`` resolved, refusing anything that leaves ``root``.

    Absolute paths, ``..`` that climbs out and symlinks that point outside all raise
    :class:`~gitopslib.errors.PathEscapeError` naming the offending path. ``resolved_root``:
    ``root.resolve()`` when the caller already knows it (a fleet resolves each root once).
    """
    rel = os.fspath(relative)
    if Path(rel).is_absolute():
        raise PathEscapeError(
            f"{what} {rel!r} is absolute; only paths inside the repository are allowed",
            file=rel,
            source_type=None,
            path=rel,
        )
    root_resolved = resolved_root if resolved_root is not None else root.resolve()
    plain = _plain_descent(root_resolved, rel)
    if plain is not None:
        return plain
    candidate = (root_resolved / rel).resolve()
    if not is_inside(candidate, root_resolved):
        raise PathEscapeError(
            f"{what} {rel!r} leaves the repository root",
            file=rel,
            source_type=None,
            path=rel,
        )
    return candidate


def _plain_descent(root: Path, rel: str) -> Path | None:
    """``root / rel`` when every component of ``rel`` exists and is neither ``..`` nor a
    symlink (then it is already resolved and inside the resolved ``root``), else None.

    One ``lstat`` per component of ``rel``, where ``Path.resolve`` checks every component
    from ``/`` (a checkout in the Git cache is deep): the common case of confinement.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()).resolve()
    >>> (d / "apps").mkdir()
    >>> _plain_descent(d, "apps/.") == d / "apps", _plain_descent(d, "apps/../x")
    (True, None)
    """
    parts = [p for p in rel.split(os.sep) if p not in ("", ".")]  # noqa: PTH206 - hot path
    if not parts:
        return root
    current = str(root).rstrip(os.sep)
    for part in parts:
        if part == "..":
            return None
        current = f"{current}{os.sep}{part}"
        try:
            if stat.S_ISLNK(os.lstat(current).st_mode):
                return None
        except OSError:
            return None
    return Path(current)


def is_inside(path: Path, root: Path) -> bool:
    """Whether ``path`` is ``root`` or below it (both already resolved).

    >>> is_inside(Path("/repo/app/x.yaml"), Path("/repo")), is_inside(Path("/e"), Path("/repo"))
    (True, False)
    """
    return path == root or root in path.parents


def check_tree_confined(top: Path, root: Path, *, source_type: str | None = None) -> None:
    """Refuse the tree ``top`` if any symlink in it resolves outside ``root``.

    Symlinked directories that stay inside ``root`` are followed and checked too, as the
    engines that walk the tree (Helm's chart loader, ``shutil.copytree``) follow them: a link
    to a directory inside the repository must not smuggle in a link that leaves it. Raises
    :class:`~gitopslib.errors.PathEscapeError` naming the link (relative to ``top``).

    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / "link").symlink_to("/etc")
    >>> try:
    ...     check_tree_confined(d, d)
    ... except PathEscapeError as exc:
    ...     print(exc.file)
    link
    """
    root_real = root.resolve()
    seen: set[Path] = set()
    stack: list[tuple[Path, str]] = [(top, "")]
    while stack:
        here, prefix = stack.pop()
        real_dir = here.resolve()
        if real_dir in seen:
            continue  # a directory reached twice (or a cycle of links): checked already
        seen.add(real_dir)
        try:
            entries = sorted(os.scandir(here), key=lambda e: e.name)
        except OSError:
            continue  # unreadable: the engine reports it in its own words
        for entry in entries:
            rel = prefix + entry.name
            if entry.is_symlink():
                try:
                    real = Path(entry.path).resolve()
                except (OSError, RuntimeError):
                    raise PathEscapeError(
                        f"symlink {rel} cannot be resolved (a loop?)",
                        file=rel,
                        source_type=source_type,
                        path=rel,
                    ) from None
                if not is_inside(real, root_real):
                    raise PathEscapeError(
                        f"illegal filepath in symlink: {rel} points outside the repository",
                        file=rel,
                        source_type=source_type,
                        path=rel,
                    )
                if real.is_dir():
                    stack.append((Path(entry.path), rel + "/"))
            elif entry.is_dir(follow_symlinks=False):
                stack.append((Path(entry.path), rel + "/"))


@dataclass
class RenderContext:
    """Everything a renderer needs besides the source itself.

    ``repo_root`` is the checkout of the source's repository; ``app_dir`` the source path
    inside it (already confined). ``ref_roots`` maps a multi-source ``ref`` name to the root
    of that source's checkout (for ``$ref/values.yaml``). A renderer that decrypts anything
    sets ``contains_secrets`` so the result is not cached.
    """

    app: Application
    source: ApplicationSource
    repo_root: Path
    app_dir: Path
    revision: str | None = None
    ref_roots: Mapping[str, Path] = field(default_factory=dict)
    kube_version: str | None = None
    api_versions: Sequence[str] = ()
    runner: CommandRunner = field(default_factory=SubprocessRunner)
    timeout: float = DEFAULT_TIMEOUT
    plugins_dir: Path | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    #: Set by a renderer that decrypted something (SOPS values) to produce its output: the
    #: render is then never stored in a render cache.
    contains_secrets: bool = False
    #: ``repo_root.resolve()`` when the caller already knows it (a render pass resolves each
    #: root once, and ``app_dir`` is then :func:`confined_path`'s result, resolved too).
    resolved_root: Path | None = None

    def real_paths(self) -> tuple[Path, Path]:
        """``(repo_root, app_dir)`` with symlinks resolved: as the render pass handed them
        over when it set ``resolved_root``, else resolved here."""
        if self.resolved_root is not None:
            return self.resolved_root, self.app_dir
        return self.repo_root.resolve(), self.app_dir.resolve()


@runtime_checkable
class Renderer(Protocol):
    """Turns one source into manifests. Registered under ``name`` (Argo CD's source type)."""

    name: str

    def detect(self, app_dir: Path) -> bool:
        """Whether this renderer claims an app directory that names no explicit type."""
        ...

    def render(self, ctx: RenderContext) -> list[dict[str, Any]]:
        """The manifests of ``ctx.source``."""
        ...

    def cache_key(self, ctx: RenderContext) -> str | None:
        """Engine name and exact version (and anything else that changes output), or None
        when the output must not be cached."""
        ...


# --- build environment (argocd-semantics 13.3) -------------------------------------------


def build_env(ctx: RenderContext) -> dict[str, str]:
    """The ``ARGOCD_APP_*`` build environment of one source (Argo CD's ``newEnv``).

    ``ctx.options["controller_namespace"]`` (default ``argocd``) decides the instance name.
    """
    app, src = ctx.app, ctx.source
    revision = ctx.revision or ""
    dest = getattr(app.spec, "destination", None)
    controller_ns = str(ctx.options.get("controller_namespace", "argocd"))
    return {
        "ARGOCD_APP_NAME": app_instance_name(app, controller_ns),
        "ARGOCD_APP_NAMESPACE": str(getattr(dest, "namespace", None) or ""),
        "ARGOCD_APP_PROJECT_NAME": str(getattr(app.spec, "project", None) or "default"),
        "ARGOCD_APP_REVISION": revision,
        "ARGOCD_APP_REVISION_SHORT": revision[:7],
        "ARGOCD_APP_REVISION_SHORT_8": revision[:8],
        "ARGOCD_APP_SOURCE_REPO_URL": str(getattr(src, "repo_url", None) or ""),
        "ARGOCD_APP_SOURCE_PATH": str(getattr(src, "path", None) or ""),
        "ARGOCD_APP_SOURCE_TARGET_REVISION": str(getattr(src, "target_revision", None) or ""),
    }


_SHELL_SPECIAL = frozenset("*#$@!?-0123456789")


def _is_name_char(c: str) -> bool:
    return c == "_" or ("0" <= c <= "9") or ("a" <= c <= "z") or ("A" <= c <= "Z")


def _shell_name(s: str) -> tuple[str, int]:
    """Go's ``os.getShellName``: the variable name after a ``$`` and how many chars it used."""
    if s[0] == "{":
        if len(s) > 2 and s[1] in _SHELL_SPECIAL and s[2] == "}":
            return s[1:2], 3
        for i in range(1, len(s)):
            if s[i] == "}":
                if i == 1:
                    return "", 2  # "${}" is eaten
                return s[1:i], i + 1
        return "", 1  # "${" without a closing brace is eaten
    if s[0] in _SHELL_SPECIAL:
        return s[0:1], 1
    i = 0
    while i < len(s) and _is_name_char(s[i]):
        i += 1
    return s[:i], i


def envsubst(text: str, env: Mapping[str, str]) -> str:
    """Expand ``$VAR`` and ``${VAR}`` as Go's ``os.Expand`` does in Argo CD: unknown names
    become "", ``$$`` is a literal ``$``, a ``$`` before anything else stays.

    >>> envsubst("${ARGOCD_APP_NAME}-$X $$5 $", {"ARGOCD_APP_NAME": "web"})
    'web- $5 $'
    """
    if "$" not in text:
        return text
    out: list[str] = []
    i = 0
    j = 0
    n = len(text)
    while j < n:
        if text[j] == "$" and j + 1 < n:
            out.append(text[i:j])
            name, width = _shell_name(text[j + 1 :])
            if name == "" and width > 0:
                pass  # invalid syntax: the characters are eaten
            elif name == "":
                out.append("$")
            else:
                out.append("$" if name == "$" else env.get(name, ""))
            j += width
            i = j + 1
        j += 1
    out.append(text[i:])
    return "".join(out)


_GENERIC_VERSION = re.compile(r"^\s*v?([0-9]+(?:\.[0-9]+)*)(.*)$", re.DOTALL)


def tool_kube_version(version: str | None, *, source_type: str | None = None) -> str | None:
    """The Kubernetes version Argo CD hands to Helm (``--kube-version``) and Kustomize
    (``--helm-kube-version``): parsed leniently (Kubernetes' ``ParseGeneric``) and printed
    back as bare numbers, so build metadata and pre-release suffixes such as ``+k3s1`` or
    ``-eks-036c24b`` are dropped, as is a leading ``v``. Empty stays ``None``; a string that
    is not a version is a :class:`RenderError`.

    >>> tool_kube_version("v1.29.4-eks-036c24b"), tool_kube_version("1.30+k3s1")
    ('1.29.4', '1.30')
    """
    if not version:
        return None
    found = _GENERIC_VERSION.match(version)
    parts = found.group(1).split(".") if found else []
    if len(parts) < 2 or (len(parts[0]) > 1 and parts[0].startswith("0")):
        raise RenderError(
            f"could not parse kubernetes version {version!r}: expected MAJOR.MINOR[.PATCH]",
            source_type=source_type,
            path=None,
        )
    return ".".join(str(int(part)) for part in parts)
