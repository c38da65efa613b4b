"""Tries to write outside its working folder: other students' folders, the grader's files."""

import os

targets = os.environ.get("HOSTILE_WRITE", "").split(os.pathsep)
targets += ["/usr/lib/hostile-was-here", "/etc/hostile-was-here"]
for path in filter(None, targets):
    try:
        with open(path, "w") as fh:
            fh.write("pwned")
        print(f"WROTE {path}", flush=True)
    except OSError as exc:
        print(f"refused {path}: {type(exc).__name__}", flush=True)
