"""The vector back end agrees with the tuple back end: verdict, distinct states, depth,
generated states, the violation (kind, place, failed step) and its trace length."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import numpy as np
import pytest

from mmcheck import explorer, spec
from mmcheck.explorer.expect import expect_consts
from mmcheck.explorer.vector.pack import Layout, mix64
from mmcheck.explorer.vector.visited import VisitedSet
from mmcheck.spec import ir
from mmcheck.spec.errors import Loc, UsageError

ROOT = str(Path(__file__).resolve().parents[3])  # the repository
L = Loc("<hand>", 1, 1)
C = ir.Const


def loc(line: int) -> Loc:
    return Loc("<hand>", line, 1)


def R(var: str, *index: ir.Expr, line: int = 1) -> ir.Read:
    return ir.Read(var, tuple(index), loc(line))


def B(op: str, a: ir.Expr, b: ir.Expr, line: int = 1) -> ir.Binary:
    return ir.Binary(op, a, b, loc(line))


def T(lo: int, hi: int, kind: str = "int") -> ir.ScalarType:
    return ir.ScalarType(kind, C(lo), C(hi))


def act(
    name: str, guard: ir.Expr, *updates: tuple[str, ir.Expr], params=(), checks=(), line: int = 1
) -> ir.Action:
    ups = tuple(ir.Assign(v, (), e, ir.TRUE, loc(line)) for v, e in updates)
    return ir.Action(name, tuple(params), guard, tuple(checks), ups, loc(line))


def program(vars_, acts, invs=(), init=None, terminal=None) -> ir.Program:
    if init is None:
        init = act("init", ir.TRUE, *((v.name, C(const_lo(v))) for v in vars_ if not v.dims))
    return ir.Program(
        "hand", "<hand>", (), (), tuple(vars_), init, tuple(acts), tuple(invs), terminal=terminal
    )


def const_lo(v: ir.Var) -> int:
    return ir.const_int(v.type.lo)


def jugs() -> ir.Program:
    s, b = "small", "big"
    pour_sb = B("min", B("-", C(5), R(b)), R(s))
    pour_bs = B("min", B("-", C(3), R(s)), R(b))
    return program(
        [ir.Var(s, T(0, 3), (), L), ir.Var(b, T(0, 5), (), L)],
        [
            act("FillSmall", ir.TRUE, (s, C(3))),
            act("FillBig", ir.TRUE, (b, C(5))),
            act("EmptySmall", ir.TRUE, (s, C(0))),
            act("EmptyBig", ir.TRUE, (b, C(0))),
            act("SmallToBig", ir.TRUE, (s, B("-", R(s), pour_sb)), (b, B("+", R(b), pour_sb))),
            act("BigToSmall", ir.TRUE, (b, B("-", R(b), pour_bs)), (s, B("+", R(s), pour_bs))),
        ],
        [ir.Invariant("NotFour", B("!=", R(b), C(4)), loc(9))],
    )


def counters(n: int, m: int, invariant: ir.Expr | None = None) -> ir.Program:
    """n counters 0..m, each incremented or decremented by a parameterised action."""
    i = ir.Param("i")
    p = ir.ParamDecl("i", T(1, n))
    x = ir.Var("x", T(0, m), (ir.Dim(C(1), C(n)),), L)
    init = ir.Action("init", (), ir.TRUE, (), (ir.AssignAll("x", ("j",), C(0), ir.TRUE, L),), L)
    inc = ir.Action(
        "inc",
        (p,),
        B("<", R("x", i), C(m)),
        (),
        (ir.Assign("x", (i,), B("+", R("x", i), C(1)), ir.TRUE, loc(2)),),
        loc(2),
    )
    dec = ir.Action(
        "dec",
        (p,),
        B(">", R("x", i), C(0)),
        (),
        (ir.Assign("x", (i,), B("-", R("x", i), C(1)), ir.TRUE, loc(3)),),
        loc(3),
    )
    invs = (ir.Invariant("Inv", invariant, loc(4)),) if invariant is not None else ()
    return ir.Program("counters", "<hand>", (), (), (x,), init, (inc, dec), invs)


def walker(error: str) -> ir.Program:
    """x walks 0..4; at x == 3 a step raises the runtime error `error`, or (deadlock)
    nothing is enabled; a guard `x < 3 and a[x] == 0` never reads outside a[0..2]."""
    x = ir.Var("x", T(0, 4), (), L)
    y = ir.Var("y", T(0, 2), (), L)
    a = ir.Var("a", T(0, 1), (ir.Dim(C(0), C(2)),), L)
    safe = B("and", B("<", R("x"), C(3)), B("==", R("a", R("x"), line=5), C(0)))
    step = act("step", safe, ("x", B("+", R("x"), C(1))), line=6)
    reach = B("==", R("x"), C(3))
    bad = {
        "domain": act("peek", reach, ("y", R("a", R("x"), line=7)), line=7),
        "div": act("divide", reach, ("y", B("div", C(1), B("-", R("x"), C(3)), line=8)), line=8),
        "range": act("bump", reach, ("y", B("+", R("x"), C(1))), line=9),
        "assert": act(
            "check",
            reach,
            ("y", C(1)),
            line=10,
            checks=[ir.Check("assert", B("<", R("x"), C(3)), "x small", loc(10))],
        ),
        "deadlock": act("idle", B("<", R("x"), C(0)), ("y", C(0))),
    }[error]
    wobble = act("wobble", B("<", R("y"), C(2)), ("y", B("+", R("y"), C(1))))
    return program(
        [x, y, a],
        [step, wobble, bad],
        init=ir.Action(
            "init",
            (),
            ir.TRUE,
            (),
            (
                ir.Assign("x", (), C(0), ir.TRUE, L),
                ir.Assign("y", (), C(0), ir.TRUE, L),
                ir.AssignAll("a", ("k",), C(0), ir.TRUE, L),
            ),
            L,
        ),
    )


def both(p: ir.Program | str, consts: dict | None = None, **kw) -> tuple:
    kw.setdefault("properties", ())  # safety: the vector back end checks no property
    t = explorer.check(p, consts, backend="tuple", **kw)
    v = explorer.check(p, consts, backend="vector", **kw)
    return t, v


def assert_agree(t, v, generated: bool = True) -> None:
    assert v.verdict == t.verdict
    assert v.stats.distinct == t.stats.distinct
    assert v.stats.depth == t.stats.depth
    if generated:
        assert v.stats.generated == t.stats.generated
    assert (v.violation is None) == (t.violation is None)
    if t.violation is not None:
        assert v.violation.kind == t.violation.kind
        assert v.violation.name == t.violation.name
        assert v.violation.loc == t.violation.loc
        assert v.violation.length == t.violation.length
        assert v.violation.failed == t.violation.failed
        assert v.violation.trace == t.violation.trace
    assert v.stats.backend == "vector"


def test_jugs_invariant_violation_in_six_steps():
    t, v = both(jugs())
    assert_agree(t, v)
    assert v.verdict == "violated" and v.violation.name == "NotFour"
    assert (v.violation.length, v.stats.distinct, v.stats.generated) == (6, 14, 73)


@pytest.mark.parametrize("error", ["domain", "div", "range", "assert", "deadlock"])
def test_runtime_errors_and_deadlock_agree(error):
    t, v = both(walker(error))
    assert_agree(t, v)
    assert v.violation.kind == error
    assert v.violation.length == (5 if error == "deadlock" else 4)


def test_deadlock_switch_off():
    t, v = both(walker("deadlock"), deadlock=False)
    assert_agree(t, v)
    assert (v.verdict, v.stats.distinct) == ("holds", 12)


def test_counters_hold_with_all_states():
    t, v = both(counters(3, 4))
    assert_agree(t, v)
    assert (v.verdict, v.stats.distinct, v.stats.depth) == ("holds", 125, 12)


def test_quantifier_invariant_violation():
    # count of counters at their maximum < 2: violated after 2*3 increments
    inv = B("<", ir.Quant("count", "k", C(1), C(3), B("==", R("x", ir.Param("k")), C(3))), C(2))
    t, v = both(counters(3, 3, inv))
    assert_agree(t, v)
    assert (v.violation.name, v.violation.length) == ("Inv", 6)


def test_quantifier_with_state_dependent_bounds():
    # 1 + 2 + ... + x[1] <= 5 and (exists k in x[2]..3: k == 3) => x[3] == 0
    tri = B("<=", ir.Quant("sum", "k", C(1), R("x", C(1)), ir.Param("k")), C(5))
    some = ir.Quant("exists", "k", R("x", C(2)), C(3), B("==", ir.Param("k"), C(3)))
    inv = B("and", tri, B("=>", some, B("==", R("x", C(3)), C(0))))
    t, v = both(counters(3, 3, inv))
    assert_agree(t, v)
    assert (v.verdict, v.violation.length) == ("violated", 1)


@pytest.mark.parametrize("kw", [{"max_depth": 4}, {"max_states": 40}, {"fingerprint": True}])
def test_bounds_and_fingerprints_agree(kw):
    t, v = both(counters(3, 4), **kw)
    assert_agree(t, v, generated="max_states" not in kw)


def test_chunks_do_not_change_the_result():
    from mmcheck.explorer.vector import engine as vector

    p = counters(3, 5, B("!=", R("x", C(2)), C(5)))
    t = explorer.check(p)
    old = vector.CHUNK
    vector.CHUNK = 7
    try:
        v = explorer.check(p, backend="vector")
    finally:
        vector.CHUNK = old
    assert_agree(t, v)


def test_unsupported_options_are_refused():
    with pytest.raises(UsageError, match="coverage with one worker"):
        explorer.check(jugs(), backend="vector", coverage=True, workers=2)
    with pytest.raises(UsageError, match="simulate"):
        explorer.check(jugs(), backend="vector", simulate=3)


# --------------------------------------------------------------------------- packing


def test_pack_unpack_roundtrip_and_fingerprints():
    p = walker("range")
    lay = Layout.of(p)
    rng = np.random.default_rng(1)
    cols = np.stack([rng.integers(s.lo, s.hi + 1, 50) for s in p.slots])
    words = lay.pack(cols)
    assert lay.nwords == 1
    assert (lay.unpack(words) == cols).all()
    fps = lay.fingerprints(words)
    distinct = {tuple(c) for c in cols.T}
    assert len(set(fps.tolist())) == len(distinct)


def test_mix64_is_a_bijection_on_a_sample():
    x = np.arange(1 << 16, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    assert len(np.unique(mix64(x))) == len(x)


def test_visited_set_exact_words_tell_colliding_fingerprints_apart():
    vs = VisitedSet(2, keep_words=True)
    fps = np.array([5, 5, 9], dtype=np.uint64)  # two different states, one fingerprint
    words = np.array([[1, 2, 3], [0, 0, 0]], dtype=np.uint64)
    assert not vs.contains_block(fps, words).any()
    vs.insert(fps, words)
    q = np.array([5, 5, 5, 9], dtype=np.uint64)
    qw = np.array([[1, 2, 4, 3], [0, 0, 0, 0]], dtype=np.uint64)
    assert vs.contains_block(q, qw).tolist() == [True, True, False, True]
    assert len(vs) == 3


def test_visited_set_merges_keep_every_fingerprint():
    vs = VisitedSet(1, keep_words=False, min_delta=1000)  # a merge every few batches
    rng = np.random.default_rng(7)
    allfps = np.unique(rng.integers(0, 2**64, 300_000, dtype=np.uint64))
    allfps = np.concatenate([allfps, np.array([0, 2**64 - 1], np.uint64)])  # both ends
    allfps = np.unique(allfps)
    rng.shuffle(allfps)
    for part in np.array_split(allfps, 97):
        assert not vs.contains_block(part, None).any()
        vs.insert(part, None)
        assert vs.contains_block(part, None).all()
    assert len(vs) == len(allfps)
    assert len(vs.main) > len(allfps) // 2  # merged into the sorted array
    assert (vs.main[1:] >= vs.main[:-1]).all()
    assert vs.contains_block(allfps, None).all()
    other = rng.integers(0, 2**64, 10_000, dtype=np.uint64)
    assert vs.contains_block(other, None).sum() == np.isin(other, allfps).sum()


def test_visited_set_exact_mode_keeps_words_through_merges():
    """Many states share each fingerprint; each is found by its words, in the delta and
    after merges into the sorted array."""
    vs = VisitedSet(2, keep_words=True, min_delta=50)
    rng = np.random.default_rng(3)
    words = np.unique(rng.integers(0, 1000, (5000, 2), dtype=np.uint64), axis=0).T.copy()
    fps = words[0] % np.uint64(37)  # collisions everywhere
    order = rng.permutation(words.shape[1])
    for part in np.array_split(order, 40):
        assert not vs.contains_block(fps[part], words[:, part]).any()
        vs.insert(fps[part], np.ascontiguousarray(words[:, part]))
    assert len(vs) == words.shape[1]
    assert vs.contains_block(fps, words).all()
    other = words.copy()
    other[1] += np.uint64(1000)  # the same fingerprints, other words
    assert not vs.contains_block(fps, other).any()


# --------------------------------------------------------------------------- spec files


SPEC_FILES = sorted(
    glob.glob(os.path.join(ROOT, "tests", "specs", "*.mms"))
    + glob.glob(os.path.join(ROOT, "spec", "models", "*.mms"))
)


# Specs whose "holds" expectations take the tuple back end seconds each: every one of
# their expectations is compared in the slow run, the violations and the default here.
BIG = {"migrate_page.mms"}


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(p, marks=pytest.mark.slow) if os.path.basename(p) in BIG else p
        for p in SPEC_FILES
    ],
    ids=os.path.basename,
)
def test_spec_library_agrees_on_every_expectation(path):
    prog = spec.load(path)
    if not prog.expects:  # a spec too big to explore (tests/specs/explode.mms): a bound
        t, v = both(path, max_states=20_000)
        assert_agree(t, v, generated=False)
        assert (v.verdict, v.stats.distinct) == ("incomplete", 20_000)
    for e in prog.expects:
        t, v = both(path, expect_consts(prog, e))
        assert_agree(t, v)


@pytest.mark.parametrize("name", sorted(BIG))
def test_big_specs_agree_on_their_violations_and_defaults(name):
    path = os.path.join(ROOT, "spec", "models", name)
    prog = spec.load(path)
    cases = [expect_consts(prog, e) for e in prog.expects if e.verdict != "holds"]
    assert cases, "the big specs have expectations of violations"
    for consts in [{}] + cases:
        t, v = both(path, consts)
        assert_agree(t, v)


def test_dedup_tells_apart_states_with_equal_fingerprints() -> None:
    from mmcheck.explorer.vector.level import dedup

    class Same:  # every state gets the same fingerprint
        def fingerprints(self, words: np.ndarray) -> np.ndarray:
            return np.zeros(words.shape[1], np.uint64)

    words = np.array([[1, 2, 1, 3, 2], [0, 0, 0, 0, 0]], np.uint64)
    order = np.array([4, 3, 2, 1, 0])
    w, _, least = dedup(Same(), words, order, True)
    assert sorted(zip(w[0].tolist(), least.tolist())) == [(1, 2), (2, 0), (3, 1)]
    w, _, least = dedup(Same(), words, order, False)  # fingerprint mode: one state
    assert (w.shape[1], least.tolist()) == (1, [0])
