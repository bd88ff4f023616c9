"""A test-side SOPS writer, independent of gitopslib.secrets, built on the real libraries.

Values are sealed with ``cryptography``'s AES-GCM, data keys are wrapped with ``pyrage`` (age)
or the ``gpg`` binary (PGP), and key-group shares come from a Shamir split written here (the
library only combines). Tests use it to make files with features the corpus lacks: key groups,
thresholds, mac_only_encrypted, suffix and comment rules, every value type and store.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import subprocess
import textwrap
from collections.abc import Sequence
from pathlib import Path

import pyrage
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

LASTMODIFIED = "2026-01-02T03:04:05Z"


def age_armor(binary: bytes) -> str:
    """age's ASCII armor (64-column base64 between BEGIN/END lines)."""
    body = base64.b64encode(binary).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (
        "-----BEGIN AGE ENCRYPTED FILE-----\n"
        + "\n".join(lines)
        + "\n-----END AGE ENCRYPTED FILE-----\n"
    )


def wrap_age(secret: bytes, recipient: str) -> dict[str, str]:
    """A ``sops.age[]`` entry for ``recipient`` (X25519 ``age1...`` or ``ssh-ed25519 ...``)."""
    if recipient.startswith("ssh-"):
        rec = pyrage.ssh.Recipient.from_str(recipient)
    else:
        rec = pyrage.x25519.Recipient.from_str(recipient)
    return {"recipient": recipient, "enc": age_armor(pyrage.encrypt(secret, [rec]))}


def wrap_pgp(secret: bytes, fingerprint: str, home: Path) -> dict[str, str]:
    """A ``sops.pgp[]`` entry, encrypted by the real gpg with the public key in ``home``."""
    out = subprocess.run(
        [
            "gpg",
            "--batch",
            "--quiet",
            "--homedir",
            str(home),
            "--trust-model",
            "always",
            "--armor",
            "--encrypt",
            "-r",
            fingerprint,
        ],
        input=secret,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return {"created_at": LASTMODIFIED, "enc": out.stdout.decode(), "fp": fingerprint}


def shamir_split(secret: bytes, parts: int, threshold: int) -> list[bytes]:
    """Shares in SOPS' layout (y bytes then the x coordinate), over GF(2^8) mod 0x11B."""

    def mul(a: int, b: int) -> int:
        r = 0
        for _ in range(8):
            if b & 1:
                r ^= a
            hi = a & 0x80
            a = (a << 1) & 0xFF
            if hi:
                a ^= 0x1B
            b >>= 1
        return r

    xs = secrets.SystemRandom().sample(range(1, 256), parts)
    shares = [bytearray() for _ in range(parts)]
    for byte in secret:
        coeffs = [byte] + [secrets.randbelow(256) for _ in range(threshold - 1)]
        for share, x in zip(shares, xs, strict=True):
            y, power = 0, 1
            for c in coeffs:
                y ^= mul(c, power)
                power = mul(power, x)
            share.append(y)
    return [bytes(s) + bytes([x]) for s, x in zip(shares, xs, strict=True)]


class Sealer:
    """Seals values with one data key and keeps the running MAC, as sops' encrypt does."""

    def __init__(self, data_key: bytes | None = None, mac_only_encrypted: bool = False) -> None:
        self.key = data_key or os.urandom(32)
        self.hash = hashlib.sha512()
        self.mac_only = mac_only_encrypted
        if mac_only_encrypted:
            self.hash.update(hashlib.sha256(b"sops").digest())

    @staticmethod
    def text(value: object) -> tuple[bytes, str]:
        if isinstance(value, bool):
            return (b"True" if value else b"False"), "bool"
        if isinstance(value, int):
            return str(value).encode(), "int"
        if isinstance(value, float):
            return repr(value).encode(), "float"
        if isinstance(value, bytes):
            return value, "bytes"
        return str(value).encode(), "str"

    def seal(self, value: object, path: Sequence[str], *, comment: bool = False) -> str:
        """``ENC[...]`` for ``value`` at ``path``; adds it to the MAC unless a comment."""
        plain, kind = self.text(value)
        if comment:
            kind = "comment"
        else:
            self.hash.update(plain)
        iv = os.urandom(32)
        out = AESGCM(self.key).encrypt(iv, plain, (":".join(path) + ":").encode())
        b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
        return (
            f"ENC[AES256_GCM,data:{b64(out[:-16])},iv:{b64(iv)},tag:{b64(out[-16:])},type:{kind}]"
        )

    def clear(self, value: object) -> object:
        """A value left in clear: it still counts in the MAC (unless mac_only_encrypted)."""
        if not self.mac_only:
            self.hash.update(self.text(value)[0])
        return value

    def mac(self, lastmodified: str = LASTMODIFIED) -> str:
        """The encrypted MAC over everything sealed or cleared so far."""
        digest = self.hash.hexdigest().upper().encode()
        iv = os.urandom(32)
        out = AESGCM(self.key).encrypt(iv, digest, lastmodified.encode())
        b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
        return f"ENC[AES256_GCM,data:{b64(out[:-16])},iv:{b64(iv)},tag:{b64(out[-16:])},type:str]"


def metadata(
    sealer: Sealer, *, age: Sequence[str] = (), extra: dict[str, object] | None = None
) -> dict[str, object]:
    """A one-group ``sops`` block for age recipients (plus any other fields)."""
    meta: dict[str, object] = {
        "age": [wrap_age(sealer.key, r) for r in age],
        "lastmodified": LASTMODIFIED,
        "mac": sealer.mac(),
        "version": "3.9.0",
    }
    meta.update(extra or {})
    return meta


def encrypt_tree(data: object, sealer: Sealer, rule=None, path: tuple[str, ...] = ()) -> object:  # type: ignore[no-untyped-def]
    """Seal every leaf of ``data`` for which ``rule(path)`` is true (default: all)."""
    if isinstance(data, dict):
        return {k: encrypt_tree(v, sealer, rule, (*path, k)) for k, v in data.items()}
    if isinstance(data, list):
        return [encrypt_tree(v, sealer, rule, path) for v in data]
    if data is None:
        return None
    if rule is None or rule(path):
        return sealer.seal(data, path)
    return sealer.clear(data)


def flatten_meta(meta: dict[str, object]) -> dict[str, str]:
    """sops' flattened metadata keys for dotenv and INI (``age__list_0__map_enc``)."""
    flat: dict[str, str] = {}

    def go(prefix: str, value: object) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                go(f"{prefix}__map_{k}" if prefix else k, v)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                go(f"{prefix}__list_{i}", v)
        elif value is not None:
            flat[prefix] = (
                str(value).lower() if isinstance(value, bool) else str(value).replace("\n", "\\n")
            )

    go("", meta)
    return flat


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")
