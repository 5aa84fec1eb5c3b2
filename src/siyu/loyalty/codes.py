"""Unguessable codes for coupons and invitations, from an alphabet without look-alikes."""

from __future__ import annotations

import secrets

# Digits 2–9 and capitals without I, L and O: nothing a customer can misread (0/O, 1/I/L).
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10  # 31**10 ≈ 8.2e14 codes, about 49.5 bits


def new_code(length: int = CODE_LENGTH) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def new_codes(count: int, taken: set[str] | None = None) -> list[str]:
    """`count` distinct codes, none in `taken`."""
    avoid = set(taken or ())
    codes: list[str] = []
    while len(codes) < count:
        code = new_code()
        if code not in avoid:
            avoid.add(code)
            codes.append(code)
    return codes


def normalise_code(text: str) -> str:
    """What a customer typed, as stored: trimmed, upper case, without spaces or dashes."""
    return text.strip().upper().replace(" ", "").replace("-", "")
