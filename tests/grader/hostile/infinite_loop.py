"""Spins forever before defining anything."""

while True:
    pass
