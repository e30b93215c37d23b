"""The front end's bounds on the size of what a spec declares or expands to: each is an
error at the declaration or use that passes it, found without building the whole."""

from __future__ import annotations

import pytest

import spec
from spec.errors import SpecErrors


def errors(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(SpecErrors) as info:
        spec.load(text)
    return [(e.loc.line, e.loc.col, e.message) for e in info.value.errors]


def test_too_many_slots_at_the_variable():
    text = ("var ok : [1..10] -> bool = [i in 1..10 |-> false]\n"
            "var a : [1..1000] -> [1..1000] -> bool = [i in 1..1000 |-> [j in 1..1000 |-> false]]\n")  # fmt: skip
    assert errors(text) == [(2, 1, "a needs 1000000 state slots, 1000010 in all "
                                   "(at most 1000000)")]  # fmt: skip


def test_too_many_process_instances():
    text = "process p[self in 0..100000] { l: skip }\n"
    assert errors(text) == [(1, 1, "process set p has 100001 instances (at most 100000)")]


def test_inlined_def_too_large_at_its_use():
    text = "var x : 0..1 = 0\ndef d0 = x\n" + "".join(
        f"def d{k} = d{k - 1} + d{k - 1}\n" for k in range(1, 20)) + "invariant I: d19 >= 0\n"  # fmt: skip
    found = errors(text)
    # d14 (2^16 - 3 nodes, its names counted) is the first def past 50000, in d15's body
    assert found[0] == (17, 11, "d14 is more than 50000 nodes once definitions are inlined")
    assert found[-1] == (22, 14, "d19 is more than 50000 nodes once definitions are inlined")


def test_inlined_def_too_deep_at_its_use():
    text = "var x : 0..1 = 0\ndef d0 = x\n" + "".join(
        f"def d{k} = d{k - 1} + 1\n" for k in range(1, 120)) + "invariant I: d119 >= 0\n"  # fmt: skip
    found = errors(text)
    assert found[-1] == (
        122, 14, "d119 is nested more than 100 levels deep once definitions are inlined")  # fmt: skip
    # each def in the chain adds two levels (its name and its `+`): d50 is the first past 100
    assert found[0] == (
        53, 11, "d50 is nested more than 100 levels deep once definitions are inlined")  # fmt: skip
    assert len(found) == 3


def test_a_chain_of_defs_within_the_limit_holds():
    text = "var x : 0..1 = 0\ndef d0 = x\n" + "".join(
        f"def d{k} = d{k - 1} + 1\n" for k in range(1, 45)) + "invariant I: d44 >= 44\n"  # fmt: skip
    assert len(spec.load(text).invariants) == 1


@pytest.mark.parametrize(("expr", "col"), [("9223372036854775807 + 1", 9),
                                           ("-9223372036854775807 - 2", 9),
                                           ("3037000500 * 3037000500", 9)])  # fmt: skip
def test_folded_constant_out_of_range(expr, col):
    assert errors(f"def d = {expr}\nvar y : 0..1 = d\n") == [
        (1, col, "value out of the 64-bit range (-2^63 .. 2^63 - 1)")
    ]
