"""Fixtures for the models tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def seed_dir(corpus_dir: Path) -> Path:
    """The seed YAML our users showed us (Applications, an AppProject, ...)."""
    return corpus_dir / "seed"
