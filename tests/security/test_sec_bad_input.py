"""Bad input is refused with file, line and field (issue 17, class 5; issue 18, the YAML
syntax error): through the Python API (``Application.from_yaml``, ``load_documents``,
``gitopslib.project.AppProject``) and through ``gitopslib validate``."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from gitopslib.cli import main
from gitopslib.errors import ValidationError
from gitopslib.models import Application, load_documents
from gitopslib.project import AppProject

APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: NAME
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://example.com/r.git
    path: PATH
    targetRevision: HEAD
  destination:
    server: https://kubernetes.default.svc
    namespace: demo
"""

PROJECT = """\
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: team
spec:
  sourceRepos: ['*']
  destinations: [{server: '*', namespace: '*'}]
"""


def _app(tmp_path: Path, *, name: str = "ok", path: str = "x", extra: str = "") -> Path:
    file = tmp_path / "app.yaml"
    file.write_text(APP.replace("NAME", name).replace("PATH", path) + extra)
    return file


def _refusal(file: Path) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        Application.from_yaml(file)
    return info.value


def _validate(*argv: str | Path) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["validate", *map(str, argv)], out=out)
    return code, out.getvalue()


# --- the Application: each refused by the model, located ----------------------------------


def test_nul_byte_in_source_path(tmp_path: Path) -> None:
    """A NUL byte (a YAML "\\0" escape) in spec.source.path is refused at its line."""
    err = _refusal(_app(tmp_path, path='"a\\0b"'))
    assert (err.line, err.column, err.field) == (10, 11, "spec.source.path")
    assert "NUL byte" in err.reason


def test_name_with_a_slash(tmp_path: Path) -> None:
    """metadata.name 'a/b' is not a DNS-1123 subdomain, as the API server requires."""
    err = _refusal(_app(tmp_path, name="a/b"))
    assert (err.line, err.field) == (4, "metadata.name")
    assert "invalid Application name 'a/b'" in err.reason


@pytest.mark.parametrize("name", ["Guestbook", "-web", "web-", "a" * 254, "a..b", "a_b"])
def test_names_the_api_server_refuses(tmp_path: Path, name: str) -> None:
    """Upper case, a leading/trailing dash, an empty label, '_' and over 253 characters."""
    assert _refusal(_app(tmp_path, name=name)).field == "metadata.name"


@pytest.mark.parametrize("name", ["web", "web-1", "a.b-c", "a" * 253, "9to5"])
def test_names_the_api_server_accepts(tmp_path: Path, name: str) -> None:
    """DNS-1123 subdomains load."""
    assert Application.from_yaml(_app(tmp_path, name=name)).metadata.name == name


def test_integer_beyond_int64(tmp_path: Path) -> None:
    """An integer Kubernetes' int64 cannot hold is refused where it is written."""
    err = _refusal(_app(tmp_path, extra="  revisionHistoryLimit: 9223372036854775808\n"))
    assert (err.line, err.field) == (15, "spec.revisionHistoryLimit")
    assert "out of range" in err.reason


def test_largest_int64_loads(tmp_path: Path) -> None:
    """2**63 - 1 is still an int64."""
    app = Application.from_yaml(
        _app(tmp_path, extra="  revisionHistoryLimit: 9223372036854775807\n")
    )
    assert app.spec.revision_history_limit == 2**63 - 1


def test_invalid_jq_expression_in_ignore_differences(tmp_path: Path) -> None:
    """A jqPathExpression that jq cannot compile is refused at its list item."""
    extra = (
        "  ignoreDifferences:\n  - kind: Deployment\n    jqPathExpressions:\n"
        "    - .spec.replicas\n    - '.spec | ]['\n"
    )
    err = _refusal(_app(tmp_path, extra=extra))
    assert (err.line, err.field) == (19, "spec.ignoreDifferences[0].jqPathExpressions[1]")
    assert "does not compile" in err.reason


def test_backoff_duration_with_an_unknown_unit(tmp_path: Path) -> None:
    """backoff.duration '5parsecs' is not a Go duration."""
    extra = "  syncPolicy:\n    retry:\n      backoff:\n        duration: 5parsecs\n"
    err = _refusal(_app(tmp_path, extra=extra))
    assert (err.line, err.field) == (18, "spec.syncPolicy.retry.backoff.duration")


def test_backoff_max_duration_checked_too(tmp_path: Path) -> None:
    """backoff.maxDuration is checked as duration is; valid ones load."""
    extra = "  syncPolicy:\n    retry:\n      backoff:\n        duration: 1m30s\n"
    Application.from_yaml(_app(tmp_path, extra=extra))
    bad = extra.replace("duration: 1m30s", "maxDuration: 3d")
    assert _refusal(_app(tmp_path, extra=bad)).field == "spec.syncPolicy.retry.backoff.maxDuration"


def test_non_utf8_byte_has_a_line(tmp_path: Path) -> None:
    """A byte that is not UTF-8 is reported at its line and column."""
    file = tmp_path / "app.yaml"
    file.write_bytes(
        APP.replace("NAME", "ok").replace("PATH", "x").encode().replace(b"demo", b"d\xffmo")
    )
    err = _refusal(file)
    assert (err.line, err.column) == (14, 17)
    assert "0xff is not UTF-8" in err.reason


def test_yaml_syntax_error_names_where_the_construct_began(tmp_path: Path) -> None:
    """An unclosed flow sequence: the error is where the parser gave up (end of stream) and
    says where the sequence began (PyYAML's context mark)."""
    file = tmp_path / "app.yaml"
    file.write_text("apiVersion: argoproj.io/v1alpha1\nkind: Application\nspec: [a, b\n")
    with pytest.raises(ValidationError) as info:
        Application.from_yaml(file)
    err = info.value
    assert (err.line, err.column) == (4, 1)
    assert "that began at line 3, column 7" in err.reason


# --- AppProject: Argo CD's save-time rules, located -------------------------------------


@pytest.mark.parametrize(
    ("spec", "line", "field", "words"),
    [
        (
            "  syncWindows:\n  - {kind: allow, schedule: '61 * * * *', duration: 1h, "
            "applications: ['*']}\n",
            9,
            "spec.syncWindows[0].schedule",
            "61 is outside 0-59",
        ),
        (
            "  syncWindows:\n  - kind: allow\n    schedule: '0 * * * *'\n"
            "    duration: 1parsec\n    applications: ['*']\n",
            11,
            "spec.syncWindows[0].duration",
            "invalid duration",
        ),
        (
            "  syncWindows:\n  - kind: allow\n    schedule: '0 * * * *'\n    duration: 1h\n"
            "    timeZone: Mars/Olympus\n    applications: ['*']\n",
            12,
            "spec.syncWindows[0].timeZone",
            "unknown time zone",
        ),
        (
            "  roles:\n  - name: ci\n    policies:\n"
            "    - p, proj:team:ci, applications, sync, team/*, maybe\n",
            11,
            "spec.roles[0].policies[0]",
            "effect must be 'allow' or 'deny'",
        ),
    ],
    ids=["cron", "duration", "time-zone", "role-policy"],
)
def test_project_errors_are_located(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    spec: str,
    line: int,
    field: str,
    words: str,
) -> None:
    """load_documents with the policy class, and the CLI's --project, name the line."""
    file = tmp_path / "project.yaml"
    file.write_text(PROJECT + spec)
    with pytest.raises(ValidationError) as info:
        load_documents(file, kinds={"AppProject": AppProject})
    assert (info.value.line, info.value.field) == (line, field)
    assert words in info.value.reason
    capsys.readouterr()
    code, _ = _validate(_app(tmp_path), "--project", file)
    assert code == 2
    assert capsys.readouterr().err.startswith(f"gitopslib: error: {file}:{line}:")


# --- the same through gitopslib validate ------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "where"),
    [
        ({"path": '"a\\0b"'}, ":10:11: spec.source.path: "),
        ({"name": "a/b"}, ":4:3: metadata.name: "),
        (
            {"extra": "  revisionHistoryLimit: 99999999999999999999\n"},
            ":15:25: spec.revisionHistoryLimit: ",
        ),
        (
            {"extra": "  syncPolicy:\n    retry:\n      backoff:\n        duration: 5parsecs\n"},
            ":18:9: spec.syncPolicy.retry.backoff.duration: ",
        ),
    ],
    ids=["nul", "name", "int64", "backoff"],
)
def test_validate_refuses_with_file_line_and_field(
    tmp_path: Path, kwargs: dict[str, str], where: str
) -> None:
    """gitopslib validate no longer says 'valid': one line with file:line:column: field."""
    app = _app(tmp_path, **kwargs)
    code, out = _validate(app)
    assert code == 1
    assert out.startswith(f"{app}{where}")
    assert out.count("\n") == 1


def test_validate_missing_destination_has_a_line(tmp_path: Path) -> None:
    """A spec without destination is reported at the line where spec begins."""
    file = tmp_path / "app.yaml"
    file.write_text(APP.replace("NAME", "ok").replace("PATH", "x").split("  destination:")[0])
    code, out = _validate(file)
    assert code == 1
    assert out == f"{file}:7:3: spec.destination: required: set server or name (and namespace)\n"
