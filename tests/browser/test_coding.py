"""Coding in the dashboard, in a real browser: a researcher codes a passage by selecting it and
finds it highlighted and in the narratives filtered by its code; two researchers in a blind set
each see only their own codings until they mark the set done; agreement on a hand-counted set.
Screenshots of the coding pages at a phone's and a desk's width, with nothing off to the side."""

from __future__ import annotations

from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from flows import texts
from tests import seed
from tests.browser.conftest import DashboardServer, chromium
from tests.browser.test_dashboard import Browser, click, heading, link_for, sign_in
from tests.harness import Harness
from tests.storage.test_coding import ANN, BEN, CONVENER, _community, _say
from valuestory.usecases import coding, indicators
from valuestory.usecases.coding import COMMAND_LINE


def go(browser: Browser, server: DashboardServer, path: str) -> None:
    browser.get(f"{server.base}/dashboard{path}")


def choose_label(browser: Browser, label: str) -> None:
    browser.find_element(By.ID, "label").send_keys(label)
    click(browser, browser.find_element(By.CSS_SELECTOR, "form.label button"))


def select_words(browser: Browser, words: str) -> None:
    """Select `words` in the narrative, as a mouse would."""
    browser.execute_script("""
        const text = document.getElementById('narrative-text');
        const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
        let node;
        while ((node = walker.nextNode())) {
          const at = node.data.indexOf(arguments[0]);
          if (at >= 0) {
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + arguments[0].length);
            const chosen = document.getSelection();
            chosen.removeAllRanges();
            chosen.addRange(range);
            return;
          }
        }
        throw new Error('no such words');
    """, words)
    WebDriverWait(browser, 5).until(
        lambda b: b.find_element(By.ID, "end").get_attribute("value") != "")


def code_with(browser: Browser, code: str, scope: str) -> None:
    Select(browser.find_element(By.ID, "code")).select_by_visible_text(code)
    click(browser, browser.find_element(By.CSS_SELECTOR, f"button[name=scope][value={scope}]"))


def codings(browser: Browser) -> list[str]:
    """The codings listed on a coding view, as 'code by coder'."""
    return sorted(f"{li.find_element(By.TAG_NAME, 'strong').text} by "
                  f"{li.find_element(By.CSS_SELECTOR, '.coder').text}"
                  for li in browser.find_elements(By.CSS_SELECTOR, "ol.codings > li"))


def fits(browser: Browser) -> bool:
    """Nothing on the page is off to the side: no scrolling sideways."""
    return bool(browser.execute_script(
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth;"))


def shoot(browser: Browser, name: str, folder: Path) -> None:
    for width in (1280, 390):
        browser.set_window_size(width, 900)
        browser.refresh()
        assert fits(browser), f"{name} scrolls sideways at {width} px"
        # The whole page in one picture: a window as tall as the page, at its top.
        tall = browser.execute_script("return document.documentElement.scrollHeight;")
        browser.set_window_size(width, min(int(tall) + 120, 5000))
        browser.execute_script("window.scrollTo(0, 0);")
        browser.save_screenshot(str(folder / f"{name}-{width}.png"))
    browser.set_window_size(1280, 900)


async def test_a_researcher_codes_a_passage_by_selecting_it_and_finds_it_by_its_code(
        bot: Harness, server: DashboardServer, browser: Browser, tmp_path: Path) -> None:
    c, ids = await _community(bot.db)
    sign_in(browser, await link_for(bot.person(ANN)))
    assert heading(browser) == "Your communities"

    # The codebook starts empty; the framework's themes fill it.
    go(browser, server, f"/c/{c.id}/codebook")
    click(browser, browser.find_element(By.XPATH,
                                        "//button[text()=\"Start from the framework's themes\"]"))
    names = [h.text for h in browser.find_elements(By.CSS_SELECTOR, ".code h3")]
    assert "A safe space" in names and len(names) == len(coding.FRAMEWORK_THEMES)

    # From a narrative's card in the list to its coding view; the first visit asks for a label.
    click(browser, browser.find_element(By.LINK_TEXT, texts.DASHBOARD_TABS["narratives"]))
    click(browser, browser.find_element(By.CSS_SELECTOR, f"#n{ids[0]} a[href$='/coding']"))
    choose_label(browser, "AK")
    assert browser.find_element(By.CSS_SELECTOR, "p.note strong").text == "AK"

    select_words(browser, "safe to ask")
    assert browser.find_element(By.ID, "start").get_attribute("value") == "9"
    assert browser.find_element(By.ID, "end").get_attribute("value") == "20"
    code_with(browser, "A safe space", "passage")
    marked = browser.find_elements(By.CSS_SELECTOR, "#narrative-text mark.coded")
    assert [m.text for m in marked] == ["safe to ask"]
    assert codings(browser) == ["A safe space by AK"]
    assert browser.find_element(By.CSS_SELECTOR, "ol.codings q").text == "safe to ask"
    # The colour is not the only sign: the passage is numbered to its code's name.
    assert browser.find_element(By.CSS_SELECTOR, "#narrative-text sup.tag").text == "[1]"

    # Typed by hand, a second passage overlapping the first; and the whole narrative, with energy.
    browser.find_element(By.ID, "start").send_keys("4")
    browser.find_element(By.ID, "end").send_keys("13")
    code_with(browser, "Confidence", "passage")
    # Where the two passages overlap, both marks hold the words, each named by its number.
    inner = browser.find_element(By.CSS_SELECTOR, "#narrative-text mark mark")
    assert inner.text == "safe" and inner.get_attribute("title") == "[2] A safe space"
    code_with(browser, "Energy", "whole")
    assert codings(browser) == ["A safe space by AK", "Confidence by AK", "Energy by AK"]
    # Words after the marks and their numbers are counted as the text has them, numbers left out.
    select_words(browser, "a silly")
    assert [browser.find_element(By.ID, f).get_attribute("value") for f in ("start", "end")] == [
        "21", "28"]
    assert browser.find_element(By.ID, "chosen").text == "Chosen: “a silly”"
    shoot(browser, "coding-view", tmp_path)

    # The narratives filtered by the code: that one narrative, and only it.
    click(browser, browser.find_element(By.LINK_TEXT, texts.DASHBOARD_TABS["narratives"]))
    Select(browser.find_element(By.ID, "code")).select_by_visible_text("A safe space")
    click(browser, browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]"))
    shown = [li.get_attribute("id") for li in browser.find_elements(By.CSS_SELECTOR, "li.narrative")]
    assert shown == [f"n{ids[0]}"]
    shoot(browser, "narratives-by-code", tmp_path)
    # The page's narratives become a coding set, blind unless unticked.
    browser.find_element(By.CSS_SELECTOR, "details.make-set summary").click()
    browser.find_element(By.ID, "set-name").send_keys("Safe ones")
    click(browser, browser.find_element(By.XPATH, "//button[text()='Make a set of 1']"))
    assert heading(browser) == "Safe ones\nCoding set · blind · 1 narrative"
    assert [a.get_attribute("href").split("/dashboard")[1] for a in browser.find_elements(
        By.CSS_SELECTOR, ".set-narratives a")] == [f"/c/{c.id}/narratives/{ids[0]}/coding"]

    # The codebook counts it; removing one's own coding takes it off the page.
    go(browser, server, f"/c/{c.id}/codebook")
    safe = browser.find_element(By.XPATH, "//li[contains(@class,'code')][.//h3[text()='A safe space']]")
    assert "1 narrative coded" in safe.find_element(By.CSS_SELECTOR, ".counts").text
    shoot(browser, "codebook", tmp_path)

    # A code renamed in place; a code with a cycle becomes an indicator backed by its narratives.
    energy = browser.find_element(By.XPATH, "//li[contains(@class,'code')][.//h3[text()='Energy']]")
    energy.find_element(By.TAG_NAME, "summary").click()
    name = energy.find_element(By.NAME, "name")
    name.clear()
    name.send_keys("Energy and drive")
    click(browser, energy.find_element(By.XPATH, ".//button[text()='Save the code']"))
    assert "Energy and drive" in [h.text for h in browser.find_elements(By.CSS_SELECTOR, ".code h3")]
    safe = browser.find_element(By.XPATH, "//li[contains(@class,'code')][.//h3[text()='A safe space']]")
    safe.find_element(By.TAG_NAME, "summary").click()
    click(browser, safe.find_element(By.XPATH, ".//button[text()='Make an indicator of this code']"))
    made = await indicators.listing(bot.db, c.name)
    assert [(i.statement, i.cycle, i.narratives) for i in made] == [("A safe space", "immediate", 1)]
    go(browser, server, f"/c/{c.id}/narratives/{ids[0]}/coding")
    click(browser, browser.find_element(
        By.XPATH, "//ol[@class='codings']/li[strong[text()='Energy and drive']]"
                  "//form[@class='remove']/button"))
    assert codings(browser) == ["A safe space by AK", "Confidence by AK"]

    # Characters are counted as Python counts them, not as JavaScript does: an emoji is one.
    later = await seed.event(bot.db, c, "Second round")
    [smiled] = await _say(bot.db, 601, later, ["🙂 felt heard at last"])
    go(browser, server, f"/c/{c.id}/narratives/{smiled}/coding")
    select_words(browser, "felt heard")
    assert [browser.find_element(By.ID, f).get_attribute("value") for f in ("start", "end")] == [
        "2", "12"]
    code_with(browser, "A safe space", "passage")
    assert [m.text for m in browser.find_elements(By.CSS_SELECTOR, "#narrative-text mark")] == [
        "felt heard"]


async def test_two_coders_in_a_blind_set_see_only_their_own_until_each_marks_it_done(
        bot: Harness, server: DashboardServer, browser: Browser, tmp_path: Path) -> None:
    c, ids = await _community(bot.db)
    await coding.start_from_framework(bot.db, COMMAND_LINE, c.name)
    ann = browser
    ben = chromium(tmp_path / "ben", tmp_path)
    try:
        sign_in(ann, await link_for(bot.person(ANN)))
        sign_in(ben, await link_for(bot.person(BEN)))

        # Ann makes a set of four narratives by their numbers: blind unless she says otherwise.
        go(ann, server, f"/c/{c.id}/codebook")
        ann.find_element(By.XPATH, "//summary[text()='Make a coding set']").click()
        ann.find_element(By.ID, "set-name").send_keys("Pilot")
        ann.find_element(By.ID, "set-narratives").send_keys(", ".join(map(str, ids[:4])))
        assert ann.find_element(By.NAME, "blind").is_selected()
        click(ann, ann.find_element(By.XPATH, "//button[text()='Make the set']"))
        assert heading(ann) == "Pilot\nCoding set · blind · 4 narratives"
        pilot = next(s for s in await coding.sets(bot.db, COMMAND_LINE, c.name))

        # Ann codes two of the four as a safe space.
        go(ann, server, f"/c/{c.id}/sets/{pilot.id}")
        choose_label(ann, "AK")
        for nid in ids[:2]:
            go(ann, server, f"/c/{c.id}/sets/{pilot.id}")
            click(ann, ann.find_element(By.CSS_SELECTOR, f"a[href$='/narratives/{nid}/coding']"))
            code_with(ann, "A safe space", "whole")

        # Ben, in the same blind set, sees none of Ann's codings, then only his own.
        go(ben, server, f"/c/{c.id}/narratives/{ids[0]}/coding")
        choose_label(ben, "BL")
        assert "Blind coding: Pilot" in ben.find_element(By.CSS_SELECTOR, ".notice.blind").text
        assert codings(ben) == []
        code_with(ben, "A safe space", "whole")
        assert codings(ben) == ["A safe space by BL"]

        # Ann, not done yet, sees only hers; once she marks the set done she sees both.
        go(ann, server, f"/c/{c.id}/narratives/{ids[0]}/coding")
        assert codings(ann) == ["A safe space by AK"]
        go(ann, server, f"/c/{c.id}/sets/{pilot.id}")
        assert "You have opened 2 of 4 and coded 2" in ann.find_element(
            By.CSS_SELECTOR, ".progress").text
        shoot(ann, "coding-set", tmp_path)
        click(ann, ann.find_element(By.XPATH, "//button[text()='Mark this set done']"))
        go(ann, server, f"/c/{c.id}/narratives/{ids[0]}/coding")
        assert codings(ann) == ["A safe space by AK", "A safe space by BL"]
        go(ben, server, f"/c/{c.id}/narratives/{ids[0]}/coding")
        assert codings(ben) == ["A safe space by BL"]

        go(ben, server, f"/c/{c.id}/sets/{pilot.id}")
        click(ben, ben.find_element(By.XPATH, "//button[text()='Mark this set done']"))
        go(ben, server, f"/c/{c.id}/narratives/{ids[0]}/coding")
        assert codings(ben) == ["A safe space by AK", "A safe space by BL"]
    finally:
        ben.quit()

    # Agreement in the set, by hand: four units (both marked it done, so both saw all four);
    # Ann said yes to 1 and 2, Ben to 1: they agree on 3 of 4 (75%). Kappa: chance agreement
    # .5 x .25 + .5 x .75 = .5, so (.75 - .5) / .5 = .500. Alpha: of the 8 values, 3 yes and
    # 5 no; 2 of the 8 pairable values disagree, against 2 x 3 x 5 / (8 x 7) expected:
    # 1 - (2/8) / (30/56) = .533.
    go(ann, server, f"/c/{c.id}/agreement")
    Select(ann.find_element(By.ID, "set")).select_by_visible_text("Pilot")
    click(ann, ann.find_element(By.CSS_SELECTOR, "form.filters button"))
    row = ann.find_element(By.XPATH, "//tr[th[text()='A safe space']]")
    cells = [td.text for td in row.find_elements(By.TAG_NAME, "td")]
    assert cells == ["AK, BL", "4", "75.0%", "0.500", "0.533"]
    energy = ann.find_element(By.XPATH, "//tr[th[text()='Energy']]")
    assert [td.text for td in energy.find_elements(By.TAG_NAME, "td")] == [
        "AK, BL", "4", "100.0%", "—", "—"]
    assert "Units are the narratives every compared coder has seen" in ann.find_element(
        By.CSS_SELECTOR, "p.note").text
    shoot(ann, "agreement", tmp_path)


async def test_conveners_see_no_coding_tools_until_a_convener_lets_them_code(
        bot: Harness, server: DashboardServer, browser: Browser) -> None:
    c, ids = await _community(bot.db)
    sign_in(browser, await link_for(bot.person(CONVENER)))
    go(browser, server, f"/c/{c.id}/narratives")
    tabs = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "nav.tabs a")]
    assert "Coding" not in tabs
    assert browser.find_elements(By.CSS_SELECTOR, "a[href$='/coding']") == []
    assert browser.find_elements(By.ID, "code") == []
    for path in ("codebook", f"narratives/{ids[0]}/coding", "agreement"):
        go(browser, server, f"/c/{c.id}/{path}")
        assert heading(browser) == "Not found"

    go(browser, server, f"/c/{c.id}/narratives")
    click(browser, browser.find_element(By.XPATH, "//button[text()='Let conveners code']"))
    assert heading(browser).startswith("Codebook")
    click(browser, browser.find_element(By.LINK_TEXT, texts.DASHBOARD_TABS["narratives"]))
    click(browser, browser.find_element(By.CSS_SELECTOR, f"#n{ids[0]} a[href$='/coding']"))
    assert browser.find_element(By.ID, "label").get_attribute("required")

    go(browser, server, f"/c/{c.id}/codebook")
    click(browser, browser.find_element(By.XPATH, "//button[text()='Stop conveners coding']"))
    assert browser.find_elements(By.CSS_SELECTOR, "a[href$='/coding']") == []



async def test_a_passage_coded_in_another_tool_shows_on_its_narrative_after_the_import(
        bot: Harness, server: DashboardServer, browser: Browser, tmp_path: Path) -> None:
    """The round trip's last step, seen where researchers look: the code a tool added, on the
    words it coded, although that tool counted the passage in CRLF text."""
    from sqlalchemy import update

    from storage.models import Narrative
    from tests.cli.test_coding_round_trip import _as_another_tool
    from valuestory.usecases.exports import ExportFilter, ExportFormat, write_export
    from valuestory.usecases.exports.refiqda import guid

    c, ids = await _community(bot.db)
    text = "601 felt safe to ask a silly question\nand then\nleft with energy"
    async with bot.db.session() as session:
        await session.execute(update(Narrative).where(Narrative.id == ids[0]).values(text=text))
    first = tmp_path / "first.qdpx"
    await write_export(bot.db, ExportFormat.QDPX, first, ExportFilter())
    changed = tmp_path / "from-another-tool.qdpx"
    _as_another_tool(first, changed, text, guid("narrative", ids[0]))
    done = await coding.import_project(bot.db, COMMAND_LINE, c.name, changed)
    assert (done.codings_added, done.coders, done.unmatched) == (1, ["MQ"], [])

    sign_in(browser, await link_for(bot.person(ANN)))
    go(browser, server, f"/c/{c.id}/narratives/{ids[0]}/coding")
    choose_label(browser, "AK")
    assert codings(browser) == ["Energy by MQ"]
    assert [m.text for m in browser.find_elements(By.CSS_SELECTOR, "#narrative-text mark")] == [
        "energy"]
    # And the narratives filtered by the new code find it.
    click(browser, browser.find_element(By.LINK_TEXT, texts.DASHBOARD_TABS["narratives"]))
    Select(browser.find_element(By.ID, "code")).select_by_visible_text("Energy")
    click(browser, browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]"))
    assert [li.get_attribute("id") for li in browser.find_elements(
        By.CSS_SELECTOR, "li.narrative")] == [f"n{ids[0]}"]
