"""Helpers shared by the render-cache tests (imported by name; conftest holds the fixtures):
the real Directory renderer, counting its renders, and a registry holding it."""

from __future__ import annotations

from collections import Counter
from typing import Any

from gitopslib.sources import default_registry
from gitopslib.sources._base import RenderContext
from gitopslib.sources.directory import DirectoryRenderer


class CountingDirectory(DirectoryRenderer):
    """The real Directory renderer, counting renders per app (and optionally flagging them as
    decrypted, as the SOPS decryption does)."""

    def __init__(self, secret: bool = False) -> None:
        super().__init__()
        self.renders: Counter[str] = Counter()
        self.secret = secret

    def render(self, ctx: RenderContext) -> list[dict[str, Any]]:
        self.renders[str(ctx.app.metadata.name)] += 1
        if self.secret:
            ctx.contains_secrets = True  # what a renderer that decrypted SOPS values sets
        return super().render(ctx)


def registry(renderer: DirectoryRenderer) -> Any:
    """The default registry with ``renderer`` in place of the Directory renderer."""
    reg = default_registry()
    reg.register(renderer, replace=True)
    return reg
