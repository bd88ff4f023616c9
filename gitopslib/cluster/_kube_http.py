"""One API request of :class:`~gitopslib.cluster.KubernetesCluster`: a timeout on every
request, retries of transient failures (:mod:`gitopslib.cluster._retry`), the
operation's deadline, a ``ClusterError`` naming verb, resource, status and the server's
message (never a credential), and one ``record_k8s_request`` per attempt.

Requests for objects go out through the official client's own connection pool, headers and
authentication (:meth:`Transport.request`), with the body encoded once as JSON: the
client's generic layers (parameter sanitising, the dynamic client's response wrapping) cost
more per request than the HTTP exchange itself. Discovery stays on the dynamic client.

>>> _connection_reason(OSError("[Errno 111] Connection refused"))
'[Errno 111] Connection refused'
>>> _connection_reason(OSError("[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)"))
'[SSL: WRONG_VERSION_NUMBER] wrong version number'
"""

from __future__ import annotations

import importlib
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from gitopslib.cluster._common import cluster_error
from gitopslib.cluster._retry import (
    TRANSIENT_STATUSES,
    Transient,
    retry_after_seconds,
    with_retries,
)
from gitopslib.errors import ClusterError, ClusterTimeoutError
from gitopslib.giturl import mask_credentials
from gitopslib.manifest import ResourceKey
from gitopslib.observe import K8sRecorder
from gitopslib.sync.deadline import time_left

__all__ = ["RequestPolicy", "Transport"]

#: Argo CD's verb label of ``argocd_app_k8s_request_total``, by our verb.
_METRIC_VERBS = {
    "get": "Get",
    "list": "List",
    "discover": "Get",
    "create": "Create",
    "apply": "Patch",
    "patch": "Patch",
    "replace": "Update",
    "update": "Update",
    "delete": "Delete",
}


def _module(name: str) -> Any:
    return importlib.import_module(name)


@dataclass(frozen=True, slots=True)
class RequestPolicy:
    """Timeouts and retries of every request.

    ``request_timeout``: seconds a response may take (each try); ``connect_timeout``: seconds
    to connect; ``attempts``: tries of a transient failure; ``backoff``/``max_backoff``: the
    exponential backoff's first step and cap, in seconds (full jitter).
    """

    request_timeout: float = 30.0
    connect_timeout: float = 10.0
    attempts: int = 6
    backoff: float = 0.2
    max_backoff: float = 10.0


def status_details(exc: Any) -> tuple[int, str, str]:
    """HTTP status, reason and the server's message from an ``ApiException``."""
    status = int(getattr(exc, "status", 0) or 0)
    reason = str(getattr(exc, "reason", "") or "")
    message = ""
    body = getattr(exc, "body", None)
    if body:
        try:
            data = json.loads(body)
        except (TypeError, ValueError):
            data = None
        if isinstance(data, dict):
            message = str(data.get("message") or "")
            reason = str(data.get("reason") or reason)
    return status, reason, message


class Transport:
    """Sends requests for one cluster; thread-safe (the concurrent applies share it)."""

    def __init__(
        self,
        api_client: Any,
        policy: RequestPolicy,
        metrics: K8sRecorder | None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api_client = api_client
        self.policy = policy
        self.metrics = metrics
        self.sleep = sleep
        self._api_exception = _module("kubernetes.client.exceptions").ApiException
        urllib3_exc = _module("urllib3.exceptions")
        self._http_error = urllib3_exc.HTTPError
        self._timeout_errors = (urllib3_exc.TimeoutError, TimeoutError)
        # urllib3 makes "connection refused" a kind of connect timeout: it is not one here
        self._refused = urllib3_exc.NewConnectionError
        self.server = self._server()
        self._timeout_type = _module("urllib3").Timeout
        # requests the client makes on its own (discovery) get the same timeouts
        pool = getattr(getattr(api_client, "rest_client", None), "pool_manager", None)
        if pool is not None and hasattr(pool, "connection_pool_kw"):
            pool.connection_pool_kw["timeout"] = self._timeout_type(
                connect=policy.connect_timeout, read=policy.request_timeout
            )
            # one retry layer (ours): urllib3's own would multiply tries and timeouts
            pool.connection_pool_kw["retries"] = False
        self._pool_manager = pool
        configuration = getattr(api_client, "configuration", None)
        self._host = str(getattr(configuration, "host", "") or "").rstrip("/")
        self._prefix = urlsplit(self._host).path.rstrip("/")
        # the server's own connection pool, unless requests go through a proxy (the proxy
        # manager must rewrite each request)
        self._direct = pool is not None and not isinstance(pool, _module("urllib3").ProxyManager)

    def _server(self) -> str:
        host = getattr(getattr(self.api_client, "configuration", None), "host", None)
        return mask_credentials(str(host)) if host else "(unknown server)"

    def timeout(self) -> tuple[float, float]:
        """(connect, read) seconds for the next request, cut to the operation's deadline."""
        connect, read = self.policy.connect_timeout, self.policy.request_timeout
        left = time_left()
        if left is not None:
            connect, read = min(connect, left), min(read, left)
        return max(connect, 0.001), max(read, 0.001)

    def request(
        self,
        method: str,
        path: str,
        timeout: tuple[float, float],
        *,
        query: Sequence[tuple[str, str]] = (),
        body: Any = None,
        content_type: str = "application/json",
    ) -> Any:
        """Send one request (``path`` below the server's URL) and return the urllib3
        response, its body read; a status outside 2xx raises the client's ``ApiException``
        (as the generated client does), so :meth:`call` treats both alike.

        Headers and credentials come from the client (its default headers, then
        ``update_params_for_auth``, which runs the kubeconfig loader's token refresh);
        the connection pool is the client's, so TLS, client certificates and proxies are as
        it set them up.
        """
        if self._pool_manager is None:
            raise ClusterError("the API client has no connection pool (rest_client.pool_manager)")
        headers: dict[str, str] = dict(getattr(self.api_client, "default_headers", {}) or {})
        headers["Accept"] = "application/json"
        cookie = getattr(self.api_client, "cookie", None)
        if cookie:
            headers["Cookie"] = str(cookie)
        queries = list(query)
        data: bytes | None = None
        if body is not None:
            headers["Content-Type"] = content_type
            data = json.dumps(body, separators=(",", ":")).encode()
        self.api_client.update_params_for_auth(
            headers, queries, ["BearerToken"], path, method, None
        )
        if queries:
            path += "?" + urlencode(queries)
        timeouts = self._timeout_type(connect=timeout[0], read=timeout[1])
        if self._direct:
            # the pool manager keeps one pool per server; asking it each time (not caching
            # the pool) follows its own eviction and closing
            urlopen = self._pool_manager.connection_from_url(self._host).urlopen
            url = self._prefix + path
        else:  # through the proxy manager, which rewrites each request for the proxy
            urlopen, url = self._pool_manager.urlopen, self._host + path
        # one retry layer (ours), and no redirects, on either path
        response = urlopen(
            method,
            url,
            body=data,
            headers=headers,
            timeout=timeouts,
            retries=False,
            redirect=False,
            preload_content=True,
        )
        if not 200 <= response.status <= 299:
            raise self._api_exception(http_resp=response)
        return response

    def call(
        self,
        verb: str,
        key: ResourceKey | None,
        fn: Callable[[tuple[float, float]], Any],
        *,
        what: str | None = None,
    ) -> Any:
        """Run ``fn(timeout)`` (one request) with retries; API and connection failures become
        a ``ClusterError`` (``ClusterTimeoutError`` when time ran out)."""
        kind = key.kind if key is not None else (what or "")

        def attempt() -> Any:
            left = time_left()
            if left is not None and left <= 0:
                error = cluster_error(verb, key, 0, "Timeout", "", what=what)
                raise ClusterTimeoutError(
                    f"{error.message}: ran out of time (the operation's deadline passed)",
                    verb=verb,
                    key=key,
                    status=0,
                    reason="Timeout",
                )
            header_refused = False
            try:
                result = fn(self.timeout())
            except self._api_exception as exc:
                status, reason, message = status_details(exc)
                self._record(verb, kind, status)
                if status == 0:  # the client's wrapping of a TLS failure (discovery)
                    raise self._unreachable(verb, key, what, exc) from None
                error = cluster_error(verb, key, status, reason or "Error", message, what=what)
                if status in TRANSIENT_STATUSES:
                    headers = getattr(exc, "headers", None)
                    raise Transient(error, _retry_after(headers)) from None
                raise error from None
            except (self._http_error, OSError) as exc:
                self._record(verb, kind, 0)
                raise self._unreachable(verb, key, what, exc) from None
            except ValueError as exc:
                # http.client refuses a header value with a control character, quoting it
                # (the credential) in its message: raised below, outside this block, so
                # that not even the chained context holds it
                if "header" not in str(exc).lower():
                    raise
                header_refused = True
            if header_refused:
                raise cluster_error(
                    verb,
                    key,
                    0,
                    "InvalidCredentials",
                    "a header of the request (the credentials from the kubeconfig or token "
                    "file) holds characters HTTP does not allow, such as a line break",
                    what=what,
                )
            self._record(verb, kind, int(getattr(result, "status", 200) or 200))
            return result

        policy = self.policy
        return with_retries(
            attempt,
            attempts=policy.attempts,
            backoff=policy.backoff,
            max_backoff=policy.max_backoff,
            sleep=self.sleep,
        )

    def _unreachable(
        self, verb: str, key: ResourceKey | None, what: str | None, exc: BaseException
    ) -> ClusterError | Transient:
        """The error of a request that got no HTTP answer: final when the server's
        certificate does not verify (trying again cannot help), else a :class:`Transient`
        connection failure or timeout."""
        untrusted = tls_verify_failure(exc)
        if untrusted is not None:
            detail = f"the API server at {self.server} failed TLS verification: {untrusted}"
            return cluster_error(verb, key, 0, "TLSError", detail, what=what)
        timed_out = not isinstance(exc, self._refused) and (
            isinstance(exc, self._timeout_errors) or "timed out" in str(exc)
        )
        detail = f"cannot reach the API server at {self.server}: {_connection_reason(exc)}"
        if timed_out:
            detail = f"no answer from the API server at {self.server} in time"
        error = cluster_error(
            verb, key, 0, "Timeout" if timed_out else "ConnectionError", detail, what=what
        )
        return Transient(error, None, timed_out)

    def _record(self, verb: str, kind: str, code: int) -> None:
        if self.metrics is None:
            return
        try:
            self.metrics.record_k8s_request(
                server=self.server,
                verb=_METRIC_VERBS.get(verb, verb.capitalize()),
                kind=kind,
                response_code=code,
            )
        except Exception:  # an observer must never stop an operation
            return


def _retry_after(headers: Any) -> float | None:
    try:
        return retry_after_seconds(dict(headers) if headers else None)
    except (TypeError, ValueError):
        return None


def parse(response: Any) -> dict[str, Any]:
    """The JSON body of a raw response (the client's ``serialize=False``)."""
    data = getattr(response, "data", response)
    if isinstance(data, bytes | bytearray):
        data = json.loads(data) if data else {}
    return data if isinstance(data, dict) else {}


def is_error(exc: BaseException, status: int) -> bool:
    """Whether ``exc`` is a ClusterError with HTTP ``status``."""
    return isinstance(exc, ClusterError) and getattr(exc, "status", None) == status


_ERRNO = re.compile(
    r"\[Errno -?\d+\] [^'\")\]]+|\[SSL: \w+\] [^(\n]*[^(\s]|timed out|Name or service not known"
)
_VERIFY_FAILED = re.compile(r"certificate verify failed: ([^\n]*?)\.?(?: \(_ssl\.c:\d+\))?$", re.M)


def tls_verify_failure(exc: BaseException) -> str | None:
    """Why the server's certificate did not verify (``certificate verify failed: unable to get
    local issuer certificate``), when that is what ``exc`` (urllib3's ``SSLError``, or the
    client's ``ApiException`` wrapping one) says; None for any other failure.

    >>> tls_verify_failure(OSError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify "
    ...                            "failed: unable to get local issuer certificate (_ssl.c:1006)"))
    'certificate verify failed: unable to get local issuer certificate'
    >>> tls_verify_failure(OSError("[Errno 111] Connection refused")) is None
    True
    """
    text = f"{getattr(exc, 'reason', None) or ''}\n{exc}"
    if "CERTIFICATE_VERIFY_FAILED" not in text:
        return None
    found = _VERIFY_FAILED.search(text)
    return f"certificate verify failed: {found.group(1)}" if found else "certificate verify failed"


def _connection_reason(exc: BaseException) -> str:
    """The human part of a urllib3/socket failure ("[Errno 111] Connection refused"), without
    object reprs; the exception's type name when nothing better is found."""
    text = str(getattr(exc, "reason", None) or exc)
    found = _ERRNO.search(text)
    return found.group(0).strip() if found else type(exc).__name__
