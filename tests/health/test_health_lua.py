"""Lua custom health checks: lookup order, result contract, sandbox, time limit, numbers."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gitopslib.errors import HealthError
from gitopslib.health import (
    HealthScripts,
    HealthStatus,
    HealthStatusCode,
    LuaRuntime,
    assess_health,
)
from gitopslib.health.lua import INVALID_HEALTH_STATUS, TIMEOUT_MESSAGE

H = HealthStatusCode
WriteScript = Callable[[Path, str, str], Path]

WIDGET = {
    "apiVersion": "example.com/v1",
    "kind": "Widget",
    "metadata": {"name": "blue", "namespace": "prod", "generation": 1},
    "spec": {"size": 3},
    "status": {"phase": "Ready", "replicas": 3, "observedGeneration": 1},
}
BUCKET = {
    "apiVersion": "s3.aws.crossplane.io/v1beta1",
    "kind": "Bucket",
    "metadata": {"name": "logs"},
    "status": {"conditions": [{"type": "Ready", "status": "True"}]},
}
POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "p", "namespace": "prod"},
    "spec": {"restartPolicy": "Always"},
    "status": {"phase": "Pending"},
}


def _say(status: str, message: str) -> str:
    return f'return {{status = "{status}", message = "{message}"}}'


def _health(obj: dict[str, object], **kwargs: object) -> HealthStatus:
    result = assess_health(obj, **kwargs)  # type: ignore[arg-type]
    assert result is not None
    return result


# --- lookup ---------------------------------------------------------------------------------


def test_folder_script_assesses_custom_resource(tmp_path: Path, write_script: WriteScript) -> None:
    """A <group>/<Kind>/health.lua in lua_dir assesses that kind."""
    write_script(tmp_path, "example.com/Widget", _say("Healthy", "from folder"))
    assert _health(WIDGET, lua_dir=tmp_path) == HealthStatus(H.HEALTHY, "from folder")


def test_core_kind_script_lives_at_kind_folder(tmp_path: Path, write_script: WriteScript) -> None:
    """A core kind's script is <Kind>/health.lua and overrides the built-in check."""
    write_script(tmp_path, "Pod", _say("Suspended", "scripted pod"))
    assert _health(POD, lua_dir=tmp_path) == HealthStatus(H.SUSPENDED, "scripted pod")


def test_wildcard_directory_matches_group(tmp_path: Path, write_script: WriteScript) -> None:
    """A directory named _.crossplane.io/_ serves every kind of every crossplane group."""
    write_script(tmp_path, "_.crossplane.io/_", _say("Healthy", "crossplane"))
    assert _health(BUCKET, lua_dir=tmp_path).message == "crossplane"


def test_wildcard_does_not_cross_slashes(tmp_path: Path, write_script: WriteScript) -> None:
    """``_`` stands for one path segment part, so ``_`` alone never matches group/Kind."""
    write_script(tmp_path, "_", _say("Healthy", "too broad"))
    assert assess_health(WIDGET, lua_dir=tmp_path) is None


def test_exact_folder_beats_wildcard(tmp_path: Path, write_script: WriteScript) -> None:
    """An exact <group>/<Kind> script wins over a matching wildcard directory."""
    write_script(tmp_path, "_.aws.crossplane.io/_", _say("Degraded", "wildcard"))
    write_script(tmp_path, "s3.aws.crossplane.io/Bucket", _say("Healthy", "exact"))
    assert _health(BUCKET, lua_dir=tmp_path).message == "exact"


def test_first_sorted_wildcard_wins(tmp_path: Path, write_script: WriteScript) -> None:
    """Of several matching wildcard directories the lexicographically first one wins."""
    write_script(tmp_path, "_.crossplane.io/_", _say("Healthy", "second"))
    write_script(tmp_path, "_.aws.crossplane.io/_", _say("Healthy", "first"))
    # "_.aws.crossplane.io/_" < "_.crossplane.io/_" as strings
    assert _health(BUCKET, lua_dir=tmp_path).message == "first"


def test_cm_override_beats_folder(tmp_path: Path, write_script: WriteScript) -> None:
    """An argocd-cm resource.customizations.health.<group>_<kind> key wins over lua_dir."""
    write_script(tmp_path, "example.com/Widget", _say("Healthy", "folder"))
    overrides = {"resource.customizations.health.example.com_Widget": _say("Degraded", "cm")}
    assert _health(WIDGET, lua_dir=tmp_path, overrides=overrides) == HealthStatus(H.DEGRADED, "cm")


def test_cm_override_for_core_kind() -> None:
    """A core kind is keyed ``_<Kind>`` in argocd-cm."""
    overrides = {"resource.customizations.health._Pod": _say("Healthy", "cm pod")}
    assert _health(POD, overrides=overrides).message == "cm pod"


def test_cm_glob_override() -> None:
    """A wildcard argocd-cm key matches by glob when no exact key exists."""
    overrides = {"resource.customizations.health.*.crossplane.io_*": _say("Healthy", "glob")}
    assert _health(BUCKET, overrides=overrides).message == "glob"


def test_cm_exact_beats_glob() -> None:
    """The exact argocd-cm key wins over a matching glob key."""
    overrides = {
        "resource.customizations.health.*.crossplane.io_*": _say("Healthy", "glob"),
        "resource.customizations.health.s3.aws.crossplane.io_Bucket": _say("Healthy", "exact"),
    }
    assert _health(BUCKET, overrides=overrides).message == "exact"


def test_resource_customizations_map_form() -> None:
    """The resource.customizations YAML map with a health.lua entry is honoured."""
    overrides = {
        "resource.customizations": (
            "example.com/Widget:\n  health.lua: |\n    " + _say("Healthy", "map form") + "\n"
        )
    }
    assert _health(WIDGET, overrides=overrides).message == "map form"


def test_whole_configmap_is_accepted() -> None:
    """Passing the whole argocd-cm ConfigMap works like passing its data."""
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "argocd-cm", "namespace": "argocd"},
        "data": {"resource.customizations.health.example.com_Widget": _say("Healthy", "cm")},
    }
    assert _health(WIDGET, overrides=cm).message == "cm"


def test_cm_scripts_lack_string_library_without_open_libs() -> None:
    """Without useOpenLibs an argocd-cm script has no ``string`` library (Unknown + error)."""
    overrides = {
        "resource.customizations.health.example.com_Widget": (
            'return {status = "Healthy", message = string.upper("x")}'
        )
    }
    health = _health(WIDGET, overrides=overrides)
    assert health.status is H.UNKNOWN
    assert "string" in health.message


def test_use_open_libs_key_enables_string_library() -> None:
    """resource.customizations.useOpenLibs.<group>_<kind>: "true" opens the libraries."""
    overrides = {
        "resource.customizations.health.example.com_Widget": (
            'return {status = "Healthy", message = string.upper("x")}'
        ),
        "resource.customizations.useOpenLibs.example.com_Widget": "true",
    }
    assert _health(WIDGET, overrides=overrides).message == "X"


def test_use_open_libs_in_map_form() -> None:
    """health.lua.useOpenLibs: true in the resource.customizations map opens the libraries."""
    overrides = {
        "resource.customizations": (
            "example.com/Widget:\n"
            "  health.lua.useOpenLibs: true\n"
            "  health.lua: |\n"
            '    return {status = "Healthy", message = string.lower("ABC")}\n'
        )
    }
    assert _health(WIDGET, overrides=overrides).message == "abc"


def test_registry_object_is_reusable(tmp_path: Path, write_script: WriteScript) -> None:
    """A HealthScripts registry built once from a folder can be passed as lua_dir."""
    write_script(tmp_path, "example.com/Widget", _say("Healthy", "registry"))
    scripts = HealthScripts.from_folder(tmp_path)
    assert scripts.script_for(WIDGET) is not None
    assert _health(WIDGET, lua_dir=scripts).message == "registry"


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    """A lua_dir that does not exist raises HealthError naming it."""
    with pytest.raises(HealthError, match="does not exist"):
        assess_health(WIDGET, lua_dir=tmp_path / "nope")


def test_malformed_customizations_yaml_is_a_clear_error() -> None:
    """A resource.customizations value that is not YAML raises HealthError naming the key."""
    with pytest.raises(HealthError, match=r"resource\.customizations"):
        assess_health(WIDGET, overrides={"resource.customizations": "a: [unclosed"})


def test_folder_changes_are_picked_up(tmp_path: Path, write_script: WriteScript) -> None:
    """Editing a script in lua_dir changes the next assessment (the folder cache notices)."""
    path = write_script(tmp_path, "example.com/Widget", _say("Healthy", "v1"))
    assert _health(WIDGET, lua_dir=tmp_path).message == "v1"
    path.write_text(_say("Healthy", "version two"), encoding="utf-8")
    assert _health(WIDGET, lua_dir=tmp_path).message == "version two"


# --- result contract ------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["return nil", "return {}", "local x = 1"])
def test_empty_result_suppresses_builtin(
    tmp_path: Path, write_script: WriteScript, source: str
) -> None:
    """nil, {} or no return give the empty status, and the built-in Pod check is not run."""
    write_script(tmp_path, "Pod", source)
    health = _health(POD, lua_dir=tmp_path)
    assert health == HealthStatus(None, "")
    assert health.is_empty


@pytest.mark.parametrize("status", ["Fine", "healthy", ""])
def test_invalid_status_is_unknown(tmp_path: Path, write_script: WriteScript, status: str) -> None:
    """A status outside the six codes (case matters) is Unknown with Argo CD's message."""
    write_script(tmp_path, "example.com/Widget", _say(status, "x"))
    assert _health(WIDGET, lua_dir=tmp_path) == HealthStatus(H.UNKNOWN, INVALID_HEALTH_STATUS)


@pytest.mark.parametrize(
    ("source", "lua_type"),
    [('return "Healthy"', "string"), ("return 42", "number"), ("return true", "boolean")],
)
def test_non_table_result_is_an_error(
    tmp_path: Path, write_script: WriteScript, source: str, lua_type: str
) -> None:
    """A non-table result is Unknown "expect table output from Lua script, not <type>"."""
    write_script(tmp_path, "example.com/Widget", source)
    assert _health(WIDGET, lua_dir=tmp_path) == HealthStatus(
        H.UNKNOWN, f"expect table output from Lua script, not {lua_type}"
    )


def test_runtime_error_is_unknown_with_lua_message(
    tmp_path: Path, write_script: WriteScript
) -> None:
    """A runtime error becomes Unknown carrying Lua's message with the line number."""
    write_script(tmp_path, "example.com/Widget", "local hs = {}\nreturn obj.spec.missing.field\n")
    health = _health(WIDGET, lua_dir=tmp_path)
    assert health.status is H.UNKNOWN
    assert health.message.startswith("<string>:2:")
    assert "nil value" in health.message


def test_syntax_error_is_unknown(tmp_path: Path, write_script: WriteScript) -> None:
    """A script that does not compile is Unknown with the parser's message."""
    write_script(tmp_path, "example.com/Widget", "if obj then\n")
    health = _health(WIDGET, lua_dir=tmp_path)
    assert health.status is H.UNKNOWN
    assert "<string>" in health.message


def test_status_of_wrong_type_is_an_error(lua: LuaRuntime) -> None:
    """A numeric status fails like Go's json.Unmarshal does."""
    with pytest.raises(HealthError, match="cannot unmarshal number"):
        lua.health("return {status = 1}", WIDGET)


def test_script_reads_obj_fields(lua: LuaRuntime) -> None:
    """The global ``obj`` holds the object, numbers as Lua numbers."""
    source = (
        'return {status = obj.status.phase == "Ready" and "Healthy" or "Degraded", '
        "message = obj.metadata.name .. tostring(obj.status.replicas + 1)}"
    )
    assert lua.health(source, WIDGET) == HealthStatus(H.HEALTHY, "blue4")


def test_yaml_timestamps_reach_lua_as_rfc3339_strings(lua: LuaRuntime) -> None:
    """A datetime (what YAML loaders make of timestamps) is a string in Lua, as from the API."""
    obj = {"status": {"t": datetime(2024, 3, 5, 2, 0, 0, tzinfo=UTC)}}
    source = 'return {status = "Healthy", message = type(obj.status.t) .. " " .. obj.status.t}'
    assert lua.health(source, obj).message == "string 2024-03-05T02:00:00Z"


# --- sandbox and time limit -----------------------------------------------------------------


def test_sandbox_hides_dangerous_globals(lua: LuaRuntime) -> None:
    """io, debug, loadstring, dofile, getfenv, os.execute and lupa's python are unreachable."""
    source = (
        "local names = {type(io), type(debug), type(loadstring), type(dofile), type(getfenv),"
        " type(os.execute), type(python), type(require)}\n"
        'return {status = "Healthy", message = table.concat(names, ",")}'
    )
    assert lua.health(source, {}, open_libs=True).message == (
        "nil,nil,nil,nil,nil,nil,nil,function"
    )


def test_safe_os_subset_works(lua: LuaRuntime) -> None:
    """os.time and os.date work, also through require("os")."""
    source = (
        'local os2 = require("os")\n'
        'return {status = "Healthy", message = os2.date("!%Y", 0) .. " " .. '
        "tostring(os.time{year=2024, month=1, day=1, hour=0} > 0)}"
    )
    assert lua.health(source, {}).message == "1970 true"


def test_globals_do_not_leak_between_scripts(lua: LuaRuntime) -> None:
    """A global set by one run is gone in the next (each run gets a fresh environment)."""
    lua.health('leak = "x"; return {}', {})
    assert lua.health('return {status = "Healthy", message = type(leak)}', {}).message == "nil"


def test_endless_loop_stops_at_the_limit(lua: LuaRuntime) -> None:
    """``while true do end`` stops at the runtime's time limit with Argo CD's error."""
    started = time.monotonic()
    with pytest.raises(HealthError, match=TIMEOUT_MESSAGE):
        lua.health("while true do end", {})
    assert 0.15 < time.monotonic() - started < 1.5


def test_pcall_cannot_swallow_the_limit(lua: LuaRuntime) -> None:
    """An endless loop wrapped in pcall inside another loop still stops."""
    started = time.monotonic()
    with pytest.raises(HealthError, match=TIMEOUT_MESSAGE):
        lua.health("while true do pcall(function() while true do end end) end", {})
    assert time.monotonic() - started < 1.5


def test_coroutine_loop_stops(lua: LuaRuntime) -> None:
    """An endless loop inside a coroutine stops too (hooks follow new coroutines)."""
    source = (
        "local co = coroutine.create(function() while true do end end)\n"
        "coroutine.resume(co)\nwhile true do end"
    )
    with pytest.raises(HealthError, match=TIMEOUT_MESSAGE):
        lua.health(source, {}, open_libs=True)


def test_default_limit_is_one_second(tmp_path: Path, write_script: WriteScript) -> None:
    """Through assess_health an endless loop is Unknown after Argo CD's 1 s limit."""
    write_script(tmp_path, "example.com/Widget", "while true do end")
    started = time.monotonic()
    health = _health(WIDGET, lua_dir=tmp_path)
    elapsed = time.monotonic() - started
    assert health.status is H.UNKNOWN
    assert TIMEOUT_MESSAGE in health.message
    assert 0.9 < elapsed < 3.0


def test_runtime_recovers_after_timeout(lua: LuaRuntime) -> None:
    """After a timed-out script the same runtime runs the next script normally."""
    with pytest.raises(HealthError):
        lua.health("while true do end", {})
    assert lua.health('return {status = "Healthy"}', {}).status is H.HEALTHY


# --- numbers, as gopher-lua (Lua 5.1 in Go) prints them --------------------------------------

# Expected strings derived by hand: gopher-lua's tostring prints an integral number as an
# int64 and any other number with Go's %v (strconv 'g', shortest round-trip digits, exponent
# form when the exponent is < -4 or >= 6, at least two exponent digits).
NUMBERS = [
    ("3/1", "3"),
    ("7/2", "3.5"),
    ("math.floor(7/2)", "3"),
    ("10/3", "3.3333333333333335"),
    ("0.1", "0.1"),
    ("2^53", "9007199254740992"),
    ("1e15", "1000000000000000"),
    ("1e20", "1e+20"),
    ("1234567.5", "1.2345675e+06"),
    ("123456.5", "123456.5"),
    ("0.0001", "0.0001"),
    ("0.00001", "1e-05"),
    ("-2.5", "-2.5"),
    ("-0.0", "0"),
    ("1/0", "+Inf"),
    ("-1/0", "-Inf"),
]


@pytest.mark.parametrize(("expr", "expected"), NUMBERS, ids=[e for e, _ in NUMBERS])
def test_tostring_formats_numbers_like_gopher_lua(
    lua: LuaRuntime, expr: str, expected: str
) -> None:
    """tostring(<expr>) prints what Argo CD's gopher-lua prints."""
    source = f'return {{status = "Healthy", message = tostring({expr})}}'
    assert lua.health(source, {}, open_libs=True).message == expected


def test_concatenation_of_integers(lua: LuaRuntime) -> None:
    """Concatenating integral numbers prints them without a decimal point."""
    source = 'return {status = "Healthy", message = obj.n .. "/" .. (obj.n * 2) .. "/" .. 6/2}'
    assert lua.health(source, {"n": 3}).message == "3/6/3"


def test_json_floats_stay_numbers(lua: LuaRuntime) -> None:
    """A float from the object arrives as a Lua number (arithmetic works on it)."""
    source = 'return {status = "Healthy", message = tostring(obj.ratio * 2)}'
    assert lua.health(source, {"ratio": 0.75}).message == "1.5"


def test_json_module_round_trip(lua: LuaRuntime) -> None:
    """require("json") decodes an annotation and encodes tables as gopher-json does."""
    obj = {"metadata": {"annotations": {"conds": '[{"type": "Ready", "count": 2}]'}}}
    source = (
        'local json = require("json")\n'
        "local c = json.decode(obj.metadata.annotations.conds)[1]\n"
        'return {status = "Healthy", message = json.encode({t = c.type, l = {c.count}, e = {}})}'
    )
    message = lua.health(source, obj).message
    assert sorted(message.strip("{}").split(",")) == ['"e":[]', '"l":[2]', '"t":"Ready"']


def test_python_attributes_are_unreachable(lua: LuaRuntime) -> None:
    """The Python functions behind json cannot be used to reach Python internals."""
    source = (
        'local f = require("json").encode\nreturn {status = "Healthy", message = f.__globals__}'
    )
    with pytest.raises(HealthError, match="not reachable"):
        lua.health(source, {})


def test_runtime_is_usable_from_several_threads(lua: LuaRuntime) -> None:
    """One LuaRuntime serves several threads (each gets its own Lua state)."""
    from concurrent.futures import ThreadPoolExecutor

    source = 'return {status = "Healthy", message = obj.metadata.name}'

    def run(i: int) -> str:
        return lua.health(source, {"metadata": {"name": f"w{i}"}}).message

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(run, range(40))) == [f"w{i}" for i in range(40)]


def test_string_format_and_table_concat_print_numbers_like_gopher(lua: LuaRuntime) -> None:
    """string.format("%s") and table.concat print numbers as gopher-lua does (Go's %v)."""
    source = (
        'return {status = "Healthy", message = string.format("%s|%d|%5.2f", 10/3, 7, 2.5)'
        ' .. "|" .. table.concat({1, 0.5, 3/1, "x"}, ",")}'
    )
    assert lua.health(source, {}, open_libs=True).message == (
        "3.3333333333333335|7| 2.50|1,0.5,3,x"
    )
