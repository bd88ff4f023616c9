"""Fixtures for the diff tests: the guestbook app from the corpus and live objects as a real
API server returns them (server metadata, managedFields, status, defaults)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from diff_helpers import APP_YAML, serverize

from gitopslib.manifest import load_manifests
from gitopslib.models import Application


@pytest.fixture
def app() -> Application:
    """The guestbook Application (destination namespace ``default``)."""
    return Application.from_yaml(APP_YAML)


@pytest.fixture
def guestbook(example_apps: Path) -> list[dict[str, Any]]:
    """The guestbook manifests from argocd-example-apps, as rendered (Deployment, Service)."""
    objs: list[dict[str, Any]] = []
    for path in sorted((example_apps / "guestbook").glob("*.yaml")):
        objs.extend(load_manifests(path))
    return objs


@pytest.fixture
def live_of() -> Callable[..., dict[str, Any]]:
    """The ``serverize`` helper."""
    return serverize
