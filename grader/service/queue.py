"""The durable job queue: submissions are rows; workers claim them atomically.

A job is claimed by one ``UPDATE ... WHERE id = (SELECT ... LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING``: on PostgreSQL concurrent claimers skip each other's locked rows; on SQLite the
statement runs under the database's single writer lock. A result is written in one
transaction that also marks the row done, and only by the attempt that claimed it, so a job is
graded into the gradebook exactly once. After a crash, :func:`recover` puts the rows that were
running back in the queue (their results were never written).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from convgrade.grader.service.store import (
    ACTIVE,
    DONE,
    QUEUED,
    RUNNING,
    Event,
    Store,
    Submission,
    utcnow,
)
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session


def claim(store: Store) -> tuple[int, int] | None:
    """Claim the oldest queued job: (submission id, attempt), or None when the queue is empty."""
    oldest = (
        select(Submission.id)
        .where(Submission.status == QUEUED)
        .order_by(Submission.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    stmt = (
        update(Submission)
        .where(Submission.id == oldest, Submission.status == QUEUED)
        .values(status=RUNNING, attempt=Submission.attempt + 1, claimed_at=utcnow())
        .returning(Submission.id, Submission.attempt)
    )
    with store.write() as s, s.begin():
        row = s.execute(stmt).first()
    if row is None:
        return None
    store.changes.job(row[0])
    store.changes.queue()
    return row[0], row[1]


def finish(
    store: Store, job_id: int, attempt: int, result: dict[str, Any], final_score: float
) -> bool:
    """Write a job's result and mark it done, if ``attempt`` still owns it; True when written."""
    stmt = (
        update(Submission)
        .where(Submission.id == job_id, Submission.status == RUNNING, Submission.attempt == attempt)
        .values(
            status=DONE,
            finished_at=utcnow(),
            result=json.dumps(result, default=str),
            result_status=str(result.get("status", "error")),
            score=float(result.get("score") or 0.0),
            final_score=final_score,
        )
    )
    with store.write() as s, s.begin():
        written = s.execute(stmt).rowcount == 1
    store.changes.job(job_id)
    return written


def recover(store: Store) -> int:
    """Put jobs left running by a server that died back in the queue; how many."""
    with store.write() as s, s.begin():
        n = s.execute(
            update(Submission).where(Submission.status == RUNNING).values(status=QUEUED)
        ).rowcount
    store.changes.queue()
    return n


def requeue(s: Session, rows: list[Submission]) -> int:
    """Queue finished submissions again (an instructor's regrade); how many. The caller
    commits, then tells ``store.changes`` (``job`` of each row, and ``queue``)."""
    n = 0
    for row in rows:
        if row.status == DONE:
            row.status, row.regrade, row.result, row.result_status = QUEUED, True, None, None
            row.score = row.final_score = None
            n += 1
    return n


def position(s: Session | Connection, sub: Submission) -> int:
    """1-based place in the queue (0 when running or done)."""
    return place(s, sub.id) if sub.status == QUEUED else 0


#: the statements of every upload, built once: SQLAlchemy then skips building them and
#: computing their cache keys (memoized on the statement) on each upload of a burst
_PLACE = select(func.count()).where(
    Submission.status == QUEUED, Submission.id < bindparam("sub_id")
)
_STANDING = select(
    func.count().filter(Submission.status.in_(ACTIVE), ~Submission.regrade),
    func.count().filter(
        Submission.assignment == bindparam("assignment"),
        Submission.created_at >= bindparam("since"),
    ),
).where(Submission.user_id == bindparam("user_id"))


def place(db: Session | Connection, sub_id: int) -> int:
    """1-based place in the queue of the queued submission ``sub_id``."""
    ahead = db.scalar(_PLACE, {"sub_id": sub_id})
    return int(ahead or 0) + 1


def counts(s: Session) -> dict[str, int]:
    rows = s.execute(select(Submission.status, func.count()).group_by(Submission.status))
    return {QUEUED: 0, RUNNING: 0, DONE: 0, **{k: int(v) for k, v in rows}}


def standing(
    s: Session | Connection, user_id: str, assignment: str, since: dt.datetime
) -> tuple[bool, int]:
    """(whether the student has a submission queued or running, how many they made for
    ``assignment`` since ``since``), in one query: what an upload is checked against."""
    row = s.execute(_STANDING, {"user_id": user_id, "assignment": assignment, "since": since}).one()
    return bool(row[0]), int(row[1] or 0)


def add_event(store: Store, job_id: int, attempt: int, info: dict[str, Any]) -> None:
    """Record one progress line of a running job."""
    with store.write() as s, s.begin():
        s.add(Event(submission_id=job_id, attempt=attempt, data=json.dumps(info)))
    store.changes.job(job_id)


def events_after(s: Session, job_id: int, after: int) -> list[Event]:
    """The job's progress events with id > ``after`` (its latest attempt only)."""
    latest = select(Submission.attempt).where(Submission.id == job_id).scalar_subquery()
    return list(
        s.scalars(
            select(Event)
            .where(Event.submission_id == job_id, Event.id > after, Event.attempt == latest)
            .order_by(Event.id)
        )
    )
