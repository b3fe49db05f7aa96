"""Short codes for resident-facing references (receipts, tickets, bookings).

Codes read well aloud and on a phone: 8 characters shown as ``XXXX-XXXX`` from an alphabet
without look-alikes (no I/1/L, O/0/Q/D, Z/2, S/5, B/8, U/V, G/6), the last one a check character
(Luhn mod N) so a misheard code is caught instead of finding someone else's record. Uniqueness is per
municipality; the model using a code also holds a unique constraint on (municipality, code).
"""

from __future__ import annotations

import secrets
from typing import Any

from yakusho.core.validators import normalize_text

ALPHABET = "ACEFHJKMNPRTWXY34679"  # 20 characters: Luhn mod N needs an even N
LENGTH = 8


def _check_char(body: str) -> str:
    """Luhn mod N: catches every single wrong character and most swaps of neighbours."""
    n = len(ALPHABET)
    factor, total = 2, 0
    for c in reversed(body):
        addend = factor * ALPHABET.index(c)
        total += addend // n + addend % n
        factor = 3 - factor
    return ALPHABET[(n - total % n) % n]


def generate() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH - 1))
    return body + _check_char(body)


def fresh(used: set[str]) -> str:
    """A code not in ``used``, added to it: for loaders that make many codes at once (the demo's
    payments, tickets and visits), which know every code of the municipality already taken."""
    code = generate()
    while code in used:
        code = generate()
    used.add(code)
    return code


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def normalize(value: str) -> str | None:
    """Canonical form of a typed code (any case, 全角, spaces or hyphens), or None if invalid."""
    text = normalize_text(value).upper().replace("-", "").replace(" ", "").replace("ー", "")
    if len(text) != LENGTH or any(c not in ALPHABET for c in text):
        return None
    if _check_char(text[:-1]) != text[-1]:
        return None
    return text


def unique_code(model: Any, municipality: Any, field: str = "code", attempts: int = 20) -> str:
    """A code not yet used by ``model`` in ``municipality``."""
    for _ in range(attempts):
        code = generate()
        if not model.objects.filter(municipality=municipality, **{field: code}).exists():
            return code
    raise RuntimeError("could not find a free short code")  # pragma: no cover - 20^7 codes
