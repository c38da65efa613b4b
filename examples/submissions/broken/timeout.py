"""Broken on purpose: never returns (status timeout)."""


def build_model(task):
    while True:
        pass
