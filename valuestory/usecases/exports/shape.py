"""What an export is: its formats, its columns, and the filters that choose its narratives."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flows import texts
from flows.i18n import Texts
from flows.questions import ValueCycle

# Rows per batch: small enough that a batch is still in the processor's cache when it is
# written (2,000 measured slower than 500 on a million-row export), large enough that the
# round trips to the database do not add up.
BATCH = 500


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    JSONL = "jsonl"
    QDPX = "qdpx"


SUFFIX = {ExportFormat.CSV: ".csv", ExportFormat.XLSX: ".xlsx", ExportFormat.JSONL: ".jsonl",
          ExportFormat.QDPX: ".qdpx"}

COLUMNS = (
    "narrative_id", "story_id", "pseudonym", "community", "event", "event_date", "prompt_kind",
    "question_id", "question", "language", "cycle", "capital", "answer", "answered_at", "revised_at",
    "attended", "spoken", "applied", "channel", "codes",
)
# `applied`: "intended" for a plan (an answer to an intention question: what a member might do,
# not applied value), "done" for an applied answer that says what they did, "" for the rest.
INTENDED, DONE = "intended", "done"
# `channel`: where the narrative was told: "telegram", "web" (the member's page) or "terminal".
# `codes`: the names of the codes researchers applied to the narrative (anywhere in it), joined by
# "; " (a list in JSON Lines). Not part of a row: the writers add it, batch by batch.
CODES_SEPARATOR = "; "


class ExportError(ValueError):
    """A filter or format that can't be used, said plainly.

    Its message reads in English; `said(t)` reads it in the language of the texts `t`, when it
    was raised with one of `flows.texts`'s texts and the values that fill it.
    """

    def __init__(self, text: str, **values: object) -> None:
        super().__init__(text.format(**values) if values else text)
        self.text, self.values = text, values

    def said(self, t: Texts) -> str:
        return t.gettext(self.text).format(**self.values) if self.values else t.gettext(self.text)


class UntilBeforeSince(ExportError):
    """The last day asked for comes before the first."""


# One narrative as researchers receive it: the COLUMNS in order (times ISO 8601 in the
# community's zone; `language` the one its question was asked in, as in flows/locale), then the
# community's and the membership's ids.
#
# A plain tuple on purpose, not a NamedTuple: the garbage collector stops following a tuple of
# strings and numbers, but keeps following every instance of a tuple subclass, and a million of
# them crowding its oldest generation made collections cost a quarter of a large export's time.
ExportRow = tuple[int, str, str, str, str, str, str, str, str, str, str, str, str, str, str, str,
                  str, str, str, int, int]
# A sentence a member wrote about a value indicator when they checked the matrix: the COLUMNS
# but codes, as text ("" where a narrative's cell has no meaning for it: no narrative id, story,
# event or question asked). Its prompt_kind is COMMENT_KIND and its question says which
# indicator it is about; it is a member's words about a finding, not a narrative, so no count
# of narratives holds it and REFI-QDA projects (whose sources are narratives) leave it out.
CommentRow = tuple[str, ...]
COMMENT_KIND = "members_check"
SPOKEN = COLUMNS.index("spoken")  # "yes" when (part of) the answer is a voice note's transcript


@dataclass(frozen=True)
class ExportFilter:
    """Which narratives: communities (None is every one), event dates (inclusive) and a cycle."""

    community_ids: frozenset[int] | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    cycle: str | None = None
    # Narrative ids from `first_id` up to, not including, `below_id`: a share of a split export.
    first_id: int | None = None
    below_id: int | None = None

    def describe(self, names: dict[int, str] | None = None) -> dict[str, Any]:
        """The filters as plain data for the audit log."""
        communities: list[Any] | None = None
        if self.community_ids is not None:
            communities = sorted((names or {}).get(i, str(i)) for i in self.community_ids)
        return {
            "communities": communities,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "cycle": self.cycle,
        }


def parse_date(text: str) -> dt.date:
    """A date typed by a person, YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ExportError(texts.EXPORT_BAD_DATE, value=repr(text)) from None


def parse_cycle(text: str) -> str:
    value = text.strip().lower()
    if value not in set(ValueCycle):
        raise ExportError(texts.EXPORT_BAD_CYCLE, cycles=", ".join(ValueCycle))
    return value


def parse_format(text: str) -> ExportFormat:
    try:
        return ExportFormat(text.strip().lower())
    except ValueError:
        raise ExportError(texts.EXPORT_BAD_FORMAT, formats=", ".join(ExportFormat)) from None



def make_filter(since: str | None = None, until: str | None = None, cycle: str | None = None,
                community_ids: frozenset[int] | None = None,
                names: dict[str, str] | None = None) -> ExportFilter:
    """The one way an export's filter is made from what a person typed, whatever they typed it
    into: dates YYYY-MM-DD (the last on or after the first), a value cycle; empty is no filter.

    `names` says what `since` and `until` are called where they were typed (e.g. "--since").
    """
    names = names or {}
    first = parse_date(since) if since else None
    last = parse_date(until) if until else None
    if first and last and last < first:
        if names:
            raise UntilBeforeSince(f"{names.get('until', 'until')} comes before "
                                   f"{names.get('since', 'since')}")
        raise UntilBeforeSince(texts.EXPORT_UNTIL_BEFORE_SINCE)
    return ExportFilter(community_ids=community_ids, since=first, until=last,
                        cycle=parse_cycle(cycle) if cycle else None)
