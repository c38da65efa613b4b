"""Starts sleeping threads without end (threads count as processes on Linux)."""

import threading
import time

while True:
    threading.Thread(target=time.sleep, args=(100_000,)).start()
