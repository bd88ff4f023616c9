"""SopsKeys finds keys where sops does, lets explicit keys win, and never shows them."""

from __future__ import annotations

from pathlib import Path

import yaml
from sopsmake import Sealer, encrypt_tree, metadata

from gitopslib.secrets import SopsKeys, sops_decrypt


def _file(tmp_path: Path, recipient: str) -> Path:
    sealer = Sealer()
    data = encrypt_tree({"k": "v"}, sealer)
    path = tmp_path / "f.yaml"
    path.write_text(yaml.safe_dump({**data, "sops": metadata(sealer, age=[recipient])}))  # type: ignore[dict-item]
    return path


def test_sops_age_key(tmp_path: Path, age_pair: tuple[str, str]) -> None:
    """SOPS_AGE_KEY holds identities inline."""
    keys = SopsKeys.from_environment({"SOPS_AGE_KEY": age_pair[0], "HOME": str(tmp_path)})
    assert b"k: v" in sops_decrypt(_file(tmp_path, age_pair[1]), keys)


def test_sops_age_key_file(tmp_path: Path, age_pair: tuple[str, str]) -> None:
    """SOPS_AGE_KEY_FILE names a keys.txt."""
    (tmp_path / "keys.txt").write_text(f"# public key: {age_pair[1]}\n{age_pair[0]}\n")
    env = {"SOPS_AGE_KEY_FILE": str(tmp_path / "keys.txt"), "HOME": str(tmp_path)}
    assert b"k: v" in sops_decrypt(_file(tmp_path, age_pair[1]), SopsKeys.from_environment(env))


def test_user_keys_txt(tmp_path: Path, age_pair: tuple[str, str]) -> None:
    """$XDG_CONFIG_HOME/sops/age/keys.txt is read without any variable naming it."""
    folder = tmp_path / "cfg" / "sops" / "age"
    folder.mkdir(parents=True)
    (folder / "keys.txt").write_text(age_pair[0] + "\n")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "HOME": str(tmp_path)}
    assert b"k: v" in sops_decrypt(_file(tmp_path, age_pair[1]), SopsKeys.from_environment(env))


def test_home_config_keys_txt(tmp_path: Path, age_pair: tuple[str, str]) -> None:
    """Without XDG_CONFIG_HOME, ~/.config/sops/age/keys.txt is read (Linux)."""
    folder = tmp_path / ".config" / "sops" / "age"
    folder.mkdir(parents=True)
    (folder / "keys.txt").write_text(age_pair[0] + "\n")
    keys = SopsKeys.from_environment({"HOME": str(tmp_path)})
    assert b"k: v" in sops_decrypt(_file(tmp_path, age_pair[1]), keys)


def test_explicit_keys_override_environment(
    tmp_path: Path, age_pair: tuple[str, str], monkeypatch: object
) -> None:
    """Explicit keys are used alone: a broken SOPS_AGE_KEY_FILE in the environment is ignored."""
    import pytest

    mp: pytest.MonkeyPatch = monkeypatch  # type: ignore[assignment]
    mp.setenv("SOPS_AGE_KEY_FILE", str(tmp_path / "missing.txt"))
    keys = SopsKeys(age=[age_pair[0]])
    assert b"k: v" in sops_decrypt(_file(tmp_path, age_pair[1]), keys)


def test_gnupghome_from_environment(tmp_path: Path) -> None:
    """GNUPGHOME is the PGP keyring sops would use."""
    keys = SopsKeys.from_environment({"GNUPGHOME": str(tmp_path / "gnupg"), "HOME": str(tmp_path)})
    assert keys.has_pgp and "gnupg" in repr(keys)


def test_repr_hides_keys(age_pair: tuple[str, str]) -> None:
    """repr counts identities and never shows one."""
    keys = SopsKeys(age=[age_pair[0]])
    assert repr(keys) == "SopsKeys(age=1 identities)"
