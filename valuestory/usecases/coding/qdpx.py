"""Reading a REFI-QDA project (.qdpx) written back by another tool: its codebook, its users and
the coded passages of its text sources.

Read with the standard library's incremental XML parser, element by element, so a project of a
million sources is never held in memory as a tree (a model-per-element library was tried for the
small codebook file, `qdc`, where it serves; here it would hold every source at once). The
project file may have any name ending in `.qde` (ATLAS.ti names it after the project). A source's
text, where the archive holds it, is read only for the sources that carry a coded passage, so
positions can be re-anchored to our own text whatever line endings the other tool wrote.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element, ParseError, iterparse

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


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _project_entry(archive: zipfile.ZipFile, path: Path) -> str:
    found = [n for n in archive.namelist() if n.lower().endswith(".qde") and "/" not in n.strip("/")]
    found = found or [n for n in archive.namelist() if n.lower().endswith(".qde")]
    if not found:
        raise CodingError(f"{path} is not a REFI-QDA project: it holds no .qde project file")
    return found[0]


def read(path: Path) -> Project:
    """The project's codes, users, sources and coded passages; CodingError if it is not one."""
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
                _parse(stream, project, paths, path)
        except ParseError:
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


def _parse(stream: IO[bytes], project: Project, paths: dict[str, str], path: Path) -> None:
    code_stack: list[str] = []
    source: str | None = None
    selection: dict[str, str] | None = None
    codings: list[tuple[str, str]] = []
    coding: str | None = None
    first = True
    open_elements: list[Element] = []
    events: Iterator[tuple[str, Element]] = iterparse(stream, events=("start", "end"))
    for event, element in events:
        name = _local(element.tag)
        if event == "start":
            open_elements.append(element)
        else:
            open_elements.pop()
        if first:
            first = False
            if name != "Project":
                raise CodingError(f"{path} is not a REFI-QDA project: it holds a {name}, "
                                  "not a Project")
        if event == "start":
            if name == "Code":
                attrs = element.attrib
                project.codes.append(FileCode(attrs.get("guid", ""), attrs.get("name", ""),
                                              attrs.get("color"), "",
                                              code_stack[-1] if code_stack else None))
                code_stack.append(attrs.get("guid", ""))
            elif name == "TextSource":
                source = element.attrib.get("guid")
                if source:
                    project.sources.add(source)
                    if "plainTextPath" in element.attrib:
                        paths[source] = element.attrib["plainTextPath"]
            elif name == "PlainTextSelection" and source is not None:
                selection = dict(element.attrib)
                codings = []
            elif name == "Coding":
                coding = element.attrib.get("guid", "")
            elif name == "CodeRef" and selection is not None and coding is not None:
                codings.append((coding, element.attrib.get("targetGUID", "")))
            elif name == "User":
                project.users[element.attrib.get("guid", "")] = element.attrib.get("name", "")
            continue
        # end
        if name == "Code":
            code_stack.pop()
            if element.find("{*}Description") is not None and project.codes:
                _describe(project, element)
        elif name == "Coding":
            coding = None
        elif name == "PlainTextSelection" and selection is not None and source is not None:
            try:
                start, end = int(selection["startPosition"]), int(selection["endPosition"])
            except (KeyError, ValueError):
                start, end = -1, -1
            if codings:
                project.selections.append(Selection(
                    selection.get("guid", ""), source, start, end,
                    selection.get("creatingUser"), tuple(codings)))
            selection = None
        elif name == "PlainTextContent" and source is not None and element.text is not None:
            project.texts[source] = element.text
        elif name == "TextSource":
            source = None
            _drop(element, open_elements)
        elif name in ("Case", "AudioSource", "Variable", "Note"):
            _drop(element, open_elements)


def _drop(element: Element, open_elements: list[Element]) -> None:
    """Let go of an element once read, and of its place in its parent, so memory stays flat."""
    element.clear()
    if open_elements and len(open_elements[-1]) and open_elements[-1][-1] is element:
        del open_elements[-1][-1]


def _describe(project: Project, element: Element) -> None:
    guid = element.attrib.get("guid", "")
    described = element.find("{*}Description")
    text = (described.text or "").strip() if described is not None else ""
    for i in range(len(project.codes) - 1, -1, -1):
        if project.codes[i].guid == guid:
            c = project.codes[i]
            project.codes[i] = FileCode(c.guid, c.name, c.colour, text, c.parent)
            break


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
