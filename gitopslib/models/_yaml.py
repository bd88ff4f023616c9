"""YAML in and out: ruamel.yaml round-trip parsing with locations, within bounds, and dumping.

Documents are parsed as Kubernetes reads them (YAML 1.1, timestamps kept as strings) into
plain JSON-like data, recording the line and column of every key and value by YAML path;
oversized, over-deep, alias-bomb and NUL-carrying input is refused with a located
:class:`~gitopslib.errors.ValidationError`. :func:`dump_yaml` writes block YAML in
Kubernetes' usual layout.
"""

from __future__ import annotations

import datetime
import io
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MantissaNoDotYAML1_1Warning, MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.resolver import VersionedResolver

from gitopslib.errors import ValidationError
from gitopslib.giturl import mask_credentials

#: Refuse Argo CD documents larger than this (etcd stores at most 1.5 MiB per object).
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
#: Refuse multi-document streams (``load_all``) larger than this.
MAX_STREAM_BYTES = 64 * 1024 * 1024
#: Refuse documents that expand (YAML aliases included) to more than this many nodes.
MAX_DOCUMENT_NODES = 1_000_000
#: Refuse documents nested deeper than this.
MAX_DOCUMENT_DEPTH = 100
#: Refuse documents whose strings add up (YAML aliases expanded) to more than this many bytes.
MAX_DOCUMENT_TEXT = 4 * MAX_DOCUMENT_BYTES

Path_ = tuple[str | int, ...]


def yaml_path(path: Sequence[str | int]) -> str:
    """A YAML path as users write it: ``spec.sources[0].helm``.

    >>> yaml_path(("spec", "source", "helm", "valueFiles", 0))
    'spec.source.helm.valueFiles[0]'
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


# --- YAML reading --------------------------------------------------------------------------


class _Constructor(RoundTripConstructor):
    """Round-trip constructor that keeps timestamps as the strings Kubernetes sees."""


def _construct_timestamp_as_str(constructor: RoundTripConstructor, node: Any) -> Any:
    return constructor.construct_scalar(node)


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_str)


_YAML11 = VersionedResolver(version=(1, 1))
_STR_TAG = "tag:yaml.org,2002:str"


class _Representer(RoundTripRepresenter):
    """Writes ``null`` for None (not an empty value) and multi-line strings as ``|`` blocks."""

    def represent_none(self, data: Any) -> Any:
        return self.represent_scalar("tag:yaml.org,2002:null", "null")

    def represent_str(self, data: Any) -> Any:
        if "\n" in data:
            return self.represent_scalar("tag:yaml.org,2002:str", data, style="|")
        if type(data) is str and _YAML11.resolve(ScalarNode, data, (True, False)) != _STR_TAG:
            # Kubernetes reads YAML 1.1: quote `yes`, `on`, `0755`, `1:20`, ... so they
            # stay strings there too.
            return self.represent_scalar(_STR_TAG, data, style='"')
        return super().represent_str(data)


_Representer.add_representer(type(None), _Representer.represent_none)
_Representer.add_representer(str, _Representer.represent_str)


def _loader() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    yaml.preserve_quotes = True
    # Kubernetes decodes YAML 1.1 (yes/no/on/off are booleans there).
    yaml.version = (1, 1)
    yaml.allow_duplicate_keys = False
    return yaml


def _dumper() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Representer = _Representer
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    yaml.preserve_quotes = True
    return yaml


class _Locations:
    """Line and column (1-based) of each key and value of a parsed document, by YAML path."""

    def __init__(self) -> None:
        self.keys: dict[Path_, tuple[int, int]] = {}
        self.values: dict[Path_, tuple[int, int]] = {}

    def of(self, path: Path_, *, key: bool = False) -> tuple[int | None, int | None]:
        """Where ``path`` is; falls back to the nearest located ancestor."""
        table = self.keys if key else self.values
        probe = path
        while True:
            if probe in table:
                return table[probe]
            if probe in self.values:
                return self.values[probe]
            if probe in self.keys:
                return self.keys[probe]
            if not probe:
                return None, None
            probe = probe[:-1]


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class _Converter:
    """Turns a ruamel tree into plain JSON-like data, recording locations, within bounds."""

    def __init__(self, file: str | None) -> None:
        self.file = file
        self.locations = _Locations()
        self.nodes = 0
        self.text = 0

    def fail(self, message: str, path: Path_) -> ValidationError:
        line, column = self.locations.of(path)
        return ValidationError(
            message, file=self.file, line=line, column=column, field=yaml_path(path) or None
        )

    def convert(self, node: Any, path: Path_ = ()) -> Any:
        self.nodes += 1
        if self.nodes > MAX_DOCUMENT_NODES:
            raise self.fail(
                f"document expands to more than {MAX_DOCUMENT_NODES} nodes "
                "(YAML aliases repeating one block many times?); refusing to load it",
                path,
            )
        if len(path) > MAX_DOCUMENT_DEPTH:
            raise self.fail(f"document is nested deeper than {MAX_DOCUMENT_DEPTH} levels", path)
        if isinstance(node, CommentedMap):
            return self._mapping(node, path)
        if isinstance(node, CommentedSeq):
            return self._sequence(node, path)
        if isinstance(node, TaggedScalar):
            raise self.fail(f"unsupported YAML tag {node.tag.value!r}", path)
        if node is None or isinstance(node, bool):
            return node
        if isinstance(node, str):
            if "\x00" in node:
                # Git, the file system and Kubernetes cut a string at a NUL byte: what one
                # reads is not what another does
                raise self.fail("the value holds a NUL byte (\\0), which no field allows", path)
            self.text += len(node)
            if self.text > MAX_DOCUMENT_TEXT:
                raise self.fail(
                    f"document expands to more than {MAX_DOCUMENT_TEXT} bytes of text (YAML "
                    "aliases repeating a large value?); refusing to load it",
                    path,
                )
            return str(node)
        if isinstance(node, int):
            if type(node).__name__ == "ScalarBoolean":
                return bool(node)
            if not _INT64_MIN <= node <= _INT64_MAX:
                raise self.fail(
                    f"integer {node} is out of range: Kubernetes integers are 64-bit "
                    f"({_INT64_MIN} to {_INT64_MAX})",
                    path,
                )
            return int(node)
        if isinstance(node, float):
            return float(node)
        if isinstance(node, datetime.date):
            return node.isoformat()
        raise self.fail(f"unsupported YAML value of type {type(node).__name__}", path)

    def _mapping(self, node: CommentedMap, path: Path_) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in node:
            value = node[key]
            name = _key_text(key)
            child = (*path, name)
            try:
                line, col = node.lc.key(key)
                self.locations.keys[child] = (line + 1, col + 1)
                line, col = node.lc.value(key)
                self.locations.values[child] = (line + 1, col + 1)
            except (KeyError, TypeError, AttributeError):
                pass
            out[name] = self.convert(value, child)
        return out

    def _sequence(self, node: CommentedSeq, path: Path_) -> list[Any]:
        out: list[Any] = []
        for index, value in enumerate(node):
            child = (*path, index)
            try:
                line, col = node.lc.item(index)
                self.locations.values[child] = (line + 1, col + 1)
            except (KeyError, TypeError, AttributeError):
                pass
            out.append(self.convert(value, child))
        return out


def _key_text(key: Any) -> str:
    """Mapping keys as JSON sees them (Kubernetes turns non-string keys into strings)."""
    if isinstance(key, str):
        return str(key)
    if key is None:
        return "null"
    if isinstance(key, bool) or type(key).__name__ == "ScalarBoolean":
        return "true" if key else "false"
    return str(key)


def _looks_like_path(value: str) -> bool:
    return (
        "\n" not in value
        and len(value) < 4096
        and Path(value).suffix in {".yaml", ".yml", ".json"}
        and ":" not in value.split("/")[-1]
    )


def _read_text(
    text_or_path: str | os.PathLike[str], limit: int = MAX_DOCUMENT_BYTES
) -> tuple[str, str | None]:
    """The text to parse and the file it came from (None for a string)."""
    if isinstance(text_or_path, os.PathLike) or (
        isinstance(text_or_path, str) and _looks_like_path(text_or_path)
    ):
        path = Path(text_or_path)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise ValidationError(f"cannot read file: {exc.strerror}", file=str(path)) from None
        if size > limit:
            raise ValidationError(
                f"file is {size} bytes, over the limit of {limit}",
                file=str(path),
            )
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ValidationError(f"cannot read file: {exc.strerror}", file=str(path)) from None
        return _decode(data, str(path)), str(path)
    if not isinstance(text_or_path, str):
        raise TypeError(f"expected YAML text or a path, got {type(text_or_path).__name__}")
    if len(text_or_path) > limit:
        raise ValidationError(f"text is {len(text_or_path)} characters, over the limit of {limit}")
    return text_or_path, None


def _decode(data: bytes, file: str) -> str:
    """``data`` as UTF-8 text; a byte that is not UTF-8 is an error at its line and column.

    >>> _decode(b"a: 1\\nb: d\\xffx\\n", "f.yaml")
    Traceback (most recent call last):
    ...
    gitopslib.errors.ValidationError: f.yaml:2:5: byte 0xff is not UTF-8 (YAML files are UTF-8 text)
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ValidationError(
            f"byte 0x{data[exc.start]:02x} is not UTF-8 (YAML files are UTF-8 text)",
            file=file,
            line=line,
            column=column,
        ) from None


def _expanded_size(tree: Any, file: str | None) -> int:
    """How many nodes ``tree`` has once YAML aliases are expanded, computed once per distinct
    node (so an alias bomb is measured in microseconds, not expanded)."""
    memo: dict[int, int] = {}

    def size(node: Any, depth: int) -> int:
        if depth > MAX_DOCUMENT_DEPTH:
            raise ValidationError(
                f"document is nested deeper than {MAX_DOCUMENT_DEPTH} levels", file=file
            )
        if isinstance(node, CommentedMap):
            children: Any = node.values()
        elif isinstance(node, CommentedSeq):
            children = node
        else:
            return 1
        key = id(node)
        if key not in memo:
            memo[key] = 1 + sum(size(child, depth + 1) for child in children)
        return memo[key]

    return size(tree, 0)


class _ParsedDoc:
    """One YAML document: its ruamel tree (for write-back), plain data and locations."""

    def __init__(self, tree: Any, data: Any, locations: _Locations, file: str | None) -> None:
        self.tree = tree
        self.data = data
        self.locations = locations
        self.file = file


def _mark_at(mark: Any) -> tuple[int, int]:
    """A ruamel mark as 1-based (line, column)."""
    return mark.line + 1, mark.column + 1


def _parse_documents(text: str, file: str | None) -> list[_ParsedDoc]:
    """Parse every non-empty document of ``text`` with locations, within the bounds."""
    try:
        with warnings.catch_warnings():
            # YAML 1.1 wants a dot in floats (1.0e3); Kubernetes' decoder reads 1e3 as a
            # float anyway, and so do we, without ruamel's warning.
            warnings.simplefilter("ignore", MantissaNoDotYAML1_1Warning)
            trees = list(_loader().load_all(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "cannot parse"
        began = exc.context_mark if exc.problem_mark is not None else None
        if began is not None and exc.context and _mark_at(began) != _mark_at(mark):
            # where the unclosed construct began, besides where the parser gave up
            line, column = _mark_at(began)
            problem += f" ({exc.context} that began at line {line}, column {column})"
        raise ValidationError(
            mask_credentials(f"malformed YAML: {problem}"),
            file=file,
            line=mark.line + 1 if mark is not None else None,
            column=mark.column + 1 if mark is not None else None,
        ) from None
    except YAMLError as exc:
        raise ValidationError(mask_credentials(f"malformed YAML: {exc}"), file=file) from None
    except RecursionError:
        raise ValidationError(
            f"document is nested deeper than {MAX_DOCUMENT_DEPTH} levels", file=file
        ) from None
    docs: list[_ParsedDoc] = []
    for tree in trees:
        if tree is None:
            continue
        expanded = _expanded_size(tree, file)
        if expanded > MAX_DOCUMENT_NODES:
            lc = getattr(tree, "lc", None)
            raise ValidationError(
                f"document expands to {expanded} nodes through YAML aliases, over the limit "
                f"of {MAX_DOCUMENT_NODES} (an alias bomb?); refusing to load it",
                file=file,
                line=lc.line + 1 if lc is not None and lc.line is not None else None,
            )
        converter = _Converter(file)
        lc = getattr(tree, "lc", None)
        if lc is not None and lc.line is not None:
            converter.locations.values[()] = (lc.line + 1, lc.col + 1)
        data = converter.convert(tree)
        docs.append(_ParsedDoc(tree, data, converter.locations, file))
    return docs


# --- YAML writing --------------------------------------------------------------------------


def dump_yaml(data: Any) -> str:
    """``data`` (plain or a ruamel tree) as block YAML in Kubernetes' usual layout."""
    stream = io.StringIO()
    _dumper().dump(data, stream)
    return stream.getvalue()
