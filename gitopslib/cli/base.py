"""What every command shares: the usage error, one-line messages, progress on a terminal."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from gitopslib.errors import GitOpsError
from gitopslib.giturl import mask_credentials

if TYPE_CHECKING:
    pass


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
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return "; ".join(lines) if lines else text
