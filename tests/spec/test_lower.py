"""Lowering to the IR: slots, actions, guards, updates and read/write sets of small
specs, pinned; and the meaning of the statements, checked by exploring with the tuple
back end."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmcheck import explorer, spec
from mmcheck.spec import ir
from mmcheck.spec.errors import SpecErrors
from mmcheck.spec.ir_print import expr, update

SPECS = Path(__file__).parent.parent / "specs"


def shown(p: ir.Program, a: ir.Action) -> list[str]:
    return [update(u, p) for u in a.updates]


def action(p: ir.Program, name: str) -> ir.Action:
    return next(a for a in p.actions if a.name == name)


def test_tutorial_spinlock_layout_and_steps():
    p = spec.load(SPECS / "tutorial_spinlock.mms")
    assert [v.name for v in p.vars] == ["locked", "in_cs", "cpu.pc", "cpu.was"]
    assert [v.role for v in p.vars] == ["var", "var", "pc", "var"]
    assert len(p.slots) == 7
    assert [a.name for a in p.actions] == ["cpu.spin", "cpu.take", "cpu.critical", "cpu.release"]
    spin = action(p, "cpu.spin")
    assert [x.name for x in spin.params] == ["self"]
    assert expr(spin.guard) == "cpu.pc[self] == 0 and not locked"
    assert shown(p, spin) == ["cpu.pc[self] := take"]
    assert (sorted(spin.reads), sorted(spin.writes)) == ([0, 3, 4], [3, 4])
    release = action(p, "cpu.release")
    assert shown(p, release) == ["in_cs[self] := false", "locked := false", "cpu.pc[self] := Done"]
    assert sorted(release.writes) == [0, 1, 2, 3, 4]
    fixed = spec.load(SPECS / "tutorial_spinlock.mms", {"FIXED": True})
    assert shown(fixed, action(fixed, "cpu.spin")) == [
        "locked := true",
        "cpu.was[self] := locked",
        "cpu.pc[self] := if locked then 0 else 1",
    ]
    inv = p.invariants[0]
    assert isinstance(inv.expr.left, ir.Quant)  # quantifiers are not unrolled
    assert expr(inv.expr) == "(count c in 1..2: in_cs[c]) <= 1"
    assert [(e.consts, e.verdict, e.prop, e.steps) for e in p.expects] == [
        ((("FIXED", 0),), "invariant", "MutualExclusion", 6),
        ((("FIXED", 1),), "holds", None, None),
    ]


def test_tutorial_spinlock_verdicts():
    broken = explorer.check(SPECS / "tutorial_spinlock.mms")
    assert (broken.verdict, broken.violation.name, broken.violation.length) == (
        "violated",
        "MutualExclusion",
        6,
    )
    fixed = explorer.check(SPECS / "tutorial_spinlock.mms", {"FIXED": "true"})
    assert (fixed.verdict, fixed.stats.distinct) == ("holds", 24)


def test_records_maps_and_sets_become_slots():
    p = spec.load(
        "type Page = record { count: 0..3, locked: bool }\n"
        "type E = enum { a, b, c }\n"
        "var page : Page = { count: 1, locked: false }\n"
        "var pages : [1..3] -> Page = [i in 1..3 |-> { count: i, locked: false }]\n"
        "var grid : [E, 1..2] -> bool = [e in E, j in 1..2 |-> e == b and j == 2]\n"
        "var held : set of 1..4 = {2, 3}\n"
    )
    assert [(v.name, len(v.dims)) for v in p.vars] == [
        ("page.count", 0),
        ("page.locked", 0),
        ("pages.count", 1),
        ("pages.locked", 1),
        ("grid", 2),
        ("held", 1),
    ]
    assert len(p.slots) == 2 + 3 + 3 + 6 + 4
    assert p.var("grid").dims[0].names == ("a", "b", "c")
    assert [update(u, p) for u in p.init.updates] == [
        "page.count := 1",
        "page.locked := false",
        "pages.count[#1] := #1",
        "pages.locked[#1] := false",
        "grid[#1, #2] := #1 == 1 and #2 == 2",
        "held[#1] := #1 == 2 or #1 == 3",
    ]


def test_arrays_are_laid_out_row_major():
    p = spec.load("var grid : [1..3, 0..1, 2..5] -> 0..1 = [i in 1..3, j in 0..1, k in 2..5 |-> 0]")
    dims = ir.dim_bounds(p.var("grid"))
    assert dims == ((1, 3), (0, 1), (2, 5))
    assert ir.strides(ir.shape(dims)) == (8, 4, 1)
    for slot, idx in zip(p.var_slots("grid"), ir.indices(dims), strict=True):
        assert p.slots[slot].index == idx
        assert (
            p.slot_index("grid", idx)
            == slot
            == sum((i - lo) * st for i, (lo, _), st in zip(idx, dims, (8, 4, 1)))
        )


def test_record_fields_in_any_order():
    p = spec.load(
        "type P = record { count: 0..3, locked: bool }\n"
        "var p : P = { locked: true, count: 2 }\n"
        "invariant I: p == { count: 2, locked: true } and p != { locked: false, count: 2 }\n"
    )
    assert shown(p, p.init) == ["p.count := 2", "p.locked := true"]
    assert expr(p.invariants[0].expr) == (
        "p.count == 2 and p.locked and not (p.count == 2 and not p.locked)"
    )


def test_initial_choices_and_constraints():
    p = spec.load("var x : 0..3 in 0..3\nvar y : 0..3 in {1, 3}\ninit x != y\n")
    assert [(d.name, expr(d.type.lo), expr(d.type.hi)) for d in p.init.params] == [
        ("x", "0", "3"),
        ("y", "1", "3"),  # the set's values, not the variable's
    ]
    assert expr(p.init.guard) == "(y == 1 or y == 3) and x != y"
    r = explorer.check(p)
    assert r.stats.distinct == 2 * 4 - 2


def test_either_is_a_hidden_parameter():
    p = spec.load(
        "var x : 0..3 = 0\nprocess p {\na: either { x := 1 } or { x := 2 } or { await x > 0 }\n}\n"
    )
    a = p.actions[0]
    (h,) = a.params
    assert h.hidden and (expr(h.type.lo), expr(h.type.hi)) == ("1", "3")  # reached always
    assert expr(a.guard) == f"p.pc == 0 and ({h.name} == 3 => x > 0)"
    assert shown(p, a) == [
        f"x := 1   when {h.name} == 1",
        f"x := 2   when {h.name} == 2",
        "p.pc := Done",
    ]


def test_lock_and_unlock():
    p = spec.load(
        "lock l\nprocess p {\na: lock l\nb: unlock l\n}\nprocess q[self in 1..2] {\n"
        "c: lock l; unlock l\n}\n"
    )
    lv = p.var("l")
    assert (lv.role, lv.type.kind, lv.type.names) == ("lock", "lock", ("free", "p", "q[1]", "q[2]"))
    assert [expr(pr.first_holder) for pr in p.processes] == ["1", "2"]
    a = action(p, "p.a")
    assert expr(a.guard) == "p.pc == 0 and (l == 0 or l == 1)"
    assert [(c.kind, expr(c.cond), c.message) for c in a.checks] == [
        ("lock", "l != 1", "lock l re-acquired by its holder (self-deadlock)")
    ]
    b = action(p, "p.b")
    assert [(expr(c.cond), c.message) for c in b.checks] == [
        ("l != 0", "unlock of l, which is not held"),
        ("l == 1", "unlock of l, which is held by another process"),
    ]
    c = action(p, "q.c")
    assert expr(c.guard) == "q.pc[self] == 0 and (l == 0 or l == self + 1)"


def test_lock_misuse_is_found():
    r = explorer.check("lock l\nprocess p {\na: lock l\nb: lock l\n}\n")
    assert (r.verdict, r.violation.kind) == ("violated", "lock")
    assert "self-deadlock" in r.violation.message
    r = explorer.check("lock l\nprocess p {\na: unlock l\n}\n")
    assert (r.violation.kind, r.violation.length) == ("lock", 1)
    assert "not held" in r.violation.message


def test_atomics_and_prelude_macros():
    text = (
        "type Page = record { count: 0..3, locked: bool }\n"
        "var page : Page = { count: 1, locked: false }\n"
        "var ok : bool = false\nvar old : bool = false\nvar flag : bool = false\n"
        "var n : 0..3 = 0\nlock l\n"
        "process p {\n"
        "a: ok := get_page_unless_zero(page)\n"
        "b: ok := page_ref_freeze(page, 3)\n"
        "c: ok := page_ref_freeze(page, 2)\n"
        "d: ok := get_page_unless_zero(page)\n"
        "e: page_ref_unfreeze(page, 1); ok := trylock_page(page)\n"
        "f: old := test_and_set(flag); ok := cas(n, 0, 2)\n"
        "g: ok := trylock(l)\n"
        "h: assert ok and old == false and flag and n == 2 and page.count == 1 and page.locked\n"
        "}\n"
    )
    p = spec.load(text)
    assert shown(p, action(p, "p.b")) == [
        "page.count := 0   when page.count == 3",
        "ok := page.count == 3",
        "p.pc := c",
    ]
    r = explorer.check(text)
    assert (r.verdict, r.stats.distinct) == ("holds", 9)
    r = explorer.check(text.replace("page_ref_freeze(page, 2)", "page_ref_freeze(page, 1)"))
    assert (r.verdict, r.violation.kind, r.violation.length) == ("violated", "assert", 5)


def test_goto_fall_through_and_return_paths():
    p = spec.load(
        "var x : 0..3 = 0\nmacro m() { if x == 0 { return 1 }; return 2 }\n"
        "process p {\na: x := m(); if x == 1 then goto c\nb: skip\nc: skip\n}\n"
    )
    a = action(p, "p.a")
    assert shown(p, a) == ["x := if x != 0 then 2 else 1", "p.pc := if x == 0 then 2 else 1"]


def test_goto_done_ends_the_process():
    text = (
        "var x : 0..3 = 0\nprocess p {\na: x := 1; if x == 1 then goto Done; x := 2\n"
        "b: x := 3\n}\ninvariant I: x != 3\n"
    )
    p = spec.load(text)
    assert shown(p, action(p, "p.a")) == ["x := 1", "p.pc := Done"]
    r = explorer.check(text)
    assert (r.verdict, r.stats.distinct) == ("holds", 2)
    r = explorer.check(text.replace("x == 1", "x == 2"))
    assert (r.verdict, r.violation.name, r.violation.length) == ("violated", "I", 2)
    with pytest.raises(SpecErrors, match="'Done' is the end of every process, not a label"):
        spec.load("process p {\nDone: skip\n}\n")


def test_process_sets_and_locals():
    p = spec.load(
        "const N = 3\nprocess w[self in 1..N] {\n var k : 0..3 = self\n"
        "a: k := k - 1\n}\ninvariant I: forall i in 1..N: done(w[i]) => true\n"
    )
    k = p.var("w.k")
    assert (k.dims[0].lo, k.dims[0].hi) == (ir.Const(1), ir.Const(3))
    assert shown(p, p.actions[0]) == ["w.k[self] := w.k[self] - 1", "w.pc[self] := Done"]
    assert [update(u, p) for u in p.init.updates] == [
        "w.pc[#1] := a",
        "w.k[#1] := #1",
    ]


def test_process_locals_read_from_outside():
    p = spec.load(
        "process r { var ok : bool = false\na: ok := true }\n"
        "process w[self in 1..2] { var k : 0..3 = self\nb: k := 0 }\n"
        "invariant I: r.ok => w[1].k <= 1 and (forall i in 1..2: w.k[i] <= 2)\n"
    )
    assert expr(p.invariants[0].expr) == ("r.ok => w.k[1] <= 1 and (forall i in 1..2: w.k[i] <= 2)")
    with pytest.raises(spec.errors.SpecErrors, match="process w has no variable 'zz'"):
        spec.load("process w[self in 1..2] { b: skip }\ninvariant J: w.zz\n")


def test_constants_overrides_and_symbolic():
    text = "const N : 1..8 = 2\ntype T = 1..N\nvar m : [T] -> bool = [i in T |-> false]\n"
    assert len(spec.load(text).slots) == 2
    assert len(spec.load(text, {"N": "5"}).slots) == 5
    assert len(spec.load(text, {"N": 7}).slots) == 7
    sym = spec.load(text, {"N": "?"}, symbolic=True)
    assert not sym.is_concrete
    assert sym.var("m").dims[0].hi == ir.SymConst("N")
    (c,) = sym.consts
    assert (c.value, c.type.lo, c.type.hi) == (None, ir.Const(1), ir.Const(8))
    with pytest.raises(spec.errors.SpecErrors, match="only allowed for prove"):
        spec.load(text, {"N": "?"})


@pytest.mark.parametrize(
    ("local", "col"),
    [
        ("var m : [1..2] -> bool in [1..2 -> bool]", 29),
        ("var s : set of 1..2 in subset {1, 2}", 26),
        ("var q : record { a: 0..1 } in {{a: 0}, {a: 1}}", 33),
    ],
    ids=["map", "subset", "record-literal"],
)
def test_a_choice_per_instance_of_a_symbolic_size_is_a_scalar_or_record(local, col):
    """In a process set of symbolic size a choice is one array of scalars per part: a map,
    a subset or a set literal of records would need one per element or value."""
    text = f"const N : 1..4 = 2\nprocess p[self in 1..N] {{\n  {local}\na:\n  skip\n}}\n"
    spec.load(text, {"N": 2})  # one choice per instance and element
    with pytest.raises(SpecErrors, match=f"<string>:3:{col}: .* in a process set of symbolic size"):
        spec.load(text, {"N": "?"}, symbolic=True)


def test_names_stay_data():
    """Names and strings that mean something to Python reach the IR as plain strings."""
    p = spec.load(
        "var exec : 0..3 = 0\nvar eval : bool = false\nprocess import_ {\n"
        'lambda: exec := 1; assert eval or exec == 2, "x\\"); import os; (\\""\n}\n'
    )
    assert [v.name for v in p.vars] == ["exec", "eval", "import_.pc"]
    a = p.actions[0]
    assert a.name == "import_.lambda"
    assert a.checks[0].message == 'x"); import os; ("'


def test_unused_definitions_are_checked():
    with pytest.raises(spec.errors.SpecErrors, match="unknown name 'nope'"):
        spec.load("def f(a) = a + nope\n")


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.mms")), ids=lambda p: p.name)
def test_every_test_spec_loads(path):
    spec.load(path)
