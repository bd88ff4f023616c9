"""render(): detection, multi-source concatenation, duplicates, registry and build env."""

from __future__ import annotations

import textwrap
from pathlib import Path
from types import SimpleNamespace as NS

import pytest

from gitopslib.errors import RenderError
from gitopslib.sources import (
    DirectoryRenderer,
    RendererRegistry,
    Resolver,
    build_env,
    default_registry,
    detect_source_type,
    envsubst,
    render,
)
from gitopslib.sources._base import RenderContext

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"


def _write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _src(**kw):
    base = {"helm": None, "kustomize": None, "directory": None, "plugin": None, "chart": None}
    base.update(kw)
    return NS(**base)


# --- detection (argocd-semantics 9.7) --------------------------------------------------------


def test_chart_yaml_means_helm(tmp_path):
    """A Chart.yaml in the app root makes it Helm."""
    _write(tmp_path, "Chart.yaml", "name: x\n")
    assert detect_source_type(_src(), tmp_path) == "Helm"


def test_kustomize_wins_over_chart(tmp_path):
    """With both Chart.yaml and kustomization.yaml, Kustomize wins (later in walk order)."""
    _write(tmp_path, "Chart.yaml", "name: x\n")
    _write(tmp_path, "kustomization.yaml", "resources: []\n")
    assert detect_source_type(_src(), tmp_path) == "Kustomize"


@pytest.mark.parametrize("name", ["kustomization.yaml", "kustomization.yml", "Kustomization"])
def test_kustomization_file_names(tmp_path, name):
    """Each of Argo CD's three kustomization file names means Kustomize."""
    _write(tmp_path, name, "resources: []\n")
    assert detect_source_type(_src(), tmp_path) == "Kustomize"


def test_nested_chart_does_not_count(tmp_path):
    """Only the app root decides: a Chart.yaml in a subdirectory leaves it Directory."""
    _write(tmp_path, "sub/Chart.yaml", "name: x\n")
    assert detect_source_type(_src(), tmp_path) == "Directory"


def test_explicit_block_wins(tmp_path):
    """An explicit directory block wins over a Chart.yaml."""
    _write(tmp_path, "Chart.yaml", "name: x\n")
    assert detect_source_type(_src(directory=NS()), tmp_path) == "Directory"


def test_several_blocks_are_an_error(tmp_path):
    """Two explicit tool blocks are Argo CD's 'multiple application sources defined'."""
    with pytest.raises(RenderError, match="multiple application sources defined"):
        detect_source_type(_src(helm=NS(), directory=NS()), tmp_path)


def test_disabled_type_falls_back_to_directory(tmp_path):
    """A disabled tool (helm.enable: false) falls back to Directory."""
    _write(tmp_path, "Chart.yaml", "name: x\n")
    assert detect_source_type(_src(), tmp_path, disabled={"Helm"}) == "Directory"


def test_corpus_types(make_app, example_apps):
    """The corpus apps get the types Argo CD gives them."""
    # derived by hand from each folder's root files and argocd-semantics.md §9.7
    # (Chart.yaml => Helm, kustomization.yaml => Kustomize, else Directory, jsonnet included)
    expected = {
        "guestbook": "Directory",
        "helm-guestbook": "Helm",
        "blue-green": "Helm",
        "apps": "Helm",
        "jsonnet-guestbook": "Directory",
        "kustomize-guestbook": "Kustomize",
        "sock-shop": "Kustomize",
    }
    reg = default_registry()
    for path, kind in expected.items():
        assert detect_source_type(_src(), example_apps / path, reg) == kind, path


# --- multi-source and duplicates -------------------------------------------------------------


def test_multi_source_concatenates_in_order(make_app, tmp_path):
    """Manifests of all sources are concatenated in source order."""
    _write(tmp_path, "one/a.yaml", CM.format(name="a"))
    _write(tmp_path, "two/b.yaml", CM.format(name="b"))
    sources = (
        "- repoURL: https://example.com/r.git\n  path: two\n"
        "- repoURL: https://example.com/r.git\n  path: one\n"
    )
    result = render(make_app(sources=sources), repo_root=tmp_path)
    assert [o["metadata"]["name"] for o in result.manifests] == ["b", "a"]
    assert result.source_types == ("Directory", "Directory")
    assert result.warnings == ()


def test_duplicates_last_wins_with_warning(make_app, tmp_path):
    """A resource in two sources keeps the last one and records Argo CD's warning."""
    _write(tmp_path, "one/a.yaml", CM.format(name="a") + "data: {v: one}\n")
    _write(tmp_path, "two/a.yaml", CM.format(name="a") + "data: {v: two}\n")
    sources = (
        "- repoURL: https://example.com/r.git\n  path: one\n"
        "- repoURL: https://example.com/r.git\n  path: two\n"
    )
    result = render(make_app(sources=sources, dest_namespace="ns"), repo_root=tmp_path)
    assert [o["data"]["v"] for o in result.manifests] == ["two"]
    # Argo CD's RepeatedResourceWarning text (§5.6; seen in argo-cd#11843): group/kind/ns/name
    assert result.warnings == (
        "Resource /ConfigMap/ns/a appeared 2 times among application resources.",
    )


def test_namespace_default_makes_duplicates(make_app, tmp_path):
    """An object without namespace and the same one in the destination namespace collide."""
    _write(
        tmp_path,
        "app/a.yaml",
        CM.format(name="a") + "---\n" + CM.format(name="a") + "  namespace: ns\n",
    )
    result = render(make_app("app", dest_namespace="ns"), repo_root=tmp_path)
    assert len(result.manifests) == 1
    assert result.manifests[0]["metadata"].get("namespace") == "ns"


def test_generate_name_objects_never_collide(make_app, tmp_path):
    """Objects with generateName are never duplicates of each other."""
    job = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: j-\n"
    _write(tmp_path, "app/a.yaml", job + "---\n" + job)
    assert len(render(make_app("app"), repo_root=tmp_path).manifests) == 2


def test_ref_only_source_renders_nothing(make_app, tmp_path):
    """A source with only ref lends its repository and renders no manifests."""
    _write(tmp_path, "app/a.yaml", CM.format(name="a"))
    _write(tmp_path, "b.yaml", CM.format(name="b"))
    sources = (
        "- repoURL: https://example.com/r.git\n  ref: values\n"
        "- repoURL: https://example.com/r.git\n  path: app\n"
    )
    result = render(make_app(sources=sources), repo_root=tmp_path)
    assert [o["metadata"]["name"] for o in result.manifests] == ["a"]
    assert result.source_type == "Directory"
    assert result.source_types == (None, "Directory")


def test_missing_app_path_is_an_error(make_app, tmp_path):
    """A path that does not exist in the repository says so."""
    with pytest.raises(RenderError, match="does not exist"):
        render(make_app("nope"), repo_root=tmp_path)


def test_no_repository_is_an_error(make_app):
    """render() without repo_root/repository/resolver explains what to pass."""
    with pytest.raises(RenderError, match="repo_root="):
        render(make_app("x"))


def test_argocd_source_override_file(make_app, tmp_path):
    """.argocd-source-<app>.yaml is merged into the source before rendering."""
    _write(tmp_path, "app/a.yaml", CM.format(name="a"))
    _write(tmp_path, "app/sub/b.yaml", CM.format(name="b"))
    _write(tmp_path, "app/.argocd-source-web.yaml", "directory:\n  recurse: true\n")
    result = render(make_app("app", name="web"), repo_root=tmp_path)
    assert [o["metadata"]["name"] for o in result.manifests] == ["a", "b"]
    other = render(make_app("app", name="other"), repo_root=tmp_path)
    assert [o["metadata"]["name"] for o in other.manifests] == ["a"]


def test_argocd_source_override_file_uses_the_instance_name(make_app, tmp_path):
    """For an app outside the controller namespace the per-app file is named after the
    instance name `<namespace>_<name>` (Argo CD passes AppName = instance name)."""
    _write(tmp_path, "app/a.yaml", CM.format(name="a"))
    _write(tmp_path, "app/sub/b.yaml", CM.format(name="b"))
    _write(tmp_path, "app/.argocd-source-team_web.yaml", "directory:\n  recurse: true\n")
    result = render(make_app("app", name="web", namespace="team"), repo_root=tmp_path)
    assert [o["metadata"]["name"] for o in result.manifests] == ["a", "b"]
    in_controller_ns = render(make_app("app", name="web"), repo_root=tmp_path)
    assert [o["metadata"]["name"] for o in in_controller_ns.manifests] == ["a"]


# --- registry ------------------------------------------------------------------------------


def test_default_registry_has_every_builtin():
    """Directory, Helm, Kustomize and Plugin are all registered by name."""
    reg = default_registry()
    assert {"Directory", "Helm", "Kustomize", "Plugin"} <= set(reg.names())
    assert reg.get("Kustomize").name == "Kustomize"
    assert reg.get("Plugin").name == "Plugin"


def test_registering_a_taken_name_needs_replace():
    """A second renderer under the same name is refused unless replace=True."""
    reg = RendererRegistry()
    reg.register(DirectoryRenderer())
    with pytest.raises(RenderError, match="already registered"):
        reg.register(DirectoryRenderer())
    reg.register(DirectoryRenderer(), replace=True)


def test_unknown_type_names_known_ones():
    """Asking for an unregistered type lists what is registered."""
    reg = RendererRegistry()
    reg.register(DirectoryRenderer())
    with pytest.raises(RenderError, match="known: Directory"):
        reg.get("Cue")


def _fake_distribution(
    root: Path, dist: str, entries: dict[str, str], module: str, code: str
) -> None:
    info = root / f"{dist}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    lines = "\n".join(f"{k} = {v}" for k, v in entries.items())
    (info / "entry_points.txt").write_text(f"[gitopslib.sources]\n{lines}\n")
    (root / f"{module}.py").write_text(textwrap.dedent(code))


PLUGIN_CODE = """
class UpperRenderer:
    name = "Upper"
    def detect(self, app_dir):
        return False
    def render(self, ctx):
        return [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "upper"}}]
    def cache_key(self, ctx):
        return "upper/1"
"""


def test_entry_point_renderers_are_loaded(tmp_path, monkeypatch):
    """A distribution's gitopslib.sources entry point becomes a renderer."""
    _fake_distribution(
        tmp_path, "gitopslib_upper", {"Upper": "upper_mod:UpperRenderer"}, "upper_mod", PLUGIN_CODE
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    reg = default_registry()
    assert reg.load_entry_points() == ["Upper"]
    assert reg.get("Upper").render(None)[0]["metadata"]["name"] == "upper"


def test_duplicate_entry_points_are_deduplicated(tmp_path, monkeypatch):
    """The same entry point seen twice (two paths) is loaded once."""
    for sub in ("a", "b"):
        _fake_distribution(
            tmp_path / sub,
            "gitopslib_upper",
            {"Upper": "upper_mod:UpperRenderer"},
            "upper_mod",
            PLUGIN_CODE,
        )
        monkeypatch.syspath_prepend(str(tmp_path / sub))
    assert RendererRegistry().load_entry_points() == ["Upper"]


def test_broken_entry_point_names_the_distribution(tmp_path, monkeypatch):
    """A plugin that fails to import raises an error naming its distribution."""
    _fake_distribution(
        tmp_path,
        "gitopslib_broken",
        {"Broken": "broken_mod:Nope"},
        "broken_mod",
        "raise ImportError('missing dependency xyz')\n",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(RenderError, match=r"gitopslib_broken.*missing dependency xyz"):
        RendererRegistry().load_entry_points()


def test_conflicting_entry_points_name_both_distributions(tmp_path, monkeypatch):
    """Two distributions claiming one renderer name is an error naming both."""
    _fake_distribution(
        tmp_path / "a", "dist_one", {"Upper": "upper_mod:UpperRenderer"}, "upper_mod", PLUGIN_CODE
    )
    _fake_distribution(
        tmp_path / "b", "dist_two", {"Upper": "upper_two:UpperRenderer"}, "upper_two", PLUGIN_CODE
    )
    monkeypatch.syspath_prepend(str(tmp_path / "a"))
    monkeypatch.syspath_prepend(str(tmp_path / "b"))
    with pytest.raises(RenderError, match=r"dist_one.*dist_two|dist_two.*dist_one"):
        RendererRegistry().load_entry_points()


def test_custom_renderer_is_used_for_its_type(make_app, tmp_path):
    """A registered renderer replaces the built-in for its type."""

    class Fixed(DirectoryRenderer):
        def render(self, ctx):
            return [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fixed"}}]

    (tmp_path / "app").mkdir()
    reg = default_registry()
    reg.register(Fixed(), replace=True)
    result = render(make_app("app"), repo_root=tmp_path, registry=reg)
    assert result.manifests[0]["metadata"]["name"] == "fixed"


# --- build environment -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Go os.Expand rules, by hand
        ("$A-${A}", "x-x"),
        ("$$A", "$A"),
        ("${UNKNOWN}", ""),
        ("a$", "a$"),
        ("${}b", "b"),
        ("$1b", "b"),
        ("$A.yaml", "x.yaml"),
        ("$-", ""),
    ],
)
def test_envsubst_follows_os_expand(text, expected):
    """envsubst matches Go's os.Expand with Argo CD's $$ escape."""
    assert envsubst(text, {"A": "x"}) == expected


def test_build_env_values(make_app, tmp_path):
    """ARGOCD_APP_* come from the app, source and resolved revision."""
    app = make_app("guestbook", name="web", namespace="team", dest_namespace="prod")
    src = app.spec.all_sources()[0]
    ctx = RenderContext(
        app=app,
        source=src,
        repo_root=tmp_path,
        app_dir=tmp_path,
        revision="0123456789abcdef0123456789abcdef01234567",
    )
    env = build_env(ctx)
    assert env["ARGOCD_APP_NAME"] == "team_web"  # outside the controller namespace
    assert env["ARGOCD_APP_NAMESPACE"] == "prod"
    assert env["ARGOCD_APP_PROJECT_NAME"] == "default"
    assert env["ARGOCD_APP_REVISION_SHORT"] == "0123456"
    assert env["ARGOCD_APP_REVISION_SHORT_8"] == "01234567"
    assert env["ARGOCD_APP_SOURCE_PATH"] == "guestbook"
    assert env["ARGOCD_APP_SOURCE_REPO_URL"] == src.repo_url


def test_resolver_maps_urls_after_normalisation(tmp_path):
    """URLs are matched after Argo CD's normalisation (case, .git suffix)."""
    r = Resolver({"https://github.com/Org/Repo.git": tmp_path})
    with r.open("https://github.com/org/repo", None) as resolved:
        assert resolved.root == tmp_path
    with pytest.raises(RenderError, match="no local folder"):
        r.lookup("https://github.com/other/repo")
