"""Broken on purpose: asks for a terabyte of memory (status memory-limit)."""

import numpy as np


def build_model(task):
    cache = np.ones(2**40, dtype=np.uint8)
    return cache
