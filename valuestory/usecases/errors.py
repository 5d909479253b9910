"""The one kind of refusal a use case raises: something asked for that can't be done."""

from __future__ import annotations

from html import escape

from flows import i18n


class AdminError(ValueError):
    """Something an admin or convener asked for that can't be done, said plainly.

    Its message reads in English (the command line shows it as is); raised with a text of
    `flows.texts` and the values that fill it, `said(t)` reads it in the language of the texts `t`.
    """

    def __init__(self, text: str, **values: object) -> None:
        super().__init__(text.format(**values) if values else text)
        self.text, self.values = text, values

    def said(self, t: i18n.Texts) -> str:
        return t.gettext(self.text).format(**self.values) if self.values else t.gettext(self.text)

    def sentence(self, t: i18n.Texts) -> str:
        """As a reply: capitalised (without lowering a community's name), escaped, a full stop."""
        said = self.said(t)
        return escape(said[:1].upper() + said[1:]) + "."
