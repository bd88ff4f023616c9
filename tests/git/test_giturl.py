"""URL normalisation (Argo CD's NormalizeGitURL), same_url and credential masking."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitopslib.giturl import is_ssh_url, mask_credentials, normalize_git_url, same_url

# Expected values derived by hand from NormalizeGitURL's steps: lower-case + trim; scp-style
# user@host:path gets its first ':' replaced by '/' and 'ssh://' prepended; trailing '.git'
# removed; re-serialised by Go's net/url; leading 'ssh://' removed; unparsable -> "".
TABLE = [
    (
        "https://github.com/argoproj/argocd-example-apps.git",
        "https://github.com/argoproj/argocd-example-apps",
    ),
    (
        "https://GitHub.com/ArgoProj/Argocd-Example-Apps",
        "https://github.com/argoproj/argocd-example-apps",
    ),
    ("  https://github.com/a/b.git  ", "https://github.com/a/b"),
    ("git@github.com:argoproj/argo-cd.git", "git@github.com/argoproj/argo-cd"),
    ("git@GITHUB.com:Org/Repo", "git@github.com/org/repo"),
    ("ssh://git@github.com/argoproj/argo-cd.git", "git@github.com/argoproj/argo-cd"),
    ("ssh://git@github.com:2222/a/b.git", "git@github.com:2222/a/b"),
    ("ssh://github.com/a/b", "github.com/a/b"),
    ("git://example.com/a/b.git", "git://example.com/a/b"),
    ("file:///tmp/repo.git", "file:///tmp/repo"),
    ("/srv/git/repo.git", "/srv/git/repo"),
    ("https://example.com/a b", "https://example.com/a%20b"),
    ("https://example.com:notaport/x", ""),
    ("https://example.com/%zz", ""),
    ("", ""),
]


@pytest.mark.parametrize(("url", "expected"), TABLE)
def test_normalize_table(url: str, expected: str) -> None:
    """normalize_git_url matches the hand-derived NormalizeGitURL result."""
    assert normalize_git_url(url) == expected


def test_scp_and_ssh_forms_are_the_same_url() -> None:
    """scp-style and ssh:// spellings of one repository compare equal."""
    assert same_url("git@github.com:org/repo.git", "ssh://git@github.com/org/repo")


def test_https_and_ssh_are_different_urls() -> None:
    """Different transports are different repositories for Argo CD."""
    assert not same_url("https://github.com/org/repo", "git@github.com:org/repo")


def test_same_url_rejects_empty() -> None:
    """Two empty URLs are never 'the same repository'."""
    assert not same_url("", "")


def test_same_url_falls_back_to_raw_for_invalid() -> None:
    """Unparsable URLs compare by their raw text (NormalizeGitURLAllowInvalid)."""
    assert same_url("https://h:x/a", "https://h:x/a")


def test_is_ssh_url() -> None:
    """user@host forms are SSH, https with user info is not."""
    assert is_ssh_url("git@host:a/b")
    assert not is_ssh_url("https://user:pw@host/a")


def test_mask_password() -> None:
    """A password in a URL is replaced, the user name kept."""
    assert mask_credentials("https://bot:s3cr3t@h/r.git") == "https://bot:***@h/r.git"


def test_mask_token_user() -> None:
    """A lone http(s) user name (a token) is masked entirely."""
    assert "ghp_abc" not in mask_credentials("clone https://ghp_abc@github.com/o/r failed")


def test_mask_keeps_ssh_user() -> None:
    """The SSH user name is not a secret."""
    assert mask_credentials("ssh://git@host/r") == "ssh://git@host/r"


def test_mask_explicit_secret_and_encoded_form() -> None:
    """Explicit secrets are masked, also in percent-encoded form."""
    text = mask_credentials("p@ss and p%40ss", secrets=["p@ss"])
    assert "p@ss" not in text and "p%40ss" not in text


@settings(max_examples=100, deadline=None)
@given(
    password=st.text(
        alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd"), max_codepoint=127),
        min_size=6,
        max_size=30,
    ),
    user=st.sampled_from(["bot", "x-access-token", "git"]),
)
def test_mask_never_leaks_password(password: str, user: str) -> None:
    """Property: a URL password never survives masking, in the URL or in free text."""
    url = f"https://{user}:{password}@example.com/org/repo.git"
    masked = mask_credentials(f"error cloning {url}: refused")
    assert masked == f"error cloning https://{user}:***@example.com/org/repo.git: refused"
