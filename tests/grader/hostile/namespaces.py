"""Makes a user namespace (the door to many kernel bugs) and calls syscalls a grading run never
needs (keyctl, ptrace, perf_event_open). Prints one line per attempt: NAME ok|errno."""

import ctypes
import errno

libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER = 0x10000000
SYS = {"keyctl": 250, "ptrace": 101, "bpf": 321, "perf_event_open": 298}  # x86-64


def report(name: str, ret: int) -> None:
    err = ctypes.get_errno()
    print(name, "ok" if ret >= 0 else errno.errorcode.get(err, err), flush=True)


report("unshare-user", libc.unshare(CLONE_NEWUSER))
report("keyctl", libc.syscall(SYS["keyctl"], 0, -3, 0))  # KEYCTL_GET_KEYRING_ID session
report("ptrace", libc.syscall(SYS["ptrace"], 0, 0, 0, 0))  # PTRACE_TRACEME
