"""Talking to the remote: every network call of a GitRepository, retried, timed and masked.

Transient failures (hang-ups, timeouts, 5xx answers, socket errors) are retried with
exponential backoff; refused credentials, missing repositories and other final answers are
not. Every error names the repository with its credentials masked, and ls-remote and fetch
are reported to the :class:`~gitopslib.observe.GitRecorder`, if any.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from dulwich.client import GitClient, HTTPUnauthorized
from dulwich.errors import GitProtocolError, HangupException, NotGitRepository
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
)

from gitopslib.errors import GitAuthError, GitError
from gitopslib.git._credentials import Credentials, mask
from gitopslib.git._transport import Remote, open_client
from gitopslib.observe import GitRecorder

log = logging.getLogger("gitopslib.git")

T = TypeVar("T")


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, HTTPUnauthorized | NotGitRepository):
        return False
    if isinstance(exc, FileNotFoundError | PermissionError | NotADirectoryError):
        return False
    if isinstance(exc, HangupException):
        return True
    if isinstance(exc, GitProtocolError):
        text = str(exc)
        return "unexpected http resp 5" in text or "timed out" in text or "reset" in text
    return isinstance(exc, OSError)


class _Network:
    """The remote's identity and the network calls of :class:`~gitopslib.git.GitRepository`."""

    _remote: Remote
    _credentials: Credentials | None
    _metrics: GitRecorder | None
    _timeout: float
    _retries: int
    _backoff: float

    @property
    def url(self) -> str:
        """The repository URL with credentials masked."""
        return self._remote.display

    def _mask(self, text: str) -> str:
        secrets = self._remote.embedded.secrets() if self._remote.embedded else ()
        masked = mask(text, self._credentials)
        for s in secrets:
            masked = masked.replace(s, "***")
        return masked

    def _error(self, cls: type[GitError], message: str, **attrs: object) -> GitError:
        return cls(self._mask(message), url=self.url, **attrs)

    # --- network ------------------------------------------------------------------------

    def _network(self, what: str, fn: Callable[[GitClient, str], T]) -> T:
        if self._metrics is None or what not in ("ls-remote", "fetch"):
            return self._network_call(what, fn)
        started = time.monotonic()
        failed = True
        try:
            result = self._network_call(what, fn)
            failed = False
            return result
        finally:
            try:
                self._metrics.record_git_request(
                    self.url, what, time.monotonic() - started, failed=failed
                )
            except Exception:  # an observer never stops an operation (observe.py)
                log.warning("git metrics recorder failed", exc_info=True)

    def _network_call(self, what: str, fn: Callable[[GitClient, str], T]) -> T:
        retrying = Retrying(
            stop=stop_after_attempt(self._retries) | stop_after_delay(self._timeout * 2),
            wait=wait_exponential(multiplier=self._backoff, max=max(self._backoff * 8, 0.001)),
            retry=retry_if_exception(_is_transient),
            reraise=True,
        )
        tries = 0
        try:
            for attempt in retrying:
                tries += 1
                with (
                    attempt,
                    open_client(self._remote, self._credentials, self._timeout) as (
                        client,
                        path,
                    ),
                ):
                    return fn(client, path)
        except GitError as exc:
            raise self._error(type(exc), str(exc)) from None
        except HTTPUnauthorized:
            raise self._error(
                GitAuthError, f"{what} {self.url}: the server refused the credentials"
            ) from None
        except NotGitRepository:
            raise self._error(GitError, f"{what} {self.url}: not a Git repository") from None
        except (OSError, GitProtocolError, ValueError) as exc:
            # ValueError: dulwich could not parse the server's answer (an HTML login page, a
            # proxy's error); its message quotes that answer, which is masked like the rest.
            detail = str(exc) or type(exc).__name__
            raise self._error(
                GitError,
                f"{what} {self.url} failed after {tries} attempt(s): {detail}",
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover
