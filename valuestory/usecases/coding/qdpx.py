"""Reading a REFI-QDA project (.qdpx) written back by another tool: its codebook, its users and
the coded passages of its text sources.

Read with lxml's incremental parser, which hands Python only the elements we read (the users, the
codebook, each text source) and lets go of each source once read, so a project of a million
sources is never held in memory as a tree. (pyrefiqda, which reads the small codebook file `qdc`,
builds a model of every element at once: at a million sources that is too slow and too big.) The
project file may have any name ending in `.qde` (ATLAS.ti names it after the project). A source's
text, where the archive holds it, is read only for the sources that carry a coded passage, so
positions can be re-anchored to our own text whatever line endings the other tool wrote.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from lxml import etree

from valuestory.usecases.coding.errors import CodingError
from valuestory.usecases.coding.qdc import FileCode


@dataclass(frozen=True)
class Selection:
    """A coded passage of a text source: [start, end) in the tool's copy of the text."""

    guid: str
    source: str
    start: int
    end: int
    user: str | None
    codes: tuple[tuple[str, str], ...]  # (coding guid, code guid)


@dataclass
class Project:
    codes: list[FileCode] = field(default_factory=list)
    users: dict[str, str] = field(default_factory=dict)  # guid -> name
    sources: set[str] = field(default_factory=set)  # every text source's guid
    selections: list[Selection] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # the tool's text, by source guid


def _project_entry(archive: zipfile.ZipFile, path: Path) -> str:
    found = [n for n in archive.namelist() if n.lower().endswith(".qde") and "/" not in n.strip("/")]
    found = found or [n for n in archive.namelist() if n.lower().endswith(".qde")]
    if not found:
        raise CodingError(f"{path} is not a REFI-QDA project: it holds no .qde project file")
    return found[0]


def read(path: Path, ignore: frozenset[str] = frozenset()) -> Project:
    """The project's codes, users, sources and coded passages; CodingError if it is not one.
    Codings of the codes in `ignore` are left out (and a passage holding only those)."""
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise CodingError(f"can't read {path}: no such file") from None
    except (zipfile.BadZipFile, OSError):
        raise CodingError(f"{path} is not a REFI-QDA project (.qdpx)") from None
    with archive:
        entry = _project_entry(archive, path)
        project = Project()
        paths: dict[str, str] = {}
        try:
            with archive.open(entry) as stream:
                _parse(stream, project, paths, path, ignore)
        except etree.XMLSyntaxError:
            raise CodingError(f"{path} is not a REFI-QDA project: its {entry} is not XML") from None
        wanted = {s.source for s in project.selections}
        names = set(archive.namelist())
        for source in wanted:
            inside = paths.get(source)
            if inside is None or source in project.texts:
                continue
            name = "sources/" + inside.removeprefix("internal://")
            if name in names:
                project.texts[source] = archive.read(name).decode("utf-8-sig", "replace")
    return project


_NS = "{urn:QDA-XML:project:1.0}"
_READ = (f"{_NS}Users", f"{_NS}CodeBook", f"{_NS}TextSource")


def _parse(stream: IO[bytes], project: Project, paths: dict[str, str], path: Path,
           ignore: frozenset[str]) -> None:
    """Only the elements we read are handed to Python (lxml's tag filter); each source is let go
    of once read, with what came before it, so memory stays flat."""
    events = etree.iterparse(stream, events=("end",), tag=_READ, huge_tree=True,
                             resolve_entities=False, no_network=True)
    checked = False
    for _event, element in events:
        if not checked:
            _check_root(element.getroottree().getroot().tag, path)
            checked = True
        tag = element.tag
        if tag == _READ[2]:
            _source(element, project, paths, ignore)
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
        elif tag == _READ[1]:
            codes = element.find(f"{_NS}Codes")
            if codes is not None:
                _codes(codes, None, project)
        else:
            for user in element.iterchildren(f"{_NS}User"):
                project.users[user.get("guid", "")] = user.get("name", "")
    if not checked:
        root = getattr(events, "root", None)
        _check_root(root.tag if root is not None else "", path)


def _check_root(tag: str, path: Path) -> None:
    name = tag.rsplit("}", 1)[-1]
    if tag != f"{_NS}Project":
        raise CodingError(f"{path} is not a REFI-QDA project: it holds a {name or 'nothing'}, "
                          "not a Project")


def _codes(parent: Any, above: str | None, project: Project) -> None:
    for code in parent.iterchildren(f"{_NS}Code"):
        described = code.find(f"{_NS}Description")
        project.codes.append(FileCode(code.get("guid", ""), code.get("name", ""),
                                      code.get("color"),
                                      (described.text or "").strip() if described is not None
                                      else "", above))
        _codes(code, code.get("guid", ""), project)


def _source(element: Any, project: Project, paths: dict[str, str],
            ignore: frozenset[str]) -> None:
    source = element.get("guid")
    if not source:
        return
    project.sources.add(source)
    kept = False
    for selection in element.iterchildren(f"{_NS}PlainTextSelection"):
        codings = tuple((coding.get("guid", ""), target)
                        for coding in selection.iterchildren(f"{_NS}Coding")
                        for ref in coding.iterchildren(f"{_NS}CodeRef")
                        if (target := ref.get("targetGUID", "")) not in ignore)
        if not codings:
            continue
        try:
            start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
        except (TypeError, ValueError):
            start, end = -1, -1
        project.selections.append(Selection(selection.get("guid", ""), source, start, end,
                                            selection.get("creatingUser"), codings))
        kept = True
    if not kept:
        return  # only the sources with a coded passage need their text
    inside = element.get("plainTextPath")
    if inside is not None:
        paths[source] = inside
    content = element.find(f"{_NS}PlainTextContent")
    if content is not None and content.text is not None:
        project.texts[source] = content.text


def anchor(ours: str, theirs: str | None, start: int, end: int) -> tuple[int, int] | None:
    """Where the passage [start, end) of the tool's copy of a text lies in ours: the same words,
    whatever line endings either wrote; None if they can't be found."""
    if theirs is None:
        return (start, end) if 0 <= start < end <= len(ours) else None
    if not 0 <= start < end <= len(theirs):
        return None
    passage = _lf(theirs[start:end])
    if not passage:
        return None
    guess = len(_lf(theirs[:start]))
    if ours[guess:guess + len(passage)] == passage:
        return guess, guess + len(passage)
    spots = []
    at = ours.find(passage)
    while at != -1:
        spots.append(at)
        at = ours.find(passage, at + 1)
    if not spots:
        return None
    best = min(spots, key=lambda s: abs(s - guess))
    return best, best + len(passage)


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")
