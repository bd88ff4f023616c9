"""helm-secrets value files (secrets://, secrets+age-import://, secrets+gpg-import:// and the
*-kubernetes variants) render through the real Helm engine with values decrypted in memory."""

from __future__ import annotations

import base64
import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from sopsmake import Sealer, encrypt_tree, metadata

from gitopslib.errors import PathEscapeError, RenderError
from gitopslib.models import Application
from gitopslib.secrets import SopsKeys
from gitopslib.sources import RenderCache, render
from gitopslib.sources._helm_secrets import HelmSecrets

HS = "helm-secrets/tests/assets/"
PLAIN = "correct-horse-battery-staple"

CHART = "apiVersion: v2\nname: demo\nversion: 0.1.0\n"
TEMPLATE = """apiVersion: v1
kind: Secret
metadata:
  name: app
stringData:
  password: {{ (.Values.database | default dict).password | default "" | quote }}
  port: {{ (.Values.service | default dict).port | default 80 | quote }}
"""


def _app(value_file: str, extra: str = "") -> Application:
    return Application.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        "metadata: {name: demo, namespace: argocd}\nspec:\n  project: default\n"
        "  destination: {server: https://kubernetes.default.svc, namespace: demo}\n"
        "  source:\n    repoURL: https://example.com/r.git\n    path: helm\n"
        f"    helm:\n      valueFiles:\n        - {value_file!r}\n{extra}"
    )


@pytest.fixture
def repo(tmp_path: Path, age_pair: tuple[str, str]) -> Path:
    """A repository with a chart and an age-encrypted values file made by the real libraries."""
    root = tmp_path / "repo"
    (root / "helm" / "templates").mkdir(parents=True)
    (root / "helm" / "Chart.yaml").write_text(CHART)
    (root / "helm" / "templates" / "secret.yaml").write_text(TEMPLATE)
    sealer = Sealer()
    data = encrypt_tree({"database": {"password": PLAIN}}, sealer)
    doc = {**data, "sops": metadata(sealer, age=[age_pair[1]])}  # type: ignore[dict-item]
    (root / "helm" / "my-values.enc.yaml").write_text(yaml.safe_dump(doc))
    return root


@pytest.fixture
def key_dir(tmp_path: Path, age_pair: tuple[str, str]) -> Path:
    """The folder the guide mounts at /helm-secrets-private-keys, outside the repository."""
    folder = tmp_path / "mounted-keys"
    folder.mkdir()
    (folder / "key.txt").write_text(age_pair[0] + "\n")
    return folder


def _secret(manifests: list[dict[str, Any]]) -> dict[str, Any]:
    return next(m for m in manifests if m["kind"] == "Secret")


def test_guide_age_import(repo: Path, key_dir: Path) -> None:
    """The guide's secrets+age-import:///helm-secrets-private-keys/key.txt?FILE renders."""
    app = _app("secrets+age-import:///helm-secrets-private-keys/key.txt?my-values.enc.yaml")
    settings = HelmSecrets(key_locations={"/helm-secrets-private-keys": key_dir})
    result = render(app, repo_root=repo, options={"helm_secrets": settings})
    assert _secret(result.manifests)["stringData"]["password"] == PLAIN


def test_secrets_scheme_with_explicit_keys(repo: Path, age_pair: tuple[str, str]) -> None:
    """secrets://FILE uses HelmSecrets.keys."""
    settings = HelmSecrets(keys=SopsKeys(age=[age_pair[0]]))
    result = render(
        _app("secrets://my-values.enc.yaml"), repo_root=repo, options={"helm_secrets": settings}
    )
    assert _secret(result.manifests)["stringData"]["password"] == PLAIN


def test_corpus_age_values_with_real_helm(tmp_path: Path, sops_corpus: Path, repo: Path) -> None:
    """helm-secrets' own secrets.age.yaml (sops 3.7.1) gives port 92, as its bats test asserts."""
    shutil.copy(sops_corpus / HS / "values/sops/secrets.age.yaml", repo / "helm")
    keys = tmp_path / "k"
    keys.mkdir()
    shutil.copy(sops_corpus / HS / "age/key.txt", keys / "key.txt")
    app = _app("secrets+age-import:///keys/key.txt?secrets.age.yaml")
    result = render(
        app, repo_root=repo, options={"helm_secrets": HelmSecrets(key_locations={"/keys": keys})}
    )
    assert _secret(result.manifests)["stringData"]["port"] == "92"


def test_corpus_gpg_import(tmp_path: Path, sops_corpus: Path, repo: Path) -> None:
    """secrets+gpg-import:// with helm-secrets' private.gpg opens secrets.yaml (port 81)."""
    shutil.copy(sops_corpus / HS / "values/sops/secrets.yaml", repo / "helm")
    keys = tmp_path / "k"
    keys.mkdir()
    shutil.copy(sops_corpus / HS / "gpg/private.gpg", keys / "private.gpg")
    app = _app("secrets+gpg-import:///keys/private.gpg?secrets.yaml")
    result = render(
        app, repo_root=repo, options={"helm_secrets": HelmSecrets(key_locations={"/keys": keys})}
    )
    assert _secret(result.manifests)["stringData"]["port"] == "81"


def _key_secret(name: str, namespace: str, key: str, value: bytes) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "data": {key: base64.b64encode(value).decode()},
    }


def test_age_import_kubernetes(repo: Path, age_pair: tuple[str, str]) -> None:
    """secrets+age-import-kubernetes://NS/SECRET#KEY?FILE reads the key through the Cluster."""
    from gitopslib.cluster import MemoryCluster

    cluster = MemoryCluster(
        objects=[
            _key_secret("helm-secrets-private-keys", "argocd", "key.txt", age_pair[0].encode())
        ]
    )
    app = _app(
        "secrets+age-import-kubernetes://argocd/helm-secrets-private-keys#key.txt?my-values.enc.yaml"
    )
    result = render(app, repo_root=repo, options={"helm_secrets": HelmSecrets(cluster=cluster)})
    assert _secret(result.manifests)["stringData"]["password"] == PLAIN


def test_gpg_import_kubernetes(tmp_path: Path, sops_corpus: Path, repo: Path) -> None:
    """secrets+gpg-import-kubernetes://SECRET#KEY?FILE (no namespace: the repo server's)."""
    from gitopslib.cluster import MemoryCluster

    shutil.copy(sops_corpus / HS / "values/sops/secrets.gpg_key.yaml", repo / "helm")
    armored = (sops_corpus / HS / "gpg/private2.gpg").read_bytes()
    cluster = MemoryCluster(objects=[_key_secret("gpg-keys", "argocd", "private2.asc", armored)])
    app = _app("secrets+gpg-import-kubernetes://gpg-keys#private2.asc?secrets.gpg_key.yaml")
    result = render(app, repo_root=repo, options={"helm_secrets": HelmSecrets(cluster=cluster)})
    assert _secret(result.manifests)["stringData"]["port"] == "91"


def test_kubernetes_secret_missing(repo: Path) -> None:
    """A key Secret that does not exist is named in a one-line error."""
    from gitopslib.cluster import MemoryCluster

    app = _app("secrets+age-import-kubernetes://argocd/nope#key.txt?my-values.enc.yaml")
    with pytest.raises(RenderError, match="Secret argocd/nope does not exist"):
        render(app, repo_root=repo, options={"helm_secrets": HelmSecrets(cluster=MemoryCluster())})


def test_key_location_not_configured(repo: Path, key_dir: Path) -> None:
    """A key path under no configured location is refused (helm-secrets' prefix rule)."""
    app = _app("secrets+age-import:///etc/passwd?my-values.enc.yaml")
    settings = HelmSecrets(key_locations={"/helm-secrets-private-keys": key_dir})
    with pytest.raises(RenderError, match="key location '/etc/passwd' is not allowed"):
        render(app, repo_root=repo, options={"helm_secrets": settings})


def test_key_location_cannot_climb_out(repo: Path, key_dir: Path) -> None:
    """'..' in a key path cannot leave the configured folder."""
    app = _app("secrets+age-import:///helm-secrets-private-keys/../../x?my-values.enc.yaml")
    settings = HelmSecrets(key_locations={"/helm-secrets-private-keys": key_dir})
    with pytest.raises(PathEscapeError, match="leaves its configured folder"):
        render(app, repo_root=repo, options={"helm_secrets": settings})


def test_key_inside_repo_refused_unless_allowed(repo: Path, age_pair: tuple[str, str]) -> None:
    """A key location inside the repository is refused, and accepted with allow_repo_keys."""
    (repo / "helm" / "key.txt").write_text(age_pair[0])
    app = _app("secrets+age-import://key.txt?my-values.enc.yaml")
    with pytest.raises(RenderError, match="not allowed unless allow_repo_keys"):
        render(app, repo_root=repo, options={"helm_secrets": HelmSecrets()})
    mapped = HelmSecrets(key_locations={"/k": repo / "helm"})
    app2 = _app("secrets+age-import:///k/key.txt?my-values.enc.yaml")
    with pytest.raises(RenderError, match="maps inside the repository"):
        render(app2, repo_root=repo, options={"helm_secrets": mapped})
    allowed = HelmSecrets(allow_repo_keys=True)
    result = render(app, repo_root=repo, options={"helm_secrets": allowed})
    assert _secret(result.manifests)["stringData"]["password"] == PLAIN


def test_value_file_cannot_escape(repo: Path, key_dir: Path) -> None:
    """The encrypted file itself stays confined to the repository."""
    app = _app("secrets+age-import:///helm-secrets-private-keys/key.txt?../../outside.yaml")
    settings = HelmSecrets(key_locations={"/helm-secrets-private-keys": key_dir})
    with pytest.raises(PathEscapeError):
        render(app, repo_root=repo, options={"helm_secrets": settings})


def test_scheme_must_be_listed_when_schemes_given(repo: Path, key_dir: Path) -> None:
    """With argocd-cm's valuesFileSchemes given, an unlisted helm-secrets scheme is refused."""
    app = _app("secrets+age-import:///helm-secrets-private-keys/key.txt?my-values.enc.yaml")
    options = {
        "helm_secrets": HelmSecrets(key_locations={"/helm-secrets-private-keys": key_dir}),
        "values_file_schemes": ["https", "secrets"],
    }
    with pytest.raises(RenderError, match="the URL scheme 'secrets\\+age-import' is not allowed"):
        render(app, repo_root=repo, options=options)


def test_without_configuration_refused(repo: Path) -> None:
    """Without helm_secrets options or a listed scheme, Argo CD's default refuses the scheme."""
    with pytest.raises(RenderError, match="is not allowed"):
        render(_app("secrets://my-values.enc.yaml"), repo_root=repo)


def test_wrong_key_is_one_line(
    repo: Path, tmp_path: Path, age_pairs: list[tuple[str, str]]
) -> None:
    """A key that does not open the file: one line naming the value file, no value."""
    folder = tmp_path / "other"
    folder.mkdir()
    (folder / "key.txt").write_text(age_pairs[0][0])
    app = _app("secrets+age-import:///keys/key.txt?my-values.enc.yaml")
    with pytest.raises(RenderError, match="cannot decrypt the data key") as caught:
        render(
            app,
            repo_root=repo,
            options={"helm_secrets": HelmSecrets(key_locations={"/keys": folder})},
        )
    assert "\n" not in str(caught.value) and PLAIN not in str(caught.value)


def test_never_cached_and_nothing_plain_at_rest(
    repo: Path, key_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The render is not cached, and neither the cache folder nor any temporary folder used
    during the render ever holds the plain value (each is searched before it is removed)."""
    original = tempfile.TemporaryDirectory.cleanup

    def searched_cleanup(self: tempfile.TemporaryDirectory[str]) -> None:
        folder = Path(self.name)
        for path in folder.rglob("*"):
            if path.is_file() and not path.is_symlink() and not stat.S_ISFIFO(path.stat().st_mode):
                assert PLAIN.encode() not in path.read_bytes(), path
        original(self)

    monkeypatch.setattr(tempfile.TemporaryDirectory, "cleanup", searched_cleanup)
    scratch_root = tmp_path / "tmp"
    scratch_root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch_root))
    cache = RenderCache(directory=tmp_path / "cache")
    app = _app("secrets+age-import:///helm-secrets-private-keys/key.txt?my-values.enc.yaml")
    options = {"helm_secrets": HelmSecrets(key_locations={"/helm-secrets-private-keys": key_dir})}
    first = render(app, repo_root=repo, options=options, cache=cache)
    second = render(app, repo_root=repo, options=options, cache=cache)
    assert _secret(second.manifests)["stringData"]["password"] == PLAIN
    assert not first.cached and not second.cached
    assert first.contains_secrets and second.contains_secrets
    for folder in (tmp_path / "cache", scratch_root):  # what is left at rest after the render
        for path in folder.rglob("*") if folder.exists() else []:
            assert not path.is_file() or PLAIN.encode() not in path.read_bytes(), path


FAKE_HELM = '''#!{python}
"""A stand-in helm binary: prints each --values input as a ConfigMap, and whether it was a
named pipe (no helm binary is installed here; the real engine runs in-process elsewhere)."""
import json, os, stat, sys
args = sys.argv[1:]
if args[:1] == ["version"]:
    print("v3.99.0+fake"); sys.exit(0)
out = []
for i, a in enumerate(args):
    if a == "--values":
        path = args[i + 1]
        fifo = stat.S_ISFIFO(os.stat(path).st_mode)
        with open(path) as f:
            text = f.read()
        out.append({{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {{"name": "v%d" % i}},
                    "data": {{"fifo": str(fifo), "text": text}}}})
print("\\n---\\n".join(json.dumps(o) for o in out))
'''


@pytest.mark.skipif(os.name == "nt", reason="named pipes are POSIX")
def test_helm_binary_reads_values_from_a_pipe(
    repo: Path, key_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A helm binary gets decrypted values through a named pipe, never a file."""
    from gitopslib.sources._registry import default_registry
    from gitopslib.sources.helm import HelmRenderer

    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "helm").write_text(FAKE_HELM.format(python=sys.executable))
    (bindir / "helm").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    registry = default_registry()
    registry.register(HelmRenderer(engine="binary"), replace=True)
    app = _app("secrets+age-import:///helm-secrets-private-keys/key.txt?my-values.enc.yaml")
    options = {"helm_secrets": HelmSecrets(key_locations={"/helm-secrets-private-keys": key_dir})}
    result = render(app, repo_root=repo, options=options, registry=registry)
    values = [m for m in result.manifests if m["kind"] == "ConfigMap"]
    assert values and values[0]["data"]["fifo"] == "True" and PLAIN in values[0]["data"]["text"]
