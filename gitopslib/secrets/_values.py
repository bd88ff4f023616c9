"""Plain values as SOPS sees them: the byte form that feeds the MAC, and YAML 1.2 scalar types.

SOPS is written in Go; its MAC hashes each value in Go's own text form (``strconv``), so this
module reproduces those forms exactly rather than Python's.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

#: A leaf value of a SOPS tree: what a store loads or a decryption yields.
Scalar = str | int | float | bool | bytes | None


class SecretBytes(bytes):
    """Decrypted bytes whose ``repr`` and ``str`` never show the content.

    It is ``bytes`` in every other way (``.decode()``, slicing, comparison), so callers that
    need the value use it, while an accidental log line or traceback shows only its length.
    """

    def __repr__(self) -> str:
        return f"<SecretBytes: {len(self)} bytes>"

    __str__ = __repr__


def go_float(value: float) -> str:
    """``strconv.FormatFloat(value, 'f', -1, 64)``: shortest digits, never an exponent."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" and value == 0 and math.copysign(1, value) > 0 else text


def mac_bytes(value: Scalar) -> bytes:
    """The bytes SOPS feeds its MAC for one plain value (Go's ``sops.ToBytes``)."""
    if isinstance(value, bool):
        return b"True" if value else b"False"
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, int):
        return str(value).encode()
    if isinstance(value, float):
        return go_float(value).encode()
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    raise TypeError(type(value).__name__)


_GO_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_GO_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


def parse_go_bool(text: str) -> bool:
    """``strconv.ParseBool``; ValueError otherwise."""
    if text in _GO_TRUE:
        return True
    if text in _GO_FALSE:
        return False
    raise ValueError("not a boolean")


def parse_go_int(text: str) -> int:
    """``strconv.Atoi``: optional sign and decimal digits only."""
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise ValueError("not an integer")
    return int(text)


# YAML 1.2 core schema, as gopkg.in/yaml.v3 resolves plain scalars (sops' YAML store).
_NULL = re.compile(r"~|null|Null|NULL|")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)|0o[0-7_]+|0x[0-9a-fA-F_]+|0b[01_]+|[-+]?0[0-7_]+")
_FLOAT = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)


def resolve_plain(text: str) -> Scalar:
    """The Go value yaml.v3 gives an untagged plain scalar: None, bool, int, float or str."""
    if _NULL.fullmatch(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.fullmatch(text):
        plain = text.replace("_", "")
        try:
            if plain.startswith(("0o", "0x", "0b")):
                return int(plain, 0)
            if re.fullmatch(r"[-+]?0[0-7]+", plain):
                return int(plain, 8)
            return int(plain)
        except ValueError:
            return text
    if _FLOAT.fullmatch(text):
        low = text.lower()
        if low.endswith("inf"):
            return -math.inf if low.startswith("-") else math.inf
        if low.endswith("nan"):
            return math.nan
        try:
            return float(text.replace("_", ""))
        except ValueError:
            return text
    return text
