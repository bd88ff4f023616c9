"""Every process gitopslib starts runs without a shell, under a timeout that really bounds
it, with a minimal environment (no host credentials)."""

from __future__ import annotations

import ast
import os
import time
from pathlib import Path

import pytest
import yaml
from sec_fixtures import AppFor

import gitopslib
from gitopslib.errors import CommandError, CommandTimeoutError
from gitopslib.sources._base import SubprocessRunner, minimal_env

PACKAGE = Path(gitopslib.__file__).resolve().parent


def _plugin(plugins: Path, name: str, command: list[str]) -> None:
    plugins.mkdir(exist_ok=True)
    doc = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ConfigManagementPlugin",
        "metadata": {"name": name},
        "spec": {"generate": {"command": command}},
    }
    (plugins / f"{name}.yaml").write_text(yaml.safe_dump(doc))


def test_timeout_holds_when_a_descendant_escapes_the_process_group(tmp_path: Path) -> None:
    """A child that leaves the group (setsid) and keeps the pipes open cannot stall the run."""
    start = time.monotonic()
    with pytest.raises(CommandTimeoutError):
        SubprocessRunner().run(
            ["/bin/sh", "-c", "setsid sleep 30 & echo started; sleep 30"],
            cwd=tmp_path,
            env=minimal_env(),
            timeout=1,
        )
    assert time.monotonic() - start < 10  # 1 s timeout + a bounded drain, not 30 s


def test_plugin_timeout_bounds_a_daemonising_plugin(
    repo: Path, app_for: AppFor, tmp_path: Path
) -> None:
    """Through render(): a plugin leaving a daemon behind fails at the timeout, named."""
    plugins = tmp_path / "plugins"
    _plugin(plugins, "daemon", ["/bin/sh", "-c", "setsid sleep 30 & echo 'kind: ConfigMap'"])
    (repo / "app").mkdir()
    start = time.monotonic()
    with pytest.raises(CommandTimeoutError, match="daemon"):
        gitopslib.render(
            app_for({"path": "app", "plugin": {"name": "daemon"}}),
            repo_root=repo,
            plugins_dir=plugins,
            timeout=1,
        )
    assert time.monotonic() - start < 10


def test_invalid_environment_name_is_a_command_error(tmp_path: Path) -> None:
    """A plugin env name Popen cannot pass ('=' in it) is reported in the error tree."""
    with pytest.raises(CommandError, match="cannot be started"):
        SubprocessRunner().run(["true"], cwd=tmp_path, env={"ARGOCD_ENV_X=Y": "v"}, timeout=5)


def test_plugin_sees_no_host_credentials(
    repo: Path, app_for: AppFor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Host variables (cloud keys, tokens, kubeconfig, ssh agent) never reach a plugin."""
    host = {
        "AWS_SECRET_ACCESS_KEY": "host-secret-1",
        "GITHUB_TOKEN": "host-secret-2",
        "KUBECONFIG": "/host-secret-3",
        "SSH_AUTH_SOCK": "/host-secret-4",
        "GIT_ASKPASS": "host-secret-5",
        "HELM_REPOSITORY_CONFIG": "/host-secret-6",
    }
    for key, value in host.items():
        monkeypatch.setenv(key, value)
    plugins = tmp_path / "plugins"
    script = (
        "printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: env}\\ndata:\\n'; "
        "env | cut -d= -f1 | sort | sed 's/.*/  &: \"1\"/'"
    )
    _plugin(plugins, "env", ["/bin/sh", "-c", script])
    (repo / "app").mkdir()
    result = gitopslib.render(
        app_for({"path": "app", "plugin": {"name": "env"}}), repo_root=repo, plugins_dir=plugins
    )
    seen = set(result.manifests[0]["data"])
    assert not seen & set(host)
    # what does get through: the build environment and a handful of basics
    assert "ARGOCD_APP_NAME" in seen
    assert seen <= {
        *("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR", "PWD"),
        *(k for k in seen if k.startswith(("ARGOCD_", "KUBE_", "PARAM_", "SHLVL", "_"))),
    }


def _calls(tree: ast.AST) -> list[tuple[str, ast.Call]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = (
                func.attr
                if isinstance(func, ast.Attribute)
                else func.id
                if isinstance(func, ast.Name)
                else ""
            )
            if name in {"Popen", "run", "call", "check_call", "check_output", "system", "popen"}:
                found.append((name, node))
    return found


def test_no_subprocess_call_uses_a_shell() -> None:
    """No call in the package passes shell=True (or uses os.system/os.popen)."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name, call in _calls(tree):
            shell = any(
                kw.arg == "shell"
                and not (isinstance(kw.value, ast.Constant) and kw.value.value is False)
                for kw in call.keywords
            )
            if shell or name in {"system", "popen"}:
                offenders.append(f"{path.relative_to(PACKAGE)}:{call.lineno}")
    assert offenders == []


def test_every_subprocess_run_has_a_timeout() -> None:
    """subprocess.run/check_output calls pass timeout=; Popen is only used where the
    timeout is enforced around it (the runner) or by the tool's own options (ssh)."""
    missing, popens = [], []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "subprocess" not in text:
            continue
        for name, call in _calls(ast.parse(text)):
            where = f"{path.relative_to(PACKAGE).as_posix()}:{call.lineno}"
            if not (isinstance(call.func, ast.Attribute) and call.func.value):
                continue
            owner = call.func.value
            if not (isinstance(owner, ast.Name) and owner.id == "subprocess"):
                continue
            if name == "Popen":
                popens.append(where.split(":")[0])
            elif not any(kw.arg == "timeout" for kw in call.keywords):
                missing.append(where)
    assert missing == []
    # the runner (communicate(timeout=...) + process-group kill), the engine sandbox (a
    # deadline per request, then a process-group kill) and the ssh vendor (ConnectTimeout/
    # ServerAlive options, closed by the client) are the only Popen users
    assert sorted(set(popens)) == ["git/_transport.py", "sources/_base.py", "sources/_sandbox.py"]


def test_minimal_env_drops_everything_but_the_basics(monkeypatch: pytest.MonkeyPatch) -> None:
    """minimal_env keeps PATH-like basics only, then adds what the caller passes."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("PATH", "/usr/bin")
    env = minimal_env({"ARGOCD_APP_NAME": "a"})
    assert "AWS_ACCESS_KEY_ID" not in env
    assert env["PATH"] == "/usr/bin"
    assert env["ARGOCD_APP_NAME"] == "a"
    assert set(env) <= {
        "PATH",
        "HOME",
        "LANG",
        "LC_ALL",
        "TMPDIR",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "ARGOCD_APP_NAME",
    }
    assert os.environ["AWS_ACCESS_KEY_ID"] == "x"  # our own environment is untouched


def test_output_flood_is_cut_off_not_buffered(tmp_path: Path) -> None:
    """A process printing without end is killed once it passes max_output bytes."""
    start = time.monotonic()
    with pytest.raises(CommandError, match="printed more than 1000000 bytes"):
        SubprocessRunner(max_output=1_000_000).run(
            ["/bin/sh", "-c", "yes gitopslib"], cwd=tmp_path, env=minimal_env(), timeout=30
        )
    assert time.monotonic() - start < 10


def test_runner_keeps_text_mode_semantics(tmp_path: Path) -> None:
    """stdin reaches the process; output is text with universal newlines; bad UTF-8 is
    replaced rather than raising."""
    result = SubprocessRunner().run(
        ["/bin/sh", "-c", "cat; printf 'a\\r\\nb\\r\\377\\n' ; printf 'oops' >&2"],
        cwd=tmp_path,
        env=minimal_env(),
        stdin="from stdin\n",
        timeout=10,
    )
    assert result.stdout == "from stdin\na\nb\n\ufffd\n"
    assert result.stderr == "oops"
    assert result.exit_code == 0


def test_big_stdin_and_stdout_do_not_deadlock(tmp_path: Path) -> None:
    """Several MB through stdin and back out (pipes fill both ways) completes."""
    payload = "x" * 4_000_000 + "\n"
    result = SubprocessRunner().run(
        ["cat"], cwd=tmp_path, env=minimal_env(), stdin=payload, timeout=30
    )
    assert result.stdout == payload
