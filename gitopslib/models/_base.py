"""Shared machinery of the models: the base classes, YAML reading with locations, write-back.

Every model in :mod:`gitopslib.models` derives from :class:`GitOpsModel`: Python attributes are
snake_case, YAML keys are Argo CD's camelCase, unknown keys are refused and values are checked
strictly (a ``"true"`` string is not a boolean, as in Argo CD's own decoder). Blocks Argo CD
grows over time (``status``, ``metadata``) derive from :class:`OpenModel` and keep unknown keys.

Top-level kinds derive from :class:`Document`, which reads YAML with ruamel.yaml so that every
error names the file, line, column and YAML path of the offending value, and which writes YAML
back through the tree it was read from, so comments and quoting of untouched values survive.

>>> class Thing(GitOpsModel):
...     repo_url: str | None = Field(default=None, alias="repoURL")
>>> Thing.model_validate({"repoURL": "https://x"}).to_dict()
{'repoURL': 'https://x'}
"""

from __future__ import annotations

import contextlib
import datetime
import difflib
import io
import os
import types
import typing
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import pydantic
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from pydantic.alias_generators import to_camel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MantissaNoDotYAML1_1Warning, MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.resolver import VersionedResolver

from gitopslib.errors import ValidationError
from gitopslib.giturl import mask_credentials

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "MAX_DOCUMENT_DEPTH",
    "MAX_DOCUMENT_NODES",
    "MAX_DOCUMENT_TEXT",
    "MAX_STREAM_BYTES",
    "Document",
    "Field",
    "FieldProblem",
    "GitOpsModel",
    "OpenModel",
    "yaml_path",
]

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


# --- the base models -----------------------------------------------------------------------


class GitOpsModel(BaseModel):
    """Base of every model: camelCase YAML keys, strict types, unknown keys refused.

    ``to_dict()`` gives back exactly the keys that were set (read from YAML or passed to the
    constructor), with their YAML names; defaults that nobody wrote are never dumped.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
        strict=True,
        validate_assignment=True,
    )

    def __repr__(self) -> str:
        # A repoURL may carry a token (https://<token>@host/...): never show it.
        return mask_credentials(super().__repr__())

    def __str__(self) -> str:
        return mask_credentials(super().__str__())

    def to_dict(self) -> dict[str, Any]:
        """The model as plain data with YAML key names, only the fields that were set.

        >>> from gitopslib.models import ApplicationDestination
        >>> ApplicationDestination(server="https://kubernetes.default.svc").to_dict()
        {'server': 'https://kubernetes.default.svc'}
        """
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class OpenModel(GitOpsModel):
    """A model that keeps keys it does not know (``status``, ``metadata``): Argo CD and
    Kubernetes add fields there over time, and dropping them would lose data."""

    model_config = ConfigDict(extra="allow")


class FieldProblem(ValueError):
    """Raised by model validators to point at a field below the model being validated.

    ``path`` is relative to that model, in YAML names (``("sources", 0)``).
    """

    def __init__(self, message: str, *path: str | int) -> None:
        super().__init__(message)
        self.message = message
        self.path: Path_ = tuple(path)


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


# --- pydantic errors -> located ValidationError ----------------------------------------------

_EXPECTED = {
    "string_type": "a string",
    "bool_type": "a boolean (true or false)",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "model_fields_type": "a mapping",
    "dataclass_type": "a mapping",
}


def _yaml_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return type(value).__name__


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _data_path(data: Any, loc: Sequence[Any]) -> Path_:
    """The YAML path of a pydantic error location (drops union/function tags)."""
    out: list[str | int] = []
    node = data
    for part in loc:
        in_map = isinstance(node, dict) and isinstance(part, str) and part in node
        in_seq = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_map or in_seq:
            out.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and part == loc[-1]:
            out.append(part)  # a missing or unknown key
            node = None
    return tuple(out)


def _unwrap_models(annotation: Any) -> list[type[BaseModel]]:
    """The model classes reachable through Optional / list / dict of an annotation."""
    found: list[type[BaseModel]] = []
    stack = [annotation]
    while stack:
        item = stack.pop()
        if isinstance(item, type) and issubclass(item, BaseModel):
            found.append(item)
            continue
        origin = typing.get_origin(item)
        if origin is typing.Annotated:
            stack.append(typing.get_args(item)[0])
        elif origin in (list, dict, typing.Union, types.UnionType) or origin is not None:
            stack.extend(typing.get_args(item))
    return found


def _model_at(root: type[BaseModel], path: Path_) -> type[BaseModel] | None:
    """The model class that validates the mapping found at ``path`` below ``root``."""
    model: type[BaseModel] | None = root
    for part in path:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        field = next((f for n, f in model.model_fields.items() if (f.alias or n) == part), None)
        if field is None:
            return None
        models = _unwrap_models(field.annotation)
        model = models[0] if models else None
    return model


def _did_you_mean(name: str, allowed: Sequence[str]) -> str | None:
    folded = {a.lower().replace("_", ""): a for a in allowed}
    probe = name.lower().replace("_", "").replace("-", "")
    if probe in folded:
        return folded[probe]
    close = difflib.get_close_matches(name, list(allowed), n=1, cutoff=0.6)
    if close:
        return close[0]
    close = difflib.get_close_matches(probe, list(folded), n=1, cutoff=0.6)
    return folded[close[0]] if close else None


def _one_error(
    model: type[BaseModel],
    error: Mapping[str, Any],
    data: Any,
    locations: _Locations | None,
    file: str | None,
    prefix: Path_,
) -> ValidationError:
    kind = str(error["type"])
    loc = tuple(error["loc"])
    path = _data_path(data, loc)
    key_position = False
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        name = str(path[-1]) if path else str(loc[-1])
        owner = _model_at(model, path[:-1])
        allowed = sorted((f.alias or n) for n, f in owner.model_fields.items()) if owner else []
        message = f"unknown field {name!r}"
        guess = _did_you_mean(name, allowed) if allowed else None
        if guess:
            message += f"; did you mean {guess!r}?"
        elif allowed:
            message += f"; allowed here: {', '.join(allowed)}"
        key_position = True
    elif kind == "missing":
        message = f"required field {str(path[-1])!r} is missing"
        path = path[:-1] if path else path
        key_position = True
    elif kind == "value_error" and isinstance(ctx.get("error"), FieldProblem):
        problem: FieldProblem = ctx["error"]
        path = path + problem.path
        message = problem.message
        key_position = True
    elif kind == "literal_error":
        message = f"expected one of {ctx.get('expected')}, got {_short(error.get('input'))}"
    elif kind in _EXPECTED:
        value = error.get("input")
        message = f"expected {_EXPECTED[kind]}, got {_yaml_type(value)} {_short(value)}"
        if kind == "string_type" and isinstance(value, bool | int | float):
            message += " (YAML reads unquoted y/n/yes/no/on/off/true/false and numbers as "
            message += "such; quote the value to make it a string)"
    else:
        message = str(error.get("msg", "invalid value"))
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
    full = prefix + path
    line = column = None
    if locations is not None:
        line, column = locations.of(full, key=key_position)
    return ValidationError(
        mask_credentials(message),
        file=file,
        line=line,
        column=column,
        field=yaml_path(full) or None,
    )


def convert_pydantic_error(
    model: type[BaseModel],
    exc: pydantic.ValidationError,
    data: Any,
    locations: _Locations | None = None,
    file: str | None = None,
    prefix: Path_ = (),
) -> ValidationError:
    """One located :class:`ValidationError` for a pydantic error (the first problem leads;
    the message lists the others; ``.errors`` holds them all)."""
    errors = [
        _one_error(model, e, data, locations, file, prefix) for e in exc.errors(include_url=False)
    ]
    first = errors[0]
    if len(errors) == 1:
        result = first
    else:
        others = "; ".join(str(e) for e in errors[1:6])
        more = f" (and {len(errors) - 6} more)" if len(errors) > 6 else ""
        result = ValidationError(
            f"{first.reason} [{len(errors) - 1} more problem(s): {others}{more}]",
            file=first.file,
            line=first.line,
            column=first.column,
            field=first.field,
        )
        result.reason = first.reason
    result.errors = errors  # type: ignore[attr-defined]
    return result


# --- write-back ------------------------------------------------------------------------------


def _copy(value: Any) -> Any:
    """A deep copy of plain YAML data (dicts, lists, scalars)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _same(a: Any, b: Any) -> bool:
    """Equal as YAML data, with booleans and numbers told apart."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b if not isinstance(a, int | float) else a == b


def _merge(tree: Any, old: Any, new: Any) -> Any:
    """``new`` expressed by editing ``tree`` (whose plain data is ``old``) in place, so that
    comments, key order and quoting of what did not change are kept."""
    if _same(old, new):
        return tree
    anchor = getattr(tree, "anchor", None)
    if anchor is not None and getattr(anchor, "value", None):
        return new  # shared through an alias: editing it in place would change the others
    if isinstance(tree, CommentedMap) and isinstance(old, dict) and isinstance(new, dict):
        for key in list(tree):
            if _key_text(key) not in new and key in tree:
                with contextlib.suppress(KeyError):
                    del tree[key]
        by_text = {_key_text(k): k for k in tree}
        for name, value in new.items():
            if name in by_text:
                key = by_text[name]
                tree[key] = _merge(tree[key], old.get(name), value)
            else:
                tree[name] = value
        return tree
    if isinstance(tree, CommentedSeq) and isinstance(old, list) and isinstance(new, list):
        for index, value in enumerate(new):
            if index < len(tree) and index < len(old):
                tree[index] = _merge(tree[index], old[index], value)
            else:
                tree.append(value)
        del tree[len(new) :]
        return tree
    return new


def _plain_floats(tree: Any) -> None:
    """Swap ruamel's format-preserving floats for plain ones in place: ruamel rebuilds their
    text from width/precision hints, which can change the value of long floats."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, CommentedMap):
            items: Any = list(node.items())
        elif isinstance(node, CommentedSeq):
            items = list(enumerate(node))
        else:
            continue
        for key, value in items:
            if isinstance(value, float) and type(value) is not float:
                node[key] = float(value)
            elif isinstance(value, CommentedMap | CommentedSeq):
                stack.append(value)


def dump_yaml(data: Any) -> str:
    """``data`` (plain or a ruamel tree) as block YAML in Kubernetes' usual layout."""
    stream = io.StringIO()
    _dumper().dump(data, stream)
    return stream.getvalue()


# --- documents -------------------------------------------------------------------------------


class Document(GitOpsModel):
    """A top-level Argo CD object (``apiVersion`` + ``kind``) read from and written to YAML.

    Subclasses set ``API_VERSION`` and ``KIND``. ``from_yaml`` builds ``cls`` (so subclasses
    that add behaviour get instances of themselves).
    """

    API_VERSION: ClassVar[str] = "argoproj.io/v1alpha1"
    KIND: ClassVar[str] = ""

    api_version: str = Field(default="argoproj.io/v1alpha1", alias="apiVersion")
    kind: str = ""

    _source: _ParsedDoc | None = PrivateAttr(default=None)

    def model_post_init(self, context: Any, /) -> None:
        if "kind" not in self.model_fields_set:
            object.__setattr__(self, "kind", self.KIND)
        if "api_version" not in self.model_fields_set:
            object.__setattr__(self, "api_version", self.API_VERSION)

    def __eq__(self, other: object) -> bool:
        # Equal when the data is equal: where a document was read from does not count.
        if not isinstance(other, BaseModel):
            return NotImplemented
        return (
            type(self) is type(other)
            and self.__dict__ == other.__dict__
            and self.__pydantic_extra__ == other.__pydantic_extra__
        )

    __hash__ = None  # type: ignore[assignment]

    # reading

    @classmethod
    def _check_type(cls, doc: _ParsedDoc, index: int | None = None) -> None:
        data = doc.data
        where = f"document {index + 1}" if index is not None else "the document"
        if not isinstance(data, dict):
            raise ValidationError(
                f"{where} is a {_yaml_type(data)}, expected a mapping ({cls.KIND})",
                file=doc.file,
                line=doc.locations.of(())[0],
            )
        for key, expected in (("apiVersion", cls.API_VERSION), ("kind", cls.KIND)):
            value = data.get(key)
            if value == expected:
                continue
            line, column = doc.locations.of((key,))
            got = "missing" if key not in data else mask_credentials(repr(value))
            raise ValidationError(
                f"{key} is {got}, expected {expected!r}",
                file=doc.file,
                line=line if key in data else 1 if line is None else line,
                column=column,
                field=key,
            )

    @classmethod
    def _from_parsed(cls, doc: _ParsedDoc) -> Self:
        cls._check_type(doc)
        try:
            obj = cls.model_validate(
                doc.data, by_alias=True, by_name=False, context={"document": True}
            )
        except pydantic.ValidationError as exc:
            raise convert_pydantic_error(cls, exc, doc.data, doc.locations, doc.file) from None
        # The model may share free-form dicts with doc.data; keep a private copy to compare
        # against when writing back.
        doc.data = _copy(doc.data)
        obj._source = doc
        return obj

    @classmethod
    def from_yaml(cls, text_or_path: str | os.PathLike[str]) -> Self:
        """Read one document from YAML text or a file path.

        Raises :class:`~gitopslib.errors.ValidationError` naming the file, line, column and
        field of the first problem (unknown field, wrong type, malformed YAML, ...).
        """
        text, file = _read_text(text_or_path)
        docs = _parse_documents(text, file)
        if len(docs) != 1:
            raise ValidationError(
                f"expected exactly one YAML document, found {len(docs)}"
                + ("; use load_all() for a stream" if docs else ""),
                file=file,
            )
        return cls._from_parsed(docs[0])

    @classmethod
    def load_all(cls, text_or_path: str | os.PathLike[str]) -> list[Self]:
        """Read every document of a multi-document YAML stream (empty documents skipped).

        Every document must be of this kind.
        """
        text, file = _read_text(text_or_path, MAX_STREAM_BYTES)
        return [cls._from_parsed(doc) for doc in _parse_documents(text, file)]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, file: str | None = None) -> Self:
        """Build from already-parsed data (no line numbers in errors)."""
        doc = _ParsedDoc(None, _copy(dict(data)), _Locations(), file)
        return cls._from_parsed(doc)

    # writing

    def to_dict(self) -> dict[str, Any]:
        """Plain data with YAML names: ``apiVersion`` and ``kind`` first, then every field that
        was set, and nothing else."""
        body = super().to_dict()
        out: dict[str, Any] = {"apiVersion": self.api_version, "kind": self.kind}
        for key, value in body.items():
            if key not in out:
                out[key] = value
        return out

    def to_yaml(self) -> str:
        """YAML text of :meth:`to_dict`. A document read by ``from_yaml`` is written back
        through its own tree: comments, key order and quotes of unchanged values survive."""
        data = self.to_dict()
        source = self._source
        if source is not None and source.tree is not None:
            # The tree is edited in place (a copy would lose anchors and merge keys) and
            # then stands for the data just written.
            if not _same(source.data, data):
                source.tree = _merge(source.tree, source.data, data)
                source.data = _copy(data)
            _plain_floats(source.tree)
            return dump_yaml(source.tree)
        return dump_yaml(data)
