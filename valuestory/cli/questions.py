"""`valuestory questions check FILE`: what each language of a question set still lacks.

Invariant: the exit status says it all for scripts and CI: 0 when every language file has every
text, 1 when something is missing (each missing text listed under its language), 2 with one line
when the file cannot be read (bad YAML, a placeholder its base text lacks, no such file).
"""

from __future__ import annotations

import sys

import click

from flows.questions import check_translations
from valuestory.cli.common import emit, one_line_errors
from valuestory.cli.root import main


@main.group()
def questions() -> None:
    """Question sets and their translations."""


@questions.command("check")
@click.argument("file", metavar="FILE")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@one_line_errors
def questions_check(file: str, as_json: bool) -> None:
    """Say, per language, which texts of question set FILE are not translated yet.

    FILE is a base file (questions.yaml, whose language files sit beside it as questions.es.yaml),
    one language file, or a bundled set's name (default).
    """
    reports = check_translations(file)
    lines: list[str] = []
    for language, report in sorted(reports.items()):
        if report.complete:
            lines.append(f"{language} ({report.file}): complete")
        else:
            lines.append(f"{language} ({report.file}): {len(report.missing)} missing")
            lines += [f"  {item}" for item in report.missing]
        lines += [f"  not in the base file, ignored: {item}" for item in report.unknown]
    emit(as_json, {"languages": {
        language: {"file": r.file, "complete": r.complete, "missing": list(r.missing),
                   "unknown": list(r.unknown)} for language, r in sorted(reports.items())
    }}, lines or [f"No translations beside {file}."])
    if not all(r.complete for r in reports.values()):
        sys.exit(1)
