"""Per-student seeds: HMAC-SHA256(course secret, set id / student id / question id / reroll).

Seeds are stable (the same inputs give the same seed on every machine), unguessable without the
secret, and re-rollable one student at a time by bumping that student's reroll counter.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from ..errors import ConvgradeError

#: Environment variable holding the course secret.
SECRET_ENV = "CONVGRADE_SECRET"


def derive_seed(secret: bytes, set_id: str, student: str, question: str, reroll: int = 0) -> int:
    """A 63-bit seed from HMAC-SHA256(secret, ``set_id/student/question/reroll``).

    >>> derive_seed(b"k", "cnn-w3", "s001", "q1") == derive_seed(b"k", "cnn-w3", "s001", "q1")
    True
    >>> derive_seed(b"k", "cnn-w3", "s001", "q1", 1) != derive_seed(b"k", "cnn-w3", "s001", "q1")
    True
    """
    message = f"{set_id}/{student}/{question}/{reroll}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def public_secret(set_id: str) -> bytes:
    """The stand-in secret when none is given (variants mode only): predictable by design."""
    return f"convgrade-public/{set_id}".encode()


def load_secret(secret_file: Path | None) -> bytes | None:
    """The course secret from ``secret_file`` or ``$CONVGRADE_SECRET``; None when neither is set.

    Surrounding whitespace (a trailing newline) is stripped; an empty secret is an error.
    """
    if secret_file is not None:
        try:
            raw = Path(secret_file).read_bytes().strip()
        except OSError as exc:
            raise ConvgradeError(
                f"{secret_file}: cannot read the secret file ({exc.strerror})"
            ) from None
        if not raw:
            raise ConvgradeError(f"{secret_file}: the secret file is empty")
        return raw
    env = os.environ.get(SECRET_ENV)
    if env is None:
        return None
    raw = env.strip().encode()
    if not raw:
        raise ConvgradeError(f"${SECRET_ENV} is set but empty")
    return raw
