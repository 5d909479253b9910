"""The migration files, read in the order of their names, are the chain Alembic applies; each
docstring names its revision and what it revises; and no revision id is taken twice."""

from __future__ import annotations

import re
from pathlib import Path

from alembic.script import Script, ScriptDirectory

from storage.db import HEAD, MIGRATIONS, alembic_config

# The files before the rule "a revision id is its file's stem" keep the ids databases recorded.
HISTORICAL = 7


def _applied() -> list[Script]:
    """The revisions in the order `upgrade head` applies them."""
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_heads() == [HEAD]
    return list(reversed(list(script.walk_revisions("base", "heads"))))


def _files() -> list[Path]:
    return sorted((MIGRATIONS / "versions").glob("[0-9]*.py"))


def test_migration_files_sorted_by_name_are_the_order_alembic_applies_them() -> None:
    files = _files()
    assert [Path(r.path).name for r in _applied()] == [f.name for f in files]
    assert [int(f.name[:4]) for f in files] == list(range(1, len(files) + 1))
    assert _applied()[-1].revision == HEAD


def test_each_migration_docstring_says_its_revision_and_the_one_it_revises() -> None:
    for r in _applied():
        doc = r.module.__doc__ or ""
        name = Path(r.path).name
        said = re.search(r"^Revision ID: (.*)$", doc, re.M)
        revises = re.search(r"^Revises: ?(.*)$", doc, re.M)
        assert said is not None and revises is not None, name
        assert said.group(1).strip() == r.revision, name
        assert revises.group(1).strip() == (r.down_revision or ""), name


def test_revision_ids_are_never_reused_and_new_ones_are_their_file_stem() -> None:
    applied = _applied()
    ids = [r.revision for r in applied]
    assert len(set(ids)) == len(ids)
    for r in applied[HISTORICAL:]:
        assert r.revision == Path(r.path).stem
