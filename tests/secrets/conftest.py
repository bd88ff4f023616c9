"""Fixtures for the secrets tests: the corpus' SOPS files and test keys, and fresh age keys."""

from __future__ import annotations

from pathlib import Path

import pyrage
import pytest

from gitopslib.secrets import SopsKeys

KC = "kustomize-controller/internal/controller/testdata/sops/"


@pytest.fixture(scope="session")
def sops_corpus(corpus_dir: Path) -> Path:
    """The corpus folder of files encrypted by the real sops."""
    return corpus_dir / "sops"


@pytest.fixture(scope="session")
def corpus_age_keys(sops_corpus: Path) -> SopsKeys:
    """Every age identity of the corpus."""
    return SopsKeys(
        age_files=[
            sops_corpus / KC / "keys/age.txt",
            sops_corpus / KC / "keys/age-global.txt",
            sops_corpus / "helm-secrets/tests/assets/age/key.txt",
            sops_corpus / "terraform-provider-sops/keys-extracted-from-test-code/age0.txt",
            sops_corpus / "terraform-provider-sops/keys-extracted-from-test-code/age1.txt",
        ]
    )


@pytest.fixture(scope="session")
def corpus_pgp_keys(sops_corpus: Path) -> SopsKeys:
    """Every PGP private key of the corpus, imported into one private GNUPGHOME."""
    return SopsKeys(
        pgp_files=[
            sops_corpus / KC / "keys/pgp.asc",
            sops_corpus / "helm-secrets/tests/assets/gpg/private.gpg",
            sops_corpus / "helm-secrets/tests/assets/gpg/private2.gpg",
            sops_corpus / "sops/pgp/sops_functional_tests_key.asc",
            sops_corpus / "terraform-provider-sops/test/testing-key.pgp",
        ]
    )


@pytest.fixture(scope="session")
def age_pair() -> tuple[str, str]:
    """A fresh age X25519 identity and its recipient."""
    identity = pyrage.x25519.Identity.generate()
    return str(identity), str(identity.to_public())


@pytest.fixture(scope="session")
def age_pairs() -> list[tuple[str, str]]:
    """Three more fresh age identities (for key groups)."""
    out = []
    for _ in range(3):
        identity = pyrage.x25519.Identity.generate()
        out.append((str(identity), str(identity.to_public())))
    return out
