"""Broken on purpose: a misspelt module (status import-error)."""

import kerass  # noqa: F401


def build_model(task):
    return None
