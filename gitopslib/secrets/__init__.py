"""Secrets in Git: SOPS-encrypted files decrypted in memory.

``sops_decrypt`` opens files written by the real ``sops`` (YAML, JSON, dotenv, INI and binary
stores) with age identities (through pyrage) or PGP keys (through the ``gpg`` binary), verifies
the MAC, and returns the plain content as :class:`SecretBytes`, whose ``repr`` hides it.
Nothing decrypted is written to disk.
"""

from __future__ import annotations

from gitopslib.secrets._decrypt import FORMATS, guess_format, is_sops_document, sops_decrypt
from gitopslib.secrets._keys import GPG_TIMEOUT, SopsKeys
from gitopslib.secrets._values import SecretBytes

__all__ = [
    "FORMATS",
    "GPG_TIMEOUT",
    "SecretBytes",
    "SopsKeys",
    "guess_format",
    "is_sops_document",
    "sops_decrypt",
]
