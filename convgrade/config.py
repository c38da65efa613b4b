"""Course defaults from ``convgrade.toml``: the file in the current folder, or ``--config FILE``.

```toml
secret_file = "secret.txt"       # grade build: the course secret (never written out)
data = "~/datasets/cifar-10-batches-py"   # grade submit/batch/calibrate: local data set copy
backend = "bwrap"                # grade submit/batch/calibrate: isolation backend
workers = 4                      # grade batch: submissions graded at once
```

Relative paths are relative to the file's folder. A command-line option always wins over the
file; the file wins over the built-in default.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from convgrade.exercises.errors import ConvgradeError, did_you_mean

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: The file looked for in the current folder.
FILENAME = "convgrade.toml"

#: key -> (expected type, is a path, what it is for)
KEYS: dict[str, tuple[type, bool, str]] = {
    "secret_file": (str, True, "file holding the course secret (grade build)"),
    "data": (str, True, "local copy of the data set (grade submit, batch, calibrate)"),
    "backend": (str, False, "isolation backend (grade submit, batch, calibrate)"),
    "workers": (int, False, "submissions graded at once (grade batch)"),
}


class ConfigError(ConvgradeError):
    """A bad ``convgrade.toml``: names the file and the key."""


@dataclass(frozen=True)
class Config:
    """The defaults a course file supplies (empty when there is none)."""

    path: Path | None = None
    values: dict[str, Any] = field(default_factory=dict)

    def defaults(self, params: list[str] | tuple[str, ...] | set[str]) -> dict[str, Any]:
        """The values for the parameters a command has (by parameter name)."""
        return {k: v for k, v in self.values.items() if k in params}


def find(explicit: str | Path | None = None, cwd: Path | None = None) -> Path | None:
    """``explicit`` (which must exist), else ``convgrade.toml`` in ``cwd``, else None."""
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(f"{path}: no such config file")
        return path
    path = (cwd or Path.cwd()) / FILENAME
    return path if path.is_file() else None


def load(explicit: str | Path | None = None, cwd: Path | None = None) -> Config:
    """Read and check the course file (see the module docstring).

    >>> load(cwd=Path("/nonexistent")).values
    {}
    """
    path = find(explicit, cwd)
    if path is None:
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return Config(path, parse(data, path))


def parse(data: dict[str, Any], path: Path) -> dict[str, Any]:
    """Checked values, paths made absolute against the file's folder.

    >>> parse({"workers": 2, "data": "cifar"}, Path("/course/convgrade.toml"))
    {'workers': 2, 'data': '/course/cifar'}
    >>> parse({"worker": 2}, Path("c.toml"))
    Traceback (most recent call last):
    ...
    convgrade.config.ConfigError: c.toml: unknown key 'worker' (did you mean 'workers'?); ...
    """
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in KEYS:
            raise ConfigError(
                f"{path}: unknown key {key!r}{did_you_mean(key, KEYS)}; expected {', '.join(KEYS)}"
            )
        kind, is_path, what = KEYS[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ConfigError(
                f"{path}: key {key!r}: expected a {kind.__name__} ({what}), got {value!r}"
            )
        if is_path:
            value = str((path.parent / Path(value).expanduser()).resolve())
        out[key] = value
    return out
