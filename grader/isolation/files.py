"""The run's work folder on the host: creation (owner pid in the name), walking, hand-over to the
run's uid, removal, and reading back result files, all without following links or recursing.

A submission controls everything inside its work folder: folder chains deeper than Python's
recursion limit or ``PATH_MAX``, folders it made unreadable, symlinks and FIFOs where result files
should be. Every walk here descends by directory file descriptor (``openat``, ``..`` to climb),
keeps at most two descriptors open, and never follows a symlink.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import stat
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import psutil

#: work folders are ``<tmp>/convgrade-<grader pid>-<random>``: the pid says who may clean it.
WORKDIR_PREFIX = "convgrade-"
_OWNED = re.compile(r"^convgrade-(\d+)-[^/]+$")
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_cleaned = False
_clean_lock = threading.Lock()
_held: dict[str, int] = {}  # work folders of this grader -> fd holding their lock


class ResultFileError(OSError):
    """A result file is missing, a link, not a regular file, or too large (message says which)."""


def make_workdir() -> Path:
    """A fresh private work folder named after this grader's pid (leftovers cleaned first).

    The grader also holds a shared ``flock`` on it until :func:`remove_tree`, so a grader whose
    pid it cannot see (another pid namespace sharing ``/tmp``) never takes it for a leftover.
    """
    clean_leftovers()
    path = Path(tempfile.mkdtemp(prefix=f"{WORKDIR_PREFIX}{os.getpid()}-"))
    fd = os.open(path, _DIR_FLAGS)
    fcntl.flock(fd, fcntl.LOCK_SH)
    with _clean_lock:
        _held[str(path)] = fd
    return path


def _in_use(path: Path) -> bool:
    """True when a grader holds ``path``'s lock."""
    try:
        fd = os.open(path, _DIR_FLAGS)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)  # closing releases a lock we got


def clean_leftovers(tmp: Path | None = None, *, force: bool = False) -> list[Path]:
    """Remove work folders and per-run cgroups of graders that are gone (once per process).

    Only those whose owning grader pid (recorded in the name) no longer runs. Returns the work
    folders removed.
    """
    global _cleaned
    with _clean_lock:
        if _cleaned and not force:
            return []
        _cleaned = True
    from convgrade.grader.isolation import cgroups

    cgroups.clean_leftovers()
    removed = []
    folder = Path(tmp or tempfile.gettempdir())
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    for name in names:
        match = _OWNED.match(name)
        if not match or psutil.pid_exists(int(match.group(1))):
            continue
        path = folder / name
        try:
            if not stat.S_ISDIR(os.lstat(path).st_mode) or _in_use(path):
                continue
        except OSError:
            continue
        if remove_tree(path):
            removed.append(path)
    return removed


def _open_child(dir_fd: int, name: str, unlock: bool) -> int | None:
    """An fd on the sub-folder ``name`` (made readable first when ``unlock``), else None."""
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except PermissionError:
        if not unlock:
            return None
    except OSError:
        return None
    try:
        # a folder the run made unreadable: chmod the very inode opened without following a
        # link (O_PATH), never whatever the name points to by now
        path_fd = os.open(name, os.O_PATH | _DIR_FLAGS, dir_fd=dir_fd)
        try:
            os.chmod(f"/proc/self/fd/{path_fd}", 0o700)
        finally:
            os.close(path_fd)
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except OSError:
        return None


def walk(
    root: Path,
    on_entry: Callable[[int, os.DirEntry], None],
    *,
    on_leave: Callable[[int, str], None] | None = None,
    limit: int | None = None,
    unlock: bool = True,
) -> int:
    """Call ``on_entry(dir_fd, entry)`` for everything under ``root``, depth first, iteratively.

    Sub-folders are entered after their parent's entries were handed to ``on_entry`` (which may
    remove them); ``on_leave(parent_fd, name)`` is called when a sub-folder is done. Never
    follows links; at most ``limit`` entries; unreadable folders are made readable when
    ``unlock``, else skipped. Returns the number of entries seen.
    """
    fd = os.open(root, _DIR_FLAGS)
    names: list[str] = []  # the path from root to where fd is
    parents: list[tuple[int, int]] = []  # (device, inode) of each folder above fd
    pending: list[list[str]] = []  # sub-folders still to enter, per level
    seen = 0
    try:
        todo = _entries(fd, on_entry)
        seen += len(todo[1])
        pending.append(todo[0])
        while pending:
            if limit is not None and seen > limit:
                break
            if pending[-1]:
                name = pending[-1].pop()
                child = _open_child(fd, name, unlock)
                if child is None:
                    continue
                st = os.fstat(fd)
                parents.append((st.st_dev, st.st_ino))
                os.close(fd)
                fd = child
                names.append(name)
                subdirs, entries = _entries(fd, on_entry)
                seen += len(entries)
                pending.append(subdirs)
                continue
            pending.pop()
            if not names:
                break
            parent = os.open("..", _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = parent
            st = os.fstat(fd)
            if (st.st_dev, st.st_ino) != parents.pop():
                break  # the folder was moved away meanwhile: ".." is not where we came from
            name = names.pop()
            if on_leave is not None:
                on_leave(fd, name)
    finally:
        os.close(fd)
    return seen


def _entries(fd: int, on_entry) -> tuple[list[str], list[str]]:
    """(sub-folder names, all names) of the folder ``fd``, after ``on_entry`` saw each."""
    subdirs, names = [], []
    try:
        with os.scandir(fd) as it:
            entries = list(it)
    except OSError:
        return [], []
    for entry in entries:
        names.append(entry.name)
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        on_entry(fd, entry)
        if is_dir:
            subdirs.append(entry.name)
    return subdirs, names


def give_tree(root: Path, uid: int, gid: int, limit: int = 100_000) -> None:
    """chown ``root`` and what is under it (at most ``limit`` entries), never following links."""
    os.chown(root, uid, gid, follow_symlinks=False)

    def chown(dir_fd: int, entry: os.DirEntry) -> None:
        with contextlib.suppress(OSError):
            os.chown(entry.name, uid, gid, dir_fd=dir_fd, follow_symlinks=False)

    with contextlib.suppress(OSError):
        walk(root, chown, limit=limit)


def remove_tree(root: Path) -> bool:
    """Delete ``root`` and everything in it, however deep or locked; True when it is gone."""
    with _clean_lock:
        held = _held.pop(str(root), None)
    if held is not None:
        os.close(held)
    try:
        if not stat.S_ISDIR(os.lstat(root).st_mode):
            os.unlink(root)
            return True
        os.chmod(root, 0o700)
    except FileNotFoundError:
        return True
    except OSError:
        pass

    def unlink(dir_fd: int, entry: os.DirEntry) -> None:
        try:
            if not entry.is_dir(follow_symlinks=False):
                os.unlink(entry.name, dir_fd=dir_fd)
        except OSError:
            pass

    def rmdir(parent_fd: int, name: str) -> None:
        with contextlib.suppress(OSError):
            os.rmdir(name, dir_fd=parent_fd)

    try:
        walk(root, unlink, on_leave=rmdir)
        os.rmdir(root)
    except FileNotFoundError:
        return True
    except OSError:
        return not os.path.lexists(root)
    return True


# --------------------------------------------------------------------------------------------
# Reading back what a run wrote


def _open_parent(path: Path, within: Path | None) -> tuple[int, str]:
    """(fd of path's folder, final name); every folder below ``within`` opened without links."""
    if within is None:
        return os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC), path.name
    rel = path.relative_to(within)
    fd = os.open(within, _DIR_FLAGS)  # a run that swapped its work folder for a link: refused
    try:
        for part in rel.parts[:-1]:
            child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = child
    except OSError:
        os.close(fd)
        raise
    return fd, rel.name


def regular_file(path: Path, *, within: Path | None = None) -> bool:
    """True when ``path`` is a regular file reached without following any link below ``within``."""
    try:
        fd, name = _open_parent(Path(path), within)
    except (OSError, ValueError):
        return False
    try:
        return stat.S_ISREG(os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode)
    except OSError:
        return False
    finally:
        os.close(fd)


def read_result(path: Path, max_bytes: int, *, within: Path | None = None) -> bytes:
    """The bytes of a result file a run wrote: a regular file of at most ``max_bytes``.

    Opened with ``O_NOFOLLOW`` (and every folder below ``within`` too) and ``O_NONBLOCK`` (a FIFO
    cannot make the grader wait); links, devices, FIFOs and larger files raise
    :class:`ResultFileError`.
    """
    path = Path(path)
    try:
        dir_fd, name = _open_parent(path, within)
    except OSError as exc:
        raise ResultFileError(f"{path.name}: cannot open its folder ({exc.strerror})") from None
    try:
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
        fd = os.open(name, flags, dir_fd=dir_fd)
    except OSError as exc:
        why = f"{path.name} is a link or cannot be opened ({exc.strerror})"
        raise ResultFileError(why) from None
    finally:
        os.close(dir_fd)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ResultFileError(f"{path.name} is not a regular file")
        if st.st_size > max_bytes:
            raise ResultFileError(f"{path.name} is too large")
        chunks, total = [], 0
        while total <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > max_bytes:
            raise ResultFileError(f"{path.name} is too large")
        return b"".join(chunks)
    finally:
        os.close(fd)
