"""``python -m gitopslib.cli``: the ``gitopslib`` command."""

import sys

from gitopslib.cli.command import main

sys.exit(main())
