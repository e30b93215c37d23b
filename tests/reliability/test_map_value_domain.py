"""A map *value* (a literal, a `def` or `let` of one, an except of one) indexed outside
its domain is a domain error at the indexing expression (docs/language.md, "Types"), as a
variable's map is: every back end agrees with the reference interpreter. The lowering
keeps such maps as functions, so the check is an IR `Guard` (spec/ir.py)."""

from __future__ import annotations

import pytest

from mmcheck import explorer, spec
from mmcheck.explorer import reference
from mmcheck.explorer.core.limits import Limits
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.result import BOUNDED, HOLDS, VIOLATED
from mmcheck.explorer.tuple.bfs import make_search
from mmcheck.explorer.vector.model import VectorModel
from mmcheck.invariants import bmc, prove
from mmcheck.invariants.prove import PROVED
from mmcheck.spec import ir_print

STEP = "var x3 : 0..3 = 0\nprocess p {\na:\n  x3 := 2\n}\n"

# (spec, where the domain error is, the length of the shortest trace to it)
FAILING = {
    "let-invariant": (STEP + "invariant I: let m = [q in 0..1 |-> true] in m[x3]\n", (6, 46), 1),
    "def-when": ("var x : 0..3 = 2\ndef m = [q in 0..1 |-> q == 1]\naction act\n"
                 "  when m[x]\n  x' = 0\ninvariant I: true\n", (4, 8), 1),
    "except-await": ("var x : 0..3 = 3\ndef m = [[q in 0..1 |-> false] except [0] = true]\n"
                     "process p {\na:\n  await m[x]\n}\ninvariant I: true\n", (5, 9), 1),
    "2-dims-update": ("var x : 0..2 = 0\nvar y : 0..3 = 0\nprocess p {\na:\n  x := 2;\nb:\n"
                      "  y := [i in 0..1, j in 0..1 |-> i + j][1, x]\n}\ninvariant I: true\n",
                      (7, 8), 2),
    "init": ("var x : 0..3 in 0..3\ninit ([q in 0..2 |-> q != 1][x])\nterminal true\n"
             "invariant I: true\n", (2, 7), 0),
    # elements that are no scalar: each part of them is checked
    "set-element": (STEP + "invariant I: 0 in [q in 0..1 |-> 0..1][x3]\n", (6, 19), 1),
    "record-element": (STEP + "invariant I: [q in 0..1 |-> { count: q, locked: false }][x3]"
                       ".locked == false\n", (6, 14), 1),
    "map-element": (STEP + "invariant I: [q in 0..1 |-> [r in 0..1 |-> r]][x3] == "
                    "[r in 0..1 |-> r]\n", (6, 14), 1),
}  # fmt: skip

# the error is in a branch that is not taken, or the index is statically inside
HOLDING = {
    "or": STEP + "invariant I: x3 > 1 or (let m = [q in 0..1 |-> true] in m[x3])\n",
    "if": STEP + "invariant I: if x3 <= 1 then [q in 0..1 |-> true][x3] else true\n",
    "inside": STEP + "invariant I: forall q in 0..1: [r in 0..1 |-> q == r][q] or q != q\n",
}


@pytest.mark.parametrize(("text", "loc", "length"), FAILING.values(), ids=FAILING.keys())
def test_a_map_value_indexed_outside_its_domain(text: str, loc: tuple, length: int) -> None:
    ex = reference.explore(reference.Reference(text))
    assert {(k, (w.line, w.col)) for k, _, w in ex.violations} == {("domain", loc)}
    assert ex.shortest == length
    runs = [explorer.check(text, backend=b) for b in ("tuple", "vector")]
    for r in (*runs, bmc(text, depth=length + 1)):
        v = r.violation
        assert (r.verdict, v.kind, (v.loc.line, v.loc.col), v.length) == (
            VIOLATED,
            "domain",
            loc,
            length,
        )
    assert prove(text).status != PROVED


@pytest.mark.parametrize("text", HOLDING.values(), ids=HOLDING.keys())
def test_a_map_value_read_where_it_cannot_fail(text: str) -> None:
    assert reference.explore(reference.Reference(text)).violations == set()
    for backend in ("tuple", "vector"):
        assert explorer.check(text, backend=backend).verdict == HOLDS
    assert bmc(text, depth=2).verdict == BOUNDED
    assert prove(text).status == PROVED


def test_no_guard_where_every_index_is_statically_inside() -> None:
    program = spec.load(HOLDING["inside"])
    shown = ir_print.expr(program.invariants[0].expr)
    assert "guard" not in shown


@pytest.mark.parametrize("text", [t for t, _, _ in FAILING.values()], ids=FAILING.keys())
def test_the_vector_kernels_fuse_a_guard(text: str) -> None:
    vm = VectorModel(make_search(spec.load(text), CheckOptions(deadlock=False), Limits()))
    assert vm.interpreted == [] and vm.kernels.bad_invariant is not None
