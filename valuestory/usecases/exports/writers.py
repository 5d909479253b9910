"""Writers for CSV, XLSX and JSON Lines: one row in, one record out, nothing kept between rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol

from valuestory.usecases.exports.shape import COLUMNS, ExportRow


class Writer(Protocol):
    by_member: bool

    def write(self, rows: list[ExportRow]) -> None: ...

    def close(self) -> None: ...


_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
_N = len(COLUMNS)


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

    def __init__(self, path: Path, header: bool = True) -> None:
        self.file = path.open("wb", buffering=1 << 20)
        if header:
            self.file.write(("\ufeff" + ",".join(COLUMNS) + "\r\n").encode("utf-8"))
        # Pseudonyms, communities, events and questions repeat across many rows: quote each once.
        self.cells = _QuotedCells()

    def write(self, rows: list[ExportRow]) -> None:
        # One expression per row, no calls of our own: this line runs millions of times. Each
        # line is encoded on its own because joining bytes is cheaper than joining text, where
        # one emoji anywhere widens the whole batch to four bytes a character.
        q, prefix = self.cells, _NEUTRALISER.get
        self.file.write(b"".join([
            f"{nid},{story},{q[pseudonym]},{q[community]},{q[event]},{day},{kind},{q[qid]},"
            f"{q[question]},{cycle},{capital},"
            f'"{prefix(answer[:1], "")}{answer.replace(_Q, _QQ)}",'
            f"{answered},{revised},{attended},{spoken}\r\n".encode()
            for (nid, story, pseudonym, community, event, day, kind, qid, question, cycle,
                 capital, answer, answered, revised, attended, spoken, _community_id,
                 _membership_id)
            in rows
        ]))

    def close(self) -> None:
        self.file.close()


class JsonlWriter:
    by_member = False

    def __init__(self, path: Path) -> None:
        self.file = path.open("w", encoding="utf-8", newline="\n")

    def write(self, rows: list[ExportRow]) -> None:
        dumps = json.dumps
        self.file.writelines(
            dumps(dict(zip(COLUMNS, r[:_N], strict=True)), ensure_ascii=False) + "\n"
            for r in rows
        )

    def close(self) -> None:
        self.file.close()


class XlsxWriter:
    """constant_memory mode flushes each row to disk as it is written."""

    by_member = False

    def __init__(self, path: Path) -> None:
        import xlsxwriter

        self.book = xlsxwriter.Workbook(str(path), {"constant_memory": True,
                                                    "strings_to_formulas": False,
                                                    "strings_to_urls": False,
                                                    "strings_to_numbers": False})
        self.sheet = self.book.add_worksheet("narratives")
        bold = self.book.add_format({"bold": True})
        for col, name in enumerate(COLUMNS):
            self.sheet.write_string(0, col, name, bold)
        self.sheet.freeze_panes(1, 0)
        self.row = 1

    def write(self, rows: list[ExportRow]) -> None:
        sheet = self.sheet
        for r in rows:
            sheet.write_number(self.row, 0, r[0])
            for col in range(1, _N):
                # write_string: never a formula, whatever the text begins with.
                sheet.write_string(self.row, col, r[col])
            self.row += 1

    def close(self) -> None:
        self.book.close()


# REFI-QDA ----------------------------------------------------------------------------------
