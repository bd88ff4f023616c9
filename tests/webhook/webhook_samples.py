"""Webhook test helpers: the provider payload samples in payloads/ and their signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

PAYLOADS = Path(__file__).parent / "payloads"


def payload(name: str) -> bytes:
    """The raw bytes of one sample, as a provider would post them."""
    return (PAYLOADS / f"{name}.json").read_bytes()


def sign(secret: str, body: bytes, algo: str = "sha256") -> str:
    """The hex HMAC of ``body`` with ``secret``, as GitHub, Gogs and Bitbucket Server compute it."""
    return hmac.new(secret.encode(), body, getattr(hashlib, algo)).hexdigest()


def basic(user: str, password: str) -> str:
    """An HTTP Basic Authorization header value."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
