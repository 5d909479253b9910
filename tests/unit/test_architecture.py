"""The house's rules, checked on the code's own imports (grimp, which import-linter uses).

The layer contracts live in pyproject.toml and run as `lint-imports`; these tests add what a
contract can't say: no two modules import each other, however indirectly.
"""

from __future__ import annotations

import grimp
import pytest

PACKAGES = ("bot", "flows", "storage", "valuestory")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, include_external_packages=True)


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of our modules (Tarjan), each a cycle of imports."""
    ours = sorted(m for m in graph.modules if m.split(".")[0] in PACKAGES)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported.split(".")[0] not in PACKAGES:
                continue
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in ours:
        if module not in index:
            visit(module)
    return found


def test_no_two_modules_import_each_other_even_indirectly(graph: grimp.ImportGraph) -> None:
    cycles = _cycles(graph)
    assert cycles == [], "modules that import each other: " + "; ".join(
        " <-> ".join(c) for c in cycles)


def test_the_cycle_finder_sees_a_cycle() -> None:
    """The check above can fail: a graph with a circle in it is reported."""
    g = grimp.ImportGraph()
    for name in ("valuestory", "valuestory.a", "valuestory.b", "valuestory.c"):
        g.add_module(name)
    g.add_import(importer="valuestory.a", imported="valuestory.b")
    g.add_import(importer="valuestory.b", imported="valuestory.c")
    g.add_import(importer="valuestory.c", imported="valuestory.a")
    assert _cycles(g) == [["valuestory.a", "valuestory.b", "valuestory.c"]]


def test_the_telegram_adapter_holds_no_sql(graph: grimp.ImportGraph) -> None:
    bot_modules = [m for m in graph.modules if m == "bot" or m.startswith("bot.")]
    assert bot_modules
    offenders = sorted(m for m in bot_modules
                       if "sqlalchemy" in graph.find_modules_directly_imported_by(m))
    assert offenders == []


def test_use_cases_and_below_never_touch_telegram(graph: grimp.ImportGraph) -> None:
    lower = [m for m in graph.modules
             if m.split(".")[0] in ("flows", "storage") or m.startswith("valuestory.usecases")]
    offenders = sorted(m for m in lower if graph.chain_exists(importer=m, imported="telegram"))
    assert offenders == []


FRONT_ENDS = ("bot", "valuestory/dashboard", "valuestory/terminal", "valuestory/cli",
              "valuestory/mail", "valuestory/answers")


def test_front_ends_open_no_unit_of_work_of_their_own() -> None:
    """A front end calls one use case, which owns the transaction: none opens a session itself
    (import-linter already keeps sqlalchemy, the models and the repositories out of them)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    opening = re.compile(r"\.(session|connection|reading)\(\)")
    offenders = sorted(f"{path.relative_to(root)}:{number}"
                       for folder in FRONT_ENDS for path in (root / folder).rglob("*.py")
                       for number, line in enumerate(path.read_text().splitlines(), 1)
                       if opening.search(line))
    assert offenders == []


USE_CASES = "valuestory/usecases"
# What a use case outside its `queries` module may take from sqlalchemy: the types a door's unit
# of work hands around and the errors it catches, never a statement builder.
DOOR_MAY_IMPORT = {"sqlalchemy.ext.asyncio": None, "sqlalchemy.exc": None,
                   "sqlalchemy": {"CursorResult", "Select"}, "sqlalchemy.engine": {"make_url"}}


def _use_case_files() -> list[tuple[str, object]]:
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / USE_CASES
    return [(path.relative_to(root).as_posix(), ast.parse(path.read_text()))
            for path in sorted(root.rglob("*.py")) if path.name != "queries.py"]


def test_a_use_case_builds_its_sql_only_in_its_queries_module() -> None:
    """A feature's statements live in its private `queries` module: a door outside it imports
    no statement builder from sqlalchemy (`select`, `update`, `func`, ...)."""
    import ast

    offenders = set()
    for name, tree in _use_case_files():
        for node in ast.walk(tree):  # type: ignore[arg-type]
            if isinstance(node, ast.Import):
                if any(a.name.split(".")[0] == "sqlalchemy" for a in node.names):
                    offenders.add(name)
            elif (isinstance(node, ast.ImportFrom) and node.module
                    and node.module.split(".")[0] == "sqlalchemy"):
                allowed = DOOR_MAY_IMPORT.get(node.module, set())
                if allowed is not None and {a.name for a in node.names} - allowed:
                    offenders.add(name)
    assert sorted(offenders) == []


def test_a_use_cases_public_functions_take_the_database_not_a_session() -> None:
    """A public use-case function is a door: it takes the `Database` and plain values and owns
    its transaction. What shares a unit of work is private (a leading underscore) or lives in
    the feature's `queries` module."""
    import ast
    import re

    offenders = set()
    for name, tree in _use_case_files():
        for node in tree.body:  # type: ignore[attr-defined]
            if (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                    and not node.name.startswith("_")):
                params = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
                if any(p.arg in ("session", "connection", "conn", "work") or (
                        p.annotation is not None
                        and re.search(r"\b(AsyncSession|AsyncConnection|Work)\b",
                                      ast.unparse(p.annotation)))
                       for p in params):
                    offenders.add(name)
    assert sorted(offenders) == []
