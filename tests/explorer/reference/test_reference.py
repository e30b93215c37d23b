"""The reference interpreter: its independence from the lowering, one small spec per
construct with counts worked out by hand, and the library's expectations through it."""

import ast as pyast
from pathlib import Path

import pytest

from mmcheck import explorer
from mmcheck.cli import main
from mmcheck.explorer import expect, reference
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.spec.errors import SpecErrors, UsageError

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "explorer" / "reference"
ALLOWED = {
    f"mmcheck.{m}"
    for m in (
        "spec",
        "spec.loader",
        "spec.parser",
        "spec.ast",
        "spec.errors",
        "spec.types",
        "spec.symbols",
        "spec.checker",
        "spec.ir",
        "explorer.core.result",
        "explorer.core.limits",
        "explorer.core.options",
        "explorer.core.registry",
    )
}


def test_the_reference_imports_nothing_of_the_lowering_or_the_back_ends():
    for f in PACKAGE.glob("*.py"):
        for node in pyast.walk(pyast.parse(f.read_text())):
            if isinstance(node, pyast.ImportFrom):
                names = [node.module or ""]
                if node.module in ("mmcheck", "mmcheck.spec"):  # `from mmcheck import spec`
                    names = [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, pyast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                if name.startswith("mmcheck"):
                    assert name in ALLOWED or name.startswith("mmcheck.explorer.reference"), (
                        f,
                        name,
                    )


def explore(text: str, **options) -> reference.Exploration:
    return reference.explore(reference.Reference(text), **options)


def counts(ex: reference.Exploration) -> tuple:
    return ex.verdict, ex.distinct, ex.generated, ex.depth


def line_of(text: str, snippet: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if snippet in line)


# --------------------------------------------------------------------------- known lowering bugs


def test_sets_that_differ_are_not_equal():
    ex = explore(
        "var s : set of 0..2 = {1}\nvar t : set of 0..2 = {2}\ninvariant Differ: s != t\n",
        deadlock=False,
    )
    assert counts(ex) == ("holds", 1, 1, 0)


def test_card_of_a_set_difference():
    ex = explore(
        "var s : set of 0..2 = {0,1,2}\ninvariant A: card(s minus {0}) <= 1\n", deadlock=False
    )
    assert ex.verdict == "violated" and ex.shortest == 0
    assert {(k, n) for k, n, _ in ex.violations} == {("invariant", "A")}


EITHER_IN_IF = """
var x : 0..3 = 0
var c : bool in {false, true}
process p {
a:
  if c {
    either { x := 1 } or { x := 2 } or { x := 3 }
  } else {
    x := 0
  }
}
"""


def test_either_inside_one_branch_of_an_if():
    ref = reference.Reference(EITHER_IN_IF)
    by_c = {ref.thaw(s)["c"]: len(ref.transitions(s)) for s in ref.initial()}
    assert by_c == {True: 3, False: 1}
    # 2 initial states, 3 + 1 transitions to distinct Done states
    assert counts(reference.explore(ref)) == ("holds", 6, 6, 1)


# --------------------------------------------------------------------------- steps


def test_a_failure_followed_by_a_false_await_disables_the_step():
    text = "var x : 0..3 = 0\nprocess p {\na:\n  assert x == 1\n  await x == WAIT\n}\n"
    ex = explore(text.replace("WAIT", "1"))
    assert ex.violations == {("deadlock", None, None)} and ex.shortest == 0
    ex = explore(text.replace("WAIT", "0"))
    assert ex.shortest == 1 and {v[0] for v in ex.violations} == {"assert"}


POISONED = """
var m : [1..2] -> 0..3 = [i in 1..2 |-> 0]
var k : 0..3 = 3
var y : 0..3 = 0
process p {{
a:
  y := m[k]
  await {}
}}
"""


def test_a_failed_read_poisons_what_reads_it():
    # the await is false before the failure matters: disabled, so a deadlock
    ex = explore(POISONED.format("k == 0"))
    assert ex.violations == {("deadlock", None, None)}
    # the await reads the poisoned value: the step is an error
    text = POISONED.format("y == 0")
    ex = explore(text)
    assert ex.shortest == 1
    assert [(k, loc.line) for k, _, loc in ex.violations] == [("domain", line_of(text, "m[k]"))]


FAILED_IF = """
var m : [1..2] -> 0..3 = [i in 1..2 |-> 0]
var k : 0..3 = 3
var x : 0..3 = 0
var y : 0..3 = 0
process p {
a:
  if m[k] == 0 then BRANCH
  await WAIT
}
"""


def failed_if(branch: str, wait: str) -> set:
    text = FAILED_IF.replace("BRANCH", branch).replace("WAIT", wait)
    return {(kind, loc and loc.line) for kind, _, loc in explore(text).violations}


COND = ("domain", line_of(FAILED_IF, "m[k]"))
DEADLOCK = {("deadlock", None)}


def test_a_failed_if_condition_fails_what_its_branches_write():
    # a later await that reads no failed value: false disables the step, true lets the
    # failure at the condition happen
    assert failed_if("x := 1", "y == 2") == DEADLOCK
    assert failed_if("x := 1", "y == 0") == {COND}
    # x may have been written: it holds a failed value, which the await reads
    assert failed_if("x := 1", "x == 2") == {COND}
    # only the element written fails, not the whole map
    assert failed_if("m[1] := 1", "m[2] == 2") == DEADLOCK
    assert failed_if("m[1] := 1", "m[1] == 2") == {COND}


def test_an_await_lock_or_either_in_a_failed_if_is_an_error():
    assert failed_if("await y == 3", "y == 2") == {COND}
    assert failed_if("x := 1 else await y == 3", "y == 2") == {COND}
    assert failed_if("{ either { x := 1 } or { x := 2 } }", "y == 2") == {COND}
    assert failed_if("goto a", "y == 2") == {COND}
    lock = FAILED_IF.replace("BRANCH", "spin_lock(l)").replace("WAIT", "y == 2") + "lock l\n"
    assert {(kind, loc.line) for kind, _, loc in explore(lock).violations} == {COND}


LAZY_VALUES = """
var m : [0..1] -> -1..3 = [i in 0..1 |-> 0]
var r : record { a: 0..3, b: 0..3 } = { a: 0, b: 0 }
var x : 0..3 = 0
var y : 0..3 = 2
var k : 0..2 = 2
terminal true
"""


def lazy(line: str) -> set:
    return {kind for kind, _, _ in explore(LAZY_VALUES + line + "\n").violations}


def test_map_and_record_elements_are_evaluated_where_used():
    # read: only the element read is evaluated
    assert lazy("invariant I: [q in 0..1 |-> 1 / (q - 1 + x)][0] == -1") == set()
    assert lazy("invariant I: [q in 0..1 |-> 1 / (q - 1 + x)][1] == -1") == {"div"}
    assert lazy("invariant I: { a: 1 / x, b: 1 }.b == 1") == set()
    assert lazy("invariant I: [m except [1] = 1 / x][0] == 0") == set()
    # compared: element by element up to the first pair that differs
    assert lazy("invariant I: [q in 0..1 |-> 1 / (q - 1 + x)] != m") == set()
    assert lazy("invariant I: [q in 0..1 |-> 1 / (q - x)] != m") == {"div"}
    assert lazy("invariant I: { a: 1, b: 1 / x } != r") == set()
    assert lazy("invariant I: { a: 0, b: 1 / x } != r") == {"div"}
    # stored: every element
    assert lazy("action a\n  m' = [q in 0..1 |-> 1 / (q - 1 + x)]") == {"div"}
    assert lazy("action a\n  r' = { a: 1, b: 1 / x }") == {"div"}
    # an overwritten except value is never used; an index outside the domain fails
    assert lazy("action a\n  m' = [m except [1] = m[k], [1] = 1]") == set()
    assert lazy("action a\n  m' = [m except [k] = 1, [1] = 1]") == {"domain"}


def test_in_stops_at_the_first_equal_set_element():
    assert lazy("invariant I: y in {2, 1 / x}") == set()
    assert lazy("invariant I: y in {1 / x, 2}") == {"div"}
    assert lazy("invariant I: 3 notin {2, 1 / x}") == {"div"}
    assert lazy("invariant I: y in ({2} union {1 / x})") == set()
    assert lazy("invariant I: y notin ({3} inter {1 / x})") == set()
    assert lazy("invariant I: y in ({2} minus {1 / x})") == {"div"}
    assert lazy("invariant I: let s = {2, 1 / x} in y in s") == set()
    assert lazy("invariant I: forall i in {2, m[k]}: i >= 0") == {"domain"}


def test_except_checks_its_index_before_evaluating_the_value():
    # slow seed 102932: the index is outside the domain and the value divides by zero
    text = "var m : [1..2] -> 0..3 = [i in 1..2 |-> 0]\nvar k : 1..3 = 3\naction a\n  m' = [m except [k] = 1 / m[1]]\n"
    ex = explore(text)
    assert [(kind, loc.line, loc.col) for kind, _, loc in ex.violations] == [("domain", 4, 19)]
    for backend in ("tuple", "vector"):
        v = explorer.check(text, backend=backend).violation
        assert (v.kind, v.loc.line, v.loc.col) == ("domain", 4, 19)


ACTIONS = """
var x : 0..3 = 0
var y : 0..3 = 0
action inc(d: 1..2)
  when x + d <= 3
  x' = x + d
  y' = x
terminal x == 3
"""


def test_actions_with_parameters_read_the_pre_state():
    # (0,0) -> (1,0) (2,0) -> (2,1) (3,1) | (3,2) -> (3,2) again: 6 states, 1 + 2 + 3 + 1
    ex = explore(ACTIONS)
    assert counts(ex) == ("holds", 6, 7, 2)
    assert ex.is_transition((1, 0), (3, 1)) and not ex.is_transition((1, 0), (2, 0))


def test_a_range_error_in_an_update():
    text = "var x : 0..1 = 0\naction up\n  x' = x + 1\n"
    ex = explore(text)
    assert ex.shortest == 2
    assert [(k, loc.line) for k, _, loc in ex.violations] == [("range", 3)]
    assert ex.faults_from((1,)) == {("range", next(iter(ex.violations))[2])}


LOCKS = """
lock l
var n : 0..2 = 0
process w[i in 1..2] {
a:
  lock l
  n := n + 1
b:
  unlock l
}
invariant Holder: locked(l) => (holder(l) == w[1] or holder(l) == w[2]) and holder(l) == w
invariant Held: forall i in 1..2: at(w[i], b) <=> holder(l) == w[i]
"""


def test_locks_track_their_holder():
    # the two orders meet at the end: 1 + 2 + 2 + 2 + 1 states, one step each but the first
    ex = explore(LOCKS)
    assert counts(ex) == ("holds", 8, 9, 4)
    # slots: l, n, w.pc[1], w.pc[2]; w[2] is holder number 2
    assert ex.is_initial((0, 0, 0, 0)) and ex.is_transition((0, 0, 0, 0), (2, 1, 0, 1))


def test_lock_misuse():
    text = "lock l\nprocess a { x: lock l }\nprocess b { y: unlock l }\n"
    ex = explore(text)
    assert ex.shortest == 1
    assert [(k, loc.line) for k, _, loc in ex.violations] == [("lock", 3)]
    relock = explore("lock l\nprocess a {\nx: lock l\ny: lock l\n}\n")
    assert relock.shortest == 2 and {v[0] for v in relock.violations} == {"lock"}


MACROS = """
type Page = record { count: 0..3, locked: bool }
var pg : [1..2] -> Page = [i in 1..2 |-> { count: 1, locked: false }]
var got : bool = false
macro grab(p) { if p.count == 3 { return false }; p.count := p.count + 1; return true }
process q {
a:
  got := grab(pg[2])
b:
  put_page(pg[1])
c:
  put_page(pg[1])
}
invariant Grabbed: at(q, b) => got and pg[2].count == 2
"""


def test_macros_return_values_and_prelude_failures_are_reported_at_the_call():
    ex = explore(MACROS)
    assert ex.shortest == 3 and ex.distinct == 3
    # put_page's assert fails and the count it writes is out of range: both at the call
    assert {(k, loc.line) for k, _, loc in ex.violations} == {("assert", 12), ("range", 12)}


EFFECTS = """
var x : 0..3 = 1
var b : bool = false
var r1 : bool = false
var r2 : bool = false
lock l
process p {
a:
  r1 := cas(x, 1, 2)
  r2 := test_and_set(b)
b:
  if trylock(l) { x := 3 }
}
invariant Final: done(p) => x == 3 and r1 and not r2 and b and holder(l) == p
"""


def test_cas_test_and_set_trylock():
    assert counts(explore(EFFECTS)) == ("holds", 3, 3, 2)


GOTO = """
var n : 0..3 = 0
process p {
a:
  n := n + 1
  if n < 3 { goto a }
  goto Done
b:
  n := 0
}
invariant NeverB: not at(p, b)
"""


def test_goto_and_done():
    assert counts(explore(GOTO)) == ("holds", 4, 4, 3)


INIT = """
var x : 0..3 in 0..3
var y : bool in {false, true}
init x != 2
init y => x > 0
"""


def test_initial_choices_and_constraints():
    assert counts(explore(INIT, deadlock=False)) == ("holds", 5, 5, 0)


EXPRESSIONS = """
const K = 3
type E = enum { e0, e1, e2 }
var m2 : [1..2, E] -> 0..5 = [i in 1..2, e in E |-> i + (if e == e1 then 1 else 0)]
var s : set of E = {e0, e2}
var r : record { a: 0..3, b: bool } = { a: 2, b: true }
invariant Arith: -7 / 2 == -4 and -7 % 2 == 1 and 7 / -2 == -4 and min(K, 1) == 1 and max(K, 1) == 3
invariant Let: let y = K + 1, z = y * 2 in z == 8
invariant Quant: (count e in E: e in s) == 2 and (sum i in 1..2: m2[i, e1]) == 5 and exists e in s: e == e2
invariant Sets: card(s union {e1}) == 3 and s inter {e1} == {} and s minus {e0} == {e2} and {e0} subset s and e1 notin s
invariant Except: { r except a = 3 }.a == 3 and [m2 except [1, e0] = 5][1, e0] == 5 and [m2 except [1, e0] = 5][2, e0] == 2
invariant Logic: (false => 1 / 0 == 0) and (true or 1 / 0 == 0) and (r.b <=> true) and r.a == 2
"""


def test_expressions():
    ex = explore(EXPRESSIONS, deadlock=False)
    assert counts(ex) == ("holds", 1, 1, 0)
    # encoded: m2 row-major (i, then E), s one bool per element, r one slot per field
    assert ex.is_initial((1, 2, 1, 2, 3, 2, 1, 0, 1, 2, 1))


LAZY_LET = """
var m : [1..2] -> 0..3 = [i in 1..2 |-> 0]
var k : 0..3 = 3
invariant Unused: let v = m[k] in true
invariant Untaken: let v = m[k], w = v + 1 in k == 3 or w == 1
invariant Used: let v = m[k], w = v + v in k != 3 or w == 0
"""


def test_let_bindings_are_evaluated_where_used():
    # as TLA+'s LET: a binding that is never used (or only on a branch not taken) is
    # never evaluated, so its domain error never happens; one used fails once
    ex = explore(LAZY_LET, deadlock=False)
    assert ex.verdict == "violated" and ex.shortest == 0
    used = line_of(LAZY_LET, "Used")
    assert [(k, n, (loc.line, loc.col)) for k, n, loc in ex.violations] == [
        ("domain", "Used", (used, LAZY_LET.splitlines()[used - 1].index("m[k]") + 1))
    ]


LOCALS = """
process w[i in 1..2] {
  var v : 0..4 = i
a:
  v := v + self
}
invariant Locals: w[1].v <= 2 and w.v[2] <= 4 and (done(w) => w[1].v == 2 and w[2].v == 4)
"""


def test_process_locals_read_from_outside():
    # each instance steps once, in either order: 1 + 2 + 1 states
    assert counts(explore(LOCALS)) == ("holds", 4, 5, 2)


def test_refused_constructs_are_named():
    text = "lock l\nvar ok : bool = false\nprocess p {\na:\n  ok := ok and trylock(l)\n}\n"
    with pytest.raises(SpecErrors, match="reference interpreter does not support"):
        explore(text)


def test_unsupported_options_are_refused_by_name():
    with pytest.raises(UsageError, match="fingerprint"):
        explorer.check(ACTIONS, backend="reference", fingerprint=True)
    with pytest.raises(UsageError, match="one worker"):
        explorer.check(ACTIONS, backend="reference", workers=2)


def test_bounds_give_incomplete():
    r = explorer.check(ACTIONS, backend="reference", max_depth=1)
    assert (r.verdict, r.reason) == ("incomplete", "max depth 1 reached")
    r = explorer.check(ACTIONS, backend="reference", max_states=2)
    assert (r.verdict, r.reason) == ("incomplete", "max states 2 reached")


def test_result_has_a_replayable_trace():
    r = explorer.check(ROOT / "tests/specs/diehard.mms", backend="reference")
    assert (r.verdict, r.violation.name, r.violation.length) == ("violated", "NotFour", 6)
    assert r.stats.backend == "reference" and len(r.trace) == 7
    assert r.trace[0].action is None and all(s.action for s in r.trace[1:])


# --------------------------------------------------------------------------- the library


def library_cases(*dirs: str) -> list:
    specs = expect.find_specs([str(ROOT / d) for d in dirs])
    planned, _ = expect.plan(specs)
    return [
        pytest.param(
            p,
            id=f"{p.path.name}:{p.consts}",
            marks=[pytest.mark.slow] if "migrate_page" in p.path.name else [],
        )
        for p in planned
    ]


@pytest.mark.parametrize("case", library_cases("tests/specs", "spec/models"))
def test_library_expectations_through_the_reference(case):
    result = expect.run_case(case, CheckOptions(backend="reference"))
    assert result.ok, result.got


def test_mmcheck_test_backend_reference(capsys):
    assert main(["test", str(ROOT / "tests/specs/peterson.mms"), "--backend", "reference"]) == 0
    assert "1 passed" in capsys.readouterr().out


def test_bool_is_the_set_of_its_values():
    text = (
        "var m : [bool] -> 0..2 = [q in bool |-> if q then 1 else 0]\n"
        "terminal true\n"
        "invariant I: card(bool) == 2 and (sum q in bool: m[q]) == 1 and true in bool\n"
    )
    ex = explore(text)
    assert (ex.verdict, ex.distinct) == ("holds", 1)
