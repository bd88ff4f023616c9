"""Trigger conditions: expr's grammar and runtime rules, as Argo CD's catalog uses them."""

from __future__ import annotations

from typing import Any

import pytest

from gitopslib.errors import NotificationError
from gitopslib.notifications.expr import ExprRuntimeError, compile_expr, format_once_per
from gitopslib.notifications.gotime import GoTime, time_namespace

APP: dict[str, Any] = {
    "metadata": {"name": "web", "labels": {"env": "prod"}},
    "status": {
        "sync": {"status": "Synced", "revision": "abc123"},
        "health": {"status": "Healthy", "lastTransitionTime": "2024-05-01T10:00:30Z"},
        "operationState": {
            "phase": "Succeeded",
            "startedAt": "2024-05-01T10:00:00Z",
            "finishedAt": "2024-05-01T10:00:20Z",
            "syncResult": {"revision": "abc123"},
        },
    },
    "operation": {"info": [{"name": "reason", "value": "hotfix"}]},
}


def run(text: str, app: dict[str, Any] | None = None, **extra: Any) -> Any:
    env = {"app": APP if app is None else app, "time": time_namespace(), **extra}
    return compile_expr(text, where="trigger.t[0].when").evaluate(env)


def test_in_list_and_equality_with_and() -> None:
    """`in [...]` and `==` joined by `and` (the guide's on-deployed) hold for a healthy sync."""
    assert run(
        "app.status.operationState.phase in ['Succeeded'] and app.status.health.status == 'Healthy'"
    )


def test_symbolic_operators_mean_the_same() -> None:
    """`&&`, `||` and `!` behave as `and`, `or` and `not`."""
    assert run("app.status.sync.status == 'Synced' && !(app.status.health.status != 'Healthy')")
    assert run("app.status.sync.status == 'Unknown' || app.metadata.name == 'web'")
    assert run("not (app.metadata.name == 'db')")


def test_missing_key_is_nil() -> None:
    """A field the app does not have compares equal to nil."""
    assert run("app.metadata.deletionTimestamp == nil")
    assert not run("app.metadata.deletionTimestamp != nil")


def test_field_of_nil_is_an_error_unless_optional() -> None:
    """Reading a field of a missing object fails (Argo CD then treats the trigger as false);
    `?.` gives nil instead."""
    # expr's runtime.Fetch: panic(fmt.Sprintf("cannot fetch %v from %T", i, from)), nil's %T
    # being <nil>
    with pytest.raises(ExprRuntimeError, match=r"^cannot fetch phase from <nil>"):
        run("app.status.operationState.phase == 'Running'", app={"status": {}})
    assert run("app.status.operationState?.phase == nil", app={"status": {}})
    with pytest.raises(ExprRuntimeError, match=r"^cannot fetch 0 from <nil>"):
        run("app.status.conditions[0] == nil", app={"status": {}})


def test_optional_chain_once_per_value() -> None:
    """The catalog's `oncePer` with `?.` yields the revision, or `<nil>` formatted as Go does."""
    once = compile_expr("app.status.operationState?.syncResult?.revision")
    assert format_once_per(once.evaluate({"app": APP})) == "abc123"
    assert format_once_per(once.evaluate({"app": {"status": {}}})) == "<nil>"


def test_catalog_time_comparison() -> None:
    """`!time.Parse(a).Before(time.Parse(b))`: health changed after the sync finished."""
    text = (
        "app.status.operationState != nil and app.status.operationState.phase in ['Succeeded']"
        " and app.status.health.status == 'Healthy' and "
        "!time.Parse(app.status.health.lastTransitionTime)"
        ".Before(time.Parse(app.status.operationState.finishedAt))"
    )
    assert run(text)
    earlier = {**APP, "status": {**APP["status"], "health": {
        "status": "Healthy", "lastTransitionTime": "2024-05-01T10:00:10Z"}}}  # fmt: skip
    assert not run(text, app=earlier)


def test_durations_and_now() -> None:
    """`time.Now().Sub(t) > time.Minute * 5` compares a Go duration; `time.Now` is replaceable."""
    fixed = GoTime.parse("2024-05-01T10:10:00Z")
    ns = time_namespace(lambda: fixed)
    expr = "time.Now().Sub(time.Parse(app.status.operationState.finishedAt)) > time.Minute * 5"
    assert compile_expr(expr).evaluate({"app": APP, "time": ns})
    expr2 = "time.Now().Sub(time.Parse(app.status.operationState.finishedAt)) > time.Hour"
    assert not compile_expr(expr2).evaluate({"app": APP, "time": ns})


def test_time_parse_rejects_non_rfc3339() -> None:
    """`time.Parse` takes RFC 3339 only (Argo CD's helper); anything else is a runtime error."""
    with pytest.raises(ExprRuntimeError, match="cannot parse"):
        run("time.Parse('yesterday').Before(time.Now())")


def test_string_operators_and_helpers() -> None:
    """`startsWith`, `contains`, `matches` and `strings.ReplaceAll`/`sync.GetInfoItem`."""
    assert run("app.metadata.name startsWith 'w' and app.metadata.name contains 'e'")
    assert run("app.status.sync.revision matches '^[a-f0-9]+$'")
    strings = {"ReplaceAll": lambda s, a, b: s.replace(a, b)}
    assert run("strings.ReplaceAll(app.metadata.name, 'w', 'W') == 'Web'", strings=strings)


def test_not_in_and_map_membership() -> None:
    """`not in` is the negation of `in`; `in` on a map tests its keys."""
    assert run("app.status.health.status not in ['Degraded', 'Missing']")
    assert run("'env' in app.metadata.labels")


def test_numbers_compare_across_int_and_float() -> None:
    """Numbers compare by value (1 == 1.0) and arithmetic follows expr (`/` gives a float)."""
    assert run("1 == 1.0 and 7 / 2 == 3.5 and 7 % 3 == 1 and 2 ** 3 == 8")


def test_and_needs_booleans() -> None:
    """`and` with a non-boolean operand is a runtime error, as in expr."""
    with pytest.raises(ExprRuntimeError, match="non-bool"):
        run("app.metadata.name and true")


def test_ternary_and_nil_coalescing() -> None:
    """`c ? a : b` and `x ?? y`."""
    assert run("(app.status.sync.status == 'Synced' ? 'y' : 'n') == 'y'")
    assert run("(app.metadata.missing ?? 'dflt') == 'dflt'")


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("app.status ==", 14),
        ("app.status = 'x'", 12),
        ("app.status.sync.status == 'Synced' &", 36),
        ("[1, 2", 6),
        ("app.x.", 7),
    ],
)
def test_syntax_error_names_where_and_column(text: str, column: int) -> None:
    """Anything outside the grammar is a NotificationError naming the trigger and the column."""
    with pytest.raises(NotificationError) as info:
        compile_expr(text, where="trigger.on-x[0].when")
    assert str(info.value).startswith("trigger.on-x[0].when: ")
    assert f"at column {column} " in str(info.value)
    assert info.value.position == column  # type: ignore[attr-defined]


def test_no_python_eval_escape() -> None:
    """Python's dunder attributes are not reachable through member access."""
    with pytest.raises(ExprRuntimeError):
        run("app.metadata.name.__class__")
    assert run("app.__class__ == nil")
