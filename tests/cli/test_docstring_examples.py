"""The examples in the docstrings of the entry-point modules run as written."""

from __future__ import annotations

import contextlib
import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("module", ["gitopslib.cli", "gitopslib.testing"])
def test_docstring_examples(module: str) -> None:
    """Every >>> example of the module passes (run from the repository root)."""
    with contextlib.chdir(ROOT):
        result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
