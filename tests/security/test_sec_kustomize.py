"""Kustomize confinement before kustomize runs: a kustomization the pre-check cannot read is
refused, remote and ``file://`` references are refused (offline by design), and no field that
names files lets kustomize read outside the repository, at any depth of nesting."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from sec_fixtures import STOLEN, AppFor

import gitopslib
from gitopslib.cli import main
from gitopslib.errors import PathEscapeError, RenderError
from gitopslib.sources._base import DEFAULT_TIMEOUT, CommandResult, SubprocessRunner

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: base}\ndata: {a: b}\n"


class RecordingRunner:
    """The real runner, remembering every command so a test can tell whether kustomize ran."""

    def __init__(self) -> None:
        self.commands: list[tuple[str, ...]] = []
        self.real = SubprocessRunner()

    def run(
        self,
        command: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        timeout: float = DEFAULT_TIMEOUT,
        stdin: str | None = None,
        check: bool = True,
    ) -> CommandResult:
        self.commands.append(tuple(command))
        return self.real.run(command, cwd=cwd, env=env, timeout=timeout, stdin=stdin, check=check)

    def built(self) -> bool:
        """Whether a ``kustomize build`` (or ``kubectl kustomize``) ran."""
        return any("build" in c[1:2] or "kustomize" in c[1:2] for c in self.commands)


def refused_before_build(
    app: Any, repo: Path, kind: type[RenderError] = RenderError, **kwargs: Any
) -> RenderError:
    """Render and expect ``kind``, with no build run and nothing of the outside quoted."""
    runner = RecordingRunner()
    with pytest.raises(kind) as info:
        gitopslib.render(app, repo_root=repo, runner=runner, **kwargs)
    assert not runner.built(), runner.commands
    assert STOLEN not in str(info.value)
    return info.value


def write_app(repo: Path, kustomization: bytes | str, *, sub: str = "app") -> Path:
    app = repo / sub
    app.mkdir(parents=True, exist_ok=True)
    (app / "cm.yaml").write_text(CM)
    data = kustomization.encode() if isinstance(kustomization, str) else kustomization
    (app / "kustomization.yaml").write_bytes(data)
    return app


ESCAPE = "resources: [cm.yaml, ../../outside/secret.yaml]\n"


@pytest.mark.parametrize(
    "data",
    [
        b"resources: !x [cm.yaml, ../../outside/secret.yaml]\n",
        b"resources: !!python/tuple [../../outside/secret.yaml]\n",
        "\ufeff".encode("utf-16-le") + ESCAPE.encode("utf-16-le"),
        "\ufeff".encode("utf-16-be") + ESCAPE.encode("utf-16-be"),
        ESCAPE.encode("utf-16-le"),
        ESCAPE.encode("utf-32"),
        b"resources: [cm.yaml, ../../outside/secret.yaml]\n# caf\xe9\n",
        b"resources: [cm.yaml]\n---\nresources: [../../outside/secret.yaml]\n",
        b"- ../../outside/secret.yaml\n",
    ],
    ids=[
        "unknown-tag",
        "python-tag",
        "utf16le-bom",
        "utf16be-bom",
        "utf16-nobom",
        "utf32",
        "latin1",
        "two-documents",
        "not-a-mapping",
    ],
)
@pytest.mark.parametrize("overrides", [None, {"namePrefix": "p-"}])
def test_unreadable_kustomization_is_refused(
    repo: Path, outside: Path, app_for: AppFor, data: bytes, overrides: dict[str, Any] | None
) -> None:
    """Whatever the pre-check cannot read exactly as kustomize would is refused, not skipped."""
    write_app(repo, data)
    source: dict[str, Any] = {"path": "app"}
    if overrides:
        source["kustomize"] = overrides
    refused_before_build(app_for(source), repo)


def test_unreadable_nested_kustomization_is_refused(
    repo: Path, outside: Path, app_for: AppFor
) -> None:
    """The same holds for a base several levels down the tree."""
    write_app(repo, "resources: [../mid]\n")
    write_app(repo, "resources: [../deep]\n", sub="mid")
    write_app(repo, "\ufeff".encode("utf-16-le") + ESCAPE.encode("utf-16-le"), sub="deep")
    err = refused_before_build(app_for({"path": "app"}), repo)
    assert "deep/kustomization.yaml" in str(err)


@pytest.mark.parametrize(
    "entry",
    [
        "https://raw.githubusercontent.com/o/r/main/cm.yaml",
        "http://127.0.0.1:1/cm.yaml",
        "HTTPS://example.com/o/r//base?ref=v1",
        "git::https://example.com/o/r.git//base",
        "git::ssh://git@example.com/o/r",
        "github.com/kubernetes-sigs/kustomize/examples/multibases?ref=v1.0.6",
        "GitHub.com/o/r",
        "gitlab.com/o/r.git",
        "git@example.com:o/r.git//base",
        "example.com:o/r.git",
        "ssh://git@example.com/o/r",
        "file:///tmp/outside-repo",
        "file://../outside",
        "gh:o/r",
        "oci://registry.example.com/o/r",
        "example.com/o/r.git?ref=main",
        "base//sub",
    ],
)
@pytest.mark.parametrize("field", ["resources", "components", "bases", "crds", "transformers"])
def test_remote_entries_are_refused_before_the_engine_runs(
    repo: Path, app_for: AppFor, entry: str, field: str
) -> None:
    """URL-looking entries never reach kustomize, whatever the field."""
    listed = f"{field}:\n- '{entry}'\n"
    write_app(repo, listed if field == "resources" else f"resources: [cm.yaml]\n{listed}")
    refused_before_build(app_for({"path": "app"}), repo)


@pytest.mark.parametrize(
    "kustomization",
    [
        "helmCharts:\n- name: c\n  repo: https://charts.example.com\n  version: 1.0.0\n",
        "helmCharts:\n- name: c\n  repo: oci://registry.example.com/charts\n",
        "helmCharts:\n- name: c\n  valuesFile: https://example.com/values.yaml\n",
        "helmChartInflationGenerator:\n- chartName: c\n  chartRepoUrl: https://example.com\n",
        "helmChartInflationGenerator:\n- chartName: c\n  helmBin: ./evil.sh\n",
        "configMapGenerator:\n- name: g\n  files: [k=https://example.com/x]\n",
        "patches:\n- path: https://example.com/patch.yaml\n",
        "openapi:\n  path: https://example.com/schema.json\n",
        "replacements:\n- path: git::https://example.com/r.git\n",
        "transformers:\n- |-\n  apiVersion: builtin\n  kind: HelmChartInflationGenerator\n"
        "  metadata: {name: x}\n  repo: https://charts.example.com\n  name: c\n",
    ],
)
def test_remote_sources_in_other_fields_are_refused(
    repo: Path, app_for: AppFor, kustomization: str
) -> None:
    """Chart repositories, remote value files, patches, schemas and helmBin are refused."""
    write_app(repo, "resources: [cm.yaml]\n" + kustomization)
    refused_before_build(app_for({"path": "app"}), repo)


@pytest.mark.parametrize(
    "kustomization",
    [
        "RESOURCES: [cm.yaml, ../../outside/secret.yaml]\n",
        "re\u017fources: [cm.yaml, ../../outside/secret.yaml]\n",
        "resources: [cm.yaml]\nresources: [../../outside/secret.yaml]\n",
        "resources: [cm.yaml]\nResources: [../../outside/dir]\n",
        "crds: [../../outside/secret.yaml]\n",
        "configurations: [../../outside/values.yaml]\n",
        "openapi:\n  path: ../../outside/values.yaml\n",
        "replacements:\n- path: ../../outside/values.yaml\n",
        "patchesJson6902:\n- path: ../../outside/values.yaml\n  target: {kind: ConfigMap}\n",
        "patchesStrategicMerge: [../../outside/secret.yaml]\n",
        "secretGenerator:\n- name: s\n  envs: [../../outside/values.yaml]\n",
        "configMapGenerator:\n- name: g\n  env: ../../outside/values.yaml\n",
        "ConfigMapGenerator:\n- Name: g\n  FILES: [../../outside/values.yaml]\n",
        "helmGlobals:\n  chartHome: ../../outside\nhelmCharts:\n- name: chart\n",
        "helmCharts:\n- name: ../../../outside/chart\n",
        "helmCharts:\n- name: c\n  valuesFile: ../../outside/values.yaml\n",
        "helmCharts:\n- name: c\n  additionalValuesFiles: [../../outside/values.yaml]\n",
        "helmChartInflationGenerator:\n- chartName: chart\n  chartHome: ../../outside\n",
        "generators: [../../outside]\n",
        "validators: [../../outside/secret.yaml]\n",
    ],
)
def test_every_field_naming_files_is_confined(
    repo: Path, outside: Path, app_for: AppFor, kustomization: str
) -> None:
    """Each field that names a file or directory is checked, in any spelling kustomize takes."""
    write_app(repo, "resources: [cm.yaml]\n" + kustomization)
    refused_before_build(app_for({"path": "app"}), repo, PathEscapeError)


def test_lexical_climb_through_a_link_is_refused(
    repo: Path, outside: Path, app_for: AppFor
) -> None:
    """``link/../../x`` is judged as kustomize joins it (lexically) and as links resolve."""
    (repo / "deep" / "deeper").mkdir(parents=True)
    write_app(repo, "resources: [cm.yaml, hop/../../outside/dir]\n", sub=".")
    (repo / "hop").symlink_to("deep/deeper")
    (outside / "dir" / "kustomization.yaml").write_text("resources: [s.yaml]\n")
    refused_before_build(app_for({"path": "."}), repo, PathEscapeError)


def test_chart_with_a_link_out_is_refused(repo: Path, outside: Path, app_for: AppFor) -> None:
    """A chart kustomize would inflate may not hold a link leaving the repository."""
    chart = repo / "app" / "charts" / "c"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (chart / "templates" / "x.yaml").symlink_to(outside / "secret.yaml")
    write_app(repo, "helmCharts:\n- name: c\n")
    refused_before_build(
        app_for({"path": "app"}),
        repo,
        PathEscapeError,
        options={"kustomize_build_options": "--enable-helm"},
    )


def test_generator_config_file_unreadable_is_refused(repo: Path, app_for: AppFor) -> None:
    """A generator config file the check cannot read is refused like a kustomization."""
    app = write_app(repo, "resources: [cm.yaml]\ngenerators: [gen.yaml]\n")
    (app / "gen.yaml").write_bytes(b"kind: ConfigMapGenerator\nfiles: !x [../../outside/v]\n")
    refused_before_build(app_for({"path": "app"}), repo)


def test_inline_looking_file_name_outside_is_refused(
    repo: Path, outside: Path, app_for: AppFor
) -> None:
    """An entry that looks inline but names an existing file outside is refused too."""
    (outside / "a: b.yaml").write_text(CM)
    write_app(repo, "resources: [cm.yaml]\npatchesStrategicMerge:\n- '../../outside/a: b.yaml'\n")
    refused_before_build(
        app_for({"path": "app"}),
        repo,
        PathEscapeError,
        options={"kustomize_build_options": "--load-restrictor LoadRestrictionsNone"},
    )


def test_confined_kustomization_still_builds(repo: Path, app_for: AppFor) -> None:
    """A UTF-8 (BOM) kustomization with local bases, generators and patches renders."""
    base = write_app(repo, "resources: [cm.yaml]\n", sub="base")
    (base / "data.txt").write_text("hello")
    write_app(
        repo,
        "\ufeffresources: [../base]\nconfigMapGenerator:\n- name: g\n  files: [k=data.txt]\n"
        "patches:\n- path: p.yaml\n",
    )
    (repo / "app" / "data.txt").write_text("hi")
    (repo / "app" / "p.yaml").write_text(CM.replace("{a: b}", "{a: patched}"))
    result = gitopslib.render(app_for({"path": "app"}), repo_root=repo)
    by_name = {o["metadata"]["name"]: o for o in result.manifests}
    assert by_name["base"]["data"] == {"a": "patched"}
    assert next(v for k, v in by_name.items() if k.startswith("g-"))["data"] == {"k": "hi"}


def test_cli_render_refuses_remote_base(
    repo: Path, app_for: AppFor, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through the CLI: one line naming the file and the entry, exit code 2, no output."""
    write_app(repo, "resources:\n- https://example.com/o/r//base?ref=v1\n")
    app_file = tmp_path / "app.yaml"
    app_file.write_text(app_for({"path": "app"}).to_yaml())
    code = main(["render", str(app_file), "--repo-root", str(repo)])
    err = capsys.readouterr()
    assert code == 2 and err.out == ""
    assert "app/kustomization.yaml" in err.err and "remote" in err.err
    assert len(err.err.strip().splitlines()) == 1
