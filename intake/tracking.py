"""Tracking numbers and citizen secrets.

A tracking number is 7 data characters and 1 check character from a 31-symbol alphabet that leaves
out 0/O and 1/I/L, shown as `XXXX-XXXX`. Because 31 is prime and every position has a distinct
non-zero weight, any single mistyped character and any swap of two neighbours breaks the check, so
a typo is reported instead of silently matching someone else's grievance.

The data part is a scrambled (keyed Feistel permutation) form of the grievance's row id: two ids
never share a number, and neighbouring complaints do not get neighbouring numbers. It is not a
secret; the citizen secret is what protects the tracking page.
"""

from __future__ import annotations

import hashlib
import secrets

from core.errors import InvalidInput

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
BASE = len(ALPHABET)  # 31, prime
DATA_CHARS = 7
CAPACITY = BASE**DATA_CHARS  # 27,512,614,111 numbers
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_INVERSE_OF_LAST_WEIGHT = pow(DATA_CHARS + 1, -1, BASE)
_HALF_BITS = 18  # a 36-bit Feistel domain covers CAPACITY (about 2**34.7)
_HALF_MASK = (1 << _HALF_BITS) - 1
_ROUND_KEYS = (0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C)
SECRET_CHARS = 16  # 31**16 is about 2**79


class InvalidTrackingNumber(InvalidInput):
    def __init__(self, message: str) -> None:
        super().__init__(message, field="tracking_number")


def _round(half: int, key: int) -> int:
    x = (half * 0x9E3779B1 + key) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x85EBCA6B) & 0xFFFFFFFF
    x ^= x >> 13
    return x & _HALF_MASK


def _feistel(value: int) -> int:
    left, right = value >> _HALF_BITS, value & _HALF_MASK
    for key in _ROUND_KEYS:
        left, right = right, left ^ _round(right, key)
    return (left << _HALF_BITS) | right


def scramble(sequence: int) -> int:
    """A permutation of range(CAPACITY): cycle-walk the Feistel network until it lands inside."""
    if not 0 <= sequence < CAPACITY:
        raise ValueError("tracking number space exhausted")
    value = _feistel(sequence)
    while value >= CAPACITY:
        value = _feistel(value)
    return value


def check_character(data: str) -> str:
    """The character that makes sum((i + 1) * value) divisible by 31 over all eight positions."""
    total = sum((i + 1) * _VALUE[ch] for i, ch in enumerate(data))
    return ALPHABET[(-total * _INVERSE_OF_LAST_WEIGHT) % BASE]


def number_for(sequence: int) -> str:
    """The tracking number of the grievance with this row id."""
    value = scramble(sequence)
    digits = []
    for _ in range(DATA_CHARS):
        value, digit = divmod(value, BASE)
        digits.append(ALPHABET[digit])
    data = "".join(reversed(digits))
    code = data + check_character(data)
    return f"{code[:4]}-{code[4:]}"


def parse(text: str) -> str:
    """Normalise what a citizen typed (any case, spaces or dashes) to `XXXX-XXXX`, or say what is wrong."""
    if len(text) > 40:
        raise InvalidTrackingNumber("a tracking number has 8 characters, like K7MQ-4QXD")
    compact = "".join(ch for ch in text.upper() if ch not in " -._\t")
    if len(compact) != DATA_CHARS + 1:
        raise InvalidTrackingNumber("a tracking number has 8 characters, like K7MQ-4QXD")
    wrong = sorted({ch for ch in compact if ch not in _VALUE})
    if wrong:
        raise InvalidTrackingNumber(
            f"tracking numbers never contain {', '.join(repr(c) for c in wrong)}; please check the number")
    if check_character(compact[:DATA_CHARS]) != compact[DATA_CHARS]:
        raise InvalidTrackingNumber("this tracking number has a typo; please check each character")
    return f"{compact[:4]}-{compact[4:]}"


def is_valid(text: str) -> bool:
    try:
        parse(text)
    except InvalidTrackingNumber:
        return False
    return True


def new_secret() -> str:
    """A citizen secret of about 79 random bits, grouped for reading aloud: `XXXX-XXXX-XXXX-XXXX`."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(SECRET_CHARS))
    return "-".join(raw[i:i + 4] for i in range(0, SECRET_CHARS, 4))


def hash_secret(secret: str) -> str:
    """Store only a hash; the secret is normalised first so case and dashes do not matter."""
    compact = "".join(ch for ch in secret.upper() if ch.isalnum())
    return hashlib.sha256(compact.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return secrets.compare_digest(hash_secret(secret), stored_hash)
