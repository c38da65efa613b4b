"""Broken on purpose: EPOCHS must be a positive integer (status bad-setting)."""

EPOCHS = "ten"


def build_model(task):
    return None
