"""The matrix's lines as the English catalog words them, for tests that read /matrix, the
terminal's matrix or the picture: a reworded text changes here with it, and the counts stay the
tests' own."""

from __future__ import annotations

from flows import texts

EN = texts.In("en")


def _counts(narratives: int, stories: int, members: int) -> dict[str, str]:
    return {"narratives": EN.plural(narratives, "narrative"),
            "stories": EN.plural(stories, "story"), "members": EN.plural(members, "member")}


def _name(stage: str) -> str:
    return str(EN.MATRIX_PLANS if stage == "intended" else EN.CYCLE_NAMES[stage])


def summary(narratives: int, stories: int, members: int) -> str:
    """"8 narratives in 3 stories so far, from 3 members." """
    return str(EN.MATRIX_SUMMARY.format(**_counts(narratives, stories, members)))


def column(stage: str, narratives: int, stories: int, members: int) -> str:
    """A stage's counts (a cycle, or `intended` for the plans), up to how many are new."""
    return str(EN.MATRIX_COLUMN.partition(", {new}")[0].format(
        cycle=_name(stage), **_counts(narratives, stories, members)))


def heading(stage: str) -> str:
    """A stage's name as its line begins: "<b>Applied value</b>"."""
    return str(EN.MATRIX_COLUMN.partition(":")[0].format(cycle=_name(stage)))


def gap(stage: str) -> str:
    """A stage with nothing yet, before what to ask."""
    return str(EN.MATRIX_GAP.partition(" {ask}")[0].format(cycle=_name(stage)))


def stories(count: int) -> str:
    """How many stories reached realised or reframing value, as the line after its heading says."""
    return str(EN.MATRIX_STORIES.partition(": ")[2].format(count=EN.plural(count, "story")))


def participation(events: int, sent: int, attended: int, answered: int, rate: str,
                  completed: int, unreachable: int) -> str:
    return str(EN.MATRIX_PARTICIPATION.format(
        events=EN.plural(events, "event"), sent=sent, attended=attended, answered=answered,
        rate=rate, completed=completed, unreachable=unreachable))


def pipeline(made: int, followed: int, done: int, difference: int) -> str:
    return str(EN.MATRIX_PLANS_PIPELINE.format(made=made, followed=followed, done=done,
                                               difference=difference))


def subtitle(period: str, narratives: int, stories: int, members: int) -> str:
    """The picture's subtitle: "Value Creation Matrix, all time: 8 narratives in 3 stories, ..."."""
    return str(EN.MATRIX_PNG_SUBTITLE.format(period=period, **_counts(narratives, stories, members)))
