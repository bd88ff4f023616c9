"""Errors about what the command line does not do yet, reworded to say so (instead of naming
only the symptom). Today: SOPS-encrypted Helm value files read through helm-secrets' URL
schemes (``secrets://``, ``secrets+age-import://``, ...), which the library decrypts with
``options={"helm_secrets": HelmSecrets(...)}`` but no flag of the command sets up yet. When
such flags land, delete this module and its one call in ``locate.py``.
"""

from __future__ import annotations

import re

# the Helm source's refusal of a value-file URL scheme it does not allow, with its advice
_SECRETS_SCHEME = re.compile(r"the URL scheme '(secrets(?:\+[\w-]+)?)' is not allowed.*$")


def unsupported_hint(message: str) -> str:
    """``message``, with what is unsupported said plainly when it is about helm-secrets.

    >>> print(unsupported_hint("x: the URL scheme 'secrets' is not allowed"))  # doctest: +ELLIPSIS
    x: SOPS-encrypted value files (helm-secrets, scheme 'secrets') are not decrypted by ...
    """
    found = _SECRETS_SCHEME.search(message)
    if found is None:
        return message
    return (
        message[: found.start()]
        + f"SOPS-encrypted value files (helm-secrets, scheme {found.group(1)!r}) are not "
        "decrypted by the gitopslib command yet: render through the Python API with "
        "options={'helm_secrets': HelmSecrets(...)}, or decrypt the file before rendering"
    )
