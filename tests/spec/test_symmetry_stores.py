"""A value of a symmetric sort is stored only where the type says the sort.

Symmetry reduction permutes a sort's values in the slots whose type is the sort. A
process set's index stored in a plain int was accepted once, and the reduction then
merged states that differ: the spec below (FIRST3) was reported to hold with symmetry
and violated without. Every way of storing such a value elsewhere is now an error.
"""

import pytest

from mmcheck import check

# FIRST3: the first process to run records its index; the last one overwrites owner
FIRST3 = """
var owner : 0..3 = 0
var first : 0..3 = 0

symmetric process p[self in 1..3] {
  s: owner := self
     if first == 0 { first := owner }
     goto Done
}

invariant Never3: not (owner == 3 and first == 1)
"""

IDX = "the symmetric index of process set p"
# (declarations, process body, what the error says)
CASES = {
    "assignment": ("var owner : 0..3 = 0\n", "  s: owner := self\n", f"owner is not of {IDX}"),
    "map element": (
        "var m : [1..2] -> 0..3 = [i in 1..2 |-> 0]\n",
        "  s: m[1] := self\n",
        f"m[...] is not of {IDX}",
    ),
    "set": ("var s : set of 0..3 = {}\n", "  s: s := {self}\n", f"s is not of {IDX}"),
    "cas": ("var owner : 0..3 = 0\n", "  s: if cas(owner, 0, self) { skip }\n", "owner is not"),
    "process variable": ("", "  var mine : 0..3 = self\n  s: skip\n", f"mine is not of {IDX}"),
    "initial choice": ("", "  var mine : 0..3 in {self}\n  s: skip\n", f"mine is not of {IDX}"),
    # merged into one value with a literal: stored in a place of the sort, the literal
    # would be one of its values
    "if branches": (
        "type T = symmetric 1..3\nvar o : T in T\n",
        "  s: o := (if o == o then self else 1)\n",
        f"the branches mix values of {IDX} with values of no symmetric sort",
    ),
    "set literal": (
        "var s : set of 0..3 = {}\n",
        "  s: await 2 in {1, self}\n",
        f"the set's elements mix values of {IDX}",
    ),
    "membership": (
        "var s : set of 1..3 = {1}\n",
        "  s: await self in s\n",
        f"`in` mix values of {IDX} with values of no symmetric sort",
    ),
    "literal in a set of the sort": (
        "type T = symmetric 1..3\nvar s : set of T = {}\n",
        "  s: await 1 notin s\n",
        "`notin` mix values of symmetric T with values of no symmetric sort",
    ),
    "union": (
        "var s : set of 0..3 = {}\n",
        "  s: s := s union {self}\n",
        f"`union` mix values of {IDX}",
    ),
}


def spec(decls: str, body: str) -> str:
    return f"{decls}symmetric process p[self in 1..3] {{\n{body}     goto Done\n}}\n"


def test_the_unsound_spec_is_rejected(run_cli):
    rc, _, err = run_cli(FIRST3, verb="check")
    assert rc == 2
    assert "spec.mms:6:6: error: owner is not of the symmetric index of process set p" in err
    assert "  s: owner := self" in err and "Traceback" not in err


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_sort_value_stored_or_merged_elsewhere_is_an_error(run_cli, case):
    decls, body, says = CASES[case]
    rc, _, err = run_cli(spec(decls, body))
    assert rc == 2, err
    assert f"error: {says}" in err
    assert "breaks symmetry" in err and "Traceback" not in err


def test_stored_as_its_own_type_the_reduction_agrees_with_the_full_search(tmp_path):
    """The same protocol with its variables of the sort: the reduced and the full
    search give the same verdict (it holds: first and owner are never compared with a
    literal, which the checker would reject)."""
    path = tmp_path / "typed.mms"
    path.write_text(
        "type T = symmetric 1..3\n"
        "var owner : T in T\nvar first : T in T\nvar started : bool = false\n"
        "symmetric process p[self in T] {\n"
        "  s: owner := self\n"
        "     if not started { first := owner\n started := true }\n"
        "     goto Done\n}\n"
        "invariant FirstRan: started => done(p[first])\n"
    )
    reduced, full = check(path), check(path, symmetry=False)
    assert (reduced.verdict, full.verdict) == ("holds", "holds")
    assert reduced.stats.distinct < full.stats.distinct
