"""Shamir's secret sharing over GF(2^8), in the share layout SOPS uses for key groups.

With several key groups, SOPS splits the 32-byte data key into one share per group; each
share is the secret's length plus one byte: the y values of one polynomial per secret byte,
then the share's x coordinate (never 0). The field is GF(2^8) modulo x^8+x^4+x^3+x+1 (0x11B),
the AES field. Any ``threshold`` shares give the secret back by Lagrange interpolation at 0.
"""

from __future__ import annotations

from collections.abc import Sequence


def _mul(a: int, b: int) -> int:
    result = 0
    while b:
        if b & 1:
            result ^= a
        a <<= 1
        if a & 0x100:
            a ^= 0x11B
        b >>= 1
    return result


def _inv(a: int) -> int:
    # a^254 = a^-1 in GF(2^8)
    result, base, exp = 1, a, 254
    while exp:
        if exp & 1:
            result = _mul(result, base)
        base = _mul(base, base)
        exp >>= 1
    return result


def evaluate(coefficients: Sequence[int], x: int) -> int:
    """The polynomial with ``coefficients`` (constant first) at ``x`` (Horner)."""
    out = 0
    for coefficient in reversed(coefficients):
        out = _mul(out, x) ^ coefficient
    return out


def combine(shares: Sequence[bytes]) -> bytes:
    """The secret behind ``shares``; ValueError for fewer than two, mixed lengths or repeats."""
    if len(shares) < 2:
        raise ValueError("fewer than two shares")
    length = len(shares[0])
    if length < 2 or any(len(s) != length for s in shares):
        raise ValueError("shares of different lengths")
    xs = [s[-1] for s in shares]
    if len(set(xs)) != len(xs) or 0 in xs:
        raise ValueError("repeated or zero share coordinate")
    # Lagrange basis at 0: prod_{j != i} x_j / (x_i - x_j); subtraction is XOR.
    weights = []
    for i, xi in enumerate(xs):
        num, den = 1, 1
        for j, xj in enumerate(xs):
            if i != j:
                num = _mul(num, xj)
                den = _mul(den, xi ^ xj)
        weights.append(_mul(num, _inv(den)))
    secret = bytearray(length - 1)
    for idx in range(length - 1):
        acc = 0
        for share, weight in zip(shares, weights, strict=True):
            acc ^= _mul(share[idx], weight)
        secret[idx] = acc
    return bytes(secret)
