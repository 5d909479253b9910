"""`valuestory coding`: the codebook, codings, agreement as text and JSON, the codebook out and in
as a REFI-QDA .qdc; bad input is one line and exit status 2."""

from __future__ import annotations

import re
from pathlib import Path

import xmlschema

from flows import texts
from tests.cli.running import json_of, run, seeded
from tests.storage.test_coding import _community

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "Project-mrt2019.xsd"


def _seed(url: str) -> list[int]:
    return seeded(url, _community)


def test_two_coders_code_a_blind_set_and_see_their_agreement(database_url: str) -> None:
    ids = _seed(database_url)
    added = json_of(run(database_url, "coding", "add-code", "--community", "Coding",
                       "--cycle", "immediate", "A safe space", "--json"))
    assert added["colour"] == "#4E79A7"
    made = run(database_url, "coding", "set", "--community", "Coding", "--narratives",
                ",".join(map(str, ids)), "First ten")
    assert "blind set 'First ten' of 10 narratives" in made.output
    for coder, units in (("AK", (1, 8)), ("BL", (0, 1, 2, 5))):
        for i in units:
            done = run(database_url, "coding", "apply", "--community", "Coding", "--coder",
                        coder, str(ids[i]), "A safe space")
            assert done.exit_code == 0, done.output
        assert run(database_url, "coding", "done", "--community", "Coding", "--coder", coder,
                    "First ten").exit_code == 0
    passage = run(database_url, "coding", "apply", "--community", "Coding", "--coder", "AK",
                   "--start", "4", "--end", "13", str(ids[0]), "A safe space")
    assert "“felt safe”" in passage.output
    # By hand: AK {0, 1, 8}, BL {0, 1, 2, 5} of 10 seen by both; 7 agree. Kappa: chance
    # .3 x .4 + .7 x .6 = .54, (.70 - .54) / .46 = .348. Alpha: 1 - 19 x 3 / (13 x 7) = .374.
    found = json_of(run(database_url, "coding", "agreement", "--community", "Coding", "--json"))
    assert found == {"codes": [{"code": "A safe space", "coders": ["AK", "BL"], "units": 10,
                                "percent": 70.0, "kappa": 0.348, "alpha": 0.374}]}
    text = run(database_url, "coding", "agreement", "--community", "Coding")
    assert re.search(r"A safe space\s+AK,BL\s+10\s+70\.0\s+0\.348\s+0\.374", text.output)
    codes = json_of(run(database_url, "coding", "codes", "--community", "Coding", "--json"))
    assert codes["codes"][0]["narratives"] == 5  # 0, 1, 2, 5, 8


def test_the_codebook_goes_out_as_a_valid_qdc_and_comes_back(database_url: str,
                                                              tmp_path: Path) -> None:
    _seed(database_url)
    assert run(database_url, "coding", "start-codebook", "--community", "Coding").exit_code == 0
    run(database_url, "coding", "add-code", "--community", "Coding", "--parent", "A safe space",
         "Asking freely")
    out = tmp_path / "codes.qdc"
    wrote = run(database_url, "coding", "codebook", "export", "--community", "Coding",
                 "--output", str(out))
    assert wrote.exit_code == 0, wrote.output
    xml = out.read_text("utf-8")
    # The codes validate against the project schema's codebook (the namespace aside).
    project = ('<Project xmlns="urn:QDA-XML:project:1.0" name="check">'
               + re.sub(r"^<\?xml[^>]*>\s*", "", xml).replace(
                   'xmlns="urn:QDA-XML:codebook:1.0"', "").replace(' origin="valuestory"', "")
               + "</Project>")
    xmlschema.XMLSchema(str(SCHEMA)).validate(project)
    assert re.search(r'name="A safe space"[^>]*>.*name="Asking freely"', xml, re.S)
    # Another tool renames a code and adds one; importing it back matches by guid.
    guid = re.search(r'guid="([^"]+)"[^>]*name="Energy"|name="Energy"[^>]*guid="([^"]+)"', xml)
    assert guid is not None
    changed = xml.replace('name="Energy"', 'name="Energy and enjoyment"').replace(
        "</Codes>", '<Code guid="5b6f7c1e-8a37-4f0e-9d3b-0c2a4e6f8a10" name="Humour" '
        'isCodable="true" color="#112233"/></Codes>')
    back = tmp_path / "back.qdc"
    back.write_text(changed, "utf-8")
    outcome = json_of(run(database_url, "coding", "codebook", "import", "--community", "Coding",
                         str(back), "--json"))
    assert outcome["added"] == ["Humour"] and outcome["changed"] == ["Energy and enjoyment"]
    names = {c["name"] for c in json_of(run(database_url, "coding", "codes", "--community",
                                           "Coding", "--json"))["codes"]}
    assert {"Humour", "Energy and enjoyment"} <= names and "Energy" not in names


def test_bad_input_is_one_line_and_exit_status_2(database_url: str, tmp_path: Path) -> None:
    ids = _seed(database_url)
    run(database_url, "coding", "add-code", "--community", "Coding", "A safe space")
    not_qdc = tmp_path / "notes.qdc"
    not_qdc.write_text("just some notes", "utf-8")
    for args, said in [
        (("coding", "codes", "--community", "Nowhere"),
         texts.NO_SUCH_COMMUNITY.format(community="'Nowhere'")),
        (("coding", "add-code", "--community", "Coding", "--colour", "red", "X"), "#RRGGBB"),
        (("coding", "apply", "--community", "Coding", "--coder", "AK", "--start", "3",
          str(ids[0]), "A safe space"), "give both --start and --end"),
        (("coding", "apply", "--community", "Coding", "--coder", "AK", str(ids[0]), "Nope"),
         "no code 'Nope'"),
        (("coding", "apply", "--community", "Coding", "--coder", "@ann", str(ids[0]),
          "A safe space"), "not a Telegram id or username"),
        (("coding", "codebook", "import", "--community", "Coding", str(not_qdc)),
         "is not a REFI-QDA codebook"),
        (("coding", "indicator", "--community", "Coding", "A safe space"), "which cycle"),
    ]:
        result = run(database_url, *args)
        assert result.exit_code == 2, (args, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and said in lines[0], (args, result.output)
        assert "Traceback" not in result.output
    assert json_of(run(database_url, "coding", "codes", "--community", "Coding", "--json"))[
        "codes"][0]["narratives"] == 0
