"""SOPS metadata: the key groups that wrap the data key, the encryption rules and the MAC."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

_KEY_KINDS = ("kms", "gcp_kms", "azure_kv", "hc_vault", "age", "pgp")
_RULES = ("unencrypted_suffix", "encrypted_suffix", "unencrypted_regex", "encrypted_regex")


class MetadataError(Exception):
    """Malformed metadata (message names the field, never a value)."""


@dataclass(frozen=True)
class MasterKey:
    """One wrapped copy of the data key (or of one Shamir share of it)."""

    kind: str  # age, pgp, kms, gcp_kms, azure_kv, hc_vault, or another sops key type
    enc: str
    ident: str  # recipient, fingerprint, ARN, resource id... (public)

    def label(self) -> str:
        ident = self.ident if len(self.ident) <= 24 else self.ident[:20] + "..."
        return f"{self.kind} {ident}".strip()


@dataclass(frozen=True)
class Metadata:
    """What decryption needs from the ``sops`` block."""

    groups: list[list[MasterKey]]
    threshold: int
    lastmodified: str
    mac: str
    mac_only_encrypted: bool
    version: str
    rules: dict[str, str] = field(default_factory=dict)


def _keys_of(kind: str, entries: object) -> list[MasterKey]:
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise MetadataError(f"sops.{kind} is not a list")
    keys = []
    for number, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise MetadataError(f"sops.{kind}[{number}] is not a mapping")
        enc = entry.get("enc")
        if not isinstance(enc, str) or not enc:
            raise MetadataError(f"sops.{kind}[{number}].enc is missing")
        ident = next(
            (
                str(entry[name])
                for name in ("recipient", "fp", "arn", "resource_id", "vault_url", "key_name")
                if entry.get(name)
            ),
            "",
        )
        keys.append(MasterKey(kind, enc, ident))
    return keys


def _group(data: dict[str, object]) -> list[MasterKey]:
    group: list[MasterKey] = []
    for kind, entries in data.items():
        if isinstance(entries, list):
            group.extend(_keys_of(kind, entries))
    return group


def parse(meta: dict[str, object]) -> Metadata:
    """Typed metadata from the plain ``sops`` mapping; MetadataError when malformed."""
    top = {k: v for k, v in meta.items() if k in _KEY_KINDS or isinstance(v, list)}
    top.pop("key_groups", None)
    groups: list[list[MasterKey]] = []
    single = _group(top)
    if single:
        groups.append(single)
    else:
        raw_groups = meta.get("key_groups")
        if raw_groups is not None:
            if not isinstance(raw_groups, list):
                raise MetadataError("sops.key_groups is not a list")
            for number, raw in enumerate(raw_groups):
                if not isinstance(raw, dict):
                    raise MetadataError(f"sops.key_groups[{number}] is not a mapping")
                groups.append(_group(raw))
    if not groups or not any(groups):
        raise MetadataError("sops metadata lists no keys")
    threshold_raw = meta.get("shamir_threshold") or 0
    try:
        threshold = int(threshold_raw)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise MetadataError("sops.shamir_threshold is not an integer") from None
    if threshold <= 0:
        threshold = len(groups)
    lastmodified = meta.get("lastmodified")
    if not isinstance(lastmodified, str) or not lastmodified:
        raise MetadataError("sops.lastmodified is missing")
    mac = meta.get("mac") or ""
    if not isinstance(mac, str):
        raise MetadataError("sops.mac is not text")
    rules = {k: str(meta[k]) for k in _RULES if meta.get(k)}
    if len(rules) > 1:
        raise MetadataError(
            "more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex and "
            "unencrypted_regex is set"
        )
    if not rules:
        rules["unencrypted_suffix"] = "_unencrypted"
    for name in ("encrypted_comment_regex", "unencrypted_comment_regex"):
        if meta.get(name):
            rules[name] = str(meta[name])
    for name, pattern in rules.items():
        if name.endswith("regex"):
            try:
                re.compile(pattern)
            except re.error:
                raise MetadataError(f"sops.{name} is not a valid regular expression") from None
    only = meta.get("mac_only_encrypted")
    return Metadata(
        groups=groups,
        threshold=threshold,
        lastmodified=lastmodified,
        mac=mac,
        mac_only_encrypted=only is True or only == "true",
        version=str(meta.get("version") or ""),
        rules=rules,
    )


def rfc3339(text: str) -> str | None:
    """``text`` as Go's ``time.Format(time.RFC3339)`` writes it back (None if not a time)."""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    base = when.strftime("%Y-%m-%dT%H:%M:%S")
    offset = when.utcoffset()
    if offset is None or offset == timedelta(0):
        return base + "Z"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{base}{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def should_encrypt(
    rules: dict[str, str], path: list[str], stack: list[list[str]], is_comment: bool
) -> bool:
    """SOPS' rule for one value or comment: is it (to be) encrypted?"""
    encrypted = True
    if (suffix := rules.get("unencrypted_suffix")) and any(p.endswith(suffix) for p in path):
        encrypted = False
    if suffix := rules.get("encrypted_suffix"):
        encrypted = any(p.endswith(suffix) for p in path)
    if (pattern := rules.get("unencrypted_regex")) and any(re.search(pattern, p) for p in path):
        encrypted = False
    if pattern := rules.get("encrypted_regex"):
        encrypted = any(re.search(pattern, p) for p in path)
    pattern = rules.get("unencrypted_comment_regex")
    if pattern and any(re.search(pattern, c) for cs in stack for c in cs):
        encrypted = False
    if pattern := rules.get("encrypted_comment_regex"):
        encrypted = False
        last = len(stack) - 1
        for i, comments in enumerate(stack):
            for j, comment in enumerate(comments):
                if is_comment and i == last and j == len(comments) - 1:
                    continue
                if re.search(pattern, comment):
                    return True
    return encrypted
