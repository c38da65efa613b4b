"""`grade serve` under load: simulated students submitting over HTTP while 2 workers grade.

    python benchmarks/bench_service.py [--students 50] [--per-student 4] [--workers 2]
                                       [--db URL] [--no-batch]

Starts `grade serve` (a fresh SQLite file unless --db) on a quick digits course (1 epoch, a tiny
CNN), issues tokens, then every simulated student (one thread each) uploads --per-student
submissions one after another (the course allows one in the queue at a time), polling its status
every 0.5 s until graded. Reports: lost or duplicated submissions (must be 0), wall time and
throughput, p50/p95 latency of the submit and status endpoints. Then `grade batch --workers N`
grades the same files (one folder per submission) for the throughput comparison.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
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
from tests.grader.service.conftest import TINY, free_port  # noqa: E402


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--students", type=int, default=50)
    ap.add_argument("--per-student", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--db")
    ap.add_argument("--no-batch", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-service-"))
    students = [f"s{i:03d}" for i in range(args.students)]
    (tmp / "roster.csv").write_text("student_id\n" + "\n".join(students) + "\n")
    (tmp / "course.toml").write_text(
        'title = "bench"\nroster = "roster.csv"\n[[assignment]]\nname = "digits-cnn"\n'
        f"epochs = 1\ndeadline = 2099-01-01T00:00:00Z\nmax_submissions = {args.per_student}\n"
    )
    db = args.db or f"sqlite:///{tmp / 'bench.db'}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    grade = [sys.executable, "-m", "convgrade"]
    subprocess.run([*grade, "tokens", str(tmp / "roster.csv"), "--db", db, "--out",
                    str(tmp / "tokens.csv")], check=True, env=env, cwd=ROOT)  # fmt: skip
    tokens = {r["student_id"]: r["token"]
              for r in csv.DictReader(io.StringIO((tmp / "tokens.csv").read_text()))}  # fmt: skip
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*grade, "serve", str(tmp / "course.toml"), "--db", db, "--workers", str(args.workers),
         "--port", str(port)], env=env, cwd=ROOT,
    )  # fmt: skip
    try:
        while True:
            if server.poll() is not None:
                sys.exit("grade serve exited")
            try:
                httpx.get(url + "/api/me")
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        submit_ms: list[float] = []
        status_ms: list[float] = []
        accepted: list[int] = []
        errors: list[str] = []
        lock = threading.Lock()

        def student(sid: str) -> None:
            with httpx.Client(base_url=url, timeout=60,
                              headers={"Authorization": f"Bearer {tokens[sid]}"}) as c:  # fmt: skip
                for n in range(args.per_student):
                    body = TINY + f"\n# {sid} submission {n}\n"
                    t = time.perf_counter()
                    r = c.post("/api/submissions", data={"assignment": "digits-cnn"},
                               files={"file": (f"{sid}-{n}.py", body.encode())})  # fmt: skip
                    with lock:
                        submit_ms.append((time.perf_counter() - t) * 1000)
                    if r.status_code != 201:
                        with lock:
                            errors.append(f"{sid}: {r.status_code} {r.text[:100]}")
                        return
                    sub = r.json()["id"]
                    with lock:
                        accepted.append(sub)
                    while True:
                        time.sleep(0.5)
                        t = time.perf_counter()
                        v = c.get(f"/api/submissions/{sub}").json()
                        with lock:
                            status_ms.append((time.perf_counter() - t) * 1000)
                        if v["status"] == "done":
                            if v["result"]["status"] != "ok":
                                with lock:
                                    errors.append(f"{sid}: {v['result']['status']}")
                            break

        start = time.perf_counter()
        threads = [threading.Thread(target=student, args=(s,)) for s in students]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
        teacher = {"Authorization": f"Bearer {tokens['instructor']}"}
        with httpx.Client(base_url=url, timeout=60, headers=teacher) as c:
            rows = list(csv.reader(io.StringIO(
                c.get("/instructor/gradebook/digits-cnn/moodle.csv").text)))  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=60)
    from convgrade.grader.service.store import Submission, open_store
    from sqlalchemy import func, select

    store = open_store(db)
    with store.read() as s:
        done = s.scalar(select(func.count()).where(Submission.status == "done"))
        total = s.scalar(select(func.count()).select_from(Submission))
    n = args.students * args.per_student
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}, database {store.dialect}")  # fmt: skip
    print(f"submissions: {n} sent, {len(accepted)} accepted, {len(set(accepted))} distinct, "
          f"{total} rows, {done} graded; errors: {len(errors)} {errors[:3]}")  # fmt: skip
    print(f"gradebook rows: {len(rows) - 1} (students {args.students})")
    print(f"service: {wall:.1f} s, {len(accepted) / wall * 60:.1f} submissions/minute "
          f"with {args.workers} workers")  # fmt: skip
    print(f"submit latency ms: p50 {pct(submit_ms, 50):.0f}, p95 {pct(submit_ms, 95):.0f} "
          f"({len(submit_ms)} requests)")  # fmt: skip
    print(f"status latency ms: p50 {pct(status_ms, 50):.0f}, p95 {pct(status_ms, 95):.0f} "
          f"({len(status_ms)} requests)")  # fmt: skip
    if args.no_batch:
        return
    folder = tmp / "class"
    for sid in students:
        for k in range(args.per_student):
            d = folder / f"{sid}-{k}"
            d.mkdir(parents=True)
            (d / "tiny.py").write_text(TINY + f"\n# {sid} submission {k}\n")
    t = time.perf_counter()
    subprocess.run([*grade, "batch", str(folder), "-a", "digits-cnn", "--epochs", "1",
                    "--workers", str(args.workers), "--out", str(tmp / "graded")],
                   check=True, env=env, cwd=ROOT, capture_output=True)  # fmt: skip
    bwall = time.perf_counter() - t
    print(f"grade batch --workers {args.workers}: {bwall:.1f} s, {n / bwall * 60:.1f} "
          f"submissions/minute; service/batch throughput {bwall / wall:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
