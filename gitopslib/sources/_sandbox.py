"""In-process engines (go-jsonnet, the Helm SDK) run in a small pool of reusable worker
processes, so that nothing a repository makes an engine do can take the caller down.

A Go ``fatal error`` (the stack overflow of a ``tailstrict`` recursion), a loop that never ends
or a value that grows without bound ends the *worker*: the render fails with a
:class:`~gitopslib.errors.RenderError` (a :class:`~gitopslib.errors.CommandTimeoutError` when
the render's ``timeout`` passed) and the next render starts a fresh worker. Each request runs
under limits the worker sets on itself (see :mod:`gitopslib.sources._worker`): an address-space
allowance above its size after start-up (``RLIMIT_AS``), CPU time (``RLIMIT_CPU``) and an output
cap; the wall-clock deadline is enforced here by killing the worker.

Workers are started on first use and reused, so the common case pays one pipe round trip per
render (measured in ``benchmarks/bench_render.py``). A worker that grew past half its allowance
is retired after its request.

>>> sandbox = EngineSandbox(size=1)
>>> sandbox.call("ping", {}, timeout=60, source_type=None, path=None)
'pong'
>>> sandbox.close()
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import selectors
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from typing import IO, Any

import orjson

from gitopslib.errors import CommandTimeoutError, GitOpsError, RenderError
from gitopslib.sources._worker import write_frame

__all__ = [
    "DEFAULT_ENGINE_MEMORY",
    "DEFAULT_ENGINE_OUTPUT",
    "EngineSandbox",
    "default_sandbox",
    "engine_call",
]

#: Address space an engine may add to its worker for one render (bytes). Generous for real
#: charts and Jsonnet programs (which stay well under 1 GiB), small enough that a runaway
#: value stops long before it starves the machine. ``options["engine_memory_limit"]`` changes it.
DEFAULT_ENGINE_MEMORY = 2 * 1024**3
#: Largest result an engine may hand back for one render (bytes), as for engine processes.
#: ``options["engine_max_output"]`` changes it.
DEFAULT_ENGINE_OUTPUT = 256 * 1024 * 1024

_HEADER = struct.Struct(">Q")
_BOOT = "import sys, json; sys.path[:0] = json.loads(sys.argv[1]); "
_BOOT += "from gitopslib.sources._worker import main; main()"
_STDERR_HEAD = 16384
_STDERR_TAIL = 4096


class _WorkerDied(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Worker:
    """One worker process and the pipes to it."""

    def __init__(self) -> None:
        # a file, not a pipe: nobody has to drain it while the worker runs
        self.stderr: IO[bytes] = tempfile.TemporaryFile(prefix="gitopslib-engine-")  # noqa: SIM115
        paths = [p for p in sys.path if p]
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _BOOT, json.dumps(paths)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            start_new_session=True,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin = self.proc.stdin
        self.stdout = self.proc.stdout

    def alive(self) -> bool:
        return self.proc.poll() is None

    def request(self, body: bytes, deadline: float, limit: int) -> bytes:
        mark = self.stderr.tell() if not self.stderr.closed else 0
        try:
            write_frame(self.stdin.fileno(), body)
            header = self._read(_HEADER.size, deadline)
            (size,) = _HEADER.unpack(header)
            if size > limit:
                self.kill()
                raise _WorkerDied(f"the engine's answer of {size} bytes is over the limit")
            return self._read(size, deadline)
        except (BrokenPipeError, EOFError, ConnectionResetError):
            raise _WorkerDied(self._death(mark)) from None

    def _read(self, size: int, deadline: float) -> bytes:
        fd = self.stdout.fileno()
        chunks: list[bytes] = []
        got = 0
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while got < size:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not sel.select(remaining):
                    raise TimeoutError
                chunk = os.read(fd, min(size - got, 1 << 20))
                if not chunk:
                    raise EOFError
                chunks.append(chunk)
                got += len(chunk)
        return b"".join(chunks)

    def _death(self, mark: int) -> str:
        """Why the worker died, in words, from its exit status and the tail of its stderr."""
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.proc.returncode
        head = tail = ""
        with contextlib.suppress(OSError, ValueError):
            end = self.stderr.seek(0, os.SEEK_END)
            self.stderr.seek(mark)
            head = self.stderr.read(_STDERR_HEAD).decode("utf-8", "replace")
            self.stderr.seek(max(mark, end - _STDERR_TAIL))
            tail = self.stderr.read(_STDERR_TAIL).decode("utf-8", "replace")
        text = head + "\n" + tail
        lowered = text.lower()
        if "stack overflow" in lowered or "stack exceeds" in lowered:
            return "the engine overflowed its stack (unbounded recursion?)"
        if (
            "out of memory" in lowered
            or "cannot allocate memory" in lowered
            or "malloc failed" in lowered
            or "memoryerror" in lowered
        ):
            return "the engine ran out of memory (over the engine memory limit)"
        if code == -signal.SIGXCPU:
            return "the engine used up its CPU time"
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        fatal = [ln for ln in lines if ln.startswith(("fatal error:", "panic:", "runtime:"))]
        last = (fatal or lines[-1:] or [""])[0]
        how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return f"the engine process crashed ({how})" + (f": {last[:300]}" if last else "")

    def kill(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
        for stream in (self.stdin, self.stdout, self.stderr):
            with contextlib.suppress(OSError):
                stream.close()

    def close(self) -> None:
        """Ask the worker to exit (end of its input), then make sure it did."""
        with contextlib.suppress(OSError):
            self.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=2)
        self.kill()


def _rebuild(error: Mapping[str, Any]) -> GitOpsError:
    """The worker's error as the same GitOpsError class, message and attributes."""
    cls: type[GitOpsError] = RenderError
    with contextlib.suppress(Exception):
        found = getattr(importlib.import_module(str(error["module"])), str(error["class"]))
        if isinstance(found, type) and issubclass(found, GitOpsError):
            cls = found
    exc = cls.__new__(cls)
    attrs = {str(k): v for k, v in dict(error.get("attrs") or {}).items()}
    GitOpsError.__init__(exc, str(error.get("message", "engine failed")), **attrs)
    return exc


class EngineSandbox:
    """A pool of up to ``size`` engine workers (see the module docstring).

    ``memory`` is the address space one render may add to a worker and ``max_output`` the
    largest answer, both in bytes; a call may pass its own.
    """

    def __init__(
        self,
        size: int = 2,
        *,
        memory: int = DEFAULT_ENGINE_MEMORY,
        max_output: int = DEFAULT_ENGINE_OUTPUT,
    ) -> None:
        self.size = max(1, size)
        self.memory = memory
        self.max_output = max_output
        self._idle: list[_Worker] = []
        self._count = 0
        self._cond = threading.Condition()
        self._closed = False
        self.started = 0  # workers started over the pool's life (tests, metrics)

    def _acquire(self) -> _Worker:
        with self._cond:
            while True:
                if self._closed:
                    raise RenderError("the engine sandbox is closed", source_type=None, path=None)
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive():
                        return worker
                    worker.kill()
                    self._count -= 1
                if self._count < self.size:
                    self._count += 1
                    break
                self._cond.wait()
        try:
            worker = _Worker()
        except BaseException:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            raise
        self.started += 1
        return worker

    def _release(self, worker: _Worker, *, keep: bool) -> None:
        with self._cond:
            if keep and not self._closed and worker.alive():
                self._idle.append(worker)
            else:
                self._count -= 1
                worker.close() if keep else worker.kill()
            self._cond.notify()

    def call(
        self,
        op: str,
        args: Mapping[str, Any],
        *,
        timeout: float,
        source_type: str | None,
        path: str | None,
        memory: int | None = None,
        max_output: int | None = None,
    ) -> Any:
        """Run ``op`` in a worker and return its result; the worker's GitOpsError is raised
        here as itself, its death as a RenderError, the deadline as a CommandTimeoutError."""
        memory = self.memory if memory is None else int(memory)
        max_output = self.max_output if max_output is None else int(max_output)
        limits = {"memory": memory, "cpu_seconds": timeout, "max_output": max_output}
        body = orjson.dumps({"op": op, "args": dict(args), "limits": limits})
        deadline = time.monotonic() + timeout
        worker = self._acquire()
        keep = False
        try:
            raw = worker.request(body, deadline, max_output + (1 << 20))
            reply = orjson.loads(raw)
            del raw
            keep = int(reply.get("grown") or 0) <= memory // 2 if "ok" in reply else True
        except TimeoutError:
            raise CommandTimeoutError(
                f"{op} of {path or 'the source'} timed out after {timeout:g}s (the engine was "
                "stopped; raise the render timeout to allow more)",
                command=(op, path or ""),
                exit_code=-9,
                stderr="",
                timeout=timeout,
                source_type=source_type,
                path=path,
            ) from None
        except _WorkerDied as died:
            raise RenderError(
                f"{op} of {path or 'the source'} failed: {died.reason}; the render was stopped "
                "and the engine restarted",
                source_type=source_type,
                path=path,
            ) from None
        finally:
            self._release(worker, keep=keep)
        if "error" in reply:
            raise _rebuild(reply["error"])
        return reply["ok"]

    def close(self) -> None:
        """Stop every idle worker; calls after this fail."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._count -= len(idle)
            self._cond.notify_all()
        for worker in idle:
            worker.close()


_DEFAULT: EngineSandbox | None = None
_DEFAULT_PID = 0
_DEFAULT_LOCK = threading.Lock()


def default_sandbox() -> EngineSandbox:
    """The process-wide pool (two workers at most), created on first use and again in a
    forked child (which must not share its parent's workers)."""
    global _DEFAULT, _DEFAULT_PID
    with _DEFAULT_LOCK:
        if _DEFAULT is None or os.getpid() != _DEFAULT_PID:
            _DEFAULT = EngineSandbox(size=min(2, os.cpu_count() or 1))
            _DEFAULT_PID = os.getpid()
            atexit.register(_close_default, _DEFAULT, _DEFAULT_PID)
        return _DEFAULT


def _close_default(sandbox: EngineSandbox, pid: int) -> None:
    if os.getpid() == pid:
        sandbox.close()


def engine_call(
    op: str,
    args: Mapping[str, Any],
    *,
    options: Mapping[str, Any],
    timeout: float,
    source_type: str | None,
    path: str | None,
) -> Any:
    """Run ``op`` in ``options["engine_sandbox"]`` (an :class:`EngineSandbox`; default: the
    process-wide pool) with the render's ``timeout`` and the limits of ``options``
    (``engine_memory_limit``, ``engine_max_output``)."""
    sandbox = options.get("engine_sandbox") or default_sandbox()
    if not isinstance(sandbox, EngineSandbox):
        raise RenderError(
            "options['engine_sandbox'] must be an EngineSandbox", source_type=None, path=None
        )
    memory = options.get("engine_memory_limit")
    output = options.get("engine_max_output")
    return sandbox.call(
        op,
        args,
        timeout=timeout,
        source_type=source_type,
        path=path,
        memory=int(memory) if memory else None,
        max_output=int(output) if output else None,
    )
