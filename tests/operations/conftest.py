"""Fixtures for the operations tests: a small directory app in a local folder, an
Application for it, and a fake clock so nothing waits."""

from __future__ import annotations

from pathlib import Path

import pytest
from ops_helpers import FakeTime, make_app, write_repo

from gitopslib.models import Application
from gitopslib.operations import OperationContext


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def ctx(fake_time: FakeTime) -> OperationContext:
    """A context on the fake clock: polls and timeouts take no real time."""
    return OperationContext(clock=fake_time.clock, sleep=fake_time.sleep, now=fake_time.now)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return write_repo(tmp_path / "repo")


@pytest.fixture
def app() -> Application:
    return make_app()
