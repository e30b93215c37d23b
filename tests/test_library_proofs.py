"""Every configuration of the spec library where the explorer finds the invariants
holding (each `expect ...: holds` line of spec/models/*.mms) is also proved inductive by
`prove`, with the lemmas written in the spec: a holding expectation added without a
proof fails here. The invariants proved are those the expectation checks, with those of
ASSUMED as lemmas where the explorer finds them holding too. migrate_page's (16 s and
more each) run with `-m slow`; the per-model tests pin the query counts and the CTIs of
the broken modes.

A proof is only as good as the lowering the prover and the explorers share, so the
lemmas it rests on are also checked by the reference interpreter (explorer.reference,
which evaluates the spec's syntax and shares no code with the lowering): in every state
it reaches, in each holding configuration and in larger instances of the models proved
at a symbolic size. A lemma false in a reachable state would be a false proof."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmcheck import explorer, invariants
from mmcheck.explorer.core.result import HOLDS
from mmcheck.explorer.expect import expect_consts, load_defaults
from mmcheck.invariants.prove import PROVED

MODELS = Path(__file__).resolve().parent.parent / "spec" / "models"
SLOW = {"migrate_page"}
# With patch 10 reverted, migrate_page's expectation checks the two swap invariants
# (SwapcacheRemapped fails); the accounting invariants hold there too, and the swap
# invariants' proof rests on them (prove --lemma NAME).
ASSUMED = {
    ("migrate_page", (("PATCH10", False),)): (
        "RefcountAccounted",
        "MapcountAccounted",
        "FrozenExclusive",
        "RssCountersRight",
    ),
}


def holding() -> list:
    cases = []
    for path in sorted(MODELS.glob("*.mms")):
        base = load_defaults(path)
        for e in base.expects:
            if e.verdict != HOLDS:
                continue
            consts = expect_consts(base, e)
            shown = ",".join(f"{k}={v}" for k, v in consts.items()) or "defaults"
            checks = f"[{','.join(e.checks)}]" if e.checks else ""
            marks = [pytest.mark.slow] if path.stem in SLOW else []
            cases.append(
                pytest.param(path, consts, e.checks, id=f"{path.stem}:{shown}{checks}", marks=marks)
            )
    return cases


@pytest.mark.parametrize("path,consts,checks", holding())
def test_holding_configuration_is_proved(path, consts, checks):
    assumed = ASSUMED.get((path.stem, tuple(consts.items())), ())
    if assumed:
        held = explorer.check(
            path, consts, invariants=checks + assumed, backend="vector", properties=()
        )
        assert held.verdict == HOLDS
    result = invariants.prove(path, consts, invariants=checks, lemmas=assumed)
    failed = sorted(
        {(q.invariant, q.action, q.status) for q in result.queries if q.status != PROVED}
    )
    assert (result.status, failed) == (PROVED, [])


def reference(path: Path, consts: dict, checks: list[str] | None = None):
    """The reference back end's verdict on the invariants (`checks`, else all) and the
    spec's lemmas, safety only (deadlocks are the explorers' expectations' business)."""
    return explorer.check(
        path,
        consts,
        backend="reference",
        invariants=checks,
        lemmas=True,
        properties=(),
        deadlock=False,
    )


@pytest.mark.parametrize("path,consts,checks", holding())
def test_holding_configuration_lemmas_hold_in_the_reference(path, consts, checks):
    assumed = ASSUMED.get((path.stem, tuple(consts.items())), ())
    checked = [*checks, *assumed] if checks else None
    assert reference(path, consts, checked).verdict == HOLDS


# Larger than any expectation, within the declared ranges: distinct states as the
# reference counts them (it reduces no symmetry). The slow ones take 10 to 35 s.
LARGER = [
    ("async_buffer_migrate", {"DESIGN": 0, "JOURNALS": 3}, 8_800, []),
    ("async_buffer_migrate", {"DESIGN": 2, "BUFS": 3, "JOURNALS": 2}, 15_765, [pytest.mark.slow]),
    ("async_buffer_migrate", {"DESIGN": 2, "JOURNALS": 3}, 38_187, [pytest.mark.slow]),
    ("ksm_unmerge", {"FIXED": True, "SWAP_FIXED": True, "PTES": 4, "SWAPPED": 2}, 564, []),
    ("spinlock_fairness", {"CPUS": 4}, 297, []),
    ("spinlock_fairness", {"TICKET": True, "CPUS": 4}, 16_006, [pytest.mark.slow]),
]


@pytest.mark.parametrize(
    "name,consts,distinct",
    [pytest.param(n, c, d, marks=m, id=f"{n}:{c}") for n, c, d, m in LARGER],
)
def test_lemmas_hold_in_a_larger_instance(name, consts, distinct):
    result = reference(MODELS / f"{name}.mms", consts)
    assert (result.verdict, result.stats.distinct) == (HOLDS, distinct)
