"""Tries to read files it must not see: other students' work, the grader's files, labels."""

import os

targets = os.environ.get("HOSTILE_READ", "").split(os.pathsep)
targets += ["/etc/shadow", "/root/.bash_history", "../../../etc/shadow"]
for path in filter(None, targets):
    try:
        with open(path, "rb") as fh:
            data = fh.read(64)
        print(f"LEAKED {path}: {data[:16]!r}", flush=True)
    except OSError as exc:
        print(f"refused {path}: {type(exc).__name__}", flush=True)
