"""gitopslib serve --notifications-cm: a real sync sends the guide's notification once."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
import time
from pathlib import Path
from typing import Any, ClassVar

import httpx
from serve_fixtures import InProcessServer, passes, wait_for

from gitopslib.server import ServeSettings, create_app

ROOT = Path(__file__).resolve().parents[2]
CM = ROOT / "examples/12-notifications/argocd-notifications-cm.yaml"


class Receiver(http.server.BaseHTTPRequestHandler):
    """A webhook endpoint that keeps what it is sent."""

    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_sync_sends_on_sync_succeeded_once(tmp_path: Path) -> None:
    """The startup auto-sync fires on-sync-succeeded to the webhook service exactly once,
    although later passes see the same succeeded operation."""
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    secret = tmp_path / "argocd-notifications-secret.yaml"
    port = receiver.server_address[1]
    secret.write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: argocd-notifications-secret}\n"
        f"stringData: {{dingtalk-url: 'http://127.0.0.1:{port}/robot/send'}}\n"
    )
    shutil.copy(CM, tmp_path / "cm.yaml")
    settings = ServeSettings(
        paths=(str(ROOT / "examples/01-directory-app/application.yaml"),),
        memory=True,
        repo_root=str(ROOT / "examples/01-directory-app/repo"),
        interval=3600,
        notifications_cm=str(tmp_path / "cm.yaml"),
        notifications_secret=str(secret),
    )
    Receiver.received = []
    app = create_app(settings)
    try:
        with InProcessServer(app) as server:
            controller = app.state.controller
            wait_for(lambda: passes(controller, "guestbook") >= 2, 60, "two passes")
            wait_for(lambda: Receiver.received, 30, "a notification")
            controller.refresh([("argocd", "guestbook")], "test")
            wait_for(lambda: passes(controller, "guestbook") >= 3, 60, "a third pass")
            time.sleep(0.3)
            status = httpx.get(f"{server.url}/api/v1/applications/guestbook").json()["status"]
    finally:
        receiver.shutdown()
        receiver.server_close()
    texts = [m["markdown"]["text"] for m in Receiver.received]
    assert len(texts) == 1, texts
    assert "app: guestbook" in texts[0] and "phase: Succeeded" in texts[0]
    assert status["operationState"]["phase"] == "Succeeded"
