"""Confinement of a kustomization tree, checked before kustomize runs.

Kustomize reads files and directories named by many fields of a kustomization, follows
directories into their own kustomizations, and fetches anything that looks like a URL (Git
repositories, ``https://`` files, Helm chart repositories). gitopslib renders offline and never
reads outside the repository, so every such reference is checked here first:

* The kustomization must be something this check can read exactly as kustomize would: UTF-8
  text (a UTF-8 byte order mark is allowed), one YAML document, no unknown tags, a mapping.
  Anything else is refused rather than skipped.
* Field names are matched the way kustomize's JSON decoding matches them (case-insensitive with
  Unicode simple folding, so ``RESOURCES`` and ``reſources`` count as ``resources``), and every
  spelling present is checked, so duplicate keys cannot hide an entry.
* Remote entries (anything URL-looking: a scheme such as ``https:``, ``git::`` or ``file:``, a
  known Git host such as ``github.com/...``, ``user@host``, a ``?ref=`` query, a ``//`` subpath)
  are refused, as are Helm chart repositories (``helmCharts[].repo``) and ``helmBin``.
* Local entries must stay inside the repository both as kustomize joins them (lexically) and as
  the file system resolves them (symlinks).
* Directories are followed into their kustomizations; generator/transformer/validator configs
  (files or inline) are read and the files they name are checked too; Helm chart directories
  must not hold links that leave the repository.

>>> go_fold("Reſources") == go_fold("RESOURCES")
True
>>> looks_remote("github.com/org/repo//base?ref=v1"), looks_remote("../base")
(True, False)
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitopslib.errors import ManifestError, PathEscapeError, RenderError
from gitopslib.manifest import load_yaml_documents
from gitopslib.sources._base import check_tree_confined, is_inside

__all__ = [
    "KUSTOMIZATION_NAMES",
    "check_kustomization_paths",
    "go_fold",
    "looks_remote",
    "read_kustomization_tree",
]

#: File names kustomize accepts, in the order Argo CD looks for them.
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

_UTF8_BOM = b"\xef\xbb\xbf"
_OTHER_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_GIT_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "dev.azure.com", "ssh.dev.azure.com")


def go_fold(key: str) -> str:
    """A field name folded the way Go's ``encoding/json`` matches struct fields
    (``ToUpper(ToLower(r))`` rune by rune), so spellings kustomize accepts compare equal.

    >>> go_fold("resources"), go_fold("ReSources")
    ('RESOURCES', 'RESOURCES')
    """
    out: list[str] = []
    for ch in key:
        if ch < "\x80":
            out.append(ch.upper())
            continue
        low = ch.lower()
        low = low[0] if low else ch  # simple mapping: 'İ' lowers to 'i' (+ a combining mark)
        up = low.upper()
        out.append(up if len(up) == 1 else low)
    return "".join(out)


def looks_remote(entry: str) -> bool:
    """Whether kustomize could take ``entry`` for something to fetch (a Git repository, a URL
    or a ``file://`` clone) rather than a path in the repository. Deliberately broad: a local
    name that merely looks like a URL is refused too.

    >>> [looks_remote(e) for e in ("https://x/y.yaml", "git::ssh://h/r", "git@h:r.git", "base")]
    [True, True, True, False]
    """
    text = entry.strip()
    first = text.split("/", 1)[0]
    return bool(
        _SCHEME.match(text)
        or ":" in first
        or "@" in text
        or "?" in text
        or "//" in text
        or first.lower().removeprefix("www.") in _GIT_HOSTS
    )


def _is_inline(entry: str) -> bool:
    return "\n" in entry or ": " in entry or entry.lstrip().startswith(("{", "["))


def find_kustomization(directory: Path) -> Path | None:
    """The kustomization file of ``directory`` (first of :data:`KUSTOMIZATION_NAMES`), or None."""
    for name in KUSTOMIZATION_NAMES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


# --- what kustomization fields name ----------------------------------------------------------

# How an entry is used: a resource (file or kustomization directory), a plain file, a plugin
# config (file, inline YAML or kustomization directory), a patch (file or inline), a directory.
_RESOURCE, _FILE, _PLUGIN, _PATCH, _DIR = "resource", "file", "plugin", "patch", "dir"

_LIST_FIELDS = {
    go_fold(name): (name, use)
    for name, use in (
        ("resources", _RESOURCE),
        ("bases", _RESOURCE),
        ("components", _RESOURCE),
        ("generators", _PLUGIN),
        ("transformers", _PLUGIN),
        ("validators", _PLUGIN),
        ("crds", _FILE),
        ("configurations", _FILE),
        ("patchesStrategicMerge", _PATCH),
    )
}
#: Fields holding a list of mappings, with the keys of each mapping that name files.
_ITEM_FIELDS = {
    go_fold(name): (name, keys)
    for name, keys in (
        ("patches", ("path",)),
        ("patchesJson6902", ("path",)),
        ("replacements", ("path",)),
        ("configMapGenerator", ("files", "envs", "env")),
        ("secretGenerator", ("files", "envs", "env")),
        ("helmCharts", ("valuesFile", "additionalValuesFiles")),
        ("helmChartInflationGenerator", ("values",)),
    )
}
#: Keys that name a file or directory wherever they appear in a plugin config (folded).
_CONFIG_FILE_KEYS = frozenset(
    go_fold(k)
    for k in (
        "path",
        "paths",
        "files",
        "envs",
        "env",
        "valuesFile",
        "additionalValuesFiles",
        "chartHome",
        "configHome",
        "helmHome",
    )
)
#: Keys whose non-empty value makes kustomize (or the Helm it runs) reach the network or run a
#: program of the repository's choosing.
_FORBIDDEN_KEYS = {
    go_fold("repo"): "a Helm chart repository (gitopslib renders offline: vendor the chart "
    "under chartHome and drop `repo`)",
    go_fold("chartRepoURL"): "a Helm chart repository (gitopslib renders offline: vendor the "
    "chart under chartHome)",
    go_fold("chartRepoName"): "a Helm chart repository (gitopslib renders offline)",
    go_fold("helmBin"): "a program to run in place of Helm",
}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                yield item


def _file_source(folded_key: str, entry: str) -> str:
    """The path of a generator ``files`` entry (``[key=]path``); other entries as they are."""
    return entry.split("=", 1)[-1] if folded_key == go_fold("files") else entry


def _folded_items(node: Mapping[Any, Any]) -> Iterator[tuple[str, str, Any]]:
    for key, value in node.items():
        if isinstance(key, str):
            yield key, go_fold(key), value


# --- the check -------------------------------------------------------------------------------


@dataclass
class _Checker:
    root: Path
    seen: set[Path] = field(default_factory=set)
    stack: list[Path] = field(default_factory=list)
    #: Each visited folder with a kustomization file: its document (None when empty).
    docs: dict[Path, Mapping[Any, Any] | None] = field(default_factory=dict)

    def shown(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix() if is_inside(path, self.root) else str(path)

    def refuse(self, where: str, message: str, *, escape: bool = False) -> RenderError:
        if escape:
            return PathEscapeError(
                f"{where}: {message}", file=where, source_type="Kustomize", path=where
            )
        return RenderError(f"{where}: {message}", source_type="Kustomize", path=where)

    # reading -------------------------------------------------------------------------------

    def parse(self, data: bytes, where: str, *, what: str) -> list[Any]:
        """Every document of ``data``, read strictly; anything unreadable is refused."""
        if data.startswith(_OTHER_BOMS) or (b"\x00" in data):
            raise self.refuse(
                where,
                f"the {what} is not UTF-8 text (UTF-16/32 or NUL bytes); gitopslib checks "
                "every path a kustomization names before kustomize runs and refuses what it "
                "cannot read",
            )
        try:
            text = data.removeprefix(_UTF8_BOM).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self.refuse(
                where,
                f"the {what} is not UTF-8 text (byte {exc.start}); gitopslib refuses what it "
                "cannot check",
            ) from None
        try:
            return load_yaml_documents(text, file=where)
        except ManifestError as exc:
            located = f" (line {exc.line})" if getattr(exc, "line", None) else ""
            raise self.refuse(
                where,
                f"cannot check the {what}{located}: {exc.message}; gitopslib refuses a "
                "kustomization it cannot read before kustomize runs",
            ) from None

    def kustomization(self, here: Path) -> None:
        kfile = find_kustomization(here)
        if kfile is None:
            return
        shown = self.shown(kfile)
        try:
            leaves = not is_inside(kfile.resolve(), self.root)
        except (OSError, RuntimeError):
            leaves = True
        if leaves:
            raise self.refuse(
                shown,
                "the kustomization file is a symlink pointing outside the repository",
                escape=True,
            )
        docs = self.parse(kfile.read_bytes(), shown, what="kustomization")
        docs = [d for d in docs if d is not None]
        if len(docs) > 1:
            raise self.refuse(shown, "a kustomization holds one YAML document, this one several")
        self.docs[here] = None
        if not docs:
            return
        doc = docs[0]
        if not isinstance(doc, Mapping):
            raise self.refuse(shown, f"a kustomization is a mapping, not a {type(doc).__name__}")
        self.docs[here] = doc
        self.fields(doc, here, shown)

    def fields(self, doc: Mapping[Any, Any], here: Path, shown: str) -> None:
        chart_home = "charts"
        for _key, folded, value in _folded_items(doc):
            if folded == go_fold("helmGlobals") and isinstance(value, Mapping):
                for name, sub, entry in _folded_items(value):
                    if sub in (go_fold("chartHome"), go_fold("configHome")):
                        for path in _strings(entry):
                            self.entry(here, shown, f"helmGlobals.{name}", path, _DIR)
                            if sub == go_fold("chartHome"):
                                chart_home = path
            elif folded == go_fold("openapi") and isinstance(value, Mapping):
                for name, sub, entry in _folded_items(value):
                    if sub == go_fold("path"):
                        for path in _strings(entry):
                            self.entry(here, shown, f"openapi.{name}", path, _FILE)
        for key, folded, value in _folded_items(doc):
            if folded in _LIST_FIELDS:
                _, use = _LIST_FIELDS[folded]
                for entry in _strings(value):
                    self.entry(here, shown, key, entry, use)
            elif folded in _ITEM_FIELDS:
                _, keys = _ITEM_FIELDS[folded]
                wanted = {go_fold(k) for k in keys}
                for index, item in enumerate(value if isinstance(value, list) else []):
                    if not isinstance(item, Mapping):
                        continue
                    where = f"{key}[{index}]"
                    for name, sub, entry in _folded_items(item):
                        if sub in wanted:
                            for path in _strings(entry):
                                path = _file_source(sub, path)
                                self.entry(here, shown, f"{where}.{name}", path, _FILE)
                        elif sub in _FORBIDDEN_KEYS and entry:
                            raise self.refuse(shown, f"{where}.{name} names {_FORBIDDEN_KEYS[sub]}")
                        elif sub in (go_fold("chartHome"), go_fold("helmHome")):
                            for path in _strings(entry):
                                self.entry(here, shown, f"{where}.{name}", path, _DIR)
                    if folded == go_fold("helmCharts"):
                        self.chart(here, shown, where, item, "name", chart_home)
                    elif folded == go_fold("helmChartInflationGenerator"):
                        home = next(
                            (v for _, s, v in _folded_items(item) if s == go_fold("chartHome")),
                            None,
                        )
                        self.chart(here, shown, where, item, "chartName", str(home or "charts"))

    def chart(
        self,
        here: Path,
        shown: str,
        where: str,
        item: Mapping[Any, Any],
        name_key: str,
        chart_home: str,
    ) -> None:
        """A local chart kustomize inflates with Helm: its directory must hold no link out."""
        for _name, sub, value in _folded_items(item):
            if sub != go_fold(name_key) or not isinstance(value, str) or not value:
                continue
            rel = f"{chart_home}/{value}"
            target = self.entry(here, shown, f"{where}.{name_key}", rel, _DIR)
            if target is not None and target.is_dir():
                check_tree_confined(target, self.root, source_type="Kustomize")

    def entry(self, here: Path, shown: str, field_name: str, entry: str, use: str) -> Path | None:
        """Check one reference; returns the resolved local target (None for inline text)."""
        if not entry:
            return None
        if use in (_PLUGIN, _PATCH) and _is_inline(entry):
            self.inline_as_path(here, shown, field_name, entry)
            if use == _PLUGIN:
                docs = self.parse(entry.encode(), shown, what=f"inline {field_name} config")
                self.config(docs, here, shown, f"inline {field_name} config")
            return None
        if looks_remote(entry):
            raise self.refuse(
                shown,
                f"{field_name} entry {entry!r} is remote; gitopslib renders offline and does "
                "not fetch remote or file:// kustomize resources (vendor them into the "
                "repository)",
            )
        if "\x00" in entry:
            raise self.refuse(shown, f"{field_name} entry {entry!r} holds a NUL byte")
        if Path(entry).is_absolute():
            raise self.refuse(
                shown,
                f"{field_name} entry {entry!r} is an absolute path; only paths inside the "
                "repository are allowed",
                escape=True,
            )
        target = self.confined(here, shown, field_name, entry)
        if use in (_RESOURCE, _PLUGIN) and target.is_dir():
            self.stack.append(target)
        elif use == _PLUGIN and target.is_file():
            docs = self.parse(target.read_bytes(), self.shown(target), what=f"{field_name} config")
            self.config(docs, target.parent, shown, f"{field_name} config {entry!r}")
        return target

    def confined(self, here: Path, shown: str, field_name: str, entry: str) -> Path:
        """``here/entry`` resolved, inside the repository both as kustomize joins it (lexically,
        then the file system follows links) and as Python resolves it."""
        try:
            lexical = Path(os.path.normpath(here / entry)).resolve()
            direct = (here / entry).resolve()
        except (OSError, RuntimeError, ValueError):
            raise self.refuse(
                shown,
                f"{field_name} entry {entry!r} cannot be resolved (a symlink loop?)",
                escape=True,
            ) from None
        if not (is_inside(lexical, self.root) and is_inside(direct, self.root)):
            raise self.refuse(
                shown, f"{field_name} entry {entry!r} leaves the repository root", escape=True
            )
        return lexical

    def inline_as_path(self, here: Path, shown: str, field_name: str, entry: str) -> None:
        """Kustomize tries an inline-looking entry as a file name first: refuse it if such a
        file exists outside the repository."""
        if "\x00" in entry:
            return
        if Path(entry).is_absolute():
            if os.path.lexists(entry):
                raise self.refuse(
                    shown, f"{field_name} entry {entry!r} is an absolute path", escape=True
                )
            return
        try:
            exists = os.path.lexists(here / entry) or os.path.lexists(
                os.path.normpath(here / entry)
            )
        except (OSError, ValueError):
            return
        if exists:
            self.confined(here, shown, field_name, entry)

    def config(self, docs: list[Any], base: Path, shown: str, what: str) -> None:
        """The files a generator/transformer/validator config names (``files`` entries may be
        ``key=path``), relative to ``base``; remote chart repositories and ``helmBin`` refused."""

        def walk(node: Any, trail: str) -> None:
            if isinstance(node, Mapping):
                for name, folded, value in _folded_items(node):
                    here_trail = f"{trail}.{name}" if trail else name
                    if folded in _FORBIDDEN_KEYS and value:
                        reason = _FORBIDDEN_KEYS[folded]
                        raise self.refuse(shown, f"{what}: {here_trail} names {reason}")
                    if folded in _CONFIG_FILE_KEYS:
                        for entry in _strings(value):
                            path = _file_source(folded, entry)
                            self.entry(base, shown, f"{what}: {here_trail}", path, _FILE)
                    walk(value, here_trail)
            elif isinstance(node, list):
                for item in node:
                    walk(item, trail)

        for doc in docs:
            walk(doc, "")


def check_kustomization_paths(
    repo_root: Path, kustomization_dir: Path, *, resolved: bool = False
) -> set[Path]:
    """Refuse the kustomization tree rooted at ``kustomization_dir`` if anything in it could make
    kustomize read outside ``repo_root`` or reach the network (see the module docstring), or if
    a kustomization or plugin config in it cannot be read strictly.

    Raises :class:`~gitopslib.errors.PathEscapeError` for paths that leave the repository and
    :class:`~gitopslib.errors.RenderError` for remote references and unreadable files. Returns
    the directories of the kustomizations visited (resolved). ``resolved``: both paths are
    already resolved (symlinks followed), so they are used as they are.
    """
    return set(read_kustomization_tree(repo_root, kustomization_dir, resolved=resolved))


def read_kustomization_tree(
    repo_root: Path, kustomization_dir: Path, *, resolved: bool = False
) -> dict[Path, Mapping[Any, Any] | None]:
    """:func:`check_kustomization_paths`, returning each kustomization visited (its directory,
    resolved) with the document the check parsed (None for an empty file), so that callers
    reading the kustomizations (KSOPS generators) do not parse them again."""
    if not resolved:
        repo_root, kustomization_dir = repo_root.resolve(), kustomization_dir.resolve()
    checker = _Checker(repo_root)
    checker.stack.append(kustomization_dir)
    while checker.stack:
        here = checker.stack.pop()
        if here in checker.seen:
            continue
        checker.seen.add(here)
        checker.kustomization(here)
    return checker.docs
