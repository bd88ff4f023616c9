"""Real inputs: every seed Application/AppProject, the rendered app-of-apps chart, a real
plugin.yaml."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from gitopslib.models import Application, AppProject, ConfigManagementPlugin

SEED = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "seed"
# Without the corpus (a fresh clone) one placeholder per list lets seed_dir skip the tests with the
# corpus' own reason instead of pytest's "empty parameter set".
SEED_APPS = sorted(p.name for p in SEED.glob("application-*.yaml")) or ["(corpus missing)"]
SEED_PROJECTS = sorted(p.name for p in SEED.glob("appproject-*.yaml")) or ["(corpus missing)"]


def test_seed_has_documents(seed_dir: Path) -> None:
    """The corpus holds the seed documents these tests iterate over."""
    assert len(SEED_APPS) == 4
    assert SEED_PROJECTS == ["appproject-demo.yaml"]


@pytest.mark.parametrize("name", SEED_APPS)
def test_seed_application_round_trips_data(seed_dir: Path, name: str) -> None:
    """Writing a seed Application back gives the same data as the file."""
    path = seed_dir / name
    app = Application.from_yaml(path)
    assert yaml.safe_load(app.to_yaml()) == yaml.safe_load(path.read_text())


@pytest.mark.parametrize("name", SEED_APPS + SEED_PROJECTS)
def test_seed_document_is_written_back_unchanged(seed_dir: Path, name: str) -> None:
    """An unmodified seed document is written back byte for byte, comments included."""
    path = seed_dir / name
    cls = AppProject if name.startswith("appproject") else Application
    assert cls.from_yaml(path).to_yaml() == path.read_text()


@pytest.mark.parametrize("name", SEED_APPS + SEED_PROJECTS)
def test_seed_to_dict_equals_file_data(seed_dir: Path, name: str) -> None:
    """to_dict() holds exactly the data the file holds (nothing added, nothing lost)."""
    path = seed_dir / name
    cls = AppProject if name.startswith("appproject") else Application
    assert cls.from_yaml(path).to_dict() == yaml.safe_load(path.read_text())


def test_guestbook_explicit_null_and_empty_string(seed_dir: Path) -> None:
    """`automated: null` and `name: ""` are read as written and written back as such."""
    app = Application.from_yaml(seed_dir / "application-guestbook.yaml")
    assert app.spec.sync_policy is not None
    assert app.spec.sync_policy.automated is None
    assert app.spec.destination.name == ""
    assert app.spec.destination.server == "https://kubernetes.default.svc"
    out = yaml.safe_load(app.to_yaml())
    assert out["spec"]["syncPolicy"] == {"automated": None}
    assert out["spec"]["destination"]["name"] == ""


def test_devops_demo_helm_fields(seed_dir: Path) -> None:
    """The Helm seed app exposes its helm block under snake_case names."""
    app = Application.from_yaml(seed_dir / "application-devops-demo-helm.yaml")
    source = app.spec.all_sources()[0]
    assert source.repo_url == "http://git.k8s.local/course/devops-demo-deploy.git"
    assert source.target_revision == "HEAD"
    assert source.helm is not None
    assert source.helm.value_files == ["my-values.yaml"]
    assert source.helm.parameters is not None
    assert (source.helm.parameters[0].name, source.helm.parameters[0].value) == (
        "replicaCount",
        "2",
    )
    assert app.spec.project == "demo"


def test_snippet_without_destination_loads(seed_dir: Path) -> None:
    """The helm-secrets snippet has no destination block: it loads and writes none back."""
    app = Application.from_yaml(seed_dir / "application-helm-secrets-valuefiles.yaml")
    assert app.spec.destination.server is None
    assert app.spec.destination.name is None
    assert "destination" not in app.to_dict()["spec"]
    assert app.spec.project_name == "default"


def test_edit_keeps_comments(seed_dir: Path) -> None:
    """Changing one value keeps every comment of the file and changes only that value."""
    path = seed_dir / "application-helm-secrets-valuefiles.yaml"
    text = path.read_text()
    app = Application.from_yaml(path)
    assert app.spec.source is not None and app.spec.source.helm is not None
    app.spec.source.helm.value_files = ["values.yaml"]
    out = app.to_yaml()
    comments = [line.strip() for line in text.splitlines() if line.strip().startswith("#")]
    assert comments
    for comment in comments:
        assert comment in out
    assert yaml.safe_load(out)["spec"]["source"]["helm"]["valueFiles"] == ["values.yaml"]


def test_appproject_demo(seed_dir: Path) -> None:
    """The seed AppProject's lists are read; absent lists stay None."""
    proj = AppProject.from_yaml(seed_dir / "appproject-demo.yaml")
    assert proj.spec.source_repos == ["http://git.k8s.local/course/devops-demo-deploy.git"]
    assert proj.spec.destinations is not None
    assert proj.spec.destinations[0].server == "https://kubernetes.default.svc"
    assert proj.spec.destinations[0].namespace == "*"
    assert proj.spec.namespace_resource_whitelist is None
    assert proj.spec.cluster_resource_whitelist is None


def _render_apps_chart(example_apps: Path) -> str:
    helm_python = pytest.importorskip("helm_python")
    with helm_python.Chart.load(str(example_apps / "apps")) as chart:
        rendered = chart.render(name="apps", namespace="argocd")
    assert list(rendered) == ["applications/templates/applications.yaml"]
    return str(next(iter(rendered.values())))


def test_apps_chart_renders_applications_that_load(example_apps: Path) -> None:
    """Every Application rendered (by Helm, in-process) from the app-of-apps chart loads.

    Expected names, paths and tools are read by hand from the chart's values.yaml.
    """
    apps = Application.load_all(_render_apps_chart(example_apps))
    assert len(apps) == 14
    by_name = {a.metadata.name: a for a in apps}
    kasane = by_name["example.plugin-kasane"]
    assert kasane.spec.source is not None and kasane.spec.source.plugin is not None
    assert kasane.spec.source.plugin.name == "kasane"
    assert kasane.spec.source.path == "plugins/kasane"
    assert kasane.spec.destination.namespace == "plugin-kasane"
    blue_green = by_name["example.blue-green"]
    assert blue_green.spec.source is not None and blue_green.spec.source.helm is not None
    assert blue_green.spec.source.helm.release_name == "blue-green"
    guestbook = by_name["example.guestbook"]
    assert guestbook.spec.source is not None and guestbook.spec.source.tool is None
    for app in apps:
        assert app.metadata.finalizers == ["resources-finalizer.argocd.argoproj.io"]
        assert app.spec.sync_policy is not None
        assert app.spec.sync_policy.sync_options == ["CreateNamespace=true"]
        assert app.spec.sync_policy.automated is not None
        assert app.spec.sync_policy.automated.prune is True
        assert app.spec.sync_policy.automated.self_heal is True
        assert app.spec.all_sources()[0].target_revision == "master"


def test_apps_chart_applications_round_trip(example_apps: Path) -> None:
    """Each rendered Application writes back the data Helm produced."""
    text = _render_apps_chart(example_apps)
    docs = [d for d in yaml.safe_load_all(text) if d]
    apps = Application.load_all(text)
    assert [a.to_dict() for a in apps] == docs
    assert [yaml.safe_load(a.to_yaml()) for a in apps] == docs


def _nix_plugin_yaml(example_apps: Path) -> str:
    readme = (example_apps / "plugins" / "nix" / "README.md").read_text()
    match = re.search(r"  plugin\.yaml: \|\n((?:    .*\n|\n)+)", readme)
    assert match, "plugin.yaml block not found in plugins/nix/README.md"
    return "\n".join(line[4:] for line in match.group(1).splitlines()) + "\n"


def test_nix_plugin_yaml_loads(example_apps: Path) -> None:
    """The plugin.yaml published with the nix example loads as a ConfigManagementPlugin."""
    cmp = ConfigManagementPlugin.from_yaml(_nix_plugin_yaml(example_apps))
    assert cmp.metadata.name == "nix-cmp-plugin"
    assert cmp.spec.version == "v1.0"
    assert cmp.socket_name == "nix-cmp-plugin-v1.0"
    assert cmp.spec.generate is not None
    assert cmp.spec.generate.argv() == ["sh", "-c", "cat result"]
    assert cmp.spec.discover is not None
    assert cmp.spec.discover.file_name == "flake.nix"
    assert cmp.spec.lock_repo is True


def test_nix_plugin_yaml_round_trips(example_apps: Path) -> None:
    """The nix plugin.yaml writes back the same data, multi-line init script included."""
    text = _nix_plugin_yaml(example_apps)
    cmp = ConfigManagementPlugin.from_yaml(text)
    assert yaml.safe_load(cmp.to_yaml()) == yaml.safe_load(text)
