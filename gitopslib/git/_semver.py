"""Semantic versions and constraints as Argo CD reads ``targetRevision`` (Masterminds semver v3).

Used by :meth:`GitRepository.resolve` for step 3 of Argo CD's revision resolution: a
revision that is a constraint (``1.2.*``, ``~1.2``, ``>=1.0 <2.0``) becomes the highest tag
that satisfies it.

>>> max_version("~1.2", ["v1.2.0", "v1.2.9", "v1.3.0", "junk"])
'v1.2.9'
>>> parse_version("v1.2") is not None, parse_constraint("main") is None
(True, True)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["Constraint", "Version", "max_version", "parse_constraint", "parse_version"]

_NUM = r"[0-9]+"
_PRE = r"(?:-(?P<pre>[0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*))?"
_META = r"(?:\+(?P<meta>[0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*))?"
_VERSION = re.compile(
    rf"v?(?P<major>{_NUM})(?:\.(?P<minor>{_NUM}))?(?:\.(?P<patch>{_NUM}))?{_PRE}{_META}"
)
_MAX_UINT64 = 2**64 - 1


@dataclass(frozen=True)
class Version:
    """A parsed version; ``original`` is the text it came from (as Masterminds keeps it)."""

    major: int
    minor: int
    patch: int
    prerelease: str
    original: str

    def compare(self, other: Version) -> int:
        """-1, 0 or 1 (build metadata ignored; a pre-release sorts before its release)."""
        a = (self.major, self.minor, self.patch)
        b = (other.major, other.minor, other.patch)
        if a != b:
            return -1 if a < b else 1
        return _compare_prerelease(self.prerelease, other.prerelease)


def _compare_prerelease(a: str, b: str) -> int:
    if a == b:
        return 0
    if not a:
        return 1
    if not b:
        return -1
    pa, pb = a.split("."), b.split(".")
    for x, y in zip(pa, pb, strict=False):
        if x == y:
            continue
        xn, yn = x.isdigit(), y.isdigit()
        if xn and yn:
            return -1 if int(x) < int(y) else 1
        if xn:
            return -1
        if yn:
            return 1
        return -1 if x < y else 1
    if len(pa) == len(pb):
        return 0
    return -1 if len(pa) < len(pb) else 1


def parse_version(text: str) -> Version | None:
    """A version (``v`` prefix and missing minor/patch allowed), or None.

    >>> parse_version("v1.2.3-rc.1").prerelease
    'rc.1'
    """
    m = _VERSION.fullmatch(text)
    if m is None:
        return None
    nums = [int(m.group(k) or 0) for k in ("major", "minor", "patch")]
    if any(n > _MAX_UINT64 for n in nums):
        return None
    pre = m.group("pre") or ""
    for ident in pre.split(".") if pre else ():
        if ident.isdigit() and len(ident) > 1 and ident.startswith("0"):
            return None
    return Version(nums[0], nums[1], nums[2], pre, text)


# --- constraints ------------------------------------------------------------------------------

_OPS_ORDERED = r"!=|>=|=>|<=|=<|~>|=|>|<|~|\^|"
_XNUM = r"[0-9|xX*]+"
_CV = (
    rf"v?(?:{_XNUM})(?:\.(?:{_XNUM}))?(?:\.(?:{_XNUM}))?"
    r"(?:-(?:[0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*))?(?:\+(?:[0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*))?"
)
_CV_GROUPS = re.compile(
    rf"v?(?P<major>{_XNUM})(?P<minor>\.{_XNUM})?(?P<patch>\.{_XNUM})?"
    r"(?P<rest>(?:-[0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*)?(?:\+[0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*)?)"
)
_ONE = re.compile(rf"\s*(?P<op>{_OPS_ORDERED})\s*(?P<ver>{_CV})\s*")
_FIND = re.compile(rf"(?:{_OPS_ORDERED})\s*(?:{_CV})")
_VALID = re.compile(
    rf"(?:\s*(?:{_OPS_ORDERED})\s*(?:{_CV})\s*)(?:(?:\s+|,\s*)(?:{_OPS_ORDERED})\s*(?:{_CV})\s*)*"
)
_RANGE = re.compile(rf"\s*({_CV})\s+-\s+({_CV})\s*")


def _is_x(part: str) -> bool:
    return part in ("x", "X", "*")


@dataclass(frozen=True)
class _Term:
    op: str
    con: Version
    dirty: bool
    minor_dirty: bool
    patch_dirty: bool

    def check(self, v: Version) -> bool:
        if v.prerelease and not self.con.prerelease:
            return False
        return _CHECKS[self.op](self, v)


def _eq(t: _Term, v: Version) -> bool:
    return _tilde(t, v) if t.dirty else v.compare(t.con) == 0


def _ne(t: _Term, v: Version) -> bool:
    c = t.con
    if t.dirty:
        if c.major != v.major:
            return True
        if c.minor != v.minor and not t.minor_dirty:
            return True
        if t.minor_dirty:
            return False
        if c.patch != v.patch and not t.patch_dirty:
            return True
        if t.patch_dirty:
            if v.prerelease or c.prerelease:
                return _compare_prerelease(v.prerelease, c.prerelease) != 0
            return False
    return v.compare(c) != 0


def _gt(t: _Term, v: Version) -> bool:
    c = t.con
    if not t.dirty:
        return v.compare(c) == 1
    if v.major != c.major:
        return v.major > c.major
    if t.minor_dirty:
        return False
    if t.patch_dirty:
        return v.minor > c.minor
    return v.compare(c) == 1


def _lt(t: _Term, v: Version) -> bool:
    return v.compare(t.con) < 0


def _ge(t: _Term, v: Version) -> bool:
    return v.compare(t.con) >= 0


def _le(t: _Term, v: Version) -> bool:
    c = t.con
    if not t.dirty:
        return v.compare(c) <= 0
    if v.major > c.major:
        return False
    return not (v.major == c.major and v.minor > c.minor and not t.minor_dirty)


def _tilde(t: _Term, v: Version) -> bool:
    c = t.con
    if v.compare(c) < 0:
        return False
    if (c.major, c.minor, c.patch) == (0, 0, 0) and not t.minor_dirty and not t.patch_dirty:
        return True
    if v.major != c.major:
        return False
    return not (v.minor != c.minor and not t.minor_dirty)


def _caret(t: _Term, v: Version) -> bool:
    c = t.con
    if v.compare(c) < 0:
        return False
    if c.major > 0 or t.minor_dirty:
        return v.major == c.major
    if v.major > 0:
        return False
    if c.minor > 0 or t.patch_dirty:
        return v.minor == c.minor
    if v.minor > 0:
        return False
    return c.patch == v.patch


_CHECKS: dict[str, Callable[[_Term, Version], bool]] = {
    "": _eq,
    "=": _eq,
    "!=": _ne,
    ">": _gt,
    "<": _lt,
    ">=": _ge,
    "=>": _ge,
    "<=": _le,
    "=<": _le,
    "~": _tilde,
    "~>": _tilde,
    "^": _caret,
}


def _parse_term(text: str) -> _Term | None:
    m = _ONE.fullmatch(text)
    if m is None:
        return None
    g = _CV_GROUPS.fullmatch(m.group("ver"))
    if g is None:
        return None
    major, minor, patch, rest = g.group("major"), g.group("minor"), g.group("patch"), g["rest"]
    minor_dirty = patch_dirty = dirty = False
    if _is_x(major):
        ver, dirty = f"0.0.0{rest}", True
    elif minor is None or _is_x(minor[1:]):
        ver, minor_dirty, dirty = f"{major}.0.0{rest}", True, True
    elif patch is None or _is_x(patch[1:]):
        ver, patch_dirty, dirty = f"{major}{minor}.0{rest}", True, True
    else:
        ver = f"{major}{minor}{patch}{rest}"
    con = parse_version(ver)
    if con is None:
        return None
    return _Term(m.group("op"), con, dirty, minor_dirty, patch_dirty)


@dataclass(frozen=True)
class Constraint:
    """A parsed constraint: OR-groups (``||``) of AND-ed terms."""

    groups: tuple[tuple[_Term, ...], ...]
    original: str

    def check(self, version: Version) -> bool:
        """Does ``version`` satisfy the constraint?"""
        return any(all(t.check(version) for t in group) for group in self.groups)


def parse_constraint(text: str) -> Constraint | None:
    """A Masterminds-style constraint, or None when ``text`` is not one.

    >>> parse_constraint(">=1.0, <2.0").check(parse_version("1.5.0"))
    True
    """
    rewritten = _RANGE.sub(lambda m: f" >= {m.group(1)}, <= {m.group(2)} ", text)
    groups: list[tuple[_Term, ...]] = []
    for part in rewritten.split("||"):
        if not _VALID.fullmatch(part):
            return None
        found = _FIND.findall(part) or [part]
        terms = [_parse_term(s) for s in found]
        if any(t is None for t in terms):
            return None
        groups.append(tuple(t for t in terms if t is not None))
    return Constraint(tuple(groups), text)


def max_version(revision: str, tags: Iterable[str]) -> str | None:
    """Argo CD's ``MaxVersion``: ``revision`` itself when it is an exact version, the highest
    tag satisfying it when it is a constraint, else None (not a constraint, or no tag fits).

    >>> max_version("v1.0.0", []), max_version("1.*", ["1.0", "2.0"]), max_version("x1", [])
    ('v1.0.0', '1.0', None)
    """
    if parse_version(revision) is not None:
        return revision
    constraint = parse_constraint(revision)
    if constraint is None:
        return None
    best: Version | None = None
    for tag in tags:
        v = parse_version(tag)
        if v is not None and constraint.check(v) and (best is None or v.compare(best) > 0):
            best = v
    return best.original if best is not None else None
