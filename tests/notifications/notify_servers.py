"""A recording HTTP server for delivery tests: every request (method, path, headers, exact
body) is kept, and answers follow a scripted list of statuses."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        import json

        return json.loads(self.body)


@dataclass
class Recorder:
    """What the HTTP server saw, and what it answers next (a queue of statuses, then 200)."""

    port: int
    requests: list[Request] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    reply: bytes = b'{"ok": true}'
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.statuses.clear()
            self.reply = b'{"ok": true}'


def _handler(recorder: Recorder) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with recorder.lock:
                recorder.requests.append(
                    Request(self.command, self.path, dict(self.headers.items()), body)
                )
                status = recorder.statuses.pop(0) if recorder.statuses else 200
                reply = recorder.reply
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def start_http_server(
    wrap: Callable[[socket.socket], socket.socket] | None = None,
) -> tuple[Recorder, Callable[[], None]]:
    """Start a recording server on 127.0.0.1 (optionally TLS-wrapped); returns it and stop()."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(Recorder(0)))
    recorder = Recorder(server.server_address[1])
    server.RequestHandlerClass = _handler(recorder)
    if wrap is not None:
        server.socket = wrap(server.socket)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return recorder, stop
