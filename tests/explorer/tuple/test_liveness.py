"""The liveness check on the tuple back end, end to end: the behaviour graph the search
records (explorer.liveness.behaviour), each property kind's verdict with and without
fairness, the lassos (prefix, cycle, stutter steps) and the SCC counts pinned; safety
first, bounds give INCOMPLETE, the refusals by name, --property / --no-properties, and
`expect ... violates property` checked by `mmcheck test`."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

import pytest

from mmcheck import explorer, spec
from mmcheck.cli import main
from mmcheck.explorer.core.limits import Limits
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.result import HOLDS, INCOMPLETE, STUTTER, VIOLATED, Result
from mmcheck.explorer.liveness import behaviour
from mmcheck.explorer.liveness.behaviour import edge_units
from mmcheck.explorer.tuple.bfs import bfs, make_search
from mmcheck.explorer.tuple.translate import compile_model
from mmcheck.spec.errors import UsageError

SPECS = Path(__file__).resolve().parents[2] / "specs"
SPINLOCK = SPECS / "liveness_spinlock.mms"
TICKET = SPECS / "liveness_ticket.mms"


def variant(path: Path, fairness: str) -> str:
    """The spec's text with its processes' fairness replaced, and no expectation."""
    lines = path.read_text().splitlines()
    lines = [ln for ln in lines if not ln.startswith("expect")]
    text = "\n".join(lines) + "\n"
    return text.replace("fair process", f"{fairness} process".lstrip())


def lasso(r: Result) -> tuple[int, int, list[str]]:
    """The loop index, the cycle's steps and the cycle's actions (with instances)."""
    v = r.violation
    assert v is not None and v.kind == "property" and v.loop is not None
    assert v.trace[-1].state == v.trace[v.loop].state
    steps = [s.instance or s.action for s in v.trace[v.loop + 1 :]]
    return v.loop, v.cycle, steps


# ---------------------------------------------------------------- classic results


def test_spinlock_starves_under_weak_fairness():
    r = explorer.check(SPINLOCK, properties=("Progress",))
    assert r.verdict == VIOLATED and r.violation.name == "Progress"
    assert lasso(r) == (0, 3, ["cpu[2]", "cpu[2]", "cpu[2]"])
    assert [s.label for s in r.violation.trace[1:]] == ["acquire", "cs", "release"]
    assert (r.stats.distinct, r.stats.sccs) == (5, 2)
    assert "a fair cycle of 3 steps never reaches cpu.pc[1] == cs" in r.violation.message
    assert r.violation.loc.line == 15
    assert r.exit_code == 1


def test_spinlock_without_fairness_stutters():
    """No fairness: CPU 1 may simply never move (TLA+'s stuttering)."""
    r = explorer.check(variant(SPINLOCK, ""), properties=("Progress",))
    assert lasso(r) == (0, 1, [STUTTER])
    stutter = r.violation.trace[1]
    assert (stutter.action, stutter.params, stutter.process, stutter.label) == (
        STUTTER,
        (),
        None,
        None,
    )
    assert stutter.state == r.violation.trace[0].state


def test_spinlock_holds_under_strong_fairness():
    r = explorer.check(variant(SPINLOCK, "strongly fair"))
    assert r.verdict == HOLDS and r.violation is None
    assert r.stats.sccs == 8


def test_ticket_lock_holds_under_weak_fairness():
    r = explorer.check(TICKET)
    assert r.verdict == HOLDS
    assert (r.stats.distinct, r.stats.sccs) == (43, 35)


def test_ticket_lock_without_fairness_starves():
    r = explorer.check(variant(TICKET, ""))
    assert r.violation.name == "Progress"
    assert lasso(r) == (0, 1, [STUTTER])
    assert r.stats.sccs == 23


def test_leads_to_names_the_step_where_the_premise_holds():
    r = explorer.check(SPINLOCK, properties=("Served",))
    assert lasso(r) == (0, 3, ["cpu[2]", "cpu[2]", "cpu[2]"])
    assert "cpu.pc[1] == acquire holds at step 0, then cpu.pc[1] == cs in no state" in (
        r.violation.message
    )


def test_eventually_always_holds():
    r = explorer.check(SPINLOCK, properties=("Exclusive",))
    assert r.verdict == HOLDS and r.stats.sccs == 1


KINDS = """\
var x : 0..3 = 0
fair action up when x < 3 x' = x + 1
action back when x == 3 x' = 1
"""


@pytest.mark.parametrize(
    "prop, outcome",
    [
        # from 3, `back` need not be taken (it is not fair): stuttering at 3 is fair
        ("eventually x == 3", None),
        ("eventually x == 2", None),
        ("always eventually x == 3", None),
        ("always eventually x == 1", (3, 1, [STUTTER])),
        # `back` may be taken forever: a fair cycle through 1, 2, 3
        ("eventually always x == 3", (1, 3, ["up", "up", "back"])),
        ("eventually always x >= 1", None),
        ("eventually always x == 0", (1, 3, ["up", "up", "back"])),
        ("x == 3 leads_to x == 1", (3, 1, [STUTTER])),
        ("x == 1 leads_to x == 3", None),
        ("x == 0 leads_to false", (1, 3, ["up", "up", "back"])),
        ("x == 3 leads_to x == 2", (3, 1, [STUTTER])),
    ],
)
def test_each_kind(prop, outcome):
    r = explorer.check(KINDS + f"property P: {prop}\n", deadlock=False)
    if outcome is None:
        assert r.verdict == HOLDS, r.violation and r.violation.message
    else:
        assert lasso(r) == outcome


def test_eventually_needs_fairness_to_leave_the_start():
    text = KINDS.replace("fair action up", "action up") + "property P: eventually x == 2\n"
    r = explorer.check(text, deadlock=False)
    assert lasso(r) == (0, 1, [STUTTER])


def test_fair_action_is_one_unit_over_its_parameters():
    """`fair action a(v)` is weak fairness of a(0) or a(1), together: a(1) then a(0) for
    ever takes the unit, and `see`, enabled only where x == 1, is not enabled for ever.
    a(0) from x == 0 changes nothing: a stutter, which would not take the unit."""
    text = (
        "var x : 0..1 = 0\nvar seen : bool = false\n"
        "fair action a(v: 0..1) when true x' = v\n"
        "fair action see when x == 1 and not seen seen' = true\n"
        "property P: eventually seen\n"
    )
    r = explorer.check(text)
    assert lasso(r) == (0, 2, ["a", "a"])
    assert [s.params for s in r.violation.trace[1:]] == [(("v", 1),), (("v", 0),)]


def test_edge_units_per_instance_and_per_action():
    program = spec.load(
        "var x : 0..1 = 0\nfair action a(v: 0..2) when true x' = 0\naction b when true x' = 1\n"
        "strongly fair process p[i in 1..3] { s: either { x := 0 } or { x := 1 }; goto s }\n"
    )
    table, kinds = edge_units(compile_model(program))
    assert kinds == ["weak", "strong", "strong", "strong"]
    # a: 3 edges, one unit; b: none; p.s: 3 instances x 2 values of its hidden branch
    assert table == [0, 0, 0, -1, 1, 1, 2, 2, 3, 3]


def test_constraint_cuts_edges():
    """The only way back to x == 0 leads through x == 2, which a constraint cuts: the
    cycle through it does not exist, and a fair behaviour ends stuttering at x == 1."""
    text = (
        "var x : 0..2 = 0\nfair action up when x < 2 x' = x + 1\nfair action reset when x == 2 x' = 0\n"
        "constraint Small: x < 2\nproperty P: always eventually x == 0\n"
    )
    r = explorer.check(text, deadlock=False)
    assert lasso(r) == (1, 1, [STUTTER])
    assert [s.state for s in r.violation.trace] == [(0,), (1,), (1,)]


# ---------------------------------------------------------------- the check around it


def test_safety_first():
    text = variant(SPINLOCK, "") + "invariant Never: not at(cpu[2], cs)\n"
    r = explorer.check(text)
    assert r.violation.kind == "invariant" and r.stats.sccs is None


def test_bounds_give_incomplete():
    r = explorer.check(TICKET, max_states=10)
    assert r.verdict == INCOMPLETE and r.stats.sccs is None
    r = explorer.check(TICKET, max_depth=3)
    assert r.verdict == INCOMPLETE and r.reason == "max depth 3 reached"


def test_error_in_a_predicate_is_reported_with_a_trace():
    text = (
        "var x : 0..3 = 0\nvar a : [0..1] -> bool = [i in 0..1 |-> false]\n"
        "fair action up when x < 3 x' = x + 1\nproperty P: eventually a[x]\n"
    )
    r = explorer.check(text, deadlock=False)
    v = r.violation
    assert (v.kind, v.name, v.loop, v.length) == ("domain", "P", None, 2)
    assert "(evaluating property P)" in v.message


def test_property_selection():
    assert explorer.check(SPINLOCK, properties=()).verdict == HOLDS
    r = explorer.check(SPINLOCK, properties=["Exclusive", "Served"])
    assert r.violation.name == "Served"  # in declaration order: Served is not examined
    assert r.stats.sccs == 1
    r = explorer.check(SPINLOCK, properties=["Exclusive"])
    assert r.verdict == HOLDS and r.stats.sccs == 1
    with pytest.raises(UsageError, match=r"unknown property 'Progres'.*did you mean `Progress`"):
        explorer.check(SPINLOCK, properties=("Progres",))


@pytest.mark.parametrize(
    "options, flag",
    [
        ({"backend": "vector"}, "--backend tuple"),
        pytest.param(
            {"backend": "ray"},
            "--backend tuple",
            marks=pytest.mark.skipif(find_spec("ray") is None, reason="Ray is not installed"),
        ),
        ({"fingerprint": True}, "--fingerprint"),
        ({"workers": 2}, "--workers 1"),
        ({"por": True}, "--por"),
        ({"simulate": 3}, "--simulate"),
    ],
)
def test_refusals(options, flag):
    with pytest.raises(UsageError) as e:
        explorer.check(SPINLOCK, **options)
    assert "property Progress" in str(e.value) and flag in str(e.value)
    assert "--no-properties" in str(e.value)


def test_symmetry_is_refused_on_symmetric_specs():
    text = (
        "var locked : bool = false\n"
        "fair symmetric process cpu[i in 1..2] {\n"
        "  acquire: await not locked; locked := true\n"
        "  release: locked := false; goto acquire\n}\n"
        "property Free: always eventually not locked\n"
    )
    with pytest.raises(UsageError, match="property Free .* use --no-symmetry"):
        explorer.check(text)
    r = explorer.check(text, symmetry=False)
    assert r.verdict == HOLDS and r.stats.distinct == 3


def test_auto_stays_on_tuple_and_says_why():
    r = explorer.check(SPINLOCK, backend="auto", switch_at=1)
    assert r.stats.backend == "tuple"
    assert r.stats.auto == "stayed on tuple: it checks property Progress for fair cycles"
    r = explorer.check(SPINLOCK, backend="vector", properties=())
    assert r.verdict == HOLDS and r.stats.sccs is None


# ---------------------------------------------------------------- the command line


def test_cli_flags(capsys):
    assert main(["check", str(SPINLOCK), "--property", "Exclusive"]) == 0
    out = capsys.readouterr().out
    assert "Liveness: 1 strongly connected component examined." in out
    assert main(["check", str(SPINLOCK), "--fingerprint"]) == 2
    assert "--no-properties" in capsys.readouterr().err
    assert main(["check", str(SPINLOCK), "--fingerprint", "--no-properties"]) == 0
    assert main(["check", str(SPINLOCK), "--property", "X", "--no-properties"]) == 2
    assert "not both" in capsys.readouterr().err


def test_cli_expectation_met(capsys):
    assert main(["check", str(SPINLOCK)]) == 1
    out = capsys.readouterr().out
    assert "Expectation met: " in out and "violates property Progress (cycle of 3 steps)" in out
    assert "-- cycle starts here --" in out


def test_mmcheck_test(tmp_path, capsys):
    assert main(["test", str(SPINLOCK), str(TICKET)]) == 0
    wrong = tmp_path / "wrong.mms"
    wrong.write_text(
        SPINLOCK.read_text().replace("(cycle of 3 steps)", "(cycle of 2 steps)") + "expect holds\n"
    )
    capsys.readouterr()
    assert main(["test", str(wrong)]) == 1
    out = capsys.readouterr().out
    assert "violates property Progress (cycle of 3 steps)" in out


def test_a_signal_during_the_liveness_check_gives_incomplete():
    """The check polls the bounds and signals before each property: a signal that
    came after the safety search ends the run INCOMPLETE, not HOLDS."""
    options = CheckOptions(backend="tuple")
    search = make_search(spec.load(TICKET), options, Limits())
    graph = behaviour.attach(search, options, "tuple")
    result = bfs(search, options)
    assert result.verdict == HOLDS
    search.limits.signal = "SIGINT"
    behaviour.conclude(search, graph, result)
    assert (result.verdict, result.reason, result.stats.sccs) == (
        INCOMPLETE,
        "interrupted (SIGINT)",
        0,
    )
