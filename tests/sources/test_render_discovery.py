"""Plugin auto-detection through `render(..., plugins_dir=...)` (Argo CD section 9.7 step 1)."""

from __future__ import annotations

import shutil
from pathlib import Path

from gitopslib import Application, render

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "05-plugin-app"

APP_WITHOUT_PLUGIN_BLOCK = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: landing}
spec:
  project: default
  source: {repoURL: https://example.com/site.git, path: site}
  destination: {server: https://kubernetes.default.svc, namespace: web}
"""


def test_unnamed_source_is_rendered_by_the_discovering_plugin(tmp_path: Path) -> None:
    """A source with no type block goes to the plugin whose `discover.fileName` matches."""
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE / "repo", repo)
    result = render(
        Application.from_yaml(APP_WITHOUT_PLUGIN_BLOCK),
        repo_root=repo,
        plugins_dir=EXAMPLE / "plugins",
    )
    assert result.source_type == "Plugin"
    # the plugin's sed filled the app name into the *.tmpl manifests
    assert any("landing" in str(o) for o in result.manifests)


def test_without_plugins_dir_the_same_folder_is_a_directory_source(tmp_path: Path) -> None:
    """Without plugins, discovery is skipped and the folder falls back to Directory."""
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE / "repo", repo)
    result = render(Application.from_yaml(APP_WITHOUT_PLUGIN_BLOCK), repo_root=repo)
    assert result.source_type == "Directory"
