"""Typed SQLAlchemy models. Every timestamp is timezone-aware and stored in UTC."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware timestamp, stored in UTC, read back aware on every database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; give a timezone")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)  # SQLite keeps no zone; we only ever write UTC
        return value

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        # SQLite keeps the text SQLAlchemy wrote, in UTC and without a zone. Read with the zone
        # appended, it is an aware time in one C call: a naive one given its zone afterwards
        # (`replace(tzinfo=...)`) costs ten times as much, and every step and page reads dozens.
        read: Any = self.impl_instance.dialect_impl(dialect).result_processor(dialect, coltype)
        assert read is not None
        utc = dt.UTC
        aware = dt.datetime.fromisoformat

        def process(value: Any) -> dt.datetime | None:
            if value is None:
                return None
            try:
                return aware(value + "+00:00")
            except (TypeError, ValueError):  # not the text we write: read it the general way
                at: dt.datetime = read(value)
                return at.replace(tzinfo=utc) if at.tzinfo is None else at
        return process


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime}


class Role(StrEnum):
    CONVENER = "convener"
    RESEARCHER = "researcher"


class PromptStatus(StrEnum):
    SCHEDULED = "scheduled"  # due in the future, not yet sent
    OPEN = "open"  # sent; the member can answer
    COMPLETED = "completed"
    STOPPED = "stopped"  # the member ended it early; what they gave is kept
    NOT_ATTENDED = "not_attended"
    CLOSED = "closed"  # its window passed
    MISSED = "missed"  # fell due while the bot was down and its window had passed
    CANCELLED = "cancelled"  # the event was cancelled, or the member withdrew

    @classmethod
    def finished(cls) -> tuple[PromptStatus, ...]:
        return (cls.COMPLETED, cls.STOPPED, cls.NOT_ATTENDED, cls.CLOSED, cls.MISSED, cls.CANCELLED)


class Channel(StrEnum):
    """Where a member is asked (members.channel)."""

    TELEGRAM = "telegram"
    EMAIL = "email"


class AnsweredIn(StrEnum):
    """Where a narrative was told (narratives.channel, the exports' `channel` column)."""

    TELEGRAM = "telegram"
    WEB = "web"
    TERMINAL = "terminal"


class Community(Base):
    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    invite_code: Mapped[str] = mapped_column(String(32), unique=True)
    question_set: Mapped[str] = mapped_column(String(500), default="default")
    # Scheduling settings (minutes/hours/days so they read as users set them).
    prompt_delay_minutes: Mapped[int] = mapped_column(Integer, default=120)
    reminder_after_hours: Mapped[int] = mapped_column(Integer, default=48)
    window_days: Mapped[int] = mapped_column(Integer, default=7)
    quiet_start: Mapped[str] = mapped_column(String(5), default="20:00")
    quiet_end: Mapped[str] = mapped_column(String(5), default="08:00")
    followup_applied_days: Mapped[int] = mapped_column(Integer, default=42)
    followup_reframing_days: Mapped[int] = mapped_column(Integer, default=91)
    digest_weekday: Mapped[int] = mapped_column(Integer, default=0)  # Monday
    digest_time: Mapped[str] = mapped_column(String(5), default="09:00")
    retention_months: Mapped[int | None] = mapped_column(Integer, default=None)
    # For members whose Telegram language the bot does not speak.
    language: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    # Keep the recordings of voice notes beside their transcripts (the participant text says so).
    keep_audio: Mapped[bool] = mapped_column(Boolean, default=False)
    # Conveners may code narratives too, not only researchers (the community's choice).
    conveners_code: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Member(Base):
    """A person who agreed to take part. Holds no name or username: only what reaches them."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a member reached only by email (migration 0017_web_and_email).
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True, default=None)
    chat_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # Where they are asked: Channel.TELEGRAM or Channel.EMAIL (each email carries their link).
    channel: Mapped[str] = mapped_column(String(16), default="telegram",
                                         server_default="telegram")
    paused: Mapped[bool] = mapped_column(Boolean, default=False)  # all communities
    unreachable_at: Mapped[dt.datetime | None] = mapped_column(default=None, index=True)
    # What the bot speaks to them: Telegram's language when they joined, or their /language.
    language: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="member")


class Consent(Base):
    """A member's agreement to one version of the participant information."""

    __tablename__ = "consents"
    __table_args__ = (UniqueConstraint("member_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(64))
    # The language of the participant information as shown: the version is of that text.
    language: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    given_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MemberLink(Base):
    """A member's personal link to answer in the browser (`/answer/<token>`).

    Only the SHA-256 of its token is kept, so the table read by someone else opens nothing; a
    revoked link stays (revoked_at set) so its page can say so kindly."""

    __tablename__ = "member_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # hex SHA-256
    # The community the link invites its member into: joined once they agree (0018_link_invites).
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), default=None
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class MemberEmail(Base):
    """A member's email address: contact data only, never exported, shown, logged or audited.

    One per member and one member per address, whatever its case (the unique index is on
    lower(address): look an address up by its lower case). Erased with the member."""

    __tablename__ = "member_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), unique=True
    )
    address: Mapped[str] = mapped_column(String(320))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    unsubscribed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # A permanent refusal from the mail server (a bounce), as members.unreachable_at is a block.
    unreachable_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


Index("uq_member_emails_address_lower", func.lower(MemberEmail.address), unique=True)


class Invitation(Base):
    """A convener's invitation of a member by email to one community (0020_email_invitations).

    It carries the invitation email's claim as a `Delivery` carries a prompt's: due, claimed,
    sending, then how it went; the email's link names the community (`MemberLink.community_id`).
    The address is not here: it stays in member_emails."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("member_id", "community_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), index=True, default="due")
    claimed_by: Mapped[str | None] = mapped_column(String(100), default=None)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    wire_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class EmailJoin(Base):
    """Someone who asked to join a community by email and has not yet confirmed the address.

    Only the SHA-256 of the confirmation code is kept; a row past expires_at is worth nothing
    and may be swept. Confirming makes the member (and their MemberEmail) and removes the row."""

    __tablename__ = "email_joins"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(320))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)  # hex SHA-256
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("member_id", "community_id"),
        UniqueConstraint("community_id", "pseudonym"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    pseudonym: Mapped[str] = mapped_column(String(16))
    consent_id: Mapped[int] = mapped_column(ForeignKey("consents.id"))
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    member: Mapped[Member] = relationship(back_populates="memberships")
    community: Mapped[Community] = relationship()


class RoleGrant(Base):
    """A convener or researcher role, keyed by Telegram id so it can be granted before joining.

    A researcher grant with no community covers every community.
    """

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("telegram_user_id", "community_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), default=None
    )
    role: Mapped[str] = mapped_column(String(16))
    digest_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    checkin_code: Mapped[str | None] = mapped_column(String(32), unique=True, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    community: Mapped[Community] = relationship()


class Prompt(Base):
    """One request to one member about one event: the post-event chat or a follow-up.

    The member's place in the conversation lives here, so any process can carry it on.
    """

    __tablename__ = "prompts"
    __table_args__ = (
        UniqueConstraint("member_id", "event_id", "kind"),
        Index("ix_prompts_status_due_at", "status", "due_at"),
        Index("ix_prompts_member_id_status", "member_id", "status"),
        # The matrix's participation figures read this index alone.
        Index("ix_prompts_matrix", "community_id", "status", "attended", "opened_at"),
        Index("ix_prompts_event_id", "event_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    story_id: Mapped[str] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(16), default=PromptStatus.SCHEDULED)
    question_set: Mapped[str] = mapped_column(String(500), default="default")
    question_id: Mapped[str | None] = mapped_column(String(64), default=None)
    fresh: Mapped[bool] = mapped_column(Boolean, default=True)
    held: Mapped[bool] = mapped_column(Boolean, default=False)
    # A message sent after Later, not an answer until the member says Keep (then it moves to
    # narratives and this is emptied).
    held_message: Mapped[str | None] = mapped_column(Text, default=None)
    attended: Mapped[bool | None] = mapped_column(Boolean, default=None)
    due_at: Mapped[dt.datetime]
    closes_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    remind_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    opened_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    member: Mapped[Member] = relationship()
    event: Mapped[Event] = relationship()
    community: Mapped[Community] = relationship()


class Narrative(Base):
    """A member's current answer to one question of one prompt: the evidence."""

    __tablename__ = "narratives"
    __table_args__ = (
        UniqueConstraint("prompt_id", "question_id"),
        Index("ix_narratives_community_id_cycle", "community_id", "cycle"),
        # Covering indexes for the matrix over a period: members per cycle and the newest
        # excerpts per cycle, without touching the table's rows.
        # A cycle's narratives and its plans (intended) are read apart (migration 0008_plans).
        Index("ix_narratives_matrix_members", "community_id", "cycle", "intended", "member_id",
              "answered_at"),
        Index("ix_narratives_matrix_recent", "community_id", "cycle", "intended", "answered_at",
              "id"),
        # The dashboard's narratives, newest first and paged by (answered_at, id).
        Index("ix_narratives_community_id_answered_at", "community_id", "answered_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    story_id: Mapped[str] = mapped_column(String(36), index=True)
    question_id: Mapped[str] = mapped_column(String(64))
    question_text: Mapped[str] = mapped_column(Text)
    # The language the question was asked in (its text as asked is question_text).
    language: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    cycle: Mapped[str] = mapped_column(String(16))
    capital: Mapped[str | None] = mapped_column(String(16), default=None)
    intended: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text)
    # Some of the text is the transcript of a voice note the member kept.
    spoken: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where it was told: AnsweredIn.TELEGRAM, WEB or TERMINAL (told before 0017: Telegram).
    channel: Mapped[str] = mapped_column(String(16), default="telegram",
                                         server_default="telegram")
    version: Mapped[int] = mapped_column(Integer, default=1)
    answered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revised_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    revisions: Mapped[list[NarrativeRevision]] = relationship(
        back_populates="narrative", cascade="all, delete-orphan", passive_deletes=True
    )


class NarrativeRevision(Base):
    """An earlier version of a narrative, kept when the member revised it."""

    __tablename__ = "narrative_revisions"
    __table_args__ = (UniqueConstraint("narrative_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    narrative_id: Mapped[int] = mapped_column(ForeignKey("narratives.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    written_at: Mapped[dt.datetime]
    replaced_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    narrative: Mapped[Narrative] = relationship(back_populates="revisions")


class VoiceNoteStatus(StrEnum):
    RECEIVED = "received"  # recorded on arrival; to be transcribed (claimed while it is)
    TRANSCRIBED = "transcribed"  # transcript sent to the member, waiting for Keep or Type instead
    KEPT = "kept"  # the transcript is (part of) the narrative
    REPLACED = "replaced"  # a newer voice note's transcript took its place
    DISCARDED = "discarded"  # Type it instead, or nothing could be heard in it
    FAILED = "failed"  # not audio, or the engine could not hear it; the member was told


class VoiceNote(Base):
    """A voice note sent as an answer, recorded the moment it arrives so no restart loses it.

    The audio itself is fetched from Telegram by `telegram_file_id` when it is transcribed; it is
    stored (`audio`) only when the community keeps recordings and the member kept the transcript.
    """

    __tablename__ = "voice_notes"
    __table_args__ = (
        Index("ix_voice_notes_status_claimed_at", "status", "claimed_at"),
        Index("ix_voice_notes_prompt_id", "prompt_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The message it came in: a redelivered update records nothing twice.
    update_key: Mapped[str] = mapped_column(String(80), unique=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    telegram_file_id: Mapped[str] = mapped_column(String(255))
    duration_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    size_bytes: Mapped[int | None] = mapped_column(Integer, default=None)
    mime_type: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[str] = mapped_column(String(16), default=VoiceNoteStatus.RECEIVED)
    transcript: Mapped[str | None] = mapped_column(Text, default=None)
    audio: Mapped[bytes | None] = mapped_column(LargeBinary, default=None, deferred=True)
    narrative_id: Mapped[int | None] = mapped_column(
        ForeignKey("narratives.id", ondelete="SET NULL"), default=None
    )
    # A lease: the process transcribing it renews claimed_at; a lapsed one is taken over.
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # Claims taken on it: one whose process died leaves its count behind, so a note that keeps
    # killing whoever hears it is given up (the member asked to type) rather than tried for ever.
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    transcribed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class Choice(Base):
    """A button answer (attended, kinds of capital): context for narratives, not a narrative."""

    __tablename__ = "choices"
    __table_args__ = (UniqueConstraint("prompt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(64))
    values: Mapped[list[str]] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OwedReply(Base):
    """A reply the bot owes a member for an update it handled: kept in the unit of work that
    stored what the member sent (and marked that update handled), gone once Telegram took it.

    So a process that stops while Telegram is away still sends it after the restart. Rows live
    for moments, not for keeps; a chat's are sent in the order of `update_id`, then `seq`.
    """

    __tablename__ = "owed_replies"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[str] = mapped_column(Text)  # the message as JSON: its text and buttons
    owed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class HandledUpdate(Base):
    """Messages and button presses already acted on, so a redelivered update changes nothing."""

    __tablename__ = "handled_updates"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    handled_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class InboxUpdate(Base):
    """An update Telegram handed us, kept until it is handled, so a crash never loses it.

    Long polling confirms updates before they are processed; this is what makes that safe.
    Rows live for moments, not for keeps.
    """

    __tablename__ = "inbox_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Delivery(Base):
    """A scheduled message to a member, claimed before it is sent so it is never sent twice.

    claimed ─on the wire─▶ sending ─answered─▶ sent, failed, unreachable (or uncertain: no answer).
    A claim whose process stopped before `sending` never left it and is sent again; one that
    stopped while `sending` is uncertain, and its member gets one "in case" message instead.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("prompt_id", "purpose"),
        UniqueConstraint("check_id", "purpose"),
        # Each delivery carries one thing: a prompt's message, or a members' check (0014_checks).
        CheckConstraint("(prompt_id IS NULL) <> (check_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    prompt_id: Mapped[int | None] = mapped_column(
        ForeignKey("prompts.id", ondelete="CASCADE"), default=None)
    check_id: Mapped[int | None] = mapped_column(
        ForeignKey("checks.id", ondelete="CASCADE"), default=None, index=True)
    # "prompt", "reminder" or "again" (in case) for a prompt; "check" for a members' check
    purpose: Mapped[str] = mapped_column(String(16))
    # claimed, sending, sent, failed, unreachable, uncertain; "skipped" for an "again" not needed
    status: Mapped[str] = mapped_column(String(16))
    claimed_by: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # When the request was about to be written to Telegram: from then on it may have arrived.
    wire_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    error: Mapped[str | None] = mapped_column(String(200), default=None)


class Notice(Base):
    """A message to a convener outside any conversation (the weekly digest, a retention notice).

    due ─claimed─▶ claimed ─on the wire─▶ sending ─answered─▶ sent, failed or unreachable.
    A claim whose process stopped before `sending` never left it and is due again; one that
    stopped while `sending` may have arrived, so it is due again once as the "in case" version
    (`again`), which reads well either way; an "in case" in doubt is left `uncertain`.
    """

    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("kind", "community_id", "round", "telegram_user_id",
                         name="uq_notices_once_per_person"),
        Index("ix_notices_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "digest" or "retention"
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    # Which one of its kind: a digest's week ("2026-W49", or the moment of one sent by hand),
    # a retention notice's day.
    round: Mapped[str] = mapped_column(String(40))
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    again: Mapped[bool] = mapped_column(Boolean, default=False)  # the "in case" version is due
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    wire_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(String(200), default=None)


class CheckStatus(StrEnum):
    SCHEDULED = "scheduled"  # planned when a convener shared the matrix; not yet sent
    OPEN = "open"  # sent: the member can answer
    DONE = "done"  # every statement answered (or skipped)
    CLOSED = "closed"  # its window passed
    MISSED = "missed"  # its window passed before it could be sent
    CANCELLED = "cancelled"  # the member paused, withdrew or could not be reached before it went


class Check(Base):
    """One member asked whether a community's value indicators ring true: the members' check.

    Made for every member who can be asked when a convener shares the matrix, sent by the
    scheduler as a prompt is (claimed in a `Delivery` first), answered statement by statement.
    """

    __tablename__ = "checks"
    __table_args__ = (
        Index("ix_checks_status_due_at", "status", "due_at"),
        Index("ix_checks_member_id_status", "member_id", "status"),
        Index("ix_checks_community_id_status", "community_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=CheckStatus.SCHEDULED)
    # The statement whose sentence the member may write now (after Rings true or Not for me).
    waiting_id: Mapped[int | None] = mapped_column(Integer, default=None)
    shared_at: Mapped[dt.datetime]
    due_at: Mapped[dt.datetime]
    closes_at: Mapped[dt.datetime]
    opened_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class CheckAnswer(Base):
    """One statement (a value indicator) in a member's check, and what they said of it."""

    __tablename__ = "check_answers"
    __table_args__ = (
        UniqueConstraint("check_id", "indicator_id"),
        Index("ix_check_answers_indicator_id", "indicator_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id", ondelete="CASCADE"))
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)  # the order it is asked in
    answer: Mapped[str | None] = mapped_column(String(16), default=None)  # agreed, disagreed, skipped
    answered_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # A sentence the member added about the statement, in their own words.
    sentence: Mapped[str | None] = mapped_column(Text, default=None)


class AuditEntry(Base):
    """Who did what that touches members' data. Never a copy of the data itself."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("communities.id", ondelete="SET NULL"), default=None
    )
    details: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class FeaturedStory(Base):
    """A story a convener or researcher chose to feature in the community's report (at most a
    few; the report traces each across cycles). Holds the story's id, never its words."""

    __tablename__ = "featured_stories"
    __table_args__ = (UniqueConstraint("community_id", "story_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    story_id: Mapped[str] = mapped_column(String(36))
    chosen_by: Mapped[int] = mapped_column(BigInteger)  # who chose it: a Telegram user id
    chosen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SchedulerState(Base):
    """Heartbeats and per-key markers that every process shares through the database."""

    __tablename__ = "scheduler_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str | None] = mapped_column(String(200), default=None)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ConvenerDraft(Base):
    """A convener's half-finished dialogue (e.g. /newevent), kept so a restart resumes it."""

    __tablename__ = "convener_drafts"

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MatrixCell(Base):
    """How many narratives one member gave in one cycle of one community.

    Kept by database triggers on narratives (see migration 0003), never written by the
    application, so the all-time matrix reads a few hundred rows instead of every narrative.
    A plan (a narrative answering an intention question) is counted under the cycle
    'intended', not its question's cycle (migration 0008_plans); so are the other tallies by
    cycle: matrix_story_cycles, matrix_cycle_stories and matrix_event_cells.
    """

    __tablename__ = "matrix_cells"

    community_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    cycle: Mapped[str] = mapped_column(String(16), primary_key=True)
    member_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    narratives: Mapped[int] = mapped_column(Integer)


class MatrixMember(Base):
    """How many narratives one member gave in one community. Kept by triggers."""

    __tablename__ = "matrix_members"

    community_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    member_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    narratives: Mapped[int] = mapped_column(Integer)


class MatrixCommunity(Base):
    """How many of a community's stories reached a follow-up cycle. Kept by triggers."""

    __tablename__ = "matrix_communities"

    community_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    stories: Mapped[int] = mapped_column(Integer)
    # Stories with at least one narrative (migration 0005).
    told: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class MatrixFollowup(Base):
    """A story that reached a follow-up cycle (realised or reframing). Kept by triggers."""

    __tablename__ = "matrix_followups"
    __table_args__ = (Index("ix_matrix_followups_community_id_last_at", "community_id", "last_at"),)

    story_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    community_id: Mapped[int] = mapped_column(Integer)
    member_id: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[int] = mapped_column(Integer)
    narratives: Mapped[int] = mapped_column(Integer)
    last_at: Mapped[dt.datetime]


class MatrixPrompts(Base):
    """Prompts counted by community, status, attended (-1 unknown, 0, 1) and opened. Kept by triggers."""

    __tablename__ = "matrix_prompts"

    community_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    attended: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    opened: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    prompts: Mapped[int] = mapped_column(Integer)


class MatrixStory(Base):
    """How many narratives one story holds. Kept by triggers (migration 0005)."""

    __tablename__ = "matrix_stories"

    story_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    community_id: Mapped[int] = mapped_column(Integer)
    narratives: Mapped[int] = mapped_column(Integer)


class MatrixStoryCycle(Base):
    """How many narratives one story holds in one cycle. Kept by triggers."""

    __tablename__ = "matrix_story_cycles"

    story_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    cycle: Mapped[str] = mapped_column(String(16), primary_key=True)
    community_id: Mapped[int] = mapped_column(Integer)
    narratives: Mapped[int] = mapped_column(Integer)


class MatrixCycleStories(Base):
    """How many of a community's stories have a narrative in a cycle. Kept by triggers."""

    __tablename__ = "matrix_cycle_stories"

    community_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    cycle: Mapped[str] = mapped_column(String(16), primary_key=True)
    stories: Mapped[int] = mapped_column(Integer)


class MatrixEventCell(Base):
    """How many narratives one event has in one cycle. Kept by triggers."""

    __tablename__ = "matrix_event_cells"
    __table_args__ = (Index("ix_matrix_event_cells_community_id", "community_id"),)

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    cycle: Mapped[str] = mapped_column(String(16), primary_key=True)
    community_id: Mapped[int] = mapped_column(Integer)
    narratives: Mapped[int] = mapped_column(Integer)


class MatrixEventPrompts(Base):
    """An event's post-event prompts by status, attended (-1, 0, 1) and opened. Kept by triggers."""

    __tablename__ = "matrix_event_prompts"
    __table_args__ = (Index("ix_matrix_event_prompts_community_id", "community_id"),)

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    attended: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    opened: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    community_id: Mapped[int] = mapped_column(Integer)
    prompts: Mapped[int] = mapped_column(Integer)


class MatrixPromptNarratives(Base):
    """How many narratives a post-event prompt holds: a row is a member who answered. Kept by triggers."""

    __tablename__ = "matrix_prompt_narratives"
    __table_args__ = (
        Index("ix_matrix_prompt_narratives_community_id_event_id", "community_id", "event_id"),)

    prompt_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    community_id: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[int] = mapped_column(Integer)
    narratives: Mapped[int] = mapped_column(Integer)


class MatrixPlanStory(Base):
    """What one story holds of a plan's journey: its plans (narratives answering an intention
    question), whether its applied follow-up was delivered, its actions reported done and its
    realised value. Kept by triggers (migration 0008_plans)."""

    __tablename__ = "matrix_plan_stories"

    story_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    community_id: Mapped[int] = mapped_column(Integer)
    plans: Mapped[int] = mapped_column(Integer)
    followed: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer)
    difference: Mapped[int] = mapped_column(Integer)


class MatrixPlans(Base):
    """A community's plans pipeline: stories with a plan, and of those the ones followed up,
    reported done and reported to have made a difference. Kept by triggers on
    matrix_plan_stories (migration 0008_plans)."""

    __tablename__ = "matrix_plans"

    community_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    made: Mapped[int] = mapped_column(Integer)
    followed_up: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer)
    difference: Mapped[int] = mapped_column(Integer)


class IndicatorStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"  # taken off the matrix; kept, with its evidence, and can be restored
    MERGED = "merged"  # its evidence moved to `merged_into_id`


class Indicator(Base):
    """A value indicator: a short statement of value under one cycle of a community's matrix
    ("It's a safe space to ask questions"), standing on narratives as its evidence.

    How many narratives, stories and members back it is never stored: it is read from its links
    to narratives that still exist (`IndicatorEvidence`), so a withdrawal changes it at once.
    """

    __tablename__ = "indicators"
    __table_args__ = (
        Index("ix_indicators_community_id_status_cycle", "community_id", "status", "cycle",
              "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    cycle: Mapped[str] = mapped_column(String(16))  # a ValueCycle, as narratives name them
    capital: Mapped[str | None] = mapped_column(String(16), default=None)  # under potential only
    statement: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)  # its order within its cycle
    status: Mapped[str] = mapped_column(String(16), default=IndicatorStatus.ACTIVE)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("indicators.id", ondelete="SET NULL"), default=None)
    # The example it was adopted from, if any (a key of flows.suggestions), so it is not offered again.
    suggestion: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class IndicatorEvidence(Base):
    """A narrative backing an indicator. A narrative may back several; `quoted` marks the one or
    two shown with the indicator. Goes with its narrative (ON DELETE CASCADE)."""

    __tablename__ = "indicator_evidence"
    __table_args__ = (Index("ix_indicator_evidence_narrative_id", "narrative_id"),)

    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("indicators.id", ondelete="CASCADE"), primary_key=True)
    narrative_id: Mapped[int] = mapped_column(
        ForeignKey("narratives.id", ondelete="CASCADE"), primary_key=True)
    quoted: Mapped[bool] = mapped_column(Boolean, default=False)
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class IndicatorExampleLeft(Base):
    """An example indicator a community chose not to use: no longer offered to it."""

    __tablename__ = "indicator_examples_left"

    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True)
    example: Mapped[str] = mapped_column(String(32), primary_key=True)  # a flows.suggestions key
    left_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class IndicatorChange(Base):
    """Who changed an indicator, when, and how: its audit log. `actor` is a label ("convener
    K7QX", "command line"), never a Telegram id or name; `details` never quote a narrative."""

    __tablename__ = "indicator_changes"
    __table_args__ = (Index("ix_indicator_changes_indicator_id_at", "indicator_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(16))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DashboardLink(Base):
    """A one-time sign-in link to the dashboard. Only a hash of its token is kept."""

    __tablename__ = "dashboard_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    used_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class DashboardSession(Base):
    """A signed-in browser. Only a hash of its cookie is kept; what it may see is checked anew
    against the roles on every request, never stored here."""

    __tablename__ = "dashboard_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class SignInFailure(Base):
    """A failed dashboard sign-in, by a hash of where it came from, to slow down guessing."""

    __tablename__ = "dashboard_sign_in_failures"
    __table_args__ = (Index("ix_dashboard_sign_in_failures_source_at", "source", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# --- coding: a codebook per community, codings by coders, and what each coder has seen ----------


class Coder(Base):
    """Someone who codes narratives: a signed-in researcher or convener, or the coder of a project
    imported from another tool. Shown only by the label they chose; the Telegram id is kept to
    know a signed-in coder again, never shown."""

    __tablename__ = "coders"
    __table_args__ = (UniqueConstraint("community_id", "label"),
                      UniqueConstraint("community_id", "telegram_user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    label: Mapped[str] = mapped_column(String(60))
    guid: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Code(Base):
    """A code of a community's codebook; it may say which cycle (and capital) it evidences."""

    __tablename__ = "codes"
    __table_args__ = (UniqueConstraint("community_id", "guid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    guid: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    colour: Mapped[str] = mapped_column(String(7), default="#888888")
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("codes.id", ondelete="SET NULL"), default=None)
    cycle: Mapped[str | None] = mapped_column(String(16), default=None)
    capital: Mapped[str | None] = mapped_column(String(16), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Coding(Base):
    """A code applied by a coder to a narrative: to all of it (start and end None) or to the
    passage [start, end) of its text as stored, in characters."""

    __tablename__ = "codings"
    __table_args__ = (Index("ix_codings_narrative_id", "narrative_id"),
                      Index("ix_codings_code_id_narrative_id", "code_id", "narrative_id"),
                      CheckConstraint("(start IS NULL AND \"end\" IS NULL) OR "
                                      "(start >= 0 AND \"end\" > start)", name="passage"))

    id: Mapped[int] = mapped_column(primary_key=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("codes.id", ondelete="CASCADE"))
    narrative_id: Mapped[int] = mapped_column(ForeignKey("narratives.id", ondelete="CASCADE"))
    coder_id: Mapped[int] = mapped_column(ForeignKey("coders.id", ondelete="CASCADE"), index=True)
    start: Mapped[int | None] = mapped_column(Integer, default=None)
    end: Mapped[int | None] = mapped_column(Integer, default=None)
    guid: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CoderSeen(Base):
    """A narrative a coder has seen: left uncoded, it counts as "not this code" in agreement."""

    __tablename__ = "coder_seen"

    coder_id: Mapped[int] = mapped_column(ForeignKey("coders.id", ondelete="CASCADE"),
                                          primary_key=True)
    narrative_id: Mapped[int] = mapped_column(ForeignKey("narratives.id", ondelete="CASCADE"),
                                              primary_key=True, index=True)
    seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CodingSet(Base):
    """Narratives coded as one batch; in a blind set a coder sees only their own codings on them
    until they mark the set done."""

    __tablename__ = "coding_sets"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    blind: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CodingSetNarrative(Base):
    __tablename__ = "coding_set_narratives"

    set_id: Mapped[int] = mapped_column(ForeignKey("coding_sets.id", ondelete="CASCADE"),
                                        primary_key=True)
    narrative_id: Mapped[int] = mapped_column(ForeignKey("narratives.id", ondelete="CASCADE"),
                                              primary_key=True, index=True)


class CodingSetDone(Base):
    """A coder who marked a set done: they have seen all of it, and may now see others' codings."""

    __tablename__ = "coding_set_done"

    set_id: Mapped[int] = mapped_column(ForeignKey("coding_sets.id", ondelete="CASCADE"),
                                        primary_key=True)
    coder_id: Mapped[int] = mapped_column(ForeignKey("coders.id", ondelete="CASCADE"),
                                          primary_key=True)
    done_at: Mapped[dt.datetime] = mapped_column(default=utcnow)



__all__ = [
    "AuditEntry",
    "Base",
    "Check",
    "CheckAnswer",
    "CheckStatus",
    "Choice",
    "Code",
    "Coder",
    "CoderSeen",
    "Coding",
    "CodingSet",
    "CodingSetDone",
    "CodingSetNarrative",
    "Community",
    "Consent",
    "ConvenerDraft",
    "DashboardLink",
    "DashboardSession",
    "Delivery",
    "Event",
    "HandledUpdate",
    "InboxUpdate",
    "Indicator",
    "IndicatorChange",
    "IndicatorEvidence",
    "IndicatorExampleLeft",
    "IndicatorStatus",
    "MatrixCell",
    "MatrixCommunity",
    "MatrixCycleStories",
    "MatrixEventCell",
    "MatrixEventPrompts",
    "MatrixFollowup",
    "MatrixMember",
    "MatrixPlanStory",
    "MatrixPlans",
    "MatrixPromptNarratives",
    "MatrixPrompts",
    "MatrixStory",
    "MatrixStoryCycle",
    "Member",
    "Membership",
    "Narrative",
    "NarrativeRevision",
    "Prompt",
    "PromptStatus",
    "Role",
    "RoleGrant",
    "SchedulerState",
    "SignInFailure",
    "VoiceNote",
    "VoiceNoteStatus",
    "func",
    "utcnow",
]
