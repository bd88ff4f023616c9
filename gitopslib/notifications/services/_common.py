"""What the senders share: the error type, option readers, the HTTP client with retries."""

from __future__ import annotations

import functools
import ssl
import time
from collections.abc import Callable, Mapping
from typing import Any

from gitopslib.errors import NotificationError
from gitopslib.giturl import mask_credentials
from gitopslib.notifications.config import ServiceConfig
from gitopslib.notifications.gotime import SECOND, parse_go_duration

__all__ = ["DeliveryError", "HttpOptions", "http_request", "masked_url", "require_httpx"]


class DeliveryError(NotificationError):
    """A service refused or could not be reached (``service``; never a secret value)."""

    service: str


def require_httpx() -> Any:
    try:
        import httpx
    except ImportError:  # pragma: no cover - the extra is installed in tests
        raise NotificationError(
            "delivering over HTTP needs httpx: pip install gitopslib[notifications]", key=None
        ) from None
    return httpx


def masked_url(url: str, service: ServiceConfig) -> str:
    """``url`` for messages: credentials and query string hidden, secret values masked."""
    base, sep, _query = url.partition("?")
    text = base + ("?<query hidden>" if sep else "")
    return mask_credentials(text, service.secret_values)


def option_seconds(service: ServiceConfig, name: str, default: float) -> float:
    """A duration option: Go nanoseconds (an integer, as the engine's JSON has it) or a Go
    duration string (``"500ms"``)."""
    raw = service.options.get(name)
    if raw is None or raw == 0:
        return default
    if isinstance(raw, bool):
        raise NotificationError(f"{service.key}: {name} must be a duration", key=service.key)
    if isinstance(raw, int | float):
        return float(raw) / SECOND
    if isinstance(raw, str):
        try:
            return int(parse_go_duration(raw)) / SECOND
        except ValueError:
            pass
    raise NotificationError(
        f"{service.key}: {name} must be a duration such as 500ms or 2s", key=service.key
    )


class HttpOptions:
    """Retries (go-retryablehttp's policy and defaults), timeout and TLS of one service."""

    def __init__(self, service: ServiceConfig) -> None:
        opts = service.options
        self.retry_wait_min = option_seconds(service, "retryWaitMin", 1.0)
        self.retry_wait_max = option_seconds(service, "retryWaitMax", 5.0)
        retry_max = opts.get("retryMax", 0)
        if not isinstance(retry_max, int) or isinstance(retry_max, bool) or retry_max < 0:
            raise NotificationError(f"{service.key}: retryMax must be a number", key=service.key)
        self.retry_max = retry_max or 3
        self.timeout = option_seconds(service, "timeout", 30.0)
        insecure = opts.get("insecureSkipVerify", False)
        if not isinstance(insecure, bool):
            raise NotificationError(
                f"{service.key}: insecureSkipVerify must be true or false", key=service.key
            )
        self.verify = _ssl_context(service, insecure)


def _ssl_context(service: ServiceConfig, insecure: bool) -> ssl.SSLContext:
    """The TLS settings: ``insecureSkipVerify``, and gitopslib's ``caFile``, ``certFile`` and
    ``keyFile`` (a client certificate)."""
    opts = service.options
    ca_file, cert, key = opts.get("caFile"), opts.get("certFile"), opts.get("keyFile")
    try:
        return _cached_context(
            str(ca_file) if ca_file else None,
            str(cert) if cert else None,
            str(key) if key else None,
            insecure,
        )
    except (OSError, ssl.SSLError) as exc:
        raise NotificationError(
            f"{service.key}: TLS settings could not be loaded ({type(exc).__name__})",
            key=service.key,
        ) from None


@functools.lru_cache(maxsize=32)
def _cached_context(
    ca_file: str | None, cert: str | None, key: str | None, insecure: bool
) -> ssl.SSLContext:
    # loading the system CA store costs ~0.1 s: build each distinct context once
    ctx = ssl.create_default_context(cafile=ca_file)
    if insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if cert:
        ctx.load_cert_chain(cert, key)
    return ctx


def _retryable(status: int) -> bool:
    return status == 429 or (status >= 500 and status != 501)


def http_request(
    service: ServiceConfig,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    content: bytes | None = None,
    auth: tuple[str, str] | None = None,
    options: HttpOptions | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """Send one request with go-retryablehttp's policy: connection errors, 429 and 5xx (not
    501) are retried ``retryMax`` times with exponential backoff between ``retryWaitMin`` and
    ``retryWaitMax``. Returns the last httpx response; :class:`DeliveryError` if none came."""
    httpx = require_httpx()
    opts = options or HttpOptions(service)
    last_error = ""
    response = None
    client = httpx.Client(verify=opts.verify, timeout=opts.timeout)
    with client:
        for attempt in range(opts.retry_max + 1):
            try:
                response = client.request(
                    method, url, headers=dict(headers or {}), content=content, auth=auth
                )
            except httpx.HTTPError as exc:
                response = None
                last_error = (
                    f"{type(exc).__name__}: {mask_credentials(str(exc), service.secret_values)}"
                )
                last_error = last_error.replace(url, masked_url(url, service))
            else:
                if not _retryable(response.status_code):
                    return response
            if attempt == opts.retry_max:
                break
            wait = min(opts.retry_wait_max, opts.retry_wait_min * (2**attempt))
            sleep(wait)
    if response is not None:
        return response
    raise DeliveryError(
        f"{service.key}: {method} {masked_url(url, service)} failed after "
        f"{opts.retry_max + 1} attempts: {last_error}",
        key=service.key,
        service=service.name,
    )


def check_status(service: ServiceConfig, method: str, url: str, response: Any) -> None:
    """The engine's rule: anything outside 2xx is a failure, with the start of the body."""
    if 200 <= response.status_code <= 299:
        return
    body = mask_credentials(response.text[:300], service.secret_values)
    raise DeliveryError(
        f"{service.key}: request to {method} {masked_url(url, service)} has failed with error "
        f"code {response.status_code}: {body}",
        key=service.key,
        service=service.name,
        status=response.status_code,
    )
