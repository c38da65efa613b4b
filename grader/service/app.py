"""The web layer: FastAPI routes for students (API + pages), practice, and the instructor.

``create_app`` wires a course, a store and a dispatcher together; it knows nothing of how jobs
run. Students authenticate with a personal token: ``Authorization: Bearer`` for the API (the
``grade`` CLI), a cookie set by the sign-in form for pages. Forms carry a CSRF token; failed
sign-ins are rate limited per client address.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from convgrade.exercises.gradebook import FORMATS as GRADEBOOKS
from convgrade.exercises.gradebook import render as render_gradebook
from convgrade.grader.batch import gradebook_of
from convgrade.grader.service import auth, queue
from convgrade.grader.service.course import Course
from convgrade.grader.service.grading import Dispatcher
from convgrade.grader.service.store import (
    DONE,
    QUEUED,
    GroupCommit,
    Store,
    Submission,
    User,
    utcnow,
)
from convgrade.grader.service.views import progress_line, to_result
from convgrade.templates import TEMPLATE_DIR
from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from fastapi.templating import Jinja2Templates
from sqlalchemy import bindparam, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

#: what a signed-in user is read as (a detached copy, shared by requests)
USER_COLUMNS = (User.id, User.name, User.email, User.role, User.token_hash)
#: the statements of an upload and of a stream's opening, built once (bound parameters):
#: building one and computing its cache key cost more CPU than running it on SQLite
USER_BY_TOKEN = select(*USER_COLUMNS).where(User.token_hash == bindparam("digest"))
QUEUE_UPLOAD = insert(Submission).returning(Submission.id)
JOB_OWNER_STATE = select(Submission.user_id, Submission.status, Submission.attempt).where(
    Submission.id == bindparam("sub_id")
)
JOB_STATE = select(Submission.status, Submission.attempt).where(
    Submission.id == bindparam("sub_id")
)
COOKIE = "convgrade_token"
SUFFIXES = (".py", ".ipynb")
#: result fields withheld while an assignment hides scores before its deadline.
HIDDEN = ("score", "accuracy", "thresholds", "confusion", "per_class_accuracy", "final_score")
SSE_MAX_S = 3600
#: an event stream re-reads the database this often even when nothing in this process woke it
SSE_RECHECK_S = 5.0
#: a signed-in token is remembered this long (``grade tokens`` in another process replaces
#: tokens: an old one then works at most this much longer on a running server)
TOKEN_CACHE_S = 30.0
#: a cached status view is re-read after this long even if this process changed nothing
STATUS_CACHE_S = 5.0
STATUS_CACHE_MAX = 20_000


class ServiceError(HTTPException):
    """An error answered as JSON to the API and as a short page to the browser."""


def _error(status: int, message: str) -> ServiceError:
    return ServiceError(status_code=status, detail=message)


def client_key(request: Request) -> str:
    return request.client.host if request.client else "?"


def create_app(
    course: Course,
    store: Store,
    dispatcher: Dispatcher,
    *,
    secret: bytes | None = None,
    login_limit: int = 10,
) -> FastAPI:
    """The ASGI app; starts the dispatcher when the server starts."""
    secret = secret or secrets.token_bytes(32)
    limiter = auth.RateLimiter(limit=login_limit, window=60.0)
    templates = Jinja2Templates(directory=str(Path(TEMPLATE_DIR) / "service"))
    templates.env.globals["course"] = course
    started = time.monotonic()

    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        dispatcher.start()
        yield
        dispatcher.stop(wait=False)

    app = FastAPI(title=f"convgrade: {course.title}", lifespan=lifespan, docs_url=None)
    app.state.dispatcher = dispatcher

    # ------------------------------------------------------------------ who is asking

    def token_of(request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return header[7:].strip()
        return request.cookies.get(COOKIE)

    #: token hash -> (when looked up, the user): a signed-in token skips the database
    signed_in: dict[str, tuple[float, User]] = {}
    #: uploads of the same moment are queued in one transaction
    uploads = GroupCommit(store)

    def cached_user(request: Request, token: str | None) -> User | None:
        """The token's user if it was looked up in the last TOKEN_CACHE_S seconds (the rate
        limit still applies first)."""
        if not token:
            return None
        if limiter.blocked(client_key(request)):
            raise _error(429, "too many failed sign-ins; wait a minute")
        hit = signed_in.get(auth.hash_token(token))
        if hit is not None and time.monotonic() - hit[0] < TOKEN_CACHE_S:
            return hit[1]
        return None

    def lookup(
        request: Request, token: str | None, db: Session | Connection | None = None
    ) -> User | None:
        """The token's user (read through ``db`` when given, saving a session per request): a
        detached copy, shared by requests."""
        user = cached_user(request, token)
        if user is not None or not token:
            return user
        digest = auth.hash_token(token)
        if db is None:
            with store.engine.connect() as conn:
                row = conn.execute(USER_BY_TOKEN, {"digest": digest}).first()
        else:
            row = db.execute(USER_BY_TOKEN, {"digest": digest}).first()
        if row is None:
            limiter.failed(client_key(request))
            return None
        user = User(**row._mapping)
        if len(signed_in) > STATUS_CACHE_MAX:
            signed_in.clear()
        signed_in[digest] = (time.monotonic(), user)
        return user

    def user_of(request: Request, s: Session | Connection | None = None) -> User:
        user = lookup(request, token_of(request), s)
        if user is None:
            raise _error(401, "sign in with your personal token")
        return user

    def instructor_of(request: Request) -> User:
        user = user_of(request)
        if user.role != "instructor":
            raise _error(403, "instructors only")
        return user

    def check_csrf(request: Request, user: User, given: str | None) -> None:
        if request.headers.get("authorization"):
            return  # not cookie-authenticated: a cross-site form cannot set this header
        if not auth.csrf_ok(secret, user.token_hash or "", given):
            raise _error(403, "the form is stale or forged (CSRF check failed); reload the page")

    def own(user: User, sub_id: int, s: Session | None = None) -> Submission:
        if s is None:
            with store.read() as s:
                sub = s.get(Submission, sub_id)
        else:
            sub = s.get(Submission, sub_id)
        # someone else's submission looks exactly like a missing one
        if sub is None or (sub.user_id != user.id and user.role != "instructor"):
            raise _error(404, f"no submission {sub_id}")
        return sub

    def page(request: Request, name: str, user: User | None, **ctx: Any) -> HTMLResponse:
        csrf = auth.csrf_token(secret, user.token_hash or "") if user else ""
        return templates.TemplateResponse(request, name, {"user": user, "csrf": csrf, **ctx})

    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> Response:
        wants_html = "text/html" in request.headers.get("accept", "")
        if request.url.path.startswith("/api/") or not wants_html:
            return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
        return templates.TemplateResponse(
            request,
            "error.html.j2",
            {"user": None, "message": exc.detail, "code": exc.status_code},
            status_code=exc.status_code,
        )

    # ------------------------------------------------------------------ submissions

    def check_upload(assignment: str, upload: UploadFile, data: bytes):
        """What an upload is checked for before the database: (course assignment, original
        name, suffix, now)."""
        ca = course.assignments.get(assignment)
        if ca is None:
            raise _error(400, f"no assignment {assignment!r} in this course")
        original = os.path.basename((upload.filename or "").replace("\\", "/"))[:100]
        suffix = os.path.splitext(original)[1].lower()
        if suffix not in SUFFIXES:
            raise _error(415, "upload a .py file or a .ipynb notebook")
        if len(data) > course.upload_max_bytes:
            raise _error(413, f"the file is larger than {course.upload_max_bytes:,} bytes")
        _check_content(suffix, data)
        now = utcnow()
        if ca.closed(now):
            raise _error(403, f"{assignment} closed at {ca.hard_cutoff:%Y-%m-%d %H:%M} UTC")
        return ca, original, suffix, now

    def accept(
        who: User | Request, assignment: str, upload: UploadFile, data: bytes
    ) -> tuple[int, int]:
        """Check an upload and queue it; (submission id, queue position). ``who`` is the user,
        or the request: a token not signed in lately is then looked up in the upload's own
        transaction (one database session per upload, not two)."""
        user = who if isinstance(who, User) else cached_user(who, token_of(who))
        ca = original = suffix = now = None
        if user is not None:
            ca, original, suffix, now = check_upload(assignment, upload, data)

        def queue_it(conn: Connection) -> tuple[int, int]:
            nonlocal user, ca, original, suffix, now
            if user is None:  # who is asking comes first (401 before 400 or 415)
                user = user_of(who, conn)
                ca, original, suffix, now = check_upload(assignment, upload, data)
            waiting, used = queue.standing(conn, user.id, assignment, now - ca.window)
            if waiting:
                raise _error(409, "you already have a submission in the queue; wait for it")
            if used >= ca.max_submissions:
                raise _error(
                    429,
                    f"submission limit reached: {ca.max_submissions} per "
                    f"{_duration(ca.window)} for {assignment}",
                )
            sub_id = conn.execute(
                QUEUE_UPLOAD,
                {
                    "user_id": user.id,
                    "assignment": assignment,
                    "original_name": original,
                    "suffix": suffix,
                    "content": data,
                    "created_at": now,
                    "status": QUEUED,
                    "regrade": False,
                    "attempt": 0,
                    "late_days": ca.late_days(now),
                    "penalty": ca.penalty(now),
                },
            ).scalar_one()
            return sub_id, queue.place(conn, sub_id)

        try:  # committed with the uploads of the same moment, in Core statements
            sub_id, pos = uploads.run(queue_it)
        except IntegrityError:
            raise _error(409, "you already have a submission in the queue; wait for it") from None
        store.changes.job(sub_id)
        dispatcher.wake()
        return sub_id, pos

    async def read_upload(request: Request, upload: UploadFile) -> bytes:
        data = await upload.read(course.upload_max_bytes + 1)
        if len(data) > course.upload_max_bytes:
            raise _error(413, f"the file is larger than {course.upload_max_bytes:,} bytes")
        return data

    @app.post("/api/submissions")
    async def api_submit(
        request: Request, assignment: Annotated[str, Form()], file: Annotated[UploadFile, File()]
    ):
        data = await file.read(course.upload_max_bytes + 1)  # accept() refuses a larger one

        def run() -> tuple[int, int]:  # one trip to the thread pool: who is asking, then queue
            return accept(request, assignment, file, data)

        sub_id, pos = await run_in_threadpool(run)
        return JSONResponse({"id": sub_id, "position": pos}, status_code=201)

    @app.get("/api/me")
    def api_me(request: Request):
        user = user_of(request)
        return {"id": user.id, "name": user.name, "role": user.role}

    @app.get("/api/submissions")
    def api_list(request: Request):
        user = user_of(request)
        with store.read() as s:
            rows = s.scalars(
                select(Submission).where(Submission.user_id == user.id).order_by(Submission.id)
            ).all()
            return [view(s, r, user) for r in rows]

    #: submission id -> (stamp, when, status, owner, assignment, {scores visible: JSON body})
    status_views: dict[int, tuple[tuple[int, int], float, str, str, str, dict[bool, bytes]]] = {}

    def cached_status(request: Request, sub_id: int) -> Response | None:
        """The status answer from memory, when this process changed nothing it shows since."""
        hit = status_views.get(sub_id)
        user = cached_user(request, token_of(request)) if hit else None
        if hit is None or user is None:
            return None
        stamp, when, status, owner, assignment, bodies = hit
        if owner != user.id and user.role != "instructor":
            raise _error(404, f"no submission {sub_id}")
        now = store.changes.stamp(sub_id)
        if now[0] != stamp[0] or (status == QUEUED and now[1] != stamp[1]):
            return None
        if time.monotonic() - when >= STATUS_CACHE_S:
            return None
        visible = user.role == "instructor" or course.get(assignment).score_visible(utcnow())
        body = bodies.get(visible)
        return None if body is None else Response(body, media_type="application/json")

    def read_status(request: Request, sub_id: int) -> Response:
        stamp = store.changes.stamp(sub_id)  # before reading: a later change makes it stale
        with store.read() as s:
            user = user_of(request, s)
            sub = own(user, sub_id, s)
            data = view(s, sub, user, full=True)
        body = JSONResponse(data).body
        if len(status_views) > STATUS_CACHE_MAX:
            status_views.clear()
        old = status_views.get(sub_id)
        bodies = old[5] if old is not None and old[0] == stamp and old[2] == sub.status else {}
        bodies[data["score_visible"]] = body
        status_views[sub_id] = (stamp, time.monotonic(), sub.status, sub.user_id,
                                sub.assignment, bodies)  # fmt: skip
        return Response(body, media_type="application/json")

    @app.get("/api/submissions/{sub_id}")
    async def api_status(request: Request, sub_id: int):
        # the endpoint students poll: from memory while nothing changed (no thread, no
        # database), else one session in the thread pool and the JSON rendered once
        return cached_status(request, sub_id) or await run_in_threadpool(
            read_status, request, sub_id
        )

    @app.get("/api/submissions/{sub_id}/events")
    async def api_events(request: Request, sub_id: int, after: int = 0):
        """Server-sent events: ``status`` (queue place), ``progress`` (per epoch), ``result``."""
        state: dict[str, Any] = {"last": after, "seen": None}
        since = store.changes.stamp(sub_id)  # before reading: a later change wakes the stream

        def first() -> tuple[User, tuple[list[str], bool]]:  # who, whose, and the first read
            with store.engine.connect() as conn:
                user = user_of(request, conn)
                row = conn.execute(JOB_OWNER_STATE, {"sub_id": sub_id}).first()
                if row is None or (row.user_id != user.id and user.role != "instructor"):
                    raise _error(404, f"no submission {sub_id}")
                if row.status == QUEUED and not row.attempt:
                    return user, (waiting(conn, sub_id, state), False)
            with store.read() as s:  # its owner checked above
                return user, poll(sub_id, user, state, s)

        user, (chunks, done) = await run_in_threadpool(first)
        return StreamingResponse(events(sub_id, user, state, since, chunks, done),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})  # fmt: skip

    async def events(
        sub_id: int,
        user: User,
        state: dict[str, Any],
        since: tuple[int, int],
        chunks: list[str],
        done: bool,
    ) -> AsyncIterator[str]:
        """The stream: reads the database (in the thread pool) when this process changed the
        submission or the queue, else every SSE_RECHECK_S seconds; waits on the event loop (an
        open stream holds no thread)."""
        stop = time.monotonic() + SSE_MAX_S
        while True:
            for chunk in chunks:
                yield chunk
            if done or time.monotonic() >= stop:
                return
            queued = state["seen"] is not None and state["seen"][0] == QUEUED
            await store.changes.wait(sub_id, since, SSE_RECHECK_S, queued=queued)
            since = store.changes.stamp(sub_id)  # before reading: a later change wakes us
            chunks, done = await run_in_threadpool(poll, sub_id, user, state)

    def poll(
        sub_id: int, user: User, state: dict[str, Any], s: Session | None = None
    ) -> tuple[list[str], bool]:
        """New SSE chunks of a submission since ``state``; True when it is graded."""
        if s is None:
            with store.engine.connect() as conn:  # the common case: waiting for its first turn
                row = conn.execute(JOB_STATE, {"sub_id": sub_id}).first()
                if row is not None and row.status == QUEUED and not row.attempt:
                    return waiting(conn, sub_id, state), False
            with store.read() as s:
                return poll(sub_id, user, state, s)
        out = []
        sub = s.get(Submission, sub_id)
        # a job never claimed has no progress yet (the common case: waiting for its turn)
        new = queue.events_after(s, sub_id, state["last"]) if sub.attempt else []
        now = (sub.status, queue.position(s, sub))
        if now != state["seen"] and sub.status != DONE:
            state["seen"] = now
            out.append(_sse("status", {"status": now[0], "position": now[1]}))
        for e in new:
            state["last"] = e.id
            out.append(f"event: progress\ndata: {e.data}\n\n")
        if sub.status == DONE:
            out.append(_sse("status", {"status": DONE, "position": 0}))
            out.append(_sse("result", view(s, sub, user, full=True)))
            return out, True
        return out, False

    def waiting(conn: Connection, sub_id: int, state: dict[str, Any]) -> list[str]:
        """What :func:`poll` sends for a job queued and never claimed (its place, when it
        moved), in SQL Core statements: every open stream reads this when the queue moves."""
        now = (QUEUED, queue.place(conn, sub_id))
        if now == state["seen"]:
            return []
        state["seen"] = now
        return [_sse("status", {"status": QUEUED, "position": now[1]})]

    def view(s, sub: Submission, user: User, full: bool = False) -> dict[str, Any]:
        """What the asker may see of a submission (scores hidden before the deadline if so set)."""
        ca = course.get(sub.assignment)
        visible = user.role == "instructor" or ca.score_visible(utcnow())
        out: dict[str, Any] = {
            "id": sub.id, "student": sub.user_id, "assignment": sub.assignment,
            "file": sub.original_name, "submitted": sub.created_at.isoformat(),
            "status": sub.status, "position": queue.position(s, sub),
            "result_status": sub.result_status, "late_days": sub.late_days,
            "penalty": sub.penalty, "score_visible": visible,
        }  # fmt: skip
        if visible:
            out["score"], out["final_score"] = sub.score, sub.final_score
        if full and sub.result:
            result = json.loads(sub.result)
            if not visible:
                result = {k: v for k, v in result.items() if k not in HIDDEN}
            out["result"] = result
        return out

    # ------------------------------------------------------------------ pages

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request):
        user = lookup(request, request.cookies.get(COOKIE))
        if user is None:
            return page(request, "login.html.j2", None)
        return RedirectResponse("/instructor" if user.role == "instructor" else "/submissions", 303)

    @app.post("/login")
    def login(request: Request, token: Annotated[str, Form()]):
        user = lookup(request, token.strip())
        if user is None:
            raise _error(401, "unknown token")
        resp = RedirectResponse("/", status_code=303)
        resp.set_cookie(COOKIE, token.strip(), httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")  # fmt: skip
        return resp

    @app.post("/logout")
    def logout(request: Request, csrf: Annotated[str, Form()] = ""):
        check_csrf(request, user_of(request), csrf)
        resp = RedirectResponse("/", status_code=303)
        resp.delete_cookie(COOKIE)
        return resp

    @app.get("/submissions", response_class=HTMLResponse)
    def my_submissions(request: Request):
        user = user_of(request)
        with store.read() as s:
            rows = s.scalars(
                select(Submission)
                .where(Submission.user_id == user.id)
                .order_by(Submission.id.desc())
            ).all()
            subs = [view(s, r, user) for r in rows]
        return page(request, "submissions.html.j2", user, subs=subs)

    @app.post("/submissions")
    async def upload_form(
        request: Request,
        assignment: Annotated[str, Form()],
        file: Annotated[UploadFile, File()],
        csrf: Annotated[str, Form()] = "",
    ):
        user = await run_in_threadpool(user_of, request)
        check_csrf(request, user, csrf)
        data = await read_upload(request, file)
        sub_id, _ = await run_in_threadpool(accept, user, assignment, file, data)
        return RedirectResponse(f"/submissions/{sub_id}", status_code=303)

    @app.get("/submissions/{sub_id}", response_class=HTMLResponse)
    def submission_page(request: Request, sub_id: int):
        user = user_of(request)
        sub = own(user, sub_id)
        with store.read() as s:
            v = view(s, sub, user, full=True)
            shown = queue.events_after(s, sub_id, 0)
        lines = [progress_line(json.loads(e.data)) for e in shown]
        last = shown[-1].id if shown else 0
        return page(request, "submission.html.j2", user, sub=v, lines=lines, last=last)

    @app.get("/submissions/{sub_id}/report", response_class=HTMLResponse)
    def report(request: Request, sub_id: int):
        user = user_of(request)
        sub = own(user, sub_id)
        ca = course.get(sub.assignment)
        if sub.status != DONE or not sub.result:
            raise _error(404, "not graded yet")
        if not (user.role == "instructor" or ca.score_visible(utcnow())):
            raise _error(403, "the report is shown after the deadline")
        from convgrade.grader.report import render_report

        return HTMLResponse(render_report(to_result(json.loads(sub.result)), ca.assignment))

    # ------------------------------------------------------------------ practice (no sign-in)

    @app.get("/practice", response_class=HTMLResponse)
    def practice(request: Request, kind: str = "conv2d", seed: int | None = None,
                 difficulty: int = 2):  # fmt: skip
        from convgrade.exercises import generate, kinds
        from convgrade.exercises.render import render_prompt

        names = list(kinds())
        if kind not in names or not 1 <= difficulty <= 3:
            raise _error(400, f"practice: unknown kind {kind!r} or difficulty {difficulty}")
        seed = secrets.randbelow(10**6) if seed is None else seed
        ex = generate(kind, seed=seed, difficulty=difficulty)
        return page(request, "practice.html.j2", None, kinds=names, kind=kind, seed=seed,
                    difficulty=difficulty, ex=ex, prompt=render_prompt(ex, "html"),
                    feedback=None, answers={})  # fmt: skip

    @app.post("/practice", response_class=HTMLResponse)
    async def practice_check(request: Request):
        from convgrade.exercises import generate, kinds
        from convgrade.exercises.checking import check_exercise
        from convgrade.exercises.feedback import render_question
        from convgrade.exercises.render import render_prompt

        form = await request.form()
        kind, names = str(form.get("kind", "")), list(kinds())
        try:
            seed, difficulty = int(form.get("seed", "")), int(form.get("difficulty", "2"))
        except ValueError:
            raise _error(400, "practice: seed and difficulty must be whole numbers") from None
        if kind not in names or not 1 <= difficulty <= 3:
            raise _error(400, f"practice: unknown kind {kind!r} or difficulty {difficulty}")
        ex = generate(kind, seed=seed, difficulty=difficulty)
        answers = {p.id: str(form.get(p.id, "")) for p in ex.parts}
        given = {k: v for k, v in answers.items() if v.strip()}
        result = check_exercise(ex, given)
        feedback = render_question(result, ex, solution=True)
        return page(request, "practice.html.j2", None, kinds=names, kind=kind, seed=seed,
                    difficulty=difficulty, ex=ex, prompt=render_prompt(ex, "html"),
                    feedback=feedback, answers=answers, score=result.score)  # fmt: skip

    # ------------------------------------------------------------------ instructor

    @app.get("/instructor", response_class=HTMLResponse)
    def dashboard(request: Request):
        user = instructor_of(request)
        with store.read() as s:
            c = queue.counts(s)
            jobs = s.scalars(
                select(Submission).where(Submission.status != DONE).order_by(Submission.id)
            ).all()
            jobs = [view(s, j, user) for j in jobs[:200]]
            since = utcnow() - dt.timedelta(minutes=10)
            recent = s.scalars(
                select(Submission.finished_at).where(Submission.finished_at >= since)
            ).all()
            table = standings(s)
        per_min = len(recent) / min(10.0, max((time.monotonic() - started) / 60, 1 / 60))
        return page(request, "instructor.html.j2", user, counts=c, jobs=jobs,
                    per_minute=per_min, standings=table)  # fmt: skip

    def standings(s) -> dict[str, list[dict[str, Any]]]:
        """assignment -> one row per roster student: best and last graded result."""
        users = s.scalars(select(User).where(User.role == "student").order_by(User.id)).all()
        done = s.scalars(
            select(Submission).where(Submission.status == DONE).order_by(Submission.id)
        ).all()
        out: dict[str, list[dict[str, Any]]] = {}
        for name in course.assignments:
            rows = []
            for u in users:
                mine = [d for d in done if d.user_id == u.id and d.assignment == name]
                best = max(mine, key=lambda d: (d.final_score or 0.0, -d.id), default=None)
                last = mine[-1] if mine else None
                rows.append({"student": u.id, "name": u.name, "best": best, "last": last,
                             "count": len(mine)})  # fmt: skip
            out[name] = rows
        return out

    @app.post("/instructor/regrade")
    def regrade(
        request: Request,
        assignment: Annotated[str, Form()],
        student: Annotated[str, Form()] = "",
        csrf: Annotated[str, Form()] = "",
    ):
        user = instructor_of(request)
        check_csrf(request, user, csrf)
        if assignment not in course.assignments:
            raise _error(400, f"no assignment {assignment!r}")
        with store.write() as s, s.begin():
            q = select(Submission).where(Submission.assignment == assignment)
            if student.strip():
                q = q.where(Submission.user_id == student.strip())
            rows = list(s.scalars(q))
            n = queue.requeue(s, rows)
        store.changes.job(*(r.id for r in rows))
        store.changes.queue()
        dispatcher.wake()
        if request.headers.get("authorization"):
            return {"requeued": n}
        return RedirectResponse("/instructor", status_code=303)

    @app.get("/instructor/gradebook/{assignment}/{fmt}")
    def gradebook(request: Request, assignment: str, fmt: str):
        instructor_of(request)
        book_format = fmt.removesuffix(".csv")
        if assignment not in course.assignments or book_format not in GRADEBOOKS:
            raise _error(404, "no such gradebook")
        ca = course.assignments[assignment]
        with store.read() as s:
            rows = gradebook_rows(standings(s)[assignment])
        title = ca.assignment.title or ca.name
        # the same writers as grade batch and grade check-all, with the roster's names and emails
        book = gradebook_of(rows, title=title, max_score=ca.assignment.scoring.max_score)
        people = {st.id: st for st in course.roster}
        for e in book.entries:
            if e.student in people:
                e.name, e.email = people[e.student].name, people[e.student].email
        text = render_gradebook(book, book_format)
        name = f"{re.sub(r'[^A-Za-z0-9_.-]', '_', assignment)}-{book_format}.csv"
        return PlainTextResponse(
            text,
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    return app


def gradebook_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows for the batch gradebook writers: each student's best graded result."""
    out = []
    for r in rows:
        best: Submission | None = r["best"]
        if best is None:
            out.append({"student": r["student"], "status": "missing", "score": 0.0,
                        "message": "no graded submission"})  # fmt: skip
            continue
        result = json.loads(best.result or "{}")
        msg = " ".join(str(result.get("message", "")).split())[:500]
        if best.late_days:
            msg = f"{msg} (late {best.late_days} day(s), -{best.penalty:.0%})".strip()
        out.append({"student": r["student"], "status": best.result_status or "error",
                    "score": best.final_score or 0.0, "message": msg})  # fmt: skip
    return out


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


def _check_content(suffix: str, data: bytes) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _error(415, "the file is not UTF-8 text") from None
    if "\x00" in text:
        raise _error(415, "the file is not text (it holds NUL bytes)")
    if suffix == ".ipynb":
        try:
            doc = json.loads(text)
        except ValueError:
            raise _error(415, "the .ipynb file is not a Jupyter notebook (not JSON)") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("cells"), list):
            raise _error(415, "the .ipynb file is not a Jupyter notebook (no cells)")


def _duration(d: dt.timedelta) -> str:
    h = d.total_seconds() / 3600
    return f"{h:g} h" if h >= 1 else f"{d.total_seconds() / 60:g} min"
