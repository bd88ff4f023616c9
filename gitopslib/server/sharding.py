"""Which replica reconciles which app: a stable hash of the app's identity, no coordinator.

``shard_of(namespace, name, shards)`` is the first eight bytes of
``sha256("<namespace>/<name>")`` read as a big-endian unsigned integer, modulo ``shards``.
It depends on nothing but the app's namespace and name, so every replica computes the same
partition, a restarted replica takes back exactly its own apps, and adding an app moves no
other. (Argo CD shards its controllers by destination cluster instead; sharding by app
spreads one large cluster's apps too.) Changing the number of shards moves about
``1 - 1/N`` of the apps, as any modulo scheme does.

>>> shard_of("argocd", "guestbook", 1)
0
>>> shard_of("argocd", "guestbook", 3) == shard_of("argocd", "guestbook", 3)
True
"""

from __future__ import annotations

import hashlib

__all__ = ["owns", "shard_of"]


def shard_of(namespace: str, name: str, shards: int) -> int:
    """The shard (``0 .. shards-1``) that owns the app ``namespace/name``."""
    if shards <= 1:
        return 0
    digest = hashlib.sha256(f"{namespace}/{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % shards


def owns(namespace: str, name: str, shard: int, shards: int) -> bool:
    """Whether replica ``shard`` of ``shards`` reconciles the app."""
    return shard_of(namespace, name, shards) == shard
