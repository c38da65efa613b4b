"""PDF handouts and keys: one Typst document for all papers, compiled once by the Typst compiler.

The compiler ships in the PyPI wheel ``typst`` (no system packages). Only the fonts embedded in
the compiler are used (``ignore_system_fonts``) and the documents carry no date
(``document(date: none)``), so the bytes do not depend on the machine or the time. Headings
become the PDF outline (one entry per paper and per question) and the PDF is tagged.

The compiler lays pages out on every core, so :class:`Background` compiles beside the build's
other formats: in forked processes where the build forks (so its own forks stay safe: a process
that forks must not have threads) and this process has not run the compiler itself (its thread
pool would not exist in the child), else in threads (the compiler releases the GIL).
"""

from __future__ import annotations

import importlib.util
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from .. import parallel
from ..errors import ConvgradeError

#: Whether this process has run the compiler: its thread pool then exists here, and a forked
#: child (which has only the forking thread) would wait for those threads forever.
_compiled_here = False


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

    global _compiled_here
    _compiled_here = True
    try:
        return typst.compile(source.encode("utf-8"), ignore_system_fonts=True, pdf_tags=tagged)
    except RuntimeError as exc:  # typst.TypstError derives from RuntimeError
        raise ConvgradeError(f"typesetting the PDF failed: {exc}") from None


def write_pdf(source: str, path: Path, *, tagged: bool = True) -> None:
    """Compile a Typst document into ``path``."""
    Path(path).write_bytes(compile_typst(source, tagged=tagged))


class Background:
    """PDF compiles beside the caller's other work; :meth:`wait` re-raises a failure.

    Use as a context manager: leaving it waits for compiles still running, or stops them when
    the caller is failing (never leaves a compile writing into a folder about to be removed).
    """

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._jobs: list[Future | parallel.Forked] = []

    def submit(self, source: str, path: Path, *, tagged: bool = True) -> None:
        """Start compiling ``source`` into ``path``."""
        if parallel.jobs() > 1 and not _compiled_here:
            self._jobs.append(parallel.fork(lambda: write_pdf(source, path, tagged=tagged)))
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="typst")
        self._jobs.append(self._pool.submit(write_pdf, source, path, tagged=tagged))

    def wait(self) -> None:
        """Block until every compile is done; the first failure is raised (after all ended)."""
        jobs, self._jobs = self._jobs, []
        error: BaseException | None = None
        for job in jobs:
            try:
                job.result()
            except BaseException as exc:
                error = error or exc
        if error is not None:
            raise error

    def __enter__(self) -> Background:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        jobs, self._jobs = self._jobs, []
        for job in jobs:
            if isinstance(job, parallel.Forked):
                if exc_type is None:
                    job.result()
                else:
                    job.kill()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
