"""The value-creation question sets: typed, frozen, loaded from YAML."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import yaml

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

    def question(self, question_id: str) -> Question | None:
        return self._by_id.get(question_id)


@dataclass(frozen=True)
class QuestionSet:
    id: str
    version: int
    scripts: Mapping[PromptKind, Script]

    def script(self, kind: PromptKind) -> Script:
        return self.scripts[kind]


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
                       scripts=scripts)


@cache
def load_question_set(name_or_path: str = DEFAULT_QUESTION_SET) -> QuestionSet:
    """Load a bundled question set by name, or any YAML file by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = QUESTIONSETS_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        raise QuestionSetError(f"no question set at {path}")
    with path.open(encoding="utf-8") as fh:
        return parse_question_set(yaml.safe_load(fh), where=path.name)
