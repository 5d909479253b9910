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

from markupsafe import Markup

from flows import texts
from valuestory.usecases.narratives import Item
from valuestory.usecases.out import plain
from valuestory.usecases.times import LOCAL_DAY

REVISED = '· <span class="revised">revised</span> '


@functools.lru_cache(maxsize=1024)
def _question(text: str) -> str:
    # Questions repeat on every page (each was asked of many members): strip their tags once.
    return escape(plain(text))


# A plan is not applied value: its card says so in plain words, not by the cycle's name.
PLAN = "A plan: what they might do, not done yet"


@functools.lru_cache(maxsize=64)
def label(cycle: str, intended: bool, capital: str | None) -> str:
    """What kind of narrative it is, as its card says: the cycle (and capital), or a plan."""
    if intended:
        return PLAN
    return texts.CYCLE_NAMES[cycle] + (f", {capital} capital" if capital else "")


@functools.lru_cache(maxsize=64)
def _cycle(cycle: str, intended: bool, capital: str | None) -> str:
    return escape(label(cycle, intended, capital))


@functools.lru_cache(maxsize=4096)
def _day(day: dt.date) -> str:
    return day.strftime(LOCAL_DAY)


def narrative_list(items: Iterable[Item], zone: str, here: str, coding: bool = False) -> Markup:
    """The page's narratives as list items, newest first as given; `here` is the community's
    address in the dashboard; `coding`: the visitor may code them (each gets a link to)."""
    local = ZoneInfo(zone)
    here = escape(here)
    seen: dict[str, str] = {}  # pseudonyms and event titles recur down a page: escape each once

    def once(text: str) -> str:
        escaped = seen.get(text)
        if escaped is None:
            escaped = seen[text] = escape(text)
        return escaped

    shown = []
    for n in items:
        at = n.answered_at.astimezone(local)
        # An f-string, not a template string's format(): compiled once, not parsed per item.
        # The time reads as times.local_time writes it (its hour and minute put together here:
        # strftime's "%H:%M" took as long as the rest of the item).
        shown.append(f"""\
  <li class="narrative" id="n{n.id}">
    <p class="question">{_question(n.question)}</p>
    <blockquote class="answer">{escape(n.answer)}</blockquote>
    <p class="meta">
      <span class="pseudonym">{once(n.pseudonym)}</span> ·
      <span class="cycle">{_cycle(n.cycle, n.intended, n.capital)}</span> ·
      <span class="event-title">{once(n.event)}</span> ·
      <time datetime="{n.answered_at.isoformat()}">{_day(at.date())}, {at.hour:02}:{at.minute:02}</time>
      {REVISED if n.revised else ""}· <a href="{here}/stories/{escape(n.story_id)}">Whole story</a>
      {f'· <a href="{here}/narratives/{n.id}/coding">Code</a>' if coding else ""}
      · <a href="{here}/narratives/{n.id}/evidence">Evidence of…</a> · #{n.id}
    </p>
  </li>
""")
    return Markup("".join(shown))
