"""Slack (a local stand-in for the Slack API over HTTP), e-mail (a real aiosmtpd server) and
apprise (its json:// notifier posting to a local HTTP server)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from notify_servers import Recorder

from gitopslib.notifications import Notifier

APP: dict[str, Any] = {
    "metadata": {"name": "web", "namespace": "argocd"},
    "spec": {"project": "default", "source": {"repoURL": "https://example.com/web.git"}},
    "status": {
        "sync": {"status": "Synced", "revision": "abc"},
        "conditions": [{"type": "SyncError", "message": 'quote " and <tag>'}],
    },
}

TEMPLATE = """\
message: "{{if eq .serviceType \\"slack\\"}}:ok: {{end}}{{.app.metadata.name}} synced"
email:
  subject: "Synced {{.app.metadata.name}}"
slack:
  attachments: |
    [{"title": "{{.app.metadata.name}}", "color": "#18be52", "fields": [
      {"title": "Revision", "value": "{{.app.status.sync.revision}}", "short": true}
      {{range $index, $c := .app.status.conditions}},
      {"title": "{{$c.type}}", "value": "{{js $c.message}}", "short": true}{{end}}]}]
telegram:
  title: "T {{.app.metadata.name}}"
"""


def notifier(service_key: str, service: str, secret: dict[str, Any] | None = None) -> Notifier:
    return Notifier.from_yaml({"data": {service_key: service, "template.t": TEMPLATE}}, secret)


def test_slack_token_posts_chat_post_message(http: Recorder) -> None:
    """A token service posts JSON to <apiURL>/chat.postMessage with the channel, the message
    and the rendered attachments parsed from JSON, with a Bearer token."""
    http.reply = b'{"ok": true, "ts": "1.2"}'
    n = notifier(
        "service.slack",
        f"token: $slack-token\napiURL: {http.url}/api/\nusername: argocd\nicon: ':robot:'",
        {"stringData": {"slack-token": "xoxb-1"}},
    )
    d = n.send(["t"], APP, "slack:deployments")
    assert d.sent, d.error
    (req,) = http.requests
    assert (req.method, req.path) == ("POST", "/api/chat.postMessage")
    assert req.headers["Authorization"] == "Bearer xoxb-1"
    assert req.json() == {
        "channel": "deployments",
        "text": ":ok: web synced",
        "attachments": [
            {
                "title": "web",
                "color": "#18be52",
                "fields": [
                    {"title": "Revision", "value": "abc", "short": True},
                    {"title": "SyncError", "value": 'quote " and <tag>', "short": True},
                ],
            }
        ],
        "username": "argocd",
        "icon_emoji": ":robot:",
    }


def test_slack_not_ok_is_a_failure(http: Recorder) -> None:
    """Slack answers 200 with `"ok": false`: not sent, and the reason is given."""
    http.reply = b'{"ok": false, "error": "channel_not_found"}'
    n = notifier("service.slack", f"token: t\napiURL: {http.url}/")
    d = n.send(["t"], APP, "slack:nope")
    assert not d.sent
    assert d.error == f"service.slack: {http.url}/chat.postMessage answered channel_not_found"


def test_slack_incoming_webhook_url(http: Recorder) -> None:
    """With `url`, the payload is posted to that incoming-webhook URL."""
    n = notifier("service.slack", f"url: {http.url}/services/T/B/X")
    assert n.send(["t"], APP, "slack").sent
    (req,) = http.requests
    assert req.path == "/services/T/B/X"
    assert req.json()["text"] == ":ok: web synced"


def test_email_reaches_a_real_smtp_server(smtp: Any) -> None:
    """The e-mail service sends From, To, the rendered subject and the message as body."""
    n = notifier(
        "service.email.mail",
        f"host: 127.0.0.1\nport: {smtp.port}\nfrom: argocd@example.com",
    )
    d = n.send(["t"], APP, "mail:dev@example.com, ops@example.com")
    assert d.sent, d.error
    (msg,) = smtp.messages
    assert msg["From"] == "argocd@example.com"
    assert msg["To"] == "dev@example.com, ops@example.com"
    assert msg["Subject"] == "Synced web"
    assert msg.get_payload().strip() == "web synced"


def test_email_server_down_is_a_delivery_error() -> None:
    """No SMTP server listening: not sent, the error names host and port."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    n = notifier("service.email", f"host: 127.0.0.1\nport: {port}\nfrom: a@b\ntimeout: 2s")
    d = n.send(["t"], APP, "email:x@y")
    assert not d.sent
    assert (d.error or "").startswith(f"service.email: SMTP 127.0.0.1:{port} failed:")


def test_apprise_service_posts_through_apprise(http: Recorder) -> None:
    """`service.apprise` hands the message to apprise; its json:// notifier posts it here."""
    n = notifier("service.apprise.ops", f"urls: ['json://127.0.0.1:{http.port}/notify']")
    d = n.send(["t"], APP, "ops")
    assert d.sent, d.error
    (req,) = http.requests
    assert req.path == "/notify"
    assert req.json()["message"] == "web synced"


def test_argo_service_types_map_to_apprise_urls() -> None:
    """Telegram, Pushover and Teams options become apprise URLs (built only: nothing is sent
    off this machine)."""
    from gitopslib.notifications.config import NotificationsConfig
    from gitopslib.notifications.services.via_apprise import apprise_urls

    cfg = NotificationsConfig.from_yaml(
        {
            "data": {
                "service.telegram": "token: 123:abc",
                "service.pushover": "token: apptoken",
                "service.teams": "recipientUrls: {ops: 'https://example.com/webhook/x'}",
            }
        }
    )
    assert apprise_urls(cfg.services["telegram"], "-1001") == ["tgram://123:abc/-1001"]
    assert apprise_urls(cfg.services["pushover"], "userkey") == ["pover://userkey@apptoken"]
    assert apprise_urls(cfg.services["teams"], "ops") == ["https://example.com/webhook/x"]


def test_unknown_type_is_named() -> None:
    """A service type neither native nor mapped is a clear error naming the service."""
    n = notifier("service.carrierpigeon", "coop: roof")
    d = n.send(["t"], APP, "carrierpigeon")
    assert not d.sent
    assert "service type 'carrierpigeon' is not supported" in (d.error or "")


@pytest.fixture(scope="module")
def smtp_auth() -> Iterator[tuple[int, list[Any], list[tuple[str, str]]]]:
    """An aiosmtpd server that requires LOGIN/PLAIN auth (over plain TCP, on loopback)."""
    import socket

    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message
    from aiosmtpd.smtp import AuthResult, LoginPassword

    messages: list[Any] = []
    attempts: list[tuple[str, str]] = []

    class Keep(Message):  # type: ignore[misc]
        def handle_message(self, message: Any) -> None:
            messages.append(message)

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = data.login.decode(), data.password.decode()
        attempts.append((user, password))
        return AuthResult(success=(user, password) == ("argocd", "s3cret"))

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with warnings.catch_warnings():
        # AUTH without TLS is what this loopback test wants; aiosmtpd warns about it
        warnings.simplefilter("ignore", UserWarning)
        controller = Controller(
            Keep(), hostname="127.0.0.1", port=port, authenticator=authenticator,
            auth_required=True, auth_require_tls=False,
        )  # fmt: skip
        controller.start()
    yield port, messages, attempts
    controller.stop()


@pytest.mark.filterwarnings("ignore:Session.login_data is deprecated")  # aiosmtpd
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # loopback
def test_email_logs_in_with_secret_credentials(smtp_auth: Any) -> None:
    """username/password (from the Secret) are used to log in; then the mail is accepted."""
    port, messages, attempts = smtp_auth
    messages.clear()
    n = notifier(
        "service.email",
        f"host: 127.0.0.1\nport: {port}\nfrom: a@example.com\nusername: $user\npassword: $pw",
        {"stringData": {"user": "argocd", "pw": "s3cret"}},
    )
    d = n.send(["t"], APP, "email:dev@example.com")
    assert d.sent, d.error
    assert attempts[-1] == ("argocd", "s3cret")
    assert [m["Subject"] for m in messages] == ["Synced web"]
