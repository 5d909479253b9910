"""Voice notes' SQL: arrivals, claims to transcribe them (leased, so a stopped process's lapse),
the note on offer, consent to keep recordings, and erasing the recordings a community kept; and
`set_keep_audio`, the step /settings runs inside its own unit of work."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AuditEntry,
    Community,
    Consent,
    Membership,
    Narrative,
    VoiceNote,
    VoiceNoteStatus,
)


def by_update(key: str) -> Any:
    """The note an update brought, if it came before."""
    return select(VoiceNote.id).where(VoiceNote.update_key == key)


def _unclaimed(lapsed: dt.datetime) -> Any:
    return or_(VoiceNote.claimed_at.is_(None), VoiceNote.claimed_at < lapsed)


def waiting(lapsed: dt.datetime, limit: int) -> Any:
    """Notes that arrived and nobody is transcribing (never claimed, or claimed before `lapsed`)."""
    return (select(VoiceNote.id).where(VoiceNote.status == VoiceNoteStatus.RECEIVED,
                                       _unclaimed(lapsed))
            .order_by(VoiceNote.id).limit(limit))


def claim(note_id: int, worker: str, now: dt.datetime, lapsed: dt.datetime) -> Any:
    """Take a note unless someone holds a live claim on it: one row changed if taken."""
    return (update(VoiceNote).where(
        VoiceNote.id == note_id, VoiceNote.status == VoiceNoteStatus.RECEIVED, _unclaimed(lapsed),
    ).values(claimed_by=worker, claimed_at=now, attempts=VoiceNote.attempts + 1)
        .execution_options(synchronize_session=False))


def file_id(note_id: int) -> Any:
    return select(VoiceNote.telegram_file_id).where(VoiceNote.id == note_id)


def attempts(note_id: int) -> Any:
    return select(VoiceNote.attempts).where(VoiceNote.id == note_id)


def renew(note_id: int, worker: str, now: dt.datetime) -> Any:
    """Keep this worker's claim alive: one row changed if it still holds it."""
    return (update(VoiceNote).where(
        VoiceNote.id == note_id, VoiceNote.status == VoiceNoteStatus.RECEIVED,
        VoiceNote.claimed_by == worker,
    ).values(claimed_at=now).execution_options(synchronize_session=False))


def consent_version(member_id: int, community_id: int) -> Any:
    """The version of the participant information a member agreed to in a community."""
    return (select(Consent.version).join(Membership, Membership.consent_id == Consent.id)
            .where(Membership.member_id == member_id, Membership.community_id == community_id))


def claimed_by(note_id: int, worker: str) -> Any:
    """The note, locked, if this worker still holds it."""
    return (select(VoiceNote).where(VoiceNote.id == note_id,
                                    VoiceNote.status == VoiceNoteStatus.RECEIVED,
                                    VoiceNote.claimed_by == worker).with_for_update())


def transcribed_before(prompt_id: int, note_id: int) -> Any:
    """Earlier transcripts of a prompt not yet kept or typed over."""
    return select(VoiceNote).where(VoiceNote.prompt_id == prompt_id,
                                   VoiceNote.status == VoiceNoteStatus.TRANSCRIBED,
                                   VoiceNote.id != note_id)


def locked(note_id: int) -> Any:
    return select(VoiceNote).where(VoiceNote.id == note_id).with_for_update()


def narrative_of(prompt_id: int, question_id: str | None) -> Any:
    """The narrative a kept transcript became."""
    return select(Narrative.id).where(Narrative.prompt_id == prompt_id,
                                      Narrative.question_id == question_id)


async def set_keep_audio(session: AsyncSession, community: Community, keep: bool, actor: str) -> int:
    """Whether a community keeps recordings, audited; turned off, those kept are erased (how many).

    Turned on, it holds for members who join from then on and so agree to the participant text
    that says so; for those who agreed to the text without recordings, only the words are kept.
    """
    erased = 0
    if not keep:
        erased = int(await session.scalar(select(func.count(VoiceNote.id)).where(
            VoiceNote.community_id == community.id, VoiceNote.audio.is_not(None))) or 0)
        await session.execute(
            update(VoiceNote).where(VoiceNote.community_id == community.id,
                                    VoiceNote.audio.is_not(None))
            .values(audio=None).execution_options(synchronize_session=False))
    was, community.keep_audio = community.keep_audio, keep
    session.add(AuditEntry(actor=actor, action="keep_audio.set", community_id=community.id,
                           details={"keep_audio": keep, "was": was, "recordings_erased": erased}))
    return erased
