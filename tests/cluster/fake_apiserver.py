"""A small fake Kubernetes API server on loopback, for KubernetesCluster tests.

It is a real HTTP server (``http.server`` in a thread on 127.0.0.1, a free port) that the
official ``kubernetes`` client talks to unchanged: discovery (``/version``, ``/api``,
``/api/v1``, ``/apis``, ``/apis/<group>/<version>``), get, list, create, replace, patch
(server-side apply ``application/apply-patch+yaml``, ``application/merge-patch+json``, and
strategic merge treated as a merge patch), delete with ``propagationPolicy`` and finalizers,
and ``dryRun=All`` on every write. Objects live in :attr:`FakeApiServer.store`; the server
assigns ``uid``, ``resourceVersion``, ``generation`` and ``creationTimestamp`` and answers
errors with Kubernetes ``Status`` objects. :meth:`FakeApiServer.fail` injects an error for the
next matching requests (optionally with ``Retry-After``), :meth:`FakeApiServer.reset` drops
the connection of the next one without an answer (a TCP reset), :meth:`FakeApiServer.hang`
holds the next one without answering until the test ends.

With ``tls`` (a :class:`tls_certs.TLSFiles`) it serves HTTPS with that certificate, as a real
API server does; with ``token`` it answers 401 to a request whose ``Authorization`` is not
``Bearer <token>``. :attr:`FakeApiServer.authorizations` keeps the ``Authorization`` header
of every request (None when there was none).
"""

from __future__ import annotations

import copy
import json
import socket
import ssl
import struct
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import yaml

if TYPE_CHECKING:
    from tls_certs import TLSFiles


@dataclass(frozen=True)
class Kind:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    #: writes to the object keep its live status (a status subresource), as the built-in
    #: kinds do; Argo CD's Application CRD has none: its controller patches status in place
    status_subresource: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


KINDS = [
    Kind("", "v1", "Namespace", "namespaces", False),
    Kind("", "v1", "ConfigMap", "configmaps", True),
    Kind("", "v1", "Secret", "secrets", True),
    Kind("", "v1", "Service", "services", True),
    Kind("", "v1", "Pod", "pods", True),
    Kind("", "v1", "Event", "events", True),
    Kind("apps", "v1", "Deployment", "deployments", True),
    Kind("batch", "v1", "Job", "jobs", True),
    Kind("coordination.k8s.io", "v1", "Lease", "leases", True),
]
#: Argo CD's Application, for tests that keep the app as an object in the cluster.
APPLICATION = Kind("argoproj.io", "v1alpha1", "Application", "applications", True, False)
VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]

Key = tuple[str, str, str, str]  # group, kind, namespace, name


def _merge(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = _merge(out.get(k), v)
    return out


class FakeApiServer:
    """The server and its in-memory store. Use as a context manager."""

    def __init__(
        self,
        kinds: list[Kind] | None = None,
        *,
        rollout: bool = False,
        tls: TLSFiles | None = None,
        token: str | None = None,
        write_latency: float = 0.0,
    ) -> None:
        self.kinds = kinds or list(KINDS)
        # seconds every write (POST, PUT, PATCH, DELETE) waits before its answer, as a real
        # API server waits for etcd: what a client's concurrent writes overlap
        self.write_latency = write_latency
        self.tls: TLSFiles | None = None
        self.token = token
        self.authorizations: list[str | None] = []
        # with ``rollout``, a written Deployment is reported rolled out at once (the part of
        # a controller manager health checks look at), so waits for Healthy can finish
        self.rollout = rollout
        self.store: dict[Key, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, dict[str, list[str]], str]] = []
        #: each request line's target as sent: absolute (``http://host/path``) through a proxy
        self.targets: list[str] = []
        self._failures: list[_Failure] = []
        self._release = threading.Event()
        self.barrier_passed = False
        self._barrier: tuple[str, str, threading.Barrier] | None = None
        self._barrier_seats = 0
        self._version = 0
        self._lock = threading.Lock()
        self.httpd = _Server(("127.0.0.1", 0), _handler(self))
        if tls is not None:
            self.use_certificate(tls)
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> FakeApiServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def write_kubeconfig(self, path: Path, token: str = "s3cr3t-token-value") -> Path:
        """A kubeconfig with one context ``fake`` pointing at this server."""
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
            "users": [{"name": "fake-user", "user": {"token": token}}],
            "contexts": [
                {"name": "fake", "context": {"cluster": "fake", "user": "fake-user"}},
                {
                    "name": "other",
                    "context": {"cluster": "fake", "user": "fake-user", "namespace": "x"},
                },
            ],
            "current-context": "fake",
        }
        path.write_text(yaml.safe_dump(config))
        return path

    # -- helpers for tests -------------------------------------------------------------------

    def use_certificate(self, tls: TLSFiles) -> None:
        """Serve new connections with ``tls``'s certificate (a rotated server certificate)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls.cert, tls.key)
        self.tls = tls
        self.httpd.ssl_context = context

    def fail(
        self,
        method: str,
        path_part: str,
        code: int,
        reason: str,
        *,
        dry_run: bool = False,
        times: int = 1,
        retry_after: str | None = None,
    ) -> None:
        """Answer the next ``times`` ``method`` requests whose path contains ``path_part`` (a
        dry-run one with ``dry_run=True``, else a real one) with ``code`` (and a
        ``Retry-After`` header when given)."""
        for _ in range(times):
            self._failures.append(
                _Failure(method.upper(), path_part, dry_run, "status", code, reason, retry_after)
            )

    def reset(self, method: str, path_part: str, *, dry_run: bool = False) -> None:
        """Drop the connection of the next matching request with a TCP reset, unanswered."""
        self._failures.append(_Failure(method.upper(), path_part, dry_run, "reset"))

    def hang(self, method: str, path_part: str, *, dry_run: bool = False) -> None:
        """Hold the next matching request unanswered (and undone) until the server stops."""
        self._failures.append(_Failure(method.upper(), path_part, dry_run, "hang"))

    def barrier(self, method: str, path_part: str, parties: int, timeout: float = 5.0) -> None:
        """Hold the next ``parties`` matching requests until all of them have arrived
        (``timeout`` at most, then they fail with 504): passes only when a client sends them
        at once."""
        self._barrier = (method.upper(), path_part, threading.Barrier(parties, timeout=timeout))
        self._barrier_seats = parties

    def count(self, method: str, path_part: str = "") -> int:
        """How many ``method`` requests (``*``: any) whose path contains ``path_part`` came."""
        return sum(1 for m, p, _, _ in self.requests if (method in ("*", m)) and path_part in p)

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        k = next(x for x in self.kinds if x.kind == kind)
        return self.store.get((k.group, kind, namespace if k.namespaced else "", name))

    def put(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Store an object directly (server fields filled in)."""
        kind = next(k for k in self.kinds if k.kind == obj["kind"])
        meta = obj.setdefault("metadata", {})
        ns = meta.get("namespace", "") if kind.namespaced else ""
        with self._lock:
            self._stamp(obj, None)
            self.store[(kind.group, kind.kind, ns, meta["name"])] = obj
        return obj

    # -- internals ---------------------------------------------------------------------------

    def _next(self) -> str:
        self._version += 1
        return str(self._version)

    def _stamp(
        self, obj: dict[str, Any], live: dict[str, Any] | None, keep_status: bool = True
    ) -> None:
        meta = obj.setdefault("metadata", {})
        if live is None:
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = "2026-01-01T00:00:00Z"
            meta["generation"] = 1
        else:
            lm = live["metadata"]
            for f in ("uid", "creationTimestamp", "generation", "deletionTimestamp"):
                if f in lm:
                    meta[f] = lm[f]
            spec = {k: v for k, v in obj.items() if k not in ("metadata", "status")}
            old = {k: v for k, v in live.items() if k not in ("metadata", "status")}
            if spec != old:
                meta["generation"] = int(lm.get("generation", 1)) + 1
            if "status" in live and keep_status:
                obj["status"] = live["status"]
        meta["resourceVersion"] = self._next()
        if self.rollout and obj.get("kind") == "Deployment":
            replicas = int((obj.get("spec") or {}).get("replicas", 1))
            obj["status"] = {
                "observedGeneration": meta["generation"],
                "replicas": replicas,
                "updatedReplicas": replicas,
                "readyReplicas": replicas,
                "availableReplicas": replicas,
            }

    def take_failure(self, method: str, path: str, dry: bool) -> _Failure | None:
        with self._lock:
            for i, f in enumerate(self._failures):
                if f.method == method and f.path_part in path and f.dry_run == dry:
                    del self._failures[i]
                    return f
        return None


@dataclass(frozen=True)
class _Failure:
    method: str
    path_part: str
    dry_run: bool
    action: str  # status, reset, hang
    code: int = 0
    reason: str = ""
    retry_after: str | None = None


class _Server(ThreadingHTTPServer):
    """The HTTP server: HTTPS when it has an ``ssl_context`` (the handshake happens on the
    request's thread, in ``Handler.setup``), quiet about clients that hang up or refuse its
    certificate (the tests of a wrong CA do that on purpose)."""

    ssl_context: ssl.SSLContext | None = None

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        if self.ssl_context is not None:
            sock = self.ssl_context.wrap_socket(
                sock, server_side=True, do_handshake_on_connect=False
            )
        return sock, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ssl.SSLError | ConnectionError):
            return
        super().handle_error(request, client_address)


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def _stale(body: dict[str, Any], live: dict[str, Any]) -> bool:
    """Whether the write names a ``resourceVersion`` other than the live one (optimistic
    concurrency: the API server refuses it with 409 Conflict)."""
    rv = (body.get("metadata") or {}).get("resourceVersion")
    return bool(rv) and rv != live["metadata"]["resourceVersion"]


def _modified(what: str) -> dict[str, Any]:
    return _status(
        409, "Conflict", f"Operation cannot be fulfilled on {what}: the object has been modified"
    )


def _handler(server: FakeApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def setup(self) -> None:
            if isinstance(self.request, ssl.SSLSocket):
                self.request.do_handshake()
            super().setup()
            # headers and body go out in two writes: without this, Nagle's algorithm and
            # delayed ACKs add ~40 ms to every request
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _send(
            self, code: int, body: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if not raw:
                return None
            if "yaml" in (self.headers.get("Content-Type") or ""):
                try:  # JSON is YAML: clients send apply patches as JSON
                    return json.loads(raw)
                except ValueError:
                    return yaml.safe_load(raw)
            return json.loads(raw)

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def do_PUT(self) -> None:
            self._dispatch("PUT")

        def do_PATCH(self) -> None:
            self._dispatch("PATCH")

        def do_DELETE(self) -> None:
            self._dispatch("DELETE")

        def _dispatch(self, method: str) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            body = self._body()
            server.requests.append(
                (method, parts.path, query, self.headers.get("Content-Type") or "")
            )
            authorization = self.headers.get("Authorization")
            server.authorizations.append(authorization)
            server.targets.append(self.path)
            if server.token is not None:
                scheme, _, credential = (authorization or "").partition(" ")
                if scheme.lower() != "bearer" or credential != server.token:
                    self._send(401, _status(401, "Unauthorized", "Unauthorized"))
                    return
            if server.write_latency and method != "GET":
                time.sleep(server.write_latency)
            gate = server._barrier
            if gate and gate[0] == method and gate[1] in parts.path and not query.get("dryRun"):
                with server._lock:
                    seated = server._barrier_seats > 0
                    server._barrier_seats -= 1
            else:
                seated = False
            if gate and seated:
                try:
                    gate[2].wait()
                    server.barrier_passed = True
                except threading.BrokenBarrierError:
                    self._send(504, _status(504, "Timeout", "barrier: requests came one by one"))
                    return
            failure = server.take_failure(method, parts.path, query.get("dryRun") == ["All"])
            if failure is not None and failure.action == "status":
                code, reason = failure.code, failure.reason
                headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
                self._send(code, _status(code, reason, f"injected {reason.lower()}"), headers)
                return
            if failure is not None:
                if failure.action == "hang":
                    server._release.wait(30)
                # SO_LINGER 0: closing sends a reset instead of a clean end
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.close_connection = True
                self.connection.close()
                return
            try:
                code, out = self._route(method, parts.path.rstrip("/"), query, body)
            except Exception as exc:  # a bug in the fake must show in the test
                code, out = 500, _status(500, "InternalError", repr(exc))
            self._send(code, out)

        # -- routing ------------------------------------------------------------------------

        def _route(
            self, method: str, path: str, query: dict[str, list[str]], body: Any
        ) -> tuple[int, dict[str, Any]]:
            if path == "/version":
                return 200, {
                    "major": "1",
                    "minor": "31",
                    "gitVersion": "v1.31.0",
                    "platform": "linux/amd64",
                }
            if path == "/api":
                return 200, {
                    "kind": "APIVersions",
                    "versions": ["v1"],
                    "serverAddressByClientCIDRs": [],
                }
            if path == "/apis":
                groups: dict[str, list[str]] = {}
                for k in server.kinds:
                    if k.group:
                        groups.setdefault(k.group, [])
                        if k.version not in groups[k.group]:
                            groups[k.group].append(k.version)
                return 200, {
                    "kind": "APIGroupList",
                    "apiVersion": "v1",
                    "groups": [
                        {
                            "name": g,
                            "versions": [{"groupVersion": f"{g}/{v}", "version": v} for v in vs],
                            "preferredVersion": {"groupVersion": f"{g}/{vs[0]}", "version": vs[0]},
                        }
                        for g, vs in groups.items()
                    ],
                }
            segs = path.strip("/").split("/")
            if segs[0] == "api":
                group, version, rest = "", segs[1] if len(segs) > 1 else "", segs[2:]
            elif segs[0] == "apis" and len(segs) >= 3:
                group, version, rest = segs[1], segs[2], segs[3:]
            else:
                return 404, _status(
                    404, "NotFound", "the server could not find the requested resource"
                )
            kinds = [k for k in server.kinds if k.group == group and k.version == version]
            if not kinds:
                return 404, _status(
                    404, "NotFound", "the server could not find the requested resource"
                )
            if not rest:
                return 200, {
                    "kind": "APIResourceList",
                    "apiVersion": "v1",
                    "groupVersion": kinds[0].api_version,
                    "resources": [
                        {
                            "name": k.plural,
                            "singularName": k.kind.lower(),
                            "namespaced": k.namespaced,
                            "kind": k.kind,
                            "verbs": VERBS,
                        }
                        for k in kinds
                    ],
                }
            namespace = ""
            if rest[0] == "namespaces" and len(rest) >= 3:
                namespace, rest = rest[1], rest[2:]
            plural = rest[0]
            name = rest[1] if len(rest) > 1 else ""
            kind = next((k for k in kinds if k.plural == plural), None)
            if kind is None:
                return 404, _status(
                    404, "NotFound", "the server could not find the requested resource"
                )
            dry = query.get("dryRun") == ["All"]
            with server._lock:
                return self._crud(method, kind, namespace, name, query, body, dry)

        def _crud(
            self,
            method: str,
            kind: Kind,
            namespace: str,
            name: str,
            query: dict[str, list[str]],
            body: Any,
            dry: bool,
        ) -> tuple[int, dict[str, Any]]:
            ns = namespace if kind.namespaced else ""
            key = (kind.group, kind.kind, ns, name)
            live = server.store.get(key)
            what = f'{kind.plural} "{name}"'
            if method == "GET" and not name:
                items = [
                    copy.deepcopy(o)
                    for (g, k, n, _), o in sorted(server.store.items())
                    if g == kind.group and k == kind.kind and (not namespace or n == namespace)
                ]
                return 200, {
                    "kind": f"{kind.kind}List",
                    "apiVersion": kind.api_version,
                    "metadata": {"resourceVersion": str(server._version)},
                    "items": items,
                }
            if method == "GET":
                if live is None:
                    return 404, _status(404, "NotFound", f"{what} not found")
                return 200, copy.deepcopy(live)
            if method == "POST":
                name = (body.get("metadata") or {}).get("name", "")
                key = (kind.group, kind.kind, ns, name)
                if key in server.store:
                    return 409, _status(
                        409, "AlreadyExists", f'{kind.plural} "{name}" already exists'
                    )
                return self._write(kind, key, body, None, dry, 201)
            if method == "PUT":
                if live is None:
                    return 404, _status(404, "NotFound", f"{what} not found")
                if _stale(body, live):
                    return 409, _modified(what)
                return self._write(kind, key, body, live, dry, 200)
            if method == "PATCH":
                ctype = self.headers.get("Content-Type") or ""
                if "apply-patch" in ctype:
                    if not query.get("fieldManager"):
                        return 422, _status(422, "Invalid", "fieldManager is required")
                    new = _merge(live or {}, body)
                    return self._write(kind, key, new, live, dry, 200 if live else 201)
                if live is None:
                    return 404, _status(404, "NotFound", f"{what} not found")
                if _stale(body, live):  # a resourceVersion in a patch is a precondition
                    return 409, _modified(what)
                return self._write(kind, key, _merge(live, body), live, dry, 200)
            if method == "DELETE":
                if live is None:
                    return 404, _status(404, "NotFound", f"{what} not found")
                policy = (query.get("propagationPolicy") or [None])[0]
                if body and body.get("propagationPolicy"):
                    policy = body["propagationPolicy"]
                server.requests[-1][2]["_policy"] = [str(policy)]
                if dry:
                    return 200, copy.deepcopy(live)
                if live["metadata"].get("finalizers"):
                    live["metadata"].setdefault("deletionTimestamp", "2026-01-01T00:00:01Z")
                    live["metadata"]["resourceVersion"] = server._next()
                    return 200, copy.deepcopy(live)
                del server.store[key]
                return 200, _status(200, "", "deleted") | {"status": "Success"}
            return 405, _status(405, "MethodNotAllowed", method)

        def _write(
            self,
            kind: Kind,
            key: Key,
            body: dict[str, Any],
            live: dict[str, Any] | None,
            dry: bool,
            code: int,
        ) -> tuple[int, dict[str, Any]]:
            obj = copy.deepcopy(body)
            obj["apiVersion"], obj["kind"] = kind.api_version, kind.kind
            meta = obj.setdefault("metadata", {})
            if kind.namespaced:
                meta["namespace"] = key[2]
                if not dry and ("", "Namespace", "", key[2]) not in server.store:
                    return 404, _status(404, "NotFound", f'namespaces "{key[2]}" not found')
            server._stamp(obj, live, kind.status_subresource)
            if kind.kind == "Namespace":
                obj.setdefault("status", {"phase": "Active"})
            if dry:
                return code, obj
            if meta.get("deletionTimestamp") and not meta.get("finalizers"):
                server.store.pop(key, None)
                return code, obj
            server.store[key] = obj
            return code, copy.deepcopy(obj)

    return Handler
