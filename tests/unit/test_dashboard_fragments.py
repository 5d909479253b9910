"""The narratives' markup written outside the templates: what members wrote reaches the page as
text, never as markup, and each narrative shows what the template showed."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

from valuestory.dashboard.fragments import narrative_list
from valuestory.usecases.narratives import Item
from valuestory.usecases.times import local_time

AT = dt.datetime(2026, 11, 20, 12, 5, tzinfo=dt.UTC)


class Texts(HTMLParser):
    """Each element's text by its class, and every tag met."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.by_class: dict[str, list[str]] = {}
        self.tags: list[str] = []
        self.times: list[str] = []
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs)
        self._open.append(found.get("class") or "")
        if tag == "time":
            self.times.append(found.get("datetime") or "")

    def handle_endtag(self, tag: str) -> None:
        self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1]:
            self.by_class.setdefault(self._open[-1], []).append(data)


def item(**changes: object) -> Item:
    base = Item(id=7, story_id="3f2a", question="<b>What</b> did you take away?",
                answer="plain words", pseudonym="P-AB12", event_id=1, event="Winter session",
                answered_at=AT, revised=False, cycle="potential", capital="social",
                intended=False)
    return base._replace(**changes)


def parsed(*items: Item, zone: str = "Europe/London") -> Texts:
    found = Texts()
    found.feed(str(narrative_list(items, zone, "/dashboard/c/3")))
    return found


def test_what_members_and_conveners_wrote_is_shown_as_text_never_as_markup() -> None:
    words = '<script>alert("hi")</script> & <img src=x onerror=alert(1)> \'quoted\''
    found = parsed(item(answer=words, event='Tea & "talk" <i>night</i>'),
                   item(id=8, answer="second", event='Tea & "talk" <i>night</i>'))
    assert found.by_class["answer"] == [words, "second"]
    assert found.by_class["event-title"] == ['Tea & "talk" <i>night</i>'] * 2
    assert set(found.tags) == {"li", "p", "blockquote", "span", "time", "a"}


def test_each_narrative_shows_the_question_pseudonym_cycle_event_time_and_revision() -> None:
    found = parsed(item(), item(id=9, revised=True, intended=True, capital=None, cycle="applied",
                                answered_at=AT + dt.timedelta(days=200)))
    assert found.by_class["question"] == ["What did you take away?"] * 2
    assert found.by_class["pseudonym"] == ["P-AB12"] * 2
    # A plan says it is a plan, never "applied value": nothing was done yet.
    assert found.by_class["cycle"] == ["Potential value, social capital",
                                       "A plan: what they might do, not done yet"]
    # Shown in the community's zone (London is an hour ahead in June), marked up in UTC.
    assert found.times == [AT.isoformat(), (AT + dt.timedelta(days=200)).isoformat()]
    assert found.by_class.get("revised") == ["revised"]
    text = str(narrative_list([item()], "Europe/London", "/dashboard/c/3"))
    assert ">Fri 20 Nov 2026, 12:05</time>" in text
    assert 'href="/dashboard/c/3/stories/3f2a"' in text
    assert 'href="/dashboard/c/3/narratives/7/evidence">Evidence of…</a> · #7' in text
    summer = str(narrative_list([item(answered_at=AT + dt.timedelta(days=200))],
                                "Europe/London", "/x"))
    assert ">Tue 8 Jun 2027, 13:05</time>" in summer


def test_times_read_exactly_as_everywhere_else_in_every_zone() -> None:
    moments = [AT + dt.timedelta(days=d, minutes=m) for d in (0, 140, 200) for m in (0, 59, 725)]
    for zone in ("Europe/London", "Asia/Kolkata", "America/Sao_Paulo", "Pacific/Chatham"):
        text = str(narrative_list([item(id=i, answered_at=at) for i, at in enumerate(moments)],
                                  zone, "/x"))
        for at in moments:
            assert f">{local_time(at, zone)}</time>" in text
