"""Bad input gets one clear line naming the file and the reason, never a value."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sopsmake import Sealer, encrypt_tree, metadata

from gitopslib.errors import SopsError
from gitopslib.secrets import SopsKeys, sops_decrypt

KC = "kustomize-controller/internal/controller/testdata/sops/"


def _one_line(exc: pytest.ExceptionInfo[SopsError], *, hidden: str = "value") -> str:
    text = str(exc.value)
    assert "\n" not in text and "Traceback" not in text
    assert hidden not in text.replace(KC, "")
    return text


@pytest.fixture
def secret_file(tmp_path: Path, age_pair: tuple[str, str]) -> Path:
    """A YAML file made here whose one value is the word 'topsecret'."""
    sealer = Sealer()
    data = encrypt_tree({"password": "topsecret"}, sealer)
    path = tmp_path / "secret.yaml"
    path.write_text(yaml.safe_dump({**data, "sops": metadata(sealer, age=[age_pair[1]])}))  # type: ignore[dict-item]
    return path


def test_not_sops(tmp_path: Path) -> None:
    """A plain YAML file is 'not a SOPS file'."""
    (tmp_path / "plain.yaml").write_text("password: topsecret\n")
    with pytest.raises(SopsError, match=r"plain.yaml: not a SOPS file") as caught:
        sops_decrypt(tmp_path / "plain.yaml", SopsKeys(age=[]))
    _one_line(caught, hidden="topsecret")


def test_truncated(tmp_path: Path, secret_file: Path, age_pair: tuple[str, str]) -> None:
    """A file cut in half is refused with a one-line reason."""
    text = secret_file.read_text()
    (tmp_path / "cut.yaml").write_text(text[: len(text) // 2])
    with pytest.raises(SopsError, match=r"cut\.yaml") as caught:
        sops_decrypt(tmp_path / "cut.yaml", SopsKeys(age=[age_pair[0]]))
    _one_line(caught, hidden="topsecret")


def test_not_utf8(tmp_path: Path) -> None:
    """Binary junk is 'not a SOPS file'."""
    (tmp_path / "junk.bin").write_bytes(b"\xff\xfe\x00junk")
    with pytest.raises(SopsError, match="not a SOPS file"):
        sops_decrypt(tmp_path / "junk.bin", SopsKeys(age=[]))


def test_wrong_key(secret_file: Path, age_pairs: list[tuple[str, str]]) -> None:
    """Another age identity cannot open the data key; the recipient is named."""
    with pytest.raises(SopsError, match=r"cannot decrypt the data key.*age age1") as caught:
        sops_decrypt(secret_file, SopsKeys(age=[age_pairs[0][0]]))
    _one_line(caught, hidden="topsecret")


def test_wrong_key_type(secret_file: Path, sops_corpus: Path) -> None:
    """A PGP private key given as an age identity is refused without being shown."""
    armored = (sops_corpus / KC / "keys/pgp.asc").read_text()
    with pytest.raises(SopsError, match="not a valid AGE-SECRET-KEY-1") as caught:
        sops_decrypt(secret_file, SopsKeys(age=[armored]))
    assert "PGP PRIVATE" not in str(caught.value)


def test_only_pgp_for_an_age_file(secret_file: Path, sops_corpus: Path) -> None:
    """PGP keys alone cannot open an age-only file: the error says no age identity."""
    keys = SopsKeys(pgp_files=[sops_corpus / KC / "keys/pgp.asc"])
    with pytest.raises(SopsError, match="no age identity available"):
        sops_decrypt(secret_file, keys)


def test_missing_gpg(sops_corpus: Path) -> None:
    """Without a gpg binary a PGP file says gpg is not installed."""
    keys = SopsKeys(pgp_files=[sops_corpus / KC / "keys/pgp.asc"], gpg="gpg-that-does-not-exist")
    with pytest.raises(SopsError, match=r"gpg binary .* is not installed") as caught:
        sops_decrypt(sops_corpus / KC / "algorithms/pgp.yaml", keys)
    _one_line(caught)


def test_env_var_to_missing_file(tmp_path: Path) -> None:
    """SOPS_AGE_KEY_FILE naming a missing file is one line naming the variable and path."""
    env = {"SOPS_AGE_KEY_FILE": str(tmp_path / "nope.txt"), "HOME": str(tmp_path)}
    with pytest.raises(SopsError, match="SOPS_AGE_KEY_FILE names a file that does not exist"):
        SopsKeys.from_environment(env)


def test_no_keys_at_all(secret_file: Path, tmp_path: Path) -> None:
    """An empty environment finds no key and says so."""
    keys = SopsKeys.from_environment({"HOME": str(tmp_path)})
    with pytest.raises(SopsError, match="no age identity available"):
        sops_decrypt(secret_file, keys)


def test_missing_file(tmp_path: Path) -> None:
    """A path that does not exist is 'no such file'."""
    with pytest.raises(SopsError, match="no such file"):
        sops_decrypt(tmp_path / "absent.yaml", SopsKeys(age=[]))


def test_unknown_format(secret_file: Path) -> None:
    """An unknown format name is refused."""
    with pytest.raises(SopsError, match=r"unknown format .toml."):
        sops_decrypt(secret_file, SopsKeys(age=[]), format="toml")  # type: ignore[arg-type]


def test_value_left_in_clear(tmp_path: Path, age_pair: tuple[str, str]) -> None:
    """A value the rules say is encrypted but is not names its key path, not its value."""
    sealer = Sealer()
    data = encrypt_tree({"a": "x"}, sealer)
    doc = {**data, "b": "topsecret", "sops": metadata(sealer, age=[age_pair[1]])}  # type: ignore[dict-item]
    (tmp_path / "f.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(SopsError, match=r"f.yaml: b: the value is not encrypted") as caught:
        sops_decrypt(tmp_path / "f.yaml", SopsKeys(age=[age_pair[0]]))
    _one_line(caught, hidden="topsecret")
