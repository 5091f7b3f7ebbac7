"""Initial schema: centres, users, the clinical record and the append-only audit trail.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "centre",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address_line", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("holiday_calendar", sa.String(length=20), nullable=False),
        sa.Column("units", sa.String(length=2), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("units IN ('us', 'si')", name=op.f("ck_centre_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centre")),
        sa.UniqueConstraint("code", name=op.f("uq_centre_code")),
    )
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("failure_window_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "role IN ('admin', 'physician', 'nurse', 'coordinator', 'viewer')",
            name=op.f("ck_app_user_role"),
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_app_user_centre_id_centre")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_app_user_centre_id"), ["centre_id"], unique=False)

    op.create_table(
        "patient",
        sa.Column("mrn", sa.String(length=64), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=8), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("ms_phenotype", sa.String(length=16), nullable=False),
        sa.Column("ms_diagnosis_year", sa.Integer(), nullable=True),
        sa.Column("referring_neurologist", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.String(length=64), nullable=True),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "sex IN ('female', 'male', 'other', 'unknown')", name=op.f("ck_patient_sex")
        ),
        sa.CheckConstraint(
            "stage IN ('referred', 'assessed', 'course_planned', 'course_active', 'course_completed', 'handed_back')",  # noqa: E501
            name=op.f("ck_patient_stage"),
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_patient_centre_id_centre")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient")),
        sa.UniqueConstraint("centre_id", "mrn", name=op.f("uq_patient_centre_id")),
    )
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patient_centre_id"), ["centre_id"], unique=False)

    op.create_table(
        "auth_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('session', 'api')", name=op.f("ck_auth_token_kind")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_auth_token_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_token_token_hash")),
    )
    with op.batch_alter_table("auth_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_token_user_id"), ["user_id"], unique=False)

    op.create_table(
        "dmt_history",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("drug", sa.String(length=64), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("stopped_on", sa.Date(), nullable=True),
        sa.Column("last_dose_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.String(length=64), nullable=True),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_dmt_history_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_dmt_history_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dmt_history")),
    )
    with op.batch_alter_table("dmt_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dmt_history_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dmt_history_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "episode",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("onset_date", sa.Date(), nullable=False),
        sa.Column("presentation", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("edss_at_onset", sa.Float(), nullable=True),
        sa.Column("steroid_response", sa.String(length=16), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.String(length=64), nullable=True),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "presentation IN ('relapse', 'optic_neuritis', 'cis', 'tumefactive', 'other')",
            name=op.f("ck_episode_presentation"),
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_episode_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_episode_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_episode")),
    )
    with op.batch_alter_table("episode", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_episode_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_episode_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "measurement",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("height_cm", sa.Float(), nullable=True),
        sa.Column("weight_kg", sa.Float(), nullable=True),
        sa.Column("hematocrit", sa.Float(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.String(length=64), nullable=True),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_measurement_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_measurement_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measurement")),
    )
    with op.batch_alter_table("measurement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_measurement_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_measurement_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "referral",
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("referrer_name", sa.String(length=200), nullable=False),
        sa.Column("referrer_organisation", sa.String(length=200), nullable=False),
        sa.Column("referrer_contact", sa.String(length=200), nullable=False),
        sa.Column("patient_given_name", sa.String(length=100), nullable=False),
        sa.Column("patient_family_name", sa.String(length=100), nullable=False),
        sa.Column("patient_birth_date", sa.Date(), nullable=True),
        sa.Column("patient_contact", sa.String(length=200), nullable=False),
        sa.Column("presentation", sa.String(length=16), nullable=False),
        sa.Column("onset_date", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("triage_note", sa.Text(), nullable=False),
        sa.Column("triaged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("triaged_by", sa.String(length=64), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.String(length=64), nullable=True),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "presentation IN ('relapse', 'optic_neuritis', 'cis', 'tumefactive', 'other')",
            name=op.f("ck_referral_presentation"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'declined', 'withdrawn')",
            name=op.f("ck_referral_status"),
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_referral_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_referral_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
    )
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "assessment",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=True),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assessed_by", sa.String(length=64), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("recommendation", sa.String(length=32), nullable=False),
        sa.Column("rule_version", sa.String(length=64), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.String(length=64), nullable=True),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_assessment_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["episode.id"],
            name=op.f("fk_assessment_episode_id_episode"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_assessment_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment")),
    )
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assessment_episode_id"), ["episode_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assessment_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "mri_study",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=True),
        sa.Column("study_date", sa.Date(), nullable=False),
        sa.Column("gd_enhancing_lesions", sa.Integer(), nullable=True),
        sa.Column("new_t2_lesions", sa.Integer(), nullable=True),
        sa.Column("ring_enhancement", sa.Boolean(), nullable=True),
        sa.Column("mass_effect", sa.Boolean(), nullable=True),
        sa.Column("tumefactive", sa.Boolean(), nullable=True),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.String(length=64), nullable=True),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_mri_study_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["episode.id"],
            name=op.f("fk_mri_study_episode_id_episode"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_mri_study_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mri_study")),
    )
    with op.batch_alter_table("mri_study", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mri_study_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mri_study_episode_id"), ["episode_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mri_study_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "steroid_course",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=True),
        sa.Column("drug", sa.String(length=64), nullable=False),
        sa.Column("route", sa.String(length=8), nullable=False),
        sa.Column("dose_mg_per_day", sa.Float(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("response", sa.String(length=16), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.String(length=64), nullable=True),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_steroid_course_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["episode.id"],
            name=op.f("fk_steroid_course_episode_id_episode"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_steroid_course_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_steroid_course")),
    )
    with op.batch_alter_table("steroid_course", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_steroid_course_centre_id"), ["centre_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_steroid_course_episode_id"), ["episode_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_steroid_course_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "course",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=True),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("indication", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("stop_reason", sa.Text(), nullable=False),
        sa.Column("planned_exchanges", sa.Integer(), nullable=False),
        sa.Column("plasma_volumes_per_exchange", sa.Float(), nullable=False),
        sa.Column("replacement_fluid", sa.String(length=32), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("prescription", sa.JSON(), nullable=False),
        sa.Column("rule_version", sa.String(length=64), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.String(length=64), nullable=True),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('planned', 'active', 'completed', 'stopped')", name=op.f("ck_course_status")
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessment.id"],
            name=op.f("fk_course_assessment_id_assessment"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_course_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["episode.id"],
            name=op.f("fk_course_episode_id_episode"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_course_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course")),
    )
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_course_assessment_id"), ["assessment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_course_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_course_episode_id"), ["episode_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_course_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "document",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.String(length=64), nullable=True),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('letter', 'report', 'handout', 'other')", name=op.f("ck_document_kind")
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_document_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_document_course_id_course"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_document_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document")),
    )
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_document_course_id"), ["course_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_document_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "exchange_session",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("planned_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("planned_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actual_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actual_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("planned_plasma_volume_ml", sa.Float(), nullable=True),
        sa.Column("plasma_removed_ml", sa.Float(), nullable=True),
        sa.Column("whole_blood_processed_ml", sa.Float(), nullable=True),
        sa.Column("replacement_fluids", sa.JSON(), nullable=False),
        sa.Column("anticoagulant", sa.String(length=32), nullable=False),
        sa.Column("anticoagulant_ml", sa.Float(), nullable=True),
        sa.Column("calcium_gluconate_ml", sa.Float(), nullable=True),
        sa.Column("vascular_access", sa.String(length=32), nullable=False),
        sa.Column("vitals", sa.JSON(), nullable=False),
        sa.Column("precheck_inputs", sa.JSON(), nullable=True),
        sa.Column("precheck_result", sa.JSON(), nullable=True),
        sa.Column("precheck_rule_version", sa.String(length=64), nullable=True),
        sa.Column("go_decision", sa.String(length=24), nullable=True),
        sa.Column("operator", sa.String(length=64), nullable=True),
        sa.Column("signed_off_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.String(length=64), nullable=True),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('planned', 'done', 'held', 'cancelled')",
            name=op.f("ck_exchange_session_status"),
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_exchange_session_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_exchange_session_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_exchange_session_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_session")),
    )
    with op.batch_alter_table("exchange_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_session_centre_id"), ["centre_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_exchange_session_course_id"), ["course_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_exchange_session_patient_id"), ["patient_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_exchange_session_planned_start"), ["planned_start"], unique=False
        )

    op.create_table(
        "hand_back",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("planned_dmt", sa.String(length=64), nullable=False),
        sa.Column("earliest_dose_date", sa.Date(), nullable=True),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("rule_version", sa.String(length=64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.String(length=64), nullable=True),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_hand_back_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_hand_back_course_id_course"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_hand_back_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hand_back")),
    )
    with op.batch_alter_table("hand_back", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hand_back_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_hand_back_course_id"), ["course_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_hand_back_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "outcome_assessment",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("timepoint", sa.String(length=16), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("assessed_by", sa.String(length=64), nullable=False),
        sa.Column("edss", sa.Float(), nullable=True),
        sa.Column("va_right_logmar", sa.Float(), nullable=True),
        sa.Column("va_left_logmar", sa.Float(), nullable=True),
        sa.Column("targeted_deficit", sa.String(length=12), nullable=True),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("rule_version", sa.String(length=64), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.String(length=64), nullable=True),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "timepoint IN ('baseline', 'during_course', 'end_of_course', '1_month', '3_months', '6_months', 'other')",  # noqa: E501
            name=op.f("ck_outcome_assessment_timepoint"),
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_outcome_assessment_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_outcome_assessment_course_id_course"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_outcome_assessment_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_assessment")),
    )
    with op.batch_alter_table("outcome_assessment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outcome_assessment_centre_id"), ["centre_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outcome_assessment_course_id"), ["course_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outcome_assessment_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "adverse_event",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=12), nullable=False),
        sa.Column("onset_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("procedure_interrupted", sa.Boolean(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.String(length=64), nullable=True),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "severity IN ('mild', 'moderate', 'severe', 'death')",
            name=op.f("ck_adverse_event_severity"),
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_adverse_event_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_adverse_event_course_id_course"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_adverse_event_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["exchange_session.id"],
            name=op.f("fk_adverse_event_session_id_exchange_session"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adverse_event")),
    )
    with op.batch_alter_table("adverse_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_adverse_event_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_adverse_event_course_id"), ["course_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_adverse_event_patient_id"), ["patient_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_adverse_event_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "lab_result",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("analyte", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("timing", sa.String(length=8), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.String(length=64), nullable=True),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centre.id"], name=op.f("fk_lab_result_centre_id_centre")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_lab_result_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["exchange_session.id"],
            name=op.f("fk_lab_result_session_id_exchange_session"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lab_result")),
    )
    with op.batch_alter_table("lab_result", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lab_result_centre_id"), ["centre_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lab_result_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lab_result_session_id"), ["session_id"], unique=False)

    _create_audit_guards()


def downgrade() -> None:
    _drop_audit_guards()
    with op.batch_alter_table("lab_result", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lab_result_session_id"))
        batch_op.drop_index(batch_op.f("ix_lab_result_patient_id"))
        batch_op.drop_index(batch_op.f("ix_lab_result_centre_id"))

    op.drop_table("lab_result")
    with op.batch_alter_table("adverse_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adverse_event_session_id"))
        batch_op.drop_index(batch_op.f("ix_adverse_event_patient_id"))
        batch_op.drop_index(batch_op.f("ix_adverse_event_course_id"))
        batch_op.drop_index(batch_op.f("ix_adverse_event_centre_id"))

    op.drop_table("adverse_event")
    with op.batch_alter_table("outcome_assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outcome_assessment_patient_id"))
        batch_op.drop_index(batch_op.f("ix_outcome_assessment_course_id"))
        batch_op.drop_index(batch_op.f("ix_outcome_assessment_centre_id"))

    op.drop_table("outcome_assessment")
    with op.batch_alter_table("hand_back", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hand_back_patient_id"))
        batch_op.drop_index(batch_op.f("ix_hand_back_course_id"))
        batch_op.drop_index(batch_op.f("ix_hand_back_centre_id"))

    op.drop_table("hand_back")
    with op.batch_alter_table("exchange_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_session_planned_start"))
        batch_op.drop_index(batch_op.f("ix_exchange_session_patient_id"))
        batch_op.drop_index(batch_op.f("ix_exchange_session_course_id"))
        batch_op.drop_index(batch_op.f("ix_exchange_session_centre_id"))

    op.drop_table("exchange_session")
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_patient_id"))
        batch_op.drop_index(batch_op.f("ix_document_course_id"))
        batch_op.drop_index(batch_op.f("ix_document_centre_id"))

    op.drop_table("document")
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_patient_id"))
        batch_op.drop_index(batch_op.f("ix_course_episode_id"))
        batch_op.drop_index(batch_op.f("ix_course_centre_id"))
        batch_op.drop_index(batch_op.f("ix_course_assessment_id"))

    op.drop_table("course")
    with op.batch_alter_table("steroid_course", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_steroid_course_patient_id"))
        batch_op.drop_index(batch_op.f("ix_steroid_course_episode_id"))
        batch_op.drop_index(batch_op.f("ix_steroid_course_centre_id"))

    op.drop_table("steroid_course")
    with op.batch_alter_table("mri_study", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mri_study_patient_id"))
        batch_op.drop_index(batch_op.f("ix_mri_study_episode_id"))
        batch_op.drop_index(batch_op.f("ix_mri_study_centre_id"))

    op.drop_table("mri_study")
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_patient_id"))
        batch_op.drop_index(batch_op.f("ix_assessment_episode_id"))
        batch_op.drop_index(batch_op.f("ix_assessment_centre_id"))

    op.drop_table("assessment")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_patient_id"))
        batch_op.drop_index(batch_op.f("ix_referral_centre_id"))

    op.drop_table("referral")
    with op.batch_alter_table("measurement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measurement_patient_id"))
        batch_op.drop_index(batch_op.f("ix_measurement_centre_id"))

    op.drop_table("measurement")
    with op.batch_alter_table("episode", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_episode_patient_id"))
        batch_op.drop_index(batch_op.f("ix_episode_centre_id"))

    op.drop_table("episode")
    with op.batch_alter_table("dmt_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dmt_history_patient_id"))
        batch_op.drop_index(batch_op.f("ix_dmt_history_centre_id"))

    op.drop_table("dmt_history")
    with op.batch_alter_table("auth_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_token_user_id"))

    op.drop_table("auth_token")
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patient_centre_id"))

    op.drop_table("patient")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_user_centre_id"))

    op.drop_table("app_user")
    op.drop_table("centre")
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_patient_id"))
        batch_op.drop_index(batch_op.f("ix_audit_event_centre_id"))

    op.drop_table("audit_event")


_SQLITE_GUARDS = [
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
    "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
]
_PG_GUARDS = [
    "CREATE FUNCTION plexms_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$",
    "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION plexms_audit_append_only()",
    "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
    "FOR EACH STATEMENT EXECUTE FUNCTION plexms_audit_append_only()",
]


def _create_audit_guards() -> None:
    """Append-only audit table (triggers) and the chain's genesis head."""
    dialect = op.get_bind().dialect.name
    for statement in _PG_GUARDS if dialect == "postgresql" else _SQLITE_GUARDS:
        op.execute(statement)
    op.execute("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '" + "0" * 64 + "')")


def _drop_audit_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
        op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS plexms_audit_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
