"""The directory input limit: Argo CD's 10M by default, raised by the user (per render or
for the process, as Argo CD's environment variable), and a 5,000-object app renders once the
limit allows it."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitopslib.errors import RenderError
from gitopslib.sources import render
from gitopslib.sources.directory import (
    DEFAULT_MAX_COMBINED_SIZE,
    MAX_COMBINED_SIZE_ENV,
    max_combined_size,
)

OBJECTS = 5_000


@pytest.fixture(scope="module")
def large_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository whose `app` folder holds 5,000 ConfigMaps in 50 files (~11 MB)."""
    root = tmp_path_factory.mktemp("large")
    app = root / "app"
    app.mkdir()
    value = "v" * 2000
    for f in range(50):
        docs = [
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{f}-{i}\ndata:\n  k: {value}\n"
            for i in range(OBJECTS // 50)
        ]
        (app / f"f{f:02d}.yaml").write_text("---\n".join(docs))
    total = sum(p.stat().st_size for p in app.iterdir())
    assert total > DEFAULT_MAX_COMBINED_SIZE  # the fixture is what the tests need
    return root


def test_default_limit_refuses_and_says_how_to_raise_it(make_app, large_app, monkeypatch):
    """Over Argo CD's 10M: refused, naming the option and the environment variable."""
    monkeypatch.delenv(MAX_COMBINED_SIZE_ENV, raising=False)
    with pytest.raises(RenderError, match=MAX_COMBINED_SIZE_ENV) as info:
        render(make_app("app"), repo_root=large_app)
    assert "max_combined_size" in str(info.value)


@pytest.mark.parametrize("allowed", ["50M", "48Mi", 50_000_000, 0])
def test_large_app_renders_with_the_limit_raised(make_app, large_app, monkeypatch, allowed):
    """5,000 objects render whole once the option allows them (0: no limit)."""
    monkeypatch.delenv(MAX_COMBINED_SIZE_ENV, raising=False)
    result = render(make_app("app"), repo_root=large_app, options={"max_combined_size": allowed})
    assert len(result.manifests) == OBJECTS
    assert result.manifests[-1]["metadata"]["name"] == "cm-49-99"


def test_environment_variable_raises_the_default(make_app, large_app, monkeypatch):
    """Argo CD's variable sets the process-wide limit; an option still wins over it."""
    monkeypatch.setenv(MAX_COMBINED_SIZE_ENV, "100M")
    assert len(render(make_app("app"), repo_root=large_app).manifests) == OBJECTS
    with pytest.raises(RenderError, match="exceeded max combined"):
        render(make_app("app"), repo_root=large_app, options={"max_combined_size": "1M"})


@pytest.mark.parametrize(
    ("quantity", "size"), [("1e6", 1_000_000), ("1.5Gi", 1_610_612_736), ("2500m", 3)]
)
def test_limit_is_a_kubernetes_quantity(quantity, size):
    """The limit is read as Argo CD reads its variable (resource.MustParse, then Value():
    exponents and milli allowed, rounded up)."""
    assert max_combined_size({"max_combined_size": quantity}) == size


@pytest.mark.parametrize("bad", ["lots", "10MB", "-5", "10K", "10 M"])
def test_malformed_limit_is_refused(bad):
    """A limit that is not bytes or a quantity is an error naming where it came from."""
    with pytest.raises(RenderError, match="max_combined_size"):
        max_combined_size({"max_combined_size": bad})
