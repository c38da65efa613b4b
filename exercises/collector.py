"""Keep Python's cyclic garbage collector from walking a big answer key over and over.

A class key holds a few hundred thousand objects. Reading it creates them all, and marking a
class creates as many again: each allocation burst triggers full collections, which walk every
object alive, the key included. That was half the time of reading a 25 MB key (now read with
:func:`exercises.parallel.no_gc`) and a large share of marking. Nothing is leaked: the old
objects are only skipped by the cycle search meanwhile.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def old_objects_frozen() -> Iterator[None]:
    """The objects alive on entry (the key) are skipped by collections inside; the new ones
    are collected as usual. Nested uses leave the outermost to unfreeze."""
    outer = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        yield
    finally:
        if not outer:
            gc.unfreeze()
