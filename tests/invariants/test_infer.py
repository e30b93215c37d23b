"""prove --infer: the lemmas inferred from no lemmas on tests/specs/refcount.mms and on
library models, pinned; each re-parses as a lemma of the spec and proves the goals
there; and none is refuted by the reference interpreter on a larger instance."""

from __future__ import annotations

import importlib
import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import z3

from mmcheck import explorer, spec
from mmcheck.cli import main
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.result import HOLDS
from mmcheck.explorer.report.schema import schema
from mmcheck.invariants import infer, prove
from mmcheck.invariants.infer import InferResult, _Miner, _reachable, _size_consts
from mmcheck.invariants.prove import CTI, PROVED
from mmcheck.spec.errors import UsageError

infer_module = importlib.import_module("mmcheck.invariants.infer")
ROOT = Path(__file__).parents[2]
REFCOUNT = ROOT / "tests" / "specs" / "refcount.mms"
MODELS = ROOT / "spec" / "models"

KSM_NEEDED = 21
KSM_SYMBOLIC = (182, 182, 95, 22)  # at PTES=?, filtered at PTES=2
MLOCK_COUNTS = (166, 148, 138, 36)
RAWIO_COUNTS = (398, 279, 279, 33)

REFCOUNT_LEMMAS = [
    "frozen => refcount == 0",
    "mapcount == (count i in 1..PTES: pte[i] == present)",
    "refcount == 1 + (count i in 1..PTES: pte[i] == present) - (if frozen then 1 else 0) + pins",
]


@pytest.fixture(scope="module")
def refcount() -> InferResult:
    return infer(REFCOUNT, invariants=["MappedHasRef"])


def with_lemmas(tmp_path: Path, source: Path, result: InferResult) -> Path:
    """A copy of the spec with the inferred lemmas appended, as --write does, beside
    copies of the files it includes (paths relative to the spec, as the library's)."""
    text = source.read_text()
    for line in text.splitlines():
        if line.startswith('include "') and not line.startswith('include "prelude"'):
            name = line.split('"')[1]
            name += "" if name.endswith(".mms") else ".mms"
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source.parent / name, tmp_path / name)
    copy = tmp_path / source.name
    copy.write_text(text + "\n" + result.text())
    return copy


def test_refcount_from_no_lemmas(refcount):
    # MappedHasRef is not inductive alone (docs/prove.md): the inference finds the
    # accounting the spec's other invariants state, as linear equalities over a count
    r = refcount
    assert r.status == PROVED and r.reason is None and r.dropped_goals == ()
    assert (r.states, r.instances, r.candidates, r.accepted, r.kept) == (62, 473, 35, 35, 35)
    assert [x.text for x in r.lemmas] == REFCOUNT_LEMMAS
    assert [x.name for x in r.lemmas] == ["Inferred1", "Inferred2", "Inferred3"]
    assert r.proof is not None and r.proof.goals == ("MappedHasRef", *(x.name for x in r.lemmas))
    assert len(r.proof.queries) == 50


def test_refcount_lemmas_reparse_and_prove_in_the_spec(refcount, tmp_path):
    """The printed text is spec syntax: appended as lemmas, they prove the goal at the
    instance's size, and at a symbolic size with the spec's other invariants."""
    copy = with_lemmas(tmp_path, REFCOUNT, refcount)
    assert prove(copy, invariants=["MappedHasRef"]).status == PROVED
    assert prove(copy, {"PTES": "?"}).status == PROVED


def test_refcount_lemmas_hold_on_a_larger_instance_by_the_reference(refcount, tmp_path):
    copy = with_lemmas(tmp_path, REFCOUNT, refcount)
    reached = explorer.check(
        copy, {"PTES": 4, "PINS": 2}, CheckOptions(backend="reference", lemmas=True)
    )
    assert reached.verdict == HOLDS


def test_a_goal_violated_in_a_reachable_state_is_said_so():
    r = infer(REFCOUNT, {"UNLESS_ZERO": False})
    assert r.reason is not None and "invariant Balanced is violated" in r.reason
    assert r.lemmas == [] and r.status == CTI


def test_size_one_and_refusals():
    r = infer(REFCOUNT, size=1)  # the four invariants are inductive together
    assert (r.status, r.lemmas, r.reason) == (PROVED, [], None)
    # alone, Mapcount is inductive, but a step leaves refcount's range: the equality
    # that rules it out holds only where the page is not frozen (an implication)
    r = infer(REFCOUNT, invariants=["Mapcount"], size=1, spacer=None)
    assert r.status == CTI and r.spacer is None
    assert [x.text for x in r.lemmas] == [REFCOUNT_LEMMAS[1]]  # Mapcount itself, kept
    assert r.reason == "a step may fail from a state satisfying the lemmas kept"
    with pytest.raises(UsageError, match="--infer-size"):
        infer(REFCOUNT, size=4)
    with pytest.raises(UsageError, match="--infer-at PINS: not a constant left symbolic"):
        infer(REFCOUNT, {"PTES": "?"}, at={"PINS": 2})
    with pytest.raises(UsageError, match="more than 10 reachable states"):
        infer(REFCOUNT, max_states=10)


def test_spacer_where_the_templates_fail(tmp_path):
    """Without implications (size 1) no candidate proves the spinlock's mutual exclusion;
    Spacer finds an inductive invariant, printed as spec text and proved with prove."""
    spinlock = ROOT / "tests" / "specs" / "tutorial_spinlock.mms"
    r = infer(spinlock, {"FIXED": True}, size=1, spacer=60)
    assert r.kept == 0 and r.reason is None and r.status == PROVED
    assert r.spacer is not None and r.spacer.startswith("an inductive invariant of")
    assert r.lemmas and all(x.name.startswith("Inferred") for x in r.lemmas)
    copy = with_lemmas(tmp_path, spinlock, r)
    assert prove(copy, {"FIXED": True}).status == PROVED
    options = CheckOptions(backend="reference", invariants=tuple(x.name for x in r.lemmas))
    assert explorer.check(copy, {"FIXED": True}, options).verdict == HOLDS


def test_cli_json_and_write(tmp_path, capsys):
    copy = tmp_path / "refcount.mms"
    shutil.copy(REFCOUNT, copy)
    argv = ["prove", str(copy), "--inv", "MappedHasRef", "--infer", "--json"]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator(schema("prove")).validate(doc)
    assert [x["text"] for x in doc["inferred"]["lemmas"]] == REFCOUNT_LEMMAS
    assert doc["status"] == PROVED and doc["lemmas"] == ["Inferred1", "Inferred2", "Inferred3"]
    assert main(["prove", str(copy), "--inv", "MappedHasRef", "--infer", "--write"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"infer {copy}: 62 reachable states, 473 template instances")
    assert "lemma Inferred3: refcount == 1 + " in out and "\nPROVED: 50 queries: 50 proved" in out
    tail = copy.read_text().split("\n# inferred by mmcheck prove --infer (3 lemmas)\n")[1]
    assert tail == "".join(f"lemma Inferred{k}: {t}\n" for k, t in enumerate(REFCOUNT_LEMMAS, 1))
    # the spec now proves MappedHasRef on its own lemmas
    assert main(["prove", str(copy), "--inv", "MappedHasRef"]) == 0
    assert main(["prove", str(copy), "--write"]) == 2  # --write goes with --infer


# --- library models, from no lemmas: (model, sizes inferred at, a larger instance the
# candidates must hold in too, --infer-size, (candidates, lowered and true, kept by
# Houdini, lemmas needed), a larger one still the reference interpreter explores).
LIBRARY = [
    (
        "rmap_vma_adjust",
        {"LOCK": 2},
        {"FAULTS": 2},
        2,
        (130, 105, 105, 18),
        {"LOCK": 2, "FAULTS": 3},
    ),
    pytest.param(
        "ksm_unmerge",
        {"FIXED": True},
        {"PTES": 2},
        2,
        (139, 120, 120, KSM_NEEDED),
        {"FIXED": True, "PTES": 3},
        marks=pytest.mark.slow,  # a minute of z3
    ),
    # the page's reference count is a count of a flag array's true elements (`count i in
    # 1..VMAS: pte[i]`), however many of them are true in most states
    pytest.param(
        "mlock_munlock",
        {"FIXED": True},
        {"VMAS": 3},
        2,
        MLOCK_COUNTS,
        {"FIXED": True, "VMAS": 4},
        marks=pytest.mark.slow,  # minutes of z3
    ),
    # size 3: page.count's accounting has nine terms, and conjunctions of a lock and a
    # program counter bound it where the reclaimer waits. The lemmas are those of one
    # writer (with two, one is false in the initial state, and the candidates true with
    # two leave a step's range error): the reference explores that instance again
    pytest.param(
        "rawio_cow",
        {"KERNEL": 13},
        None,
        3,
        RAWIO_COUNTS,
        {"KERNEL": 13},
        marks=pytest.mark.slow,  # minutes of z3
    ),
]


@pytest.mark.parametrize("name, consts, larger, size, counts, reference", LIBRARY)
def test_library_model_from_no_lemmas(name, consts, larger, size, counts, reference, tmp_path):
    source = MODELS / f"{name}.mms"
    r = infer(source, consts, spec_lemmas=False, larger=larger, size=size)
    assert r.status == PROVED and r.reason is None, r.reason
    assert (r.candidates, r.accepted, r.kept, len(r.lemmas)) == counts
    # reliability: a lemma the reference explorer refutes on a larger instance is a bug
    copy = with_lemmas(tmp_path, source, r)
    inferred = tuple(x.name for x in r.lemmas)
    options = CheckOptions(backend="reference", invariants=inferred, deadlock=False)
    reached = explorer.check(copy, reference, options)
    assert reached.verdict == HOLDS, reached.violation


def _miner(name: str, consts: dict, symbolic: tuple[str, ...] = (), size: int = 2) -> _Miner:
    """The templates over a library model's reachable states; the constants named in
    `symbolic` generalise, as at a symbolic size."""
    source = MODELS / f"{name}.mms"
    program = spec.load(source, consts)
    states = _reachable(program, 10_000)
    fixed = {k: v for k, v in consts.items() if k not in symbolic}
    return _Miner(program, states, _size_consts(source, fixed, program), size)


def _candidates(name: str, consts: dict, size: int) -> list[str]:
    return _miner(name, consts, size=size).candidates()


def test_size_three_templates():
    """--infer-size 3: conjunctions as antecedents, and equalities of up to 12 terms."""
    three = _candidates("rawio_cow", {"KERNEL": 13}, 3)
    two = _candidates("rawio_cow", {"KERNEL": 13}, 2)
    assert (len(two), len(three)) == (253, 398)
    conj = "rawio.pin == unpinned and at(reclaim, lock_page) => page.count == 3"
    assert conj in three and conj not in two
    # page.count's accounting, of nine terms (size 2 allows six)
    count = [x for x in three if x.startswith("page.count == 3 - (if pte == swap_entry")]
    assert len(count) == 1 and count[0] not in two
    assert set(two) <= set(three)


def test_a_count_of_a_flag_array():
    """A flag array's count of true elements is a term even where most are true
    (mlock_munlock's ptes map the page in the initial state)."""
    found = _candidates("mlock_munlock", {"FIXED": True}, 2)
    assert (
        "page.count == 1 - (if page.lru then 1 else 0) + (count i in 1..VMAS: pte[i]) "
        "- (if at(exit_mmap, __munlock_isolated_page) then 1 else 0) "
        "+ (if exit_mmap.pinned then 1 else 0)"
    ) in found


# a loop over an array with a cursor; a helper cleans cells ahead of it, so that no count
# of the clean cells follows the cursor
SWEEP = """spec Sweep
const N : 1.. = 2
type Idx = 1..N
type Cell = enum { dirty, clean }
var cell : [Idx] -> Cell = [i in Idx |-> dirty]
process sweep {
  var pos : Idx = 1
clean:
  cell[pos] := clean
  if pos < N { pos := pos + 1; goto clean }
}
process helper {
help:
  with w in Idx {
    if not done(sweep) and w >= sweep.pos { cell[w] := clean }
  }
  goto help
}
invariant AllClean: done(sweep) => forall i in Idx: cell[i] == clean
"""
SWEEP_BEHIND = "forall i in 1..N: i < sweep.pos => cell[i] == clean"


def test_cursor_templates(tmp_path):
    """An int variable within an array's index range is a cursor: the elements behind
    it, of one value, prove AllClean for any N (the cells ahead are either)."""
    program = spec.load(SWEEP, {})
    miner = _Miner(program, _reachable(program, 1000), _size_consts(SWEEP, {}, program), 2)
    assert miner._cursors() == [SWEEP_BEHIND]
    r = infer(SWEEP, {"N": "?"}, timeout=10)
    assert r.status == PROVED and r.reason is None and r.at == (("N", 2),)
    assert (r.states, r.candidates, r.accepted, r.elements, r.kept) == (7, 10, 10, 5, 4)
    assert [x.text for x in r.lemmas] == [SWEEP_BEHIND]
    copy = tmp_path / "sweep.mms"
    copy.write_text(SWEEP + "\n" + r.text())
    options = CheckOptions(backend="reference", lemmas=True, deadlock=False)
    assert explorer.check(copy, {"N": 4}, options).verdict == HOLDS


def test_cursor_templates_under_conditions():
    """Behind unmerge's cursor and from it on, alone and under each condition: the
    strongest literal, left out where it holds at every index or without the condition."""
    miner = _miner("ksm_unmerge", {"FIXED": True, "PTES": 2}, ("PTES",))
    assert miner._cursors() == [
        "forall i in 1..PTES: i < unmerge.addr => pte[i] == anon",
        *(
            f"forall i in 1..PTES: {cond} and i >= unmerge.addr => pte[i] != anon"
            for cond in [
                "at(unmerge, handle_mm_fault)",
                "at(unmerge, migration_entry_wait)",
                "at(unmerge, wait_on_page_locked)",
                "unmerge.got",
            ]
        ),
    ]


# --- symbolic sizes: candidates filtered on the spec's default size (or --infer-at's),
# Houdini, the minimisation and the proof at the symbolic size
SIZE_DEPENDENT = ROOT / "tests" / "specs" / "size_dependent_lemma.mms"
ARMED = "forall i in 1..N: not armed[i]"


@pytest.mark.slow  # 40 s of z3 on the loaded machine; the CI runs the tiny spec's below
def test_refcount_at_a_symbolic_size(tmp_path):
    r = infer(REFCOUNT, {"PTES": "?"}, invariants=["MappedHasRef"])
    assert r.status == PROVED and r.reason is None and r.unknown == 0
    assert r.at == (("PTES", 3),) and r.proof is not None
    assert r.proof.constants["PTES"] == "?" and r.proof.consts == (("PTES", "?"),)
    # pte[1] == none => ...: 21 candidates name an element, which no size generalises
    assert (r.states, r.candidates, r.accepted, r.elements, r.kept) == (62, 35, 35, 21, 10)
    assert [x.text for x in r.lemmas] == REFCOUNT_LEMMAS
    copy = with_lemmas(tmp_path, REFCOUNT, r)
    options = CheckOptions(backend="reference", lemmas=True)
    assert explorer.check(copy, {"PTES": 5, "PINS": 2}, options).verdict == HOLDS


def test_a_lemma_of_small_sizes_is_dropped_at_the_symbolic_size():
    """At N = 2 (and 3, Houdini's concrete pass) no alarm is armed: the lemma proves
    Silent there; at N = ? Houdini drops it and the goal, and the proof ends with a CTI,
    shown at the smallest size that has one: N = 1, an alarm armed that no run arms
    there (Silent is really violated from N = 5)."""
    small = infer(SIZE_DEPENDENT, spacer=None)
    assert small.status == PROVED and [x.text for x in small.lemmas] == [ARMED]
    r = infer(SIZE_DEPENDENT, {"N": "?"})
    assert r.status == CTI and r.lemmas == [] and r.dropped_goals == ("Silent",)
    assert r.reason == "not inductive with any subset of the candidates: Silent"
    assert (r.candidates, r.accepted, r.elements, r.kept, r.unknown) == (4, 4, 2, 0, 0)
    assert r.spacer is not None and r.spacer.startswith("not tried at a symbolic size")
    assert r.proof is not None
    (cti,) = [q for q in r.proof.queries if q.status == CTI]
    assert cti.action == "ring" and cti.program is not None
    assert cti.program.const_value("N") == 1


def test_an_unknown_answer_drops_the_candidate(monkeypatch):
    """A query z3 gives no answer to (here, every one a candidate is a target of)
    drops the candidate, counted, never assumed: the goal is then not proved."""
    check = infer_module.interrupt.check

    def no_answer_for_candidates(solver, limits, assumptions=()):
        if any(str(a).startswith("target!Inferred") for a in assumptions):
            return z3.unknown
        return check(solver, limits, assumptions)

    monkeypatch.setattr(infer_module.interrupt, "check", no_answer_for_candidates)
    r = infer(SIZE_DEPENDENT, {"N": "?"})
    assert (r.accepted, r.elements, r.unknown, r.kept) == (4, 2, 2, 0)
    assert r.lemmas == [] and r.status == CTI and r.dropped_goals == ("Silent",)


def test_cli_symbolic_json_and_infer_at(capsys):
    argv = ["prove", str(SIZE_DEPENDENT), "--infer", "-D", "N=?", "--infer-at", "N=3"]
    assert main([*argv, "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator(schema("prove")).validate(doc)
    inferred = doc["inferred"]
    assert (inferred["symbolic"], inferred["filtered_at"]) == (["N"], {"N": 3})
    assert (inferred["elements"], inferred["unknown"], inferred["kept"]) == (3, 0, 0)
    assert doc["consts"]["N"] == "?" and doc["status"] == CTI
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"infer {SIZE_DEPENDENT} (N=?): filtered at N=3: ")
    assert "0 kept by Houdini at N=?" in out and "counterexample to induction: Silent by" in out
    assert main(["prove", str(SIZE_DEPENDENT), "--infer-at", "N=3"]) == 2  # with --infer


# --- library models at a symbolic size, from no lemmas: (model, constants, the size
# filtered at, --timeout, counts as LIBRARY's, a lemma among those printed, a larger
# instance the reference interpreter explores)
SYMBOLIC = [
    # every invariant proved for any number of faulting threads, filtered at the
    # default (FAULTS=1)
    pytest.param(
        "rmap_vma_adjust",
        {"LOCK": 2, "FAULTS": "?"},
        None,
        None,
        (130, 108, 105, 18),
        None,
        {"FAULTS": 3},
        marks=pytest.mark.slow,  # minutes of z3
    ),
    # unmerge's loop: every address behind its cursor maps a private copy (the spec's
    # BrokenBehind, without its guard: FIXED, no swap entries)
    pytest.param(
        "ksm_unmerge",
        {"FIXED": True, "PTES": "?"},
        {"PTES": 2},
        10,
        KSM_SYMBOLIC,
        "forall i in 1..PTES: i < unmerge.addr => pte[i] == anon",
        {"PTES": 4},
        marks=pytest.mark.slow,  # a minute of z3
    ),
]


@pytest.mark.parametrize("name, consts, at, timeout, counts, lemma, reference", SYMBOLIC)
def test_library_model_at_a_symbolic_size(
    name, consts, at, timeout, counts, lemma, reference, tmp_path
):
    """Proved at the symbolic size; the lemmas hold on every reachable state of a larger
    instance, explored by the reference interpreter."""
    source = MODELS / f"{name}.mms"
    r = infer(source, consts, spec_lemmas=False, at=at, timeout=timeout)
    assert r.status == PROVED and r.reason is None, r.reason
    assert (r.candidates, r.accepted, r.kept, len(r.lemmas)) == counts
    assert lemma is None or lemma in [x.text for x in r.lemmas]
    copy = with_lemmas(tmp_path, source, r)
    inferred = tuple(x.name for x in r.lemmas)
    options = CheckOptions(backend="reference", invariants=inferred, deadlock=False)
    fixed = {k: v for k, v in consts.items() if v != "?"}
    reached = explorer.check(copy, {**fixed, **reference}, options)
    assert reached.verdict == HOLDS, reached.violation
