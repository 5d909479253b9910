"""Button data: every prefix in one table, made by `encode` and read by `decode`.

Telegram hands button data back exactly as we made it, or as someone forged it: `decode` never
trusts it (the use case behind each prefix re-checks every id and right), and data is kept under
Telegram's 64-byte limit. The Telegram adapter wires its button handlers from `pattern`.
"""

from __future__ import annotations

from enum import StrEnum

LIMIT = 64  # bytes: Telegram's limit for callback data
SEPARATOR = "|"


class Prefix(StrEnum):
    """What a button belongs to."""

    PROMPT = "p"  # a step in a member's story: p|<prompt id>|<engine action>
    # agree to the participant information: j|<invite code>|<consent version>|<its language>
    AGREE = "j"
    NOT_NOW = "k"  # not now, under the participant information: k|<invite code>
    PAUSE = "z"  # pause or resume: z|<PauseStep>|<community id or all>
    # a convener command or its next step: cv|<ConvenerStep>|..., or cv|<command>|<community id>|<arg>
    CONVENER = "cv"
    EXPORT = "ex"  # an export format: ex|<format>
    WITHDRAW = "wd"  # withdrawing: wd|<WithdrawStep>|<target>, wd|no
    LANGUAGE = "lg"  # the language a member chose under /language: lg|<language>
    VOICE = "v"  # a voice note's transcript: v|<VoiceStep>|<note id>
    CHECK = "ck"  # a statement in a members' check: ck|<check answer id>|<checking.Answer>
    CHANNEL = "ch"  # where a member is asked, under /channel: ch|<Channel>


# The steps a prefix's buttons take, named here so the code that makes a button and the code
# that reads it agree.


class ConvenerStep(StrEnum):
    """A convener's next step under a button (any other step names a convener command)."""

    DRAFT = "draft"  # under a /newevent draft's confirmation: cv|draft|<DraftChoice>
    CANCEL = "cx"  # an event picked under /cancelevent: cv|cx|<event id>
    CANCEL_YES = "cxy"  # its cancelling confirmed
    CANCEL_NO = "cxn"  # kept after all


class DraftChoice(StrEnum):
    """Create or Cancel, under a /newevent draft."""

    CREATE = "create"
    CANCEL = "cancel"


class PauseStep(StrEnum):
    """A community picked under /pause or /resume."""

    PAUSE = "p"
    RESUME = "r"


class WithdrawStep(StrEnum):
    """Where a member is in withdrawing."""

    CHOOSE = "c"  # a community (or all) chosen: confirm it
    YES = "y"  # confirmed: erase
    NO = "no"  # keep everything


class VoiceStep(StrEnum):
    """Under a voice note's transcript."""

    KEEP = "k"
    TYPE = "t"  # type the answer instead


def encode(prefix: Prefix, *parts: object) -> str:
    """Button data for `prefix` and its parts."""
    return SEPARATOR.join([prefix.value, *(str(p) for p in parts)])


def fits(data: str) -> bool:
    return len(data.encode()) <= LIMIT


def decode(data: str, maxsplit: int = -1) -> tuple[Prefix | None, list[str]]:
    """The prefix (None if it is not one of ours) and the parts after it."""
    head, _, rest = data.partition(SEPARATOR)
    try:
        prefix = Prefix(head)
    except ValueError:
        return None, []
    if not _:
        return prefix, []
    return prefix, rest.split(SEPARATOR, maxsplit) if maxsplit >= 0 else rest.split(SEPARATOR)


def pattern(prefix: Prefix) -> str:
    """A regular expression matching this prefix's button data, for handler wiring."""
    return rf"^{prefix.value}\{SEPARATOR}"
