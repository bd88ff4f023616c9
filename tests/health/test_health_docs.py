"""The health docs page and the module docstrings run as written."""

from __future__ import annotations

import doctest
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULES = [
    "gitopslib.health",
    "gitopslib.health._types",
    "gitopslib.health._registry",
    "gitopslib.health._assess",
    "gitopslib.health.aggregate",
    "gitopslib.health.builtin",
    "gitopslib.health.kstatus",
    "gitopslib.health.lua",
    "gitopslib.health.health_tests",
]


def test_docs_page_blocks_run_in_sequence() -> None:
    """Every python block of docs/health.md runs, in order, in a fresh interpreter."""
    text = (REPO / "docs" / "health.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks
    result = subprocess.run(
        [sys.executable, "-c", "\n".join(blocks)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    """The examples in the module's docstrings hold."""
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0


def test_public_names_sorted_and_importable() -> None:
    """gitopslib.health.__all__ is sorted and every name exists."""
    module = importlib.import_module("gitopslib.health")
    assert module.__all__ == sorted(module.__all__)
    for name in module.__all__:
        assert hasattr(module, name), name
