"""Tries to reach the network: a port the tests listen on, then a public DNS server."""

import os
import socket

targets = [("127.0.0.1", int(os.environ.get("HOSTILE_PORT", "9")))]
targets.append(("1.1.1.1", 53))
for host, port in targets:
    try:
        with socket.create_connection((host, port), timeout=2) as s:
            s.sendall(b"stolen")
        print(f"CONNECTED {host}:{port}", flush=True)
    except OSError as exc:
        print(f"blocked {host}:{port}: {exc}", flush=True)
