"""Vectorised random strings: ids, tokens and ciphertexts, from a Generator passed in."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

DIGITS = "0123456789"
BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
HEX = "0123456789abcdef"


def random_strings(rng: np.random.Generator, count: int, length: int, alphabet: str) -> list[str]:
    """`count` strings of `length` characters drawn uniformly from an ASCII `alphabet`."""
    if count == 0 or length == 0:
        return [""] * count
    table = np.frombuffer(alphabet.encode("ascii"), dtype=np.uint8)
    codes = rng.integers(0, table.size, size=(count, length))
    blob = table[codes].tobytes().decode("ascii")
    return [blob[start : start + length] for start in range(0, count * length, length)]


def distinct_numbers(rng: np.random.Generator, count: int, digits: int) -> NDArray[np.int64]:
    """`count` distinct random numbers of exactly `digits` digits (digits <= 18)."""
    low = 10 ** (digits - 1)
    numbers: NDArray[np.int64] = rng.choice(9 * low, size=count, replace=False).astype(np.int64)
    numbers += low
    return numbers


def distinct_ids(rng: np.random.Generator, count: int, digits: int, prefix: str = "") -> list[str]:
    """Distinct id-like texts: `prefix` followed by `digits` digits (any length)."""
    if digits <= 18:
        return [f"{prefix}{number}" for number in distinct_numbers(rng, count, digits).tolist()]
    head = distinct_numbers(rng, count, 18).tolist()
    tails = random_strings(rng, count, digits - 18, DIGITS)
    return [f"{prefix}{number}{tail}" for number, tail in zip(head, tails, strict=True)]


def choose(rng: np.random.Generator, options: tuple[str, ...], count: int) -> list[str]:
    picks = rng.integers(0, len(options), size=count).tolist()
    return [options[pick] for pick in picks]
