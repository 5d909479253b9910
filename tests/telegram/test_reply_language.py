"""The language rule: every reply reaches a person in their language, never in English by default.

A member is answered in their own language; a convener, researcher or admin in theirs as a
member, else the community's. Three checks, meant to be exhaustive: every text a use case can
return has a Spanish translation; no use case or Telegram handler reads a text as it stands, in
English; and the real bot, driven through every reply path as a Spanish member, researcher and
convener, sends nothing that holds a sentence of the English texts or a date as English writes it.
"""

from __future__ import annotations

import ast
import datetime as dt
import html
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po

from bot.scheduling import TelegramSender
from flows import i18n, texts
from flows.questions import PromptKind, load_question_set
from storage.db import Database
from storage.models import Community, Event, utcnow
from tests import seed
from tests.harness import Harness, Person
from valuestory.process.settings import Settings
from valuestory.usecases import callbacks, digest, retention

ROOT = Path(__file__).resolve().parents[2]
ES = texts.In("es")
TAG = re.compile(r"<[^>]+>")
PLACEHOLDER = re.compile(r"\{\w*\}")
# Words that are the same in Spanish and English, and names that are the same in every language.
SAME_IN_SPANISH = {"No", "no", "Total", "Capital", "Kappa", "social", "tangible", "CSV (Excel)", "JSON Lines",
                   "REFI-QDA (.qdpx)"}
COMMUNITY = "Diabetes en el embarazo"
TITLE = "Sesión de invierno"


# --- Every text has a Spanish translation, and is read in one --------------------------------


def _marked(value: object, plurals: bool = True) -> Iterator[str]:
    """The catalog texts inside a value of `flows.texts`: strings, parts, and plural forms."""
    if isinstance(value, i18n.Composed):
        for part in value.parts:
            yield from _marked(part, plurals)
    elif isinstance(value, str):
        yield value
    elif isinstance(value, i18n.Plural):
        if plurals:
            yield from (value.singular, value.plural)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _marked(item, plurals)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _marked(item, plurals)


def _english_texts(plurals: bool = True) -> set[str]:
    found = {text for name in dir(texts) if name.isupper()
             for text in _marked(getattr(texts, name), plurals)}
    return {text for text in found if text.strip()}


def _plurals(value: object) -> Iterator[i18n.Plural]:
    if isinstance(value, i18n.Plural):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _plurals(item)


def _has_words(text: str) -> bool:
    """Whether a text says anything in words (not only placeholders, marks and units)."""
    bare = PLACEHOLDER.sub(" ", TAG.sub(" ", text))
    return bool(set(re.findall(r"[A-Za-z]+", bare)) - {"h", "min"})


def test_every_text_a_use_case_can_return_reads_differently_in_spanish() -> None:
    untranslated = [text for text in _english_texts(plurals=False)
                    if _has_words(text) and text not in SAME_IN_SPANISH
                    and i18n.translations("es").gettext(text) == text]
    assert untranslated == []
    plurals = [value for name in dir(texts) if name.isupper()
               for value in _plurals(getattr(texts, name))
               if i18n.ngettext("es", value.singular, value.plural, 2) == value.plural]
    assert plurals == []


# Where reading a text as it stands is right: the command menu Telegram shows to someone whose
# app speaks a language the bot does not (each supported language gets its own menu beside it).
ENGLISH_ON_PURPOSE = {"COMMAND_MENU"}
# Errors that carry a text unread, with the values that fill it, to be said in the reader's
# language where they are caught (`exc.said(t)`).
CARRIERS = {"AdminError", "EventRejected", "ExportError", "UntilBeforeSince"}


def _english_reads(path: Path) -> Iterator[tuple[str, str, int]]:
    """`texts.NAME` read straight from the module, in English, in one file: (function, name, line)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    carried = {id(node) for call in ast.walk(tree) if isinstance(call, ast.Call)
               and isinstance(call.func, ast.Name) and call.func.id in CARRIERS
               for arg in call.args for node in ast.walk(arg)}
    owner: dict[int, str] = {}
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            owner.update((id(node), function.name) for node in ast.walk(function))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id == "texts" and (node.attr.isupper() or node.attr == "plural")
                and id(node) not in carried):
            yield owner.get(id(node), ""), node.attr, node.lineno


def test_no_use_case_or_telegram_handler_reads_a_text_in_english() -> None:
    """Each reply reads its texts through `In(language)`: `texts.NAME` would be English to all."""
    files = [*(ROOT / "valuestory" / "usecases").rglob("*.py"), *(ROOT / "bot").rglob("*.py")]
    found = [f"{path.relative_to(ROOT)}:{line} texts.{name}" for path in files
             for function, name, line in _english_reads(path)
             if name not in ENGLISH_ON_PURPOSE]
    assert found == []


# --- The real bot says no English sentence ---------------------------------------------------


def _spanish_corpus() -> str:
    """Everything the bot may say in Spanish: the catalog and the Spanish question set."""
    with i18n.catalog_path("es").open("rb") as fh:
        catalog = read_po(fh, locale="es")
    said = [form for m in catalog if m.id
            for form in (m.string if isinstance(m.string, tuple) else (m.string,))]
    qs = load_question_set()
    for kind in PromptKind:
        script = qs.script(kind, language="es")
        said.append(script.intro)
        for q in script.questions:
            said += [q.text, q.label or "", *(o.label for o in q.options)]
    return "\n".join(TAG.sub(" ", html.unescape(s)) for s in said)


def _sentences(text: str) -> Iterator[str]:
    """The runs of words in a text between its placeholders, tags and punctuation."""
    for piece in re.split(r"\{\w*\}|<[^>]+>|[.!?:;,\n•()“”«»]", html.unescape(text)):
        piece = " ".join(piece.split())
        if len(re.findall(r"[A-Za-z]{2,}", piece)) >= 2 and len(piece) >= 10:
            yield piece


def _english_sentences() -> set[str]:
    """Sentences of the English texts and question set that no Spanish text has (commands and
    names such as `/settings delay 120` stay as they are in every language)."""
    english = set(_english_texts())
    qs = load_question_set()
    for kind in PromptKind:
        script = qs.script(kind)
        english.add(script.intro)
        for q in script.questions:
            english |= {q.text, q.label or "", *(o.label for o in q.options)}
    spanish = _spanish_corpus()
    return {s for text in english for s in _sentences(text) if s not in spanish}


ENGLISH = _english_sentences()


def _seen(people: Iterable[Person]) -> list[str]:
    """All a person saw: texts, captions, buttons, and the words of any text file sent."""
    seen = []
    for person in people:
        for m in person.inbox:
            seen += [m.text or "", m.caption or "", *m.buttons()]
            if m.document is not None and m.document[0].endswith(".txt"):
                seen.append(m.document[1].decode("utf-8"))
    return [html.unescape(s) for s in seen if s]


# A date as English writes it ('Thu 3 Dec', '3 December 2026', '3 Dec 2026'), in a reply's times.
_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
ENGLISH_DATE = re.compile(rf"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{{1,2}} (?:{_MONTHS})\b"
                          rf"|\b\d{{1,2}} (?:{_MONTHS})[a-z]* \d{{4}}\b")


def assert_no_english(*people: Person) -> None:
    seen = _seen(people)
    assert seen, "nothing was said"
    english = sorted({(sentence, said) for said in seen for sentence in ENGLISH if sentence in said})
    assert english == []
    assert [said for said in seen if ENGLISH_DATE.search(said)] == []


def test_the_check_finds_english_where_there_is_some() -> None:
    """The detector itself: an English reply is caught, its Spanish translation is not."""
    spanish = [ES.NOT_SUPPORTED["voice"], ES.HELP, ES.MYDATA_AGREED, ES.EXPORT_CHOOSE]
    english = [texts.NOT_SUPPORTED["voice"], texts.HELP, texts.MYDATA_AGREED, texts.EXPORT_CHOOSE]
    assert not [s for text in spanish for s in ENGLISH if s in text]
    assert all(any(s in text for s in ENGLISH) for text in english)
    assert ENGLISH_DATE.search("Thu 3 Dec 2026, 14:00") and ENGLISH_DATE.search("on 3 December 2026")
    assert not ENGLISH_DATE.search("jue, 3 dic 2026, 14:00")


async def _community(db: Database, language: str = "es") -> Community:
    return await seed.community(db, COMMUNITY, "Europe/Madrid", "default", language)


async def _join(person: Person, community: Community) -> None:
    await person.say(f"/start {community.invite_code}")
    await person.tap(ES.BTN_AGREE)


def _sticker() -> dict[str, object]:
    return {"file_id": "s", "file_unique_id": "s", "width": 1, "height": 1, "is_animated": False,
            "is_video": False, "type": "regular"}


async def test_a_spanish_member_hears_no_english_on_any_path(harness: Harness) -> None:
    community = await _community(harness.db, language="en")  # the member's own language rules
    rosa = harness.person(3101, "Rosa", language_code="es")
    await rosa.say("/start")
    await rosa.say("hola")
    await rosa.say("/pause")
    await _join(rosa, community)
    await rosa.say(f"/start {community.invite_code}")  # already a member
    for command in ("/help", "/privacy", "/language", "/nonsense", "/next", "/continue"):
        await rosa.say(command)
    await rosa.send(sticker=_sticker())
    await rosa.send(photo=[{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}])
    await rosa.send(location={"latitude": 1.0, "longitude": 2.0})
    await rosa.say("hola")

    # A story, told in part: the questions, the buttons, the acknowledgements.
    event = await seed.event(harness.db, community, TITLE)
    await seed.open_prompt(harness.db, rosa, event)
    await rosa.say("/continue")
    await rosa.tap(rosa.last.buttons()[0])  # she was there
    await rosa.say("Escuchar cómo el otro equipo organiza el triaje")
    await rosa.say("y algo más")
    await rosa.say("/help")
    # A voice note too long to listen to, and a stale button under a transcript.
    assert await rosa.send(voice=harness.double.voice(b"OggS", 100_000)) == [
        ES.VOICE_TOO_LONG.format(minutes=ES.plural(5, "minute"))]
    assert await rosa.press_data(rosa.last, callbacks.encode(callbacks.Prefix.VOICE, "k", 999)) == [
        ES.STALE_BUTTON]
    await rosa.say("/later")
    await rosa.say("/continue")
    await rosa.say("/next")
    await rosa.say("/back")
    await rosa.say("/stop")
    await rosa.say("otra cosa")

    for command in ("/pause", "/pause", "/resume", "/resume"):
        await rosa.say(command)
    await rosa.say("/mydata")
    assert rosa.last.document is not None
    assert ES.MYDATA_TITLE in rosa.last.document[1].decode("utf-8")
    await rosa.say("/withdraw")
    await rosa.tap(ES.BTN_WITHDRAW_KEEP)
    await rosa.say("/withdraw")
    await rosa.tap(ES.BTN_WITHDRAW_YES)
    await rosa.say("/withdraw")
    assert_no_english(rosa)


async def test_with_voice_notes_off_a_spanish_member_gets_the_kind_reply_in_spanish(
    settings: Settings, db: Database,
) -> None:
    harness = Harness(settings.with_changes(voice_engine="off"), db)
    await harness.start()
    try:
        community = await _community(db)
        rosa = harness.person(3102, "Rosa", language_code="es")
        await _join(rosa, community)
        assert await rosa.send(voice=harness.double.voice(b"OggS", 3)) == [ES.NOT_SUPPORTED["voice"]]
        assert await rosa.send(sticker=_sticker()) == [ES.NOT_SUPPORTED["sticker"]]
        assert_no_english(rosa)
    finally:
        await harness.stop()


async def test_a_researcher_is_answered_in_the_communitys_language_or_their_own(
    harness: Harness,
) -> None:
    community = await _community(harness.db)
    member = harness.person(3103, "Rosa", language_code="es")
    await _join(member, community)
    event = await seed.event(harness.db, community, TITLE)
    await seed.open_prompt(harness.db, member, event)
    await member.say("/continue")
    await member.tap(member.last.buttons()[0])
    await member.say("Escuchar cómo el otro equipo organiza el triaje")
    await member.say("/stop")

    # Not a member: the community's language (their app's says English).
    ana = harness.person(3104, "Ana", language_code="en")
    await seed.grant(harness.db, ana.user_id, "researcher", community)
    assert await ana.say("/export") == [ES.EXPORT_CHOOSE]
    assert ana.last.buttons() == [ES.EXPORT_FORMATS[f] for f in ("csv", "xlsx", "jsonl", "qdpx")]
    for typed in ("/export csv since=2026-13-01", "/export csv since=2026-02-01 until=2026-01-01",
                  "/export pdf", "/export csv cycle=nada", "/export csv xlsx", "/export since=2026-01-01",
                  "/export csv community=Ninguna"):
        await ana.say(typed)
    await ana.tap(ES.EXPORT_FORMATS["xlsx"])
    assert ana.last.document is not None and ana.last.document[0].endswith(".xlsx")
    await ana.press_data(ana.last, callbacks.encode(callbacks.Prefix.EXPORT, "nada"))

    # A member too: their own language, whatever the community's.
    english = await _community_named(harness.db, "Winter Practice", "en")
    await seed.grant(harness.db, member.user_id, "researcher", english)
    assert await member.say("/export") == [ES.EXPORT_CHOOSE]
    assert_no_english(member, ana)


async def _community_named(db: Database, name: str, language: str) -> Community:
    return await seed.community(db, name, "Europe/London", "default", language)


@pytest.fixture(autouse=True)
def _known_english() -> None:
    """The sentences looked for are many: an empty set would make every check pass."""
    assert len(ENGLISH) > 300


async def test_a_spanish_convener_hears_no_english_on_any_path(harness: Harness) -> None:
    community = await _community(harness.db)
    carmen = harness.person(3110, "Carmen", language_code="en")  # not a member: the community's
    await seed.grant(harness.db, carmen.user_id, "convener", community)
    rosa = harness.person(3111, "Rosa", language_code="es")
    await _join(rosa, community)
    now = utcnow()
    past = await seed.event(harness.db, community, TITLE, now - dt.timedelta(days=3),
                            now - dt.timedelta(days=3, hours=-2))
    live = await seed.event(harness.db, community, "Taller en directo",
                            now - dt.timedelta(minutes=10), now + dt.timedelta(hours=1))
    await seed.open_prompt(harness.db, rosa, past)
    await rosa.say("/continue")
    await rosa.tap(rosa.last.buttons()[0])
    await rosa.say("Escuchar cómo el otro equipo organiza el triaje")
    await rosa.say("/stop")

    for command in ("/matrix", "/matrix 30d", "/matrix 2w", "/matrix since 2026-09-01", "/matrix ayer",
                    "/digest", "/digest off", "/digest on", "/digest monday 09:00", "/digest nada",
                    "/settings", "/settings delay 120", "/settings reminder 400", "/settings nada",
                    "/invite", "/members", "/dashboard", "/events", "/checkin"):
        await carmen.say(command)

    # Check-in: a member opens the link, and so does someone who has not joined yet.
    async with harness.db.session() as s:
        code = (await s.get(Event, live.id)).checkin_code  # type: ignore[union-attr]
    await rosa.say(f"/start ci_{code}")
    newcomer = harness.person(3112, "Pau", language_code="es")
    await newcomer.say(f"/start ci_{code}")
    await newcomer.say("/start ci_nada")

    # /newevent, every step and every mistake, then created.
    start = (now + dt.timedelta(days=10)).astimezone(ZoneInfo("Europe/Madrid"))
    await carmen.say("/newevent")
    await carmen.say("x" * 201)
    await carmen.say("Sesión de primavera")
    for typed in ("el martes", "2020-01-01 10:00", start.strftime("%Y-%m-%d"), "2999-01-01 10:00",
                  start.strftime("%Y-%m-%d") + " 14:00", "un rato", "1h30"):
        await carmen.say(typed)
    confirmation, create = carmen.button(ES.BTN_CREATE)
    await carmen.press_data(confirmation, create)
    await carmen.press_data(confirmation, create)  # pressed again: the draft has gone
    await carmen.say("/newevent")
    await carmen.tap(ES.BTN_CANCEL)

    # /events, /cancelevent: keep it, then cancel it, then nothing left to cancel.
    await carmen.say("/events")
    await carmen.say("/cancelevent")
    await carmen.tap(carmen.last.buttons()[0])
    await carmen.tap(ES.BTN_KEEP_EVENT)
    await carmen.say("/cancelevent")
    await carmen.tap(carmen.last.buttons()[0])
    confirmation, cancel = carmen.button(ES.BTN_CANCEL_EVENT)
    await carmen.press_data(confirmation, cancel)
    await carmen.press_data(confirmation, cancel)  # pressed again: it can't be cancelled any more
    await carmen.say("/cancelevent")
    await carmen.say("/events")

    # Convening two communities: which one? Then a command for the one picked.
    second = await _community_named(harness.db, "Otra comunidad", "es")
    await seed.grant(harness.db, carmen.user_id, "convener", second)
    await carmen.say("/members")
    await carmen.tap("Otra comunidad")
    # A member who convenes nothing is refused in their own language.
    await rosa.say("/matrix")
    assert rosa.last.text == ES.NOT_ALLOWED
    assert_no_english(carmen, rosa, newcomer)


async def test_a_spanish_admin_hears_no_english_on_any_path(harness: Harness) -> None:
    """An admin is answered in their own language as a member, else the community's."""
    community = await _community(harness.db)
    admin = harness.person(9001, "Inés", language_code="es")  # not a member: the community's
    for typed in (f"/grant 3130 convener {COMMUNITY}", f"/grant 3130 nada {COMMUNITY}",
                  "/grant 3130 convener Ninguna", "/grant 3130", f"/revoke 3130 convener {COMMUNITY}",
                  f"/revoke 3130 convener {COMMUNITY}"):
        await admin.say(typed)
    assert admin.inbox[0].text == ES.ROLE_GRANTED.format(
        user=3130, role="convener", community=html.escape(COMMUNITY))

    # A member too: their own language, whatever the community's, and where no community is
    # named (not a member, they would hear English there: there is no community to go by).
    await _join(admin, community)
    english = await _community_named(harness.db, "Winter Practice", "en")
    for typed in ("/newcommunity", "/newcommunity Comunidad nueva", "/newcommunity Winter Practice",
                  "/grant 3131 researcher Winter Practice", "/revoke 3131 researcher Winter Practice",
                  "/revoke 3131 researcher Winter Practice", "/revoke 3131 researcher", "/revoke x",
                  "/grant 3131 convener"):
        await admin.say(typed)
    assert admin.last.text == ES.ROLE_USAGE.replace("<", "&lt;").replace(">", "&gt;")
    assert ES.ROLE_NOT_HELD.format(user=3131, role="researcher", community=english.name) + "." in [
        m.text for m in admin.inbox]

    # Someone who is not an admin is refused in their own language.
    rosa = harness.person(3132, "Rosa", language_code="es")
    await _join(rosa, community)
    for typed in ("/newcommunity Mía", f"/grant 3132 convener {COMMUNITY}", "/revoke 3132 convener"):
        assert await rosa.say(typed) == [ES.NOT_ALLOWED]
    assert_no_english(admin, rosa)


async def test_what_the_scheduler_sends_a_spanish_convener_is_in_spanish(harness: Harness) -> None:
    """The weekly digest and the retention notice, to a convener who is not a member."""
    community = await _community(harness.db)
    carmen = harness.person(3120, "Carmen")
    await seed.grant(harness.db, carmen.user_id, "convener", community)
    rosa = harness.person(3121, "Rosa", language_code="es")
    await _join(rosa, community)
    event = await seed.event(harness.db, community, TITLE)
    await seed.open_prompt(harness.db, rosa, event)
    await rosa.say("/continue")
    await rosa.tap(rosa.last.buttons()[0])
    await rosa.say("Escuchar cómo el otro equipo organiza el triaje")
    await rosa.say("/stop")

    now = utcnow()
    assert await digest.send_weekly(harness.db, TelegramSender(harness.app.bot), community.id, now) == 1
    async with harness.db.session() as s:
        c = await s.get(Community, community.id)
        assert c is not None
        await retention.set_months(s, c, 1, actor="test")

    sender = TelegramSender(harness.app.bot, rate=0, backoff=0)

    [outcome] = await retention.run(harness.db, now + dt.timedelta(days=40), sender)
    assert outcome.conveners_told == 1
    assert carmen.last.text is not None and carmen.last.text.startswith(
        ES.RETENTION_NOTICE.split("{")[0])
    assert_no_english(carmen)


async def test_the_members_check_speaks_spanish_to_a_spanish_member_and_convener(
    harness: Harness,
) -> None:
    """/matrix share and every step of a member's check: the framing and buttons in Spanish,
    the statements as the conveners wrote them (in the community's language)."""
    from tests.clock import tick
    from valuestory.usecases import indicators

    community = await _community(harness.db)
    carmen = harness.person(3130, "Carmen")
    await seed.grant(harness.db, carmen.user_id, "convener", community)
    await carmen.say("/matrix share")  # no indicators yet
    await indicators.add(harness.db, indicators.COMMAND_LINE, COMMUNITY, "immediate",
                         "Es un espacio seguro para preguntar")
    await indicators.add(harness.db, indicators.COMMAND_LINE, COMMUNITY, "potential",
                         "Los miembros tienen más confianza")
    await carmen.say("/matrix share")  # nobody to ask yet
    rosa = harness.person(3131, "Rosa", language_code="es")
    await _join(rosa, community)
    await carmen.say("/matrix share")
    await carmen.say("/matrix share")  # under way
    await tick(harness, utcnow() + dt.timedelta(days=1))  # outside Madrid's quiet hours
    await rosa.tap(ES.BTN_RINGS_TRUE)
    await rosa.say("Pregunté por primera vez sin miedo")
    await rosa.tap(ES.BTN_NOT_FOR_ME)
    stale, next_ = rosa.button(ES.BTN_NEXT)
    await rosa.press_data(stale, next_)
    await rosa.press_data(stale, next_)  # pressed again: it is over
    await rosa.press_data(stale, callbacks.encode(callbacks.Prefix.CHECK, "nada", "t"))
    said = [m.text for m in rosa.inbox]
    await rosa.say("/mydata")  # what she said of each statement, in Spanish around her words
    assert ES.CHECK_SENTENCE_KEPT in said and ES.CHECK_THANKS in said
    assert ES.CHECK_FINISHED in said and said[-1] == ES.STALE_BUTTON
    assert_no_english(carmen, rosa)
