"""An `either` a step does not reach adds no transitions: its hidden branch parameter
takes one value there, so each path of a step is one transition. Generated counts are
computed by hand (1 initial state plus, for each distinct state, its paths)."""

from __future__ import annotations

import pytest

from mmcheck import explorer, spec
from mmcheck.explorer.report import format_cpu, format_text, to_itf
from mmcheck.explorer.report.dot import edge_label
from mmcheck.explorer.tuple.graph import explore
from mmcheck.invariants import bmc

# `either` in one branch of an `if`: 1 path where b is false, 3 where it is true;
# 8 states (b, y), half of each: 1 + 4 * 1 + 4 * 3 = 17 generated (was 1 + 8 * 3 = 25)
IN_IF = """
var b : bool = false
var y : 0..3 = 0
process p {
s:
  if b {
    either { y := 1 } or { y := 2 } or { y := 3 }
  }
  b := not b
  goto s
}
"""

# nested eithers, one in each branch of an `if`, one inside a macro: 3 paths in every
# state, 15 states (b, y, z): 1 + 15 * 3 = 46 generated (was 1 + 15 * 2^4 = 241)
NESTED = """
var b : bool = false
var y : 0..3 = 0
var z : 0..1 = 0
macro pick(v) { either { v := 0 } or { v := 1 } }
process p {
s:
  if b {
    either { y := 1 } or { either { y := 2 } or { y := 3 } }
  } else {
    either { y := 0 } or { pick(z) }
  }
  b := not b
  goto s
}
"""

# two eithers after a `goto` on one path: 1 path where b becomes true, else 2 * 2;
# 8 states (b, y, z): 1 + 4 * 1 + 4 * 4 = 21 generated (was 1 + 8 * 4 = 33)
AFTER_GOTO = """
var b : bool = false
var y : 0..1 = 0
var z : 0..1 = 0
process p {
s:
  b := not b
  if b { goto s }
  either { y := 0 } or { y := 1 }
  either { z := 0 } or { z := 1 }
  goto s
}
"""


def load(tmp_path, text: str):
    path = tmp_path / "either.mms"
    path.write_text(text)
    return path


@pytest.mark.parametrize("backend", ["tuple", "vector"])
@pytest.mark.parametrize(
    ("text", "distinct", "generated"),
    [(IN_IF, 8, 17), (NESTED, 15, 46), (AFTER_GOTO, 8, 21)],
    ids=["in-if", "nested", "after-goto"],
)
def test_each_path_is_one_transition(tmp_path, backend, text, distinct, generated):
    r = explorer.check(load(tmp_path, text), backend=backend)
    assert (r.verdict, r.stats.distinct, r.stats.generated) == ("holds", distinct, generated)


@pytest.mark.parametrize("text", [IN_IF, AFTER_GOTO], ids=["in-if", "after-goto"])
def test_graph_has_no_parallel_edges(tmp_path, text):
    # every path of these specs leads to a different state
    g = explore(spec.load(load(tmp_path, text)), max_states=100)
    assert len({(src, dst) for src, _, dst in g.edges}) == len(g.edges)


def test_bmc_finds_the_shortest_trace_through_an_if_with_an_either(tmp_path):
    path = load(tmp_path, IN_IF + "invariant NotTwo: y != 2\n")
    r = explorer.check(path)
    assert (r.verdict, r.violation.length) == ("violated", 2)
    assert bmc(spec.load(path), depth=3).violation.length == 2


# the shortest violation takes the `else` path (no either), then branch 2
TAKEN = IN_IF.replace("var y : 0..3 = 0", "var y : 0..3 = 0\ninvariant NotTwo: y != 2")


def test_traces_name_only_the_branches_taken(tmp_path):
    program = spec.load(load(tmp_path, TAKEN))
    v = explorer.check(program).violation
    assert v.length == 2
    text = format_text(program, v).splitlines()
    assert "Step 1: p.s  [p at s]" in text and "Step 2: p.s(branch 2)  [p at s]" in text
    cpu = format_cpu(program, v).splitlines()
    assert [line.strip() for line in cpu if line.strip().startswith("s()")] == [
        "s()",
        "s()  [branch 2]",
    ]
    assert [s["#meta"]["params"] for s in to_itf(program, v.trace)["states"][1:]] == [
        {},
        {"either#1": "branch2"},
    ]
    labels = {edge_label(program, step) for _, step, _ in explore(program, max_states=100).edges}
    assert labels == {"p: s", "p: s [branch 1]", "p: s [branch 2]", "p: s [branch 3]"}
