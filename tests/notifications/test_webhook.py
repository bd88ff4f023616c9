"""The webhook service against a real HTTP(S) server on 127.0.0.1: exact bodies, headers,
auth, retries, TLS settings, and a failing destination that does not stop the others."""

from __future__ import annotations

import base64
import copy
import datetime
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from notify_servers import Recorder, start_http_server

from gitopslib.notifications import Notifier

APP = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Application",
    "metadata": {"name": "web", "namespace": "argocd"},
    "spec": {"project": "default"},
    "status": {"sync": {"status": "Synced"}, "operationState": {"phase": "Succeeded"}},
}


def notifier(service: str, template: str = "", secret: dict[str, object] | None = None) -> Notifier:
    data = {"service.webhook.hook": service}
    data["template.t"] = template or 'message: "{{.app.metadata.name}} {{.serviceType}}"'
    return Notifier.from_yaml({"data": data}, secret)


def test_body_method_path_and_headers_as_configured(http: Recorder) -> None:
    """The template's webhook block sets method, path (appended to url) and body; the
    service's headers and basicAuth go with it; the server receives exactly that body."""
    n = notifier(
        f"url: {http.url}/api/\nheaders:\n- name: Content-Type\n  value: application/json\n"
        "basicAuth: {username: u, password: $pw}",
        "webhook:\n  hook:\n    method: PUT\n    path: /apps/{{.app.metadata.name}}\n"
        '    body: |\n      {"app": "{{.app.metadata.name}}", "phase": '
        '"{{.app.status.operationState.phase}}"}\n',
        secret={"stringData": {"pw": "p4ss"}},
    )
    d = n.send(["t"], APP, "hook")
    assert d.sent, d.error
    (req,) = http.requests
    assert (req.method, req.path) == ("PUT", "/api/apps/web")
    assert req.body == b'{"app": "web", "phase": "Succeeded"}\n'
    assert req.headers["Content-Type"] == "application/json"
    assert req.headers["Authorization"] == "Basic " + base64.b64encode(b"u:p4ss").decode()


def test_without_webhook_block_message_is_sent_with_get(http: Recorder) -> None:
    """With no `webhook.<name>` block the engine sends `message` with GET; `.serviceType` is
    the service's name."""
    d = notifier(f"url: {http.url}/hook").send(["t"], APP, "hook")
    assert d.sent
    (req,) = http.requests
    assert (req.method, req.path, req.body) == ("GET", "/hook", b"web hook")


def test_server_errors_are_retried_with_backoff(http: Recorder) -> None:
    """503 twice then 200: three requests, delivered (go-retryablehttp's policy)."""
    http.statuses.extend([503, 503])
    n = notifier(f"url: {http.url}\nretryWaitMin: 1ms\nretryWaitMax: 2ms")
    assert n.send(["t"], APP, "hook").sent
    assert len(http.requests) == 3


def test_client_errors_are_not_retried(http: Recorder) -> None:
    """A 400 is final: one request, not sent, the error names the service and the status."""
    http.statuses.append(400)
    http.reply = b"bad request body"
    d = notifier(f"url: {http.url}/x?token=s3cret").send(["t"], APP, "hook")
    assert not d.sent
    assert len(http.requests) == 1
    assert d.error == (
        f"service.webhook.hook: request to GET {http.url}/x?<query hidden> has failed with "
        "error code 400: bad request body"
    )


def test_gives_up_after_retry_max(http: Recorder) -> None:
    """retryMax: 1 means two attempts, then the last status is reported."""
    http.statuses.extend([500, 500, 500])
    n = notifier(f"url: {http.url}\nretryMax: 1\nretryWaitMin: 1ms\nretryWaitMax: 1ms")
    d = n.send(["t"], APP, "hook")
    assert not d.sent and "error code 500" in (d.error or "")
    assert len(http.requests) == 2


def test_unreachable_server_is_a_delivery_error_not_an_exception() -> None:
    """Connection refused: every attempt fails and the Delivery says so."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    n = notifier(f"url: http://127.0.0.1:{port}\nretryMax: 1\nretryWaitMin: 1ms\ntimeout: 2s")
    d = n.send(["t"], APP, "hook")
    assert not d.sent
    assert "failed after 2 attempts: ConnectError" in (d.error or "")


def test_failing_destination_does_not_stop_the_others(http: Recorder) -> None:
    """One service is down; process() still delivers to the next one."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    n = Notifier.from_yaml(
        {
            "data": {
                "service.webhook.down": f"url: http://127.0.0.1:{dead}\nretryMax: 1\n"
                "retryWaitMin: 1ms",
                "service.webhook.up": f"url: {http.url}/up",
                "template.t": "message: hi",
                "trigger.on-any": "- when: 'true'\n  send: [t]",
                "subscriptions": "- recipients: [down, up]\n  triggers: [on-any]",
            }
        }
    )
    deliveries = n.process(copy.deepcopy(APP))
    assert [(d.service, d.sent) for d in deliveries] == [("down", False), ("up", True)]
    assert [r.path for r in http.requests] == ["/up"]


# --- TLS ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Recorder, Path]]:
    """An HTTPS server with a self-signed certificate for 127.0.0.1; yields it and the CA."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    d = tmp_path_factory.mktemp("tls")
    cert_path, key_path = d / "cert.pem", d / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_path, key_path)
    recorder, stop = start_http_server(lambda sock: ctx.wrap_socket(sock, server_side=True))
    yield recorder, cert_path
    stop()


def test_tls_is_verified_by_default(https_server: tuple[Recorder, Path]) -> None:
    """A self-signed server is refused unless told otherwise."""
    recorder, _ = https_server
    n = notifier(f"url: https://127.0.0.1:{recorder.port}\nretryMax: 1\nretryWaitMin: 1ms")
    d = n.send(["t"], APP, "hook")
    assert not d.sent and "ConnectError" in (d.error or "")


def test_insecure_skip_verify_and_ca_file(https_server: tuple[Recorder, Path]) -> None:
    """`insecureSkipVerify: true` or `caFile` pointing at the server's CA both deliver."""
    recorder, ca = https_server
    recorder.reset()
    url = f"https://127.0.0.1:{recorder.port}"
    assert notifier(f"url: {url}\ninsecureSkipVerify: true").send(["t"], APP, "hook").sent
    assert notifier(f"url: {url}\ncaFile: {ca}").send(["t"], APP, "hook").sent
    assert len(recorder.requests) == 2
