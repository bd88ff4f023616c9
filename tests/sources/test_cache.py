"""The content-addressed render cache: hits, misses and invalidation."""

from __future__ import annotations

import os
from pathlib import Path

from gitopslib.sources import RenderCache, render

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    (repo / "app" / "cm.yaml").write_text(CM.format(name="a"))
    return repo


def test_second_render_is_a_memory_hit(make_app, tmp_path):
    """Rendering unchanged input twice hits the memory cache and returns equal manifests."""
    repo = _repo(tmp_path)
    cache = RenderCache(directory=tmp_path / "cache")
    first = render(make_app("app"), repo_root=repo, cache=cache)
    second = render(make_app("app"), repo_root=repo, cache=cache)
    assert not first.cached
    assert second.cached and second.sources[0].cached == "memory"
    assert second.manifests == first.manifests
    assert cache.stats.misses == 1 and cache.stats.memory_hits == 1


def test_new_process_hits_the_disk(make_app, tmp_path):
    """A fresh cache over the same directory (a new process) reads the entry from disk."""
    repo = _repo(tmp_path)
    render(make_app("app"), repo_root=repo, cache=RenderCache(directory=tmp_path / "cache"))
    fresh = RenderCache(directory=tmp_path / "cache")
    result = render(make_app("app"), repo_root=repo, cache=fresh)
    assert result.sources[0].cached == "disk"
    assert result.manifests[0]["metadata"]["name"] == "a"


def test_changed_file_is_a_miss(make_app, tmp_path):
    """Editing a file changes the input digest: the new content is rendered."""
    repo = _repo(tmp_path)
    cache = RenderCache(directory=tmp_path / "cache")
    render(make_app("app"), repo_root=repo, cache=cache)
    path = repo / "app" / "cm.yaml"
    path.write_text(CM.format(name="b"))
    os.utime(path, ns=(1, 1))  # even with an old mtime the size/ctime differ
    result = render(make_app("app"), repo_root=repo, cache=cache)
    assert not result.cached
    assert result.manifests[0]["metadata"]["name"] == "b"


def test_changed_spec_is_a_miss(make_app, tmp_path):
    """A different source spec (here directory.recurse) is a different key."""
    repo = _repo(tmp_path)
    cache = RenderCache(directory=None)
    render(make_app("app"), repo_root=repo, cache=cache)
    result = render(make_app("app", "directory: {recurse: true}"), repo_root=repo, cache=cache)
    assert not result.cached


def test_changed_destination_or_kube_version_is_a_miss(make_app, tmp_path):
    """Destination namespace and kube version are part of the key."""
    repo = _repo(tmp_path)
    cache = RenderCache(directory=None)
    render(make_app("app"), repo_root=repo, cache=cache)
    assert not render(make_app("app", dest_namespace="other"), repo_root=repo, cache=cache).cached
    assert not render(make_app("app"), repo_root=repo, cache=cache, kube_version="v1.29.0").cached
    assert render(make_app("app"), repo_root=repo, cache=cache).cached


def test_engine_version_is_part_of_the_key(make_app, tmp_path):
    """A renderer reporting another engine version does not reuse old entries."""
    from gitopslib.sources import DirectoryRenderer, default_registry

    class NewerEngine(DirectoryRenderer):
        def cache_key(self, ctx):
            return "directory/999"

    repo = _repo(tmp_path)
    cache = RenderCache(directory=None)
    render(make_app("app"), repo_root=repo, cache=cache)
    reg = default_registry()
    reg.register(NewerEngine(), replace=True)
    assert not render(make_app("app"), repo_root=repo, cache=cache, registry=reg).cached


def test_no_cache_bypasses_reads(make_app, tmp_path):
    """no_cache (hard refresh) renders again even when an entry exists."""
    repo = _repo(tmp_path)
    cache = RenderCache(directory=None)
    render(make_app("app"), repo_root=repo, cache=cache)
    assert not render(make_app("app"), repo_root=repo, cache=cache, no_cache=True).cached


def test_corrupt_disk_entry_is_a_miss(make_app, tmp_path):
    """An unreadable entry on disk is treated as a miss and replaced."""
    repo = _repo(tmp_path)
    render(make_app("app"), repo_root=repo, cache=RenderCache(directory=tmp_path / "cache"))
    for entry in (tmp_path / "cache").rglob("*.json"):
        entry.write_bytes(b"{not json")
    result = render(
        make_app("app"), repo_root=repo, cache=RenderCache(directory=tmp_path / "cache")
    )
    assert not result.cached
    assert result.manifests[0]["metadata"]["name"] == "a"


def test_writes_leave_no_temporary_files(make_app, tmp_path):
    """Entries are written atomically: only finished .json files remain."""
    repo = _repo(tmp_path)
    render(make_app("app"), repo_root=repo, cache=RenderCache(directory=tmp_path / "cache"))
    files = [p.name for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert files and all(name.endswith(".json") and not name.startswith(".tmp") for name in files)


def test_helm_renders_are_cached(make_app, example_apps, tmp_path):
    """Helm sources are cached too (key includes the helm engine version)."""
    cache = RenderCache(directory=None)
    first = render(make_app("helm-guestbook"), repo_root=example_apps, cache=cache)
    second = render(make_app("helm-guestbook"), repo_root=example_apps, cache=cache)
    assert second.cached and second.manifests == first.manifests


def test_helm_key_looks_the_sdk_up_once_and_inputs_still_change_it(make_app, tmp_path):
    """The Helm key holds helm-python-sdk's version, looked up once per process; a changed
    values file, a changed Helm parameter and a changed chart template are each a miss that
    renders the new input, and the same input is a hit again."""
    import importlib.metadata

    from gitopslib.sources.helm import _sdk_package_version

    chart = tmp_path / "repo" / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: chart\nversion: 0.1.0\n")
    template = chart / "templates" / "cm.yaml"
    template.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {v: '{{ .Values.v }}'}\n"
    )
    (chart / "values.yaml").write_text("v: one\n")
    repo, cache = tmp_path / "repo", RenderCache(directory=None)

    def data(result):
        return result.manifests[0].get("data") or result.manifests[0]["metadata"]

    assert not render(make_app("chart"), repo_root=repo, cache=cache).cached
    assert render(make_app("chart"), repo_root=repo, cache=cache).cached
    assert _sdk_package_version() == importlib.metadata.version("helm-python-sdk")
    assert _sdk_package_version.cache_info().currsize == 1
    (chart / "values.yaml").write_text("v: two\n")
    changed = render(make_app("chart"), repo_root=repo, cache=cache)
    assert not changed.cached and data(changed) == {"v": "two"}
    param = "helm: {parameters: [{name: v, value: three}]}"
    changed = render(make_app("chart", param), repo_root=repo, cache=cache)
    assert not changed.cached and data(changed) == {"v": "three"}
    template.write_text(template.read_text().replace("name: cm", "name: renamed"))
    changed = render(make_app("chart"), repo_root=repo, cache=cache)
    assert not changed.cached and changed.manifests[0]["metadata"]["name"] == "renamed"
    assert render(make_app("chart"), repo_root=repo, cache=cache).cached


def test_kustomize_key_through_a_symlinked_root_still_follows_the_input(make_app, tmp_path):
    """The render pass hands Kustomize its resolved root: through a repository path that is
    a symlink the key is the same as through the real path, an edited kustomization is a
    miss, and adding a KSOPS generator makes the source uncacheable (no key)."""
    from gitopslib.sources._base import RenderContext, confined_path
    from gitopslib.sources.kustomize import KustomizeRenderer

    real = tmp_path / "real"
    (real / "app").mkdir(parents=True)
    (real / "app" / "cm.yaml").write_text(CM.format(name="a"))
    kfile = real / "app" / "kustomization.yaml"
    kfile.write_text("resources: [cm.yaml]\n")
    link = tmp_path / "link"
    link.symlink_to(real)
    cache = RenderCache(directory=None)
    assert not render(make_app("app"), repo_root=link, cache=cache).cached
    assert render(make_app("app"), repo_root=real, cache=cache).cached
    kfile.write_text("resources: [cm.yaml]\nnamePrefix: p-\n")
    changed = render(make_app("app"), repo_root=link, cache=cache)
    assert not changed.cached and changed.manifests[0]["metadata"]["name"] == "p-a"

    app = make_app("app")
    resolved = real.resolve()
    ctx = RenderContext(
        app=app,
        source=app.spec.source,
        repo_root=link,
        app_dir=confined_path(link, "app", resolved_root=resolved),
        resolved_root=resolved,
    )
    renderer = KustomizeRenderer()
    unresolved = RenderContext(
        app=app, source=app.spec.source, repo_root=link, app_dir=link / "app"
    )
    assert renderer.cache_key(ctx) == renderer.cache_key(unresolved) is not None
    (real / "app" / "secret-generator.yaml").write_text(
        "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata: {name: s}\nfiles: [s.enc.yaml]\n"
    )
    kfile.write_text("resources: [cm.yaml]\ngenerators: [secret-generator.yaml]\n")
    assert renderer.cache_key(ctx) is None and renderer.cache_key(unresolved) is None


def test_kustomize_key_parses_each_kustomization_once(make_app, tmp_path, monkeypatch):
    """The key's path check and its KSOPS look-up share one parse of each kustomization
    file (the app's and the base it loads), with and without a KSOPS generator."""
    from gitopslib.sources import _kustomize_check, _sops_manifests
    from gitopslib.sources._base import RenderContext
    from gitopslib.sources.kustomize import KustomizeRenderer

    repo = tmp_path / "repo"
    for folder in ("app", "base"):
        (repo / folder).mkdir(parents=True)
    (repo / "base" / "cm.yaml").write_text(CM.format(name="a"))
    (repo / "base" / "kustomization.yaml").write_text("resources: [cm.yaml]\n")
    (repo / "app" / "kustomization.yaml").write_text("resources: [../base]\n")
    parsed: list[str] = []
    check_parse = _kustomize_check._Checker.parse
    sops_load = _sops_manifests._load

    def counted_parse(self, data, where, *, what):
        parsed.append(where)
        return check_parse(self, data, where, what=what)

    def counted_load(path):
        parsed.append(path.relative_to(repo.resolve()).as_posix())
        return sops_load(path)

    monkeypatch.setattr(_kustomize_check._Checker, "parse", counted_parse)
    monkeypatch.setattr(_sops_manifests, "_load", counted_load)
    app = make_app("app")
    ctx = RenderContext(app=app, source=app.spec.source, repo_root=repo, app_dir=repo / "app")
    kustomizations = ["app/kustomization.yaml", "base/kustomization.yaml"]

    assert KustomizeRenderer().cache_key(ctx) is not None
    assert sorted(parsed) == kustomizations

    parsed.clear()
    (repo / "base" / "gen.yaml").write_text(
        "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata: {name: s}\nfiles: [s.enc.yaml]\n"
    )
    (repo / "base" / "kustomization.yaml").write_text("generators: [gen.yaml]\n")
    assert KustomizeRenderer().cache_key(ctx) is None
    assert sorted(p for p in parsed if p.endswith("kustomization.yaml")) == kustomizations
