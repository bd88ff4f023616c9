"""KSOPS generators in kustomizations and SOPS-encrypted manifests in Directory sources,
decrypted at render with the real kustomize (kubectl kustomize) and checked against KSOPS'
own expected outputs."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from sopsmake import Sealer, encrypt_tree, metadata

from gitopslib.errors import RenderError
from gitopslib.models import Application
from gitopslib.secrets import SopsKeys
from gitopslib.sources import RenderCache, render

KRM = "kustomize-sops/test/krm/"
GENERATOR = """apiVersion: viaduct.ai/v1
kind: ksops
metadata:
  name: gen
  annotations:
    config.kubernetes.io/function: |
      exec:
        path: ksops
"""


def _app(path: str = "app") -> Application:
    return Application.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        "metadata: {name: demo, namespace: argocd}\nspec:\n  project: default\n"
        "  destination: {server: https://kubernetes.default.svc, namespace: demo}\n"
        f"  source:\n    repoURL: https://example.com/r.git\n    path: {path}\n"
    )


@pytest.fixture(scope="module")
def ksops_keys(sops_corpus: Path) -> SopsKeys:
    """KSOPS' test PGP keys."""
    return SopsKeys(pgp_files=[sops_corpus / "kustomize-sops/test/key.asc"])


def _ksops_repo(tmp_path: Path, sops_corpus: Path, case: str, spec: str, extra: str = "") -> Path:
    root = tmp_path / "repo"
    app = root / "app"
    app.mkdir(parents=True)
    for f in (sops_corpus / KRM / case).iterdir():
        if f.name != "want.yaml":
            shutil.copy(f, app / f.name)
    (app / "secret-generator.yaml").write_text(GENERATOR + spec)
    (app / "kustomization.yaml").write_text("generators:\n- ./secret-generator.yaml\n" + extra)
    return root


def _want(sops_corpus: Path, case: str) -> list[dict[str, Any]]:
    return [
        d for d in yaml.safe_load_all((sops_corpus / KRM / case / "want.yaml").read_text()) if d
    ]


def test_ksops_files_reproduce_want(
    tmp_path: Path, sops_corpus: Path, ksops_keys: SopsKeys
) -> None:
    """KSOPS 'files' output equals KSOPS' single/want.yaml."""
    root = _ksops_repo(tmp_path, sops_corpus, "single", "files:\n  - ./secret.enc.yaml\n")
    result = render(_app(), repo_root=root, options={"sops_keys": ksops_keys})
    assert result.manifests == _want(sops_corpus, "single")


def test_ksops_secret_from_envs_reproduce_want(
    tmp_path: Path, sops_corpus: Path, ksops_keys: SopsKeys
) -> None:
    """KSOPS 'secretFrom' with an encrypted .env equals KSOPS' envs/want.yaml."""
    spec = "secretFrom:\n- metadata:\n    name: mysecret\n  envs:\n  - ./secret.enc.env\n"
    root = _ksops_repo(tmp_path, sops_corpus, "envs", spec)
    result = render(_app(), repo_root=root, options={"sops_keys": ksops_keys})
    assert result.manifests == _want(sops_corpus, "envs")


def test_ksops_output_goes_through_kustomize(
    tmp_path: Path, sops_corpus: Path, ksops_keys: SopsKeys
) -> None:
    """kustomize's transformers (namePrefix, namespace) apply to the generated Secret."""
    root = _ksops_repo(
        tmp_path,
        sops_corpus,
        "single",
        "files:\n  - ./secret.enc.yaml\n",
        "namePrefix: prod-\nnamespace: shop\n",
    )
    (secret,) = render(_app(), repo_root=root, options={"sops_keys": ksops_keys}).manifests
    assert secret["metadata"] == {"name": "prod-mysecret", "namespace": "shop"}
    assert secret["stringData"] == {"application": "kustomize-sops"}


def test_ksops_without_keys_names_the_file(tmp_path: Path, sops_corpus: Path) -> None:
    """Without a key the error names the encrypted file, not a value."""
    root = _ksops_repo(tmp_path, sops_corpus, "single", "files:\n  - ./secret.enc.yaml\n")
    keys = SopsKeys.from_environment({"HOME": str(tmp_path)})
    with pytest.raises(
        RenderError, match=r"KSOPS: app/secret\.enc\.yaml: cannot decrypt the data key"
    ) as caught:
        render(_app(), repo_root=root, options={"sops_keys": keys})
    assert "kustomize-sops" not in str(caught.value) and "\n" not in str(caught.value)


def test_ksops_file_outside_repo_refused(
    tmp_path: Path, sops_corpus: Path, ksops_keys: SopsKeys
) -> None:
    """A KSOPS file path cannot leave the repository."""
    root = _ksops_repo(tmp_path, sops_corpus, "single", "files:\n  - ../../outside.yaml\n")
    (tmp_path / "outside.yaml").write_text("x: 1\n")
    with pytest.raises(RenderError, match="leaves the repository"):
        render(_app(), repo_root=root, options={"sops_keys": ksops_keys})


def test_ksops_repository_untouched_and_not_cached(
    tmp_path: Path, sops_corpus: Path, ksops_keys: SopsKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The repository's kustomization is unchanged, nothing is cached, and no file left in
    the cache or temporary folders holds a decrypted value."""
    root = _ksops_repo(tmp_path, sops_corpus, "single", "files:\n  - ./secret.enc.yaml\n")
    before = (root / "app" / "kustomization.yaml").read_bytes()
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    cache = RenderCache(directory=tmp_path / "cache")
    first = render(_app(), repo_root=root, options={"sops_keys": ksops_keys}, cache=cache)
    second = render(_app(), repo_root=root, options={"sops_keys": ksops_keys}, cache=cache)
    assert not first.cached and not second.cached and first.contains_secrets
    assert (root / "app" / "kustomization.yaml").read_bytes() == before
    for folder in (tmp_path / "cache", scratch):
        for path in folder.rglob("*") if folder.exists() else []:
            assert not path.is_file() or b"kustomize-sops" not in path.read_bytes()


# --- Directory sources -------------------------------------------------------------------------


def _encrypted_secret(recipient: str, value: str) -> str:
    sealer = Sealer()
    body = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db"},
        "stringData": {"password": value},
    }
    data = encrypt_tree(body, sealer, lambda p: p[0] in ("data", "stringData"))
    meta = metadata(sealer, age=[recipient], extra={"encrypted_regex": "^(data|stringData)$"})
    return yaml.safe_dump({**data, "sops": meta}, sort_keys=False)  # type: ignore[dict-item]


def test_directory_decrypts_sops_manifest(tmp_path: Path, age_pair: tuple[str, str]) -> None:
    """A sops-encrypted Secret in a plain directory renders decrypted (Flux's way)."""
    app = tmp_path / "app"
    app.mkdir()
    (app / "secret.yaml").write_text(_encrypted_secret(age_pair[1], "s3cr3t-value"))
    (app / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    result = render(_app(), repo_root=tmp_path, options={"sops_keys": SopsKeys(age=[age_pair[0]])})
    secret = next(m for m in result.manifests if m["kind"] == "Secret")
    assert secret["stringData"] == {"password": "s3cr3t-value"} and "sops" not in secret


def test_directory_corpus_secret(tmp_path: Path, sops_corpus: Path) -> None:
    """kustomize-controller's age.yaml, in a directory source, gives stringData.key=value."""
    app = tmp_path / "app"
    app.mkdir()
    shutil.copy(
        sops_corpus / "kustomize-controller/internal/controller/testdata/sops/algorithms/age.yaml",
        app,
    )
    keys = SopsKeys(
        age_files=[
            sops_corpus / "kustomize-controller/internal/controller/testdata/sops/keys/age.txt"
        ]
    )
    (secret,) = render(_app(), repo_root=tmp_path, options={"sops_keys": keys}).manifests
    assert secret["stringData"] == {"key": "value"}


def test_directory_without_keys_names_the_file(tmp_path: Path, age_pair: tuple[str, str]) -> None:
    """An encrypted manifest without its key: one line naming the file."""
    app = tmp_path / "app"
    app.mkdir()
    (app / "secret.yaml").write_text(_encrypted_secret(age_pair[1], "s3cr3t-value"))
    keys = SopsKeys.from_environment({"HOME": str(tmp_path)})
    with pytest.raises(
        RenderError, match=r"^secret\.yaml: SOPS-encrypted manifest cannot be decrypted"
    ) as caught:
        render(_app(), repo_root=tmp_path, options={"sops_keys": keys})
    assert "s3cr3t" not in str(caught.value)


def test_directory_sops_render_not_cached(tmp_path: Path, age_pair: tuple[str, str]) -> None:
    """A directory with an encrypted manifest is rendered again each time, never cached."""
    app = tmp_path / "app"
    app.mkdir()
    (app / "secret.yaml").write_text(_encrypted_secret(age_pair[1], "s3cr3t-value"))
    cache = RenderCache(directory=tmp_path / "cache")
    options = {"sops_keys": SopsKeys(age=[age_pair[0]])}
    render(_app(), repo_root=tmp_path, options=options, cache=cache)
    again = render(_app(), repo_root=tmp_path, options=options, cache=cache)
    assert not again.cached
    for path in (tmp_path / "cache").rglob("*") if (tmp_path / "cache").exists() else []:
        assert not path.is_file() or b"s3cr3t" not in path.read_bytes()


def test_ksops_secret_from_files_and_binary(tmp_path: Path, age_pair: tuple[str, str]) -> None:
    """secretFrom 'files' become stringData by file name, 'binaryFiles' base64 data."""
    import base64

    from sopsmake import Sealer, metadata

    root = tmp_path / "repo"
    app = root / "app"
    app.mkdir(parents=True)
    for name, plain in (("config.txt", "a=1\n"), ("blob.bin", "\x00\x01raw")):
        sealer = Sealer()
        doc = {"data": sealer.seal(plain, ("data",)), "sops": metadata(sealer, age=[age_pair[1]])}
        (app / f"{name}.enc").write_text(json.dumps(doc))
    spec = (
        "secretFrom:\n- metadata: {name: files}\n  type: Opaque\n"
        "  files: [config.txt=./config.txt.enc]\n  binaryFiles: [blob.bin=./blob.bin.enc]\n"
    )
    (app / "gen.yaml").write_text(GENERATOR + spec)
    (app / "kustomization.yaml").write_text("generators:\n- gen.yaml\n")
    (secret,) = render(
        _app(), repo_root=root, options={"sops_keys": SopsKeys(age=[age_pair[0]])}
    ).manifests
    assert secret["type"] == "Opaque"
    assert secret["stringData"] == {"config.txt": "a=1\n"}
    assert base64.b64decode(secret["data"]["blob.bin"]) == b"\x00\x01raw"
