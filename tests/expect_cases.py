"""The `expect` lines of test specs as parametrized cases, one per expectation and back
end, and the check each such case makes: what `mmcheck test --backend B` does for one
expectation. A helper module beside the tests (import it with tests/ on sys.path)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from mmcheck.explorer import expect
from mmcheck.explorer.core.options import CheckOptions

# the back ends that explore the state graph, each checked against every expectation
BACKENDS = ("tuple", "vector", "reference")


def expectation_cases(paths: Iterable[str | Path], count: int, named: bool = True) -> list[Any]:
    """pytest params (planned expectation, back end) for every expectation of the specs
    at `paths` on every back end; the specs must load and hold `count` expectations
    between them. Ids: `spec.mms:CONSTS:backend`, or `CONSTS:backend` unless `named`."""
    planned, broken = expect.plan(expect.find_specs([str(p) for p in paths]))
    assert not broken, [b.error for b in broken]
    assert len(planned) == count, [(p.path.name, p.consts) for p in planned]
    return [
        pytest.param(
            p,
            backend,
            id=f"{p.path.name}:{p.consts}:{backend}" if named else f"{p.consts}:{backend}",
        )
        for p in planned
        for backend in BACKENDS
    ]


def check_expectation(case: expect.Planned, backend: str) -> None:
    """The expectation is met on the back end."""
    got = expect.run_case(case, CheckOptions(backend=backend))
    assert got.ok, got.got
