"""Real servers on 127.0.0.1 for delivery tests: the recording HTTP server of
notify_servers.py and an aiosmtpd SMTP server that keeps every message. Started once per
module."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from notify_servers import Recorder, start_http_server


@pytest.fixture(scope="module")
def http_server() -> Iterator[Recorder]:
    """A recording HTTP server on 127.0.0.1 (an ephemeral port), for the whole module."""
    recorder, stop = start_http_server()
    yield recorder
    stop()


@pytest.fixture
def http(http_server: Recorder) -> Recorder:
    """The module's HTTP server, emptied for this test."""
    http_server.reset()
    return http_server


@dataclass
class Mailbox:
    port: int
    messages: list[Any] = field(default_factory=list)


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[Mailbox]:
    """A real aiosmtpd SMTP server on 127.0.0.1 collecting messages."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    box = Mailbox(0)

    class Keep(Message):  # type: ignore[misc]
        def handle_message(self, message: Any) -> None:
            box.messages.append(message)

    with socket.socket() as probe:  # aiosmtpd connects to its own port to check it is up
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    box.port = port
    yield box
    controller.stop()


@pytest.fixture
def smtp(smtp_server: Mailbox) -> Mailbox:
    smtp_server.messages.clear()
    return smtp_server
