"""The store-neutral tree SOPS walks: ordered mappings, lists, leaves and comments.

Every store (YAML, JSON, dotenv, INI, binary) loads into these nodes; the walk visits leaves
in the same order as SOPS' own ``walkBranch`` (document order), with the key path and the
stack of comments seen so far, which is what ``encrypted_comment_regex`` looks at.
Decryption fills ``plain`` in place; each store then writes its output from the same nodes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from gitopslib.secrets._values import Scalar

_UNSET: object = object()


@dataclass(eq=False)
class Leaf:
    """One value as stored in the file (an ``ENC[...]`` string or a value left in clear)."""

    raw: Scalar
    span: tuple[int, int] | None = None  # where the text sits (YAML writes back in place)
    indent: int = 0  # the enclosing collection's column (YAML block scalars)
    plain: object = _UNSET  # filled by the walk

    @property
    def value(self) -> Scalar:
        """The decrypted value (or the raw one, before or without decryption)."""
        return self.raw if self.plain is _UNSET else self.plain  # type: ignore[return-value]

    def __repr__(self) -> str:
        return "Leaf(<hidden>)"


@dataclass(eq=False)
class Comment:
    """A comment line, without its ``#``; encrypted comments are ``ENC[...]``."""

    raw: str
    span: tuple[int, int] | None = None
    plain: str | None = None
    candidates: tuple[str, ...] = ()  # other key paths to try (YAML placement is a guess)

    @property
    def value(self) -> str:
        return self.raw if self.plain is None else self.plain

    def __repr__(self) -> str:
        return "Comment(<hidden>)"


@dataclass(eq=False)
class MapNode:
    """An ordered mapping; comment items have a :class:`Comment` key and no value."""

    items: list[tuple[str | Comment, Node | None]] = field(default_factory=list)


@dataclass(eq=False)
class SeqNode:
    """A list; comments are items of their own."""

    items: list[Node | Comment] = field(default_factory=list)


Node = MapNode | SeqNode | Leaf

#: The walk's callback: the leaf or comment, its key path, the stack of comments seen.
Visit = Callable[[Leaf | Comment, list[str], list[list[str]]], None]


def walk(branch: MapNode, visit: Visit) -> None:
    """Visit every leaf and comment of ``branch`` in SOPS' order."""
    _walk_map(branch, [], [], visit)


def _walk_value(node: Node | None, path: list[str], stack: list[list[str]], visit: Visit) -> None:
    if node is None:
        return
    if isinstance(node, MapNode):
        _walk_map(node, path, stack, visit)
    elif isinstance(node, SeqNode):
        _walk_seq(node, path, stack, visit)
    elif node.raw is not None:
        visit(node, path, stack)


def _walk_map(node: MapNode, path: list[str], stack: list[list[str]], visit: Visit) -> None:
    stack = [*stack, []]
    for key, value in node.items:
        if isinstance(key, Comment):
            stack[-1] = [*stack[-1], key.raw]
            visit(key, path, stack)
            continue
        _walk_value(value, [*path, key], stack, visit)
        stack[-1] = []


def _walk_seq(node: SeqNode, path: list[str], stack: list[list[str]], visit: Visit) -> None:
    stack = [*stack, []]
    for item in node.items:
        if isinstance(item, Comment):
            stack[-1] = [*stack[-1], item.raw]
            visit(item, path, stack)
            continue
        _walk_value(item, path, stack, visit)
        stack[-1] = []


def to_python(node: Node | None) -> object:
    """Plain Python data of a decrypted node (comments dropped)."""
    if node is None:
        return None
    if isinstance(node, MapNode):
        return {k: to_python(v) for k, v in node.items if not isinstance(k, Comment)}
    if isinstance(node, SeqNode):
        return [to_python(i) for i in node.items if not isinstance(i, Comment)]
    return node.value
