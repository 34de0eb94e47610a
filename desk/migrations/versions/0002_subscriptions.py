"""Case subscriptions, the announcement audience and watched cases: the durable copy of Redis's.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 03:49:59.638270
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import desk.models

revision: str = "0002"
down_revision: Union[str, None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "announcement_audience",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_digest", sa.String(length=40), nullable=False),
        sa.Column("sealed_conversation", sa.Text(), nullable=False),
        sa.Column("joined_at", desk.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcement_audience")),
        sa.UniqueConstraint("conversation_digest", name=op.f("uq_announcement_audience_conversation_digest")),
    )
    op.create_table(
        "case_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_digest", sa.String(length=40), nullable=False),
        sa.Column("sealed_conversation", sa.Text(), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("tracking_code", sa.String(length=64), nullable=False),
        sa.Column("subscribed_at", desk.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", desk.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_subscriptions")),
        sa.UniqueConstraint(
            "conversation_digest",
            "agency",
            "tracking_code",
            name=op.f("uq_case_subscriptions_conversation_digest_agency_tracking_code"),
        ),
    )
    with op.batch_alter_table("case_subscriptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_subscriptions_conversation_digest"), ["conversation_digest"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_subscriptions_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "watched_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("tracking_code", sa.String(length=64), nullable=False),
        sa.Column("sealed_national_id", sa.Text(), nullable=False),
        sa.Column("status_text", sa.Text(), nullable=False),
        sa.Column("expires_at", desk.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watched_cases")),
        sa.UniqueConstraint("agency", "tracking_code", name=op.f("uq_watched_cases_agency_tracking_code")),
    )
    with op.batch_alter_table("watched_cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_watched_cases_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("watched_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_watched_cases_expires_at"))

    op.drop_table("watched_cases")
    with op.batch_alter_table("case_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_subscriptions_expires_at"))
        batch_op.drop_index(batch_op.f("ix_case_subscriptions_conversation_digest"))

    op.drop_table("case_subscriptions")
    op.drop_table("announcement_audience")
