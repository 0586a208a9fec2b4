"""Execution ids: valid UUIDv4 strings that encode the execution's key reversibly.

The key (a 64-bit integer) goes through a keyed Feistel permutation, so ids look random and differ
between seeds, and the rest of the UUID's random bits carry a keyed check value, so a well-formed
id that the world never issued is recognised without any lookup table.
"""

from __future__ import annotations

import re

from .rng import MASK64, hash_ints

_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_MASK32 = (1 << 32) - 1
_MASK58 = (1 << 58) - 1
_ROUNDS = 4


class MalformedId(ValueError):
    """The string is not a UUID at all (CDF answers 400 for these)."""


class IdCodec:
    def __init__(self, seed: int, domain: int = 0) -> None:
        self._round_keys = tuple(hash_ints(seed, domain, 0xFE15, r) for r in range(_ROUNDS))
        self._check_key = hash_ints(seed, domain, 0xC4EC)

    def _permute(self, x: int) -> int:
        left, right = x >> 32, x & _MASK32
        for k in self._round_keys:
            left, right = right, left ^ (hash_ints(k, right) & _MASK32)
        return (left << 32) | right

    def _unpermute(self, x: int) -> int:
        left, right = x >> 32, x & _MASK32
        for k in reversed(self._round_keys):
            left, right = right ^ (hash_ints(k, left) & _MASK32), left
        return (left << 32) | right

    def _check(self, permuted: int) -> int:
        return hash_ints(self._check_key, permuted) & _MASK58

    def encode(self, key: int) -> str:
        permuted = self._permute(key & MASK64)
        payload = (permuted << 58) | self._check(permuted)  # 122 bits
        # UUIDv4 layout: 48 free bits, version nibble, 12 free bits, variant '10', 62 free bits.
        top48 = payload >> 74
        mid12 = (payload >> 62) & 0xFFF
        low62 = payload & ((1 << 62) - 1)
        value = (top48 << 80) | (0x4 << 76) | (mid12 << 64) | (0b10 << 62) | low62
        h = f"{value:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def decode(self, text: str) -> int | None:
        """The key an id encodes, or None for a well-formed id this world never issued."""
        text = text.lower()
        if not _UUID_RE.match(text):
            raise MalformedId(text)
        value = int(text.replace("-", ""), 16)
        if (value >> 76) & 0xF != 4 or (value >> 62) & 0b11 != 0b10:
            return None
        top48 = value >> 80
        mid12 = (value >> 64) & 0xFFF
        low62 = value & ((1 << 62) - 1)
        payload = (top48 << 74) | (mid12 << 62) | low62
        permuted = payload >> 58
        if payload & _MASK58 != self._check(permuted):
            return None
        return self._unpermute(permuted)


def derived_uuid(*values: int) -> str:
    """A UUIDv4-shaped id derived from integers (task ids, engine ids): not decodable."""
    hi, lo = hash_ints(*values, 1), hash_ints(*values, 2)
    value = (hi << 64) | lo
    value = (value & ~(0xF << 76)) | (0x4 << 76)
    value = (value & ~(0b11 << 62)) | (0b10 << 62)
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
