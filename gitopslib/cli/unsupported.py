"""Errors about what gitopslib does not do yet, reworded to say so (instead of naming only the
symptom). Today: SOPS-encrypted Helm value files read through helm-secrets' URL schemes
(``secrets://``, ``secrets+age-import://``, ...). When SOPS support lands, delete this module
and its one call in ``locate.py``.
"""

from __future__ import annotations

import re

# the Helm source's refusal of a value-file URL scheme it does not allow
_SECRETS_SCHEME = re.compile(r"the URL scheme '(secrets(?:\+[\w-]+)?)' is not allowed")


def unsupported_hint(message: str) -> str:
    """``message``, with what is unsupported said plainly when it is about helm-secrets.

    >>> print(unsupported_hint("x: the URL scheme 'secrets' is not allowed"))  # doctest: +ELLIPSIS
    x: SOPS-encrypted value files (helm-secrets, scheme 'secrets') are not supported yet: ...
    """
    found = _SECRETS_SCHEME.search(message)
    if found is None:
        return message
    return (
        message[: found.start()]
        + f"SOPS-encrypted value files (helm-secrets, scheme {found.group(1)!r}) are not "
        "supported yet: decrypt the file in the pipeline before rendering, or use plain values"
        + message[found.end() :]
    )
