"""What an email to a member says, as plain data: the mail front end turns it into an email.

Invariant: nothing a member wrote is in a `Letter`, except the plan quoted in a follow-up, and
that only in the follow-up sent to the member who wrote it. The address travels only here, to
the mail server: it is contact data, never shown, logged or exported.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    INVITATION = "invitation"  # a convener added them: their page, the information and consent
    PROMPT = "prompt"  # after an event: the questions are waiting
    REMINDER = "reminder"  # the one nudge before the questions close
    AGAIN = "again"  # the prompt's email may not have gone: said once more, reading well either way
    FOLLOWUP = "followup"  # weeks later: what came of the plan they made
    CHECK = "check"  # the members' check: their page asks whether the statements ring true
    CONFIRM = "confirm"  # someone joining from an invite: their address, to confirm (`token`
    # is then the confirmation code, and there is nothing to stop: it is sent once, when asked)


@dataclass(frozen=True)
class Letter:
    """One email to one member, in their language, with their personal link's token."""

    kind: Kind
    to: str
    language: str
    token: str  # the member's personal link (the page and the unsubscribe address end with it)
    community: str
    event: str | None = None
    plan: str | None = None  # a follow-up's quote of the member's own plan; for them only
