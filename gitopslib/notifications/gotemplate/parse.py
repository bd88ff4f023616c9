"""Lexing and parsing of Go ``text/template`` source into a tree of nodes.

The grammar is Go's: text and ``{{ actions }}`` with ``{{-``/``-}}`` trimming and ``/* */``
comments; pipelines of commands joined by ``|``; ``$x :=``/``$i, $c :=`` declarations and
``$x =`` assignments; ``if``/``else if``/``else``, ``range`` (``else``, ``break``,
``continue``), ``with`` (``else with``), ``define``/``template``/``block``; fields (``.a.b``),
variables (``$x.a``), chains (``(call .f).Author``), strings, raw strings, characters,
numbers, ``true``/``false``/``nil``. Unknown functions and undeclared variables fail at parse
time, as in Go. Errors carry the line and column.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Node", "ParseError", "parse"]


class ParseError(Exception):
    """A template does not parse: ``line``, ``col`` and a Go-like message."""

    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


@dataclass
class Node:
    """One node: ``kind`` says which (text, action, if, range, with, template, break,
    continue, list, pipe, command, field, variable, dot, chain, ident, string, number, bool,
    nil)."""

    kind: str
    pos: int
    value: Any = None
    children: list[Node] = field(default_factory=list)
    # control structures: the else branch; pipes: the declared variables
    other: list[Node] | None = None
    decl: list[str] = field(default_factory=list)
    assign: bool = False


# --- lexing -------------------------------------------------------------------------------

_SPACE = " \t\r\n"
_ACTION_TOKEN = re.compile(
    r"""
    (?P<space>[ \t\r\n]+)
  | (?P<decl>:=)
  | (?P<assign>=)
  | (?P<raw>`[^`]*`)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<char>'(?:[^'\\\n]|\\.[^']*)')
  | (?P<number>[+-]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+
                   |(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?)i?)
  | (?P<field>(?:\.[A-Za-z_][A-Za-z0-9_]*)+)
  | (?P<dot>\.)
  | (?P<variable>\$[A-Za-z0-9_]*)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[|(),])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str
    value: str
    pos: int


_KEYWORDS = {
    "if", "else", "end", "range", "with", "define", "template", "block", "break", "continue",
    "true", "false", "nil",
}  # fmt: skip


class _Lexer:
    """Splits the source into text pieces and action token lists."""

    def __init__(self, text: str) -> None:
        self.text = text

    def items(self) -> list[tuple[str, Any, int]]:
        """[("text", str, pos) | ("action", [_Tok], pos) | ("comment", None, pos)]."""
        text = self.text
        out: list[tuple[str, Any, int]] = []
        pos = 0
        trim_next = False
        while pos <= len(text):
            start = text.find("{{", pos)
            if start < 0:
                piece = text[pos:]
                if trim_next:
                    piece = piece.lstrip(_SPACE)
                if piece:
                    out.append(("text", piece, pos))
                break
            piece = text[pos:start]
            inner = start + 2
            trim_left = (
                text.startswith("-", inner)
                and inner + 1 < len(text)
                and (text[inner + 1] in _SPACE)
            )
            if trim_next:
                piece = piece.lstrip(_SPACE)
            if trim_left:
                piece = piece.rstrip(_SPACE)
                inner += 2
            if piece:
                out.append(("text", piece, pos))
            # a comment: /* ... */ right after the delimiter (and its trim marker)
            if text.startswith("/*", inner):
                close = text.find("*/", inner + 2)
                if close < 0:
                    raise self.error(start, "unclosed comment")
                after = close + 2
                trim_next = False
                if text.startswith(" -}}", after) or text.startswith("\t-}}", after):
                    trim_next = True
                    after += 4
                elif text.startswith("}}", after):
                    after += 2
                else:
                    raise self.error(close, "comment ends before closing delimiter")
                out.append(("comment", None, start))
                pos = after
                continue
            toks, pos, trim_next = self.action(inner, start)
            out.append(("action", toks, start))
        return out

    def action(self, pos: int, start: int) -> tuple[list[_Tok], int, bool]:
        text = self.text
        toks: list[_Tok] = []
        depth = 0
        while True:
            if pos >= len(text):
                raise self.error(start, "unclosed action")
            if text.startswith("}}", pos) and depth == 0:
                return toks, pos + 2, False
            if text.startswith("-}}", pos) and depth == 0 and pos > 0 and text[pos - 1] in _SPACE:
                return toks, pos + 3, True
            if text.startswith("}}", pos):
                raise self.error(pos, "unclosed left paren")
            m = _ACTION_TOKEN.match(text, pos)
            if not m or m.end() == pos:
                ch = text[pos]
                if ch == "\n":
                    raise self.error(pos, "unclosed action")
                raise self.error(pos, f"unexpected {ch!r} in command")
            kind = m.lastgroup or ""
            value = m.group()
            if kind == "punct":
                if value == "(":
                    depth += 1
                elif value == ")":
                    depth -= 1
                    if depth < 0:
                        raise self.error(pos, "unexpected right paren")
            if kind == "number" and value in ("+", "-"):
                raise self.error(pos, f"unexpected {value!r} in command")
            # a field right after ")" or an identifier is a chain, lexed as field
            if kind != "space":
                toks.append(_Tok(kind, value, pos))
            else:
                toks.append(_Tok("space", " ", pos))
            pos = m.end()

    def error(self, pos: int, message: str) -> ParseError:
        return _error_at(self.text, pos, message)


def _error_at(text: str, pos: int, message: str) -> ParseError:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return ParseError(message, line, col)


# --- parsing ------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str, funcs: Collection[str]) -> None:
        self.text = text
        self.funcs = funcs
        self.items = _Lexer(text).items()
        self.i = 0
        self.vars: list[str] = ["$"]
        self.defines: dict[str, Node] = {}
        self.range_depth = 0
        self._else_rest: list[_Tok] = []

    def error(self, pos: int, message: str) -> ParseError:
        return _error_at(self.text, pos, message)

    def parse(self) -> tuple[Node, dict[str, Node]]:
        body, end = self.list_until(set())
        if end is not None:
            kind, pos = end
            raise self.error(pos, f"unexpected {{{{{kind}}}}}")
        return body, self.defines

    # a list of nodes up to one of the ``stops`` keywords (end, else): returns which one
    def list_until(self, stops: set[str]) -> tuple[Node, tuple[str, int] | None]:
        nodes: list[Node] = []
        while self.i < len(self.items):
            kind, value, pos = self.items[self.i]
            self.i += 1
            if kind == "text":
                nodes.append(Node("text", pos, value))
                continue
            if kind == "comment":
                continue
            toks = [t for t in value if t.kind != "space"]
            if not toks:
                raise self.error(pos, "missing value for command")
            head = toks[0]
            if head.kind == "ident" and head.value in ("end", "else"):
                if head.value not in stops:
                    raise self.error(pos, f"unexpected {{{{{head.value}}}}}")
                if head.value == "end":
                    if len(toks) > 1:
                        raise self.error(toks[1].pos, "unexpected token in end")
                    return Node("list", pos, None, nodes), ("end", pos)
                self._else_rest = value  # the raw tokens after "else"
                return Node("list", pos, None, nodes), ("else", pos)
            nodes.append(self.action(value, pos))
        if stops:
            raise self.error(len(self.text), "unexpected EOF")
        return Node("list", 0, None, nodes), None

    def action(self, toks: list[_Tok], pos: int) -> Node:
        words = [t for t in toks if t.kind != "space"]
        head = words[0]
        if head.kind == "ident":
            kw = head.value
            if kw in ("if", "with", "range"):
                return self.control(kw, toks[toks.index(head) + 1 :], pos)
            if kw == "define":
                return self.define(words, pos)
            if kw == "block":
                return self.block(toks, words, pos)
            if kw == "template":
                return self.template_call(toks, words, pos)
            if kw in ("break", "continue"):
                if self.range_depth == 0:
                    raise self.error(pos, f"{{{{{kw}}}}} outside {{{{range}}}}")
                if len(words) > 1:
                    raise self.error(words[1].pos, f"unexpected token in {kw}")
                return Node(kw, pos)
        return Node("action", pos, None, [self.pipeline(toks, pos, "command")])

    def control(self, kw: str, toks: list[_Tok], pos: int) -> Node:
        saved = len(self.vars)
        pipe = self.pipeline(toks, pos, kw)
        if kw == "range":
            self.range_depth += 1
        body, end = self.list_until({"end", "else"})
        if kw == "range":
            self.range_depth -= 1
        other: list[Node] | None = None
        if end is not None and end[0] == "else":
            rest = [t for t in self._else_rest if t.kind != "space"][1:]
            if rest and rest[0].kind == "ident" and rest[0].value in ("if", "with"):
                if rest[0].value != kw or kw == "range":
                    raise self.error(rest[0].pos, f"unexpected {rest[0].value} in else")
                raw = self._else_rest
                idx = next(i for i, t in enumerate(raw) if t is rest[0])
                # "else if X" is "else" followed by a nested "if X ... end" sharing our end
                nested = self.control(kw, raw[idx + 1 :], end[1])
                other = [nested]
            else:
                if rest:
                    raise self.error(rest[0].pos, "unexpected token after else")
                other_list, end2 = self.list_until({"end"})
                other = other_list.children
                del end2
        del self.vars[saved:]
        return Node(kw, pos, None, [pipe, body], other)

    def define(self, words: list[_Tok], pos: int) -> Node:
        if len(words) != 2 or words[1].kind not in ("string", "raw"):
            raise self.error(pos, "define needs a quoted name")
        name = _unquote(words[1].value)
        saved_vars, self.vars = self.vars, ["$"]
        body, _ = self.list_until({"end"})
        self.vars = saved_vars
        self.defines[name] = body
        return Node("list", pos, None, [])

    def block(self, toks: list[_Tok], words: list[_Tok], pos: int) -> Node:
        if len(words) < 2 or words[1].kind not in ("string", "raw"):
            raise self.error(pos, "block needs a quoted name")
        name = _unquote(words[1].value)
        pipe = (
            self.pipeline(toks[toks.index(words[1]) + 1 :], pos, "block")
            if len(words) > 2
            else None
        )
        saved_vars, self.vars = self.vars, ["$"]
        body, _ = self.list_until({"end"})
        self.vars = saved_vars
        self.defines[name] = body
        return Node("template", pos, name, [pipe] if pipe else [])

    def template_call(self, toks: list[_Tok], words: list[_Tok], pos: int) -> Node:
        if len(words) < 2 or words[1].kind not in ("string", "raw"):
            raise self.error(pos, "template needs a quoted name")
        name = _unquote(words[1].value)
        rest = toks[toks.index(words[1]) + 1 :]
        pipe = (
            self.pipeline(rest, pos, "template") if any(t.kind != "space" for t in rest) else None
        )
        return Node("template", pos, name, [pipe] if pipe else [])

    # pipeline := [decl] command { "|" command }
    def pipeline(self, toks: list[_Tok], pos: int, context: str) -> Node:
        words = [t for t in toks if t.kind != "space"]
        decl: list[str] = []
        assign = False
        # declarations: $x := / $x = / $i, $c :=
        if words and words[0].kind == "variable":
            if len(words) > 1 and words[1].kind in ("decl", "assign"):
                decl = [words[0].value]
                assign = words[1].kind == "assign"
                words = words[2:]
            elif (
                len(words) > 3
                and words[1].value == ","
                and words[2].kind == "variable"
                and words[3].kind in ("decl", "assign")
            ):
                if context != "range":
                    raise self.error(words[1].pos, "too many declarations in " + context)
                decl = [words[0].value, words[2].value]
                assign = words[3].kind == "assign"
                words = words[4:]
        if not words:
            raise self.error(pos, f"missing value for {context}")
        cmds = self.commands(words, pos)
        if decl:
            for name in decl:
                if assign:
                    if name not in self.vars:
                        raise self.error(pos, f'undefined variable "{name}"')
                else:
                    self.vars.append(name)
        return Node("pipe", pos, None, cmds, None, decl, assign)

    def commands(self, words: list[_Tok], pos: int) -> list[Node]:
        cmds: list[Node] = []
        current: list[_Tok] = []
        depth = 0
        for tok in words:
            if tok.value == "(" and tok.kind == "punct":
                depth += 1
            elif tok.value == ")" and tok.kind == "punct":
                depth -= 1
            if tok.kind == "punct" and tok.value == "|" and depth == 0:
                if not current:
                    raise self.error(tok.pos, "missing command")
                cmds.append(self.command(current))
                current = []
                continue
            current.append(tok)
        if not current:
            raise self.error(pos, "missing command")
        cmds.append(self.command(current))
        for later in cmds[1:]:
            first = later.children[0]
            if (
                first.kind in ("string", "number", "bool", "nil", "dot")
                and len(later.children) == 1
            ):
                stage = len(cmds)
                raise self.error(first.pos, f"non executable command in pipeline stage {stage}")
        return cmds

    def command(self, toks: list[_Tok]) -> Node:
        operands: list[Node] = []
        i = 0
        while i < len(toks):
            node, i = self.operand(toks, i)
            operands.append(node)
        return Node("command", toks[0].pos, None, operands)

    def operand(self, toks: list[_Tok], i: int) -> tuple[Node, int]:
        tok = toks[i]
        node: Node
        if tok.kind == "punct" and tok.value == "(":
            depth = 0
            j = i
            while j < len(toks):
                if toks[j].value == "(" and toks[j].kind == "punct":
                    depth += 1
                elif toks[j].value == ")" and toks[j].kind == "punct":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            inner = toks[i + 1 : j]
            node = self.pipeline(inner, tok.pos, "parenthesized pipeline")
            i = j + 1
        elif tok.kind == "field":
            node = Node("field", tok.pos, tok.value[1:].split("."))
            i += 1
        elif tok.kind == "dot":
            node = Node("dot", tok.pos)
            i += 1
        elif tok.kind == "variable":
            name, *path = tok.value.split(".")
            if name not in self.vars:
                raise self.error(tok.pos, f'undefined variable "{name}"')
            node = Node("variable", tok.pos, (name, path))
            i += 1
        elif tok.kind in ("string", "raw"):
            node = Node("string", tok.pos, _unquote(tok.value))
            i += 1
        elif tok.kind == "char":
            node = Node("number", tok.pos, ord(_unquote('"' + tok.value[1:-1] + '"')))
            i += 1
        elif tok.kind == "number":
            node = Node("number", tok.pos, _number(tok.value, self, tok.pos))
            i += 1
        elif tok.kind == "ident":
            if tok.value in ("true", "false"):
                node = Node("bool", tok.pos, tok.value == "true")
            elif tok.value == "nil":
                node = Node("nil", tok.pos)
            elif tok.value in _KEYWORDS:
                raise self.error(tok.pos, f"unexpected <{tok.value}> in command")
            elif tok.value not in self.funcs:
                raise self.error(tok.pos, f'function "{tok.value}" not defined')
            else:
                node = Node("ident", tok.pos, tok.value)
            i += 1
        elif tok.kind in ("decl", "assign"):
            raise self.error(tok.pos, f"unexpected {tok.value!r} in operand")
        else:
            raise self.error(tok.pos, f"unexpected {tok.value!r} in operand")
        # a chain: an operand immediately followed by .Field
        while i < len(toks) and toks[i].kind == "field" and toks[i].pos == _end_of(toks[i - 1]):
            if node.kind in ("string", "number", "bool", "nil"):
                raise self.error(toks[i].pos, "unexpected . after term")
            node = Node("chain", toks[i].pos, toks[i].value[1:].split("."), [node])
            i += 1
        return node, i


def _end_of(tok: _Tok) -> int:
    return tok.pos + len(tok.value)


def _unquote(raw: str) -> str:
    if raw.startswith("`"):
        return raw[1:-1]
    body = raw[1:-1]
    if "\\" not in body:
        return body
    out: list[str] = []
    i = 0
    simple = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "a": "\a",
              "b": "\b", "f": "\f", "v": "\v"}  # fmt: skip
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        nxt = body[i + 1]
        if nxt in simple:
            out.append(simple[nxt])
            i += 2
        elif nxt == "x":
            out.append(chr(int(body[i + 2 : i + 4], 16)))
            i += 4
        elif nxt == "u":
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
        elif nxt == "U":
            out.append(chr(int(body[i + 2 : i + 10], 16)))
            i += 10
        elif nxt in "01234567":
            out.append(chr(int(body[i + 1 : i + 4], 8)))
            i += 4
        else:
            raise ValueError(f"invalid escape \\{nxt}")
    return "".join(out)


def _number(text: str, parser: _Parser, pos: int) -> int | float:
    clean = text.replace("_", "")
    try:
        if clean.endswith("i"):
            raise ValueError
        low = clean.lower().lstrip("+-")
        sign = -1 if clean.startswith("-") else 1
        if low.startswith(("0x", "0b", "0o")):
            return sign * int(low, 0)
        if any(c in low for c in ".e"):
            value = float(clean)
            return int(value) if value.is_integer() and "." not in low and "e" not in low else value
        if len(low) > 1 and low.startswith("0"):
            return sign * int(low, 8)
        return int(clean)
    except ValueError:
        raise parser.error(pos, f"illegal number syntax: {text!r}") from None


def parse(text: str, funcs: Collection[str]) -> tuple[Node, dict[str, Node]]:
    """The tree of ``text`` and its ``define``d templates; :class:`ParseError` otherwise.

    >>> tree, _ = parse("a{{.x}}b", funcs=())
    >>> [n.kind for n in tree.children]
    ['text', 'action', 'text']
    """
    return _Parser(text, funcs).parse()
