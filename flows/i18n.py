"""The languages the bot speaks, and how a text reaches a member in theirs.

Invariant: every text is written once, in English, in `flows/texts.py` (or a question set), and
reaches another language only through the gettext catalogs under `flows/locale`, read straight from
their `.po` files. Whatever a catalog lacks (a missing, empty or fuzzy entry, an unknown language)
reads in English: a member may see English, never an error, an empty message or a broken placeholder.
Counts go through each catalog's own plural rules, and values a person typed are isolated with
FSI...PDI so that a sentence in one direction keeps its order around a title in the other.
"""

from __future__ import annotations

import gettext
import logging
import re
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from functools import cache
from io import BytesIO
from pathlib import Path
from types import ModuleType
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

log = logging.getLogger(__name__)

BASE_LANGUAGE = "en"
# Which front end the texts are said in. Telegram's words ("tap Next") are the default; a front
# end with its own wording for some texts (a module's `WORDING[front_end]` table, through the
# same catalogs) sets this for as long as it speaks, e.g. the terminal of `valuestory try`.
FRONT_END: ContextVar[str] = ContextVar("front_end", default="telegram")
DOMAIN = "valuestory"
LOCALE_DIR = Path(__file__).parent / "locale"
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})

FSI = "\u2068"  # FIRST STRONG ISOLATE: the value takes the direction of its own first letter
PDI = "\u2069"  # POP DIRECTIONAL ISOLATE
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")

_ENGLISH = gettext.NullTranslations()


def N_(message: str) -> str:
    """Mark a text for the catalog; it stays English here and is translated where it is read."""
    return message


@dataclass(frozen=True)
class Plural:
    """A count with its noun, `{count}` in both forms; calling it picks the language's form."""

    singular: str
    plural: str
    ngettext: Callable[[str, str, int], str] = field(default=_ENGLISH.ngettext, compare=False,
                                                     repr=False)

    def __call__(self, count: int) -> str:
        return self.ngettext(self.singular, self.plural, count).format(count=count)


def N_P(singular: str, plural: str) -> Plural:
    """Mark a singular/plural pair for the catalog (as `ngettext` would, without translating)."""
    return Plural(singular, plural)


class Composed(str):
    """A text joined from other texts, so that each language joins its own translations of them."""

    parts: tuple[str, ...]

    def __new__(cls, *parts: str) -> Composed:
        self = super().__new__(cls, "".join(parts))
        self.parts = parts
        return self


def isolate(value: object) -> str:
    """A person's value (title, pseudonym, community, answer) as one unit inside any sentence.

    Applied whatever the language: a left-to-right sentence around an Arabic title misorders as
    much as the reverse, FSI lets the client find the value's own direction, and Telegram shows
    neither mark. Stray isolate and embedding marks in the value are dropped so the pair balances.
    """
    return f"{FSI}{_BIDI_CONTROLS.sub('', str(value))}{PDI}"


@cache
def languages() -> tuple[str, ...]:
    """Every language with a catalog, English first."""
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return (BASE_LANGUAGE, *[lang for lang in found if lang != BASE_LANGUAGE])


def normalise(code: str | None) -> str | None:
    """The supported language for a code like Telegram's "es-419" or "pt-br"; None if there is none."""
    if not code or not code.strip():
        return None
    parts = code.strip().replace("_", "-").lower().split("-")
    supported = {lang.lower(): lang for lang in languages()}
    for candidate in ("_".join(parts[:2]), parts[0]):
        if candidate in supported:
            return supported[candidate]
    return None


def pick(*codes: str | None) -> str:
    """The first of `codes` the bot speaks (a member's choice, Telegram's, the community's), or English."""
    for code in codes:
        language = normalise(code)
        if language:
            return language
    return BASE_LANGUAGE


@cache
def display_name(language: str) -> str:
    """A language's name in itself ("Español", "Polski", "العربية"), for buttons that offer it."""
    try:
        name = Locale.parse(language).get_display_name(language) or language
    except (ValueError, UnknownLocaleError):
        return language
    return name[:1].upper() + name[1:]


def direction(language: str) -> str:
    """Whether a language reads "rtl" or "ltr", for front ends that lay text out (a picture, a page)."""
    return "rtl" if language.split("_")[0] in RTL_LANGUAGES else "ltr"


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalog of a supported language, compiled in memory from its `.po` file; English otherwise."""
    path = catalog_path(language)
    if language == BASE_LANGUAGE or not path.is_file():
        return _ENGLISH
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=language, domain=DOMAIN)
    for message in list(catalog):
        # An entry with any empty plural form would print nothing; English is better than that.
        if message.id and isinstance(message.string, tuple) and not all(message.string):
            del catalog[message.id]
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def ngettext(language: str, singular: str, plural: str, count: int) -> str:
    """`singular` or `plural` (or the language's own form) for `count`, by the catalog's rules."""
    return translations(language).ngettext(singular, plural, count)


class Texts:
    """A module of marked texts seen in one language: `view.NAME` is the module's NAME translated.

    Strings are looked up in the catalog, `Composed` texts are rejoined from translated parts,
    dicts, lists and tuples are translated element by element, and a `Plural` answers in the
    language's forms. `view.plural(n, word)` uses the module's `COUNTS`.
    """

    def __init__(self, module: ModuleType, language: str) -> None:
        self.language = language
        self.direction = direction(language)
        self._module = module
        self._catalog = translations(language)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        wording: dict[str, dict[str, Any]] = getattr(self._module, "WORDING", {})
        if any(name in table for table in wording.values()):
            # Said differently by some front end: looked up afresh each time, never kept.
            own = wording.get(FRONT_END.get(), {})
            return self.translate(own[name] if name in own else getattr(self._module, name))
        value = self.translate(getattr(self._module, name))
        setattr(self, name, value)  # looked up once per view
        return value

    def gettext(self, message: str) -> str:
        return self._catalog.gettext(message) if message else message

    def translate(self, value: Any) -> Any:
        """`value` in this language: a text, a Plural, or a container of them; anything else as is."""
        if isinstance(value, Composed):
            return "".join(self.translate(part) for part in value.parts)
        if isinstance(value, str):
            return self.gettext(value)
        if isinstance(value, Plural):
            return replace(value, ngettext=self._catalog.ngettext)
        if isinstance(value, dict):
            return {key: self.translate(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.translate(item) for item in value)
        return value

    def plural(self, count: int, word: str) -> str:
        """'1 historia', '5 historii': a count with its noun, in this language's forms."""
        counts: dict[str, Plural] = self.COUNTS
        return counts[word](count)

    isolate = staticmethod(isolate)
