"""PDF handouts and keys: one Typst document for all papers, compiled once by the Typst compiler.

The compiler ships in the PyPI wheel ``typst`` (no system packages). Only the fonts embedded in
the compiler are used (``ignore_system_fonts``) and the documents carry no date
(``document(date: none)``), so the bytes do not depend on the machine or the time. Headings
become the PDF outline (one entry per paper and per question) and the PDF is tagged.

The compiler releases the GIL and lays pages out on every core, so :class:`Background` runs the
compiles in threads while the build renders its other formats.
"""

from __future__ import annotations

import importlib.util
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from ..errors import ConvgradeError


def available() -> bool:
    """Whether the Typst compiler (PyPI ``typst``) can be imported here."""
    return importlib.util.find_spec("typst") is not None


def compile_typst(source: str, *, tagged: bool = True) -> bytes:
    """Typst markup -> PDF bytes; a compile error (a bug in a template) says where it failed.

    ``tagged``: a tagged (accessible) PDF; about 3 times the bytes and 20% more time.
    """
    if not available():
        raise ConvgradeError("format pdf needs the Typst compiler: pip install 'convgrade[pdf]'")
    import typst

    try:
        return typst.compile(source.encode("utf-8"), ignore_system_fonts=True, pdf_tags=tagged)
    except RuntimeError as exc:  # typst.TypstError derives from RuntimeError
        raise ConvgradeError(f"typesetting the PDF failed: {exc}") from None


def write_pdf(source: str, path: Path, *, tagged: bool = True) -> None:
    """Compile a Typst document into ``path``."""
    Path(path).write_bytes(compile_typst(source, tagged=tagged))


class Background:
    """PDF compiles in threads beside the caller's other work; :meth:`wait` re-raises a failure.

    Use as a context manager: leaving it waits for compiles still running (never leaves a
    thread writing into a folder the caller is about to remove).
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="typst")
        self._jobs: list[Future] = []

    def submit(self, source: str, path: Path, *, tagged: bool = True) -> None:
        """Start compiling ``source`` into ``path``."""
        self._jobs.append(self._pool.submit(write_pdf, source, path, tagged=tagged))

    def wait(self) -> None:
        """Block until every compile is done; the first failure is raised."""
        for job in self._jobs:
            job.result()

    def __enter__(self) -> Background:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
