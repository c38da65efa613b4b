"""Keep Python's cyclic garbage collector from walking a big answer key over and over.

A class key holds a few hundred thousand objects. Reading it creates them all, and marking a
class creates as many again: each allocation burst triggers full collections, which walk every
object alive, the key included. That was half the time of reading a 25 MB key and a large
share of marking. Nothing is leaked: reference counting still frees everything; only the
cycle search is paused or told to skip the old objects meanwhile.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside (for building acyclic data such as parsed JSON)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


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
