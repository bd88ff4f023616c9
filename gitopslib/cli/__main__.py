"""``python -m gitopslib.cli``: the ``gitopslib`` command."""

import sys

from gitopslib.cli.command import main

if __name__ == "__main__":  # pragma: no cover - run as a program
    sys.exit(main())
