"""Every docstring example in the package runs and prints what it says."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import gitopslib

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(gitopslib.__path__, prefix="gitopslib.")
    if m.name != "gitopslib.pytest_plugin"
)


@pytest.mark.parametrize("name", MODULES)
def test_module_docstring_examples(name: str) -> None:
    """The module's doctests pass (modules without examples pass trivially)."""
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"


def test_package_docstring_example() -> None:
    """The example in `gitopslib.__doc__` runs."""
    assert doctest.testmod(gitopslib).failed == 0
