"""Every configuration of the spec library where the explorer finds the invariants
holding (each `expect ...: holds` line of spec/models/*.mms) is also proved inductive by
`prove`, with the lemmas written in the spec: a holding expectation added without a
proof fails here. The invariants proved are those the expectation checks, with those of
ASSUMED as lemmas where the explorer finds them holding too. migrate_page's (16 s and
more each) run with `-m slow`; the per-model tests pin the query counts and the CTIs of
the broken modes."""

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
