"""Allocates (and touches) memory until something stops it."""

chunks = []
while True:
    chunks.append(b"x" * (64 * 2**20))
