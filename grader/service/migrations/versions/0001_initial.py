"""The first schema: users, submissions (the queue), events.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from convgrade.grader.service.store import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ACTIVE = "status IN ('queued', 'running') AND NOT regrade"


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=True, unique=True),
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(200), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("assignment", sa.String(200), nullable=False),
        sa.Column("original_name", sa.String(200), nullable=False),
        sa.Column("suffix", sa.String(10), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("regrade", sa.Boolean, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("claimed_at", UTCDateTime, nullable=True),
        sa.Column("finished_at", UTCDateTime, nullable=True),
        sa.Column("result", sa.Text, nullable=True),
        sa.Column("result_status", sa.String(40), nullable=True),
        sa.Column("score", sa.Float, nullable=True),
        sa.Column("late_days", sa.Integer, nullable=False),
        sa.Column("penalty", sa.Float, nullable=False),
        sa.Column("final_score", sa.Float, nullable=True),
    )
    op.create_index("ix_submissions_user_id", "submissions", ["user_id"])
    op.create_index("ix_submissions_assignment", "submissions", ["assignment"])
    op.create_index("ix_submissions_status", "submissions", ["status"])
    op.create_index(
        "one_active_per_student",
        "submissions",
        ["user_id"],
        unique=True,
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("ix_events_submission_id", "events", ["submission_id"])


def downgrade() -> None:
    op.drop_table("events")
    op.drop_table("submissions")
    op.drop_table("users")
