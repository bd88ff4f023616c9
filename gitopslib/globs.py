"""The two wildcard dialects Argo CD uses, as pure functions.

Argo CD matches most AppProject fields with the gobwas glob library (``sourceRepos`` with
``/`` as separator; destinations, sync windows, RBAC objects and orphan ignore rules without
one), and Directory sources' ``include``/``exclude`` (on the path relative to the app
directory, no separator: ``*`` crosses ``/``); resource allow/deny lists use Go's
``path/filepath.Match``. The dialects differ:

============  ===========================================  ==================================
syntax        gobwas (:func:`glob_match`)                  filepath (:func:`filepath_match`)
============  ===========================================  ==================================
``*``         any run of non-separator characters          any run of characters except ``/``
``**``        any run of characters, separators included   same as ``*``
``?``         one non-separator character                  one character except ``/``
``[a-z]``     character class; ``[!a-z]`` negates          class; ``[^a-z]`` negates
``{a,b}``     alternatives (may nest)                      literal braces
``\\x``        the literal ``x``                            the literal ``x``
============  ===========================================  ==================================

A malformed pattern never matches (Argo CD logs the compile error and answers "no").

>>> glob_match("https://github.com/argoproj/*", "https://github.com/argoproj/cd", "/")
True
>>> glob_match("https://github.com/*", "https://github.com/argoproj/cd", "/")
False
>>> filepath_match("*.k8s.io", "rbac.authorization.k8s.io")
True
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["compile_glob", "filepath_match", "glob_match"]


class _BadPattern(ValueError):
    pass


def _class_body(pattern: str, i: int, negate_char: str) -> tuple[str, int]:
    """Translate a ``[...]`` class starting after ``[`` at ``i``; return (regex, next index)."""
    n = len(pattern)
    negated = False
    if i < n and pattern[i] == negate_char:
        negated = True
        i += 1
    items: list[str] = []
    while True:
        if i >= n:
            raise _BadPattern("unclosed character class")
        c = pattern[i]
        if c == "]" and items:
            i += 1
            break
        if c == "\\":
            i += 1
            if i >= n:
                raise _BadPattern("trailing backslash")
            c = pattern[i]
        elif c in "-]":
            raise _BadPattern(f"unexpected {c!r} in character class")
        lo = c
        i += 1
        if i + 1 < n and pattern[i] == "-" and pattern[i + 1] != "]":
            hi = pattern[i + 1]
            i += 2
            if hi == "\\":
                if i >= n:
                    raise _BadPattern("trailing backslash")
                hi = pattern[i]
                i += 1
            if hi < lo:
                raise _BadPattern("reversed range in character class")
            items.append(f"{re.escape(lo)}-{re.escape(hi)}")
        else:
            items.append(re.escape(lo))
    return ("[^" if negated else "[") + "".join(items) + "]", i


def _gobwas_regex(pattern: str, separators: str) -> str:
    not_sep = f"[^{re.escape(separators)}]" if separators else "."
    out: list[str] = []
    depth = 0  # nesting of {...} alternatives
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            j = i
            while j < n and pattern[j] == "*":
                j += 1
            out.append(".*" if j - i >= 2 or not separators else f"{not_sep}*")
            i = j
            continue
        if c == "?":
            out.append(not_sep)
        elif c == "[":
            body, i = _class_body(pattern, i + 1, "!")
            out.append(body)
            continue
        elif c == "{":
            depth += 1
            out.append("(?:")
        elif c == "}" and depth:
            depth -= 1
            out.append(")")
        elif c == "," and depth:
            out.append("|")
        elif c == "\\":
            i += 1
            if i >= n:
                raise _BadPattern("trailing backslash")
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    if depth:
        raise _BadPattern("unclosed '{'")
    return "".join(out)


@lru_cache(maxsize=4096)
def compile_glob(pattern: str, separators: str = "") -> re.Pattern[str] | None:
    """Compile a gobwas-style glob to a regular expression (None when malformed).

    ``separators`` lists the characters ``*`` and ``?`` do not cross (``"/"`` for
    repository URLs, ``""`` elsewhere).

    The expression is anchored at the end: ``.match`` and ``.fullmatch`` agree.

    >>> compile_glob("a{b,c}*", "").fullmatch("acxyz") is not None
    True
    >>> compile_glob("a/*.{yaml,json}").match("a/b/c.json") is not None
    True
    >>> compile_glob("[unclosed", "") is None
    True
    """
    try:
        return re.compile(_gobwas_regex(pattern, separators) + r"\Z", re.DOTALL)
    except (_BadPattern, re.error):
        return None


def glob_match(pattern: str, value: str, separators: str = "") -> bool:
    """Whether ``value`` matches the gobwas glob ``pattern`` as a whole.

    >>> glob_match("*", ""), glob_match("prod-?", "prod-1"), glob_match("a/*", "a/b/c", "/")
    (True, True, False)
    >>> glob_match("{config.json,env-usw2/*}", "env-usw2/deploy.yaml"), glob_match("[!a]*", "abc")
    (True, False)
    """
    rx = compile_glob(pattern, separators)
    return rx is not None and rx.fullmatch(value) is not None


def _filepath_regex(pattern: str) -> str:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            while i < n and pattern[i] == "*":
                i += 1
            out.append("[^/]*")
            continue
        if c == "?":
            out.append("[^/]")
        elif c == "[":
            body, i = _class_body(pattern, i + 1, "^")
            out.append(body)
            continue
        elif c == "\\":
            i += 1
            if i >= n:
                raise _BadPattern("trailing backslash")
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


@lru_cache(maxsize=4096)
def _compile_filepath(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(_filepath_regex(pattern), re.DOTALL)
    except (_BadPattern, re.error):
        return None


def filepath_match(pattern: str, name: str) -> bool:
    """Go's ``filepath.Match`` on Unix: whether ``name`` matches ``pattern`` as a whole.

    An empty pattern matches only the empty name (the core API group).

    >>> filepath_match("", ""), filepath_match("", "apps"), filepath_match("*", "")
    (True, False, True)
    """
    rx = _compile_filepath(pattern)
    return rx is not None and rx.fullmatch(name) is not None
