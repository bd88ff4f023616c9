"""Engines in a sandbox: go-jsonnet and the Helm SDK run in reusable worker processes, so a Go
fatal error (a ``tailstrict`` stack overflow), a loop past the render's ``timeout`` or a value
that grows past the memory allowance ends the render with a RenderError (CommandTimeoutError
for time) while the caller keeps running with bounded memory; the worker is restarted. Engine
processes (kustomize, plugins) have the same timeout and an output cap."""

from __future__ import annotations

import io
import resource
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sec_fixtures import AppFor, write_chart

import gitopslib
from gitopslib.cli import main
from gitopslib.errors import CommandError, CommandTimeoutError, RenderError
from gitopslib.sources._base import SubprocessRunner
from gitopslib.sources._sandbox import EngineSandbox

MiB = 1024 * 1024
#: A small allowance keeps the runaway cases fast; the default is documented in _sandbox.
SMALL = {"engine_memory_limit": 512 * MiB}
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\ndata: {a: b}\n"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[EngineSandbox]:
    """One worker for the module, so restarts can be counted."""
    pool = EngineSandbox(size=1)
    yield pool
    pool.close()


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _render(app: Any, repo: Path, sandbox: EngineSandbox, **kwargs: Any) -> Any:
    options = {"engine_sandbox": sandbox, **SMALL, **kwargs.pop("options", {})}
    return gitopslib.render(app, repo_root=repo, options=options, **kwargs)


def _jsonnet_app(repo: Path, program: str, app_for: AppFor) -> Any:
    (repo / "app").mkdir(exist_ok=True)
    (repo / "app" / "main.jsonnet").write_text(program)
    return app_for({"path": "app"})


RUNAWAY_JSONNET = {
    "tailstrict stack overflow": ("local f(x) = f(x + 1) tailstrict;\nf(0)\n", RenderError),
    "range of 3e8": ("std.length(std.range(0, 3e8))\n", RenderError),
    "endless string": (
        'local s(n) = if n == 0 then "" else "xxxxxxxx" + s(n - 1) tailstrict;\n'
        "{ kind: 'ConfigMap', s: s(1e9) }\n",
        RenderError,
    ),
}


@pytest.mark.parametrize("case", sorted(RUNAWAY_JSONNET))
def test_runaway_jsonnet_ends_the_render_not_the_caller(
    repo: Path, app_for: AppFor, sandbox: EngineSandbox, case: str
) -> None:
    """A Go fatal error or a memory blow-up is a RenderError; the next render works."""
    program, error = RUNAWAY_JSONNET[case]
    app = _jsonnet_app(repo, program, app_for)
    sandbox.call("ping", {}, timeout=60, source_type=None, path=None)  # a worker is up
    before, started = _peak_rss(), sandbox.started
    with pytest.raises(error) as info:
        _render(app, repo, sandbox, timeout=60)
    assert "main.jsonnet" in str(info.value)
    assert _peak_rss() - before < 200 * MiB  # the caller's memory stayed bounded
    (repo / "app" / "main.jsonnet").write_text("[{kind: 'ConfigMap', metadata: {name: 'ok'}}]")
    assert [o["metadata"]["name"] for o in _render(app, repo, sandbox).manifests] == ["ok"]
    assert sandbox.started == started + 1  # the crashed worker was replaced once


def test_jsonnet_past_the_timeout_is_stopped(
    repo: Path, app_for: AppFor, sandbox: EngineSandbox
) -> None:
    """A long evaluation stops at the render's timeout with CommandTimeoutError."""
    program = "std.length([0 for i in std.range(0, 1e5) for j in std.range(0, 1e5) if false])"
    app = _jsonnet_app(repo, program + "\n", app_for)
    start = time.monotonic()
    with pytest.raises(CommandTimeoutError, match="timed out after 2s"):
        _render(app, repo, sandbox, timeout=2)
    assert time.monotonic() - start < 15


def test_huge_jsonnet_output_is_capped(repo: Path, app_for: AppFor, sandbox: EngineSandbox) -> None:
    """Output past the cap is refused by the worker, which stays in service."""
    app = _jsonnet_app(
        repo,
        "[{kind: 'ConfigMap', metadata: {name: 'c' + i}} for i in std.range(0, 20000)]\n",
        app_for,
    )
    sandbox.call("ping", {}, timeout=60, source_type=None, path=None)  # a worker is up
    started = sandbox.started
    with pytest.raises(RenderError, match="more than 262144 bytes"):
        _render(app, repo, sandbox, options={"engine_max_output": 256 * 1024})
    assert sandbox.started == started  # an error reply, not a crash


RUNAWAY_HELM = {
    "until 2000000000": ("{{ range until 2000000000 }}x{{ end }}", RenderError),
    "nested until loops": (
        "{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}",
        CommandTimeoutError,
    ),
    "400 MB value": ('{{ repeat 400000000 "x" }}', RenderError),
}


@pytest.mark.parametrize("case", sorted(RUNAWAY_HELM))
def test_runaway_helm_template_ends_the_render_not_the_caller(
    repo: Path, app_for: AppFor, sandbox: EngineSandbox, case: str
) -> None:
    """A loop past the timeout or a huge templated value fails the render; the caller lives."""
    body, error = RUNAWAY_HELM[case]
    write_chart(
        repo / "app",
        f'apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\ndata:\n  x: "{body}"\n',
    )
    before = _peak_rss()
    start = time.monotonic()
    with pytest.raises(error):
        _render(app_for({"path": "app"}), repo, sandbox, timeout=3)
    assert time.monotonic() - start < 30
    assert _peak_rss() - before < 200 * MiB


def test_helm_error_comes_back_as_itself(
    repo: Path, app_for: AppFor, sandbox: EngineSandbox
) -> None:
    """A template error in the worker is raised as the same located error class."""
    write_chart(
        repo / "app", 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ fail "no" }}}\n'
    )
    with pytest.raises(gitopslib.errors.RenderError) as info:
        _render(app_for({"path": "app"}), repo, sandbox)
    assert type(info.value).__name__ == "HelmTemplateError"
    assert getattr(info.value, "template", None) == "c/templates/cm.yaml"


def test_default_sandbox_is_reused_across_renders(repo: Path, app_for: AppFor) -> None:
    """Without options, renders share the process-wide pool (no worker per render)."""
    from gitopslib.sources._sandbox import default_sandbox

    write_chart(repo / "app")
    app = app_for({"path": "app"})
    gitopslib.render(app, repo_root=repo)
    started = default_sandbox().started
    for _ in range(3):
        gitopslib.render(app, repo_root=repo, no_cache=True)
    assert default_sandbox().started == started


def test_cli_survives_a_go_fatal_error(
    repo: Path, app_for: AppFor, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`gitopslib render` on a stack-overflowing Jsonnet file: one error line, exit 2."""
    app = _jsonnet_app(repo, "local f(x) = f(x + 1) tailstrict;\nf(0)\n", app_for)
    app_file = tmp_path / "app.yaml"
    app_file.write_text(app.to_yaml())
    code = main(["render", str(app_file), "--repo-root", str(repo)], out=io.StringIO())
    err = capsys.readouterr().err
    assert code == 2
    assert "main.jsonnet" in err and "engine" in err
    assert len(err.strip().splitlines()) == 1


def test_kustomize_output_is_capped(repo: Path, app_for: AppFor) -> None:
    """The kustomize process is held to the runner's output cap (and its timeout)."""
    (repo / "cm.yaml").write_text(CM.replace("{a: b}", "{a: " + "x" * 5000 + "}"))
    (repo / "kustomization.yaml").write_text("resources: [cm.yaml]\n")
    with pytest.raises(CommandError, match="more than 2000 bytes"):
        gitopslib.render(
            app_for({"path": "."}), repo_root=repo, runner=SubprocessRunner(max_output=2000)
        )
