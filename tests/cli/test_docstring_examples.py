"""The examples in the docstrings of the entry-point modules run as written."""

from __future__ import annotations

import contextlib
import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import gitopslib.cli

ROOT = Path(__file__).resolve().parents[2]
CLI_DIR = Path(gitopslib.cli.__path__[0])

# the modules whose docstrings hold examples (the package itself and the ones with a >>>)
MODULES = [
    "gitopslib.cli",
    *(
        f"gitopslib.cli.{m.name}"
        for m in pkgutil.iter_modules(gitopslib.cli.__path__)
        if ">>>" in (CLI_DIR / f"{m.name}.py").read_text(encoding="utf-8")
    ),
    "gitopslib.testing",
]


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples(module: str) -> None:
    """Every >>> example of the module passes (run from the repository root)."""
    with contextlib.chdir(ROOT):
        result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
