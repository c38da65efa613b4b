"""Lists of strings as two plain numpy arrays (UTF-8 bytes + offsets), loadable without pickle.

A fixed-width ``'U'`` array would take ``4 × longest × count`` bytes (over 200 MB for BBC News,
whose longest article has 25k characters); bytes + offsets take the text's own size.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np


def encode(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 UTF-8 bytes of all texts, int64 offsets of length n + 1)."""
    blobs = [t.encode("utf-8") for t in texts]
    offsets = np.zeros(len(blobs) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in blobs], out=offsets[1:])
    data = np.frombuffer(b"".join(blobs), dtype=np.uint8).copy()
    return data, offsets


def decode(data: np.ndarray, offsets: np.ndarray) -> list[str]:
    """Inverse of :func:`encode`; raises ValueError on malformed arrays."""
    if data.dtype != np.uint8 or data.ndim != 1 or offsets.dtype != np.int64 or offsets.ndim != 1:
        raise ValueError("text arrays must be uint8 bytes and int64 offsets")
    if len(offsets) == 0 or offsets[0] != 0 or offsets[-1] != len(data):
        raise ValueError("text offsets do not match the byte array")
    if np.any(np.diff(offsets) < 0):
        raise ValueError("text offsets are not increasing")
    raw = data.tobytes()
    return [raw[a:b].decode("utf-8", errors="replace") for a, b in zip(offsets[:-1], offsets[1:])]


def save(prefix: Path, texts: Sequence[str]) -> None:
    """Write ``PREFIX.utf8.npy`` and ``PREFIX.offsets.npy``."""
    data, offsets = encode(texts)
    np.save(f"{prefix}.utf8.npy", data, allow_pickle=False)
    np.save(f"{prefix}.offsets.npy", offsets, allow_pickle=False)


def load(prefix: Path) -> list[str]:
    """Read what :func:`save` wrote."""
    data = np.load(f"{prefix}.utf8.npy", allow_pickle=False)
    offsets = np.load(f"{prefix}.offsets.npy", allow_pickle=False)
    return decode(data, offsets)
