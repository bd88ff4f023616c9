"""render(..., metrics=) times each source and counts render cache hits and misses."""

from __future__ import annotations

from pathlib import Path

import gitopslib as g
from gitopslib.metrics import GitOpsMetrics

ROOT = Path(__file__).resolve().parents[2]


def test_render_counts_miss_then_hit() -> None:
    """The first render runs the engine (a miss), the second is a cache hit."""
    app = g.Application.from_yaml(ROOT / "examples/01-directory-app/application.yaml")
    repo = ROOT / "examples/01-directory-app/repo"
    m = GitOpsMetrics()
    cache = g.RenderCache(directory=None)
    first = g.render(app, repo_root=repo, cache=cache, metrics=m)
    second = g.render(app, repo_root=repo, cache=cache, metrics=m)
    assert not first.cached and second.cached
    labels = {"source_type": "Directory"}
    assert m.value("gitopslib_render_cache_misses_total", labels) == 1.0
    assert m.value("gitopslib_render_cache_hits_total", labels) == 1.0
    assert m.value("gitopslib_render_duration_seconds_count", labels) == 2.0


def test_render_without_cache_is_a_miss_each_time() -> None:
    """Without a cache every render counts as a miss of its source type."""
    app = g.Application.from_yaml(ROOT / "examples/01-directory-app/application.yaml")
    m = GitOpsMetrics()
    g.render(app, repo_root=ROOT / "examples/01-directory-app/repo", metrics=m)
    assert m.value("gitopslib_render_cache_misses_total", {"source_type": "Directory"}) == 1.0
    assert m.value("gitopslib_render_cache_hits_total", {"source_type": "Directory"}) is None


class Broken:
    """An observer that fails: the render must not."""

    def record_render(self, source_type: str, seconds: float, *, cache_hit: bool) -> None:
        raise RuntimeError("observer down")


def test_failing_observer_does_not_stop_render() -> None:
    """A recorder that raises is logged, and the render still returns its manifests."""
    app = g.Application.from_yaml(ROOT / "examples/01-directory-app/application.yaml")
    result = g.render(app, repo_root=ROOT / "examples/01-directory-app/repo", metrics=Broken())
    assert result.manifests
