"""Fixtures shared by every test area. Add fixtures by appending; area fixtures go in
tests/<area>/conftest.py."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = (REPO_ROOT / ".." / "shared" / "corpus").resolve()


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The read-only corpus of real inputs (argocd-example-apps and the seed YAML)."""
    if not CORPUS.is_dir():
        pytest.fail(f"corpus not found at {CORPUS}: shared/ must sit beside the repository")
    return CORPUS


@pytest.fixture(scope="session")
def example_apps(corpus_dir: Path) -> Path:
    """The argocd-example-apps checkout inside the corpus."""
    return corpus_dir / "argocd-example-apps"
