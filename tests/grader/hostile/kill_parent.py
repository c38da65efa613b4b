"""Kills whatever process started it (the grader, if it were unprotected), then idles."""

import os
import sys
import time

try:
    os.kill(os.getppid(), 9)
    print("killed parent", os.getppid())
except OSError as exc:
    print("could not kill parent:", exc, file=sys.stderr)
time.sleep(1)
