"""Config management plugins (CMP v2) run for real: small plugin scripts in tests/sources/plugins.

Expected values are derived by hand from Argo CD's rules (argocd-semantics.md §10, §13.3);
each test says which rule it checks.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitopslib.errors import (
    CommandError,
    CommandTimeoutError,
    ManifestError,
    RenderError,
    ValidationError,
)
from gitopslib.models import Application
from gitopslib.sources._base import RenderContext
from gitopslib.sources._plugin_config import load_plugin_config, load_plugins
from gitopslib.sources.plugin import PluginRenderer, param_env

SCRIPTS = Path(__file__).resolve().parent / "plugins"
SH = "/bin/sh"
REVISION = "0123456789abcdef0123456789abcdef01234567"


def write_plugin(
    plugins_dir: Path,
    name: str,
    *,
    generate: list[str],
    init: list[str] | None = None,
    version: str | None = None,
    discover: dict[str, Any] | None = None,
    parameters: dict[str, Any] | None = None,
    preserve_file_mode: bool = False,
) -> Path:
    """Write a ConfigManagementPlugin file the way an operator would."""
    spec: dict[str, Any] = {"generate": {"command": generate}}
    if version:
        spec["version"] = version
    if init:
        spec["init"] = {"command": init}
    if discover:
        spec["discover"] = discover
    if parameters:
        spec["parameters"] = parameters
    if preserve_file_mode:
        spec["preserveFileMode"] = True
    doc = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ConfigManagementPlugin",
        "metadata": {"name": name},
        "spec": spec,
    }
    plugins_dir.mkdir(parents=True, exist_ok=True)
    path = plugins_dir / f"{name}-{version or 'x'}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def make_ctx(
    repo: Path,
    path: str = "app",
    *,
    plugin: dict[str, Any] | None = None,
    plugins_dir: Path | None = None,
    app_name: str = "envapp",
    app_namespace: str = "argocd",
    timeout: float = 30.0,
    kube_version: str | None = "v1.30.2+k3s1",
) -> RenderContext:
    """A RenderContext for an Application whose source is ``repo/path``."""
    source: dict[str, Any] = {
        "repoURL": "https://git.example.com/org/repo.git",
        "path": path,
        "targetRevision": "main",
    }
    if plugin is not None:
        source["plugin"] = plugin
    doc = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": app_name, "namespace": app_namespace},
        "spec": {
            "project": "proj",
            "source": source,
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "team-a"},
        },
    }
    app = Application.from_yaml(yaml.safe_dump(doc))
    assert app.spec.source is not None
    return RenderContext(
        app=app,
        source=app.spec.source,
        repo_root=repo,
        app_dir=repo / path,
        revision=REVISION,
        kube_version=kube_version,
        api_versions=("v1", "apps/v1"),
        plugins_dir=plugins_dir,
        timeout=timeout,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A small repository: app/ (with one ConfigMap) and other/."""
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    (root / "other").mkdir()
    (root / "app" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-repo\ndata:\n  k: v\n"
    )
    (root / "other" / "x.txt").write_text("x")
    return root


def generate_py() -> list[str]:
    return [sys.executable, str(SCRIPTS / "generate.py")]


def env_of(objs: list[dict[str, Any]]) -> dict[str, str]:
    (cm,) = [o for o in objs if o["metadata"]["name"] == "plugin-env"]
    return dict(cm["data"])


# --- discovery -------------------------------------------------------------------------------


def test_discovery_by_file_name_selects_unnamed_plugin(repo: Path, tmp_path: Path) -> None:
    """An app without a plugin block is claimed by a plugin whose fileName glob matches."""
    plugins = tmp_path / "plugins"
    write_plugin(
        plugins,
        "yamls",
        generate=[SH, str(SCRIPTS / "cat-yaml.sh")],
        discover={"fileName": "*.yaml"},
    )
    ctx = make_ctx(repo, plugins_dir=plugins)
    renderer = PluginRenderer()
    chosen = renderer.discover(ctx)
    assert chosen is not None and chosen.identity == "yamls"
    objs = renderer.render(ctx)
    assert [o["metadata"]["name"] for o in objs] == ["from-repo"]


def test_discovery_by_file_name_does_not_match_elsewhere(repo: Path, tmp_path: Path) -> None:
    """A fileName glob is evaluated in the app directory only (other/ has no YAML)."""
    plugins = tmp_path / "plugins"
    write_plugin(
        plugins,
        "yamls",
        generate=[SH, str(SCRIPTS / "cat-yaml.sh")],
        discover={"fileName": "*.yaml"},
    )
    ctx = make_ctx(repo, path="other", plugins_dir=plugins)
    assert PluginRenderer().discover(ctx) is None
    with pytest.raises(RenderError, match="no plugin's discovery rule matches"):
        PluginRenderer().render(ctx)


def test_discovery_by_find_glob_with_double_star(repo: Path, tmp_path: Path) -> None:
    """find.glob supports ``**`` across directories (zglob in Argo CD)."""
    deep = repo / "app" / "a" / "b"
    deep.mkdir(parents=True)
    (deep / "thing.special").write_text("")
    plugins = tmp_path / "plugins"
    write_plugin(
        plugins,
        "special",
        generate=[SH, str(SCRIPTS / "cat-yaml.sh")],
        discover={"find": {"glob": "**/*.special"}},
    )
    assert PluginRenderer().discover(make_ctx(repo, plugins_dir=plugins)) is not None
    assert PluginRenderer().discover(make_ctx(repo, "other", plugins_dir=plugins)) is None


def test_discovery_by_command_needs_exit_zero_and_output(repo: Path, tmp_path: Path) -> None:
    """find.command matches iff it exits 0 with non-empty stdout (run in the app dir)."""
    plugins = tmp_path / "plugins"
    write_plugin(
        plugins,
        "cmd",
        generate=[SH, str(SCRIPTS / "cat-yaml.sh")],
        discover={"find": {"command": [SH, str(SCRIPTS / "discover.sh")]}},
    )
    ctx = make_ctx(repo, plugins_dir=plugins)
    assert PluginRenderer().discover(ctx) is None  # exit 0, but no output
    (repo / "app" / ".use-test-plugin").write_text("")
    assert PluginRenderer().discover(ctx) is not None


def test_discovery_command_failure_means_no_match(repo: Path, tmp_path: Path) -> None:
    """A find.command that exits non-zero does not claim the app (Argo CD logs and skips)."""
    plugins = tmp_path / "plugins"
    write_plugin(
        plugins,
        "broken",
        generate=[SH, str(SCRIPTS / "cat-yaml.sh")],
        discover={"find": {"command": [SH, str(SCRIPTS / "fail.sh")]}},
    )
    assert PluginRenderer().discover(make_ctx(repo, plugins_dir=plugins)) is None


def test_first_configured_discovery_rule_decides(repo: Path, tmp_path: Path) -> None:
    """With fileName set, a non-matching fileName wins over a glob that would match."""
    plugins = tmp_path / "plugins"
    write_plugin(
        plugins,
        "both",
        generate=[SH, str(SCRIPTS / "cat-yaml.sh")],
        discover={"fileName": "*.nothing", "find": {"glob": "*.yaml"}},
    )
    assert PluginRenderer().discover(make_ctx(repo, plugins_dir=plugins)) is None


def test_plugins_without_discovery_are_never_auto_selected(repo: Path, tmp_path: Path) -> None:
    """An unnamed app is not rendered by a plugin that has no discovery rule."""
    plugins = tmp_path / "plugins"
    write_plugin(plugins, "plain", generate=[SH, str(SCRIPTS / "cat-yaml.sh")])
    assert PluginRenderer().discover(make_ctx(repo, plugins_dir=plugins)) is None


def test_auto_detection_tries_plugins_in_identity_order(repo: Path, tmp_path: Path) -> None:
    """Two matching plugins: the first by identity (Argo CD's socket order) wins."""
    plugins = tmp_path / "plugins"
    for name in ("zeta", "alpha"):
        write_plugin(
            plugins,
            name,
            generate=[SH, str(SCRIPTS / "cat-yaml.sh")],
            discover={"fileName": "cm.yaml"},
        )
    chosen = PluginRenderer().discover(make_ctx(repo, plugins_dir=plugins))
    assert chosen is not None and chosen.identity == "alpha"


# --- named plugins ---------------------------------------------------------------------------


def test_named_plugin_without_discovery_is_used(repo: Path, tmp_path: Path) -> None:
    """A plugin named by the source is used when it has no discovery configured."""
    plugins = tmp_path / "plugins"
    write_plugin(plugins, "plain", generate=[SH, str(SCRIPTS / "cat-yaml.sh")])
    ctx = make_ctx(repo, plugin={"name": "plain"}, plugins_dir=plugins)
    assert [o["metadata"]["name"] for o in PluginRenderer().render(ctx)] == ["from-repo"]


def test_named_plugin_whose_discovery_fails_is_refused(repo: Path, tmp_path: Path) -> None:
    """A named plugin with discovery must match: otherwise Argo CD's "couldn't find" error."""
    plugins = tmp_path / "plugins"
    write_plugin(
        plugins,
        "picky",
        generate=[SH, str(SCRIPTS / "cat-yaml.sh")],
        discover={"fileName": "Kasanefile"},
    )
    ctx = make_ctx(repo, plugin={"name": "picky"}, plugins_dir=plugins)
    with pytest.raises(RenderError, match="couldn't find plugin with name 'picky'"):
        PluginRenderer().render(ctx)


def test_versioned_plugin_is_named_name_dash_version(repo: Path, tmp_path: Path) -> None:
    """With spec.version, the plugin's name is <name>-<version>; the bare name does not match."""
    plugins = tmp_path / "plugins"
    write_plugin(plugins, "tool", version="v2.1", generate=[SH, str(SCRIPTS / "cat-yaml.sh")])
    ok = make_ctx(repo, plugin={"name": "tool-v2.1"}, plugins_dir=plugins)
    assert len(PluginRenderer().render(ok)) == 1
    bare = make_ctx(repo, plugin={"name": "tool"}, plugins_dir=plugins)
    with pytest.raises(RenderError, match=r"tool-v2\.1"):
        PluginRenderer().render(bare)


# --- execution -------------------------------------------------------------------------------


def test_init_runs_before_generate_in_the_same_directory(repo: Path, tmp_path: Path) -> None:
    """init's side effects in the app dir are visible to generate; both run in app/."""
    plugins = tmp_path / "plugins"
    write_plugin(plugins, "gen", init=[SH, str(SCRIPTS / "init.sh")], generate=generate_py())
    objs = PluginRenderer().render(make_ctx(repo, plugin={"name": "gen"}, plugins_dir=plugins))
    env = env_of(objs)
    assert env["init-marker"] == "initialized-by-init"
    assert env["cwd"] == "app"


def test_output_is_parsed_as_a_yaml_and_json_stream(repo: Path, tmp_path: Path) -> None:
    """generate's stdout may mix YAML and JSON documents."""
    plugins = tmp_path / "plugins"
    write_plugin(plugins, "gen", generate=generate_py())
    objs = PluginRenderer().render(make_ctx(repo, plugin={"name": "gen"}, plugins_dir=plugins))
    assert [o["metadata"]["name"] for o in objs] == ["plugin-env", "from-json"]


def test_plugin_writes_go_to_a_scratch_copy(repo: Path, tmp_path: Path) -> None:
    """A plugin writing into its working directory leaves the repository untouched."""
    plugins = tmp_path / "plugins"
    write_plugin(plugins, "writer", generate=[SH, str(SCRIPTS / "write-into-cwd.sh")])
    before = sorted(p.name for p in (repo / "app").iterdir())
    objs = PluginRenderer().render(make_ctx(repo, plugin={"name": "writer"}, plugins_dir=plugins))
    assert objs[0]["metadata"]["name"] == "wrote"
    assert sorted(p.name for p in (repo / "app").iterdir()) == before


def test_file_modes_are_dropped_unless_preserve_file_mode(repo: Path, tmp_path: Path) -> None:
    """An executable script in the repo loses its mode in the copy (Argo CD's tar stream)
    unless the plugin sets preserveFileMode."""
    script = repo / "app" / "gen.sh"
    shutil.copyfile(SCRIPTS / "cat-yaml.sh", script)
    script.chmod(0o755)
    plugins = tmp_path / "plugins"
    write_plugin(plugins, "local", generate=["./gen.sh"])
    write_plugin(plugins, "localx", generate=["./gen.sh"], preserve_file_mode=True)
    with pytest.raises(CommandError) as info:
        PluginRenderer().render(make_ctx(repo, plugin={"name": "local"}, plugins_dir=plugins))
    assert info.value.exit_code == 126
    objs = PluginRenderer().render(make_ctx(repo, plugin={"name": "localx"}, plugins_dir=plugins))
    assert [o["metadata"]["name"] for o in objs] == ["from-repo"]


def test_plugin_renders_a_corpus_app(example_apps: Path, tmp_path: Path) -> None:
    """A cat-the-YAML plugin over the corpus guestbook yields exactly its two files' objects."""
    plugins = tmp_path / "plugins"
    write_plugin(plugins, "yamls", generate=[SH, str(SCRIPTS / "cat-yaml.sh")])
    ctx = make_ctx(example_apps, "guestbook", plugin={"name": "yamls"}, plugins_dir=plugins)
    objs = PluginRenderer().render(ctx)
    expected = []
    for f in sorted((example_apps / "guestbook").glob("*.yaml")):
        expected += [d for d in yaml.safe_load_all(f.read_text()) if d]
    assert objs == expected


# --- environment -----------------------------------------------------------------------------


def test_build_env_variables_reach_the_plugin(repo: Path, tmp_path: Path) -> None:
    """ARGOCD_APP_* carry name, destination namespace, project, revision (+ short forms),
    repo URL, path and target revision (§10.4 item 1)."""
    plugins = tmp_path / "plugins"
    write_plugin(plugins, "gen", generate=generate_py())
    env = env_of(
        PluginRenderer().render(make_ctx(repo, plugin={"name": "gen"}, plugins_dir=plugins))
    )
    assert env["ARGOCD_APP_NAME"] == "envapp"
    assert env["ARGOCD_APP_NAMESPACE"] == "team-a"
    assert env["ARGOCD_APP_PROJECT_NAME"] == "proj"
    assert env["ARGOCD_APP_REVISION"] == REVISION
    assert env["ARGOCD_APP_REVISION_SHORT"] == REVISION[:7]
    assert env["ARGOCD_APP_REVISION_SHORT_8"] == REVISION[:8]
    assert env["ARGOCD_APP_SOURCE_REPO_URL"] == "https://git.example.com/org/repo.git"
    assert env["ARGOCD_APP_SOURCE_PATH"] == "app"
    assert env["ARGOCD_APP_SOURCE_TARGET_REVISION"] == "main"


def test_app_outside_controller_namespace_gets_instance_name(repo: Path, tmp_path: Path) -> None:
    """ARGOCD_APP_NAME is <namespace>_<name> for an app outside the controller namespace."""
    plugins = tmp_path / "plugins"
    write_plugin(plugins, "gen", generate=generate_py())
    ctx = make_ctx(repo, plugin={"name": "gen"}, plugins_dir=plugins, app_namespace="team-apps")
    assert env_of(PluginRenderer().render(ctx))["ARGOCD_APP_NAME"] == "team-apps_envapp"


def test_kube_version_and_api_versions(repo: Path, tmp_path: Path) -> None:
    """KUBE_VERSION is the version without its build metadata, as Argo CD's
    parseKubeVersion prints it (v1.30.2+k3s1 -> 1.30.2); KUBE_API_VERSIONS is comma-joined
    (§10.4 item 2)."""
    plugins = tmp_path / "plugins"
    write_plugin(plugins, "gen", generate=generate_py())
    env = env_of(
        PluginRenderer().render(make_ctx(repo, plugin={"name": "gen"}, plugins_dir=plugins))
    )
    assert env["KUBE_VERSION"] == "1.30.2"
    assert env["KUBE_API_VERSIONS"] == "v1,apps/v1"


def test_user_env_is_prefixed_and_substituted(repo: Path, tmp_path: Path) -> None:
    """plugin.env entries become ARGOCD_ENV_<name>, values envsubst'ed against the build env
    and KUBE_*; $$ is a literal $; empty values are not set (§10.4 item 3)."""
    plugins = tmp_path / "plugins"
    write_plugin(plugins, "gen", generate=generate_py())
    plugin = {
        "name": "gen",
        "env": [
            {"name": "FOO", "value": "$ARGOCD_APP_NAME-${KUBE_VERSION}"},
            {"name": "LIT", "value": "a$$b"},
            {"name": "UNKNOWN", "value": "[$NOT_SET]"},
            {"name": "EMPTY", "value": ""},
        ],
    }
    env = env_of(PluginRenderer().render(make_ctx(repo, plugin=plugin, plugins_dir=plugins)))
    assert env["ARGOCD_ENV_FOO"] == "envapp-1.30.2"
    assert env["ARGOCD_ENV_LIT"] == "a$b"
    assert env["ARGOCD_ENV_UNKNOWN"] == "[]"
    assert "ARGOCD_ENV_EMPTY" not in env


def test_parameters_as_json_and_param_variables(repo: Path, tmp_path: Path) -> None:
    """ARGOCD_APP_PARAMETERS is Go's JSON of the app's parameters (keys sorted, compact);
    PARAM_<ESC(name)>[_<ESC(key)>|_<i>] per value (§10.4 item 4)."""
    plugins = tmp_path / "plugins"
    write_plugin(plugins, "gen", generate=generate_py())
    plugin = {
        "name": "gen",
        "parameters": [
            {"name": "image-tag", "string": "v1.2"},
            {"name": "values", "array": ["a", "b"]},
            {"name": "helm.set", "map": {"replica-count": "2"}},
        ],
    }
    env = env_of(PluginRenderer().render(make_ctx(repo, plugin=plugin, plugins_dir=plugins)))
    assert env["ARGOCD_APP_PARAMETERS"] == (
        '[{"name":"image-tag","string":"v1.2"},{"array":["a","b"],"name":"values"},'
        '{"map":{"replica-count":"2"},"name":"helm.set"}]'
    )
    assert env["PARAM_IMAGE_TAG"] == "v1.2"
    assert (env["PARAM_VALUES_0"], env["PARAM_VALUES_1"]) == ("a", "b")
    assert env["PARAM_HELM_SET_REPLICA_COUNT"] == "2"


def test_param_env_escapes_html_like_go() -> None:
    """Go's encoding/json escapes <, > and & inside strings."""
    env = param_env([{"name": "q", "string": "<a&b>"}])
    assert env["ARGOCD_APP_PARAMETERS"] == '[{"name":"q","string":"\\u003ca\\u0026b\\u003e"}]'


def test_no_parameters_sends_null(repo: Path, tmp_path: Path) -> None:
    """A plugin block without parameters sends ARGOCD_APP_PARAMETERS=null (Go's nil slice)."""
    plugins = tmp_path / "plugins"
    write_plugin(plugins, "gen", generate=generate_py())
    env = env_of(
        PluginRenderer().render(make_ctx(repo, plugin={"name": "gen"}, plugins_dir=plugins))
    )
    assert env["ARGOCD_APP_PARAMETERS"] == "null"


def test_auto_detection_discovery_sees_only_build_vars(repo: Path, tmp_path: Path) -> None:
    """During auto-detection the find command gets ARGOCD_APP_* only, no KUBE_* (§10.4)."""
    record = tmp_path / "discover-env.txt"
    (repo / "app" / ".use-test-plugin").write_text("")
    plugins = tmp_path / "plugins"
    write_plugin(
        plugins,
        "cmd",
        generate=generate_py(),
        discover={"find": {"command": [SH, str(SCRIPTS / "discover.sh"), str(record)]}},
    )
    ctx = make_ctx(repo, plugins_dir=plugins)
    objs = PluginRenderer().render(ctx)
    names = {line.split("=", 1)[0] for line in record.read_text().splitlines()}
    assert "ARGOCD_APP_NAME" in names
    assert not any(n.startswith(("KUBE_", "ARGOCD_ENV_", "PARAM_")) for n in names)
    assert "ARGOCD_APP_PARAMETERS" not in names
    # generation after auto-detection gets KUBE_* but no parameters (no plugin block)
    env = env_of(objs)
    assert env["KUBE_VERSION"] == "1.30.2"
    assert "ARGOCD_APP_PARAMETERS" not in env


def test_named_discovery_sees_the_full_environment(repo: Path, tmp_path: Path) -> None:
    """A named plugin's find command gets the full set, ARGOCD_ENV_* included."""
    record = tmp_path / "discover-env.txt"
    (repo / "app" / ".use-test-plugin").write_text("")
    plugins = tmp_path / "plugins"
    write_plugin(
        plugins,
        "cmd",
        generate=generate_py(),
        discover={"find": {"command": [SH, str(SCRIPTS / "discover.sh"), str(record)]}},
    )
    plugin = {"name": "cmd", "env": [{"name": "X", "value": "1"}]}
    PluginRenderer().render(make_ctx(repo, plugin=plugin, plugins_dir=plugins))
    lines = set(record.read_text().splitlines())
    assert {"ARGOCD_ENV_X=1", "KUBE_VERSION=1.30.2", "ARGOCD_APP_PARAMETERS=null"} <= lines


# --- failures --------------------------------------------------------------------------------


def test_failing_plugin_shows_command_exit_code_and_stderr(repo: Path, tmp_path: Path) -> None:
    """A generate command exiting non-zero fails with the command, exit code and stderr tail."""
    plugins = tmp_path / "plugins"
    write_plugin(plugins, "bad", generate=[SH, str(SCRIPTS / "fail.sh")])
    with pytest.raises(CommandError) as info:
        PluginRenderer().render(make_ctx(repo, plugin={"name": "bad"}, plugins_dir=plugins))
    err = info.value
    assert err.exit_code == 3
    assert err.command == (SH, str(SCRIPTS / "fail.sh"))
    assert "values.yaml: missing key" in err.stderr
    text = str(err)
    assert "fail.sh" in text and "exit" in text and "3" in text
    assert "missing key" in text
    assert err.source_type == "Plugin"


def test_plugin_tool_not_installed_says_so(repo: Path, tmp_path: Path) -> None:
    """A generate command whose program is missing (the shell answers 127) says the tool is
    probably not installed, not just "exited with code 127"."""
    plugins = tmp_path / "plugins"
    write_plugin(plugins, "absent", generate=[SH, "-c", "no-such-tool-gitopslib generate"])
    with pytest.raises(CommandError) as info:
        PluginRenderer().render(make_ctx(repo, plugin={"name": "absent"}, plugins_dir=plugins))
    assert info.value.exit_code == 127
    assert "command not found" in str(info.value)


def test_hanging_plugin_is_stopped_by_the_timeout(repo: Path, tmp_path: Path) -> None:
    """A generate command that never ends is killed after the timeout."""
    plugins = tmp_path / "plugins"
    write_plugin(plugins, "slow", generate=[SH, str(SCRIPTS / "hang.sh")])
    ctx = make_ctx(repo, plugin={"name": "slow"}, plugins_dir=plugins)
    start = time.monotonic()
    with pytest.raises(CommandTimeoutError) as info:
        PluginRenderer(timeout=1.0).render(ctx)
    assert time.monotonic() - start < 10
    assert "timed out" in str(info.value)


def test_context_timeout_applies_too(repo: Path, tmp_path: Path) -> None:
    """Without a renderer timeout, ctx.timeout bounds each plugin command."""
    plugins = tmp_path / "plugins"
    write_plugin(plugins, "slow", generate=[SH, str(SCRIPTS / "hang.sh")])
    ctx = make_ctx(repo, plugin={"name": "slow"}, plugins_dir=plugins, timeout=0.5)
    with pytest.raises(CommandTimeoutError):
        PluginRenderer().render(ctx)


def test_invalid_yaml_output_is_a_manifest_error(repo: Path, tmp_path: Path) -> None:
    """Output that is not a YAML stream of objects fails clearly."""
    plugins = tmp_path / "plugins"
    write_plugin(plugins, "echo", generate=["/bin/echo", "just a string"])
    with pytest.raises(ManifestError, match="not a Kubernetes object"):
        PluginRenderer().render(make_ctx(repo, plugin={"name": "echo"}, plugins_dir=plugins))


def test_arguments_are_not_interpreted_by_a_shell(repo: Path, tmp_path: Path) -> None:
    """Commands run without a shell: $(...) and ; in arguments reach the program verbatim."""
    plugins = tmp_path / "plugins"
    write_plugin(
        plugins,
        "echo",
        generate=["/bin/echo", "kind: ConfigMap\nmetadata: {name: literal}\ndata: {v: '$(id);x'}"],
    )
    objs = PluginRenderer().render(make_ctx(repo, plugin={"name": "echo"}, plugins_dir=plugins))
    assert objs[0]["data"]["v"] == "$(id);x"


# --- parameters announcement and config files -----------------------------------------------


def test_parameters_announcement_dynamic_then_static(repo: Path, tmp_path: Path) -> None:
    """Dynamic announcements come first, static ones after (static take precedence)."""
    plugins = tmp_path / "plugins"
    write_plugin(
        plugins,
        "params",
        generate=generate_py(),
        parameters={
            "static": [{"name": "stat", "title": "static one"}],
            "dynamic": {"command": [SH, str(SCRIPTS / "dynamic-params.sh")]},
        },
    )
    ctx = make_ctx(repo, plugin={"name": "params"}, plugins_dir=plugins)
    got = PluginRenderer().parameters_announcement(ctx)
    assert [p["name"] for p in got] == ["dyn", "stat"]


def test_plugin_file_needs_the_exact_kind(tmp_path: Path) -> None:
    """kind must be ConfigManagementPlugin; the error names file and field."""
    path = tmp_path / "plugin.yaml"
    path.write_text(
        "apiVersion: argoproj.io/v1alpha1\n"
        "kind: Plugin\nmetadata: {name: x}\nspec: {generate: {command: [cat]}}\n"
    )
    with pytest.raises(ValidationError) as info:
        load_plugin_config(path)
    assert info.value.file == str(path) and info.value.field == "kind"


def test_plugin_file_needs_a_generate_command(tmp_path: Path) -> None:
    """spec.generate.command must be non-empty."""
    path = tmp_path / "plugin.yaml"
    path.write_text(
        "apiVersion: argoproj.io/v1alpha1\n"
        "kind: ConfigManagementPlugin\nmetadata: {name: x}\nspec: {}\n"
    )
    with pytest.raises(ValidationError, match="generate"):
        load_plugin_config(path)


def test_plugins_directory_layouts(tmp_path: Path) -> None:
    """A plugins dir holds top-level YAML files and <sidecar>/plugin.yaml files."""
    write_plugin(tmp_path / "p", "b", generate=["x"])
    sub = tmp_path / "p" / "sidecar"
    sub.mkdir()
    (sub / "plugin.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\n"
        "kind: ConfigManagementPlugin\nmetadata: {name: a}\nspec: {generate: {command: [cat]}}\n"
    )
    assert [p.identity for p in load_plugins(tmp_path / "p")] == ["a", "b"]


def test_duplicate_plugin_names_are_an_error(tmp_path: Path) -> None:
    """Two plugins with one identity cannot both be served."""
    write_plugin(tmp_path / "p", "same", generate=["x"])
    (tmp_path / "p" / "again.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\n"
        "kind: ConfigManagementPlugin\nmetadata: {name: same}\nspec: {generate: {command: [cat]}}\n"
    )
    with pytest.raises(ValidationError, match="defined twice"):
        load_plugins(tmp_path / "p")


def test_cache_key_changes_with_plugin_env(repo: Path, tmp_path: Path) -> None:
    """The cache key names the plugin and changes when the plugin environment changes."""
    plugins = tmp_path / "plugins"
    write_plugin(plugins, "gen", generate=generate_py())
    a = PluginRenderer().cache_key(make_ctx(repo, plugin={"name": "gen"}, plugins_dir=plugins))
    b = PluginRenderer().cache_key(
        make_ctx(
            repo, plugin={"name": "gen", "env": [{"name": "X", "value": "1"}]}, plugins_dir=plugins
        )
    )
    assert a is not None and a.startswith("plugin/gen ") and a != b
