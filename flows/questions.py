"""The value-creation question sets: typed, frozen, loaded from YAML, in every language they have.

A question set is one base file (`default.yaml`) and, beside it, one file per language
(`default.es.yaml`) holding only texts, keyed by the ids of the base file. Invariant: structure
(ids, cycles, options, order, conditions) comes only from the base file, so a script reads the
same questions, asked in the same order, in every language; a text a translation lacks reads in the
base language, question by question and option by option. A file that cannot be read safely (bad
YAML, a placeholder its base text lacks) is refused at load with one line naming file and place.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from flows import i18n

log = logging.getLogger(__name__)

QUESTIONSETS_DIR = Path(__file__).parent / "questionsets"
DEFAULT_QUESTION_SET = "default"


class ValueCycle(StrEnum):
    """The five cycles of Wenger, Trayner & de Laat's Value Creation Framework."""

    IMMEDIATE = "immediate"
    POTENTIAL = "potential"
    APPLIED = "applied"
    REALISED = "realised"
    REFRAMING = "reframing"


class Capital(StrEnum):
    """The kinds of knowledge capital that make up potential value."""

    HUMAN = "human"
    SOCIAL = "social"
    TANGIBLE = "tangible"
    REPUTATIONAL = "reputational"
    LEARNING = "learning"


class PromptKind(StrEnum):
    """When a member is asked: right after an event, or in one of the follow-ups."""

    POST_EVENT = "post_event"
    FOLLOWUP_APPLIED = "followup_applied"
    FOLLOWUP_REFRAMING = "followup_reframing"


class QuestionKind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    MULTI = "multi"


class QuestionSetError(ValueError):
    """A question set file that cannot be used, with what to fix."""


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    capital: Capital | None = None
    # A chosen option that ends the script records this outcome (e.g. "not_attended").
    ends: str | None = None


@dataclass(frozen=True)
class Condition:
    """Ask a question only when an earlier choice included an option."""

    question_id: str
    option_id: str


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    kind: QuestionKind = QuestionKind.TEXT
    cycle: ValueCycle | None = None
    capital: Capital | None = None
    intended: bool = False
    skippable: bool = True
    label: str = ""
    options: tuple[Option, ...] = ()
    ask_if: Condition | None = None

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True)
class Script:
    """The questions of one prompt kind, in order."""

    kind: PromptKind
    intro: str
    minutes: int
    questions: tuple[Question, ...]
    _by_id: Mapping[str, Question] = field(default_factory=dict, compare=False, repr=False)
    # The member's language, when the script was asked for in one; None reads as it always has.
    language: str | None = None

    def question(self, question_id: str) -> Question | None:
        return self._by_id.get(question_id)


@dataclass(frozen=True)
class QuestionSet:
    id: str
    version: int
    scripts: Mapping[PromptKind, Script]
    language: str = i18n.BASE_LANGUAGE  # the language of the base file's texts
    # language -> kind -> the script with that language's texts, already merged over the base.
    translated: Mapping[str, Mapping[PromptKind, Script]] = field(default_factory=dict, repr=False)

    def script(self, kind: PromptKind, language: str | None = None) -> Script:
        """The script of `kind`; in `language` (any code, e.g. Telegram's) where it is translated."""
        if language is None:
            return self.scripts[kind]
        lang = i18n.pick(language)
        merged = self.translated.get(lang, {}).get(kind, self.scripts[kind])
        return replace(merged, language=lang)

    @property
    def languages(self) -> tuple[str, ...]:
        return (self.language, *sorted(self.translated))


def _question(raw: Mapping[str, Any], where: str) -> Question:
    try:
        qid = str(raw["id"])
        text = str(raw["text"]).strip()
    except KeyError as missing:
        raise QuestionSetError(f"{where}: every question needs {missing.args[0]!r}") from None
    kind = QuestionKind(raw.get("kind", "text"))
    cycle = ValueCycle(raw["cycle"]) if raw.get("cycle") else None
    capital = Capital(raw["capital"]) if raw.get("capital") else None
    if capital and cycle is not ValueCycle.POTENTIAL:
        raise QuestionSetError(f"{where}: question {qid!r} has a capital but is not potential value")
    if kind is QuestionKind.TEXT and cycle is None:
        raise QuestionSetError(f"{where}: text question {qid!r} needs a cycle")
    options = tuple(
        Option(
            id=str(o["id"]),
            label=str(o["label"]),
            capital=Capital(o["capital"]) if o.get("capital") else None,
            ends=o.get("ends"),
        )
        for o in raw.get("options", ())
    )
    if kind is not QuestionKind.TEXT and not options:
        raise QuestionSetError(f"{where}: question {qid!r} is a {kind} but has no options")
    ask_if = None
    if raw.get("ask_if"):
        cond = raw["ask_if"]
        ask_if = Condition(str(cond["question"]), str(cond["option"]))
    return Question(
        id=qid,
        text=text,
        kind=kind,
        cycle=cycle,
        capital=capital,
        intended=bool(raw.get("intended", False)),
        skippable=bool(raw.get("skippable", True)),
        label=str(raw.get("label", qid)),
        options=options,
        ask_if=ask_if,
    )


def parse_question_set(data: Mapping[str, Any], where: str = "question set") -> QuestionSet:
    """Build a QuestionSet from parsed YAML, checking what the engine relies on."""
    scripts: dict[PromptKind, Script] = {}
    for kind_name, raw_script in (data.get("scripts") or {}).items():
        kind = PromptKind(kind_name)
        questions = tuple(_question(q, f"{where} [{kind_name}]") for q in raw_script["questions"])
        by_id = {q.id: q for q in questions}
        if len(by_id) != len(questions):
            raise QuestionSetError(f"{where} [{kind_name}]: question ids must be unique")
        for q in questions:
            if q.ask_if and q.ask_if.question_id not in by_id:
                raise QuestionSetError(
                    f"{where}: {q.id!r} depends on unknown question {q.ask_if.question_id!r}"
                )
        scripts[kind] = Script(
            kind=kind,
            intro=str(raw_script.get("intro", "")).strip(),
            minutes=int(raw_script.get("minutes", 5)),
            questions=questions,
            _by_id=by_id,
        )
    missing = [k.value for k in PromptKind if k not in scripts]
    if missing:
        raise QuestionSetError(f"{where}: missing scripts {', '.join(missing)}")
    return QuestionSet(id=str(data.get("id", "default")), version=int(data.get("version", 1)),
                       scripts=scripts, language=str(data.get("language", i18n.BASE_LANGUAGE)))


# --- Translations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TranslationReport:
    """What one language's file lacks (and holds for nothing) compared with its base file."""

    language: str
    file: str
    missing: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.missing


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = err.problem or err.context or "not valid YAML"
        start = err.context_mark
        if err.context and err.problem and start and mark and start.line != mark.line:
            # Where the unclosed quote or bracket began is usually where the mistake is.
            problem += f" ({err.context} from line {start.line + 1}, column {start.column + 1})"
        raise QuestionSetError(f"{path.name}: {where}{problem}") from None
    except yaml.YAMLError as err:
        raise QuestionSetError(f"{path.name}: not valid YAML ({err})") from None


def _placeholders(text: str, where: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as err:
        raise QuestionSetError(f"{where}: {err} (write a literal brace as {{{{ or }}}})") from None


def _texts_of(script: Script) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """(where, base text, path in a translation file) for every translatable text of a script."""
    yield "intro", script.intro, ("intro",)
    for q in script.questions:
        yield f"question {q.id!r}", q.text, ("questions", q.id, "text")
        yield f"question {q.id!r} label", q.label, ("questions", q.id, "label")
        for o in q.options:
            yield f"question {q.id!r} option {o.id!r}", o.label, ("questions", q.id, "options", o.id)


def _lookup(raw: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(raw, Mapping):
            return None
        raw = raw.get(key)
    return raw


def _known_paths(base: QuestionSet) -> set[tuple[str, ...]]:
    return {(kind.value, *path) for kind, script in base.scripts.items()
            for _, _, path in _texts_of(script)}


def _unknown(raw: Any, known: set[tuple[str, ...]], prefix: tuple[str, ...] = ()) -> Iterator[str]:
    """Every text in a translation file that no base text has an id for (a typo, a removed question)."""
    if isinstance(raw, Mapping):
        for key, value in raw.items():
            path = (*prefix, str(key))
            if path in known:
                continue
            if any(k[: len(path)] == path for k in known):
                yield from _unknown(value, known, path)
            else:
                yield " ".join(path)


def _translate(base: QuestionSet, raw: Any, file: str) -> tuple[dict[PromptKind, Script], list[str]]:
    """The base scripts with a translation file's texts laid over them, and what it lacks."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping) or not isinstance(raw.get("scripts", {}), Mapping):
        raise QuestionSetError(f"{file}: expected 'scripts:' with one section per prompt kind")
    missing: list[str] = []
    merged: dict[PromptKind, Script] = {}
    for kind, script in base.scripts.items():
        raw_script = (raw.get("scripts") or {}).get(kind.value)
        found: dict[tuple[str, ...], str] = {}
        for where, text, path in _texts_of(script):
            value = _lookup(raw_script, path)
            if value is None or (isinstance(value, str) and not value.strip()):
                if text:
                    missing.append(f"{kind.value} {where}")
                continue
            if not isinstance(value, str):
                raise QuestionSetError(f"{file} [{kind.value}] {where}: expected text, got {value!r}")
            place = f"{file} [{kind.value}] {where}"
            extra = _placeholders(value, place) - _placeholders(text, place)
            if extra:
                names = ", ".join("{" + name + "}" for name in sorted(extra))
                raise QuestionSetError(f"{place}: placeholder {names} is not in the base text")
            found[path] = value.strip()
        questions = tuple(
            replace(q,
                    text=found.get(("questions", q.id, "text"), q.text),
                    label=found.get(("questions", q.id, "label"), q.label),
                    options=tuple(replace(o, label=found.get(("questions", q.id, "options", o.id),
                                                             o.label))
                                  for o in q.options))
            for q in script.questions
        )
        merged[kind] = replace(script, intro=found.get(("intro",), script.intro), questions=questions,
                               _by_id={q.id: q for q in questions})
    return merged, missing


def _translation_files(path: Path) -> dict[str, Path]:
    """The language files beside a base file: `default.es.yaml` beside `default.yaml`."""
    found: dict[str, Path] = {}
    for sibling in sorted(path.parent.glob(f"{path.stem}.*{path.suffix}")):
        language = sibling.name[len(path.stem) + 1: -len(path.suffix)]
        if language and "." not in language:
            found[language] = sibling
    return found


def _resolve(name_or_path: str) -> Path:
    path = Path(name_or_path)
    if not path.suffix:
        path = QUESTIONSETS_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        raise QuestionSetError(f"no question set at {path}")
    return path


def _load(path: Path) -> tuple[QuestionSet, dict[str, TranslationReport]]:
    data = _read_yaml(path)
    if not isinstance(data, Mapping):
        raise QuestionSetError(f"{path.name}: expected a question set (id, version, scripts)")
    base = parse_question_set(data, where=path.name)
    known = _known_paths(base)
    translated: dict[str, Mapping[PromptKind, Script]] = {}
    reports: dict[str, TranslationReport] = {}
    for language, file in _translation_files(path).items():
        raw = _read_yaml(file)
        declared = raw.get("language") if isinstance(raw, Mapping) else None
        if declared is not None and str(declared) != language:
            raise QuestionSetError(f"{file.name}: says language {declared!r} but is named for {language!r}")
        merged, missing = _translate(base, raw, file.name)
        unknown = tuple(_unknown((raw or {}).get("scripts"), known))
        if unknown:
            log.warning("%s: no question in %s for %s", file.name, path.name, "; ".join(unknown))
        supported = i18n.normalise(language) or language
        translated[supported] = merged
        reports[supported] = TranslationReport(supported, file.name, tuple(missing), unknown)
    return replace(base, translated=translated), reports


@cache
def load_question_set(name_or_path: str = DEFAULT_QUESTION_SET) -> QuestionSet:
    """Load a bundled question set by name, or any YAML file by path, with its translations."""
    return _load(_resolve(name_or_path))[0]


def check_translations(name_or_path: str | Path) -> dict[str, TranslationReport]:
    """For each language file of a question set, what it still lacks; a file that cannot load raises.

    Given a language file (`default.es.yaml`) rather than the base file, only that language.
    """
    path = Path(name_or_path)
    if path.suffix and path.is_file():
        stem = path.stem.rpartition(".")[0]
        base = path.with_name(f"{stem}{path.suffix}")
        if stem and base.is_file():
            return {lang: report for lang, report in _load(base)[1].items() if report.file == path.name}
    return _load(_resolve(str(name_or_path)))[1]
