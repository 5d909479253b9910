"""The REFI-QDA project writer (.qdpx), for QualCoder, NVivo, ATLAS.ti and MAXQDA.

A code per value cycle (the capitals under potential value) and one for plans, a case per
pseudonymous member, and each narrative a text source coded with its cycle, or a plan (an answer
to an intention question) with the plans' code, never with applied value; a voice note's
recording, where the community keeps them, an audio source with its transcript, coded the same
way. The communities' own codebooks follow, with every coding as a selection of its own (the
whole text, or its passage, in characters of the text as exported) by its coder, a user named by
the label they chose. Each narrative's source has the same guid in every export, so a project
read back lines up with ours. The file validates against the project schema.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tempfile
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape, quoteattr

from flows.questions import Capital, ValueCycle
from storage.models import (
    utcnow,
)
from valuestory.usecases.exports.shape import INTENDED, CommentRow, ExportRow
from valuestory.usecases.exports.streamzip import StreamingZip

_NS = uuid.UUID("6f0d5f0e-2b8a-4a39-9a55-6c3e8a0b7d21")
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
CYCLE_COLOURS = {"immediate": "#4E79A7", "potential": "#F28E2B", "applied": "#59A14F",
                 "realised": "#E15759", "reframing": "#B07AA1"}
# Plans: what members said they might do, coded apart from the value they created.
PLANS_CODE, PLANS_NAME, PLANS_COLOUR = "intended", "plans (intended, not yet done)", "#EDC948"
VARIABLES = (("community", "Text"), ("event", "Text"), ("event_date", "Date"),
             ("question", "Text"), ("question_id", "Text"), ("language", "Text"),
             ("prompt_kind", "Text"))


def guid(kind: str, key: object) -> str:
    """A stable GUID, so a second export of the same narratives lines up with the first."""
    return str(uuid.uuid5(_NS, f"{kind}:{key}"))


def narrative_guids(ids: Iterable[int]) -> dict[str, int]:
    """Each narrative's source guid, as `guid("narrative", id)` gives it, to its id: the same
    name-based (version 5) UUID, made with hashlib directly, since reading a project back maps
    a million of them and `uuid.uuid5` builds an object per call to print it."""
    prefix, sha1 = _NS.bytes + b"narrative:", hashlib.sha1
    found = {}
    for nid in ids:
        h = bytearray(sha1(prefix + str(nid).encode()).digest()[:16])
        h[6] = (h[6] & 0x0F) | 0x50  # version 5
        h[8] = (h[8] & 0x3F) | 0x80  # RFC 4122 variant
        x = h.hex()
        found[f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"] = nid
    return found


def _x(text: str) -> str:
    # A raw CR would be read back as LF by any XML parser; the character reference survives.
    return escape(_XML_BAD.sub("\ufffd", text), {"\r": "&#13;"})


def _attr(text: str) -> str:
    return quoteattr(_XML_BAD.sub("\ufffd", text), {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


@dataclass(frozen=True)
class BookCode:
    """A code of a community's codebook, as the project carries it (`parent`: its parent's guid)."""

    guid: str
    name: str
    colour: str
    description: str
    parent: str | None


@dataclass(frozen=True)
class ProjectCoding:
    """A code applied by a coder to a narrative, or to the passage [start, end) of it."""

    guid: str
    code: str  # the code's guid
    coder: str  # the coder's guid
    start: int | None
    end: int | None
    at: str  # ISO 8601, UTC


def _book_codes(codes: Sequence[BookCode]) -> str:
    children: dict[str | None, list[BookCode]] = {}
    known = {c.guid for c in codes}
    for c in codes:
        children.setdefault(c.parent if c.parent in known else None, []).append(c)

    def code(c: BookCode) -> str:
        inner = (f"<Description>{_x(c.description)}</Description>" if c.description else "") + \
            "".join(code(k) for k in children.get(c.guid, ()))
        return (f'<Code guid="{c.guid}" name={_attr(c.name)} isCodable="true" '
                f'color="{c.colour}">{inner}</Code>')

    return "".join(code(c) for c in children.get(None, ()))


def users_xml(coders: Sequence[tuple[str, str]]) -> str:
    """The coders, by the label each chose, as the project's users."""
    if not coders:
        return ""
    return "<Users>" + "".join(f'<User guid="{g}" name={_attr(label)}/>'
                               for g, label in coders) + "</Users>"


def codebook_xml(codes: Sequence[BookCode] = ()) -> str:
    """A code per value cycle; the five capitals under potential value; one for plans; then the
    communities' own codebooks."""
    parts = ["<CodeBook><Codes>"]
    for cycle in ValueCycle:
        parts.append(f'<Code guid="{guid("code", cycle)}" name="{cycle.value} value" '
                     f'isCodable="true" color="{CYCLE_COLOURS[cycle]}">')
        if cycle is ValueCycle.POTENTIAL:
            for capital in Capital:
                parts.append(f'<Code guid="{guid("code", f"potential.{capital}")}" '
                             f'name="{capital.value} capital" isCodable="true"/>')
        parts.append("</Code>")
    parts.append(f'<Code guid="{guid("code", PLANS_CODE)}" name="{PLANS_NAME}" '
                 f'isCodable="true" color="{PLANS_COLOUR}"/>')
    parts.append(_book_codes(codes))
    parts.append("</Codes></CodeBook>")
    return "".join(parts)


def variables_xml() -> str:
    return "<Variables>" + "".join(
        f'<Variable guid="{guid("variable", name)}" name="{name}" typeOfVariable="{kind}"/>'
        for name, kind in VARIABLES
    ) + "</Variables>"


def _value(name: str, element: str, value: str) -> str:
    return (f'<VariableValue><VariableRef targetGUID="{guid("variable", name)}"/>'
            f"<{element}>{_x(value)}</{element}></VariableValue>")


def _selection(c: ProjectCoding, length: int) -> str:
    """A coding as its own selection: the whole text, or its passage, by its coder."""
    start, end = (0, length) if c.start is None or c.end is None else (c.start, c.end)
    return (f'<PlainTextSelection guid="{guid("selection", c.guid)}" startPosition="{start}" '
            f'endPosition="{end}" creatingUser="{c.coder}" creationDateTime="{c.at}">'
            f'<Coding guid="{c.guid}" creatingUser="{c.coder}" creationDateTime="{c.at}">'
            f'<CodeRef targetGUID="{c.code}"/></Coding></PlainTextSelection>')


class QdpxWriter:
    """A REFI-QDA project: each narrative a text source under sources/, coded with its cycle.

    The .qde XML is built in two temporary files (cases, sources) as rows arrive, then copied
    into the zip in chunks, so no part of the project is held in memory at once.
    """

    by_member = True  # a case's narratives arrive together, so each Case is written once

    def __init__(self, path: Path, now: dt.datetime | None = None) -> None:
        self.now = (now or utcnow()).astimezone(dt.UTC).replace(microsecond=0)
        self.zip = StreamingZip(path, self.now)
        self.cases: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed in close())
        self.sources: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed in close())
        self.current_case: int | None = None
        self.any = False
        # Kept recordings of the next batch's narratives: (note id, transcript, audio) by narrative.
        self.recordings: dict[int, list[tuple[int, str, bytes]]] = {}
        # The communities' codebooks and coders, and the next batch's codings by narrative.
        self.codebook: list[BookCode] = []
        self.coders: list[tuple[str, str]] = []
        self.codings: dict[int, list[ProjectCoding]] = {}
        self.codes: dict[int, tuple[str, ...]] = {}  # unused: a project carries codings

    def write(self, rows: list[ExportRow]) -> None:
        for (narrative_id, _story, pseudonym, community, event, event_date, prompt_kind,
             question_id, question, language, cycle, capital, answer, _answered, _revised,
             _attended, _spoken, applied, _channel, _community_id, membership_id) in rows:
            self.any = True
            if membership_id != self.current_case:
                if self.current_case is not None:
                    self.cases.write("</Case>")
                self.current_case = membership_id
                self.cases.write(
                    f'<Case guid="{guid("case", membership_id)}" name={_attr(pseudonym)}>'
                    + _value("community", "TextValue", community)
                )
            source = guid("narrative", narrative_id)
            self.cases.write(f'<SourceRef targetGUID="{source}"/>')
            self.zip.write(f"sources/{source}.txt", answer.encode("utf-8"))
            if applied == INTENDED:
                codes = [guid("code", PLANS_CODE)]
            else:
                codes = [guid("code", ValueCycle(cycle))] if cycle in set(ValueCycle) else []
            if capital:
                codes.append(guid("code", f"potential.{capital}"))
            codings = "".join(
                f'<Coding guid="{guid("coding", f"{narrative_id}:{code}")}">'
                f'<CodeRef targetGUID="{code}"/></Coding>' for code in codes
            )
            name = f"{pseudonym} {event_date} {question_id}"
            variables = (
                _value("community", "TextValue", community)
                + _value("event", "TextValue", event)
                + _value("event_date", "DateValue", event_date)
                + _value("question", "TextValue", question)
                + _value("question_id", "TextValue", question_id)
                + _value("language", "TextValue", language)
                + _value("prompt_kind", "TextValue", prompt_kind)
            )
            for note_id, transcript, audio in self.recordings.get(narrative_id, ()):
                recording = guid("recording", note_id)
                self.cases.write(f'<SourceRef targetGUID="{recording}"/>')
                self.zip.write(f"sources/{recording}.ogg", audio)
                self.sources.write(
                    f'<AudioSource guid="{recording}" name={_attr(name + " voice note")} '
                    f'path="internal://{recording}.ogg">'
                    f'<Transcript guid="{guid("transcript", note_id)}" name="transcript">'
                    f"<PlainTextContent>{_x(transcript)}</PlainTextContent></Transcript>"
                    + "".join(f'<Coding guid="{guid("coding", f"voice:{note_id}:{code}")}">'
                              f'<CodeRef targetGUID="{code}"/></Coding>' for code in codes)
                    + variables + "</AudioSource>"
                )
            self.sources.write(
                f'<TextSource guid="{source}" name={_attr(name)} '
                f'plainTextPath="internal://{source}.txt">'
                f'<PlainTextSelection guid="{guid("selection", narrative_id)}" '
                f'name={_attr(question_id)} startPosition="0" endPosition="{len(answer)}">'
                f"{codings}</PlainTextSelection>"
                + "".join(_selection(c, len(answer)) for c in self.codings.get(narrative_id, ()))
                + variables + "</TextSource>"
            )

    def comments(self, rows: list[CommentRow]) -> None:
        """Left out: a project's sources are narratives, and a members' check sentence is not one."""

    def close(self) -> None:
        if self.current_case is not None:
            self.cases.write("</Case>")
        with self.zip.write_stream("project.qde") as entry:
            def out(text: str) -> None:
                entry.write(text.encode("utf-8"))

            out('<?xml version="1.0" encoding="utf-8"?>\n'
                f'<Project xmlns="urn:QDA-XML:project:1.0" name="valuestory export" '
                f'origin="valuestory" creationDateTime="{self.now.isoformat()}">')
            out(users_xml(self.coders))
            out(codebook_xml(self.codebook))
            out(variables_xml())
            for tag, part in (("Cases", self.cases), ("Sources", self.sources)):
                if self.any:  # both elements need at least one child to be valid
                    out(f"<{tag}>")
                    part.seek(0)
                    while chunk := part.read(1 << 16):
                        out(chunk)
                    out(f"</{tag}>")
                part.close()
            out("</Project>\n")
        self.zip.close()
