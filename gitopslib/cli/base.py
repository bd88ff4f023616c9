"""What every command shares: the usage error, one-line messages, progress on a terminal."""

from __future__ import annotations

import sys
import traceback
from typing import TextIO

from gitopslib.errors import GitOpsError
from gitopslib.giturl import mask_credentials

#: Exit codes: success (``diff``: no difference; ``health``: healthy), problems found, error.
EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2


class CLIError(GitOpsError):
    """A usage problem the command line can name (a bad flag value, a missing file)."""


class Progress:
    """Progress lines on stderr, only when stderr is a terminal (never in CI logs)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, message: str) -> None:
        if self.enabled:
            print(f"gitopslib: {mask_credentials(message)}", file=self.stream, flush=True)


def one_line(text: str) -> str:
    """``text`` on one line: its non-empty lines joined with ``; ``."""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return "; ".join(lines) if lines else text


def error_message(exc: BaseException) -> str:
    """``exc`` as the one line the command prints after ``gitopslib: error:`` (credentials
    masked; an unexpected exception, a bug of ours, says how to see its traceback)."""
    if isinstance(exc, (GitOpsError, OSError)):
        message = one_line(str(exc))
    else:
        message = f"{type(exc).__name__}: {one_line(str(exc))} (--debug shows the traceback)"
    return mask_credentials(message)


def report_error(exc: BaseException, *, debug: bool = False) -> None:
    """Print ``exc`` on stderr as one line (with the traceback first under ``--debug``)."""
    if debug:
        # tracebacks quote messages and source lines: mask them as every other line
        sys.stderr.write(mask_credentials("".join(traceback.format_exception(exc))))
    print(f"gitopslib: error: {error_message(exc)}", file=sys.stderr)


def warn(message: str) -> None:
    """Print a warning line on stderr (credentials masked)."""
    print(f"gitopslib: warning: {mask_credentials(message)}", file=sys.stderr)
