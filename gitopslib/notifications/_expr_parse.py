"""Trigger conditions, read: the tokeniser and the precedence-climbing parser that turn an
`expr` condition into the small tree :mod:`gitopslib.notifications.expr` evaluates; a syntax
error is a :class:`~gitopslib.errors.NotificationError` naming the column."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gitopslib.errors import NotificationError

__all__ = ["Node", "Parser"]


# --- tokens -------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>\d+\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|0[xX][0-9a-fA-F]+|\d+)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<name>[A-Za-z_$][A-Za-z0-9_$]*)
  | (?P<op>\?\.|\?\?|&&|\|\||==|!=|<=|>=|\.\.|\*\*|[-+*/%<>!()\[\]{},.:?])
    """,
    re.VERBOSE,
)

_WORD_OPS = {"and", "or", "not", "in", "contains", "startsWith", "endsWith", "matches"}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0"}


@dataclass(frozen=True)
class _Tok:
    kind: str  # number, string, name, op, end
    value: str
    pos: int


def _unquote(raw: str) -> str:
    out: list[str] = []
    i = 1
    while i < len(raw) - 1:
        c = raw[i]
        if c == "\\":
            nxt = raw[i + 1]
            if nxt == "u" and i + 5 < len(raw):
                out.append(chr(int(raw[i + 2 : i + 6], 16)))
                i += 6
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _tokenize(text: str, where: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise _syntax(where, text, pos, f"unexpected character {text[pos]!r}")
        kind = m.lastgroup or ""
        if kind != "ws":
            value = m.group()
            if kind == "name" and value in _WORD_OPS:
                kind = "op"
            toks.append(_Tok(kind, value, pos))
        pos = m.end()
    toks.append(_Tok("end", "", len(text)))
    return toks


def _syntax(where: str, text: str, pos: int, what: str) -> NotificationError:
    return NotificationError(
        f"{where}: {what} at column {pos + 1} of {text!r}",
        key=where,
        position=pos + 1,
    )


# --- the tree -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    kind: str
    pos: int
    value: Any = None
    args: tuple[Node, ...] = ()


# Binary operators by precedence (higher binds tighter), as in expr.
_BINARY = {
    "or": 10,
    "||": 10,
    "and": 15,
    "&&": 15,
    "==": 20,
    "!=": 20,
    "<": 20,
    ">": 20,
    "<=": 20,
    ">=": 20,
    "in": 20,
    "not in": 20,
    "matches": 20,
    "contains": 20,
    "startsWith": 20,
    "endsWith": 20,
    "..": 25,
    "+": 30,
    "-": 30,
    "*": 60,
    "/": 60,
    "%": 60,
    "**": 100,
    "??": 500,
}


class Parser:
    def __init__(self, text: str, where: str) -> None:
        self.text = text
        self.where = where
        self.toks = _tokenize(text, where)
        self.i = 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect(self, value: str) -> _Tok:
        tok = self.take()
        if tok.value != value or tok.kind not in ("op",):
            raise self.error(tok, f"expected {value!r}")
        return tok

    def error(self, tok: _Tok, what: str) -> NotificationError:
        found = "end of expression" if tok.kind == "end" else repr(tok.value)
        return _syntax(self.where, self.text, tok.pos, f"{what}, found {found}")

    def parse(self) -> Node:
        node = self.ternary()
        tok = self.peek()
        if tok.kind != "end":
            raise self.error(tok, "unexpected token")
        return node

    def ternary(self) -> Node:
        cond = self.binary(0)
        tok = self.peek()
        if tok.kind == "op" and tok.value == "?":
            self.take()
            yes = self.ternary()
            self.expect(":")
            no = self.ternary()
            return Node("?:", tok.pos, None, (cond, yes, no))
        return cond

    def _binary_op(self) -> tuple[str, int] | None:
        tok = self.peek()
        if tok.kind != "op":
            return None
        if tok.value == "not" and self.toks[self.i + 1].value == "in":
            return "not in", 2
        if tok.value in _BINARY:
            return tok.value, 1
        return None

    def binary(self, min_prec: int) -> Node:
        left = self.unary()
        while True:
            found = self._binary_op()
            if found is None:
                return left
            op, width = found
            prec = _BINARY[op]
            if prec <= min_prec and not (op == "**" and prec == min_prec):
                return left
            tok = self.peek()
            self.i += width
            right = self.binary(prec)
            left = Node("bin", tok.pos, op, (left, right))

    def unary(self) -> Node:
        tok = self.peek()
        if tok.kind == "op" and tok.value in ("not", "!"):
            self.take()
            # expr: `not` and `!` take operators of precedence 50 and above (`*`, `/`, ...)
            return Node("not", tok.pos, None, (self.binary(49),))
        if tok.kind == "op" and tok.value in ("-", "+"):
            self.take()
            return Node("neg" if tok.value == "-" else "pos", tok.pos, None, (self.binary(89),))
        return self.postfix(self.primary())

    def primary(self) -> Node:
        tok = self.take()
        if tok.kind == "number":
            text = tok.value
            if text.lower().startswith("0x"):
                return Node("lit", tok.pos, int(text, 16))
            if any(c in text for c in ".eE"):
                return Node("lit", tok.pos, float(text))
            return Node("lit", tok.pos, int(text))
        if tok.kind == "string":
            return Node("lit", tok.pos, _unquote(tok.value))
        if tok.kind == "name":
            if tok.value == "true":
                return Node("lit", tok.pos, True)
            if tok.value == "false":
                return Node("lit", tok.pos, False)
            if tok.value == "nil":
                return Node("lit", tok.pos, None)
            return Node("name", tok.pos, tok.value)
        if tok.kind == "op" and tok.value == "(":
            inner = self.ternary()
            self.expect(")")
            return inner
        if tok.kind == "op" and tok.value == "[":
            items: list[Node] = []
            while not (self.peek().kind == "op" and self.peek().value == "]"):
                items.append(self.ternary())
                if self.peek().value == ",":
                    self.take()
                elif self.peek().value != "]":
                    raise self.error(self.peek(), "expected ',' or ']'")
            self.take()
            return Node("array", tok.pos, None, tuple(items))
        if tok.kind == "op" and tok.value == "{":
            pairs: list[Node] = []
            while not (self.peek().kind == "op" and self.peek().value == "}"):
                key_tok = self.take()
                if key_tok.kind == "name":
                    key = Node("lit", key_tok.pos, key_tok.value)
                elif key_tok.kind in ("string", "number"):
                    key = Node("lit", key_tok.pos, _unquote(key_tok.value))
                else:
                    raise self.error(key_tok, "expected a map key")
                self.expect(":")
                pairs.extend((key, self.ternary()))
                if self.peek().value == ",":
                    self.take()
                elif self.peek().value != "}":
                    raise self.error(self.peek(), "expected ',' or '}'")
            self.take()
            return Node("map", tok.pos, None, tuple(pairs))
        raise self.error(tok, "expected a value")

    def postfix(self, node: Node) -> Node:
        while True:
            tok = self.peek()
            if tok.kind != "op":
                return node
            if tok.value in (".", "?."):
                self.take()
                name = self.take()
                if name.kind not in ("name", "op") or not re.fullmatch(r"[A-Za-z_]\w*", name.value):
                    raise self.error(name, "expected a field name")
                node = Node("member", tok.pos, (name.value, tok.value == "?."), (node,))
            elif tok.value == "[":
                self.take()
                index = self.ternary()
                self.expect("]")
                node = Node("index", tok.pos, None, (node, index))
            elif tok.value == "(":
                self.take()
                args: list[Node] = []
                while not (self.peek().kind == "op" and self.peek().value == ")"):
                    args.append(self.ternary())
                    if self.peek().value == ",":
                        self.take()
                    elif self.peek().value != ")":
                        raise self.error(self.peek(), "expected ',' or ')'")
                self.take()
                node = Node("call", tok.pos, None, (node, *args))
            else:
                return node
