"""Git repository URLs: Argo CD's normalisation, equality and credential masking.

A pure module of the base layer (no IO). Project policy compares ``sourceRepos`` patterns
with normalised URLs, the Git cache keys its mirrors by them, and every error message that
names a repository passes it through :func:`mask_credentials` first (defined in
:mod:`gitopslib._masking`, below the error tree, so that every error message is masked too).

>>> normalize_git_url("git@GitHub.com:argoproj/argocd-example-apps.git")
'git@github.com/argoproj/argocd-example-apps'
>>> same_url("https://github.com/a/b.git", "HTTPS://GITHUB.COM/a/b")
True
>>> mask_credentials("https://me:s3cret@example.com/r.git")
'https://me:***@example.com/r.git'
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

from gitopslib._masking import MASK, mask_credentials

__all__ = [
    "MASK",
    "is_commit_sha",
    "is_ssh_url",
    "is_truncated_commit_sha",
    "mask_credentials",
    "normalize_git_url",
    "repo_identity",
    "same_url",
]


_COMMIT_SHA = re.compile(r"[0-9A-Fa-f]{40}")
_TRUNCATED_SHA = re.compile(r"[0-9A-Fa-f]{7,}")
# Argo CD's SSH URL test: an optional ssh:// then a user part without '/' or ':' and an '@'.
_SSH_URL = re.compile(r"(ssh://)?([^/:]*?)@[^@]+", re.DOTALL)

# Go's unicode.IsSpace set, which strings.TrimSpace strips (Python's str.strip differs).
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
_GO_SPACE += "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


def is_commit_sha(rev: str) -> bool:
    """True for a full 40-hex commit SHA (either case).

    >>> is_commit_sha("a" * 40), is_commit_sha("abc1234")
    (True, False)
    """
    return _COMMIT_SHA.fullmatch(rev) is not None


def is_truncated_commit_sha(rev: str) -> bool:
    """True for a string of at least 7 hex digits (what Argo CD accepts as a short SHA).

    >>> is_truncated_commit_sha("abc1234"), is_truncated_commit_sha("abc12")
    (True, False)
    """
    return _TRUNCATED_SHA.fullmatch(rev) is not None


def is_ssh_url(url: str) -> bool:
    """True when Argo CD would treat ``url`` as SSH (``ssh://`` or ``user@host:path``).

    >>> is_ssh_url("git@github.com:a/b.git"), is_ssh_url("https://github.com/a/b")
    (True, False)
    """
    return _SSH_URL.fullmatch(url) is not None


# --- a faithful port of the parts of Go's net/url that NormalizeGitURL goes through ----------


class _URLError(ValueError):
    pass


_UNRESERVED_MARK = frozenset(b"-_.~")
_RESERVED = frozenset(b"$&+,/:;=?@")
_HOST_EXTRA = frozenset(b"!$&'()*+,;=:[]<>\"")
_SUB_DELIMS_OK = frozenset(b"!$&'()*+,;=:@[]")
_HEX = frozenset(b"0123456789abcdefABCDEF")

_PATH, _HOST, _USERPASS, _FRAGMENT = "path", "host", "userpass", "fragment"


def _alnum(c: int) -> bool:
    return 0x30 <= c <= 0x39 or 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A


def _should_escape(c: int, mode: str) -> bool:
    if _alnum(c):
        return False
    if mode == _HOST and c in _HOST_EXTRA:
        return False
    if c in _UNRESERVED_MARK:
        return False
    if c in _RESERVED:
        if mode == _PATH:
            return c == ord("?")
        if mode == _USERPASS:
            return c in b"@/?:"
        if mode == _FRAGMENT:
            return False
    return not (mode == _FRAGMENT and c in b"!()*")


def _escape(raw: bytes, mode: str) -> str:
    out = []
    for c in raw:
        if _should_escape(c, mode):
            out.append(f"%{c:02X}")
        else:
            out.append(chr(c))
    return "".join(out)


def _unescape(s: bytes, mode: str) -> bytes:
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == 0x25:  # '%'
            if i + 2 >= len(s) or s[i + 1] not in _HEX or s[i + 2] not in _HEX:
                raise _URLError("invalid URL escape")
            if mode == _HOST and int(chr(s[i + 1]), 16) < 8 and s[i : i + 3] != b"%25":
                raise _URLError("invalid URL escape in host")
            out.append(int(s[i + 1 : i + 3], 16))
            i += 3
            continue
        if mode == _HOST and c < 0x80 and _should_escape(c, mode):
            raise _URLError("invalid character in host name")
        out.append(c)
        i += 1
    return bytes(out)


def _valid_encoded(s: bytes, mode: str) -> bool:
    return all(c in _SUB_DELIMS_OK or c == 0x25 or not _should_escape(c, mode) for c in s)


def _valid_optional_port(port: bytes) -> bool:
    if not port:
        return True
    if port[:1] != b":":
        return False
    return all(0x30 <= c <= 0x39 for c in port[1:])


def _parse_host(host: bytes) -> bytes:
    if host.startswith(b"["):
        i = host.rfind(b"]")
        if i < 0:
            raise _URLError("missing ']' in host")
        if not _valid_optional_port(host[i + 1 :]):
            raise _URLError("invalid port after host")
        zone = host[:i].find(b"%25")
        if zone >= 0:
            return (
                _unescape(host[:zone], _HOST)
                + _unescape(host[zone:i], _PATH)
                + _unescape(host[i:], _HOST)
            )
    else:
        i = host.rfind(b":")
        if i != -1 and not _valid_optional_port(host[i:]):
            raise _URLError("invalid port after host")
    return _unescape(host, _HOST)


_USERINFO_OK = frozenset(b"-._:~!$&'()*+,;=%@")


@dataclass
class _GoURL:
    scheme: str = ""
    opaque: str = ""
    user: tuple[bytes, bytes | None] | None = None
    host: bytes = b""
    path: bytes = b""
    raw_path: bytes = b""
    omit_host: bool = False
    force_query: bool = False
    raw_query: bytes = b""
    fragment: bytes = b""
    raw_fragment: bytes = b""

    def escaped_path(self) -> str:
        if (
            self.raw_path
            and _valid_encoded(self.raw_path, _PATH)
            and _unescape(self.raw_path, _PATH) == self.path
        ):
            return self.raw_path.decode("utf-8", "surrogateescape")
        if self.path == b"*":
            return "*"
        return _escape(self.path, _PATH)

    def escaped_fragment(self) -> str:
        if (
            self.raw_fragment
            and _valid_encoded(self.raw_fragment, _FRAGMENT)
            and _unescape(self.raw_fragment, _FRAGMENT) == self.fragment
        ):
            return self.raw_fragment.decode("utf-8", "surrogateescape")
        return _escape(self.fragment, _FRAGMENT)

    def string(self) -> str:
        buf = ""
        if self.scheme:
            buf += self.scheme + ":"
        if self.opaque:
            buf += self.opaque
        else:
            if (self.scheme or self.host or self.user is not None) and not (
                self.omit_host and not self.host and self.user is None
            ):
                if self.host or self.path or self.user is not None:
                    buf += "//"
                if self.user is not None:
                    name, password = self.user
                    buf += _escape(name, _USERPASS)
                    if password is not None:
                        buf += ":" + _escape(password, _USERPASS)
                    buf += "@"
                if self.host:
                    buf += _escape(self.host, _HOST)
            path = self.escaped_path()
            if path and not path.startswith("/") and self.host:
                buf += "/"
            if not buf and ":" in path.split("/", 1)[0]:
                buf += "./"
            buf += path
        if self.force_query or self.raw_query:
            buf += "?" + self.raw_query.decode("utf-8", "surrogateescape")
        if self.fragment:
            buf += "#" + self.escaped_fragment()
        return buf


def _get_scheme(raw: bytes) -> tuple[str, bytes]:
    for i, c in enumerate(raw):
        if 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A:
            continue
        if 0x30 <= c <= 0x39 or c in b"+-.":
            if i == 0:
                return "", raw
            continue
        if c == 0x3A:  # ':'
            if i == 0:
                raise _URLError("missing protocol scheme")
            return raw[:i].decode("ascii").lower(), raw[i + 1 :]
        return "", raw
    return "", raw


def _go_parse(text: str) -> _GoURL:
    raw = text.encode("utf-8", "surrogateescape")
    raw, _, frag = raw.partition(b"#")
    if any(c < 0x20 or c == 0x7F for c in raw):
        raise _URLError("invalid control character in URL")
    u = _GoURL()
    if raw == b"*":
        u.path = b"*"
    else:
        u.scheme, rest = _get_scheme(raw)
        if rest.endswith(b"?") and rest.count(b"?") == 1:
            u.force_query = True
            rest = rest[:-1]
        else:
            rest, _, u.raw_query = rest.partition(b"?")
        if not rest.startswith(b"/"):
            if u.scheme:
                u.opaque = rest.decode("utf-8", "surrogateescape")
                _set_fragment(u, frag)
                return u
            if b":" in rest.split(b"/", 1)[0]:
                raise _URLError("first path segment in URL cannot contain colon")
        if (u.scheme or not rest.startswith(b"///")) and rest.startswith(b"//"):
            authority, rest = rest[2:], b""
            slash = authority.find(b"/")
            if slash >= 0:
                authority, rest = authority[:slash], authority[slash:]
            _parse_authority(u, authority)
        elif u.scheme and rest.startswith(b"/"):
            u.omit_host = True
        u.path = _unescape(rest, _PATH)
        u.raw_path = b"" if _escape(u.path, _PATH).encode() == rest else rest
    _set_fragment(u, frag)
    return u


def _set_fragment(u: _GoURL, frag: bytes) -> None:
    u.fragment = _unescape(frag, _FRAGMENT)
    u.raw_fragment = b"" if _escape(u.fragment, _FRAGMENT).encode() == frag else frag


def _parse_authority(u: _GoURL, authority: bytes) -> None:
    at = authority.rfind(b"@")
    u.host = _parse_host(authority if at < 0 else authority[at + 1 :])
    if at < 0:
        return
    userinfo = authority[:at]
    if not all(_alnum(c) or c in _USERINFO_OK for c in userinfo):
        raise _URLError("invalid userinfo")
    if b":" in userinfo:
        name, _, password = userinfo.partition(b":")
        u.user = (_unescape(name, _USERPASS), _unescape(password, _USERPASS))
    else:
        u.user = (_unescape(userinfo, _USERPASS), None)


def _go_lower(text: str) -> str:
    # Go lower-cases rune by rune with simple case mapping; Python's full mapping turns
    # U+0130 into two code points.
    return "".join("i" if ch == "\u0130" else ch.lower() for ch in text)


def normalize_git_url(url: str) -> str:
    """Argo CD's ``NormalizeGitURL``: the form in which two repository URLs are compared.

    Lower-cases and trims the URL, rewrites scp-style ``user@host:path`` to ``user@host/path``,
    drops a trailing ``.git`` and a leading ``ssh://``, then re-serialises it the way Go's
    ``net/url`` does. Returns ``""`` for a URL Go cannot parse (as Argo CD does).

    >>> normalize_git_url("ssh://git@github.com/Org/Repo.git")
    'git@github.com/org/repo'
    >>> normalize_git_url("https://github.com/argoproj/argocd-example-apps.git")
    'https://github.com/argoproj/argocd-example-apps'
    """
    repo = _go_lower(url.strip(_GO_SPACE))
    if is_ssh_url(repo) and not repo.startswith("ssh://"):
        repo = "ssh://" + repo.replace(":", "/", 1)
    repo = repo.removesuffix(".git")
    try:
        normalized = _go_parse(repo).string()
    except (_URLError, ValueError):
        return ""
    return normalized.removeprefix("ssh://")


def _normalize_allow_invalid(url: str) -> str:
    return normalize_git_url(url) or url


def same_url(left: str, right: str) -> bool:
    """Argo CD's ``SameURL``: do two repository URLs point at the same repository?

    >>> same_url("git@github.com:org/repo.git", "ssh://git@github.com/org/repo")
    True
    >>> same_url("https://github.com/org/repo", "https://github.com/org/other")
    False
    """
    a = _normalize_allow_invalid(left)
    b = _normalize_allow_invalid(right)
    return a != "" and b != "" and a == b


# --- identity ---------------------------------------------------------------------------------

_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*)://")
_DEFAULT_PORTS = {"https": "443", "http": "80", "ssh": "22", "git": "9418"}


def repo_identity(url: str) -> str:
    """The repository a URL names, whatever its spelling: ``host[:port]/path``.

    Stricter than :func:`normalize_git_url` (Argo CD's form): the scheme (``https``,
    ``http``, ``ssh``, ``git``, scp-style), credentials, a default port, empty and ``.``
    path segments, ``x/..`` pairs, percent-encoding, a query, a fragment, a trailing ``/``
    and ``.git`` all fall away, so every spelling of one repository gives one identity. Used
    where a spelling must not dodge a rule (a project's ``sourceRepos`` deny entries).

    >>> repo_identity("https://user:tok@GitHub.com:443//org/./x/../repo.git/")
    'github.com/org/repo'
    >>> repo_identity("git@github.com:org/repo.git") == repo_identity("ssh://github.com/org/repo")
    True
    """
    text = _go_lower(url.strip(_GO_SPACE))
    match = _SCHEME.match(text)
    scheme = ""
    if match:
        scheme, rest = match.group(1), text[match.end() :]
    elif is_ssh_url(text):
        scheme = "ssh"
        user_host, _, path = text.partition(":")
        rest = f"{user_host}/{path}"
    else:
        rest = text
    rest = rest.split("#", 1)[0].split("?", 1)[0]
    authority, _, path = rest.partition("/")
    authority = authority.rsplit("@", 1)[-1]
    host, port = authority, ""
    if authority.count(":") == 1:  # not an IPv6 literal
        host, port = authority.split(":")
    if port == _DEFAULT_PORTS.get(scheme, ""):
        port = ""
    segments: list[str] = []
    for raw in path.split("/"):
        seg = urllib.parse.unquote(raw)
        if seg in ("", "."):
            continue
        if seg == "..":
            if segments:
                segments.pop()
            continue
        segments.append(seg)
    if segments:
        segments[-1] = segments[-1].removesuffix(".git")
    return (f"{host}:{port}" if port else host) + "/" + "/".join(segments)
