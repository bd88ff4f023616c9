"""The keys that open SOPS data keys: age identities (through pyrage) and PGP (through gpg).

:class:`SopsKeys` holds private key material in memory only and never shows it: its ``repr``
counts identities. Without explicit keys it looks where sops looks: ``SOPS_AGE_KEY``,
``SOPS_AGE_KEY_FILE``, the user's ``sops/age/keys.txt``, ``SOPS_AGE_SSH_PRIVATE_KEY_FILE``,
then ``GNUPGHOME`` (or ``~/.gnupg``) for PGP.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import weakref
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from gitopslib.errors import SopsError

#: Seconds a gpg process may run before it is stopped.
GPG_TIMEOUT = 30.0


def _user_config_dir(env: Mapping[str, str]) -> Path:
    if env.get("XDG_CONFIG_HOME"):
        return Path(env["XDG_CONFIG_HOME"])
    home = Path(env.get("HOME") or Path.home())
    if sys.platform == "darwin":
        return home / "Library" / "Application Support"
    return home / ".config"


def _age_lines(text: str) -> list[str]:
    return [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def _read_key_file(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SopsError(
            f"{what} names a file that does not exist: {path}", file=str(path)
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not readable as text"
        raise SopsError(
            f"{what} names a file that cannot be read: {path}: {reason}", file=str(path)
        ) from None


class SopsKeys:
    """Private keys for SOPS files, kept in memory; ``repr`` never shows them.

    ``age``: identity strings (``AGE-SECRET-KEY-1...``, one or several lines, comments allowed);
    ``age_files``: files of such lines (age's ``keys.txt``); ``ssh_files``: OpenSSH ed25519 or
    RSA private keys used as age identities; ``pgp``: ASCII-armored PGP private keys, imported
    into a private temporary GNUPGHOME; ``gnupg_home``: an existing GnuPG home to use as is.
    With none of them given (or ``environment=True``) the environment is searched as sops does.

    >>> keys = SopsKeys(age=["AGE-SECRET-KEY-1QQQ"])
    >>> "QQQ" in repr(keys)
    False
    """

    def __init__(
        self,
        age: Iterable[str] = (),
        age_files: Iterable[str | os.PathLike[str]] = (),
        gnupg_home: str | os.PathLike[str] | None = None,
        *,
        pgp: Iterable[str | bytes] = (),
        pgp_files: Iterable[str | os.PathLike[str]] = (),
        ssh_files: Iterable[str | os.PathLike[str]] = (),
        environment: bool | None = None,
        env: Mapping[str, str] | None = None,
        gpg: str = "gpg",
    ) -> None:
        self._age: list[str] = []
        self._age_sources: list[str] = []
        for text in age:
            self._age.extend(_age_lines(text))
        for path in age_files:
            self._age.extend(_age_lines(_read_key_file(Path(path), "an age key file")))
        self._ssh: list[bytes] = []
        for path in ssh_files:
            self._ssh.append(_read_key_file(Path(path), "an SSH key file").encode())
        self._pgp: list[bytes] = [k.encode() if isinstance(k, str) else bytes(k) for k in pgp]
        for path in pgp_files:
            self._pgp.append(_read_key_file(Path(path), "a PGP key file").encode())
        self._gnupg_home = Path(gnupg_home) if gnupg_home is not None else None
        self._gpg = gpg
        explicit = bool(self._age or self._ssh or self._pgp or self._gnupg_home)
        if environment or (environment is None and not explicit):
            self._from_environment(os.environ if env is None else env)
        self._lock = threading.Lock()
        self._private_home: Path | None = None
        self._identities: list[object] | None = None

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> SopsKeys:
        """The keys sops itself would find in ``env`` (default: ``os.environ``)."""
        return cls(environment=True, env=env)

    def _from_environment(self, env: Mapping[str, str]) -> None:
        if env.get("SOPS_AGE_KEY"):
            self._age.extend(_age_lines(env["SOPS_AGE_KEY"]))
        if env.get("SOPS_AGE_KEY_FILE"):
            path = Path(env["SOPS_AGE_KEY_FILE"]).expanduser()
            self._age.extend(_age_lines(_read_key_file(path, "SOPS_AGE_KEY_FILE")))
        default = _user_config_dir(env) / "sops" / "age" / "keys.txt"
        if default.is_file():
            self._age.extend(_age_lines(_read_key_file(default, "the sops age keys file")))
        if env.get("SOPS_AGE_SSH_PRIVATE_KEY_FILE"):
            path = Path(env["SOPS_AGE_SSH_PRIVATE_KEY_FILE"]).expanduser()
            self._ssh.append(_read_key_file(path, "SOPS_AGE_SSH_PRIVATE_KEY_FILE").encode())
        if self._gnupg_home is None:
            if env.get("GNUPGHOME"):
                self._gnupg_home = Path(env["GNUPGHOME"])
            else:
                home = Path(env.get("HOME") or Path.home()) / ".gnupg"
                self._gnupg_home = home if home.is_dir() else None

    def __repr__(self) -> str:
        parts = [f"age={len(self._age)} identities"]
        if self._ssh:
            parts.append(f"ssh={len(self._ssh)} keys")
        if self._pgp:
            parts.append(f"pgp={len(self._pgp)} keys")
        if self._gnupg_home is not None:
            parts.append(f"gnupg_home={str(self._gnupg_home)!r}")
        return f"SopsKeys({', '.join(parts)})"

    @property
    def has_pgp(self) -> bool:
        """True when a PGP key or a GnuPG home is available."""
        return bool(self._pgp) or self._gnupg_home is not None

    @property
    def has_age(self) -> bool:
        """True when an age or SSH identity is available."""
        return bool(self._age or self._ssh)

    # --- age ---------------------------------------------------------------------------------

    def age_identities(self) -> list[object]:
        """The pyrage identities (parsed once); SopsError for a malformed or unsupported key."""
        with self._lock:
            if self._identities is not None:
                return self._identities
            pyrage = _pyrage()
            identities: list[object] = []
            for number, line in enumerate(self._age, 1):
                if line.startswith("AGE-SECRET-KEY-PQ-"):
                    raise SopsError(
                        f"age identity {number}: unsupported key type "
                        "(post-quantum age, AGE-SECRET-KEY-PQ-1)"
                    )
                if line.startswith("AGE-PLUGIN-"):
                    raise SopsError(f"age identity {number}: unsupported key type (age plugin)")
                try:
                    identities.append(pyrage.x25519.Identity.from_str(line))
                except Exception:
                    raise SopsError(
                        f"age identity {number} is not a valid AGE-SECRET-KEY-1 identity"
                    ) from None
            for number, pem in enumerate(self._ssh, 1):
                try:
                    identities.append(pyrage.ssh.Identity.from_buffer(pem))
                except Exception:
                    raise SopsError(
                        f"SSH key {number} is not an unencrypted OpenSSH ed25519 or RSA private key"
                    ) from None
            self._identities = identities
            return identities

    def open_age(self, envelope: str) -> bytes:
        """The data key inside one age envelope; ValueError with a short reason otherwise."""
        identities = self.age_identities()
        if not identities:
            raise ValueError("no age identity available")
        pyrage = _pyrage()
        try:
            return bytes(pyrage.decrypt(envelope.encode(), identities))
        except Exception:
            raise ValueError("no available age identity opens it") from None

    # --- PGP ---------------------------------------------------------------------------------

    def _home(self) -> Path:
        with self._lock:
            if self._private_home is not None:
                return self._private_home
            if not self._pgp:
                assert self._gnupg_home is not None
                return self._gnupg_home
            home = Path(tempfile.mkdtemp(prefix="gitopslib-gnupg-", dir=_short_tmp()))
            home.chmod(0o700)
            weakref.finalize(self, _remove_home, home, self._gpg)
            self._private_home = home
            for key in self._pgp:
                self._run_gpg(home, ["--import"], key)
            return home

    def _run_gpg(self, home: Path, args: list[str], stdin: bytes) -> bytes:
        exe = shutil.which(self._gpg)
        if exe is None:
            raise SopsError(
                f"the gpg binary ({self._gpg}) is not installed: PGP-encrypted SOPS files need "
                "GnuPG on PATH"
            )
        command = [exe, "--batch", "--no-tty", "--quiet", "--homedir", str(home), *args]
        try:
            done = subprocess.run(
                command, input=stdin, capture_output=True, timeout=GPG_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            raise ValueError(f"gpg did not finish within {GPG_TIMEOUT:g}s") from None
        except OSError as exc:
            raise ValueError(f"gpg could not run: {exc.strerror}") from None
        if done.returncode != 0:
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise ValueError(f"gpg failed: {tail[-1] if tail else f'exit {done.returncode}'}")
        return done.stdout

    def open_pgp(self, envelope: str) -> bytes:
        """The data key inside one PGP message; ValueError with a short reason otherwise."""
        if not self.has_pgp:
            raise ValueError("no PGP key available")
        return self._run_gpg(self._home(), ["--decrypt"], envelope.encode())


def _short_tmp() -> str | None:
    """A temporary folder short enough for gpg-agent's socket path (about 100 bytes)."""
    short = "/tmp"  # noqa: S108 - mkdtemp below makes a private 0700 folder inside it
    if len(tempfile.gettempdir()) <= 60 or not os.access(short, os.W_OK):
        return None
    return short


def _remove_home(home: Path, gpg: str) -> None:
    gpgconf = shutil.which("gpgconf")
    if gpgconf is not None and shutil.which(gpg) is not None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(
                [gpgconf, "--homedir", str(home), "--kill", "all"],
                capture_output=True,
                timeout=10,
                check=False,
            )
    shutil.rmtree(home, ignore_errors=True)


def _pyrage() -> Any:
    try:
        import pyrage
    except ImportError:
        raise SopsError(
            "age-encrypted SOPS files need pyrage: pip install gitopslib[secrets]"
        ) from None
    return pyrage
