"""prove and bmc on a spec with temporal properties: they are not invariants, so both
skip them with one line naming them, in text and in --json, and never call them proved."""

from __future__ import annotations

import json

import jsonschema
import pytest

from mmcheck.cli import main
from mmcheck.explorer.core.result import BOUNDED
from mmcheck.explorer.report.schema import schema
from mmcheck.invariants import bmc, prove
from mmcheck.invariants.prove import PROVED

SPEC = """\
var x : 0..2 = 0
fair process a {
a1: x := 1
a2: x := 2; goto a1
}
invariant Small: x <= 2
property Reaches: eventually x == 2
property Returns: always eventually x == 1
"""
NOTE = "skips the temporal properties Reaches, Returns: not invariants (mmcheck check decides them)"


@pytest.fixture
def path(tmp_path):
    p = tmp_path / "props.mms"
    p.write_text(SPEC)
    return str(p)


def test_prove_proves_the_invariants_and_names_the_properties_skipped(path):
    r = prove(path)
    assert r.goals == ("Small",) and r.status == PROVED
    assert r.skipped_properties == ("Reaches", "Returns")
    assert {q.invariant for q in r.queries} == {"Small", "(no runtime error)"}
    assert r.to_dict()["skipped_properties"] == ["Reaches", "Returns"]


def test_bmc_looks_for_invariant_violations_only_and_warns(path):
    r = bmc(path, depth=3)
    assert r.verdict == BOUNDED
    assert r.warnings == [f"note: bmc {NOTE}"]


@pytest.mark.parametrize("verb", ["prove", "bmc"])
def test_cli_text_has_one_note_line(verb, path, capsys):
    assert main([verb, path, *(["--depth", "3"] if verb == "bmc" else [])]) == 0
    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if "Reaches" in line] == [f"note: {verb} {NOTE}"]
    assert "Returns" not in out.replace(f"note: {verb} {NOTE}", "")


@pytest.mark.parametrize("verb", ["prove", "bmc"])
def test_cli_json_lists_the_properties_skipped(verb, path, capsys):
    assert main([verb, path, "--json", *(["--depth", "3"] if verb == "bmc" else [])]) == 0
    doc = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator(schema(verb)).validate(doc)
    assert doc["skipped_properties"] == ["Reaches", "Returns"]
    assert "Reaches" not in json.dumps({k: v for k, v in doc.items() if k != "skipped_properties"})


def test_a_spec_without_properties_skips_none(tmp_path, capsys):
    p = tmp_path / "plain.mms"
    p.write_text(SPEC.split("property")[0])
    assert prove(str(p)).skipped_properties == ()
    assert bmc(str(p), depth=2).warnings == []
    assert main(["bmc", str(p), "--depth", "2"]) == 0
    assert "note" not in capsys.readouterr().out


def test_prove_of_properties_alone_is_a_usage_error_naming_them(tmp_path, capsys):
    p = tmp_path / "only.mms"
    p.write_text(SPEC.replace("invariant Small: x <= 2\n", ""))
    assert main(["prove", str(p)]) == 2
    err = capsys.readouterr().err
    assert "no invariant to prove" in err and "Reaches, Returns" in err
