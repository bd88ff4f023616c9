"""The engine worker: a child process that runs in-process engines (go-jsonnet, the Helm SDK)
for :mod:`gitopslib.sources._sandbox`, so that a Go ``fatal error``, a runaway loop or a memory
blow-up ends the worker and never the caller.

Protocol (over the process's original stdin/stdout; fd 1 is pointed at stderr so that nothing an
engine prints can corrupt it): frames of an 8-byte big-endian length and a JSON body. The parent
sends ``{"op", "args", "limits": {"memory", "cpu_seconds", "max_output"}}``; the worker answers
``{"ok": result, "grown": bytes}`` (how far its address space grew past the baseline, so
the parent can retire a bloated worker) or ``{"error": {"module", "class", "message",
"attrs"}}``. Before each request the worker lowers its own limits: ``RLIMIT_AS`` to its size
after start-up plus the memory allowance, ``RLIMIT_CPU`` to the CPU it has used plus the
request's timeout (a backstop: the parent kills the worker at the wall-clock deadline).
A worker whose parent goes away exits.

Operations are functions named in :data:`OPERATIONS` (module, function), imported on first use;
each takes JSON arguments and returns a JSON-able result.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import resource
import signal
import struct
from pathlib import Path
from typing import Any

__all__ = ["OPERATIONS", "main", "read_frame", "write_frame"]

#: What a worker can run: name -> (module, function).
OPERATIONS: dict[str, tuple[str, str]] = {
    "jsonnet": ("gitopslib.sources.directory", "evaluate_jsonnet_here"),
    "helm": ("gitopslib.sources.helm", "render_chart_here"),
    "helm_version": ("gitopslib.sources.helm", "helm_version_here"),
    "ping": ("gitopslib.sources._worker", "_ping"),
}

_HEADER = struct.Struct(">Q")


def _ping(**_: Any) -> str:
    return "pong"


def read_frame(fd: int, limit: int | None = None) -> bytes | None:
    """One frame from ``fd`` (None at end of file). Frames over ``limit`` raise ValueError."""
    header = _read_exactly(fd, _HEADER.size)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    if limit is not None and size > limit:
        raise ValueError(f"frame of {size} bytes is over the limit of {limit}")
    body = _read_exactly(fd, size)
    if body is None:
        raise EOFError("truncated frame")
    return body


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks: list[bytes] = []
    got = 0
    while got < size:
        chunk = os.read(fd, min(size - got, 1 << 20))
        if not chunk:
            if got == 0:
                return None
            raise EOFError("truncated frame")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def write_frame(fd: int, body: bytes) -> None:
    """Write one frame (header and body) to ``fd``."""
    data = memoryview(_HEADER.pack(len(body)) + body)
    while data:
        written = os.write(fd, data)
        data = data[written:]


def _vm_size() -> int:
    """This process's address-space size in bytes (0 where /proc is absent)."""
    try:
        pages = Path("/proc/self/statm").read_text(encoding="ascii").split()[0]
        return int(pages) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _die_with_parent() -> None:
    """Linux: SIGKILL this worker when its parent exits (prctl PR_SET_PDEATHSIG)."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)


def _preload() -> None:
    """Import the engines once, before the baseline size is measured: both embed a Go runtime
    whose address-space reservations must not count against a render's allowance."""
    for name in ("_gojsonnet", "helm_python", "helm_python._native"):
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    for module, _ in OPERATIONS.values():
        with contextlib.suppress(Exception):
            importlib.import_module(module)


def _set_limits(limits: dict[str, Any], baseline: int) -> None:
    memory = limits.get("memory")
    if memory and baseline:
        with contextlib.suppress(ValueError, OSError):
            _, hard = resource.getrlimit(resource.RLIMIT_AS)
            soft = baseline + int(memory)
            if hard != resource.RLIM_INFINITY:
                soft = min(soft, hard)
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    cpu = limits.get("cpu_seconds")
    if cpu:
        with contextlib.suppress(ValueError, OSError):
            usage = resource.getrusage(resource.RUSAGE_SELF)
            used = usage.ru_utime + usage.ru_stime
            _, hard = resource.getrlimit(resource.RLIMIT_CPU)
            soft = int(used + float(cpu)) + 2
            if hard != resource.RLIM_INFINITY:
                soft = min(soft, hard)
            resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _error(exc: BaseException) -> dict[str, Any]:
    from gitopslib.errors import GitOpsError

    if isinstance(exc, GitOpsError):
        attrs = {
            k: v
            for k, v in vars(exc).items()
            if k != "message" and isinstance(v, (str, int, float, bool, type(None), list, tuple))
        }
        return {
            "module": type(exc).__module__,
            "class": type(exc).__qualname__,
            "message": exc.message,
            "attrs": attrs,
        }
    if isinstance(exc, MemoryError):
        message = "the engine ran out of memory (raise the engine memory limit to allow more)"
    elif isinstance(exc, RecursionError):
        message = "the engine's input nests too deeply"
    else:
        message = f"{type(exc).__name__}: {exc}"
    return {"module": "gitopslib.errors", "class": "RenderError", "message": message, "attrs": {}}


def main() -> None:
    """Serve requests until the parent closes the pipe."""
    import orjson

    proto_in = os.dup(0)
    proto_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # whatever an engine prints goes to stderr, never into the protocol
    os.close(devnull)
    _die_with_parent()
    _preload()
    baseline = _vm_size()
    functions: dict[str, Any] = {}
    while True:
        try:
            frame = read_frame(proto_in)
        except (EOFError, OSError):
            return
        if frame is None:
            return
        try:
            request = orjson.loads(frame)
            op = str(request["op"])
            if op not in functions:
                module, name = OPERATIONS[op]
                functions[op] = getattr(importlib.import_module(module), name)
            limits = request.get("limits") or {}
            _set_limits(limits, baseline)
            result = functions[op](**request.get("args", {}))
            body = orjson.dumps({"ok": result, "grown": max(0, _vm_size() - baseline)})
            cap = limits.get("max_output")
            if cap and len(body) > int(cap):
                body = orjson.dumps(
                    {
                        "error": {
                            "module": "gitopslib.errors",
                            "class": "RenderError",
                            "message": f"the engine printed more than {int(cap)} bytes; refusing "
                            "the rest (raise the engine output limit to allow more)",
                            "attrs": {},
                        }
                    }
                )
        except BaseException as exc:  # the worker reports every failure; the parent decides
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            try:
                body = orjson.dumps({"error": _error(exc)})
            except MemoryError:
                os._exit(70)
        try:
            write_frame(proto_out, body)
        except OSError:
            return
        del body


if __name__ == "__main__":
    main()
