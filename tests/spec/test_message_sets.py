"""Sets of records (a bitmap over the product of the fields' domains) and the set
comprehensions `{ x in S | P }` and `{ e : x in S }`: the same verdicts and state counts
on every back end, and a clear error for what they cannot be."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmcheck import explorer, spec
from mmcheck.explorer import CheckOptions
from mmcheck.invariants import bmc, prove
from mmcheck.invariants.prove import PROVED
from mmcheck.spec.errors import SpecErrors

HEAD = (
    "type Kind = enum { req, ack }\n"
    "type Msg = record { kind: Kind, seq: 0..2 }\n"
    "var msgs : set of Msg = {}\n"
    "var seq : 0..2 = 0\n"
)


def errors(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(SpecErrors) as info:
        spec.load(text)
    return [(e.loc.line, e.loc.col, e.message) for e in info.value.errors]


def outcomes(text: str) -> set[tuple]:
    """(verdict, violation kind, distinct states) on each explicit back end."""
    out = set()
    for backend in ("tuple", "vector", "reference"):
        r = explorer.check(text, options=CheckOptions(backend=backend))
        out.add((r.verdict, r.violation.kind if r.violation else None, r.stats.distinct))
    return out


PROTOCOL = HEAD + (
    "action Send(k: Kind)\n"
    "  when card(msgs) < 3\n"
    "  msgs' = msgs union {{kind: k, seq: seq}}\n"
    "action Next\n"
    "  when seq < 2 and {kind: ack, seq: seq} in msgs\n"
    "  seq' = seq + 1\n"
    "action Forget\n"
    "  msgs' = { m in msgs | m.seq == seq }\n"
    "terminal true\n"
    "invariant Seqs: forall m in msgs: m.seq <= seq\n"
    "invariant Image: { m.seq : m in msgs } subset 0..seq\n"
    "invariant Filter: card({ m in msgs | m.kind == req }) == (count m in msgs: m.kind == req)\n"
    "invariant Sum: (sum m in msgs: m.seq) <= 6\n"
    "invariant Eq: msgs == { m in msgs | true } and msgs minus msgs == {}\n"
)


def test_a_message_set_protocol_agrees_on_every_back_end():
    assert outcomes(PROTOCOL) == {("holds", None, 31)}


def test_the_image_of_a_set_of_records_into_records():
    text = HEAD + (
        "action Send\n"
        "  when msgs == {}\n"
        "  msgs' = { {kind: req, seq: s} : s in 0..2 } union {{kind: ack, seq: seq}}\n"
        "terminal true\n"
        "invariant Four: card(msgs) != 4\n"
    )
    assert outcomes(text) == {("violated", "invariant", 2)}


def test_a_set_of_records_written_with_a_field_outside_its_range_is_a_range_error():
    text = HEAD.replace("var seq : 0..2", "var seq : 0..3") + (
        "action Send\n"
        "  msgs' = msgs union {{kind: req, seq: seq}}\n"
        "action Next\n"
        "  when seq < 3\n"
        "  seq' = seq + 1\n"
        "terminal true\n"
    )
    assert outcomes(text) == {("violated", "range", 17)}


def test_the_bitmap_is_over_the_product_of_the_fields_domains():
    program = spec.load(HEAD)
    (msgs,) = [v for v in program.vars if v.name == "msgs"]
    assert [(d.lo.value, d.hi.value, d.names) for d in msgs.dims] == [
        (0, 1, ("req", "ack")),
        (0, 2, ()),
    ]


def test_a_record_field_of_a_symmetric_sort_is_permuted_in_the_bitmap():
    text = (
        "type P = symmetric 1..3\n"
        "var msgs : set of record { from: P, ok: bool } = {}\n"
        "action Send(p: P, b: bool)\n"
        "  msgs' = msgs union {{from: p, ok: b}}\n"
        "terminal true\n"
    )
    reduced = explorer.check(text).stats.distinct
    full = explorer.check(text, options=CheckOptions(symmetry=False)).stats.distinct
    assert (reduced, full) == (20, 64)  # a multiset of 3 of the 4 subsets of bool; 4^3
    # tuple and vector reduce by symmetry, the reference does not
    assert outcomes(text) == {("holds", None, 20), ("holds", None, 64)}


def test_a_set_of_records_too_big_for_the_slot_limit_is_an_error_at_its_variable():
    text = "var s : set of record { a: 0..999, b: 0..999, c: bool } = {}\n"
    assert errors(text) == [(1, 1, "s needs 2000000 state slots, 2000000 in all (at most 1000000)")]


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "var s : set of record { a: [0..1] -> bool } = {}\n",
            "a set's elements are finite scalars or records of them: field 'a' of "
            "record { a: [0..1] -> bool } is [0..1] -> bool, not a range, an enum or bool",
        ),
        (
            HEAD + "action A\n  msgs' = msgs union {{kind: req, seq: seq + 1}}\n",
            "cannot check that the elements of this set lie in Msg: field 'seq' holds "
            "integers of no known constant range (results of arithmetic)",
        ),
        (
            HEAD + "invariant I: card({ {s: msgs} : s in 0..1 }) == 0\n",
            "set elements must be scalars or records of them, not record { s: set of Msg }",
        ),
        (
            HEAD + "invariant I: { m.seq : 3 } == {}\n",
            "expected `x in S` after ':' in the set { e : x in S }",
        ),
        (
            HEAD + "invariant I: { 3 | true } == {}\n",
            "expected `x in S` before '|' in the set { x in S | P }",
        ),
        (HEAD + "invariant I: card({ m in msgs | m.seq }) == 0\n", "expected a bool, got 0..2"),
        (
            HEAD + "invariant I: {kind: req} in msgs\n",
            "a record { kind: Kind } cannot be in a set of Msg",
        ),
    ],
)
def test_errors(text, expected):
    assert expected in [m for _, _, m in errors(text)]


def test_a_bare_name_before_a_colon_is_a_record_field():
    program = spec.load("var r : record { x: bool } = { x: 1 in {1} }\n")
    assert [v.name for v in program.vars] == ["r.x"]


def test_a_record_type_is_the_set_of_its_records_and_images_take_several_binders():
    text = HEAD + (
        "action Send\n"
        "  when msgs == {}\n"
        "  msgs' = { {kind: k, seq: s} : k in Kind, s in { t in 0..2 | t <= seq + 1 } }\n"
        "action Next\n"
        "  when seq < 1\n"
        "  seq' = seq + 1\n"
        "terminal true\n"
        "invariant All: card(Msg) == 6 and msgs subset Msg\n"
        "invariant Pairs: card(msgs) == 0 or card(msgs) == 2 * (seq + 2) or card(msgs) == 4\n"
        "invariant Each: forall m in { m in Msg | m.seq == 0 }: msgs == {} or m in msgs\n"
    )
    assert outcomes(text) == {("holds", None, 5)}


def test_an_image_whose_values_range_over_its_own_binders_is_of_no_known_range():
    dependent = "{ y : x in 0..2, y in 0..x }"
    text = f"terminal true\ninvariant I: 2 in {dependent} and 3 notin {dependent}\n"
    assert outcomes(text) == {("holds", None, 1)}
    assert errors(f"invariant I: card({dependent}) == 3\n") == [
        (
            1,
            14,
            "cannot count or compare the elements of this set: they are integers of no "
            "known range (results of arithmetic)",
        )
    ]


def test_the_message_set_protocol_through_z3():
    path = str(Path(__file__).parents[1] / "specs" / "msgset_commit.mms")
    assert prove(path, invariants=["Counted"]).status == PROVED
    bad = bmc(path, {"FIXED": False}, depth=4)
    assert bad.violation is not None and bad.violation.name == "Consistent"
    assert bmc(path, depth=4).violation is None
