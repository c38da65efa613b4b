"""`grade serve` under load: simulated students submitting over HTTP while 2 workers grade.

    python benchmarks/bench_service.py [--students 50] [--per-student 4] [--workers 2]
                                       [--db URL] [--no-batch] [--status-every 5]
                                       [--poll S] [--timeout 10800] [--worker-nice N]

Starts `grade serve` (a fresh SQLite file unless --db) on a quick digits course (1 epoch, a tiny
CNN), issues tokens, then every simulated student (one thread each, all starting at once)
uploads --per-student submissions one after another (the course allows one in the queue at a
time). Each does what `grade submit --server` does, with the same client code
(``convgrade.grader.service.client.Client``): upload, then follow the submission's event
stream (SSE: queue place, per-epoch progress, result) until graded. Meanwhile a second
connection of the student asks for the submission's status every --status-every seconds (the
browser page follows the same stream and does not poll; these requests stand for reloads and
scripts, and measure the status endpoint under the load). With --poll S a student does what
this benchmark did before instead: no stream, status every S seconds until graded. Then
`grade batch --workers N` grades the same files (one folder per submission) for the throughput
comparison.

Prints a progress line every 30 s (to stderr), then a Markdown table for benchmarks/RESULTS.md:
lost and duplicated submissions (must be 0), wall and CPU seconds (the server with its grading
processes; grade batch with its own) and throughput of both, p50/p95 latency of the submit and
status endpoints, and each target of issue 14 met or not; and the CPU seconds of the server
process alone (web layer and dispatcher, from /proc) per HTTP request. Exits 1 when a
submission was lost, duplicated or failed.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import platform
import resource
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
from convgrade.exercises.errors import ConvgradeError  # noqa: E402
from convgrade.grader.service.client import Client  # noqa: E402

from tests.grader.service.conftest import TINY, free_port  # noqa: E402

#: issue 14's targets
MIN_RATIO, MAX_P95_MS = 0.90, 300.0


def pct(values: list[float], q: int) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def process_cpu(pid: int) -> float:
    """CPU seconds of process ``pid`` itself, all its threads, not its children (/proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    """CPU seconds of the finished child processes (and theirs) so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--students", type=int, default=50)
    ap.add_argument("--per-student", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--db")
    ap.add_argument("--no-batch", action="store_true")
    ap.add_argument(
        "--status-every",
        type=float,
        default=5.0,
        help="seconds between a following student's status requests",
    )
    ap.add_argument(
        "--poll",
        type=float,
        help="no event stream: poll status every POLL seconds (the old benchmark)",
    )
    ap.add_argument("--timeout", type=float, default=3 * 3600, help="give up after (seconds)")
    ap.add_argument("--worker-nice", type=int, help="grade serve --worker-nice (its default)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-service-"))
    students = [f"s{i:03d}" for i in range(args.students)]
    n = args.students * args.per_student
    (tmp / "roster.csv").write_text("student_id\n" + "\n".join(students) + "\n")
    (tmp / "course.toml").write_text(
        'title = "bench"\nroster = "roster.csv"\n[[assignment]]\nname = "digits-cnn"\n'
        f"epochs = 1\ndeadline = 2099-01-01T00:00:00Z\nmax_submissions = {args.per_student}\n"
    )
    db = args.db or f"sqlite:///{tmp / 'bench.db'}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    grade = [sys.executable, "-m", "convgrade"]
    subprocess.run([*grade, "tokens", str(tmp / "roster.csv"), "--db", db, "--out",
                    str(tmp / "tokens.csv")], check=True, env=env, cwd=ROOT,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    tokens = {r["student_id"]: r["token"]
              for r in csv.DictReader(io.StringIO((tmp / "tokens.csv").read_text()))}  # fmt: skip
    files = tmp / "uploads"
    files.mkdir()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cpu0 = children_cpu()
    server = subprocess.Popen(
        [*grade, "serve", str(tmp / "course.toml"), "--db", db, "--workers", str(args.workers),
         "--port", str(port)]
        + ([] if args.worker_nice is None else ["--worker-nice", str(args.worker_nice)]),
        env=env, cwd=ROOT, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    submit_ms: list[float] = []
    status_ms: list[float] = []
    accepted: list[int] = []
    graded: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()
    rows: list[list[str]] = []
    try:
        while True:
            if server.poll() is not None:
                sys.exit("grade serve exited")
            try:
                httpx.get(url + "/api/me")
                break
            except httpx.HTTPError:
                time.sleep(0.2)

        # every student's client is made first (each builds an SSL context, milliseconds of
        # this process's CPU), so a submit's time does not include other students' set-up
        clients = {sid: Client(url, tokens[sid], timeout=60) for sid in students}
        pollers = {sid: httpx.Client(base_url=url, timeout=60,
                                     headers={"Authorization": f"Bearer {tokens[sid]}"})
                   for sid in students}  # fmt: skip
        for sid in students:
            for k in range(args.per_student):
                (files / f"{sid}-{k}.py").write_text(TINY + f"\n# {sid} submission {k}\n")

        def status(c: httpx.Client, sub: int) -> dict:
            t = time.perf_counter()
            v = c.get(f"/api/submissions/{sub}").json()
            with lock:
                status_ms.append((time.perf_counter() - t) * 1000)
            return v

        def poll_until_done(c: httpx.Client, sub: int, every: float, stop=None) -> dict | None:
            while stop is None or not stop.is_set():
                if time.perf_counter() > deadline:
                    return None
                if stop is None:
                    time.sleep(every)
                elif stop.wait(every):
                    return None
                v = status(c, sub)
                if v["status"] == "done":
                    return v
            return None

        def student(sid: str) -> None:
            client, poller = clients[sid], pollers[sid]
            for k in range(args.per_student):
                t = time.perf_counter()
                try:  # what `grade submit --server` does: upload, then follow the stream
                    sub = client.submit(files / f"{sid}-{k}.py", "digits-cnn")["id"]
                except ConvgradeError as exc:
                    with lock:
                        errors.append(f"{sid}: {exc}")
                    return
                with lock:
                    submit_ms.append((time.perf_counter() - t) * 1000)
                    accepted.append(sub)
                if args.poll:
                    v = poll_until_done(poller, sub, args.poll)
                else:
                    stop = threading.Event()
                    checker = threading.Thread(
                        target=poll_until_done, args=(poller, sub, args.status_every, stop),
                        daemon=True,
                    )  # fmt: skip
                    checker.start()
                    try:
                        v = client.follow(sub, lambda d: None, lambda d: None)
                    except ConvgradeError as exc:
                        v = None
                        with lock:
                            errors.append(f"{sid}: {exc}")
                    stop.set()
                    checker.join()
                if v is None or v.get("status") != "done":
                    with lock:
                        errors.append(f"{sid}: submission {sub} not graded in time")
                    return
                with lock:
                    graded.append(sub)
                    if v["result"]["status"] != "ok":
                        errors.append(f"{sid}: {v['result']['status']}")

        threads = [threading.Thread(target=student, args=(s,), daemon=True) for s in students]
        web_cpu0 = process_cpu(server.pid)  # its start-up (imports, data loading) excluded
        start = time.perf_counter()
        deadline = start + args.timeout
        for t in threads:
            t.start()
        shown = start
        for t in threads:
            while t.is_alive():
                t.join(timeout=2)
                if t.is_alive() and time.perf_counter() - shown >= 30:
                    shown = time.perf_counter()
                    with lock:
                        line = (f"  {time.perf_counter() - start:6.0f} s: {len(accepted)} "
                                f"accepted, {len(graded)}/{n} graded, {len(errors)} errors, "
                                f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
                    print(line, file=sys.stderr, flush=True)
        wall = time.perf_counter() - start
        web_cpu = process_cpu(server.pid) - web_cpu0
        teacher = {"Authorization": f"Bearer {tokens['instructor']}"}
        with httpx.Client(base_url=url, timeout=60, headers=teacher) as c:
            rows = list(csv.reader(io.StringIO(
                c.get("/instructor/gradebook/digits-cnn/moodle.csv").text)))  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=60)
    server_cpu = children_cpu() - cpu0
    load = os.getloadavg()
    from convgrade.grader.service.store import Submission, open_store
    from sqlalchemy import func, select

    store = open_store(db)
    with store.read() as s:
        done = s.scalar(select(func.count()).where(Submission.status == "done"))
        total = s.scalar(select(func.count()).select_from(Submission))
        uploads = s.scalar(
            select(func.count()).select_from(
                select(Submission.user_id, Submission.original_name).distinct().subquery()
            )
        )
    lost = n - len(set(accepted)) + (len(set(accepted)) - done)
    duplicated = (len(accepted) - len(set(accepted))) + (total - uploads)
    rate = len(graded) / wall * 60

    bwall = bcpu = brate = None
    if not args.no_batch:
        print("  grade batch on the same files ...", file=sys.stderr, flush=True)
        folder = tmp / "class"
        for sid in students:
            for k in range(args.per_student):
                d = folder / f"{sid}-{k}"
                d.mkdir(parents=True)
                (d / "tiny.py").write_text(TINY + f"\n# {sid} submission {k}\n")
        cpu0, t = children_cpu(), time.perf_counter()
        proc = subprocess.run([*grade, "batch", str(folder), "-a", "digits-cnn", "--epochs", "1",
                               "--workers", str(args.workers), "--out", str(tmp / "graded")],
                              env=env, cwd=ROOT, capture_output=True, text=True)  # fmt: skip
        bwall, bcpu = time.perf_counter() - t, children_cpu() - cpu0
        if proc.returncode != 0:
            errors.append(f"grade batch exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
        brate = n / bwall * 60

    nice = "default" if args.worker_nice is None else args.worker_nice
    requests = len(submit_ms) + len(status_ms) + (0 if args.poll else len(accepted))
    follow = (f"poll status every {args.poll} s" if args.poll else "follow the event stream "
              f"(as grade submit --server) and ask status every {args.status_every} s")  # fmt: skip
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"\n{when}, python {platform.python_version()}, {os.cpu_count()} CPUs, load "
          f"average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min) at the end of "
          f"the service run, database {store.dialect}, {args.workers} workers, students "
          f"{follow}, worker nice {nice}; the server process itself (web layer, dispatcher) "
          f"used {web_cpu:.1f} CPU s after its start-up ({web_cpu / max(len(graded), 1):.2f} s "
          f"per graded submission; {requests:,} HTTP requests)\n")  # fmt: skip
    print(
        "| run | submissions | lost / duplicated | service (wall, CPU) | `grade batch -j "
        f"{args.workers}` (wall, CPU) | service/batch throughput | submit p50 / p95 | "
        "status p50 / p95 |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    batch = "not run" if bwall is None else f"{bwall:.1f} s, {bcpu:.0f} CPU s, {brate:.1f}/min"
    ratio = "" if brate is None else f"{rate / brate:.2f}"
    print(f"| {args.students} students x {args.per_student}, load {load[0]:.1f} | {n} sent, "
          f"{len(accepted)} accepted, {done} graded | {lost} / {duplicated} | {wall:.1f} s, "
          f"{server_cpu:.0f} CPU s, {rate:.1f}/min | {batch} | {ratio} | "
          f"{pct(submit_ms, 50):.0f} / {pct(submit_ms, 95):.0f} ms ({len(submit_ms)}) | "
          f"{pct(status_ms, 50):.0f} / {pct(status_ms, 95):.0f} ms "
          f"({len(status_ms):,}) |")  # fmt: skip
    print(f"\ngradebook rows: {len(rows) - 1} (students {args.students}); errors: {len(errors)} "
          f"{errors[:3]}")  # fmt: skip
    checks = [
        ("zero lost or duplicated", lost == 0 and duplicated == 0 and not errors),
        (f"throughput >= {MIN_RATIO:.0%} of grade batch",
         None if brate is None else rate >= MIN_RATIO * brate),
        (f"submit p95 <= {MAX_P95_MS:.0f} ms", pct(submit_ms, 95) <= MAX_P95_MS),
        (f"status p95 <= {MAX_P95_MS:.0f} ms", pct(status_ms, 95) <= MAX_P95_MS),
    ]  # fmt: skip
    for name, ok in checks:
        print(f"- {name}: {'not measured' if ok is None else 'met' if ok else 'NOT met'}")
    return 0 if checks[0][1] else 1


if __name__ == "__main__":
    sys.exit(main())
