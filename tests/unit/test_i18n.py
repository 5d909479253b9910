"""Every member in their own language: the catalogs, plurals, isolation, and translated question sets."""

from __future__ import annotations

import html
import re
import shutil
import tomllib
from collections import Counter
from fnmatch import fnmatch
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from flows import engine, i18n, texts
from flows.engine import Begin, Context, Next, Progress, Text
from flows.questions import (
    QUESTIONSETS_DIR,
    PromptKind,
    QuestionSetError,
    check_translations,
    load_question_set,
)

ROOT = Path(__file__).resolve().parents[2]
POT = i18n.LOCALE_DIR / "valuestory.pot"
TRANSLATED = [lang for lang in i18n.languages() if lang != i18n.BASE_LANGUAGE]
# The HTML Telegram understands; "<telegram user id>" in a usage line is text, escaped by its sender.
TAG = re.compile(r"</?(?:b|strong|i|em|u|ins|s|strike|del|code|pre|a|span|tg-spoiler|blockquote)\b[^>]*>")
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _catalog(language: str) -> Catalog:
    with i18n.catalog_path(language).open("rb") as fh:
        return read_po(fh, locale=language)


def _messages(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


class _TagBalance(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.problems.append(f"</{tag}> closes nothing open")


def assert_valid_telegram_html(text: str) -> None:
    parser = _TagBalance()
    parser.feed(text)
    parser.close()
    assert not parser.problems and not parser.open, (parser.problems, parser.open, text)
    assert text.count(i18n.FSI) == text.count(i18n.PDI), text
    # An isolate never straddles a tag: between FSI and its PDI there is no markup.
    for inside in re.findall(f"{i18n.FSI}(.*?){i18n.PDI}", text, flags=re.S):
        assert "<" not in inside and ">" not in inside, inside


# --- The catalogs -----------------------------------------------------------------------------


def test_spanish_polish_and_arabic_are_shipped_and_discovered_from_the_catalogs() -> None:
    assert i18n.languages()[0] == "en"
    assert {"es", "pl", "ar"} <= set(i18n.languages())


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_catalog_translates_every_text_with_nothing_fuzzy(language: str) -> None:
    catalog = _catalog(language)
    with POT.open("rb") as fh:
        template = read_po(fh)
    assert {m.id for m in _messages(catalog)} == {m.id for m in _messages(template)}
    for m in _messages(catalog):
        forms = m.string if isinstance(m.string, tuple) else (m.string,)
        assert all(form.strip() for form in forms), m.id
        assert not m.fuzzy, m.id
        if isinstance(m.id, tuple):
            assert len(forms) == catalog.num_plurals, m.id


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_catalog_header_says_it_is_machine_assisted_and_asks_for_review(language: str) -> None:
    header = _catalog(language).header_comment
    assert "machine-assisted" in header and "Review is welcome" in header


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_translation_keeps_the_placeholders_and_html_tags_of_its_source(language: str) -> None:
    for m in _messages(_catalog(language)):
        if isinstance(m.id, tuple):
            source = m.id[1]
            # Arabic writes one and two as words ("دقيقتان"), so a form may leave {count} out,
            # but no form may bring a placeholder or a tag of its own.
            for form in m.string:
                assert set(PLACEHOLDER.findall(form)) <= set(PLACEHOLDER.findall(source)), form
                assert Counter(TAG.findall(form)) == Counter(TAG.findall(source)), form
            assert PLACEHOLDER.findall(m.string[-1]) == PLACEHOLDER.findall(source), m.id
        else:
            assert Counter(PLACEHOLDER.findall(m.string)) == Counter(PLACEHOLDER.findall(m.id)), m.id
            assert Counter(TAG.findall(m.string)) == Counter(TAG.findall(m.id)), m.id


def _marked_texts(value: object) -> list[str]:
    if isinstance(value, i18n.Composed):
        return [part for part in value.parts if part.strip()]
    if isinstance(value, str):
        return [value]
    if isinstance(value, i18n.Plural):
        return [value.singular]
    if isinstance(value, dict):
        return [t for item in value.values() for t in _marked_texts(item)]
    if isinstance(value, list | tuple):
        return [t for item in value for t in _marked_texts(item)]
    return []


def test_every_text_the_bot_says_is_in_the_template() -> None:
    with POT.open("rb") as fh:
        ids = {m.id[0] if isinstance(m.id, tuple) else m.id for m in _messages(read_po(fh))}
    unmarked = [(name, t) for name in dir(texts) if name.isupper()
                for t in _marked_texts(getattr(texts, name)) if t not in ids]
    assert not unmarked


def test_extracting_again_finds_nothing_the_template_lacks(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's `pybabel extract` command, run again, yields exactly the committed template."""
    monkeypatch.chdir(ROOT)
    fresh = tmp_path / "fresh.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", "babel.cfg", "-k", "N_", "-k", "N_P:1,2",
                                "--no-location", "--add-comments=TRANSLATORS:", "-o", str(fresh), "."])
    with fresh.open("rb") as fh:
        extracted = {m.id for m in _messages(read_po(fh))}
    with POT.open("rb") as fh:
        committed = {m.id for m in _messages(read_po(fh))}
    assert extracted - committed == set(), "run the three pybabel steps in the README"
    assert committed - extracted == set(), "the template holds texts the code no longer has"


# --- Reading texts in a language --------------------------------------------------------------


def test_english_reads_exactly_as_the_module_does() -> None:
    english = texts.In("en")
    for name in dir(texts):
        if name.isupper() and name not in ("COUNTS", "WORDING"):  # WORDING: a table of texts
            assert getattr(english, name) == getattr(texts, name), name
    assert texts.plural(1, "story") == english.plural(1, "story") == "1 story"
    assert texts.plural(2, "story") == english.plural(2, "story") == "2 stories"
    assert texts.plural(0, "minute") == "0 minutes"


def test_a_view_translates_dicts_lists_and_composed_texts_element_by_element() -> None:
    spanish = texts.In("es")
    assert spanish.CYCLE_NAMES["applied"] == "Valor aplicado"
    assert spanish.WEEKDAYS[0] == "lunes" and len(spanish.WEEKDAYS) == 7
    assert spanish.NOT_SUPPORTED.keys() == texts.NOT_SUPPORTED.keys()
    assert spanish.PARTICIPANT_INFO.startswith("<b>Unirte a {community}</b>\n\n")
    assert spanish.PARTICIPANT_BODY in spanish.PARTICIPANT_INFO
    assert spanish.PARTICIPANT_BODY in spanish.PRIVACY
    assert spanish.EXPORT_BAD == "{problem}. " + spanish.EXPORT_USAGE


@pytest.mark.parametrize(("count", "expected"), [
    (1, "1 minuta"), (2, "2 minuty"), (4, "4 minuty"), (5, "5 minut"), (12, "12 minut"),
    (22, "22 minuty"), (25, "25 minut"), (112, "112 minut"),
])
def test_polish_counts_take_the_form_for_one_two_to_four_and_five_or_more(count: int, expected: str) -> None:
    assert texts.In("pl").plural(count, "minute") == expected


def test_polish_story_counts_for_1_2_5_22() -> None:
    polish = texts.In("pl")
    assert [polish.plural(n, "story") for n in (1, 2, 5, 22)] == [
        "1 historia", "2 historie", "5 historii", "22 historie"]


def test_arabic_counts_use_all_six_forms() -> None:
    arabic = texts.In("ar")
    forms = [arabic.plural(n, "minute") for n in (0, 1, 2, 3, 11, 100)]
    assert forms == ["0 دقيقة", "دقيقة واحدة", "دقيقتان", "3 دقائق", "11 دقيقة", "100 دقيقة"]
    assert i18n.ngettext("ar", "{count} minute", "{count} minutes", 2) == "دقيقتان"


def test_spanish_counts_are_singular_only_for_one() -> None:
    assert [texts.In("es").plural(n, "answer") for n in (0, 1, 2)] == [
        "0 respuestas", "1 respuesta", "2 respuestas"]


@pytest.mark.parametrize(("code", "language"), [
    ("es-419", "es"), ("es", "es"), ("ES_es", "es"), ("pl-PL", "pl"), ("ar-EG", "ar"), ("en-GB", "en"),
    ("pt-br", None), ("zz", None), ("", None), ("   ", None), (None, None),
])
def test_telegram_language_codes_come_down_to_a_supported_language_or_none(code: str | None,
                                                                          language: str | None) -> None:
    assert i18n.normalise(code) == language


def test_an_unknown_language_reads_english() -> None:
    for code in ("pt-br", "klingon", None, ""):
        view = texts.In(code)
        assert view.language == "en"
        assert view.HELP == texts.HELP and view.plural(3, "event") == "3 events"
    assert i18n.pick(None, "pt-br", "pl") == "pl"
    assert i18n.pick("xx") == "en"


# --- Right to left ----------------------------------------------------------------------------


def test_isolate_wraps_a_value_and_drops_stray_direction_marks() -> None:
    assert texts.isolate("Winter") == "\u2068Winter\u2069"
    assert i18n.isolate("a\u2069b\u202ec") == "\u2068abc\u2069"
    assert i18n.direction("ar") == "rtl" and i18n.direction("pl") == "ltr"


@pytest.mark.parametrize("name", ["JOINED", "PARTICIPANT_INFO", "EVENT_CONFIRM", "CANCEL_CONFIRM",
                                  "MATRIX_EXCERPT", "EVENT_LINE_CANCELLED", "REVISE", "WITHDRAWN_ONE"])
def test_arabic_sentences_with_isolated_values_stay_valid_telegram_html(name: str) -> None:
    arabic = texts.In("ar")
    template = getattr(arabic, name)
    values = {field: texts.isolate(html.escape("Winter <b>session</b> & «نقاش» 2026"))
              for field in PLACEHOLDER.findall(template)}
    filled = template.format(**values)
    assert_valid_telegram_html(filled)
    assert filled.count(i18n.FSI) == len(PLACEHOLDER.findall(template))


def test_the_engine_in_arabic_isolates_the_title_and_answers_and_keeps_html_valid() -> None:
    script = load_question_set().script(PromptKind.POST_EVENT, language="ar")
    ctx = Context(event="Winter <Session> & Co")
    step = engine.step(script, Progress(), Begin(), ctx)
    first = step.replies[0].text
    assert f"{i18n.FSI}Winter &lt;Session&gt; &amp; Co{i18n.PDI}" in first
    assert "هل شاركت في" in first
    assert_valid_telegram_html(first)
    p = engine.step(script, step.progress, engine.Choose("attended", "yes"), ctx).progress
    p = engine.step(script, p, Text("<i>لحظة</i> mattered"), ctx).progress
    p = engine.step(script, p, engine.Back(), ctx).progress
    p = engine.step(script, p, Next(), ctx).progress
    revised = engine.step(script, p, Next(), ctx).replies[0].text
    assert_valid_telegram_html(revised)
    buttons = [b.label for row in engine.step(script, p, Next(), ctx).replies[0].buttons for b in row]
    assert "تخطٍّ" in buttons or "التالي" in buttons


def test_a_script_without_a_language_reads_exactly_as_before() -> None:
    script = load_question_set().script(PromptKind.POST_EVENT)
    text = engine.step(script, Progress(), Begin(), Context(event="Winter")).replies[0].text
    assert script.language is None and i18n.FSI not in text
    assert "Did you take part in Winter?" in text
    assert "About 5 minutes." in text


# --- Question sets in a language --------------------------------------------------------------


def test_the_default_question_set_is_fully_translated() -> None:
    reports = check_translations("default")
    assert set(reports) == {"es", "pl", "ar"}
    for report in reports.values():
        assert report.complete and not report.unknown, report


def test_a_translated_script_keeps_the_structure_of_the_base() -> None:
    qs = load_question_set()
    for kind in PromptKind:
        base = qs.script(kind)
        for language in ("es", "pl", "ar"):
            translated = qs.script(kind, language=language)
            assert translated.language == language
            assert [(q.id, q.cycle, q.capital, q.kind, q.ask_if) for q in translated.questions] == [
                (q.id, q.cycle, q.capital, q.kind, q.ask_if) for q in base.questions]
            assert translated.minutes == base.minutes
            assert [q.text for q in translated.questions] != [q.text for q in base.questions]


def test_a_script_asked_for_in_a_regional_code_or_unknown_language_falls_back() -> None:
    qs = load_question_set()
    assert qs.script(PromptKind.POST_EVENT, language="es-419").intro.startswith("Unas preguntas")
    english = qs.script(PromptKind.POST_EVENT, language="pt-br")
    assert english.language == "en" and english.intro == qs.script(PromptKind.POST_EVENT).intro


def _question_set(tmp_path: Path, translation: str, language: str = "es") -> Path:
    base = tmp_path / "mine.yaml"
    shutil.copy(QUESTIONSETS_DIR / "default.yaml", base)
    (tmp_path / f"mine.{language}.yaml").write_text(translation, encoding="utf-8")
    return base


def test_a_missing_translation_falls_back_question_by_question_and_option_by_option(tmp_path: Path) -> None:
    base = _question_set(tmp_path, """
scripts:
  post_event:
    questions:
      attended:
        text: "¿Participaste en {event}?"
        options:
          "yes": "Sí, estuve allí"
      immediate.moment:
        label: Lo que importó
      no.such.question:
        text: "¿Hola?"
""")
    qs = load_question_set(str(base))
    script = qs.script(PromptKind.POST_EVENT, language="es")
    attended = script.questions[0]
    assert attended.text == "¿Participaste en {event}?"
    assert [o.label for o in attended.options] == ["Sí, estuve allí", "No, I missed it"]
    assert attended.label == "Attended"
    moment = script.question("immediate.moment")
    assert moment is not None and moment.label == "Lo que importó"
    assert moment.text.startswith("What happened at {event}")
    assert script.intro.startswith("A few questions about {event}")
    followup = qs.script(PromptKind.FOLLOWUP_APPLIED, language="es")
    assert followup.questions[0].text.startswith("After {event}")

    report = check_translations(base)["es"]
    assert not report.complete
    assert "post_event intro" in report.missing
    assert "post_event question 'attended' option 'no'" in report.missing
    assert "post_event question 'attended' label" in report.missing
    assert report.unknown == ("post_event questions no.such.question",)
    assert check_translations(tmp_path / "mine.es.yaml") == {"es": report}


def test_a_translation_with_a_yaml_error_is_refused_naming_file_line_and_column(tmp_path: Path) -> None:
    base = _question_set(tmp_path, 'scripts:\n  post_event:\n    intro: "unclosed\n    questions: {}\n')
    with pytest.raises(QuestionSetError) as err:
        load_question_set(str(base))
    message = str(err.value)
    assert message.startswith("mine.es.yaml: line ") and ", column " in message
    assert "\n" not in message


def test_a_translation_with_a_placeholder_its_base_lacks_is_refused_naming_it(tmp_path: Path) -> None:
    base = _question_set(tmp_path, """
scripts:
  post_event:
    questions:
      immediate.experience:
        text: "¿Cómo fue participar en {evento}?"
""")
    with pytest.raises(QuestionSetError) as err:
        load_question_set(str(base))
    message = str(err.value)
    assert "mine.es.yaml" in message and "'immediate.experience'" in message and "{evento}" in message
    assert "\n" not in message


def test_aspiration_is_refused_where_the_base_text_does_not_have_it(tmp_path: Path) -> None:
    base = _question_set(tmp_path, """
scripts:
  followup_reframing:
    intro: "Hace tres meses dijiste {aspiration}."
""")
    refused = r"mine\.es\.yaml \[followup_reframing\] intro.*\{aspiration\}"
    with pytest.raises(QuestionSetError, match=refused):
        load_question_set(str(base))


def test_a_base_file_with_a_yaml_error_is_refused_in_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: broken\nscripts:\n  post_event:\n    intro: [oops\n", encoding="utf-8")
    with pytest.raises(QuestionSetError) as err:
        load_question_set(str(broken))
    message = str(err.value)
    assert re.fullmatch(r"broken\.yaml: line \d+, column \d+: .+", message), message


# --- Installed, not only in a checkout --------------------------------------------------------


def test_the_package_data_ships_every_catalog_and_question_set_translation() -> None:
    """What pyproject lists is what a plain `pip install .` copies; nothing under locale/ is left out."""
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"]["setuptools"]["package-data"]["flows"]
    flows = ROOT / "flows"
    shipped = [p.relative_to(flows).as_posix() for folder in ("locale", "questionsets")
               for p in (flows / folder).rglob("*")
               if p.is_file() and p.suffix != ".mo" and not p.name.startswith(".")]
    assert any(name.endswith("ar/LC_MESSAGES/valuestory.po") for name in shipped)
    assert "questionsets/default.es.yaml" in shipped
    left_out = [name for name in shipped if not any(fnmatch(name, glob) for glob in globs)]
    assert not left_out
