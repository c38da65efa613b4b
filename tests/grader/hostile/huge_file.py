"""Writes a file of many gigabytes in its working folder."""

block = b"\0" * 2**20
with open("huge.bin", "wb") as fh:
    for _ in range(10_000):
        fh.write(block)
