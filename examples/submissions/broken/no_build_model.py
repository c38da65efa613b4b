"""Broken on purpose: the function has the wrong name (status no-build-model)."""


def build(task):
    return None
