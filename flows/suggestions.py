"""Example value indicators a new community may adopt or ignore, a few under each cycle.

Written for valuestory in plain words from the themes of the Value Creation Framework (a safe
space, confidence, connections, changed practice, results, new ways of seeing), not copied from
any publication. Each is marked for the catalog, so a community adopts it in its own language;
its key stays the same in every language, so an adopted example is not offered again.
"""

from __future__ import annotations

from dataclasses import dataclass

from flows import i18n
from flows.i18n import N_
from flows.questions import Capital, ValueCycle


@dataclass(frozen=True)
class Suggestion:
    """One example indicator: a key that never changes, its cycle, its capital (potential value
    only) and its statement."""

    key: str
    cycle: str
    capital: str | None
    statement: str


# TRANSLATORS: example value indicators a community may adopt: short statements of value, as a
# convener would write them in a report.
SUGGESTIONS: tuple[Suggestion, ...] = (
    Suggestion("safe_space", ValueCycle.IMMEDIATE, None,
               N_("It's a safe space to ask questions")),
    Suggestion("enjoyed", ValueCycle.IMMEDIATE, None,
               N_("Members enjoy the sessions and look forward to the next one")),
    Suggestion("not_alone", ValueCycle.IMMEDIATE, None,
               N_("Members feel heard and less alone with their problems")),
    Suggestion("confidence", ValueCycle.POTENTIAL, Capital.HUMAN,
               N_("Members have more confidence")),
    Suggestion("who_to_ask", ValueCycle.POTENTIAL, Capital.SOCIAL,
               N_("Members know who to ask for help")),
    Suggestion("tools", ValueCycle.POTENTIAL, Capital.TANGIBLE,
               N_("Members came away with tools and templates they can use")),
    Suggestion("recognised", ValueCycle.POTENTIAL, Capital.REPUTATIONAL,
               N_("The group's work is known and respected outside it")),
    Suggestion("changed_work", ValueCycle.APPLIED, None,
               N_("Members changed how they work after a session")),
    Suggestion("passed_on", ValueCycle.APPLIED, None,
               N_("Members passed on what they learnt to their teams")),
    Suggestion("better_results", ValueCycle.REALISED, None,
               N_("A change made after a session led to better results")),
    Suggestion("saved_time", ValueCycle.REALISED, None,
               N_("Members saved time or effort")),
    Suggestion("policy_changed", ValueCycle.REFRAMING, None,
               N_("An organisation changed a policy after discussions in the group")),
    Suggestion("success_rethought", ValueCycle.REFRAMING, None,
               N_("Members rethought what success looks like")),
)
BY_KEY = {s.key: s for s in SUGGESTIONS}


def suggestions(language: str | None) -> tuple[Suggestion, ...]:
    """The examples, their statements in `language` (English where a catalog lacks one)."""
    catalog = i18n.translations(i18n.pick(language))
    return tuple(Suggestion(s.key, str(s.cycle), s.capital and str(s.capital),
                            catalog.gettext(s.statement)) for s in SUGGESTIONS)
