"""Every member in their own language: joining, telling, reminders and follow-ups, /language, and
what is stored about how each question was asked. Driven through the real bot and scheduler."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
import xmlschema
from sqlalchemy import select

from bot.scheduling import TelegramSender
from flows import texts
from flows.i18n import isolate
from flows.questions import QUESTIONSETS_DIR
from storage.models import Community, Consent, Member, Narrative, Prompt
from tests import seed
from tests.clock import at, day, text, tick
from tests.harness import Harness, Person
from valuestory.usecases import conversation, exports
from valuestory.usecases.exports import ExportFilter, ExportFormat

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "Project-mrt2019.xsd"
ES, PL = texts.In("es"), texts.In("pl")
TITLE = "Winter Learning Session"


async def _community(h: Harness, name: str = "Diabetes in Pregnancy", *, language: str = "en",
                     question_set: str = "default") -> Community:
    return await seed.community(h.db, name, "Europe/London", question_set, language)


async def _narratives(h: Harness) -> list[Narrative]:
    async with h.db.session() as s:
        return list((await s.scalars(select(Narrative).order_by(Narrative.id))).all())


async def _member(h: Harness, person: Person) -> Member:
    async with h.db.session() as s:
        member = await s.scalar(select(Member).where(Member.telegram_user_id == person.user_id))
        assert member is not None
        return member


def _quoted(q: str) -> str:
    """A question's text as the bot asks it in a translated script: the title isolated."""
    return q.format(event=isolate(TITLE))


# --- Joining, telling, reminders and follow-ups in Spanish ----------------------------------


async def test_a_spanish_member_joins_tells_and_is_reminded_and_followed_up_in_spanish(
    harness: Harness,
) -> None:
    community = await _community(harness)
    rosa = harness.person(701, "Rosa", language_code="es")

    shown = await rosa.say(f"/start {community.invite_code}")
    assert shown == [ES.PARTICIPANT_INFO.format(community=isolate("Diabetes in Pregnancy"))]
    assert rosa.last.buttons() == [ES.BTN_AGREE, ES.BTN_NOT_NOW]
    assert await rosa.tap(ES.BTN_AGREE) == [ES.JOINED.format(community=isolate("Diabetes in Pregnancy"))]
    async with harness.db.session() as s:
        (consent,) = (await s.scalars(select(Consent))).all()
    assert consent.language == "es" and consent.version == conversation.consent_version("es")
    assert consent.version != conversation.CONSENT_VERSION  # the English text's version differs

    event_day = day(7)
    event = await seed.event(harness.db, community, TITLE, text(event_day, "14:00"),
                             text(event_day, "16:00"))
    mark = len(rosa.inbox)
    await tick(harness, at(event_day, "18:00"))
    (asked,) = rosa.texts_since(mark)
    assert _quoted("¿Participaste en {event}?") in asked
    assert rosa.last.buttons()[:2] == ["Sí, estuve allí", "No, me lo perdí"]

    mark = len(rosa.inbox)
    await tick(harness, at(event_day, "18:00") + dt.timedelta(hours=48))
    assert rosa.texts_since(mark) == [ES.REMINDER.format(event=isolate(TITLE),
                                                         minutes=ES.plural(5, "minute"))]
    assert "5 minutos" in rosa.last.text and rosa.last.buttons() == ["Continuar"]

    await rosa.tap(ES.BTN_CONTINUE)
    await rosa.tap("Sí, estuve allí")
    await rosa.say("La discusión del caso.")
    await rosa.tap(ES.BTN_NEXT)
    await rosa.tap(ES.BTN_SKIP)
    await rosa.tap(ES.BTN_DONE)
    await rosa.say("Probar la plantilla <compartida>")
    done = await rosa.tap(ES.BTN_NEXT)
    assert ES.THANKS in done[0]

    mark = len(rosa.inbox)
    await tick(harness, event.ends_at + dt.timedelta(days=42))
    (follow_up,) = rosa.texts_since(mark)
    assert _quoted("Hace unas semanas me hablaste de {event}.") in follow_up
    assert f"«{isolate('Probar la plantilla &lt;compartida&gt;')}»" in follow_up

    stored = await _narratives(harness)
    assert [n.language for n in stored] == ["es", "es"]
    assert stored[0].question_text.startswith("¿Qué pasó en Winter Learning Session")


async def test_a_polish_member_sees_the_right_form_for_1_2_5_and_22_minutes(
    harness: Harness, tmp_path: Path,
) -> None:
    base = (QUESTIONSETS_DIR / "default.yaml").read_text(encoding="utf-8")
    polish = (QUESTIONSETS_DIR / "default.pl.yaml").read_text(encoding="utf-8")
    seen = {}
    for i, minutes in enumerate((1, 2, 5, 22)):
        path = tmp_path / f"minutes{minutes}.yaml"
        path.write_text(base.replace("minutes: 5", f"minutes: {minutes}", 1), encoding="utf-8")
        (tmp_path / f"minutes{minutes}.pl.yaml").write_text(polish, encoding="utf-8")
        community = await _community(harness, f"Community {minutes}", question_set=str(path))
        event = await seed.event(harness.db, community)
        piotr = harness.person(710 + i, "Piotr", language_code="pl")
        await seed.join(piotr, community, agree=PL.BTN_AGREE)
        assert piotr.last.text == PL.JOINED.format(community=isolate(f"Community {minutes}"))
        await seed.open_prompt(harness.db, piotr, event)
        seen[minutes] = (await piotr.say("/continue"))[0]
    assert "Czas: ok. 1 minuta." in seen[1]
    assert "Czas: ok. 2 minuty." in seen[2]
    assert "Czas: ok. 5 minut." in seen[5]
    assert "Czas: ok. 22 minuty." in seen[22]
    # No count of questions before the member's choices settle it, in Polish as in English.
    assert all("pyta" not in intro.split("\n\n", 1)[1].split("<b>")[0]
               for intro in seen.values())
    assert all(intro.startswith(_quoted("Kilka pytań o {event}")) for intro in seen.values())


async def test_a_question_missing_from_a_communitys_translation_is_asked_in_english(
    harness: Harness, tmp_path: Path,
) -> None:
    (tmp_path / "ours.yaml").write_text(
        (QUESTIONSETS_DIR / "default.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    # Ours translates only the attendance question: the rest falls back question by question.
    (tmp_path / "ours.es.yaml").write_text(
        'scripts:\n  post_event:\n    questions:\n      attended:\n'
        '        text: "¿Estuviste en {event}?"\n'
        '        options: {"yes": "Sí, allí", "no": "No"}\n', encoding="utf-8")
    community = await _community(harness, question_set=str(tmp_path / "ours.yaml"))
    event = await seed.event(harness.db, community)
    lola = harness.person(720, "Lola", language_code="es")
    await seed.join(lola, community, agree=ES.BTN_AGREE)
    await seed.open_prompt(harness.db, lola, event)

    opening = await lola.say("/continue")
    assert _quoted("¿Estuviste en {event}?") in opening[-1]
    # The intro is the base file's, in the Spanish sentence around it.
    assert "A few questions about" in opening[-1] and "Omite lo que quieras" in opening[-1]
    nxt = await lola.tap("Sí, allí")
    assert _quoted("What happened at {event} that mattered to you?") in nxt[-1]
    assert lola.last.buttons() == [ES.BTN_SKIP, ES.BTN_BACK, ES.BTN_LATER, ES.BTN_STOP]  # the bot's own words
    await lola.say("El caso.")
    await lola.tap(ES.BTN_NEXT)
    (stored,) = await _narratives(harness)
    assert stored.language == "en" and stored.question_text.startswith("What happened at")


# --- /language ------------------------------------------------------------------------------


async def test_changing_language_mid_story_carries_on_in_the_new_one_with_every_answer_kept(
    harness: Harness, tmp_path: Path,
) -> None:
    community = await _community(harness)
    event = await seed.event(harness.db, community)
    rosa = harness.person(730, "Rosa", language_code="es")
    await seed.join(rosa, community, agree=ES.BTN_AGREE)
    await seed.open_prompt(harness.db, rosa, event)
    await rosa.say("/continue")
    await rosa.tap("Sí, estuve allí")
    await rosa.say("La discusión del caso.")
    await rosa.tap(ES.BTN_NEXT)  # now on "what was it like to take part", question 3

    assert await rosa.say("/language") == [ES.LANGUAGE_CHOOSE]
    assert rosa.last.buttons() == ["English", "العربية", "Español", "Polski"]
    switched = await rosa.tap("Polski")
    assert switched[0] == PL.LANGUAGE_SET
    assert PL.PROGRESS_SO_FAR.format(index=3) in switched[-1]
    assert "Jak wyglądał Twój udział?" in switched[-1]
    assert rosa.last.buttons()[0] == "Pomiń"
    await rosa.say("Czułam się wysłuchana.")
    await rosa.tap(PL.BTN_NEXT)
    assert (await _member(harness, rosa)).language == "pl"

    stored = await _narratives(harness)
    assert [(n.question_id, n.language, n.text) for n in stored] == [
        ("immediate.moment", "es", "La discusión del caso."),
        ("immediate.experience", "pl", "Czułam się wysłuchana."),
    ]

    # Researchers see in which language each question was asked.
    path = tmp_path / "out.csv"
    await exports.export(harness.db, "test", ExportFormat.CSV, path, ExportFilter())
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert [(r["question_id"], r["language"]) for r in rows] == [
        ("immediate.moment", "es"), ("immediate.experience", "pl")]
    assert list(rows[0]).index("language") == list(rows[0]).index("question") + 1

    qdpx = tmp_path / "out.qdpx"
    await exports.export(harness.db, "test", ExportFormat.QDPX, qdpx, ExportFilter())
    with zipfile.ZipFile(qdpx) as z:
        project = z.read("project.qde").decode("utf-8")
    xmlschema.XMLSchema(str(SCHEMA)).validate(project)
    assert 'name="language" typeOfVariable="Text"' in project
    assert project.count("<TextValue>pl</TextValue>") == 1
    assert project.count("<TextValue>es</TextValue>") == 1


async def test_a_forged_or_stale_language_button_changes_nothing(harness: Harness) -> None:
    community = await _community(harness)
    rosa = harness.person(735, "Rosa", language_code="es")
    await seed.join(rosa, community, agree=ES.BTN_AGREE)
    await rosa.say("/language")
    message, _ = rosa.button("Polski")
    for forged in ("lg|xx", "lg|", "lg|pl|extra", "lg|PL"):
        assert await rosa.press_data(message, forged) == [ES.STALE_BUTTON]
    assert (await _member(harness, rosa)).language == "es"


# --- Where the language comes from ----------------------------------------------------------


@pytest.mark.parametrize(("code", "community_language", "expected"), [
    ("xx", "en", "en"),
    ("zz-ZZ", "en", "en"),
    (None, "en", "en"),
    ("xx", "es", "es"),  # a language we don't speak: the community's
    ("es-419", "en", "es"),  # a regional code: the closest catalog
    ("PL", "es", "pl"),
])
async def test_an_unknown_telegram_language_falls_back_to_the_communitys_then_english(
    harness: Harness, code: str | None, community_language: str, expected: str,
) -> None:
    community = await _community(harness, language=community_language)
    person = harness.person(740, "Sam", language_code=code)
    shown = await person.say(f"/start {community.invite_code}")
    t = texts.In(expected)
    name = "Diabetes in Pregnancy" if expected == "en" else isolate("Diabetes in Pregnancy")
    assert shown == [t.PARTICIPANT_INFO.format(community=name)]
    await person.tap(t.BTN_AGREE)
    assert person.last.text == t.JOINED.format(community=name)
    assert (await _member(harness, person)).language == expected


async def test_english_members_read_exactly_the_english_texts_with_no_marks(harness: Harness) -> None:
    community = await _community(harness)
    event = await seed.event(harness.db, community)
    ann = harness.person(745, "Ann", language_code="en-GB")
    await seed.join(ann, community)
    await seed.open_prompt(harness.db, ann, event)
    replies = await ann.say("/continue")
    assert seed.asked("attended") in replies[-1]
    assert all("\u2068" not in r and "\u2069" not in r for r in ann.texts_since(0))


async def test_consent_is_reused_for_a_second_community_only_for_the_same_text(
    harness: Harness,
) -> None:
    first = await _community(harness, "First")
    second = await _community(harness, "Second")
    third = await _community(harness, "Third")
    rosa = harness.person(750, "Rosa", language_code="es")
    await seed.join(rosa, first, agree=ES.BTN_AGREE)

    # The same Spanish text was agreed to: joined at once.
    assert await rosa.say(f"/start {second.invite_code}") == [
        ES.JOINED.format(community=isolate("Second"))]

    # In Polish the text is another version: it is shown, in Polish, to agree to again.
    await rosa.say("/language")
    await rosa.tap("Polski")
    assert await rosa.say(f"/start {third.invite_code}") == [
        PL.PARTICIPANT_INFO.format(community=isolate("Third"))]
    await rosa.tap(PL.BTN_AGREE)
    async with harness.db.session() as s:
        consents = (await s.scalars(select(Consent).order_by(Consent.id))).all()
    assert [(c.language, c.version) for c in consents] == [
        ("es", conversation.consent_version("es")), ("pl", conversation.consent_version("pl"))]


async def test_an_agree_button_for_a_text_that_changed_shows_the_current_one(
    harness: Harness,
) -> None:
    community = await _community(harness)
    rosa = harness.person(755, "Rosa", language_code="es")
    await rosa.say(f"/start {community.invite_code}")
    message, _ = rosa.button("Acepto")
    # An English version agreed under a Spanish label, or a version no text has.
    for stale in (f"j|{community.invite_code}|{conversation.CONSENT_VERSION}|es",
                  f"j|{community.invite_code}|000000000000|es"):
        assert await rosa.press_data(message, stale) == [
            ES.PARTICIPANT_INFO.format(community=isolate("Diabetes in Pregnancy"))]
    assert await rosa.press_data(message, f"j|{community.invite_code}|x|xx") == [ES.BAD_INVITE]
    async with harness.db.session() as s:
        assert (await s.scalars(select(Consent))).all() == []
        assert (await s.scalars(select(Member))).all() == []


# --- Everywhere else the bot talks to a member ----------------------------------------------


async def test_help_privacy_pause_mydata_and_kind_replies_are_in_the_members_language(
    harness: Harness,
) -> None:
    community = await _community(harness)
    rosa = harness.person(760, "Rosa", language_code="es")
    await seed.join(rosa, community, agree=ES.BTN_AGREE)
    assert await rosa.say("/help") == [ES.HELP]
    assert await rosa.say("/privacy") == [ES.PRIVACY]
    assert await rosa.say("/nonsense") == [ES.UNKNOWN_COMMAND]
    assert await rosa.send(sticker={"file_id": "s", "file_unique_id": "s", "width": 1,
                                    "height": 1, "is_animated": False, "is_video": False,
                                    "type": "regular"}) == [ES.NOT_SUPPORTED["sticker"]]
    assert await rosa.say("hola") == [ES.NOTHING_OPEN]
    assert await rosa.say("/pause") == [ES.PAUSED_ONE.format(community=isolate("Diabetes in Pregnancy"))]
    assert await rosa.say("/resume") == [ES.RESUMED_ONE.format(community=isolate("Diabetes in Pregnancy"))]
    assert (await rosa.say("/mydata")) == [ES.MYDATA_READY]
    assert ES.MYDATA_LANGUAGE.format(language="es") in rosa.last.document[1].decode()  # type: ignore[index]
    assert (await rosa.say("/withdraw"))[0] == ES.WITHDRAW_CONFIRM.format(
        where=isolate("Diabetes in Pregnancy"))

    # A stranger is answered in their app's language; they have no other yet.
    stranger = harness.person(761, "Pau", language_code="es")
    assert await stranger.say("/start") == [ES.START_STRANGER]
    assert await stranger.say("hola") == [ES.UNKNOWN_USER]


async def test_a_member_who_chose_a_language_keeps_it_whatever_their_app_says(
    harness: Harness,
) -> None:
    community = await _community(harness)
    rosa = harness.person(765, "Rosa", language_code="es")
    await seed.join(rosa, community, agree=ES.BTN_AGREE)
    await rosa.say("/language")
    await rosa.tap("Polski")
    rosa.user["language_code"] = "es"  # the app still says Spanish
    assert await rosa.say("/help") == [PL.HELP]


async def test_the_command_menu_is_set_in_every_language(harness: Harness) -> None:
    from bot.app import set_command_menus

    await set_command_menus(harness.app)  # as the bot does when it starts
    menus = [params for method, params in harness.double.calls if method == "setMyCommands"]
    by_code = {m.get("language_code"): m["commands"] for m in menus}
    assert set(by_code) == {None, "es", "pl", "ar"}

    def described(code: str | None) -> dict[str, str]:
        import json

        raw = by_code[code]
        commands = json.loads(raw) if isinstance(raw, str) else raw
        return {c["command"]: c["description"] for c in commands}

    assert described(None)["help"] == texts.COMMAND_MENU["help"]
    assert described(None)["language"] == texts.COMMAND_MENU["language"]
    assert described("es")["language"] == ES.COMMAND_MENU["language"]
    assert described("pl")["mydata"] == PL.COMMAND_MENU["mydata"]


async def test_conveners_get_the_digest_in_their_own_language_or_the_communitys(
    harness: Harness,
) -> None:
    from valuestory.usecases import digest

    community = await _community(harness, language="pl")
    rosa = harness.person(770, "Rosa", language_code="es")  # a convener who is also a member
    await seed.join(rosa, community, agree=ES.BTN_AGREE)
    await seed.grant(harness.db, 770, "convener", community)
    await seed.grant(harness.db, 771, "convener", community)  # a convener who never joined

    sent = await digest.send_weekly(harness.db, TelegramSender(harness.app.bot, rate=0, backoff=0),
                                    community.id, dt.datetime.now(dt.UTC))
    assert sent == 2
    spanish = rosa.texts_since(len(rosa.inbox) - 2)[0]
    assert spanish.startswith(ES.DIGEST_INTRO)
    # What changed reads in the convener's language too, its next step from the catalog.
    assert ES.DIGEST_NEW_NONE in spanish and texts.DIGEST_NEW_NONE not in spanish
    assert ES.DIGEST_NEXT.format(step=ES.DIGEST_STEP_EVENT) in spanish
    other = harness.double.texts(771)
    assert other[0].startswith(PL.DIGEST_INTRO)
    assert PL.DIGEST_NEW_NONE in other[0] and PL.DIGEST_CHECK_NONE in other[0]
    # The picture's own words are the convener's language too.
    from valuestory.usecases import matrix
    async with harness.db.session() as s:
        c = await s.get(Community, community.id)
        assert c is not None
        built = await matrix.build_matrix(harness.db, c)
    words = " ".join(w.get_text() for w in matrix.picture(built, "es").findobj(
        lambda a: hasattr(a, "get_text")))
    assert str(ES.MATRIX_PNG_EXCERPTS) in words and texts.MATRIX_PNG_EXCERPTS not in words


async def test_a_scheduled_prompt_reads_the_language_at_the_moment_it_is_sent(
    harness: Harness,
) -> None:
    community = await _community(harness)
    rosa = harness.person(775, "Rosa", language_code="es")
    await seed.join(rosa, community, agree=ES.BTN_AGREE)
    event_day = day(7)
    await seed.event(harness.db, community, TITLE, text(event_day, "14:00"), text(event_day, "16:00"))
    await tick(harness, at(event_day, "09:00"))  # planned ahead
    await rosa.say("/language")
    await rosa.tap("English")
    mark = len(rosa.inbox)
    await tick(harness, at(event_day, "18:00"))
    (asked,) = rosa.texts_since(mark)
    assert seed.asked("attended") in asked
    async with harness.db.session() as s:
        (prompt,) = (await s.scalars(select(Prompt))).all()
    assert prompt.status == "open"


async def test_something_went_wrong_is_said_in_the_members_language(harness: Harness) -> None:
    community = await _community(harness)
    rosa = harness.person(780, "Rosa", language_code="es")
    await seed.join(rosa, community, agree=ES.BTN_AGREE)
    failed: list[str] = []

    def first_send_fails(method: str, params: dict[str, object]) -> tuple[int, dict[str, object]] | None:
        if method == "sendMessage" and not failed:
            failed.append(method)
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: broken"}
        return None

    harness.double.rules.append(first_send_fails)
    assert await rosa.say("/help") == [ES.SOMETHING_WENT_WRONG]


async def test_settings_show_the_communitys_language(harness: Harness) -> None:

    community = await _community(harness, language="es")
    await seed.grant(harness.db, 790, "convener", community)
    cora = harness.person(790, "Cora")
    (shown,) = await cora.say("/settings")  # not a member: in the community's language
    assert shown.endswith("\n" + ES.SETTINGS_LANGUAGE.format(language="Español"))


async def test_an_agree_button_sent_before_languages_still_joins_with_the_english_text(
    harness: Harness,
) -> None:
    community = await _community(harness)
    ann = harness.person(795, "Ann")
    await ann.say(f"/start {community.invite_code}")
    message, _ = ann.button(texts.BTN_AGREE)
    joined = await ann.press_data(message, f"j|{community.invite_code}|{conversation.CONSENT_VERSION}")
    assert joined == [texts.JOINED.format(community="Diabetes in Pregnancy")]
    async with harness.db.session() as s:
        (consent,) = (await s.scalars(select(Consent))).all()
    assert (consent.language, consent.version) == ("en", conversation.CONSENT_VERSION)
