"""`grade serve`, `grade tokens`, `grade login`: the course grading service and its tokens."""

from __future__ import annotations

import csv
import importlib.util
import io
import os
from pathlib import Path

import click

from convgrade.cli import options
from convgrade.cli.engine import engine_options, make_executor
from convgrade.exercises.errors import ConvgradeError
from convgrade.grader.limits import SERVICE_NICE

DEFAULT_DB = "sqlite:///convgrade.db"
SERVICE_MODULES = ("fastapi", "uvicorn", "sqlalchemy", "alembic", "multipart")


def need_service_extra(command: str) -> None:
    """A clear error (exit 2) when the service extra is not installed."""
    missing = [m for m in SERVICE_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise ConvgradeError(
            f"grade {command} needs the service extra (missing {', '.join(missing)}): "
            "pip install 'convgrade[service]'"
        )


def _db_option(f):
    return click.option(
        "--db", default=DEFAULT_DB, show_default=True, metavar="URL",
        help="sqlite:///FILE (embedded) or postgresql://user@host:port/dbname.",
    )(f)  # fmt: skip


def sync_roster(store, students) -> None:
    """Add roster students to the database (names and emails updated; tokens untouched)."""
    from convgrade.grader.service.store import User

    with store.write() as s, s.begin():
        for st in students:
            user = s.get(User, st.id)
            if user is None:
                s.add(User(id=st.id, name=st.name, email=st.email, role="student"))
            else:
                user.name, user.email = st.name, st.email


@click.command()
@click.argument("course_file", type=click.Path(path_type=Path))
@_db_option
@options.backend()
@engine_options
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--worker-nice", type=click.IntRange(0, 19), default=SERVICE_NICE, show_default=True,
    help="CPU priority of the grading (nice): above 0 the web layer is served first.",
)  # fmt: skip
def serve(course_file, db, workers, backend, engine, ray_address, cpus_per_job, gpus_per_job,
          memory_per_job, host, port, worker_nice):  # fmt: skip
    """Serve COURSE_FILE: students upload, the server grades in a durable queue.

    \b
    Example:
      grade serve examples/course.toml --workers 2 --port 8000
      grade tokens examples/roster.csv -o tokens.csv      # first: the students' tokens
      grade serve course.toml --engine ray --ray-address HEAD:6379 --db postgresql://...

    With --engine ray each submission is graded as a Ray task on the cluster (students then see
    queued / grading / done, without per-epoch lines).
    """
    need_service_extra("serve")
    import uvicorn

    from convgrade.grader.isolation import BackendUnavailable, check_not_unsafe, resolve_backend
    from convgrade.grader.service.app import create_app
    from convgrade.grader.service.course import load_course
    from convgrade.grader.service.grading import Dispatcher, grade_file, warm_up
    from convgrade.grader.service.store import open_store

    course = load_course(course_file)
    try:
        backend = resolve_backend(backend)
        check_not_unsafe(backend)  # refuse once, before any student
    except BackendUnavailable as exc:
        raise ConvgradeError(str(exc)) from None
    store = open_store(db)
    sync_roster(store, course.roster)
    pool = make_executor(engine, workers, ray_address, cpus_per_job, gpus_per_job, memory_per_job)

    def grade(path, ca, progress):
        return grade_file(path, ca, progress, backend=backend, nice=worker_nice)

    if not pool.remote:  # grading happens here: load its modules and data sets now
        for problem in warm_up(course):
            click.echo(f"warning: {problem}", err=True)
    dispatcher = Dispatcher(course, store, pool, grade)
    secret = os.environ.get("CONVGRADE_SECRET", "").encode() or None
    app = create_app(course, store, dispatcher, secret=secret)
    click.echo(
        f"serving {course.title} ({', '.join(course.assignments)}) at http://{host}:{port} "
        f"on {pool.describe()}, backend {backend}, database {store.dialect}",
        err=True,
    )
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)


@click.command()
@click.argument("roster", type=click.Path(path_type=Path))
@_db_option
@options.out("CSV for mail merge: student_id,name,email,token (+ instructor).", required=True,
             folder=False)  # fmt: skip
def tokens(roster, db, out):
    """Issue a personal token to every student of ROSTER (and one instructor token).

    The database keeps only their hashes; OUT is the only copy of the tokens. Running it again
    replaces every token.

    \b
    Example:
      grade tokens examples/roster.csv -o tokens.csv
    """
    need_service_extra("tokens")
    from convgrade.grader.service.auth import hash_token, new_token
    from convgrade.grader.service.course import Student, read_roster
    from convgrade.grader.service.store import User, open_store

    students = read_roster(roster)
    store = open_store(db)
    sync_roster(store, students)
    issued = []
    with store.write() as s, s.begin():
        for st in [*students, Student("instructor", "Instructor", "")]:
            token = new_token()
            user = s.get(User, st.id)
            if user is None:
                user = User(id=st.id, name=st.name, email=st.email, role="instructor")
                s.add(user)
            user.token_hash = hash_token(token)
            issued.append((st, token))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student_id", "name", "email", "token"])
    for st, token in issued:
        w.writerow([st.id, st.name, st.email, token])
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(buf.getvalue())
    click.echo(f"wrote {len(students)} student tokens and 1 instructor token to {out}")


@click.command()
@click.argument("url")
@click.option("--token", help="The token (asked for when not given).")
def login(url, token):
    """Store your personal token for the grading server at URL (checked with the server).

    \b
    Example:
      grade login https://grading.example.edu
    """
    need_service_extra("login")
    from convgrade.grader.service.client import Client, save_token

    token = token or click.prompt("token", hide_input=True)
    me = Client(url, token.strip()).me()
    path = save_token(url, token.strip())
    click.echo(f"signed in to {url} as {me['id']} ({me['role']}); token stored in {path}")


def submit_remote(file: Path, assignment: str, server: str, quiet: bool) -> int:
    """`grade submit --server`: upload, show the queue position, stream progress, print the
    same summary as a local run; the exit status (0 graded, 1 the submission failed)."""
    from convgrade.cli.submit import show_progress, summary
    from convgrade.grader.service.client import Client, load_token

    client = Client(server, load_token(server))
    if not Path(file).is_file():
        raise ConvgradeError(f"{file}: no such file")
    sub = client.submit(Path(file), assignment)
    click.echo(f"submitted {file} as #{sub['id']}; place {sub['position']} in the queue", err=True)
    last = [None]

    def on_status(d: dict) -> None:
        if d["status"] != last[0] and not quiet:
            where = f" (place {d['position']})" if d.get("position") else ""
            click.echo(f"{d['status']}{where}", err=True)
        last[0] = d["status"]

    view = client.follow(sub["id"], on_status, (lambda d: None) if quiet else show_progress)
    result = view.get("result") or {}
    from convgrade.grader.service.views import to_result

    res = to_result(result)
    if view.get("score_visible", True):
        click.echo(summary(res))
        if view.get("late_days"):
            click.echo(f"{'late':<11} {view['late_days']} day(s): "
                       f"{view.get('final_score', 0):g} points after the penalty")  # fmt: skip
    else:
        click.echo(f"{'status':<11} {res.status} ({res.heading})")
        if not res.ok:
            click.echo(f"{'message':<11} {res.message}")
        click.echo(f"{'points':<11} shown after the deadline")
    click.echo(f"report     {client.url}/submissions/{sub['id']}")
    return 0 if res.ok else 1
