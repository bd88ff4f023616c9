"""The two wildcard dialects: gobwas globs and Go's filepath.Match.

Expected values follow the documented syntax of each library (derived by hand).
"""

from __future__ import annotations

import pytest

from gitopslib.project import filepath_match, glob_match


@pytest.mark.parametrize(
    ("pattern", "value", "separators", "expected"),
    [
        ("*", "", "", True),
        ("*", "a/b", "/", False),  # plain gobwas; the project rules add "* matches all"
        ("a/*", "a/b", "/", True),
        ("a/*", "a/b/c", "/", False),
        ("a/**", "a/b/c", "/", True),
        ("a/*", "a/b/c", "", True),
        ("prod-?", "prod-1", "", True),
        ("prod-?", "prod-12", "", False),
        ("a?c", "a/c", "/", False),
        ("[abc]x", "bx", "", True),
        ("[!abc]x", "bx", "", False),
        ("[!abc]x", "dx", "", True),
        ("[a-c]x", "cx", "", True),
        ("{dev,stage}-*", "stage-eu", "", True),
        ("{dev,stage}-*", "prod-eu", "", False),
        ("a{b,c{d,e}}", "ace", "", True),
        (r"a\*", "a*", "", True),
        (r"a\*", "ab", "", False),
        ("A*", "abc", "", False),
        ("", "", "", True),
        ("", "x", "", False),
    ],
)
def test_gobwas_glob(pattern: str, value: str, separators: str, expected: bool) -> None:
    """gobwas semantics: `*` stops at separators, `**` does not, classes, alternatives."""
    assert glob_match(pattern, value, separators) is expected


@pytest.mark.parametrize("pattern", ["[abc", "{a,b", "a\\", "[]"])
def test_malformed_glob_never_matches(pattern: str) -> None:
    """A pattern that does not compile matches nothing (Argo CD logs and says no)."""
    assert not glob_match(pattern, pattern)
    assert not glob_match(pattern, "")


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("", "", True),
        ("", "apps", False),
        ("*", "", True),
        ("*", "rbac.authorization.k8s.io", True),
        ("*.k8s.io", "rbac.authorization.k8s.io", True),
        ("Config*", "ConfigMap", True),
        ("[^C]*", "ConfigMap", False),
        ("[!C]*", "!x", True),
        ("{a,b}", "a", False),
        ("{a,b}", "{a,b}", True),
        ("a?c", "abc", True),
        ("a/*", "a/b/c", False),
        ("[a-", "a", False),
    ],
)
def test_filepath_match(pattern: str, value: str, expected: bool) -> None:
    """Go's filepath.Match: `^` negates classes, no braces, `/` is never crossed."""
    assert filepath_match(pattern, value) is expected
