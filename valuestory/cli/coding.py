"""Coding from the command line: `valuestory coding codes|add-code|start-codebook|apply|set|done|
agreement|indicator` and `valuestory coding codebook export|import` (.qdc).

Narratives are named by the ids the exports give them (`narrative_id`); the coder by `--coder`,
a label of your choosing (initials, say), never a Telegram name or id. Each command calls one door
of `usecases.coding` as the command line.
"""

from __future__ import annotations

from pathlib import Path

import click

from storage.db import Database
from valuestory.cli.common import Stop, check_target, emit, with_database
from valuestory.cli.root import main
from valuestory.process.settings import Settings
from valuestory.usecases import coding
from valuestory.usecases.coding import COMMAND_LINE

CYCLE = click.Choice(coding.CYCLES, case_sensitive=False)
CAPITAL = click.Choice(coding.CAPITALS, case_sensitive=False)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


@main.group("coding")
def coding_group() -> None:
    """Coding narratives: the codebook, codings, and agreement between coders."""


@coding_group.command("codes")
@click.option("--community", "community_ref", required=True, help="Community name or id.")
@click.option("--json", "as_json", is_flag=True)
@with_database
async def codes_cmd(db: Database, settings: Settings, community_ref: str, as_json: bool) -> None:
    """List the codebook, each code with the narratives it is applied to."""
    book = await coding.codebook(db, COMMAND_LINE, community_ref)
    lines = [f"#{c.id} {c.name}" + (f" [{c.cycle}{'/' + c.capital if c.capital else ''}]"
                                    if c.cycle else "") + f": {c.narratives} narratives"
             for c in book] or ["The codebook is empty: add a code, or start-codebook."]
    emit(as_json, {"codes": [c.to_dict() for c in book]}, lines)


@coding_group.command("add-code")
@click.option("--community", "community_ref", required=True, help="Community name or id.")
@click.option("--description", default="", help="What the code means, for other coders.")
@click.option("--colour", default=None, help="#RRGGBB (default: its cycle's colour).")
@click.option("--parent", default=None, help="The parent code's id or name.")
@click.option("--cycle", type=CYCLE, default=None, help="The cycle of value it evidences.")
@click.option("--capital", type=CAPITAL, default=None, help="Under potential value: its capital.")
@click.option("--json", "as_json", is_flag=True)
@click.argument("name")
@with_database
async def add_code_cmd(db: Database, settings: Settings, community_ref: str, description: str,
                       colour: str | None, parent: str | None, cycle: str | None,
                       capital: str | None, as_json: bool, name: str) -> None:
    """Add a code to the community's codebook."""
    made = await coding.add_code(db, COMMAND_LINE, community_ref, name, description=description,
                                 colour=colour, parent=parent, cycle=cycle, capital=capital)
    emit(as_json, made.to_dict(), [f"Added code #{made.id} {made.name}."])


@coding_group.command("start-codebook")
@click.option("--community", "community_ref", required=True, help="Community name or id.")
@with_database
async def start_codebook_cmd(db: Database, settings: Settings, community_ref: str) -> None:
    """Add the Value Creation Framework's themes to the codebook (those it lacks)."""
    book = await coding.start_from_framework(db, COMMAND_LINE, community_ref)
    click.echo(f"The codebook has {len(book)} codes.")


@coding_group.command("apply")
@click.option("--community", "community_ref", required=True, help="Community name or id.")
@click.option("--coder", required=True, help="Your label as a coder, e.g. your initials.")
@click.option("--start", type=click.IntRange(min=0), default=None,
              help="A passage's first character (from 0); with --end.")
@click.option("--end", type=click.IntRange(min=1), default=None,
              help="Just after the passage's last character.")
@click.argument("narrative")
@click.argument("code")
@with_database
async def apply_cmd(db: Database, settings: Settings, community_ref: str, coder: str,
                    start: int | None, end: int | None, narrative: str, code: str) -> None:
    """Code a narrative (all of it, or the passage from --start to --end) with CODE."""
    if (start is None) != (end is None):
        raise Stop("give both --start and --end for a passage, or neither for the whole narrative")
    made = await coding.apply(db, COMMAND_LINE, community_ref, narrative, code, start, end,
                              coder=coder)
    where = f"“{made.passage}”" if made.passage is not None else "all of it"
    click.echo(f"Coded narrative {made.narrative_id} with {made.code} ({where}) as {made.coder}.")


@coding_group.command("set")
@click.option("--community", "community_ref", required=True, help="Community name or id.")
@click.option("--narratives", required=True, help="Narrative ids, e.g. 12,15,31.")
@click.option("--open", "open_", is_flag=True, help="Coders see each other's codings at once.")
@click.argument("name")
@with_database
async def set_cmd(db: Database, settings: Settings, community_ref: str, narratives: str,
                  open_: bool, name: str) -> None:
    """Make a set of narratives to code; blind unless --open."""
    made = await coding.new_set(db, COMMAND_LINE, community_ref, name,
                                narratives.replace(",", " ").split(), blind=not open_)
    kind = "blind" if made.blind else "open"
    click.echo(f"Made the {kind} set {made.name!r} of {made.narratives} narratives.")


@coding_group.command("done")
@click.option("--community", "community_ref", required=True, help="Community name or id.")
@click.option("--coder", required=True, help="Your label as a coder.")
@click.argument("name")
@with_database
async def done_cmd(db: Database, settings: Settings, community_ref: str, coder: str,
                   name: str) -> None:
    """Mark a set coded: you have seen all of it, and now see the others' codings."""
    found = await coding.mark_done(db, COMMAND_LINE, community_ref, name, coder=coder)
    click.echo(f"{found.name!r} is done for {', '.join(found.done)}.")


@coding_group.command("agreement")
@click.option("--community", "community_ref", required=True, help="Community name or id.")
@click.option("--coders", default="", help="Compare only these coders, e.g. AK,BL.")
@click.option("--set", "set_name", default=None, help="Only the narratives of this set.")
@click.option("--json", "as_json", is_flag=True)
@with_database
async def agreement_cmd(db: Database, settings: Settings, community_ref: str, coders: str,
                        set_name: str | None, as_json: bool) -> None:
    """Agreement between coders per code, over the narratives every one of them has seen."""
    named = [c.strip() for c in coders.split(",") if c.strip()]
    found = await coding.agreement(db, COMMAND_LINE, community_ref, coders=named,
                                   set_name=set_name)
    lines = [f"{'code':<28} {'coders':<16} {'units':>5} {'percent':>7} {'kappa':>6} {'alpha':>6}"]
    for a in found:
        percent = "-" if a.percent is None else f"{a.percent:.1f}"
        lines.append(f"{a.code[:28]:<28} {','.join(a.coders)[:16]:<16} {a.units:>5} "
                     f"{percent:>7} {_number(a.kappa):>6} {_number(a.alpha):>6}")
    lines.append("Units: narratives every coder compared has seen. "
                 "Kappa for two coders only; '-' where it is not defined.")
    emit(as_json, {"codes": [a.to_dict() for a in found]}, lines)


@coding_group.command("indicator")
@click.option("--community", "community_ref", required=True, help="Community name or id.")
@click.argument("code")
@click.argument("statement", required=False)
@with_database
async def indicator_cmd(db: Database, settings: Settings, community_ref: str, code: str,
                        statement: str | None) -> None:
    """Make a value indicator of a code, backed by every narrative it is applied to."""
    made = await coding.to_indicator(db, COMMAND_LINE, community_ref, code, statement)
    click.echo(f"Indicator #{made.id} under {made.cycle}: {made.statement} "
               f"({made.narratives} narratives, {made.members} members).")


@coding_group.group("codebook")
def codebook_group() -> None:
    """The codebook alone, as a REFI-QDA codebook file (.qdc)."""


@codebook_group.command("export")
@click.option("--community", "community_ref", required=True, help="Community name or id.")
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The .qdc file to write.")
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@with_database
async def codebook_export_cmd(db: Database, settings: Settings, community_ref: str,
                              output: Path, force: bool) -> None:
    """Write the codebook to a .qdc file for NVivo, ATLAS.ti, MAXQDA or QualCoder."""
    check_target(output, force)
    count = await coding.export_codebook(db, COMMAND_LINE, community_ref, output)
    click.echo(f"Wrote {count} codes to {output}.")


@codebook_group.command("import")
@click.option("--community", "community_ref", required=True, help="Community name or id.")
@click.option("--json", "as_json", is_flag=True)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_database
async def codebook_import_cmd(db: Database, settings: Settings, community_ref: str,
                              as_json: bool, file: Path) -> None:
    """Bring a .qdc file's codes into the codebook (matched by guid, else by name)."""
    done = await coding.import_codebook(db, COMMAND_LINE, community_ref, file)
    emit(as_json, done.to_dict(), [f"Added {len(done.added)}, changed {len(done.changed)}, "
                                   f"unchanged {len(done.unchanged)} codes."])


@coding_group.command("import")
@click.option("--community", "community_ref", required=True, help="Community name or id.")
@click.option("--coder", default=None,
              help="Whose codings these are (default: each user the project names).")
@click.option("--json", "as_json", is_flag=True)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_database
async def import_cmd(db: Database, settings: Settings, community_ref: str, coder: str | None,
                     as_json: bool, file: Path) -> None:
    """Bring back a REFI-QDA project (.qdpx) coded in NVivo, ATLAS.ti, MAXQDA or QualCoder."""
    done = await coding.import_project(db, COMMAND_LINE, community_ref, file, coder)
    lines = [f"Codes: added {len(done.codes.added)}"
             + (f" ({', '.join(done.codes.added)})" if done.codes.added else "")
             + f", changed {len(done.codes.changed)}.",
             f"Codings: added {done.codings_added}, already here {done.codings_unchanged}.",
             f"Coders: {', '.join(done.coders) or 'none'}; narratives seen: {done.seen}."]
    if done.unmatched:
        lines.append(f"Could not match {len(done.unmatched)}:")
        lines += [f"  {why}" for why in done.unmatched[:20]]
        if len(done.unmatched) > 20:
            lines.append(f"  ... and {len(done.unmatched) - 20} more (--json lists them all)")
    emit(as_json, done.to_dict(), lines)
