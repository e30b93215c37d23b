"""Bounded model checking agrees with the explorer: on every spec of tests/specs and
spec/models, under every constant setting its expectations name, BMC to depth K finds
a violation exactly when explorer.check finds one within depth K, of the same kind and
length; its traces replay through the Python translation."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmcheck import explorer, spec
from mmcheck.explorer.core.result import BOUNDED, VIOLATED
from mmcheck.explorer.tuple.translate import compile_expr, compile_model
from mmcheck.invariants import bmc
from mmcheck.spec.errors import UsageError

ROOT = Path(__file__).parents[2]
SPECS = sorted((ROOT / "tests" / "specs").glob("*.mms")) + sorted(
    (ROOT / "spec" / "models").glob("*.mms")
)
BIG = {"migrate_page.mms", "philosophers.mms"}  # BMC on these takes tens of seconds per depth


def settings(path: Path) -> list[dict]:
    """Every constant setting the spec's expectations name (the defaults if none)."""
    program = spec.load(path)
    is_bool = {c.name: c.type.is_bool for c in program.consts}
    out: list[dict] = [{}]
    for e in program.expects:
        c = {k: bool(v) if is_bool[k] else v for k, v in e.consts}
        if c not in out:
            out.append(c)
    return out


CASES = [(p, c) for p in SPECS for c in settings(p)]


def case_id(case) -> str:
    path, consts = case
    return path.name + "".join(f",{k}={v}" for k, v in consts.items())


def replay(path: Path, consts: dict, violation) -> None:
    """Each step of the BMC trace is the Python translation's successor."""
    program = spec.load(path, consts)
    model = compile_model(program)
    assert violation.trace[0].state in model.init_states()
    for prev, step in zip(violation.trace, violation.trace[1:]):
        succ = {s for _, s in model.successors(prev.state)}
        assert step.state in succ
    if violation.kind == "invariant":
        inv = next(i for i in program.invariants if i.name == violation.name)
        assert not compile_expr(program, inv.expr)(violation.trace[-1].state)


def agree(path: Path, consts: dict, depth: int) -> None:
    # bmc checks safety; the temporal properties it skips are no part of the comparison
    expected = explorer.check(
        path, consts, deadlock=False, max_depth=depth, symmetry=False, properties=()
    )
    got = bmc(path, consts, depth=depth)
    if expected.verdict == VIOLATED:
        assert got.verdict == VIOLATED, expected.violation
        assert got.violation.length == expected.violation.length
        assert got.violation.kind == expected.violation.kind
        replay(path, consts, got.violation)
    else:
        assert got.verdict == BOUNDED, got.violation
        assert got.reason == f"no violation up to depth {depth} (bounded model checking)"


@pytest.mark.parametrize("case", [c for c in CASES if c[0].name not in BIG], ids=case_id)
def test_bmc_agrees_with_the_explorer(case):
    agree(*case, depth=4)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bmc_agrees_with_the_explorer_deeper(case):
    agree(*case, depth=8)


def test_refcount_bug_is_found_at_its_shortest_length():
    path = ROOT / "tests" / "specs" / "refcount.mms"
    r = bmc(path, {"UNLESS_ZERO": False}, depth=6)
    assert r.verdict == VIOLATED and r.exit_code == 1
    v = r.violation
    assert (v.kind, v.name, v.length) == ("invariant", "Balanced", 5)
    assert [s.action for s in v.trace[1:]][-2:] == ["freeze", "fault"]
    replay(path, {"UNLESS_ZERO": False}, v)
    assert bmc(path, {"UNLESS_ZERO": False}, depth=4).verdict == BOUNDED


def test_diehard_needs_six_steps():
    path = ROOT / "tests" / "specs" / "diehard.mms"
    assert bmc(path, depth=5).verdict == BOUNDED
    r = bmc(path, depth=6)
    assert r.violation.length == 6
    replay(path, {}, r.violation)


def test_runtime_errors_end_with_the_failing_step():
    path = ROOT / "tests" / "specs" / "runtime_errors.mms"
    for err, kind in ((1, "range"), (2, "domain"), (3, "div")):
        v = bmc(path, {"ERR": err}, depth=3).violation
        assert (v.kind, v.length, len(v.trace)) == (kind, 3, 3)
        assert v.failed is not None and v.loc is not None


def test_bmc_rejects_symbolic_constants():
    with pytest.raises(UsageError, match="concrete"):
        bmc(ROOT / "tests" / "specs" / "refcount.mms", {"PTES": "?"}, depth=2)


def test_cli_bmc(capsys):
    from mmcheck.cli import main

    path = str(ROOT / "tests" / "specs" / "refcount.mms")
    assert main(["bmc", path, "--depth", "3"]) == 0
    out = capsys.readouterr().out
    assert "no violation up to depth 3" in out and "deadlock not checked" in out
    assert main(["bmc", path, "--depth", "6", "-D", "UNLESS_ZERO=false", "--trace", "cpu"]) == 1
    assert "violation of length 5" in capsys.readouterr().out


def test_initial_states_that_err_or_violate_are_reported_as_the_explorer_does():
    text = """
    var y : 0..9 in 0..9
    var x : 0..3 = y
    invariant Small: x < LIMIT
    """
    for limit, kind, states in ((3, "invariant", 1), (4, "range", 0)):
        source = text.replace("LIMIT", str(limit))
        v = bmc(source, depth=2).violation
        e = explorer.check(source).violation
        assert (
            (v.kind, v.loc, len(v.trace)) == (e.kind, e.loc, len(e.trace)) == (kind, e.loc, states)
        )
