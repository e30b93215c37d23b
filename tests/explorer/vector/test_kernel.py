"""The fused kernels of the vector back end: which instances they cover, that their
source holds no spec text outside comments, and that errors flagged by a kernel (and
only where the sequential semantics evaluates) give the tuple back end's results."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mmcheck import explorer, spec
from mmcheck.explorer.core.limits import Limits
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.tuple.bfs import make_search
from mmcheck.explorer.vector.model import VectorModel

ROOT = str(Path(__file__).resolve().parents[3])  # the repository


def model(source: str, consts: dict | None = None) -> VectorModel:
    search = make_search(spec.load(source, consts), CheckOptions(deadlock=False), Limits())
    return VectorModel(search)


@pytest.mark.parametrize(
    ("path", "consts", "instances"),
    [
        # MISS_VMA's `either` in remove_migration_pte is one more instance
        ("spec/models/migrate_page.mms", {"PTES": "2", "GUPS": "2", "ZAPS": "2"}, 43),
        ("bench/specs/peterson_filter.mms", {"N": "3"}, 15),
    ],
)
def test_every_instance_and_invariant_fused(path: str, consts: dict, instances: int) -> None:
    vm = model(os.path.join(ROOT, path), consts)
    assert len(vm.instances) == instances
    assert vm.interpreted == []
    assert vm.kernels.bad_invariant is not None


NAMES = """
spec Weird_Name_Zz
var counter_Qq : 0..3 = 0
action bump_Yy
  when counter_Qq < 3
  counter_Qq' = counter_Qq + 1
invariant Quote_Me: counter_Qq <= 3
"""


def test_source_holds_no_spec_name_outside_comments() -> None:
    source = model(NAMES).kernels.source
    code = [line.split("#", 1)[0] for line in source.splitlines()]
    assert not any(name in line for line in code for name in ("Qq", "Yy", "Quote", "Weird"))
    assert any("bump_Yy" in line for line in source.splitlines())


# m[n] with n read from the state: 0 is outside m's domain. `safe` short-circuits on
# n > 0, so its read never fails (the kernel must not flag those rows); `bad` reads
# m[n - 1] when n == 1, a domain error after one step, which the kernel flags and hands
# to the interpreter. NOBAD=true leaves only `safe` and `step`: no error at all.
DOMAIN = """
spec Domain
const NOBAD = false
var n : 0..2 = 0
var m : [1..2] -> 0..1 = [i in 1..2 |-> 0]
action safe
  when n > 0 and m[n] == 0 and n < 2
  n' = n + 1
action step
  when n < 2
  n' = n + 1
action bad
  when not NOBAD and n == 1 and m[n - 1] == 0
  n' = 0
"""


@pytest.mark.parametrize(
    ("nobad", "verdict", "distinct", "trace"),
    [("false", "violated", 2, 2), ("true", "holds", 3, 0)],
)
def test_guard_errors_only_where_evaluated(
    nobad: str, verdict: str, distinct: int, trace: int
) -> None:
    consts = {"NOBAD": nobad}
    assert model(DOMAIN, consts).interpreted == []
    tup = explorer.check(DOMAIN, consts, deadlock=False)
    vec = explorer.check(DOMAIN, consts, deadlock=False, backend="vector", workers=1)
    assert (vec.verdict, vec.stats.distinct, vec.stats.depth, vec.stats.generated) == (
        tup.verdict,
        tup.stats.distinct,
        tup.stats.depth,
        tup.stats.generated,
    )
    assert (vec.verdict, vec.stats.distinct) == (verdict, distinct)
    assert len(vec.violation.trace if vec.violation else ()) == trace
