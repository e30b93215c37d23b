"""A set of records reads in every trace format as the spec writes it: one value, its
records with their fields, not a bool per record."""

from __future__ import annotations

from mmcheck import explorer, spec
from mmcheck.explorer import report

TEXT = (
    "type Msg = record { ok: bool, n: 0..1 }\n"
    "var box : [1..2] -> set of Msg = [i in 1..2 |-> {}]\n"
    "process p[i in 1..2] {\n"
    "  var inbox : set of Msg = {}\n"
    "  a: inbox := inbox union {{ok: true, n: 1}}\n"
    "     box[i] := box[i] union {{ok: false, n: 0}, {ok: true, n: 0}}\n"
    "}\n"
    "invariant I: card(box[2]) == 0\n"
)


def violation():
    program = spec.load(TEXT)
    result = explorer.check(program)
    assert result.violation is not None
    return program, result.violation


def test_text_and_cpu_traces_show_the_records():
    program, v = violation()
    text = report.format_text(program, v)
    assert "  box[2] = {}\n" in text and "  p[2].inbox = {}\n" in text
    assert "  box[2]: {} -> {{ok: false, n: 0}, {ok: true, n: 0}}\n" in text
    assert text.endswith("  p[2].inbox: {} -> {{ok: true, n: 1}}")
    assert "box[2][" not in text  # no slot of the bitmap on its own
    assert "inbox = {{ok: true, n: 1}}" in report.format_cpu(program, v)


def test_itf_writes_a_set_of_records():
    program, v = violation()
    itf = report.to_itf(program, v.trace)
    last = itf["states"][-1]
    two = {"#set": [{"ok": False, "n": {"#bigint": "0"}}, {"ok": True, "n": {"#bigint": "0"}}]}
    assert last["box"] == {"#map": [[{"#bigint": "1"}, {"#set": []}], [{"#bigint": "2"}, two]]}
    assert last["p"]["inbox"]["#map"][1] == [
        {"#bigint": "2"},
        {"#set": [{"ok": True, "n": {"#bigint": "1"}}]},
    ]
    writes = {w["var"]: w["value"] for w in last["#meta"]["writes"]}
    assert writes["box[2]"] == two
