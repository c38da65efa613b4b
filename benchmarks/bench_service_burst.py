"""`grade serve`'s first instant: every student uploads at once, then opens the event stream.

    python benchmarks/bench_service_burst.py [--students 50] [--rounds 2] [--no-follow]

The web layer alone, in about a minute (the full `bench_service.py` run takes ~27): a server
(this script started again as a separate process) whose grading is a stand-in holding every job,
so nothing but the HTTP layer and the database works; clients in this process, one thread each,
released together by a barrier, each uploading a tiny submission and then (unless --no-follow)
opening its SSE stream up to the first event, as ``grade submit --server`` does. --rounds bursts
of --students new students each (a fresh roster per round: the course allows one job in the
queue per student). Prints the submit latency (p50, p95, max), the server process's CPU per
student (from /proc: upload plus stream opening), this process's CPU during the bursts (the
clients' share of the same cores), the bursts' wall seconds and the load.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.grader.service.conftest import TINY  # noqa: E402

ASSIGNMENT = "digits-cnn"


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve(folder: Path, port: int) -> None:
    """The server: the course in ``folder``, tokens written to tokens.csv, grading held."""
    import uvicorn
    from convgrade.grader.executors import get_executor
    from convgrade.grader.service.app import create_app
    from convgrade.grader.service.auth import hash_token, new_token
    from convgrade.grader.service.course import load_course
    from convgrade.grader.service.grading import Dispatcher
    from convgrade.grader.service.store import User, open_store

    from convgrade.cli.serve import sync_roster

    course = load_course(folder / "course.toml")
    store = open_store(f"sqlite:///{folder}/db.sqlite")
    sync_roster(store, course.roster)
    tokens = {}
    with store.write() as s, s.begin():
        for student in course.roster:
            tokens[student.id] = new_token()
            s.get(User, student.id).token_hash = hash_token(tokens[student.id])
    (folder / "tokens.csv").write_text("".join(f"{k},{v}\n" for k, v in tokens.items()))
    held = threading.Event()

    def grade(path, ca, progress):  # the stand-in: holds the job (workers stay busy)
        held.wait()
        return {"status": "ok", "score": 1.0}

    dispatcher = Dispatcher(course, store, get_executor("local", workers=2), grade)
    app = create_app(course, store, dispatcher)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning",
                timeout_graceful_shutdown=2)  # fmt: skip


def clients_of(url: str, tokens: dict[str, str]) -> dict[str, httpx.Client]:
    """A client per student, made before the burst (each builds an SSL context)."""
    return {sid: httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {tok}"})
            for sid, tok in tokens.items()}  # fmt: skip


def burst(clients: dict[str, httpx.Client], follow: bool) -> list[float]:
    """Every student of ``clients`` uploads at once; submit latencies (ms)."""
    body = TINY.encode()
    barrier = threading.Barrier(len(clients))
    latencies: list[float] = []
    errors: list[str] = []

    def student(sid: str) -> None:
        c = clients[sid]
        barrier.wait()
        t = time.perf_counter()
        resp = c.post("/api/submissions", data={"assignment": ASSIGNMENT},
                      files={"file": (f"{sid}.py", body)})  # fmt: skip
        latencies.append((time.perf_counter() - t) * 1000)
        if resp.status_code != 201:
            errors.append(f"{sid}: {resp.status_code} {resp.text[:200]}")
            return
        if follow:  # the stream up to its first event (the queue place)
            timeout = httpx.Timeout(30.0, read=None)
            with c.stream("GET", f"/api/submissions/{resp.json()['id']}/events",
                          timeout=timeout) as stream:  # fmt: skip
                for line in stream.iter_lines():
                    if line.startswith("data:"):
                        break

    threads = [threading.Thread(target=student, args=(sid,)) for sid in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        sys.exit("uploads refused: " + "; ".join(errors[:3]))
    return latencies


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--students", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--no-follow", action="store_true", help="upload only, no event stream")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-burst-"))
    ids = [f"s{i:03d}" for i in range(args.students * args.rounds)]
    (folder / "roster.csv").write_text("student_id\n" + "\n".join(ids) + "\n")
    (folder / "course.toml").write_text(
        f'title = "burst"\nroster = "roster.csv"\n[[assignment]]\nname = "{ASSIGNMENT}"\n'
        "epochs = 1\ndeadline = 2099-01-01T00:00:00Z\nmax_submissions = 4\n"
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(folder), str(port)])
    url = f"http://127.0.0.1:{port}"
    try:
        while not (folder / "tokens.csv").exists() or not _up(url):
            if server.poll() is not None:
                sys.exit("the server exited")
            time.sleep(0.2)
        tokens = dict(line.split(",") for line in (folder / "tokens.csv").read_text().split())
        latencies: list[float] = []
        server_cpu = client_cpu = wall = 0.0
        for r in range(args.rounds):
            mine = {sid: tokens[sid] for sid in ids[r * args.students : (r + 1) * args.students]}
            clients = clients_of(url, mine)
            s0, c0, w0 = process_cpu(server.pid), time.process_time(), time.perf_counter()
            latencies += burst(clients, follow=not args.no_follow)
            wall += time.perf_counter() - w0
            client_cpu += time.process_time() - c0
            server_cpu += process_cpu(server.pid) - s0
            for c in clients.values():
                c.close()
            time.sleep(0.5)
    finally:
        server.terminate()
        server.wait()
    q = statistics.quantiles(latencies, n=100)
    n = len(latencies)
    print(f"{args.students} students x {args.rounds} bursts"
          f"{'' if args.no_follow else ' (upload + stream)'}: submit p50 {q[49]:.0f} ms, "
          f"p95 {q[94]:.0f} ms, max {max(latencies):.0f} ms; server CPU "
          f"{1000 * server_cpu / n:.2f} ms per student; client CPU {client_cpu:.2f} s; "
          f"wall {wall:.2f} s (bursts only); load {os.getloadavg()[0]:.1f}")  # fmt: skip
    return 0


def _up(url: str) -> bool:
    try:
        httpx.get(url + "/api/me", timeout=2)
        return True
    except httpx.HTTPError:
        return False


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        serve(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        sys.exit(main())
