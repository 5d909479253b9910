"""The one piece of HTML a page repeats by the dozen, written here rather than in a template.

A page of narratives shows fifty. In Jinja2 each of a narrative's dozen values costs an escape
into a new Markup and a trip up through the layout's generators; measured with
`python -m bench.dashboard`, that was half of the page's time on the server. Here each value is
escaped once, with `html.escape`, and the fifty are handed to the template as one Markup.
Everything a member or a convener wrote (question, answer, event title) and every other value is
escaped: nothing reaches the page unescaped but the fixed markup below.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from html import escape
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from markupsafe import Markup

from flows import i18n, texts
from valuestory.usecases.narratives import Item
from valuestory.usecases.out import plain
from valuestory.usecases.times import LOCAL_DAY


@functools.lru_cache(maxsize=1024)
def _question(text: str) -> str:
    # Questions repeat on every page (each was asked of many members): strip their tags once.
    return escape(plain(text))


@functools.lru_cache(maxsize=256)
def label(cycle: str, intended: bool, capital: str | None,
          language: str = i18n.BASE_LANGUAGE) -> str:
    """What kind of narrative it is, as its card says in `language`: the cycle (and capital),
    or a plan (not applied value: its card says so in plain words, not by the cycle's name)."""
    t = texts.In(language)
    if intended:
        return str(t.DASHBOARD_A_PLAN)
    if capital:
        return str(t.DASHBOARD_CYCLE_CAPITAL.format(cycle=t.CYCLE_NAMES[cycle],
                                                    capital=t.CAPITALS.get(capital, capital)))
    return str(t.CYCLE_NAMES[cycle])


@functools.lru_cache(maxsize=256)
def _cycle(cycle: str, intended: bool, capital: str | None, language: str) -> str:
    return escape(label(cycle, intended, capital, language))


@functools.lru_cache(maxsize=4096)
def _day(day: dt.date, language: str) -> str:
    # As `times.local_time` writes a day: 'Thu 3 Dec 2026'; 'jue, 3 dic 2026' in Spanish.
    if language == i18n.BASE_LANGUAGE:
        return day.strftime(LOCAL_DAY)
    return format_skeleton("yMMMEd", day, locale=language)


@functools.lru_cache(maxsize=16)
def _words(language: str) -> tuple[str, str, str, str]:
    """A card's fixed words in `language`, escaped: revised, whole story, code, evidence of."""
    t = texts.In(language)
    return (f'· <span class="revised">{escape(t.DASHBOARD_REVISED)}</span> ',
            escape(t.DASHBOARD_WHOLE_STORY), escape(t.DASHBOARD_CODE),
            escape(t.DASHBOARD_EVIDENCE_OF))


def narrative_list(items: Iterable[Item], zone: str, here: str, coding: bool = False,
                   language: str = i18n.BASE_LANGUAGE) -> Markup:
    """The page's narratives as list items, newest first as given; `here` is the community's
    address in the dashboard; `coding`: the visitor may code them (each gets a link to); their
    words in `language`."""
    local = ZoneInfo(zone)
    here = escape(here)
    revised, whole, code, evidence = _words(language)
    seen: dict[str, str] = {}  # pseudonyms and event titles recur down a page: escape each once

    def once(text: str) -> str:
        escaped = seen.get(text)
        if escaped is None:
            escaped = seen[text] = escape(text)
        return escaped

    shown = []
    for n in items:
        at = n.answered_at.astimezone(local)
        day = _day(at.date(), language)
        # An f-string, not a template string's format(): compiled once, not parsed per item.
        # The time reads as times.local_time writes it (its hour and minute put together here:
        # strftime's "%H:%M" took as long as the rest of the item).
        shown.append(f"""\
  <li class="narrative" id="n{n.id}">
    <p class="question">{_question(n.question)}</p>
    <blockquote class="answer">{escape(n.answer)}</blockquote>
    <p class="meta">
      <span class="pseudonym">{once(n.pseudonym)}</span> ·
      <span class="cycle">{_cycle(n.cycle, n.intended, n.capital, language)}</span> ·
      <span class="event-title">{once(n.event)}</span> ·
      <time datetime="{n.answered_at.isoformat()}">{day}, {at.hour:02}:{at.minute:02}</time>
      {revised if n.revised else ""}· <a href="{here}/stories/{escape(n.story_id)}">{whole}</a>
      {f'· <a href="{here}/narratives/{n.id}/coding">{code}</a>' if coding else ""}
      · <a href="{here}/narratives/{n.id}/evidence">{evidence}</a> · #{n.id}
    </p>
  </li>
""")
    return Markup("".join(shown))
