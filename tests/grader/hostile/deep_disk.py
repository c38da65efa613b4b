"""Hides bytes beyond PATH_MAX: 2,200 nested folders, then files under the size limit that
together fill far more than the work folder may grow. A disk watch walking whole paths cannot
reach them."""

import os
import time

for _ in range(2200):
    os.mkdir("d")
    os.chdir("d")
block = b"x" * (4 * 2**20 - 4096)
for i in range(8):
    with open(f"f{i}", "wb") as fh:
        fh.write(block)
print("hidden", flush=True)
time.sleep(3)
