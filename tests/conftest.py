"""Fixtures shared by every test area. Add fixtures by appending; area fixtures go in
tests/<area>/conftest.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = (REPO_ROOT / ".." / "shared" / "corpus").resolve()
#: One reason line for every test that needs the corpus, so a fresh clone's summary shows it once.
NO_CORPUS = "needs ../shared/corpus (real inputs kept beside our own checkouts, not in the repo)"


def require_corpus() -> Path:
    """The corpus folder; skips the calling test where it is absent, fails where ``CI=true``.

    A fresh clone has no ``../shared``: its tests must pass with these skipped. CI always has
    it, so there a missing corpus is a broken setup and must not pass silently as skips.
    """
    if CORPUS.is_dir():
        return CORPUS
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"corpus not found at {CORPUS}: CI must run with shared/ beside the repository")
    pytest.skip(NO_CORPUS)


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The read-only corpus of real inputs (argocd-example-apps, the seed YAML, sops/)."""
    return require_corpus()


@pytest.fixture(scope="session")
def example_apps(corpus_dir: Path) -> Path:
    """The argocd-example-apps checkout inside the corpus."""
    return corpus_dir / "argocd-example-apps"
