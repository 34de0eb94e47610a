"""The desk's records: staff users, the audit log, handoffs with transcripts, call-backs, handoff codes.

Revision ID: 0001
Revises:
Create Date: 2026-12-07 03:13:07.158796
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import desk.models

revision: str = "0001"
down_revision: Union[str, None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("first_name", sa.String(length=64), nullable=False),
        sa.Column(
            "role",
            sa.Enum("agent", "supervisor", "admin", name="ck_staff_users_role", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", desk.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", desk.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", desk.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("agencies", sa.JSON(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_users")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_users_username")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", desk.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=128), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["staff_users.id"], name=op.f("fk_audit_log_actor_id_staff_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)

    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=True),
        sa.Column("sealed_phone", sa.Text(), nullable=False),
        sa.Column("preferred_time", sa.String(length=64), nullable=False),
        sa.Column("preferred_at", desk.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "called",
                "not_reached",
                "done",
                name="ck_callbacks_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("created_at", desk.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("handled_at", desk.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["handled_by_id"], ["staff_users.id"], name=op.f("fk_callbacks_handled_by_id_staff_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callbacks")),
    )
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_callbacks_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_callbacks_handled_at"), ["handled_at"], unique=False)

    op.create_table(
        "handoff_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("guide", "case", "complaint", name="ck_handoff_codes_kind", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("target", sa.String(length=128), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", desk.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", desk.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", desk.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["staff_users.id"], name=op.f("fk_handoff_codes_created_by_id_staff_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_handoff_codes_code")),
    )
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("priority_reasons", sa.JSON(), nullable=False),
        sa.Column("queued_at", desk.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("taken_at", desk.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("released_at", desk.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("release_note", sa.Text(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "returned_to_bot",
                "callback",
                "cancelled",
                "transferred",
                name="ck_handoffs_outcome",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(["agent_id"], ["staff_users.id"], name=op.f("fk_handoffs_agent_id_staff_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoffs")),
    )
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handoffs_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_handoffs_released_at"), ["released_at"], unique=False)

    op.create_table(
        "transcript_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("at", desk.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "author",
            sa.Enum(
                "citizen",
                "bot",
                "agent",
                "system",
                name="ck_transcript_entries_author",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("sealed_text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["staff_users.id"], name=op.f("fk_transcript_entries_agent_id_staff_users")),
        sa.ForeignKeyConstraint(
            ["handoff_id"], ["handoffs.id"], name=op.f("fk_transcript_entries_handoff_id_handoffs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transcript_entries")),
    )
    with op.batch_alter_table("transcript_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transcript_entries_handoff_id"), ["handoff_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("transcript_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transcript_entries_handoff_id"))

    op.drop_table("transcript_entries")
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoffs_released_at"))
        batch_op.drop_index(batch_op.f("ix_handoffs_conversation_id"))

    op.drop_table("handoffs")
    op.drop_table("handoff_codes")
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callbacks_handled_at"))
        batch_op.drop_index(batch_op.f("ix_callbacks_conversation_id"))

    op.drop_table("callbacks")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))
        batch_op.drop_index(batch_op.f("ix_audit_log_action"))

    op.drop_table("audit_log")
    op.drop_table("staff_users")
