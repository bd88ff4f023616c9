"""Masterminds-style semver constraints used for targetRevision (expected values by hand)."""

from __future__ import annotations

import pytest

from gitopslib.git import max_version

TAGS = ["v0.9.0", "v1.0.0", "v1.0.5", "v1.1.0", "v1.2.0-rc.1", "v2.0.0", "not-a-version"]


@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        ("*", "v2.0.0"),  # highest non-prerelease
        ("1.0.*", "v1.0.5"),
        ("~1.0", "v1.0.5"),  # >=1.0.0 <1.1.0
        ("^1.0", "v1.1.0"),  # >=1.0.0 <2.0.0, prerelease excluded
        (">=1.0 <1.1", "v1.0.5"),
        (">=1.0, <1.1", "v1.0.5"),
        ("<1.0.0 || >=2.0.0", "v2.0.0"),
        ("1.0 - 1.0.9", "v1.0.5"),
        (">=1.2.0-0", "v2.0.0"),
        ("^0.9", "v0.9.0"),
        ("!=2.0.0", "v1.1.0"),
    ],
)
def test_constraint_picks_highest_matching_tag(constraint: str, expected: str) -> None:
    """A constraint becomes the highest tag satisfying it (original tag text kept)."""
    assert max_version(constraint, TAGS) == expected


def test_exact_version_is_kept() -> None:
    """An exact version is not a constraint: returned as written, not checked against tags."""
    assert max_version("v9.9.9", TAGS) == "v9.9.9"


def test_branch_name_is_not_a_constraint() -> None:
    """Branch names fall through to ref matching."""
    assert max_version("main", TAGS) is None


def test_no_matching_tag() -> None:
    """A constraint that no tag satisfies yields None (Argo CD falls through)."""
    assert max_version(">=5.0", TAGS) is None
