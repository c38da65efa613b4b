"""The seccomp filter bubblewrap installs before the submission starts (``bwrap --seccomp FD``).

Built with libseccomp (through ``pyseccomp``, a ctypes binding of the system's libseccomp2), so
the BPF program, architecture checks included, is libseccomp's and not hand-written. Everything
is allowed except what a grading run never needs and what widens the kernel's attack surface:
new namespaces (``unshare``, ``setns``, ``clone`` with a ``CLONE_NEW*`` flag; ``clone3`` answers
``ENOSYS`` so that libc falls back to ``clone``, whose flags a filter can see), mounts, tracing
other processes, the kernel keyring, eBPF, perf events, loading kernels or modules, and a few
more. Blocked calls fail with ``EPERM``; calls of a foreign architecture (e.g. the i386 ABI on
x86-64) kill the process.
"""

from __future__ import annotations

import errno
import os
import tempfile
import threading

#: the namespace flags of clone(2) / unshare(2).
CLONE_NEW_FLAGS = {
    "CLONE_NEWNS": 0x00020000,
    "CLONE_NEWCGROUP": 0x02000000,
    "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000,
    "CLONE_NEWUSER": 0x10000000,
    "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
    "CLONE_NEWTIME": 0x00000080,
}

#: system calls that fail with EPERM inside the sandbox.
BLOCKED = (
    "unshare", "setns", "mount", "umount", "umount2", "pivot_root", "chroot", "move_mount",
    "open_tree", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "open_by_handle_at", "name_to_handle_at", "reboot", "swapon", "swapoff", "syslog", "acct",
    "quotactl", "iopl", "ioperm", "lookup_dcookie", "settimeofday", "clock_settime",
    "clock_adjtime", "adjtimex", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "uselib", "vhangup", "nfsservctl",
)  # fmt: skip

_lock = threading.Lock()
_cached: bytes | None = None


def filter_bpf() -> bytes:
    """The compiled BPF program (cached); raises ImportError/OSError when libseccomp is missing."""
    global _cached
    with _lock:
        if _cached is None:
            _cached = _build()
        return _cached


def _build() -> bytes:
    import pyseccomp as seccomp

    f = seccomp.SyscallFilter(seccomp.ALLOW)
    deny = seccomp.ERRNO(errno.EPERM)
    for name in BLOCKED:
        try:
            f.add_rule(deny, name)
        except (OSError, ValueError, RuntimeError):
            continue  # a call this architecture does not have
    for flag in CLONE_NEW_FLAGS.values():
        f.add_rule(deny, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    f.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    # TIOCSTI / TIOCLINUX push input into a terminal: never needed, sometimes an escape.
    for request in (0x5412, 0x541C):
        f.add_rule(deny, "ioctl", seccomp.Arg(1, seccomp.MASKED_EQ, 0xFFFFFFFF, request))
    with tempfile.TemporaryFile() as out:
        f.export_bpf(out)
        out.seek(0)
        return out.read()


def filter_fd() -> int:
    """A file descriptor positioned at the start of the filter, for ``bwrap --seccomp``."""
    fd = os.memfd_create("convgrade-seccomp", os.MFD_CLOEXEC)
    data = filter_bpf()
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
