"""Fixtures for the health tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gitopslib.health import LuaRuntime

HEALTH_DATA = Path(__file__).resolve().parents[1] / "data" / "health"


@pytest.fixture(scope="session")
def health_data() -> Path:
    """The folder of one-object-per-state YAML files."""
    return HEALTH_DATA


@pytest.fixture(scope="session")
def lua() -> LuaRuntime:
    """A Lua runtime with a short time limit, so the endless-loop tests stay fast."""
    return LuaRuntime(timeout=0.2)


def _write_script(root: Path, key: str, source: str) -> Path:
    path = root / key / "health.lua"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def write_script() -> Callable[[Path, str, str], Path]:
    """Write ``<root>/<key>/health.lua`` (Argo CD's layout) and return its path."""
    return _write_script
