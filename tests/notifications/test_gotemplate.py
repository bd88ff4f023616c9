"""Go text/template as the notifications engine runs it: grammar, Go's rules, functions."""

from __future__ import annotations

from typing import Any

import pytest

from gitopslib.errors import NotificationError
from gitopslib.notifications.gotemplate import GoTemplate, go_sprintf
from gitopslib.notifications.gotime import GoTime
from gitopslib.notifications.helpers import CommitMetadata


def render(text: str, data: Any) -> str:
    return GoTemplate(text, "template.t message").render(data)


def test_field_access_and_text() -> None:
    """`{{.app.metadata.name}}` prints the field between plain text."""
    assert render("App {{.app.metadata.name}}!", {"app": {"metadata": {"name": "web"}}}) == (
        "App web!"
    )


def test_missing_key_prints_no_value_and_chains_silently() -> None:
    """A missing key prints `<no value>`; fields of it are no value too (Go's map rule)."""
    assert render("{{.a.b}}/{{.a.b.c}}", {"a": {}}) == "<no value>/<no value>"


def test_field_of_null_is_an_error_with_position() -> None:
    """A present null is nil: reading a field of it fails, naming template, line and column."""
    with pytest.raises(NotificationError) as info:
        render("line one\n  {{.a.b}}", {"a": None})
    assert str(info.value) == ("template.t message:2:5: nil pointer evaluating interface {}.b")


def test_null_prints_nil() -> None:
    """A present null prints `<nil>`, as fmt does."""
    assert render("{{.a}}", {"a": None}) == "<nil>"


def test_if_else_if_else_with_trim_markers() -> None:
    """The catalog's `{{- if }} ... {{- else if }} ... {{- end }}` picks the branch and trims."""
    text = (
        '"title": {{- if .app.spec.source }} "Repository" '
        '{{- else if .app.spec.sources }} "Repositories" {{- end }},'
    )
    assert render(text, {"app": {"spec": {"source": {"repoURL": "x"}}}}) == '"title": "Repository",'
    assert render(text, {"app": {"spec": {"sources": [{}]}}}) == '"title": "Repositories",'
    assert render(text, {"app": {"spec": {}}}) == '"title":,'


def test_range_with_index_and_element() -> None:
    """`range $index, $source := ...` with `{{ if $index }}` between items (catalog style)."""
    text = (
        "{{- range $index, $source := .app.spec.sources }}{{ if $index }}\\n{{ end }}"
        ":arrow_heading_up: {{ $source.repoURL }}{{- end }}"
    )
    data = {"app": {"spec": {"sources": [{"repoURL": "a"}, {"repoURL": "b"}]}}}
    assert render(text, data) == ":arrow_heading_up: a\\n:arrow_heading_up: b"


def test_range_single_variable_else_break_continue() -> None:
    """`range $c := ...`, `{{else}}` for an empty list, `break` and `continue`."""
    text = (
        "{{range $c := .l}}{{if eq $c 2}}{{continue}}{{end}}"
        "{{if eq $c 4}}{{break}}{{end}}{{$c}}{{end}}"
    )
    assert render(text, {"l": [1, 2, 3, 4, 5]}) == "13"
    assert render("{{range .l}}x{{else}}empty{{end}}", {"l": []}) == "empty"
    assert render("{{range .missing}}x{{else}}none{{end}}", {}) == "none"


def test_range_over_map_is_sorted_by_key() -> None:
    """A map is walked in key order, with `$k, $v`."""
    assert render("{{range $k, $v := .m}}{{$k}}={{$v}};{{end}}", {"m": {"b": 2, "a": 1}}) == (
        "a=1;b=2;"
    )


def test_with_and_variables() -> None:
    """`with` rebinds dot; `$x :=` declares, `$x =` assigns, `$` is the root."""
    text = (
        "{{$n := 1}}{{with .app.metadata}}{{.name}}-{{$.kind}}{{$n = 2}}{{end}}-{{$n}}"
        "{{with .nothing}}no{{else}}else{{end}}"
    )
    assert render(text, {"kind": "App", "app": {"metadata": {"name": "w"}}}) == "w-App-2else"


def test_comparison_and_logic_functions() -> None:
    """`eq` (several candidates), `ne`, `lt`, `gt`, `and`/`or` return operands, `not`."""
    text = (
        '{{eq .s "a" "b"}} {{ne .s "b"}} {{lt 1 2}} {{gt 1.5 2.5}} '
        '{{and .s 0}} {{or 0 "" .s}} {{not .s}}'
    )
    assert render(text, {"s": "b"}) == "true false true false 0 b false"


def test_eq_on_missing_value_is_false() -> None:
    """`eq` with a missing value is false, not an error (modern Go)."""
    assert render('{{if eq .serviceType "slack"}}S{{else}}other{{end}}', {}) == "other"


def test_eq_incompatible_types_fails() -> None:
    """`eq 1 "1"` is Go's "incompatible types for comparison"."""
    with pytest.raises(NotificationError, match="incompatible types for comparison"):
        render('{{eq 1 "1"}}', {})


def test_pipes_printf_index_len() -> None:
    """Pipelines pass the value last; `printf`, `index`, `len`, `slice`."""
    text = '{{.name | printf "%s-%d" 3 | upper}} {{index .l 1}} {{len .l}} {{slice .s 1 3}}'
    # printf "%s-%d" 3 NAME: the piped value goes last, so %s gets 3 and %d gets "web"
    assert render(text, {"name": "web", "l": ["x", "y"], "s": "abcd"}) == (
        "3-%!D(STRING=WEB) y 2 bc"
    )


def test_index_of_missing_map_key_is_nil() -> None:
    """`index` on a missing key gives nil (`<nil>`), out of range is an error."""
    assert render('{{index .m "x"}}', {"m": {}}) == "<nil>"
    with pytest.raises(NotificationError, match="index out of range"):
        render("{{index .l 3}}", {"l": [1]})


def test_js_escapes_like_go() -> None:
    """`js` escapes quotes, `<`, `>`, `&`, `=` and control characters as Go's JSEscape does."""
    assert render("{{js .m}}", {"m": 'it\'s "<a>" & b=c\n'}) == (
        'it\\\'s \\"\\u003Ca\\u003E\\" \\u0026 b\\u003Dc\\u000A'
    )


def test_sprig_functions_used_with_notifications() -> None:
    """A selection of Sprig: default, trunc, toJson, replace, quote, join, b64enc, dict/get."""
    text = (
        '{{.missing | default "dflt"}} {{.rev | trunc 7}} {{toJson .obj}} '
        '{{.name | replace "-" "_"}} {{quote .name}} {{join "," .l}} {{b64enc "hi"}} '
        '{{get (dict "k" "v") "k"}}'
    )
    data = {"rev": "0123456789abcdef", "obj": {"a": [1, "<b>"]}, "name": "my-app", "l": ["x", "y"]}
    assert render(text, data) == (
        'dflt 0123456 {"a":[1,"\\u003cb\\u003e"]} my_app "my-app" x,y aGk= v'
    )


def test_call_repo_helpers_and_chain_fields() -> None:
    """`call .repo.RepoURLToHTTPS` and `(call .repo.GetCommitMetadata sha).Author` (a chain)."""
    meta = CommitMetadata(
        Message="fix it", Author="Ann <a@x>", Date=GoTime.parse("2024-01-02T03:04:05Z"), Tags=[]
    )
    data = {
        "repo": {"RepoURLToHTTPS": lambda u: "https://x/" + u, "GetCommitMetadata": lambda s: meta},
        "sha": "abc",
    }
    text = (
        '{{call .repo.RepoURLToHTTPS "r"}} {{(call .repo.GetCommitMetadata .sha).Author}} '
        '{{(call .repo.GetCommitMetadata .sha).Date.Format "2006-01-02"}}'
    )
    assert render(text, data) == "https://x/r Ann <a@x> 2024-01-02"


def test_function_value_is_not_called_without_call() -> None:
    """A map's function value needs `call`; giving it arguments as a field is an error."""
    with pytest.raises(NotificationError, match="is not a method but has arguments"):
        render('{{.repo.F "x"}}', {"repo": {"F": lambda s: s}})


def test_define_and_template() -> None:
    """`define` and `template` with a pipeline as the new dot."""
    assert render('{{define "x"}}[{{.}}]{{end}}{{template "x" .v}}', {"v": 7}) == "[7]"


def test_comments_and_raw_strings() -> None:
    """`{{/* */}}` comments vanish (with trim markers) and raw strings keep backslashes."""
    assert render("a {{- /* note */ -}} b{{`\\n`}}", {}) == "ab\\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{.a | nosuch}}", 'template.t message:1:8: function "nosuch" not defined'),
        ("x\n{{if .a}}open", "template.t message:2:14: unexpected EOF"),
        ("{{end}}", "template.t message:1:1: unexpected {{end}}"),
        ("{{$x}}", 'template.t message:1:3: undefined variable "$x"'),
        ("{{.a", "template.t message:1:1: unclosed action"),
    ],
)
def test_parse_errors_name_template_and_position(text: str, message: str) -> None:
    """Unsupported or broken syntax is an error naming the template, line and column."""
    with pytest.raises(NotificationError) as info:
        GoTemplate(text, "template.t message")
    assert str(info.value) == message


def test_printf_verbs() -> None:
    """`printf` follows fmt for the common verbs and reports a missing operand like Go."""
    assert go_sprintf("%5.2f|%-4s|%03d|%x|%t|%v", 3.14159, "ab", 7, 255, True, None) == (
        " 3.14|ab  |007|ff|true|<nil>"
    )
    assert go_sprintf("%s %s", "a") == "a %!s(MISSING)"


def test_output_is_never_silently_empty_for_unknown_field_of_string() -> None:
    """Asking a string for a field is Go's "can't evaluate field" error, not empty text."""
    with pytest.raises(NotificationError, match="can't evaluate field x in type string"):
        render("{{.s.x}}", {"s": "text"})
