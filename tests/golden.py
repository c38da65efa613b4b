"""Golden pins: (kind, version, seed, difficulty) -> params and answers.

A generator change that alters existing variants must bump the kind's version; the golden test
fails otherwise. After bumping a version on purpose, re-pin that kind:

    python tests/golden.py --update conv2d
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

GOLDEN_DIR = Path(__file__).parent / "golden"
SEEDS = range(8)
DIFFICULTIES = (1, 2, 3)


def pin(kind: str) -> dict:
    """The current generator's output for the pinned seeds."""
    from convgrade import exercises

    entries = []
    version = None
    for d in DIFFICULTIES:
        for seed in SEEDS:
            ex = exercises.generate(kind, seed=seed, difficulty=d)
            version = ex.version
            entries.append(
                {"seed": seed, "difficulty": d, "params": ex.params, "answer": ex.answer}
            )
    return {"kind": kind, "version": version, "variants": entries}


def path(kind: str) -> Path:
    return GOLDEN_DIR / f"{kind}.json"


def write(kind: str) -> None:
    path(kind).write_text(json.dumps(pin(kind), indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    ap = argparse.ArgumentParser(description="Re-pin golden variants after a version bump.")
    ap.add_argument(
        "--update",
        nargs="*",
        metavar="KIND",
        required=True,
        help="kinds to re-pin (none given: every kind without a pin file)",
    )
    args = ap.parse_args()
    from convgrade import exercises

    kinds = args.update or [k for k in exercises.kinds() if not path(k).exists()]
    for k in kinds:
        write(k)
        print(f"pinned {k} -> {path(k)}")
