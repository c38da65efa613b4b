"""Assignment specs: TOML files naming the data set, the training budget, limits and scoring.

A spec is plain data (no TensorFlow here). Built-in specs live in ``grader/assignments/*.toml``;
``load_assignment`` takes a built-in name or a path to a ``.toml`` file. Every problem in a spec
is reported as one line naming the file and the key.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from convgrade.exercises.errors import ConvgradeError, ParamError, SpecError, did_you_mean
from convgrade.grader.devices import KERAS_BACKENDS
from convgrade.grader.limits import parse_seconds, parse_size

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

OPTIMIZERS = ("adam", "sgd", "rmsprop", "adamw", "adagrad", "nadam")
RULES = ("tiers", "linear")


@dataclass(frozen=True)
class DataSpec:
    """Which data set and how it is prepared: scaling, validation/test split, subsampling."""

    dataset: str
    scale: float = 1.0
    validation_split: float = 0.2
    test_split: float = 0.25
    max_train_samples: int = 0
    max_test_samples: int = 0
    split_seed: int = 0
    image_size: tuple[int, int] = (32, 32)
    #: the instructor's own test set (``npz:PATH`` or ``directory:PATH``); its labels never
    #: leave the grader process. "" = the data set's test split.
    hidden_test: str = ""


@dataclass(frozen=True)
class TrainingSpec:
    """The budget the grader fixes: a submission may ask fewer epochs or another batch size."""

    epochs: int = 10
    batch_size: int = 32
    min_batch_size: int = 8
    max_batch_size: int = 512
    optimizer: str = "adam"
    learning_rate: float = 0.001
    from_logits: bool = True
    #: the Keras backend the worker trains with (``tensorflow`` or ``jax``)
    keras_backend: str = "tensorflow"


@dataclass(frozen=True)
class LimitsSpec:
    """Resource limits of one grading run."""

    max_params: int = 1_000_000
    time_limit_s: float = 600.0
    memory_bytes: int = 4 * 2**30


@dataclass(frozen=True)
class Tier:
    accuracy: float
    points: float


@dataclass(frozen=True)
class ScoringSpec:
    """Accuracy -> points: ``tiers`` (best tier reached) or ``linear`` (ramp floor -> target)."""

    max_score: float = 10.0
    rule: str = "tiers"
    tiers: tuple[Tier, ...] = ()
    floor: float = 0.0
    target: float = 1.0

    def points(self, accuracy: float) -> float:
        """Points earned by a test accuracy in [0, 1]."""
        if self.rule == "linear":
            frac = (accuracy - self.floor) / (self.target - self.floor)
            return round(self.max_score * min(max(frac, 0.0), 1.0), 2)
        reached = [t.points for t in self.tiers if accuracy >= t.accuracy]
        return max(reached, default=0.0)

    def thresholds(self) -> list[tuple[float, float]]:
        """(accuracy, points) pairs a student can reach, lowest first."""
        if self.rule == "linear":
            return [(self.floor, 0.0), (self.target, self.max_score)]
        return [(t.accuracy, t.points) for t in self.tiers]


@dataclass(frozen=True)
class Assignment:
    """One graded model-building assignment."""

    name: str
    title: str
    data: DataSpec
    training: TrainingSpec = field(default_factory=TrainingSpec)
    limits: LimitsSpec = field(default_factory=LimitsSpec)
    scoring: ScoringSpec = field(default_factory=ScoringSpec)
    seed: int = 1234
    description: str = ""
    source: str = ""

    def replace(self, **changes: Any) -> Assignment:
        """A copy with top-level fields changed (``seed=...``) or ``epochs=...``."""
        epochs = changes.pop("epochs", None)
        new = dataclasses.replace(self, **changes)
        if epochs is not None:
            new = dataclasses.replace(
                new, training=dataclasses.replace(new.training, epochs=epochs)
            )
        return new

    def to_dict(self) -> dict[str, Any]:
        """Plain data in the TOML layout (``time_limit``/``memory_limit`` as numbers)."""
        d = dataclasses.asdict(self)
        d.pop("source")
        d["limits"] = {
            "max_params": self.limits.max_params,
            "time_limit": self.limits.time_limit_s,
            "memory_limit": self.limits.memory_bytes,
        }
        d["scoring"]["tiers"] = [dataclasses.asdict(t) for t in self.scoring.tiers]
        return d


class _Reader:
    """Typed access to one TOML table; rejects unknown keys, names the key in errors."""

    def __init__(self, source: str, table: Any, prefix: str) -> None:
        if not isinstance(table, dict):
            raise SpecError(source, prefix.rstrip("."), "a table", table)
        self.source, self.table, self.prefix, self.used = source, table, prefix, set()

    def get(self, key: str, kind: type | tuple, default: Any = dataclasses.MISSING) -> Any:
        self.used.add(key)
        if key not in self.table:
            if default is dataclasses.MISSING:
                raise SpecError(self.source, self.prefix + key, "a value (required)")
            return default
        value = self.table[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
        if not ok:
            names = " or ".join(k.__name__ for k in kinds)
            raise SpecError(self.source, self.prefix + key, f"a {names}", value)
        return value

    def number(self, key: str, default: Any, lo: float | None = None, hi: float | None = None):
        value = self.get(key, (int, float), default)
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise SpecError(self.source, self.prefix + key, f"a number in [{lo}, {hi}]", value)
        return value

    def done(self) -> None:
        extra = sorted(set(self.table) - self.used)
        if extra:
            hint = did_you_mean(extra[0], self.used)
            raise SpecError(f"{self.source}: unknown key '{self.prefix}{extra[0]}'{hint}")


def _image_size(source: str, value: list) -> tuple[int, int]:
    ok = len(value) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    if not ok or min(value) < 1:
        raise SpecError(source, "data.image_size", "[height, width] in pixels", value)
    return (value[0], value[1])


def _hidden_test(source: str, value: str) -> str:
    """``npz:PATH`` / ``directory:PATH`` (a bare path: by its suffix), relative paths resolved
    against the spec file's folder; the file or folder must exist."""
    if not value:
        return ""
    kind, sep, arg = value.partition(":")
    if not sep or kind not in ("npz", "directory"):
        kind, arg = ("npz" if value.endswith(".npz") else "directory"), value
    path = Path(arg).expanduser()
    spec_file = Path(source)
    if not path.is_absolute() and spec_file.is_file():
        path = spec_file.parent / path
    if not (path.is_file() if kind == "npz" else path.is_dir()):
        what = "an .npz file" if kind == "npz" else "a folder of class folders"
        raise SpecError(source, "data.hidden_test", f"{what} that exists", str(path))
    return f"{kind}:{path}"


def _parse(doc: dict[str, Any], source: str) -> Assignment:
    top = _Reader(source, doc, "")
    name = top.get("name", str)
    title = top.get("title", str, name)
    description = top.get("description", str, "")
    seed = top.get("seed", int, 1234)

    r = _Reader(source, top.get("data", dict), "data.")
    data = DataSpec(
        dataset=r.get("dataset", str),
        scale=float(r.number("scale", 1.0, lo=0)),
        validation_split=float(r.number("validation_split", 0.2, lo=0, hi=0.9)),
        test_split=float(r.number("test_split", 0.25, lo=0.01, hi=0.9)),
        max_train_samples=int(r.get("max_train_samples", int, 0)),
        max_test_samples=int(r.get("max_test_samples", int, 0)),
        split_seed=int(r.get("split_seed", int, 0)),
        image_size=_image_size(source, r.get("image_size", list, [32, 32])),
        hidden_test=_hidden_test(source, r.get("hidden_test", str, "")),
    )
    r.done()

    r = _Reader(source, top.get("training", dict, {}), "training.")
    training = TrainingSpec(
        epochs=int(r.number("epochs", 10, lo=1, hi=10_000)),
        batch_size=int(r.number("batch_size", 32, lo=1)),
        min_batch_size=int(r.number("min_batch_size", 8, lo=1)),
        max_batch_size=int(r.number("max_batch_size", 512, lo=1)),
        optimizer=r.get("optimizer", str, "adam").lower(),
        learning_rate=float(r.number("learning_rate", 0.001, lo=0)),
        from_logits=r.get("from_logits", bool, True),
        keras_backend=r.get("keras_backend", str, "tensorflow").lower(),
    )
    if training.keras_backend not in KERAS_BACKENDS:
        raise SpecError(source, "training.keras_backend", "one of " + ", ".join(KERAS_BACKENDS))
    if training.optimizer not in OPTIMIZERS:
        raise SpecError(source, "training.optimizer", "one of " + ", ".join(OPTIMIZERS))
    if not training.min_batch_size <= training.batch_size <= training.max_batch_size:
        raise SpecError(source, "training.batch_size", "min_batch_size <= batch_size <= max")
    r.done()

    r = _Reader(source, top.get("limits", dict, {}), "limits.")
    raw_time = r.get("time_limit", (int, float, str), 600)
    raw_memory = r.get("memory_limit", (int, str), 4 * 2**30)
    try:
        time_limit = parse_seconds(raw_time)
    except ParamError:
        raise SpecError(source, "limits.time_limit", "seconds, or '90s', '10m'", raw_time) from None
    try:
        memory = parse_size(raw_memory)
    except ParamError:
        raise SpecError(
            source, "limits.memory_limit", "bytes, or '512M', '4G'", raw_memory
        ) from None
    limits = LimitsSpec(int(r.number("max_params", 1_000_000, lo=1)), time_limit, memory)
    r.done()

    r = _Reader(source, top.get("scoring", dict, {}), "scoring.")
    max_score = float(r.number("max_score", 10.0, lo=0))
    rule = r.get("rule", str, "tiers")
    if rule not in RULES:
        raise SpecError(source, "scoring.rule", "'tiers' or 'linear'", rule)
    tiers: list[Tier] = []
    for i, t in enumerate(r.get("tiers", list, [])):
        tr = _Reader(source, t, f"scoring.tiers[{i}].")
        tiers.append(
            Tier(
                float(tr.number("accuracy", None, 0, 1)),
                float(tr.number("points", None, 0, max_score)),
            )
        )
        tr.done()
    tiers.sort(key=lambda t: t.accuracy)
    floor = float(r.number("floor", 0.0, 0, 1))
    target = float(r.number("target", 1.0, 0, 1))
    if rule == "tiers" and not tiers:
        raise SpecError(source, "scoring.tiers", "at least one {accuracy, points} tier")
    if rule == "linear" and not floor < target:
        raise SpecError(source, "scoring.target", f"a value above floor {floor}", target)
    r.done()
    top.done()
    return Assignment(
        name=name,
        title=title,
        data=data,
        training=training,
        limits=limits,
        scoring=ScoringSpec(max_score, rule, tuple(tiers), floor, target),
        seed=seed,
        description=description,
        source=source,
    )


def parse_assignment(text: str, source: str = "<spec>") -> Assignment:
    """An Assignment from TOML text; ``source`` names the file in error messages."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConvgradeError(f"{source}: not valid TOML: {exc}") from None
    return _parse(doc, source)


def builtin_names() -> list[str]:
    """Names of the assignments shipped with convgrade."""
    folder = resources.files("convgrade.grader") / "assignments"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_assignment(name_or_path: str | Path) -> Assignment:
    """A built-in assignment by name, or a spec file by path (``*.toml``)."""
    text_name = str(name_or_path)
    if text_name in builtin_names():
        res = resources.files("convgrade.grader") / "assignments" / f"{text_name}.toml"
        return parse_assignment(res.read_text(encoding="utf-8"), f"{text_name}.toml")
    path = Path(text_name)
    if path.suffix == ".toml" or path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConvgradeError(f"{path}: cannot read assignment spec ({exc.strerror})") from None
        return parse_assignment(text, str(path))
    raise ConvgradeError(
        f"unknown assignment '{text_name}'{did_you_mean(text_name, builtin_names())}: "
        f"expected one of {', '.join(builtin_names())} "
        "or a path to a .toml spec"
    )
