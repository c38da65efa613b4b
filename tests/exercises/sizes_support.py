"""Helpers of the size-constraint tests (kernel_size, input_shape, ...) in the kinds' test files."""

from __future__ import annotations

from convgrade import exercises


def draws(kind: str, params: dict, seeds: int = 6) -> list:
    """Random exercises of ``kind`` with the given ``params`` at every difficulty and seed."""
    return [
        exercises.generate(kind, seed=s, difficulty=d, params=params)
        for d in (1, 2, 3)
        for s in range(seeds)
    ]


def assert_values_vary(exs: list) -> None:
    """The sizes are fixed, the values are not: the inputs differ between draws."""
    assert len({str(ex.params["input"]) for ex in exs}) > 1
