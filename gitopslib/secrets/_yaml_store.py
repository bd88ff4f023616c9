"""The YAML store: load a SOPS YAML file into the neutral tree, and write it back decrypted.

The decrypted output is the encrypted file with each ``ENC[...]`` replaced in place by its
plain value and the ``sops`` key removed, so comments, key order and layout survive exactly as
SOPS wrote them. Comments are found between scanner tokens (PyYAML drops them) and placed in
the innermost collection that holds them, by position and column.
"""

from __future__ import annotations

import base64
import bisect
import json
import math
import re
from dataclasses import dataclass, field

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gitopslib.secrets._tree import Comment, Leaf, MapNode, SeqNode
from gitopslib.secrets._tree import Node as TreeNode
from gitopslib.secrets._values import Scalar, resolve_plain

_STR = "tag:yaml.org,2002:str"
#: libyaml when PyYAML was built with it (about 20x faster; same marks, in characters).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BINARY = "tag:yaml.org,2002:binary"


class StoreError(Exception):
    """The file cannot be read by this store (the message never quotes a value)."""


@dataclass
class _Container:
    node: MapNode | SeqNode
    path: list[str]
    start: int
    end: int
    column: int
    depth: int
    entries: list[tuple[int, object]] = field(default_factory=list)


@dataclass
class YamlFile:
    """A loaded YAML file: one tree per document, the metadata and the spans to drop."""

    text: str
    branches: list[MapNode]
    metadata: dict[str, object] | None
    drops: list[tuple[int, int]]


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _scan_comments(text: str) -> list[tuple[int, int, int]]:
    """(start of '#', end of line, column) of every comment, from the gaps between tokens."""
    found: list[tuple[int, int, int]] = []
    previous = 0
    try:
        tokens = list(yaml.scan(text, Loader=_LOADER))
    except yaml.YAMLError:
        return found
    bounds = [(t.start_mark.index, t.end_mark.index) for t in tokens]
    for start, end in [*bounds, (len(text), len(text))]:
        if start > previous:
            gap = text[previous:start]
            for match in re.finditer(r"(?:^|(?<=[ \t\n]))#[^\n]*", gap):
                at = previous + match.start()
                found.append((at, previous + match.end(), at - _line_start(text, at)))
        previous = max(previous, end)
    return found


def _python(node: Node) -> object:
    """Metadata as plain data; scalars stay the text written (no timestamp conversion)."""
    if isinstance(node, MappingNode):
        return {str(k.value): _python(v) for k, v in node.value}
    if isinstance(node, SequenceNode):
        return [_python(v) for v in node.value]
    return node.value


class _Builder:
    def __init__(self, text: str) -> None:
        self.text = text
        self.resolver = _RESOLVER
        self.containers: list[_Container] = []
        self.leaves: list[tuple[int, list[str]]] = []

    def scalar(self, node: ScalarNode) -> Scalar:
        value: str = node.value
        if not node.style:  # plain (None from PyYAML, "" from libyaml)
            implicit = self.resolver.resolve(ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
            if node.tag == implicit:
                return resolve_plain(value)
        if node.tag == _BINARY:
            try:
                return base64.b64decode(value)
            except ValueError:
                return value
        return value

    def build(
        self, node: Node, path: list[str], start: int, column: int, depth: int, flow: bool
    ) -> TreeNode:
        if isinstance(node, ScalarNode):
            self.leaves.append((node.start_mark.index, path))
            return Leaf(
                self.scalar(node),
                (node.start_mark.index, node.end_mark.index),
                -1 if flow else column,
            )
        if isinstance(node, MappingNode):
            mapping = MapNode()
            box = _Container(mapping, path, start, node.end_mark.index, column, depth)
            self.containers.append(box)
            child_flow = flow or bool(node.flow_style)
            for key, value in node.value:
                if not isinstance(key, ScalarNode):
                    raise StoreError(f"line {key.start_mark.line + 1}: a mapping key is not text")
                name = str(key.value)
                child = self.build(
                    value,
                    [*path, name],
                    key.end_mark.index,
                    key.start_mark.column,
                    depth + 1,
                    child_flow,
                )
                box.entries.append((key.start_mark.index, (name, child)))
            return mapping
        if isinstance(node, SequenceNode):
            seq = SeqNode()
            box = _Container(seq, path, start, node.end_mark.index, column, depth)
            self.containers.append(box)
            child_flow = flow or bool(node.flow_style)
            for item in node.value:
                child = self.build(
                    item,
                    path,
                    item.start_mark.index,
                    node.start_mark.column,
                    depth + 1,
                    child_flow,
                )
                box.entries.append((item.start_mark.index, child))
            return seq
        raise StoreError("unsupported YAML node")  # pragma: no cover


def _aad(path: list[str]) -> str:
    return ":".join(path) + ":"


def load(text: str) -> YamlFile:
    """Read ``text``; StoreError for YAML that does not parse or is not a mapping."""
    try:
        documents = [d for d in yaml.compose_all(text, Loader=_LOADER) if d is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise StoreError(f"not valid YAML{where}") from None
    builder = _Builder(text)
    branches: list[MapNode] = []
    metadata: dict[str, object] | None = None
    drops: list[tuple[int, int]] = []
    region_start = 0
    for number, document in enumerate(documents):
        if not isinstance(document, MappingNode):
            raise StoreError(f"YAML document {number + 1} is not a mapping")
        kept = []
        for key, value in document.value:
            if isinstance(key, ScalarNode) and key.value == "sops":
                if metadata is None:
                    meta = _python(value)
                    if not isinstance(meta, dict):
                        raise StoreError("the 'sops' key is not a mapping")
                    metadata = meta
                drops.append((_line_start(text, key.start_mark.index), value.end_mark.index))
            else:
                kept.append((key, value))
        document.value = kept
        end = len(text) if number == len(documents) - 1 else document.end_mark.index
        root = builder.build(document, [], region_start, 0, 0, bool(document.flow_style))
        for box in builder.containers:
            if box.node is root:
                box.start, box.end, box.column = region_start, end, 0
        assert isinstance(root, MapNode)
        branches.append(root)
        region_start = end
    _place_comments(text, builder, drops)
    for box in builder.containers:
        box.entries.sort(key=lambda entry: entry[0])
        if isinstance(box.node, MapNode):
            box.node.items = [e if isinstance(e, tuple) else (e, None) for _, e in box.entries]
        else:
            box.node.items = [e for _, e in box.entries]  # type: ignore[misc]
    return YamlFile(text, branches, metadata, drops)


def _place_comments(text: str, builder: _Builder, drops: list[tuple[int, int]]) -> None:
    leaf_starts = [start for start, _ in builder.leaves]
    order = sorted(range(len(builder.leaves)), key=lambda i: leaf_starts[i])
    sorted_starts = [leaf_starts[i] for i in order]
    for start, end, column in _scan_comments(text):
        if any(a <= start < b for a, b in drops):
            continue
        best: _Container | None = None
        for box in builder.containers:
            inside = box.start <= start < box.end and (box.column <= column or box.depth == 0)
            if inside and (best is None or box.depth > best.depth):
                best = box
        if best is None:
            continue
        candidates = [_aad(best.path[:n]) for n in range(len(best.path), -1, -1)]
        nxt = bisect.bisect_left(sorted_starts, start)
        if nxt < len(order):
            leaf_path = builder.leaves[order[nxt]][1]
            candidates += [_aad(leaf_path[:n]) for n in range(len(leaf_path), -1, -1)]
        comment = Comment(
            text[start + 1 : end], (start + 1, end), None, tuple(dict.fromkeys(candidates))
        )
        best.entries.append((start, comment))


def _printable(char: str) -> bool:
    """A character YAML lets stand as itself (and that no YAML reader takes for a break)."""
    code = ord(char)
    return (
        0x20 <= code <= 0x7E
        or 0xA0 <= code <= 0xD7FF
        or (0xE000 <= code <= 0xFFFD and code not in (0xFEFF, 0x2028, 0x2029))
        or 0x10000 <= code <= 0x10FFFF
    )


def _double_quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes, plus ``\\uXXXX`` for what YAML refuses)."""
    out = []
    for char in json.dumps(text, ensure_ascii=False):
        if _printable(char) or char == "\t":
            out.append(char)
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return "".join(out)


_RESOLVER = yaml.SafeLoader("")
#: Printable ASCII without YAML's flow and comment indicators (the common case, checked fast).
_ASCII_PLAIN = re.compile(r"[A-Za-z0-9_./+=~^()$;<>\\ @%!&*'\"?|`-]+")


def _plain_ok(text: str) -> bool:
    """Whether ``text`` may stand unquoted and reads back as the same string, in YAML 1.1
    (PyYAML, Helm's sigs.k8s.io/yaml) and 1.2 (yaml.v3) alike. Conservative: ``:`` and ``#``
    anywhere, and any indicator first, are quoted."""
    if not text or text != text.strip() or text[0] in "-?:,[]{}#&*!|>'\"%@`":
        return False
    if _ASCII_PLAIN.fullmatch(text) is None and any(
        c in ",[]{}:#\t" or not _printable(c) for c in text
    ):
        return False
    if not isinstance(resolve_plain(text), str):
        return False
    implicit = _RESOLVER.resolve(ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    return bool(implicit == _STR)


def render_scalar(value: Scalar, indent: int) -> str:
    """``value`` as YAML text that stands where the encrypted scalar stood."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        mantissa, e, exponent = text.partition("e")
        # YAML 1.1 readers (PyYAML) want a dot in an exponent float; 1.2 ones accept both
        return f"{mantissa}.0e{exponent}" if e and "." not in mantissa else text
    if isinstance(value, bytes):
        raw = value
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            return "!!binary " + base64.b64encode(raw).decode()
    if _plain_ok(value):
        return value
    printable = all(c in "\n\t" or _printable(c) for c in value)
    if "\n" in value and indent >= 0 and printable and value.strip("\n"):
        body = value[:-1] if value.endswith("\n") else value
        chomp = "+" if value.endswith("\n\n") else ("" if value.endswith("\n") else "-")
        lines = body.split("\n")
        width = indent + 4
        header = "|" + ("4" if lines[0].startswith(" ") else "") + chomp
        return header + "\n" + "\n".join((" " * width + line) if line else "" for line in lines)
    return _double_quoted(value)


def emit(loaded: YamlFile, replacements: list[tuple[int, int, str]]) -> str:
    """The text with each span replaced and the metadata removed."""
    edits = sorted([*replacements, *((a, b, "") for a, b in loaded.drops)])
    out: list[str] = []
    cursor = 0
    for start, end, new in edits:
        out.append(loaded.text[cursor:start])
        out.append(new)
        cursor = end
    out.append(loaded.text[cursor:])
    return "".join(out)
