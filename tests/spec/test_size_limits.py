"""The front end's bounds on the size of what a spec declares or expands to: each is an
error at the declaration or use that passes it, found without building the whole."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mmcheck import spec
from mmcheck.spec.errors import SpecErrors
from mmcheck.spec.lower import tree_size
from mmcheck.spec.slots import exprs_of


def errors(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(SpecErrors) as info:
        spec.load(text)
    return [(e.loc.line, e.loc.col, e.message) for e in info.value.errors]


def test_too_many_slots_at_the_variable():
    text = (
        "var ok : [1..10] -> bool = [i in 1..10 |-> false]\n"
        "var a : [1..1000] -> [1..1000] -> bool = [i in 1..1000 |-> [j in 1..1000 |-> false]]\n"
    )
    assert errors(text) == [(2, 1, "a needs 1000000 state slots, 1000010 in all (at most 1000000)")]


def test_too_many_process_instances():
    text = "process p[self in 0..100000] { l: skip }\n"
    assert errors(text) == [(1, 1, "process set p has 100001 instances (at most 100000)")]


def test_inlined_def_too_large_at_its_use():
    text = (
        "var x : 0..1 = 0\ndef d0 = x\n"
        + "".join(f"def d{k} = d{k - 1} + d{k - 1}\n" for k in range(1, 20))
        + "invariant I: d19 >= 0\n"
    )
    found = errors(text)
    # d14 (2^16 - 3 nodes, its names counted) is the first def past 50000, in d15's body
    assert found[0] == (17, 11, "d14 is more than 50000 nodes once definitions are inlined")
    assert found[-1] == (22, 14, "d19 is more than 50000 nodes once definitions are inlined")


def test_inlined_def_too_deep_at_its_use():
    text = (
        "var x : 0..1 = 0\ndef d0 = x\n"
        + "".join(f"def d{k} = d{k - 1} + 1\n" for k in range(1, 120))
        + "invariant I: d119 >= 0\n"
    )
    found = errors(text)
    assert found[-1] == (
        122,
        14,
        "d119 is nested more than 100 levels deep once definitions are inlined",
    )
    # each def in the chain adds two levels (its name and its `+`): d50 is the first past 100
    assert found[0] == (
        53,
        11,
        "d50 is nested more than 100 levels deep once definitions are inlined",
    )
    assert len(found) == 3


def test_a_chain_of_defs_within_the_limit_holds():
    text = (
        "var x : 0..1 = 0\ndef d0 = x\n"
        + "".join(f"def d{k} = d{k - 1} + 1\n" for k in range(1, 45))
        + "invariant I: d44 >= 44\n"
    )
    assert len(spec.load(text).invariants) == 1


@pytest.mark.parametrize(("expr", "col"), [("9223372036854775807 + 1", 9),
                                           ("-9223372036854775807 - 2", 9),
                                           ("3037000500 * 3037000500", 9)])  # fmt: skip
def test_folded_constant_out_of_range(expr, col):
    assert errors(f"def d = {expr}\nvar y : 0..1 = d\n") == [
        (1, col, "value out of the 64-bit range (-2^63 .. 2^63 - 1)")
    ]


def nested_reads(depth: int) -> str:
    """A step that writes x at a state-dependent index, then reads x at an index that reads
    x, `depth` deep: each read repeats its index (the write's place or not), so the step's
    expressions double in size per level as trees (shared as a DAG: specgen seed 107016)."""
    e = "x[true]"
    for _ in range(depth):
        e = f"x[{e} == 1]"
    return (
        "var y : 0..1 = 0\nvar x : [bool] -> 0..1 = [b in bool |-> 0]\n"
        f"process p {{\na:\n  x[y == 0] := y\n  await {e} == 1\n}}\n"
    )


def test_a_step_exponentially_large_as_a_tree_is_refused_in_seconds():
    # a subprocess: before the limit (and hashes cached on the shared nodes) it ran for hours
    code = f"from mmcheck import spec\nspec.load({nested_reads(30)!r})\n"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert (
        "<string>:4:1: p.a lowers to more than 1,000,000 expression nodes (reads nested "
        "in the indices of variables written earlier in the step)"
    ) in run.stderr


def test_nested_reads_within_the_limit_load():
    (step,) = spec.load(nested_reads(12)).actions
    assert tree_size(exprs_of(step)) == 81922  # 20 * 2^12 + 2: under 10^6
