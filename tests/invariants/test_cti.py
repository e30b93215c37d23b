"""`prove --check-cti` never calls a real bug spurious: a CTI of an invariant that fails
in reachable states is reported as a real violation, with its shortest trace, even when
the CTI's own states differ from every reachable one in slots the invariant never reads."""

from __future__ import annotations

import dataclasses

import pytest

from mmcheck.cli import main
from mmcheck.invariants import prove
from mmcheck.invariants.cti import check_cti
from mmcheck.invariants.prove import CTI

# x <= 1 is violated in 2 steps; `junk` (read by nothing) is 3 in every reachable state,
# while the CTI's pre-state may hold any value there
UNREAD = """spec Unread
var x : 0..3 = 0
var junk : 0..3 = 3
action inc
  when x < 3
  x' = x + 1
invariant Small: x <= 1
"""


@pytest.fixture
def unread(tmp_path):
    path = tmp_path / "unread.mms"
    path.write_text(UNREAD)
    return str(path)


def test_check_cti_reports_a_reachable_violation_with_its_trace(unread, capsys):
    assert main(["prove", unread, "--check-cti"]) == 1
    out = capsys.readouterr().out
    assert "not reachable" not in out
    reach = out[out.index("reachability: ") :]
    assert reach.startswith(
        "reachability: invariant Small is really violated, not merely not inductive: "
        "the explored state space breaks it in 2 steps (the shortest trace below)\n"
    )
    assert "Trace of 2 steps:\nState 0: initial state\n  x = 0\n  junk = 3\n" in reach


def test_cti_states_are_compared_on_the_slots_read(unread):
    (q,) = [q for q in prove(unread).queries if q.status == CTI]
    # junk = 2 in both CTI states: never reachable, and never read by inc or Small
    trace = tuple(dataclasses.replace(s, state=(s.state[0], 2)) for s in q.cti.trace)
    cti = dataclasses.replace(q.cti, trace=trace)
    assert [s.state for s in cti.trace] == [(1, 2), (2, 2)]
    # depth 1 stops the check of Small before its violation; the search for the CTI's
    # pre-state on the slots read (x = 1) reaches it in 1 step
    reach = check_cti(q.program, cti, max_depth=1)
    assert reach.verdict == "reachable", reach.text
    assert reach.text.startswith("pre-state reachable from Init in 1 steps")
    assert check_cti(q.program, cti).verdict == "reachable"
