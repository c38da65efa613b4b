"""Sleeps far past any time limit."""

import time

time.sleep(100_000)
