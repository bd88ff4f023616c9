"""sourceRepos patterns go through NormalizeGitURL before globbing (section 8.2).

Expected values derived by hand from Go's net/url: ``URL.String`` keeps the written path only
when every byte is valid in an encoded path (``[``, ``]``, ``*`` are; ``{``, ``}`` are not);
otherwise it re-escapes the whole path, so a pattern with brace alternation becomes a literal
``%7B...%7D`` (and its ``*`` becomes ``%2A``) and can never match a real repository URL.
"""

from __future__ import annotations

import pytest

from gitopslib.giturl import normalize_git_url
from gitopslib.project.policy import is_source_permitted


def test_brace_pattern_is_escaped_by_normalisation() -> None:
    """`{a,b}` in a pattern is percent-escaped, as Go's URL.String does."""
    assert normalize_git_url("https://github.com/{a,b}/repo") == "https://github.com/%7Ba,b%7D/repo"
    assert normalize_git_url("git@github.com:{a,b}/*") == "git@github.com/%7Ba,b%7D/%2A"


@pytest.mark.parametrize("url", ["https://github.com/a/repo", "https://github.com/b/repo"])
def test_brace_alternation_never_matches(url: str) -> None:
    """Argo CD permits neither alternative: the escaped pattern is a literal."""
    assert not is_source_permitted(["https://github.com/{a,b}/repo"], url)


def test_character_class_survives_normalisation() -> None:
    """`[oa]` is valid in an encoded path, so the class still works as a glob."""
    assert is_source_permitted(["https://github.com/org/rep[oa]"], "https://github.com/org/repo")
    assert not is_source_permitted(
        ["https://github.com/org/rep[oa]"], "https://github.com/org/repx"
    )


def test_scp_pattern_matches_ssh_url_form() -> None:
    """An scp-style pattern and an ssh:// URL normalise to the same `git@host/path` form."""
    assert is_source_permitted(
        ["git@github.com:argoproj/*"], "ssh://git@GitHub.com/argoproj/argo-cd.git"
    )
