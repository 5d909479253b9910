"""The codebook alone, as a REFI-QDA codebook file (.qdc), out and in, through pyrefiqda.

Out: every code with its guid, name, colour, description and place in the hierarchy. In: a code
is matched by guid, else by name (case aside); a match takes the file's name, colour and
description where they differ (counted as changed), anything else is added under its parent.
A file that is not a REFI-QDA codebook changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pyrefiqda import RefiCodebook
from pyrefiqda.models import CodeBook, CodebookCodesType, CodebookCodeType

from valuestory.usecases.coding.errors import CodingError


@dataclass(frozen=True)
class FileCode:
    """One code as a codebook file holds it; `parent` is its parent's guid."""

    guid: str
    name: str
    colour: str | None
    description: str
    parent: str | None


@dataclass
class Outcome:
    """What an import did, code by code name."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, list[str]]:
        return {"added": self.added, "changed": self.changed, "unchanged": self.unchanged}


def write(codes: list[FileCode], path: Path) -> None:
    """Write the codes (parents before children, as listed) to a .qdc file."""
    made: dict[str, CodebookCodeType] = {}
    top: list[CodebookCodeType] = []
    for c in codes:
        node = CodebookCodeType(guid=c.guid, name=c.name, is_codable=True,
                                color=c.colour, description=c.description or None)
        made[c.guid] = node
        above = made.get(c.parent) if c.parent else None
        (above.code if above is not None else top).append(node)
    RefiCodebook.save(CodeBook(codes=CodebookCodesType(code=top), origin="valuestory"), path)


def read(path: Path) -> list[FileCode]:
    """The codes of a .qdc file, parents first; CodingError if it is not one."""
    try:
        book = RefiCodebook.load(path)
    except FileNotFoundError:
        raise CodingError(f"can't read {path}: no such file") from None
    except Exception as exc:  # any parser's complaint means: not a codebook we can read
        raise CodingError(f"{path} is not a REFI-QDA codebook (.qdc): {type(exc).__name__}") from None
    if not isinstance(book, CodeBook) or book.codes is None:
        raise CodingError(f"{path} is not a REFI-QDA codebook (.qdc)")
    return list(_walk(book.codes.code, None))


def _walk(nodes: list[CodebookCodeType], parent: str | None) -> Iterator[FileCode]:
    for node in nodes:
        description = node.description if isinstance(node.description, str) else ""
        yield FileCode(node.guid, node.name, node.color, description or "", parent)
        yield from _walk(node.code, node.guid)
