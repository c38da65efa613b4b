"""Calibrate an assignment's thresholds: train a reference solution with several seeds and put
the thresholds below what it reliably reaches (mean − k·σ), so published thresholds are fair."""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from convgrade.exercises.errors import ConvgradeError
from convgrade.grader.assignment import Assignment, ScoringSpec, Tier
from convgrade.grader.result import Result


@dataclass
class Calibration:
    """Accuracies of the reference runs and the thresholds they suggest."""

    seeds: list[int]
    accuracies: list[float]
    mean: float
    std: float
    sigmas: float
    scoring: ScoringSpec

    @property
    def bar(self) -> float:
        """mean − sigmas·std: the accuracy the top threshold moves to."""
        return self.mean - self.sigmas * self.std


def suggest(scoring: ScoringSpec, bar: float) -> ScoringSpec:
    """The scoring rule with its top threshold at ``bar`` (rounded down to 0.1 %); lower tiers
    keep their ratios to the top, a linear ramp keeps its width."""
    bar = max(0.0, math.floor(bar * 1000) / 1000)
    if scoring.rule == "linear":
        width = scoring.target - scoring.floor
        floor = max(0.0, round(bar - width, 3))
        return dataclasses.replace(scoring, floor=floor, target=max(bar, floor + 0.001))
    top = scoring.tiers[-1].accuracy
    tiers = tuple(
        Tier(math.floor(t.accuracy / top * bar * 1000) / 1000 if top else bar, t.points)
        for t in scoring.tiers
    )
    return dataclasses.replace(scoring, tiers=tiers)


def calibrate(
    reference: Path,
    a: Assignment,
    runs: int,
    *,
    sigmas: float = 2.0,
    grade: Callable[[Path, Assignment], Result],
    on_run: Callable[[int, Result], None] | None = None,
) -> Calibration:
    """Grade ``reference`` ``runs`` times with seeds ``a.seed``, ``a.seed + 1``, ..."""
    seeds = [a.seed + i for i in range(runs)]
    accs: list[float] = []
    for seed in seeds:
        res = grade(reference, a.replace(seed=seed))
        if on_run:
            on_run(seed, res)
        if not res.ok or res.accuracy is None:
            raise ConvgradeError(
                f"{reference}: the reference solution failed with seed {seed} "
                f"({res.status}: {res.message})"
            )
        accs.append(res.accuracy)
    mean = statistics.fmean(accs)
    std = statistics.stdev(accs) if len(accs) > 1 else 0.0
    cal = Calibration(seeds, accs, mean, std, sigmas, a.scoring)
    cal.scoring = suggest(a.scoring, cal.bar)
    return cal


def write_spec(a: Assignment, scoring: ScoringSpec, path: Path) -> None:
    """Write the assignment, with new scoring, as a TOML spec file."""
    import tomli_w

    doc = dataclasses.replace(a, scoring=scoring).to_dict()
    doc["data"]["image_size"] = list(doc["data"]["image_size"])
    if scoring.rule == "tiers":
        for key in ("floor", "target"):
            doc["scoring"].pop(key)
    else:
        doc["scoring"].pop("tiers")
    text = tomli_w.dumps(doc)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
