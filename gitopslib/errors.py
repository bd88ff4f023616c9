"""The one error tree of gitopslib.

Every exception gitopslib raises on purpose derives from :class:`GitOpsError`. Each carries
structured attributes (file, line, field, object, command, exit code) besides its message, so
callers can act on a failure without parsing text::

    GitOpsError
    ├── ValidationError           a document does not fit its schema (file, line, column, field)
    ├── ManifestError             Kubernetes YAML that cannot be read (file, line, object)
    ├── GitError                  repository access (url is always credential-masked)
    │   ├── RevisionNotFoundError     a revision that does not resolve
    │   ├── GitAuthError              the server refused the credentials
    │   └── PushRejectedError         write-back lost the race too many times
    ├── RenderError               turning a source into manifests failed
    │   ├── EngineNotFoundError       helm / kustomize / jsonnet / ... missing (names the extra)
    │   ├── CommandError              an engine process failed (command, exit code, stderr tail)
    │   ├── CommandTimeoutError       an engine process ran past its timeout
    │   └── PathEscapeError           a path would leave the repository root
    ├── DiffError                 normalisation or ignore rules failed (jq timeout, bad pointer)
    ├── HealthError               a Lua health script failed (script, object)
    ├── PlanError                 a sync plan cannot be built (object, annotation)
    ├── PolicyError               an AppProject rule is malformed (field)
    ├── ClusterError              talking to a cluster failed
    │   └── ClusterTimeoutError       a request, its retries or the operation ran out of time
    ├── OperationError            a sync / rollback / wait cannot run as asked (app, reason)
    │   ├── OperationInProgressError  another operation on the same app is already running
    │   └── WaitTimeoutError          wait() ran out of time (names what was still not ready)
    ├── SopsError                 a SOPS file cannot be decrypted (file, key path; never a value)
    ├── NotificationError         a notifications ConfigMap, trigger or template is wrong (key)
    └── WebhookError              a webhook was refused (bad signature, too large, malformed)

    GitOpsErrorGroup              several of the above at once: an ExceptionGroup (not itself a
                                  GitOpsError), caught with ``except* GitOpsError``

Messages never contain credentials or Secret values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gitopslib._masking import mask_credentials

__all__ = [
    "ClusterError",
    "ClusterTimeoutError",
    "CommandError",
    "CommandTimeoutError",
    "DiffError",
    "EngineNotFoundError",
    "GitAuthError",
    "GitError",
    "GitOpsError",
    "GitOpsErrorGroup",
    "HealthError",
    "ManifestError",
    "NotificationError",
    "OperationError",
    "OperationInProgressError",
    "PathEscapeError",
    "PlanError",
    "PolicyError",
    "PushRejectedError",
    "RenderError",
    "RevisionNotFoundError",
    "SopsError",
    "ValidationError",
    "WaitTimeoutError",
    "WebhookError",
]


#: Attributes that may quote a URL or an engine's words, masked like the message.
_MASKED_ATTRS = frozenset({"stderr", "url", "command", "reason"})


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_credentials(value)
    if isinstance(value, tuple) and all(isinstance(v, str) for v in value):
        return tuple(mask_credentials(v) for v in value)
    return value


class GitOpsError(Exception):
    """Root of every error gitopslib raises on purpose. The message (and ``stderr``, ``url``,
    ``command``) pass through :func:`gitopslib.giturl.mask_credentials` here, so no error
    can carry a credential in a URL whoever formatted it."""

    def __init__(self, message: str, **attrs: Any) -> None:
        message = mask_credentials(message)
        super().__init__(message)
        self.message = message
        for key, value in attrs.items():
            setattr(self, key, _masked(value) if key in _MASKED_ATTRS else value)

    def __str__(self) -> str:
        return self.message


def _location(file: str | None, line: int | None, column: int | None) -> str:
    if file is None and line is None:
        return ""
    where = file or "<string>"
    if line is not None:
        where += f":{line}"
        if column is not None:
            where += f":{column}"
    return where


def _located(
    message: str, file: str | None, line: int | None, column: int | None, what: str | None
) -> str:
    """``message`` prefixed with ``file:line:column`` and ``what`` (the field or object)."""
    prefix = ": ".join(p for p in (_location(file, line, column), what) if p)
    return f"{prefix}: {message}" if prefix else message


class ValidationError(GitOpsError, ValueError):
    """A document does not fit its schema.

    ``file``, ``line`` and ``column`` (1-based) locate the offending value; ``field`` is the
    dotted path of YAML names (``spec.source.helm.valueFiles[0]``).
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(
            _located(message, file, line, column, field),
            file=file,
            line=line,
            column=column,
            field=field,
        )
        self.reason = mask_credentials(message)

    file: str | None
    line: int | None
    column: int | None
    field: str | None


class ManifestError(GitOpsError, ValueError):
    """Kubernetes YAML or JSON that cannot be read as objects."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        obj: str | None = None,
    ) -> None:
        super().__init__(
            _located(message, file, line, column, obj),
            file=file,
            line=line,
            column=column,
            obj=obj,
        )

    file: str | None
    line: int | None
    column: int | None
    obj: str | None


class GitError(GitOpsError):
    """Talking to or reading from a Git repository failed. ``url`` is credential-masked."""

    url: str | None


class RevisionNotFoundError(GitError, LookupError):
    """A revision (branch, tag, SHA, ref) that does not resolve in the repository."""

    revision: str


class GitAuthError(GitError):
    """The Git server refused the credentials (which are never shown)."""


class PushRejectedError(GitError):
    """Write-back could not push after its bounded number of rebase-and-retry attempts."""


class RenderError(GitOpsError):
    """Turning a source into manifests failed."""

    source_type: str | None
    path: str | None


class EngineNotFoundError(RenderError):
    """An engine (helm, kustomize, jsonnet, lua, jq) is not installed; ``extra`` names the fix."""

    engine: str
    extra: str


class CommandError(RenderError):
    """An engine process exited non-zero. Carries ``command``, ``exit_code``, ``stderr``."""

    command: Sequence[str]
    exit_code: int
    stderr: str


class CommandTimeoutError(CommandError, TimeoutError):
    """An engine process ran past its timeout and was killed."""

    timeout: float


class PathEscapeError(RenderError, PermissionError):
    """A path from a repository would leave the repository root (``..``, absolute, symlink)."""

    file: str


class DiffError(GitOpsError):
    """Normalisation or an ignore rule failed (a jq timeout, a bad expression)."""


class HealthError(GitOpsError):
    """A Lua health script failed to load or run."""


class PlanError(GitOpsError, ValueError):
    """A sync plan cannot be built as asked (a malformed annotation, an unknown hook type)."""


class PolicyError(GitOpsError, ValueError):
    """An AppProject rule is malformed."""


class ClusterError(GitOpsError):
    """Talking to a cluster failed."""


class ClusterTimeoutError(ClusterError, TimeoutError):
    """A cluster request (with its retries) ran out of time: its own timeout or the
    operation's deadline (``sync(timeout=...)``)."""


class OperationError(GitOpsError):
    """A sync, rollback or wait cannot run as asked. ``app`` names the Application."""

    app: str | None


class OperationInProgressError(OperationError):
    """Another operation on the same Application is already in progress (Argo CD's answer)."""


class WaitTimeoutError(OperationError, TimeoutError):
    """``wait()`` ran out of time; ``pending`` lists what was still not Synced or not Healthy."""

    pending: Sequence[str]


class SopsError(GitOpsError):
    """A SOPS file cannot be decrypted. Names ``file`` and the key path, never a value."""

    file: str | None


class NotificationError(GitOpsError):
    """A notifications ConfigMap entry, trigger condition or template is wrong (``key``)."""

    key: str | None


class WebhookError(GitOpsError):
    """A webhook request was refused: bad or missing signature, too large, or malformed.

    ``status`` is the HTTP status a server should answer with (401, 400, 413).
    """

    status: int


class GitOpsErrorGroup(ExceptionGroup[GitOpsError]):
    """Several gitopslib errors at once, e.g. every invalid Application in a folder."""

    def derive(self, excs: Sequence[GitOpsError]) -> GitOpsErrorGroup:  # type: ignore[override]
        return GitOpsErrorGroup(self.message, excs)
