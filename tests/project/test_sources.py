"""sourceRepos (argocd-semantics.md §8.2), expected values derived by hand from the rules."""

from __future__ import annotations

import pytest

from gitopslib.project import is_source_permitted


@pytest.mark.parametrize(
    ("repos", "url", "expected"),
    [
        (["*"], "https://anything.example/x", True),
        ([], "https://github.com/a/b", False),
        (None, "https://github.com/a/b", False),
        (["https://github.com/argoproj/*"], "https://github.com/argoproj/argo-cd", True),
        (["https://github.com/argoproj/*"], "https://github.com/argoproj/a/b", False),
        (["https://github.com/argoproj/**"], "https://github.com/argoproj/a/b", True),
        (["https://github.com/argoproj/*"], "https://github.com/other/argo-cd", False),
        # normalisation: case, .git suffix, surrounding space
        (
            ["https://github.com/Argoproj/Argo-CD.git"],
            " https://GITHUB.com/argoproj/argo-cd ",
            True,
        ),
        # scp-style URLs: git@host:path and ssh:// compare equal after normalisation
        (["git@github.com:argoproj/*"], "git@github.com:argoproj/argo-cd.git", True),
        (["git@github.com:argoproj/*"], "ssh://git@github.com/argoproj/argo-cd", True),
        (["ssh://git@github.com/argoproj/argo-cd.git"], "git@github.com:argoproj/argo-cd", True),
        (["git@github.com:argoproj/*"], "https://github.com/argoproj/argo-cd", False),
    ],
)
def test_source_patterns(repos: list[str] | None, url: str, expected: bool) -> None:
    """Globs with `/` as separator over normalised URLs."""
    assert is_source_permitted(repos, url) is expected


def test_matching_deny_entry_refuses_even_after_an_allow() -> None:
    """A deny entry that matches refuses, whatever allowed the URL before it."""
    repos = ["https://github.com/*/*", "!https://github.com/evil/*"]
    assert not is_source_permitted(repos, "https://github.com/evil/repo")
    assert is_source_permitted(repos, "https://github.com/good/repo")


def test_only_deny_entries_permit_everything_else() -> None:
    """Argo CD quirk: a list of only `!` entries permits every repo it does not deny."""
    repos = ["!https://github.com/evil/*"]
    assert is_source_permitted(repos, "https://gitlab.com/anyone/anything")
    assert not is_source_permitted(repos, "https://github.com/evil/x")


def test_deny_entry_is_normalised_too() -> None:
    """The pattern after `!` is normalised: an scp-style deny refuses the ssh:// spelling,
    and (stricter than Argo CD, whose glob lets it through) the https:// one too."""
    repos = ["*", "!git@github.com:evil/*"]
    assert not is_source_permitted(repos, "ssh://git@github.com/evil/repo.git")
    assert not is_source_permitted(repos, "https://github.com/evil/repo")
    assert is_source_permitted(repos, "https://github.com/good/repo")


def test_star_alone_matches_urls_with_slashes() -> None:
    """`*` alone permits everything although `*` does not cross `/` elsewhere."""
    assert is_source_permitted(["*"], "https://github.com/a/b/c")
    assert not is_source_permitted(["https://*"], "https://github.com/a/b/c")
