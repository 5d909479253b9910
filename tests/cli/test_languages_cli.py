"""Languages on the command line: a community's language, previewing a question set in one, and
checking what a translation still lacks. Bad files are refused in one line, with exit status 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows import texts
from flows.questions import QUESTIONSETS_DIR
from tests.cli.test_cli import vs

BROKEN_YAML = 'scripts:\n  post_event:\n    intro: "unclosed\n    questions: {}\n'
BAD_PLACEHOLDER = ('scripts:\n  post_event:\n    questions:\n      immediate.experience:\n'
                   '        text: "¿Cómo fue participar en {evento}?"\n')
PARTIAL = ('scripts:\n  post_event:\n    questions:\n      attended:\n'
           '        text: "¿Participaste en {event}?"\n')


@pytest.fixture
def db_env(database_url: str) -> dict[str, str]:
    return {"DATABASE_URL": database_url}


def ours(folder: Path, spanish: str) -> Path:
    """A community's own question set (the default's questions) with a Spanish file beside it."""
    base = folder / "ours.yaml"
    base.write_text((QUESTIONSETS_DIR / "default.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "ours.es.yaml").write_text(spanish, encoding="utf-8")
    return base


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def test_questions_check_says_per_language_what_is_missing_and_exits_1(tmp_path: Path) -> None:
    complete = vs("questions", "check", str(QUESTIONSETS_DIR / "default.yaml"), cwd=tmp_path)
    assert complete.returncode == 0, complete.stderr
    assert complete.stdout.splitlines() == ["ar (default.ar.yaml): complete",
                                            "es (default.es.yaml): complete",
                                            "pl (default.pl.yaml): complete"]

    partial = vs("questions", "check", str(ours(tmp_path, PARTIAL)), cwd=tmp_path)
    assert partial.returncode == 1, partial.stderr
    lines = partial.stdout.splitlines()
    assert lines[0].startswith("es (ours.es.yaml): ") and lines[0].endswith(" missing")
    assert "  post_event intro" in lines
    assert "  post_event question 'immediate.moment'" in lines
    assert "  post_event question 'attended'" not in lines  # translated
    assert "  post_event question 'attended' option 'yes'" in lines

    as_json = json.loads(vs("questions", "check", str(tmp_path / "ours.es.yaml"), "--json",
                            cwd=tmp_path).stdout)
    assert as_json["languages"]["es"]["complete"] is False


@pytest.mark.parametrize(("spanish", "named"), [
    (BROKEN_YAML, "ours.es.yaml: line "),
    (BAD_PLACEHOLDER, "ours.es.yaml [post_event] question 'immediate.experience'"),
])
def test_a_broken_translation_is_refused_in_one_line_by_check_create_and_try(
    tmp_path: Path, db_env: dict[str, str], spanish: str, named: str,
) -> None:
    base = ours(tmp_path, spanish)
    for args in (("questions", "check", str(base)),
                 ("community", "create", "Ours", "--question-set", str(base)),
                 ("try", "--question-set", str(base))):
        result = vs(*args, cwd=tmp_path, env=db_env, stdin="")
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert named in one_line(result.stderr), args
    listed = vs("community", "list", "--json", cwd=tmp_path, env=db_env)
    assert json.loads(listed.stdout)["communities"] == []  # nothing was created


def test_questions_check_of_a_file_that_is_not_there_exits_2(tmp_path: Path) -> None:
    result = vs("questions", "check", str(tmp_path / "nowhere.yaml"), cwd=tmp_path)
    assert result.returncode == 2 and "nowhere.yaml" in one_line(result.stderr)


def test_a_communitys_language_is_set_checked_and_shown(tmp_path: Path, db_env: dict[str, str]) -> None:
    made = vs("community", "create", "Red de Fragilidad", "--language", "es", "--json",
              cwd=tmp_path, env=db_env)
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["language"] == "es"

    changed = vs("community", "set", "Red de Fragilidad", "--language", "pl", cwd=tmp_path, env=db_env)
    assert changed.returncode == 0, changed.stderr
    assert "  language: pl (for members whose own is not spoken)" in changed.stdout.splitlines()

    refused = vs("community", "set", "Red de Fragilidad", "--language", "xx", "--delay", "1h",
                 cwd=tmp_path, env=db_env)
    assert refused.returncode == 2
    assert one_line(refused.stderr).endswith("--language takes one of en, ar, es, pl, not 'xx'")
    shown = json.loads(vs("community", "set", "Red de Fragilidad", "--json", cwd=tmp_path,
                          env=db_env).stdout)
    assert shown["language"] == "pl" and shown["prompt_delay_minutes"] == 120  # nothing changed

    bad_create = vs("community", "create", "Other", "--language", "klingon", cwd=tmp_path,
                    env=db_env)
    assert bad_create.returncode == 2 and "--language takes one of" in one_line(bad_create.stderr)


def test_try_previews_a_question_set_in_a_language(tmp_path: Path) -> None:
    script = "\n".join(["1", "1", "Rozmowa o przypadku", "/next", "/stop"]) + "\n"
    result = vs("try", "--language", "pl", cwd=tmp_path, stdin=script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Dołączanie do" in out and "[1] Zgadzam się" in out
    assert "Pytanie 1" in out and "Czy udało Ci się wziąć udział w" in out
    assert "Rozmowa o przypadku" in out.split(texts.In("pl").TRY_STORED)[1]

    unknown = vs("try", "--language", "xx", cwd=tmp_path, stdin="")
    assert unknown.returncode == 2 and "--language takes one of" in one_line(unknown.stderr)


def test_the_command_line_tells_of_a_community_in_its_language(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whoever runs the command line has no language of their own here: what it says about a
    community (who will be asked about a new event, how long answers are kept) is in the
    community's, as a convener who is not a member is answered."""
    from click.testing import CliRunner

    from valuestory.cli import main

    monkeypatch.chdir(tmp_path)
    env = {"DATABASE_URL": database_url}

    def run(*args: str) -> str:
        result = CliRunner().invoke(main, list(args), env=env)
        assert result.exit_code == 0, result.output
        return result.output

    es = texts.In("es")
    run("community", "create", "Red Perinatal", "--language", "es")
    planned = run("event", "create", "--community", "Red Perinatal", "--title", "Taller",
                  "--starts", "2027-03-04 10:00", "--ends", "2027-03-04 12:00")
    assert es.ASKING_LATER_NOBODY_YET.partition("{when}")[0] in planned
    assert texts.ASKING_LATER_NOBODY_YET.partition("{when}")[0] not in planned
    assert run("community", "retention", "Red Perinatal", "6") == es.RETENTION_SET.format(
        community=texts.isolate("Red Perinatal"), months=es.plural(6, "month")) + "\n"
