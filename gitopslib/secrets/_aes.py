"""SOPS' value cipher: ``ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`` with AES-256-GCM.

Each value is sealed with the file's 32-byte data key, a random 32-byte nonce, and the value's
key path (``a:b:c:``) as additional authenticated data, so a value moved to another key fails
to open. The ``type`` field says how to read the plain text back (str, int, float, bool, bytes,
comment).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

from gitopslib.secrets._values import Scalar, parse_go_bool, parse_go_int

_ENC = re.compile(r"^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]")

TYPES = ("str", "int", "int64", "float", "bool", "bytes", "comment")


class CipherError(Exception):
    """A value did not open (wrong key, tampered value or key path, or not SOPS' format).

    Internal: callers turn it into a :class:`~gitopslib.errors.SopsError` naming file and path.
    """


@dataclass(frozen=True)
class Sealed:
    """One parsed ``ENC[...]`` value (ciphertext only: safe to show)."""

    data: bytes
    iv: bytes
    tag: bytes
    type: str


def is_encrypted(text: str) -> bool:
    """True when ``text`` looks like one SOPS-encrypted value."""
    return _ENC.match(text) is not None


def parse(text: str) -> Sealed:
    """Split an ``ENC[...]`` string into its parts; CipherError if it is not one."""
    match = _ENC.match(text)
    if match is None:
        raise CipherError("not a SOPS-encrypted value (no ENC[AES256_GCM,...])")
    try:
        data, iv, tag = (base64.b64decode(match.group(i), validate=True) for i in (1, 2, 3))
    except (binascii.Error, ValueError) as exc:
        raise CipherError("the encrypted value is not valid base64") from exc
    if match.group(4) not in TYPES:
        raise CipherError(f"unknown value type {match.group(4)!r}")
    if not iv or len(tag) != 16:
        raise CipherError("the encrypted value has a malformed nonce or tag")
    return Sealed(data, iv, tag, match.group(4))


def cipher_for(key: bytes) -> Any:
    """An AES-256-GCM cipher for ``key``, to open many values."""
    return _aesgcm(key)


def _aesgcm(key: bytes) -> Any:
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError as exc:  # pragma: no cover - the secrets extra brings it
        from gitopslib.errors import SopsError

        raise SopsError(
            "SOPS decryption needs the 'cryptography' package: pip install gitopslib[secrets]"
        ) from exc
    return AESGCM(key)


def open_bytes(sealed: Sealed, key: bytes, aad: str, cipher: Any = None) -> bytes:
    """The authenticated plain bytes of ``sealed``; CipherError if key or path do not match.

    ``cipher``: an ``AESGCM`` for ``key`` made once by the caller (:func:`cipher_for`).
    """
    from cryptography.exceptions import InvalidTag

    try:
        aes = cipher if cipher is not None else _aesgcm(key)
        return bytes(aes.decrypt(sealed.iv, sealed.data + sealed.tag, aad.encode("utf-8")))
    except (InvalidTag, ValueError) as exc:
        raise CipherError("authentication failed (wrong data key, key path, or tampered)") from exc


def typed(sealed: Sealed, plain: bytes) -> Scalar:
    """The plain value in the type the file recorded for it."""
    text = plain.decode("utf-8", "surrogateescape")
    try:
        if sealed.type in ("int", "int64"):
            return parse_go_int(text)
        if sealed.type == "float":
            return float(text)
        if sealed.type == "bool":
            return parse_go_bool(text)
    except ValueError as exc:
        raise CipherError(f"the decrypted value is not a valid {sealed.type}") from exc
    if sealed.type == "bytes":
        return plain
    return text


def seal(plain: bytes, key: bytes, aad: str, type_: str, iv: bytes) -> str:
    """``ENC[...]`` for ``plain`` (used to write files in tests and examples)."""
    out = _aesgcm(key).encrypt(iv, plain, aad.encode("utf-8"))
    b64 = base64.b64encode
    return (
        f"ENC[AES256_GCM,data:{b64(out[:-16]).decode()},iv:{b64(iv).decode()},"
        f"tag:{b64(out[-16:]).decode()},type:{type_}]"
    )
