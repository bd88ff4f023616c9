"""Decrypt a SOPS file in memory: open the data key, decrypt every value, verify the MAC.

Nothing decrypted is written anywhere: the result is a :class:`SecretBytes` whose ``repr``
hides it, and errors name the file and the key path, never a value.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gitopslib.errors import SopsError
from gitopslib.secrets import _aes, _flat_stores, _metadata, _shamir, _yaml_store
from gitopslib.secrets._keys import SopsKeys
from gitopslib.secrets._tree import Comment, Leaf, MapNode, walk
from gitopslib.secrets._values import SecretBytes, mac_bytes

Format = Literal["yaml", "json", "dotenv", "ini", "binary"]
FORMATS: tuple[str, ...] = ("yaml", "json", "dotenv", "ini", "binary")

#: 32 bytes that start the MAC of files with ``mac_only_encrypted`` (sha256 of b"sops").
_MAC_ONLY_PREFIX = hashlib.sha256(b"sops").digest()

_EXTENSIONS = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".env": "dotenv", ".ini": "ini"}


@dataclass
class _Loaded:
    format: str
    branches: list[MapNode]
    metadata: dict[str, object] | None
    yaml: _yaml_store.YamlFile | None = None


def guess_format(name: str, text: str) -> str:
    """The store for a file: by extension as sops does, else by looking at the content."""
    suffix = Path(name).suffix.lower()
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            root, _ = _flat_stores.load_json(text)
        except _yaml_store.StoreError:
            return "yaml"
        return "binary" if _flat_stores.looks_binary(root) else "json"
    if re.search(r"^\[sops\]\s*$", text, re.M):
        return "ini"
    if re.search(r"^sops_(mac|lastmodified|version)=", text, re.M):
        return "dotenv"
    return "yaml"


def _load(text: str, fmt: str) -> _Loaded:
    if fmt == "yaml":
        loaded = _yaml_store.load(text)
        return _Loaded(fmt, loaded.branches, loaded.metadata, loaded)
    if fmt in ("json", "binary"):
        root, meta = _flat_stores.load_json(text)
        return _Loaded(fmt, [root], meta)
    if fmt == "dotenv":
        root, meta = _flat_stores.load_dotenv(text)
        return _Loaded(fmt, [root], meta)
    root, meta = _flat_stores.load_ini(text)
    return _Loaded(fmt, [root], meta)


def is_sops_document(data: bytes | str) -> bool:
    """True when ``data`` carries SOPS metadata (a ``sops`` block with a ``lastmodified``)."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    if "sops" not in text:
        return False
    for fmt in ("yaml", "json", "dotenv", "ini"):
        try:
            loaded = _load(text, fmt)
        except (_yaml_store.StoreError, RecursionError):
            continue
        if isinstance(loaded.metadata, dict) and "lastmodified" in loaded.metadata:
            return True
    return False


class _DataKey:
    """The 32-byte data key; its ``repr`` hides it."""

    __slots__ = ("key",)

    def __init__(self, key: bytes) -> None:
        self.key = key

    def __repr__(self) -> str:
        return "<data key>"


def _open_group(group: list[_metadata.MasterKey], keys: SopsKeys) -> tuple[bytes | None, list[str]]:
    reasons: list[str] = []
    order = {"age": 0, "pgp": 1}
    for master in sorted(group, key=lambda m: order.get(m.kind, 2)):
        try:
            if master.kind == "age":
                if master.ident.startswith("age1pq1"):
                    raise ValueError("unsupported key type (post-quantum age recipient)")
                return keys.open_age(master.enc), reasons
            if master.kind == "pgp":
                return keys.open_pgp(master.enc), reasons
            raise ValueError(f"unsupported key type ({master.kind})")
        except (ValueError, SopsError) as exc:
            reasons.append(f"{master.label()}: {exc}")
    return None, reasons


def _data_key(meta: _metadata.Metadata, keys: SopsKeys, name: str) -> _DataKey:
    parts: list[bytes] = []
    reasons: list[str] = []
    for number, group in enumerate(meta.groups, 1):
        part, why = _open_group(group, keys)
        if part is not None:
            parts.append(part)
        prefix = f"group {number}: " if len(meta.groups) > 1 else ""
        reasons.extend(prefix + r for r in why if part is None)
    if len(meta.groups) == 1:
        key = parts[0] if parts else None
    elif len(parts) >= meta.threshold:
        try:
            key = _shamir.combine(parts)
        except ValueError as exc:
            raise SopsError(
                f"{name}: the key groups' shares do not combine: {exc}", file=name
            ) from None
    else:
        key = None
        reasons.insert(
            0, f"{len(parts)} of {meta.threshold} required key groups opened (shamir_threshold)"
        )
    if key is None:
        all_unsupported = reasons and all("unsupported key type" in r for r in reasons)
        lead = "unsupported key type" if all_unsupported else "cannot decrypt the data key"
        raise SopsError(f"{name}: {lead}: {'; '.join(reasons)}", file=name)
    if len(key) != 32:
        raise SopsError(f"{name}: the data key is {len(key)} bytes, not 32", file=name)
    return _DataKey(key)


def _where(path: list[str]) -> str:
    return ".".join(path) if path else "(top level)"


def sops_decrypt(
    source: str | os.PathLike[str] | bytes,
    keys: SopsKeys | None = None,
    format: Format | None = None,
    *,
    ignore_mac: bool = False,
    name: str | None = None,
) -> SecretBytes:
    """The plain content of a SOPS file, as bytes in the file's own format.

    ``source`` is a path or the file's bytes (``name`` then labels errors). ``keys`` defaults
    to what sops would find in the environment. The MAC is always verified; ``ignore_mac=True``
    is the explicit escape, as ``sops --ignore-mac``. Errors are :class:`SopsError` naming the
    file and key path, never a value.

    >>> sops_decrypt(b"plain: yaml\\n", keys=SopsKeys(age=[]))
    Traceback (most recent call last):
    ...
    gitopslib.errors.SopsError: <bytes>: not a SOPS file (no sops metadata)
    """
    if isinstance(source, bytes):
        data = source
        label = name or "<bytes>"
    else:
        label = name or str(source)
        try:
            data = Path(source).read_bytes()
        except FileNotFoundError:
            raise SopsError(f"{label}: no such file", file=label) from None
        except OSError as exc:
            raise SopsError(f"{label}: cannot read: {exc.strerror}", file=label) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SopsError(f"{label}: not a SOPS file (not UTF-8 text)", file=label) from None
    if format is not None and format not in FORMATS:
        raise SopsError(
            f"{label}: unknown format {format!r} (one of {', '.join(FORMATS)})", file=label
        )
    fmt = format or guess_format(label, text)
    try:
        loaded = _load(text, fmt)
    except _yaml_store.StoreError as exc:
        raise SopsError(f"{label}: not a SOPS file ({exc})", file=label) from None
    except RecursionError:
        raise SopsError(f"{label}: not a SOPS file (nested too deeply)", file=label) from None
    if loaded.metadata is None:
        raise SopsError(f"{label}: not a SOPS file (no sops metadata)", file=label)
    try:
        meta = _metadata.parse(loaded.metadata)
    except _metadata.MetadataError as exc:
        raise SopsError(f"{label}: malformed SOPS metadata: {exc}", file=label) from None
    data_key = _data_key(meta, keys if keys is not None else SopsKeys(), label)
    return _decrypt_tree(loaded, meta, data_key, label, ignore_mac)


def _decrypt_tree(
    loaded: _Loaded, meta: _metadata.Metadata, data_key: _DataKey, label: str, ignore_mac: bool
) -> SecretBytes:
    key = data_key.key
    cipher = _aes.cipher_for(key)
    strict = hashlib.sha512()
    legacy = hashlib.sha512()  # older sops also hashed comments
    if meta.mac_only_encrypted:
        strict.update(_MAC_ONLY_PREFIX)
        legacy.update(_MAC_ONLY_PREFIX)
    replacements: list[tuple[int, int, str]] = []

    def visit(node: Leaf | Comment, path: list[str], stack: list[list[str]]) -> None:
        is_comment = isinstance(node, Comment)
        encrypted = _metadata.should_encrypt(meta.rules, path, stack, is_comment)
        aad = ":".join(path) + ":"
        if isinstance(node, Comment):
            if encrypted and _aes.is_encrypted(node.raw):
                sealed = _aes.parse(node.raw)
                for candidate in (aad, *node.candidates):
                    try:
                        node.plain = _aes.open_bytes(sealed, key, candidate, cipher).decode(
                            "utf-8", "surrogateescape"
                        )
                        break
                    except _aes.CipherError:
                        continue
                if node.plain is not None and node.span is not None:
                    replacements.append((*node.span, node.plain))
            if not meta.mac_only_encrypted or encrypted:
                legacy.update(mac_bytes(node.value))
            return
        if encrypted:
            raw = node.raw
            if raw == "":
                node.plain = ""
            elif not isinstance(raw, str) or not _aes.is_encrypted(raw):
                raise SopsError(
                    f"{label}: {_where(path)}: the value is not encrypted although the file's "
                    "rules say it should be",
                    file=label,
                    key_path=_where(path),
                )
            else:
                try:
                    sealed = _aes.parse(raw)
                    node.plain = _aes.typed(sealed, _aes.open_bytes(sealed, key, aad, cipher))
                except _aes.CipherError as exc:
                    raise SopsError(
                        f"{label}: {_where(path)}: cannot decrypt the value: {exc}",
                        file=label,
                        key_path=_where(path),
                    ) from None
                if node.span is not None:
                    replacements.append(
                        (*node.span, _yaml_store.render_scalar(node.value, node.indent))
                    )
        if not meta.mac_only_encrypted or encrypted:
            try:
                chunk = mac_bytes(node.value)
            except TypeError:
                raise SopsError(
                    f"{label}: {_where(path)}: a value of an unsupported type", file=label
                ) from None
            strict.update(chunk)
            legacy.update(chunk)

    for branch in loaded.branches:
        walk(branch, visit)
    if not ignore_mac:
        _verify_mac(meta, key, label, {strict.hexdigest().upper(), legacy.hexdigest().upper()})
    return SecretBytes(_emit(loaded, replacements))


def _verify_mac(meta: _metadata.Metadata, key: bytes, label: str, computed: set[str]) -> None:
    if not meta.mac:
        raise SopsError(
            f"{label}: the file has no MAC, so its integrity cannot be checked "
            "(refused; ignore_mac=True opens it anyway, as sops --ignore-mac)",
            file=label,
        )
    try:
        sealed = _aes.parse(meta.mac)
    except _aes.CipherError as exc:
        raise SopsError(f"{label}: sops.mac: {exc}", file=label, key_path="sops.mac") from None
    stored: str | None = None
    for aad in dict.fromkeys([meta.lastmodified, _metadata.rfc3339(meta.lastmodified)]):
        if aad is None:
            continue
        try:
            stored = _aes.open_bytes(sealed, key, aad).decode("ascii", "replace")
            break
        except _aes.CipherError:
            continue
    if stored is None:
        raise SopsError(
            f"{label}: sops.mac cannot be authenticated (the MAC or lastmodified was changed)",
            file=label,
            key_path="sops.mac",
        )
    if stored.upper() not in computed:
        raise SopsError(
            f"{label}: MAC mismatch: the file was changed after it was encrypted",
            file=label,
            key_path="sops.mac",
        )


def _emit(loaded: _Loaded, replacements: list[tuple[int, int, str]]) -> bytes:
    if loaded.format == "yaml":
        assert loaded.yaml is not None
        return _yaml_store.emit(loaded.yaml, replacements).encode("utf-8", "surrogateescape")
    root = loaded.branches[0]
    if loaded.format == "binary":
        return _flat_stores.emit_binary(root)
    if loaded.format == "json":
        return _flat_stores.emit_json(root)
    if loaded.format == "dotenv":
        return _flat_stores.emit_dotenv(root)
    return _flat_stores.emit_ini(root)
