"""Value indicators from the command line: `valuestory indicator add|link|unlink|quote|edit|merge|
retire|restore|list|examples|adopt|leave`.

Narratives are named by the ids the exports give them (`narrative_id`). Each command calls one
door of `usecases.indicators` as the command line, which the audit log names "command line".
"""

from __future__ import annotations

from typing import Any

import click

from flows import texts
from storage.db import Database
from valuestory.cli.common import emit, with_database
from valuestory.cli.root import main
from valuestory.process.settings import Settings
from valuestory.usecases import indicators
from valuestory.usecases.indicators import COMMAND_LINE, IndicatorView

CYCLE = click.Choice(indicators.CYCLES, case_sensitive=False)
CAPITAL = click.Choice(indicators.CAPITALS, case_sensitive=False)
EVIDENCE_HELP = "Narrative ids as the exports give them (narrative_id), e.g. 12,15,31."


def _counts(v: IndicatorView) -> str:
    return (f"{texts.plural(v.narratives, 'narrative')}, {texts.plural(v.stories, 'story')}, "
            f"{texts.plural(v.members, 'member')}")


def _lines(v: IndicatorView) -> list[str]:
    capital = f" [{v.capital}]" if v.capital else ""
    state = f" ({v.status})" if v.status != "active" else ""
    lines = [f"#{v.id} {v.statement}{capital}{state}", f"    {_counts(v)}; members' check: "
             f"{v.check.asked} asked, {v.check.agreed} agreed, {v.check.disagreed} disagreed"]
    lines += [f"    “{q.text}” ({q.pseudonym})" for q in v.quotes]
    return lines


def _show(as_json: bool, v: IndicatorView, said: str) -> None:
    emit(as_json, v.to_dict(), [said, *_lines(v)])


def _community_option(required: bool) -> Any:
    return click.option("--community", "community_ref", required=required, default=None,
                        help="Community name or id" + ("." if required else
                                                       " (default: the indicator's own)."))


@main.group()
def indicator() -> None:
    """Value indicators: statements of value under a cycle, backed by narratives."""


def _on_one(name: str, *options: Any) -> Any:
    """An `indicator NAME ID` command: the indicator by id (its community by default), the
    options given, `--json`, and the database."""
    def register(f: Any) -> Any:
        f = with_database(f)
        f = click.option("--json", "as_json", is_flag=True)(f)
        for option in reversed((*options, _community_option(False))):
            f = option(f)
        return indicator.command(name)(click.argument("indicator_id")(f))
    return register


@indicator.command("add")
@_community_option(True)
@click.option("--cycle", required=True, type=CYCLE, help="The cycle of value it is under.")
@click.option("--capital", type=CAPITAL, default=None, help="Under potential value: its capital.")
@click.argument("statement")
@click.option("--evidence", default="", help=EVIDENCE_HELP)
@click.option("--json", "as_json", is_flag=True)
@with_database
async def indicator_add(db: Database, settings: Settings, community_ref: str, cycle: str,
                        capital: str | None, statement: str, evidence: str,
                        as_json: bool) -> None:
    """Add an indicator, last in its cycle, backed by the narratives given."""
    made = await indicators.add(db, COMMAND_LINE, community_ref, cycle, statement, capital,
                                evidence)
    _show(as_json, made, f"Added indicator #{made.id} under {texts.CYCLE_NAMES[made.cycle]}.")


@_on_one("link", click.option("--evidence", required=True, help=EVIDENCE_HELP))
async def indicator_link(db: Database, settings: Settings, indicator_id: str,
                         community_ref: str | None, evidence: str, as_json: bool) -> None:
    """Add narratives to an indicator's evidence."""
    v = await indicators.link(db, COMMAND_LINE, community_ref, indicator_id, evidence)
    _show(as_json, v, f"Indicator #{v.id} now stands on {_counts(v)}.")


@_on_one("unlink", click.option("--evidence", required=True, help=EVIDENCE_HELP))
async def indicator_unlink(db: Database, settings: Settings, indicator_id: str,
                           community_ref: str | None, evidence: str, as_json: bool) -> None:
    """Take narratives out of an indicator's evidence."""
    v = await indicators.unlink(db, COMMAND_LINE, community_ref, indicator_id, evidence)
    _show(as_json, v, f"Indicator #{v.id} now stands on {_counts(v)}.")


@_on_one("quote",
         click.option("--evidence", default="", help="The one or two narratives of its evidence "
                      "to show with it (none: no quote)."))
async def indicator_quote(db: Database, settings: Settings, indicator_id: str,
                          community_ref: str | None, evidence: str, as_json: bool) -> None:
    """Choose the quotes shown with an indicator."""
    v = await indicators.set_quotes(db, COMMAND_LINE, community_ref, indicator_id, evidence)
    _show(as_json, v, f"Indicator #{v.id} shows {len(v.quotes)} quote(s).")


@_on_one("edit",
         click.option("--statement", default=None, help="Its new statement."),
         click.option("--cycle", type=CYCLE, default=None,
                      help="Move it to another cycle (last there)."),
         click.option("--capital", default=None,
                      help="Under potential value: its capital; \"\" clears it."))
async def indicator_edit(db: Database, settings: Settings, indicator_id: str,
                         community_ref: str | None, statement: str | None, cycle: str | None,
                         capital: str | None, as_json: bool) -> None:
    """Change an indicator's statement, cycle or capital."""
    v = await indicators.edit(db, COMMAND_LINE, community_ref, indicator_id,
                              statement=statement, cycle=cycle, capital=capital)
    _show(as_json, v, f"Indicator #{v.id} is now:")


@_on_one("merge",
         click.option("--into", "into", required=True, help="The indicator it becomes part of."))
async def indicator_merge(db: Database, settings: Settings, indicator_id: str, into: str,
                          community_ref: str | None, as_json: bool) -> None:
    """Merge an indicator into another: its evidence joins the other's."""
    v = await indicators.merge(db, COMMAND_LINE, community_ref, indicator_id, into)
    _show(as_json, v, f"Merged #{indicator_id.lstrip('#')} into #{v.id}.")


@_on_one("retire")
async def indicator_retire(db: Database, settings: Settings, indicator_id: str,
                           community_ref: str | None, as_json: bool) -> None:
    """Take an indicator off the matrix (it keeps its evidence; `restore` brings it back)."""
    v = await indicators.retire(db, COMMAND_LINE, community_ref, indicator_id)
    _show(as_json, v, f"Retired indicator #{v.id}.")


@_on_one("restore")
async def indicator_restore(db: Database, settings: Settings, indicator_id: str,
                            community_ref: str | None, as_json: bool) -> None:
    """Put a retired or merged indicator back on the matrix."""
    v = await indicators.restore(db, COMMAND_LINE, community_ref, indicator_id)
    _show(as_json, v, f"Restored indicator #{v.id}.")


@indicator.command("list")
@_community_option(True)
@click.option("--all", "everything", is_flag=True, help="Retired and merged ones too.")
@click.option("--json", "as_json", is_flag=True)
@with_database
async def indicator_list(db: Database, settings: Settings, community_ref: str, everything: bool,
                         as_json: bool) -> None:
    """A community's indicators, cycle by cycle, each with what backs it."""
    statuses = ("active", "retired", "merged") if everything else ("active",)
    found = await indicators.listing(db, community_ref, statuses=statuses)
    lines: list[str] = []
    for cycle in indicators.CYCLES:
        mine = [v for v in found if v.cycle == cycle]
        lines.append(f"{texts.CYCLE_NAMES[cycle]}:" if mine
                     else f"{texts.CYCLE_NAMES[cycle]}: no indicators yet.")
        for v in mine:
            lines += ["  " + line for line in _lines(v)]
    if not found:
        lines.append("Start from the examples: valuestory indicator examples --community NAME")
    emit(as_json, {"indicators": [v.to_dict() for v in found]}, lines)


@indicator.command("examples")
@_community_option(True)
@click.option("--json", "as_json", is_flag=True)
@with_database
async def indicator_examples(db: Database, settings: Settings, community_ref: str,
                             as_json: bool) -> None:
    """Example indicators the community has not adopted yet, in its language."""
    found = await indicators.offered(db, community_ref)
    emit(as_json, {"examples": [{"key": s.key, "cycle": s.cycle, "capital": s.capital,
                                 "statement": s.statement} for s in found]},
         [f"{s.key}: [{s.cycle}{'/' + s.capital if s.capital else ''}] {s.statement}"
          for s in found] or ["Every example is on the matrix already."])


@indicator.command("adopt")
@click.argument("key")
@_community_option(True)
@click.option("--json", "as_json", is_flag=True)
@with_database
async def indicator_adopt(db: Database, settings: Settings, key: str, community_ref: str,
                          as_json: bool) -> None:
    """Adopt one of the examples (see `indicator examples`), in the community's language."""
    v = await indicators.adopt(db, COMMAND_LINE, community_ref, key)
    _show(as_json, v, f"Added indicator #{v.id} under {texts.CYCLE_NAMES[v.cycle]}.")


@indicator.command("leave")
@click.argument("key")
@_community_option(True)
@click.option("--json", "as_json", is_flag=True)
@with_database
async def indicator_leave(db: Database, settings: Settings, key: str, community_ref: str,
                          as_json: bool) -> None:
    """Leave one of the examples: it is no longer offered to the community."""
    s = await indicators.leave(db, COMMAND_LINE, community_ref, key)
    emit(as_json, {"key": s.key, "cycle": s.cycle, "capital": s.capital,
                   "statement": s.statement, "left": True},
         [f"Left the example {s.key}: it won't be offered again."])
