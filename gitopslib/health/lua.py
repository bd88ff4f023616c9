"""Run Argo CD Lua health scripts in-process, on Lua 5.1 (lupa), as Argo CD runs them.

Argo CD executes health scripts with gopher-lua, a Lua 5.1 written in Go. This module runs
the same scripts with the C Lua 5.1 that ships in lupa (``lupa.lua51``), inside a sandbox
that mirrors Argo CD's:

* the global ``obj`` holds the live object as nested tables (JSON numbers are Lua numbers,
  YAML timestamps are RFC 3339 strings, as the API server sends them); ``actionParams`` is an
  empty table;
* always available: the base functions, ``table``, ``require("os")`` and an ``os`` that only
  has ``os.time`` and ``os.date``, and ``require("json")`` (``encode``/``decode``, as Argo CD
  preloads gopher-json); with *open libs* (Argo CD's bundled scripts,
  ``useOpenLibs`` overrides and ``run_health_tests``) also ``string``, ``math`` and
  ``coroutine``. ``io``, ``debug``, ``load``/``loadstring``/``dofile`` and
  ``getfenv``/``setfenv`` are never exposed: the script runs inside the caller's process;
* ``tostring`` formats numbers as gopher-lua does (Go's ``%v``): integral values print as
  integers (``tostring(3/1)`` is ``"3"``) and other values with the shortest digits that
  round-trip (``tostring(10/3)`` is ``"3.3333333333333335"``, where C Lua would print
  ``"3.3333333333333"``); so do ``string.format("%s", n)`` and ``table.concat``. Implicit
  conversion inside ``..`` still uses C Lua's ``%.14g``;
  both agree on every integer below 10^14 and on any number with at most 14 significant
  digits;
* a time limit (1 s by default, Argo CD's) enforced by an instruction-count hook that also
  follows coroutines and survives ``pcall``: an endless loop stops with
  ``context deadline exceeded``; memory is capped as well.

Compiled chunks are cached per source text (LRU, 1024 entries, like Argo CD). A runtime is
per thread, so :class:`LuaRuntime` can be shared between threads.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from gitopslib.errors import EngineNotFoundError, HealthError
from gitopslib.health._types import HealthStatus, HealthStatusCode

__all__ = [
    "DEFAULT_TIMEOUT",
    "INVALID_HEALTH_STATUS",
    "TIMEOUT_MESSAGE",
    "LuaRuntime",
    "default_runtime",
    "to_lua_data",
]

DEFAULT_TIMEOUT = 1.0
INVALID_HEALTH_STATUS = "Lua returned an invalid health status"
TIMEOUT_MESSAGE = "context deadline exceeded"
_MAX_MEMORY = 128 * 1024 * 1024
_HOOK_EVERY = 1000  # instructions between two clock checks

_PRELUDE = r"""
local now, timeout_message, hook_every, json_encode, json_decode = ...
local G = _G
local sethook = debug.sethook
local orig_pcall, orig_xpcall, orig_error = pcall, xpcall, error
local co_create, co_resume = coroutine.create, coroutine.resume
local setfenv, loadstring, select, unpack = setfenv, loadstring, select, unpack
local fmt, sub, rep, match, gsub = string.format, string.sub, string.rep, string.match, string.gsub
local floor, huge = math.floor, math.huge
local tonumber_, tostring_, type_, pairs_ = tonumber, tostring, type, pairs

-- scripts must not reach (or poison) the string metatable shared by every script
getmetatable("").__metatable = false

local state = {deadline = 0, expired = false}

local function hook()
  if state.expired or now() > state.deadline then
    state.expired = true
    orig_error(timeout_message, 0)
  end
end

local function pack(...) return select("#", ...), {...} end

local function guard(ok, ...)
  if state.expired then orig_error(timeout_message, 0) end
  return ok, ...
end

local function safe_pcall(f, ...) return guard(orig_pcall(f, ...)) end
local function safe_xpcall(f, h) return guard(orig_xpcall(f, h)) end

local function safe_create(f)
  local co = co_create(f)
  sethook(co, hook, "", hook_every)
  return co
end

local safe_coroutine = {
  create = safe_create,
  resume = function(co, ...) return guard(co_resume(co, ...)) end,
  wrap = function(f)
    local co = safe_create(f)
    return function(...)
      local n, r = pack(co_resume(co, ...))
      if state.expired then orig_error(timeout_message, 0) end
      if not r[1] then orig_error(r[2], 0) end
      return unpack(r, 2, n)
    end
  end,
  yield = coroutine.yield,
  status = coroutine.status,
  running = coroutine.running,
}

-- gopher-lua prints numbers with Go's %v: integral values (within int64) as integers, the
-- rest with the shortest round-tripping digits, exponent form below 1e-4 or from 1e6 up.
local function gonumber(x)
  if x ~= x then return "NaN" end
  if x == huge then return "+Inf" end
  if x == -huge then return "-Inf" end
  if x == floor(x) and x >= -9223372036854775808 and x < 9223372036854775808 then
    return fmt("%d", x)
  end
  local s
  for p = 0, 16 do
    s = fmt("%." .. p .. "e", x)
    if tonumber_(s) == x then break end
  end
  local neg = sub(s, 1, 1) == "-"
  if neg then s = sub(s, 2) end
  local mant, ex = match(s, "^([%d%.]+)e([-+]%d+)$")
  local digits = gsub(gsub(mant, "%.", ""), "0+$", "")
  if digits == "" then digits = "0" end
  local e = tonumber_(ex)
  local out
  if e < -4 or e >= 6 then
    out = sub(digits, 1, 1)
    if #digits > 1 then out = out .. "." .. sub(digits, 2) end
    local ae = e < 0 and -e or e
    out = out .. "e" .. (e < 0 and "-" or "+") .. (ae < 10 and ("0" .. ae) or tostring_(ae))
  else
    local dp = e + 1
    if dp <= 0 then
      out = "0." .. rep("0", -dp) .. digits
    elseif dp >= #digits then
      out = digits .. rep("0", dp - #digits)
    else
      out = sub(digits, 1, dp) .. "." .. sub(digits, dp + 1)
    end
  end
  if neg then out = "-" .. out end
  return out
end

local function safe_tostring(v)
  if type_(v) == "number" then return gonumber(v) end
  return tostring_(v)
end

-- string.format("%s", n) and table.concat print numbers with Go's %v in gopher-lua too
local G_format, G_concat = string.format, table.concat
local function safe_format(f, ...)
  local n, args = pack(...)
  local i = 0
  for spec in string.gmatch(f, "%%[-+ #0]*%d*%.?%d*([%a%%])") do
    if spec ~= "%" then
      i = i + 1
      if spec == "s" and type_(args[i]) == "number" then args[i] = gonumber(args[i]) end
    end
  end
  return G_format(f, unpack(args, 1, n))
end
local function safe_concat(t, sep, i, j)
  i = i or 1
  j = j or #t
  local parts = {}
  for k = i, j do
    local v = t[k]
    parts[#parts + 1] = type_(v) == "number" and gonumber(v) or v
  end
  return G_concat(parts, sep)
end

local function copy(t)
  local c = {}
  for k, v in pairs_(t) do c[k] = v end
  return c
end

local base_names = {
  "assert", "error", "ipairs", "next", "pairs", "rawequal", "rawget", "rawset", "select",
  "setmetatable", "getmetatable", "tonumber", "type", "unpack", "_VERSION", "collectgarbage",
}
local safe_os = {time = os.time, date = os.date}
local G_string, G_math, G_table = string, math, table

local function new_env(obj, open_libs)
  local env = {}
  for _, n in ipairs(base_names) do env[n] = G[n] end
  env.collectgarbage = function() return 0 end
  env.tostring = safe_tostring
  env.print = function() end
  env.pcall = safe_pcall
  env.xpcall = safe_xpcall
  env.table = copy(G_table)
  env.table.concat = safe_concat
  env.os = copy(safe_os)
  local json = {encode = json_encode, decode = json_decode}
  local modules = {os = env.os, table = env.table, json = json}
  if open_libs then
    env.string = copy(G_string)
    env.string.format = safe_format
    env.math = copy(G_math)
    env.coroutine = copy(safe_coroutine)
    modules.string, modules.math, modules.coroutine = env.string, env.math, env.coroutine
  end
  env.require = function(name)
    local m = modules[name]
    if m == nil then orig_error("module " .. tostring_(name) .. " not found", 2) end
    return m
  end
  env._G = env
  env.obj = obj
  env.actionParams = {}
  return env
end

local function compile(source)
  return loadstring(source, "=<string>")
end

local function run(fn, obj, open_libs, limit)
  setfenv(fn, new_env(obj, open_libs))
  state.expired = false
  state.deadline = now() + limit
  sethook(hook, "", hook_every)
  local n, r = pack(orig_pcall(fn))
  sethook()
  if state.expired then return false, timeout_message, true end
  if not r[1] then return false, tostring_(r[2]), false end
  if n < 2 then return true, nil end
  return true, r[n]
end

return compile, run
"""


def _lupa() -> Any:
    try:
        import lupa.lua51 as lua51
    except ImportError:  # pragma: no cover - depends on the environment
        raise EngineNotFoundError(
            "Lua health scripts need lupa (Lua 5.1): pip install gitopslib[lua]",
            engine="lua",
            extra="lua",
        ) from None
    return lua51


def _deny_attributes(obj: Any, attr_name: Any, is_setting: bool) -> Any:
    raise AttributeError("Python attributes are not reachable from health scripts")


def to_lua_data(value: Any) -> Any:
    """``value`` as the JSON the API server would send: timestamps become RFC 3339 strings,
    tuples become lists, and integers beyond int64 become floats.

    >>> from datetime import datetime, timezone
    >>> to_lua_data({"t": datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)})
    {'t': '2024-01-02T03:04:05Z'}
    """
    if isinstance(value, Mapping):
        return {str(k): to_lua_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_lua_data(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else float(value)
    if isinstance(value, float):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        text = value.strftime("%Y-%m-%dT%H:%M:%S")
        if value.microsecond:
            text += f".{value.microsecond:06d}".rstrip("0")
        return text + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _from_lua(value: Any, depth: int = 0) -> Any:
    """A Lua value as JSON-ready Python, following gopher-json's encoding rules."""
    if depth > 100:
        raise ValueError("nested too deeply")
    lua_type = _lupa().lua_type(value)
    if lua_type is None:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value
    if lua_type != "table":
        raise ValueError(f"cannot encode {lua_type} to JSON")
    items = list(value.items())
    if not items:
        return []
    if all(isinstance(k, str) for k, _ in items):
        return {k: _from_lua(v, depth + 1) for k, v in items}
    keys = [k for k, _ in items]
    if all(isinstance(k, int | float) for k in keys) and sorted(keys) == list(
        range(1, len(keys) + 1)
    ):
        return [_from_lua(value[i], depth + 1) for i in range(1, len(keys) + 1)]
    raise ValueError("cannot encode mixed or invalid key types")


def _json_functions(runtime: Any) -> tuple[Any, Any]:
    """``json.encode`` / ``json.decode`` for ``require("json")``, as Argo CD preloads them."""

    def encode(value: Any) -> str:
        return json.dumps(_from_lua(value), separators=(",", ":"), ensure_ascii=False)

    def decode(text: Any) -> Any:
        data = json.loads(str(text))
        if isinstance(data, dict | list):
            return runtime.table_from(data, recursive=True)
        return data

    return encode, decode


class _ThreadState:
    def __init__(self, runtime: Any, compile_fn: Any, run_fn: Any) -> None:
        self.runtime = runtime
        self.compile = compile_fn
        self.run = run_fn
        self.cache: OrderedDict[str, Any] = OrderedDict()


class LuaRuntime:
    """A sandboxed Lua 5.1 that evaluates Argo CD health scripts.

    ``timeout`` is the wall-clock limit per script (Argo CD: 1 s); ``cache_size`` bounds the
    compiled-chunk cache (keyed by source). One Lua state is created per thread on first use.

    >>> rt = LuaRuntime()
    >>> rt.health('return {status = "Healthy", message = tostring(3/1)}', {}).message
    '3'
    """

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_memory: int = _MAX_MEMORY,
        cache_size: int = 1024,
    ) -> None:
        self.timeout = timeout
        self.max_memory = max_memory
        self.cache_size = cache_size
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"LuaRuntime(timeout={self.timeout!r}, cache_size={self.cache_size!r})"

    def _state(self) -> _ThreadState:
        state: _ThreadState | None = getattr(self._local, "state", None)
        if state is None:
            lua51 = _lupa()
            runtime = lua51.LuaRuntime(
                register_eval=False,
                register_builtins=False,
                unpack_returned_tuples=True,
                attribute_filter=_deny_attributes,
                max_memory=self.max_memory,
            )
            encode, decode = _json_functions(runtime)
            compile_fn, run_fn = runtime.execute(
                _PRELUDE, time.monotonic, TIMEOUT_MESSAGE, _HOOK_EVERY, encode, decode
            )
            state = _ThreadState(runtime, compile_fn, run_fn)
            self._local.state = state
        return state

    def _compiled(self, state: _ThreadState, source: str) -> Any:
        fn = state.cache.get(source)
        if fn is not None:
            state.cache.move_to_end(source)
            return fn
        result = state.compile(source)
        if isinstance(result, tuple):
            fn, err = (*result, None, None)[:2]
        else:
            fn, err = result, None
        if fn is None:
            raise HealthError(str(err or "cannot compile the Lua script"))
        state.cache[source] = fn
        if len(state.cache) > self.cache_size:
            state.cache.popitem(last=False)
        return fn

    def run(self, source: str, obj: Mapping[str, Any], *, open_libs: bool = False) -> Any:
        """Run ``source`` with ``obj`` as the global ``obj``; return its (last) result.

        Lua tables come back as lupa tables. Errors (syntax, runtime, time limit, memory)
        raise :class:`~gitopslib.errors.HealthError` with Lua's message.
        """
        state = self._state()
        fn = self._compiled(state, source)
        lua_obj = state.runtime.table_from(to_lua_data(obj), recursive=True)
        try:
            result = state.run(fn, lua_obj, open_libs, self.timeout)
        except MemoryError:
            raise HealthError("the Lua script ran out of memory") from None
        except _lupa().LuaError as exc:  # pragma: no cover - errors are caught inside Lua
            raise HealthError(str(exc)) from None
        ok, value = result[0], result[1] if len(result) > 1 else None
        if not ok:
            message = str(value)
            if "not enough memory" in message:
                message = "the Lua script ran out of memory"
            raise HealthError(message, timed_out=bool(len(result) > 2 and result[2]))
        return value

    def health(
        self, source: str, obj: Mapping[str, Any], *, open_libs: bool = False
    ) -> HealthStatus:
        """Run a health script and apply Argo CD's result contract.

        ``nil`` or ``{}`` give the empty :class:`HealthStatus`; a table whose ``status`` is
        not one of the six codes gives ``Unknown`` "Lua returned an invalid health status";
        anything else that is not a table raises :class:`~gitopslib.errors.HealthError`
        "expect table output from Lua script, not <type>".
        """
        return self.to_health_status(self.run(source, obj, open_libs=open_libs))

    @staticmethod
    def to_health_status(value: Any) -> HealthStatus:
        """Turn a script's return value into a :class:`HealthStatus` (Argo CD's contract)."""
        if value is None:
            return HealthStatus(None)
        lua_type = _lupa().lua_type(value)
        if lua_type != "table":
            raise HealthError(
                f"expect table output from Lua script, not {lua_type or _py_lua_type(value)}"
            )
        items = list(value.items())
        if not items:
            return HealthStatus(None)
        keys_are_str = [isinstance(k, str) for k, _ in items]
        if not all(keys_are_str):
            if any(keys_are_str):
                raise HealthError("cannot encode mixed or invalid key types")
            raise HealthError(
                "json: cannot unmarshal array into Go value of type health.HealthStatus"
            )
        fields = dict(items)
        for _, item in items:
            if _lupa().lua_type(item) == "function":
                raise HealthError("cannot encode function to JSON")
        status = _go_string(fields.get("status"), "status", "health.HealthStatusCode")
        message = _go_string(fields.get("message"), "message", "string")
        try:
            code = HealthStatusCode(status)
        except ValueError:
            return HealthStatus(HealthStatusCode.UNKNOWN, INVALID_HEALTH_STATUS)
        return HealthStatus(code, message)


def _py_lua_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str | bytes):
        return "string"
    return type(value).__name__


def _go_string(value: Any, field: str, go_type: str) -> str:
    """A field as Go's json.Unmarshal would read it into a string (type errors included)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, bool):
        kind = "bool"
    elif isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise HealthError(f"json: unsupported value: {value}")
        kind = "number"
    else:
        kind = (
            "object"
            if list(value.items()) and not isinstance(next(iter(value.keys())), int | float)
            else "array"
        )
    raise HealthError(
        f"json: cannot unmarshal {kind} into Go struct field HealthStatus.{field} of type {go_type}"
    )


_DEFAULT: LuaRuntime | None = None
_DEFAULT_LOCK = threading.Lock()


def default_runtime() -> LuaRuntime:
    """The shared :class:`LuaRuntime` used when a caller does not pass one."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = LuaRuntime()
        return _DEFAULT
