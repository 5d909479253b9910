"""The SQL of members' rights: what /mydata reads, and what a withdrawal counts and erases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select

from storage.models import (
    Choice,
    Consent,
    Delivery,
    HandledUpdate,
    Member,
    MemberEmail,
    Membership,
    Narrative,
    NarrativeRevision,
    OwedReply,
    Prompt,
    VoiceNote,
)


def email_of(member_id: int) -> Any:
    """The member's email address, if they have one."""
    return select(MemberEmail.address).where(MemberEmail.member_id == member_id)


def recordings_of(member_id: int) -> Any:
    """(id, audio) of each of a member's voice notes whose recording is kept, oldest first."""
    return (select(VoiceNote.id, VoiceNote.audio)
            .where(VoiceNote.member_id == member_id, VoiceNote.audio.is_not(None))
            .order_by(VoiceNote.id))


def consents_of(member_id: int) -> Any:
    return select(Consent).where(Consent.member_id == member_id).order_by(Consent.given_at)


def prompts_in(member_id: int, community_id: int) -> Any:
    """A member's prompts in one community, in the order they fell due."""
    return (select(Prompt).where(Prompt.member_id == member_id, Prompt.community_id == community_id)
            .order_by(Prompt.due_at, Prompt.id))


def narratives_of_prompt(prompt_id: int) -> Any:
    return select(Narrative).where(Narrative.prompt_id == prompt_id).order_by(Narrative.id)


def choices_of_prompt(prompt_id: int) -> Any:
    return select(Choice).where(Choice.prompt_id == prompt_id)


def revisions(narrative_id: int) -> Any:
    """A narrative's earlier versions, oldest first."""
    return (select(NarrativeRevision).where(NarrativeRevision.narrative_id == narrative_id)
            .order_by(NarrativeRevision.version))


def voice_notes_of_prompt(prompt_id: int) -> Any:
    """(id, question, status, seconds, received, transcript, whether its recording is kept)."""
    return (select(VoiceNote.id, VoiceNote.question_id, VoiceNote.status,
                   VoiceNote.duration_seconds, VoiceNote.received_at, VoiceNote.transcript,
                   VoiceNote.audio.is_not(None))
            .where(VoiceNote.prompt_id == prompt_id).order_by(VoiceNote.id))


def _theirs(member_id: int, community_id: int) -> tuple[Any, Any]:
    narratives = select(Narrative.id).where(Narrative.member_id == member_id,
                                            Narrative.community_id == community_id)
    prompts = select(Prompt.id).where(Prompt.member_id == member_id,
                                      Prompt.community_id == community_id)
    return narratives, prompts


def counted(member_id: int, community_id: int) -> dict[str, Any]:
    """What a withdrawal from one community erases, a count of each kind of row."""
    narratives, prompts = _theirs(member_id, community_id)
    return {
        "narratives": select(func.count()).select_from(narratives.subquery()),
        "revisions": select(func.count(NarrativeRevision.id)).where(
            NarrativeRevision.narrative_id.in_(narratives)),
        "choices": select(func.count(Choice.id)).where(Choice.prompt_id.in_(prompts)),
        "prompts": select(func.count()).select_from(prompts.subquery()),
        "deliveries": select(func.count(Delivery.id)).where(Delivery.prompt_id.in_(prompts)),
        "voice_notes": select(func.count(VoiceNote.id)).where(
            VoiceNote.member_id == member_id, VoiceNote.community_id == community_id),
    }


def erasing_answers(member_id: int, community_id: int) -> list[Any]:
    """The deletes that erase a member's answers in one community, in order: children first, so
    the erasure does not depend on each database's cascade settings, and voice notes first of
    all, as their recordings identify the member."""
    narratives, prompts = _theirs(member_id, community_id)
    return [
        delete(VoiceNote).where(VoiceNote.member_id == member_id,
                                VoiceNote.community_id == community_id),
        delete(NarrativeRevision).where(NarrativeRevision.narrative_id.in_(narratives)),
        delete(Narrative).where(Narrative.member_id == member_id,
                                Narrative.community_id == community_id),
        delete(Choice).where(Choice.prompt_id.in_(prompts)),
    ]


def erasing_prompts(member_id: int, membership_id: int, community_id: int) -> list[Any]:
    """Then what they were asked, and their membership: the last of them in that community."""
    _, prompts = _theirs(member_id, community_id)
    return [
        delete(Delivery).where(Delivery.prompt_id.in_(prompts)),
        delete(Prompt).where(Prompt.member_id == member_id, Prompt.community_id == community_id),
        delete(Membership).where(Membership.id == membership_id),
    ]


def erasing_member(member_id: int, chat_id: int | None, handled_keys: str | None) -> list[Any]:
    """The deletes that leave nothing saying a member was ever here (`handled_keys`: the LIKE
    pattern of their chat's handled-message keys, None for a member with no Telegram chat).
    Their links and email address go with the member row (ON DELETE CASCADE); replies still owed
    to their chat go too, as a recap may repeat their words."""
    statements = [
        delete(VoiceNote).where(VoiceNote.member_id == member_id),
        delete(Prompt).where(Prompt.member_id == member_id),
        delete(Consent).where(Consent.member_id == member_id),
        delete(Member).where(Member.id == member_id),
    ]
    if chat_id is not None:
        statements.append(delete(OwedReply).where(OwedReply.chat_id == chat_id))
    if handled_keys is not None:
        statements.append(delete(HandledUpdate).where(HandledUpdate.key.like(handled_keys)))
    return statements
