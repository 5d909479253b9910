"""Members answering in the browser, on a phone-sized Chromium: their personal link, consent, a
whole story in English and one in Spanish, Back, Skip, Later, Stop, their data, leaving, and a
revoked link. What they told is counted in the matrix and exported with channel web."""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path
from typing import Any

from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from flows import texts
from flows.questions import PromptKind, load_question_set
from storage.db import Database
from storage.models import utcnow
from tests import seed
from tests.browser.conftest import DashboardServer
from valuestory.usecases import exports, matrix, web_answers
from valuestory.usecases.conversation.page import Asking
from valuestory.usecases.events import planning

Browser = Any
PHONE = (390, 844)
DESKTOP = (1280, 900)
# Screenshots of each page, at both widths, for a person to look at.
SHOTS = Path(os.environ.get("VALUESTORY_SCREENSHOTS", tempfile.gettempdir())) / "answer-pages"


def web(language: str) -> Any:
    """The texts as the members' pages say them."""
    from flows import i18n
    token = i18n.FRONT_END.set("web")
    try:
        t = texts.In(language)
        return {name: getattr(t, name) for name in (
            "ASK_TEXT_HINT", "LATER", "STOPPED", "WEB_LINK_GONE", "BTN_NEXT", "BTN_SKIP",
            "BTN_BACK", "BTN_LATER", "BTN_STOP", "BTN_DONE", "BTN_CONTINUE", "BTN_AGREE",
            "WEB_MYDATA", "WEB_WITHDRAW", "BTN_WITHDRAW_YES", "WITHDRAWN_ALL", "THANKS",
            "NOTHING_OPEN")}
    finally:
        i18n.FRONT_END.reset(token)


def option(language: str, question: str, option_id: str) -> str:
    script = load_question_set("default").script(PromptKind.POST_EVENT, language=language)
    q = script.question(question)
    assert q is not None
    found = q.option(option_id)
    assert found is not None
    return found.label


def shoot(browser: Browser, name: str) -> None:
    """The page as it is, on a phone and on a desktop (the whole page's height)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, (width, height) in (("390", PHONE), ("1280", DESKTOP)):
        browser.set_window_size(width, height)
        full = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(width, max(height, int(full) + 140))
        browser.save_screenshot(str(SHOTS / f"{name}-{label}.png"))
    browser.set_window_size(*PHONE)


def main_text(browser: Browser) -> str:
    return str(browser.find_element(By.TAG_NAME, "main").text)


def press(browser: Browser, label: str) -> None:
    """Press the button that reads `label` and wait for the page that follows."""
    before = browser.find_element(By.TAG_NAME, "main")
    buttons = [b for b in browser.find_elements(By.CSS_SELECTOR, "button")
               if b.text.strip() == label]
    assert buttons, f"no button {label!r} on the page: {main_text(browser)!r}"
    buttons[0].click()
    WebDriverWait(browser, 30).until(lambda _: _left(before))


def _left(element: WebElement) -> bool:
    """Whether the page `element` was on has gone. Chromium may say so, mid-navigation, as "node
    does not belong to the document" rather than as a stale element: the same news."""
    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as e:
        if "does not belong to the document" in str(e.msg):
            return True
        raise
    return False


def write(browser: Browser, words: str) -> None:
    box = browser.find_element(By.ID, "text")
    box.clear()
    box.send_keys(words)


def question(browser: Browser) -> str:
    return str(browser.find_element(By.CSS_SELECTOR, "h1.question").text)


async def invited(db: Database, community: Any, server: DashboardServer,
                  language: str | None = None) -> str:
    return (await web_answers.make(db, community.name, None, server.base, language=language)).url


async def at_question_2(db: Database, browser: Browser, server: DashboardServer) -> Any:
    """A member who agreed on their page, was asked about an event and said they took part:
    the page, on a phone, asks Question 2. Returns their community."""
    community = await seed.community(db, "Perinatal Network")
    event = await seed.event(db, community, "Winter Learning Session")
    link = await invited(db, community, server)
    browser.set_window_size(*PHONE)
    browser.get(link)
    press(browser, web("en")["BTN_AGREE"])
    await planning.open_by_hand(db, event.id, None, PromptKind.POST_EVENT, quietly=True)
    browser.get(link)
    press(browser, option("en", "attended", "yes"))
    return community


async def test_a_member_without_telegram_tells_a_whole_story_on_a_phone_in_english_and_spanish(
    db: Database, browser: Browser, server: DashboardServer,
) -> None:
    community = await seed.community(db, "Perinatal Network")
    event = await seed.event(db, community, "Winter Learning Session")
    english = await invited(db, community, server)
    spanish = await invited(db, community, server, language="es")
    en, es = web("en"), web("es")
    browser.set_window_size(*PHONE)

    # Consent first, as in Telegram: the participant information, and I agree.
    browser.get(english)
    assert "Perinatal Network" in main_text(browser)
    shoot(browser, "01-joining")
    press(browser, en["BTN_AGREE"])
    assert en["NOTHING_OPEN"] in main_text(browser)
    shoot(browser, "02-nothing-open")
    browser.get(spanish)
    press(browser, es["BTN_AGREE"])

    await planning.open_by_hand(db, event.id, None, PromptKind.POST_EVENT, quietly=True)

    browser.get(english)
    assert seed.asked("attended") in question(browser)
    assert "1 of" in main_text(browser) or "Question 1" in main_text(browser)
    shoot(browser, "03-choice")
    press(browser, option("en", "attended", "yes"))
    assert seed.asked("immediate.moment") in question(browser)
    assert "2 of" in main_text(browser) or "Question 2" in main_text(browser)
    assert en["ASK_TEXT_HINT"] in main_text(browser)
    write(browser, "Hearing how the other team triages at night.")
    shoot(browser, "04-text")
    press(browser, en["BTN_NEXT"])
    assert seed.asked("immediate.experience") in question(browser)
    # Back: the answer given is there to change; a new one replaces it.
    press(browser, en["BTN_BACK"])
    assert browser.find_element(By.ID, "text").get_attribute("value") == (
        "Hearing how the other team triages at night.")
    write(browser, "Hearing how the other team triages at night, and trying it.")
    press(browser, en["BTN_NEXT"])
    # Skip the one after.
    press(browser, en["BTN_SKIP"])
    assert seed.asked("potential.capitals") in question(browser)
    press(browser, option("en", "potential.capitals", "human"))
    press(browser, option("en", "potential.capitals", "social"))
    picked = browser.find_elements(By.CSS_SELECTOR, "button.option[aria-pressed='true']")
    assert sorted(b.text for b in picked) == sorted([option("en", "potential.capitals", "human"),
                                                     option("en", "potential.capitals", "social")])
    shoot(browser, "05-several")
    press(browser, en["BTN_DONE"])
    # Later keeps the place; the link opens it again, Carry on goes on.
    press(browser, en["BTN_LATER"])
    assert en["LATER"] in main_text(browser)
    shoot(browser, "06-later")
    browser.get(english)
    press(browser, en["BTN_CONTINUE"])
    assert seed.asked("potential.human") in question(browser)
    write(browser, "A quicker way to hand over at shift change.")
    press(browser, en["BTN_NEXT"])
    write(browser, "A midwife from the other unit.")
    press(browser, en["BTN_NEXT"])
    assert seed.asked("applied.intention") in question(browser)
    write(browser, "Try the handover sheet with my team.")
    press(browser, en["BTN_NEXT"])
    # The recap at the end, with what was said.
    assert en["THANKS"] in main_text(browser)
    assert "trying it" in main_text(browser)
    shoot(browser, "07-recap")

    # The same story in Spanish, every word of the page in Spanish.
    browser.get(spanish)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "es"
    press(browser, option("es", "attended", "yes"))
    assert es["ASK_TEXT_HINT"] in main_text(browser)
    shoot(browser, "08-spanish")
    for words in ("Escuchar cómo otro equipo hace el triaje.", "Me sentí escuchada."):
        write(browser, words)
        press(browser, es["BTN_NEXT"])
    press(browser, option("es", "potential.capitals", "tangible"))
    press(browser, es["BTN_DONE"])
    write(browser, "Una plantilla para el traspaso de turno.")
    press(browser, es["BTN_NEXT"])
    write(browser, "Probarla con mi equipo.")
    press(browser, es["BTN_NEXT"])
    assert es["THANKS"] in main_text(browser)

    # Counted in the matrix as Telegram's answers are, and exported with channel web.
    built = await matrix.for_community(db, community.name, "", utcnow())
    assert built.contributors == 2
    cells = {c.cycle: c.narratives for c in built.columns}
    assert cells["immediate"] == 3 and cells["potential"] == 3
    assert built.intended.narratives == 2
    path = Path(tempfile.mkdtemp()) / "export.csv"
    await exports.export(db, "test", exports.ExportFormat.CSV, path,
                         await exports.choose(db, community.name))
    with path.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 8 and {r["channel"] for r in rows} == {"web"}
    assert any(r["answer"] == "Hearing how the other team triages at night, and trying it."
               for r in rows)

    # Their data on the page, then leaving erases what they told.
    browser.get(spanish)
    browser.find_element(By.LINK_TEXT, es["WEB_MYDATA"]).click()
    assert "Probarla con mi equipo." in main_text(browser)
    shoot(browser, "09-mydata")
    browser.get(spanish)
    browser.find_element(By.LINK_TEXT, es["WEB_WITHDRAW"]).click()
    shoot(browser, "10-withdraw")
    press(browser, es["BTN_WITHDRAW_YES"])
    assert es["WITHDRAWN_ALL"] in main_text(browser)
    shoot(browser, "11-left")
    await exports.export(db, "test", exports.ExportFormat.CSV, path,
                         await exports.choose(db, community.name))
    with path.open(encoding="utf-8-sig") as fh:
        assert len(list(csv.DictReader(fh))) == 4  # the English story alone
    browser.get(spanish)  # nobody's link now: said in the browser's language
    assert en["WEB_LINK_GONE"] in main_text(browser)

    # A revoked link is refused kindly, in its member's language.
    assert await web_answers.revoke(db, community.name, link=english) == 1
    browser.get(english)
    assert en["WEB_LINK_GONE"] in main_text(browser)
    shoot(browser, "12-revoked")


async def test_stop_keeps_what_was_said_and_the_page_says_so(
    db: Database, browser: Browser, server: DashboardServer,
) -> None:
    community = await at_question_2(db, browser, server)
    en = web("en")
    write(browser, "The night-shift story.")
    press(browser, en["BTN_NEXT"])
    press(browser, en["BTN_STOP"])
    assert en["STOPPED"] in main_text(browser)
    assert "The night-shift story." in main_text(browser)
    shoot(browser, "13-stopped")
    built = await matrix.for_community(db, community.name, "", utcnow())
    assert {c.cycle: c.narratives for c in built.columns}["immediate"] == 1


async def test_an_answer_sent_while_the_server_is_stopped_is_kept_on_the_page(
    db: Database, browser: Browser, server: DashboardServer,
) -> None:
    await at_question_2(db, browser, server)
    en = web("en")
    write(browser, "What the night team showed us.")
    server.stop()
    [send] = [b for b in browser.find_elements(By.CSS_SELECTOR, "button")
              if b.text.strip() == en["BTN_NEXT"]]
    send.click()
    said = browser.find_element(By.CSS_SELECTOR, ".not-sent")
    WebDriverWait(browser, 10).until(lambda _: said.is_displayed())
    assert said.text == texts.In("en").WEB_NOT_SENT
    # Still on the page, the words still in the box, and kept in the browser for a reload.
    assert browser.find_element(By.ID, "text").get_attribute("value") == (
        "What the night team showed us.")
    kept = browser.execute_script(
        "return Object.keys(localStorage).filter(k => k.startsWith('valuestory-draft-'))"
        ".map(k => localStorage.getItem(k))")
    assert kept == ["What the night team showed us."]
    shoot(browser, "14-not-sent")


async def test_an_arabic_members_page_reads_right_to_left_in_arabic(
    db: Database, browser: Browser, server: DashboardServer,
) -> None:
    community = await seed.community(db, "Perinatal Network")
    event = await seed.event(db, community, "Winter Learning Session")
    link = await invited(db, community, server, language="ar")
    ar = web("ar")
    browser.set_window_size(*PHONE)
    browser.get(link)
    page = browser.find_element(By.TAG_NAME, "html")
    assert (page.get_attribute("lang"), page.get_attribute("dir")) == ("ar", "rtl")
    press(browser, ar["BTN_AGREE"])
    await planning.open_by_hand(db, event.id, None, PromptKind.POST_EVENT, quietly=True)
    browser.get(link)
    press(browser, option("ar", "attended", "yes"))
    assert ar["ASK_TEXT_HINT"] in main_text(browser)
    shoot(browser, "15-arabic")


async def test_a_follow_up_on_the_page_asks_about_the_members_own_plan(db: Database) -> None:
    import datetime as dt

    from sqlalchemy import select

    from storage.models import Narrative, Prompt, PromptStatus

    c = await seed.community(db)
    e = await seed.event(db, c)
    made = await web_answers.make(db, c.name, None, "https://stories.example.org")
    token = made.url.rsplit("/", 1)[1]
    joining = await web_answers.page(db, token)
    assert isinstance(joining, web_answers.Page) and joining.joining is not None
    j = joining.joining
    await web_answers.agree(db, token, str(j.community_id), j.version, j.language)
    await planning.open_by_hand(db, e.id, None, "post_event", quietly=True)
    now = utcnow()
    async with db.session() as session:
        told = (await session.scalars(select(Prompt))).one()
        told.status, told.finished_at = PromptStatus.COMPLETED, now - dt.timedelta(days=29)
        session.add(Narrative(prompt_id=told.id, member_id=told.member_id, community_id=c.id,
                              event_id=e.id, story_id=told.story_id,
                              question_id="potential.intention", cycle="potential",
                              question_text="What might you do with it?", intended=True,
                              text="Try a ten-minute huddle <before> handover", channel="web"))
        session.add(Prompt(member_id=told.member_id, community_id=c.id, event_id=e.id,
                           kind=PromptKind.FOLLOWUP_APPLIED, story_id=told.story_id,
                           status=PromptStatus.OPEN, due_at=now, opened_at=now,
                           closes_at=now + dt.timedelta(days=7)))

    shown = await web_answers.page(db, token)

    assert isinstance(shown, web_answers.Page)
    asking = shown.screen
    assert isinstance(asking, Asking)
    assert "Try a ten-minute huddle &lt;before&gt; handover" in asking.question
    assert "Winter Learning Session" in asking.question


async def test_a_member_in_telegram_with_an_address_chooses_on_their_page_where_they_are_asked(
    db: Database, browser: Browser, server: DashboardServer,
) -> None:
    import re

    from sqlalchemy import select

    from storage.models import Member, MemberEmail

    community = await seed.community(db, "Perinatal Network")
    await seed.member(db, community, 801)
    [said] = await web_answers.for_telegram(db, 801, server.base)
    link = re.search(r"http://\S+", said.text)
    assert link is not None
    browser.set_window_size(*PHONE)
    t = web("en")

    # Without an address they confirmed there is nothing to choose.
    browser.get(link.group(0) + "/mydata")
    assert texts.CHANNEL_CHOOSE not in main_text(browser)

    async with db.session() as session:
        member = (await session.scalars(select(Member).where(
            Member.telegram_user_id == 801))).one()
        session.add(MemberEmail(member_id=member.id, address="sam@example.net",
                                confirmed_at=utcnow()))
    browser.get(link.group(0) + "/mydata")
    assert texts.CHANNEL_CHOOSE in main_text(browser)
    assert "sam@example.net" not in browser.page_source
    shoot(browser, "14-channel")
    press(browser, texts.CHANNEL_EMAIL)
    assert t["WEB_MYDATA"] in main_text(browser)
    pressed = browser.find_element(By.CSS_SELECTOR, 'button[value="email"]')
    assert pressed.get_attribute("aria-pressed") == "true"
    async with db.session() as session:
        assert (await session.scalars(select(Member.channel).where(
            Member.telegram_user_id == 801))).one() == "email"
    press(browser, texts.WORDING["web"]["CHANNEL_TELEGRAM"])
    async with db.session() as session:
        assert (await session.scalars(select(Member.channel).where(
            Member.telegram_user_id == 801))).one() == "telegram"
