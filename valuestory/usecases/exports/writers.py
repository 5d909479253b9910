"""Writers for CSV, XLSX and JSON Lines: one row in, one record out, nothing kept between rows."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Final, Protocol

from valuestory.usecases.exports.shape import (
    CODES_SEPARATOR,
    COLUMNS,
    SPOKEN,
    CommentRow,
    ExportRow,
)


class Writer(Protocol):
    by_member: bool
    # The next batch's code names by narrative (none: not coded), set before each write.
    codes: dict[int, tuple[str, ...]]

    def write(self, rows: list[ExportRow]) -> None: ...

    def comments(self, rows: list[CommentRow]) -> None:
        """The members' check's sentences, after the narratives (`shape.CommentRow`)."""

    def close(self) -> None: ...


_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
_N = len(COLUMNS) - 1  # a row's cells: every column but codes


def neutralise(cell: str) -> str:
    """Stop a spreadsheet reading a cell as a formula: a leading apostrophe, as Excel itself uses."""
    return "'" + cell if cell.startswith(_DANGEROUS) else cell


def _cell(text: str) -> str:
    """One quoted RFC 4180 cell, neutralised: quotes doubled, line breaks kept inside the quotes."""
    if text.startswith(_DANGEROUS):
        text = "'" + text
    return '"' + text.replace('"', '""') + '"'


class _QuotedCells(dict[str, str]):
    """Cells already quoted, by their text: a hit is a plain dict look-up, a miss quotes it once."""

    LIMIT = 50_000  # entries; more than a large export's pseudonyms and questions, yet bounded

    def __missing__(self, text: str) -> str:
        if len(self) >= self.LIMIT:
            self.clear()
        cell = self[text] = _cell(text)
        return cell


# The prefix an answer needs to be neutralised, by its first character (none for most).
_NEUTRALISER = dict.fromkeys(_DANGEROUS, "'")
_Q, _QQ = '"', '""'


class CsvWriter:
    """UTF-8 with a byte order mark so Excel reads it as UTF-8; RFC 4180 quoting, CRLF lines.

    Cells are formatted here rather than by the csv module, which is several times slower on
    long, quoted text. Everything a person typed (or named) is quoted and neutralised; the rest
    (ids, dates, our own enum values) can hold neither quotes nor formula characters.
    """

    by_member = False

    def __init__(self, path: Path, header: bool = True, append: bool = False) -> None:
        self.file = path.open("ab" if append else "wb", buffering=1 << 20)
        if header:
            self.file.write(("\ufeff" + ",".join(COLUMNS) + "\r\n").encode("utf-8"))
        # Pseudonyms, communities, events and questions repeat across many rows: quote each once.
        self.cells = _QuotedCells()
        self.codes: dict[int, tuple[str, ...]] = {}

    def write(self, rows: list[ExportRow]) -> None:
        # One expression per row, no calls of our own: this line runs millions of times. Each
        # line is encoded on its own because joining bytes is cheaper than joining text, where
        # one emoji anywhere widens the whole batch to four bytes a character.
        q, prefix, coded = self.cells, _NEUTRALISER.get, self.codes
        self.file.write(b"".join([
            f"{nid},{story},{q[pseudonym]},{q[community]},{q[event]},{day},{kind},{q[qid]},"
            f"{q[question]},{language},{cycle},{capital},"
            f'"{prefix(answer[:1], "")}{answer.replace(_Q, _QQ)}",'
            f"{answered},{revised},{attended},{spoken},{applied},{channel},"
            f"{q[CODES_SEPARATOR.join(coded[nid])] if nid in coded else ''}\r\n".encode()
            for (nid, story, pseudonym, community, event, day, kind, qid, question, language,
                 cycle, capital, answer, answered, revised, attended, spoken, applied,
                 channel, _community_id, _membership_id)
            in rows
        ]))

    def comments(self, rows: list[CommentRow]) -> None:
        self.file.write(b"".join(
            (",".join(_cell(c) if c else "" for c in row) + ",\r\n").encode() for row in rows))

    def close(self) -> None:
        self.file.close()


# Positions in a row, written as numbers so a row's tuple type gives each cell's type.
_EVENT_DATE: Final = 5
_CAPITAL: Final = 11
_ANSWERED: Final = 13
_REVISED: Final = 14
_ATTENDED: Final = 15
_APPLIED: Final = 17
assert [COLUMNS[i] for i in (_EVENT_DATE, _CAPITAL, _ANSWERED, _REVISED, _ATTENDED, _APPLIED)] == [
    "event_date", "capital", "answered_at", "revised_at", "attended", "applied"]
_TIMES = (_ANSWERED, _REVISED)
_ATTENDANCE: dict[str, bool | None] = {"yes": True, "no": False, "": None}


class JsonlWriter:
    """One JSON object a line, with JSON's own values: null for what is absent (no capital, never
    revised, attendance unknown, not an applied answer) and true/false for attended and spoken,
    where CSV has text cells."""

    by_member = False

    def __init__(self, path: Path) -> None:
        self.file = path.open("w", encoding="utf-8", newline="\n")
        self.codes: dict[int, tuple[str, ...]] = {}

    def write(self, rows: list[ExportRow]) -> None:
        dumps, coded = json.dumps, self.codes
        self.file.writelines(dumps(self._record(r, coded.get(r[0], ())), ensure_ascii=False) + "\n"
                             for r in rows)

    @staticmethod
    def _record(r: ExportRow, codes: tuple[str, ...]) -> dict[str, object]:
        record: dict[str, object] = dict(zip(COLUMNS[:_N], r[:_N], strict=True))
        record["capital"] = r[_CAPITAL] or None
        record["revised_at"] = r[_REVISED] or None
        record["attended"] = _ATTENDANCE[r[_ATTENDED]]
        record["applied"] = r[_APPLIED] or None
        record["spoken"] = r[SPOKEN] == "yes"
        record["codes"] = list(codes)
        return record

    def comments(self, rows: list[CommentRow]) -> None:
        for row in rows:
            record: dict[str, object] = {k: v or None for k, v in zip(COLUMNS[:_N], row,
                                                                        strict=True)}
            record["spoken"], record["codes"] = False, []
            self.file.write(json.dumps(record, ensure_ascii=False) + "\n")

    def close(self) -> None:
        self.file.close()


_TEXTS = tuple(c for c in range(1, _N) if c not in (_EVENT_DATE, *_TIMES))


class XlsxWriter:
    """Dates and times are Excel date cells, so they sort and filter as dates; Excel has no time
    zones, so times are the community's local time and the header names the zone.

    constant_memory mode flushes each row to disk as it is written.
    """

    by_member = False

    def __init__(self, path: Path, zone: str = "each community's zone") -> None:
        import xlsxwriter

        self.book = xlsxwriter.Workbook(str(path), {"constant_memory": True,
                                                    "strings_to_formulas": False,
                                                    "strings_to_urls": False,
                                                    "strings_to_numbers": False})
        self.sheet = self.book.add_worksheet("narratives")
        bold = self.book.add_format({"bold": True})
        self.day = self.book.add_format({"num_format": "yyyy-mm-dd"})
        self.moment = self.book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        for col, name in enumerate(COLUMNS):
            self.sheet.write_string(0, col, f"{name} ({zone})" if col in _TIMES else name, bold)
        self.sheet.set_column(_EVENT_DATE, _EVENT_DATE, 11)
        self.sheet.set_column(_ANSWERED, _REVISED, 19)
        self.sheet.freeze_panes(1, 0)
        self.row = 1
        self.codes: dict[int, tuple[str, ...]] = {}

    def write(self, rows: list[ExportRow]) -> None:
        sheet, local = self.sheet, dt.datetime.fromisoformat
        for r in rows:
            row = self.row
            sheet.write_number(row, 0, r[0])
            for col in _TEXTS:
                # write_string: never a formula, whatever the text begins with.
                sheet.write_string(row, col, r[col])
            sheet.write_datetime(row, _EVENT_DATE, local(r[_EVENT_DATE]), self.day)
            sheet.write_datetime(row, _ANSWERED, local(r[_ANSWERED]).replace(tzinfo=None), self.moment)
            if r[_REVISED]:
                sheet.write_datetime(row, _REVISED, local(r[_REVISED]).replace(tzinfo=None),
                                     self.moment)
            if r[0] in self.codes:
                sheet.write_string(row, _N, CODES_SEPARATOR.join(self.codes[r[0]]))
            self.row += 1

    def comments(self, rows: list[CommentRow]) -> None:
        for r in rows:
            for col in _TEXTS:
                if r[col]:
                    self.sheet.write_string(self.row, col, r[col])
            self.sheet.write_datetime(self.row, _ANSWERED, dt.datetime.fromisoformat(
                r[_ANSWERED]).replace(tzinfo=None), self.moment)
            self.row += 1

    def close(self) -> None:
        self.book.close()


# REFI-QDA ----------------------------------------------------------------------------------
