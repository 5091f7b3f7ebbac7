"""Registry pseudonyms: HMAC-SHA256 of ``kind:id`` keyed with the installation's secret, and
each patient's date shift derived the same way (intervals within a patient stay exact)."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np

__all__ = ["MAX_SHIFT_DAYS", "Pseudonymiser"]

MAX_SHIFT_DAYS = 183


class Pseudonymiser:
    """Stable pseudonymous ids and per-patient date shifts from one secret key."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the registry secret must be at least 16 bytes")
        self._key = secret
        # the keyed state made once: each id then costs a copy and one update (RFC 2104 pads
        # hashed once), the same bytes as hmac.digest at about half its cost
        self._keyed = hmac.new(secret, digestmod=hashlib.sha256)

    def _digest(self, text: str) -> bytes:
        return hmac.digest(self._key, text.encode(), hashlib.sha256)

    def pid(self, kind: str, row_id: int | None) -> str | None:
        """The pseudonym of row ``row_id`` of ``kind`` (16 hex digits), ``None`` for no row."""
        return None if row_id is None else self._digest(f"{kind}:{row_id}").hex()[:16]

    def shift_days(self, patient_id: int) -> int:
        """The patient's date shift: a whole number of days in ±1..MAX_SHIFT_DAYS, never 0."""
        return _shift_of(int.from_bytes(self._digest(f"shift:{patient_id}")[:8], "big"))

    def _digests(self, kind: str, row_ids: list[int]) -> list[bytes]:
        """The first 8 bytes of the HMAC of ``kind:id`` for each id (as ``_digest``)."""
        keyed = self._keyed.copy
        prefix = kind.encode() + b":%d"
        out = []
        for row_id in row_ids:
            mac = keyed()
            mac.update(prefix % row_id)
            out.append(mac.digest()[:8])
        return out

    def pids_of(self, kind: str, row_ids: list[int]) -> list[str]:
        """``pid`` of each of ``row_ids`` (ints)."""
        return [digest.hex() for digest in self._digests(kind, row_ids)]

    def shifts(self, patient_ids: list[int]) -> np.ndarray:
        """``shift_days`` of each patient id (int64)."""
        words = np.frombuffer(b"".join(self._digests("shift", patient_ids)), dtype=">u8")
        magnitude = 1 + (words % MAX_SHIFT_DAYS).astype(np.int64)
        return np.where((words >> np.uint64(32)) % 2 == 1, magnitude, -magnitude)


def _shift_of(value: int) -> int:
    magnitude = 1 + value % MAX_SHIFT_DAYS
    return magnitude if (value >> 32) % 2 else -magnitude
