"""The >>> examples in the docstrings of the cluster, executor and reconcile modules run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "gitopslib.cluster",
    "gitopslib.cluster._common",
    "gitopslib.cluster.kube",
    "gitopslib.cluster.memory",
    "gitopslib.cluster.snapshot",
    "gitopslib.reconcile",
    "gitopslib.sync.execute",
    "gitopslib.sync.protocol",
]


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples(module: str) -> None:
    """Every example of the module passes."""
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
