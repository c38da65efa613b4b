"""Prints without end, hoping to fill the grader's memory or disk."""

import sys

line = "spam " * 200 + "\n"
while True:
    sys.stdout.write(line)
