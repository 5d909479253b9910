"""What the matrix's words mean. Every count the bot, the terminal, the digest, the picture, /events
and the dashboard show is defined here once, and nowhere else.

- **narrative**: one member's answer to one question: its current version. Revising it, or giving
  it in several messages, still makes one narrative.
- **story**: one member's thread about one event: the post-event prompt and its follow-ups, which
  share one story id.
- **a cycle's evidence**: the narratives tagged with that cycle, the stories they belong to, and
  the members who told them.
- **asked**: post-event prompts delivered for the period's events (one per member per event).
- **attended**: of those asked, the members who said yes, or checked in at the event.
- **answered**: of those asked, the members who gave at least one narrative about the event.
- **completed**: of those asked, the members who reached the end of the questions.
- **response rate**: answered / asked, or none when nobody was asked.
- **plan**: a narrative answering an intention question ("what might you do with this in the
  coming weeks?", `intended` in the question set). A plan is not applied value: plans are their
  own entry, `intended`, with their narratives, stories and members, beside the five cycles, and
  the applied cycle counts only what members reported they did.
- **the plans pipeline** (stories, since a story holds at most one plan in the default questions):
  - **plans made**: stories with a plan answered in the period;
  - **followed up**: of those, the stories whose applied follow-up (the prompt that quotes the
    plan back and asks what they did) was delivered to the member;
  - **reported done**: of those made, the stories holding an applied narrative that is not a
    plan: the member said what they did;
  - **made a difference**: of those made, the stories holding realised value: the member said
    what difference it made.

- **value indicator**: a statement of value under one cycle ("It's a safe space to ask
  questions"), written or adopted by a convener or researcher. **Its evidence**: the narratives
  linked to it that still exist, the stories they belong to and the members who told them,
  counted from the links every time (`valuestory/usecases/indicators`). A plan may back
  immediate or potential value only.
- **the members' check** of a value indicator (a convener shares the matrix: each member who can
  be asked then, having agreed to take part and being neither paused nor unreachable, is sent the
  community's active indicators to say whether each rings true for them):
  - **asked**: members sent a check holding this indicator: its message was accepted by
    Telegram, or they answered it (a check in doubt and unanswered is not counted). A member
    asked in several shares is counted once;
  - **agreed**: of those asked, the members whose latest answer to it is Rings true;
  - **disagreed**: of those asked, the members whose latest answer to it is Not for me.
  Skip says nothing of the statement, and keeps an earlier answer; so asked minus agreed minus
  disagreed is the members who skipped it or have not answered. A check is no prompt: it is about
  no event, and no participation figure above counts it. The sentences members add are kept
  with their answer, not as narratives: they answer the conveners' words, so they are never
  counted as evidence for the indicator they answer, nor in any cycle's narratives, stories or
  members. They are shown with the indicator as members' check comments (its dashboard page and
  quotes CSV, `indicator list --json`, the exports, marked as comments on indicator N), under
  pseudonyms, and go with a withdrawal.

A member who withdrew is in no count: withdrawal erases their prompts, narratives and checks.
Follow-ups add narratives to a story but are not counted as asked: participation is about events.
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.questions import PromptKind, ValueCycle
from storage.models import PromptStatus

CYCLES: tuple[str, ...] = tuple(c.value for c in ValueCycle)
# Cycles a member can only report in a follow-up, weeks after the event: a story that reaches
# one of them spans several cycles of the framework.
FOLLOWUP_CYCLES: tuple[str, ...] = (ValueCycle.REALISED.value, ValueCycle.REFRAMING.value)
# A story that reached applied value (done, not only intended) or beyond.
APPLIED_OR_BEYOND: tuple[str, ...] = (ValueCycle.APPLIED.value, *FOLLOWUP_CYCLES)
# Where the matrix counts plans (narratives answering an intention question), apart from the cycles.
INTENDED = "intended"
# The five cycles with plans in their place on the journey: between what members took away and
# what they did with it.
STAGES: tuple[str, ...] = (*CYCLES[:2], INTENDED, *CYCLES[2:])
# The prompt that asks about an event; follow-ups continue its story.
ASKING_KIND = PromptKind.POST_EVENT.value
# A prompt in one of these states was delivered to the member.
DELIVERED: tuple[str, ...] = (
    PromptStatus.OPEN.value, PromptStatus.COMPLETED.value, PromptStatus.STOPPED.value,
    PromptStatus.NOT_ATTENDED.value, PromptStatus.CLOSED.value)
COMPLETED = PromptStatus.COMPLETED.value


@dataclass(frozen=True)
class Participation:
    """Who took part in some events, in the words defined above."""

    events: int
    sent: int  # asked
    attended: int
    answered: int
    completed: int
    unreachable: int

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.sent if self.sent else None

    def __add__(self, other: Participation) -> Participation:
        return Participation(
            self.events + other.events, self.sent + other.sent, self.attended + other.attended,
            self.answered + other.answered, self.completed + other.completed,
            self.unreachable + other.unreachable)


NOBODY = Participation(0, 0, 0, 0, 0, 0)


@dataclass(frozen=True)
class Plans:
    """A community's plans pipeline, in the words defined above: stories with a plan made, and
    of those the ones followed up, reported done and reported to have made a difference."""

    made: int = 0
    followed_up: int = 0
    done: int = 0
    difference: int = 0
