"""PDF handouts: the HTML pages typeset by WeasyPrint, in parallel chunks for large classes.

Papers are typeset in fixed chunks of :data:`CHUNK` papers (independent of the machine's core
count, so the bytes do not depend on it), each chunk in a worker process, and the chunks are
concatenated with pypdf. Output is byte-reproducible: WeasyPrint writes no dates, and the font
subsets' ``head`` timestamps are pinned with ``SOURCE_DATE_EPOCH``.
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import os
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ..errors import ConvgradeError

#: Papers per typesetting chunk (one worker task).
CHUNK = 20


def available() -> bool:
    """Whether WeasyPrint (and pypdf, for large classes) can be imported here."""
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("weasyprint", "pypdf"))


def typeset(html: str) -> bytes:
    """One HTML document -> PDF bytes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # WeasyPrint's HarfBuzz-Subset notice
        import weasyprint

        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        logging.getLogger("fontTools").setLevel(logging.ERROR)
        saved = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = "0"  # fontTools stamps subsets with the time otherwise
        try:
            return weasyprint.HTML(string=html, base_url=".").write_pdf()
        finally:
            if saved is None:
                del os.environ["SOURCE_DATE_EPOCH"]
            else:
                os.environ["SOURCE_DATE_EPOCH"] = saved


def write_pdf(
    bodies: list[str],
    page: Callable[[list[str]], str],
    path: Path,
    *,
    workers: int | None = None,
    progress: Callable[[Iterable, str], Iterable] | None = None,
) -> None:
    """Typeset ``page(bodies)`` into ``path``; chunks of :data:`CHUNK` bodies typeset in parallel.

    ``page`` wraps a list of paper bodies into a whole HTML document.
    """
    if not available():
        raise ConvgradeError("format pdf needs WeasyPrint and pypdf: pip install 'convgrade[pdf]'")
    chunks = [bodies[i : i + CHUNK] for i in range(0, len(bodies), CHUNK)] or [[]]
    if len(chunks) == 1:
        path.write_bytes(typeset(page(chunks[0])))
        return
    workers = workers or min(len(chunks), os.cpu_count() or 1)
    htmls = [page(c) for c in chunks]
    each = progress or (lambda items, label: items)
    # fork: spawn would re-import the caller's __main__; WeasyPrint is not loaded in the parent
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        parts = list(each(pool.map(typeset, htmls), "typesetting"))
    from pypdf import PdfWriter

    writer = PdfWriter()
    for data in parts:
        writer.append(io.BytesIO(data))
    with open(path, "wb") as f:
        writer.write(f)
