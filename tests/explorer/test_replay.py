"""`mmcheck replay SPEC DIAGRAM`: a race written as a CPU diagram or as `instance: label`
lines, replayed exactly; "possible" with what breaks, or the step that cannot happen
and why (where the instance is, the await that is false, the lock and its holder)."""

from pathlib import Path

import pytest

import mmcheck
from mmcheck.cli import main
from mmcheck.explorer import report
from mmcheck.explorer.core.limits import Limits
from mmcheck.explorer.core.model import EvalError
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.expect import expect_consts
from mmcheck.explorer.replay import (
    EXIT_IMPOSSIBLE,
    IMPOSSIBLE,
    POSSIBLE,
    Line,
    _resolve,
    _why_not,
    replay,
)
from mmcheck.explorer.tuple.bfs import make_search
from mmcheck.spec import ir
from mmcheck.spec.errors import NOWHERE, SpecErrors

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "spec" / "models"
SPECS = ROOT / "tests" / "specs"
MLOCK = MODELS / "mlock_munlock.mms"
TUPLE = CheckOptions(backend="tuple")


def violating_cases(paths: list[Path]) -> list:
    """(spec, its constants, the invariants checked) of every expectation of a violation
    with a finite trace (replay refuses a lasso's cycle: a property's is not replayed)."""
    out = []
    for path in paths:
        for e in mmcheck.load(path).expects:
            if e.verdict not in ("holds", "property"):
                consts = ", ".join(f"{n}={v}" for n, v in e.consts)
                out.append(pytest.param(path, e, id=f"{path.stem}[{consts}]"))
    return out


def round_trip(path: Path, e) -> None:
    """check's shortest violation, printed as a CPU diagram, replays as possible with the
    same violation at the same step, and prints the very same diagram."""
    base = mmcheck.load(path)
    prog = mmcheck.load(path, expect_consts(base, e))
    options = CheckOptions(backend="tuple", invariants=list(e.checks) if e.checks else None)
    found = mmcheck.check(prog, options=options).violation
    assert found is not None
    diagram = report.format_cpu(prog, found)
    r = replay(prog, diagram, options=options)
    assert r.verdict == POSSIBLE and r.violation is not None
    assert (r.violation.kind, r.violation.name, r.violation.length) == (
        found.kind,
        found.name,
        found.length,
    )
    assert report.format_cpu(prog, r.violation) == diagram
    assert r.exit_code == 1


@pytest.mark.parametrize(("path", "e"), violating_cases(sorted(MODELS.glob("*.mms"))))
def test_every_library_violation_replays_as_possible(path: Path, e) -> None:
    round_trip(path, e)


# a deadlock (the `// blocked` notes), a failed step (lock misuse), the `(actions)`
# column (diehard's plain actions), either branches (`[branch 2]`)
@pytest.mark.parametrize(
    ("path", "e"),
    violating_cases(
        [SPECS / f"{n}.mms" for n in ("philosophers", "lock_misuse", "diehard", "either_labels")]
    ),
)
def test_deadlocks_failed_steps_and_actions_replay(path: Path, e) -> None:
    round_trip(path, e)


# The README's flagship race (seed 004: Vlastimil Babka's expansion of Kirill's CPU0/CPU1
# race in the "mm: page migration cleanups, and a little mlock" thread), as it is mailed.
FLAGSHIP = """\
Initially: page.count = 3, page.locked = false, page.mlocked = false,
  page.lru = false, vm_locked[1] = true, vm_locked[2] = false, pte[1] = true,
  pte[2] = true, ptl[1] = free, ptl[2] = free, mmap_sem[1] = free,
  mmap_sem[2] = free, exit_mmap.pinned = false, reclaim.v = 1,
  reclaim.walked[1] = false, reclaim.walked[2] = false, truncate.t = 1

CPU0 (exit_mmap)                      CPU1 (reclaim)

                                      trylock_page()
                                        page.locked = true
                                      page_evictable()  [with w = 1]
                                        rmap_walk_next()
                                          v = 1 (unchanged)
                                          walked[1] = true
                                      try_to_unmap_one()
                                      down_read_trylock()
                                        lock mmap_sem[1]
munlock_vma_pages_range()
  vm_locked[1] = false
follow_page_mask()
  page.count = 4
  pinned = true
__munlock_pagevec()
  page.count = 3
  page.mlocked = false (unchanged)
  pinned = false
zap_pte_range()
  zap_pte()
    unmap_pte()
      page.count = 2
      pte[1] = false
                                      mlock_vma_page()
                                        page.mlocked = true
                                        unlock mmap_sem[1]
                                      unlock_page()
                                        page.locked = false
                                      putback_lru_page()
                                        page.count = 1
                                        page.lru = true

=> invariant NoLeak is violated at spec/models/mlock_munlock.mms:233:1
   (no step taken by truncate)
"""

# as this spec's path prints it
FLAGSHIP_HERE = FLAGSHIP.replace("spec/models/mlock_munlock.mms", str(MLOCK))

# the same race as a plain list, the `with` of page_evictable left to the replay
FLAGSHIP_PLAIN = """\
# Kirill's race, as Vlastimil expands it
reclaim: trylock_page
reclaim: page_evictable          # the rmap walk visits vma 1 first
reclaim: try_to_unmap_one
reclaim: down_read_trylock
exit_mmap: munlock_vma_pages_range
exit_mmap: follow_page_mask
exit_mmap: __munlock_pagevec

exit_mmap: zap_pte_range
reclaim: mlock_vma_page
reclaim: unlock_page
reclaim: putback_lru_page
"""


def test_seed_004_flagship_race_is_possible() -> None:
    r = replay(MLOCK, FLAGSHIP, {"FIXED": False}, TUPLE)
    assert r.summary() == "possible: invariant NoLeak breaks at step 11"
    assert r.violation is not None and r.violation.name == "NoLeak"
    assert report.format_cpu(r.program, r.violation) + "\n" == FLAGSHIP_HERE


def test_a_diagram_quoted_in_a_reply() -> None:
    quoted = "".join(f"> {line}".rstrip() + "\n" for line in FLAGSHIP.splitlines())
    r = replay(MLOCK, quoted, {"FIXED": False}, TUPLE)
    assert r.summary() == "possible: invariant NoLeak breaks at step 11"
    broken = quoted.replace(
        ">                                       try_to_unmap_one()", ">" + " " * 39 + "nowhere()"
    )
    said = errors(MLOCK, broken, {"FIXED": False})
    assert said.splitlines()[:3] == [
        "<diagram>:15:41: error: reclaim has no label 'nowhere'",
        "    >" + " " * 39 + "nowhere()",
        " " * 44 + "^",
    ]


def test_plain_lines_try_every_choice_inside_a_step() -> None:
    r = replay(MLOCK, FLAGSHIP_PLAIN, {"FIXED": False}, TUPLE)
    assert r.summary() == "possible: invariant NoLeak breaks at step 11"
    assert r.violation is not None
    assert report.format_cpu(r.program, r.violation) + "\n" == FLAGSHIP_HERE


def test_the_fix_makes_the_flagship_race_impossible() -> None:
    """Patch 2/12: mlock_vma_page under the pte lock, no down_read_trylock step."""
    r = replay(MLOCK, FLAGSHIP_PLAIN, {"FIXED": True}, TUPLE)
    assert r.verdict == IMPOSSIBLE and r.at == 4 and r.exit_code == EXIT_IMPOSSIBLE
    assert r.summary() == (
        "<diagram>:5:1: step 4 cannot happen: reclaim is at mlock_vma_page, not at "
        "down_read_trylock; or reclaim is at try_to_unmap_one, not at down_read_trylock\n"
        "    reclaim: down_read_trylock\n"
        "    ^"
    )
    # page_evictable's walk may visit vma 1 first (the pte lock held from there on), or
    # vma 2, whose pte try_to_unmap_one unmaps before it walks on
    assert len(r.trace) == 4  # the initial state and the three steps that happen


def test_a_schedule_where_nothing_breaks() -> None:
    r = replay(
        MLOCK, "reclaim: trylock_page\nexit_mmap: munlock_vma_pages_range\n", {"FIXED": False}
    )
    assert r.verdict == POSSIBLE and r.violation is None and r.exit_code == 0
    assert r.summary() == "possible: no invariant breaks; 2 steps"


HELD = """\
spec Held

lock mmap_sem
type Page = record { count: 0..3, locked: bool }
var page : Page = { count: 1, locked: false }
var x : 0..3 = 0
var s : set of 1..2 = {}

process exit_mmap {
down_write:
  spin_lock(mmap_sem)
  lock_page(page)
unmap:
  x := 1
up_write:
  unlock_page(page)
  spin_unlock(mmap_sem)
}

process reclaim {
trylock_page:
  lock_page(page)
  unlock_page(page)
down_read:
  lock mmap_sem
pick:
  with v in s { x := v }
}

action poke(n: 1..2)
  when x == n
  x' = 0

invariant Small: x < 3
"""


@pytest.fixture
def held(tmp_path: Path) -> Path:
    path = tmp_path / "held.mms"
    path.write_text(HELD)
    return path


def why(spec: Path | str, diagram: str, consts: dict | None = None) -> str:
    r = replay(spec, diagram, consts, TUPLE)
    assert r.verdict == IMPOSSIBLE and r.exit_code == EXIT_IMPOSSIBLE
    return r.summary().splitlines()[0]


def test_a_step_waiting_for_a_held_lock_names_lock_and_holder(held: Path) -> None:
    said = why(held, "reclaim: trylock_page\nexit_mmap: down_write\nreclaim: down_read\n")
    assert said == (
        f"<diagram>:3:1: step 3 cannot happen: reclaim waits at down_read for mmap_sem, held "
        f"by exit_mmap (`lock mmap_sem` at {held}:25:3)"
    )


def test_a_lock_taken_in_a_prelude_primitive_is_named_at_its_call() -> None:
    said = why(
        SPECS / "philosophers.mms", "phil[1]: take_left\nphil[0]: take_left\nphil[0]: take_right"
    )
    assert said == (
        "<diagram>:3:1: step 3 cannot happen: phil[0] waits at take_right for fork[1], held by "
        f"phil[1] (`lock fork[(self + 1) % N]` at {SPECS / 'philosophers.mms'}:14:3)"
    )


def test_a_false_await_is_named_with_the_values_it_reads(held: Path) -> None:
    said = why(held, "exit_mmap: down_write\nreclaim: trylock_page\n")
    assert said == (
        "<diagram>:2:1: step 2 cannot happen: reclaim waits at trylock_page: `await not "
        f"p.locked` in `lock_page(page)` at {held}:22:3 is false: page.locked = true"
    )
    spinlock = SPECS / "tutorial_spinlock.mms"
    said = why(spinlock, "cpu[1]: spin\ncpu[1]: take\ncpu[2]: spin\n")
    assert said == (
        "<diagram>:3:1: step 3 cannot happen: cpu[2] waits at spin: `await not locked` at "
        f"{spinlock}:21:5 is false: locked = true"
    )


def test_a_false_when_and_an_empty_with(held: Path) -> None:
    said = why(held, "poke(n=2)\n")
    assert said == (
        f"<diagram>:1:1: step 1 cannot happen: poke(n=2): `when x == n` at {held}:31:8 is "
        "false: x = 0"
    )
    # no argument written: every value is tried, and each says why
    assert why(held, "poke\n").endswith(
        f"poke(n=1): `when x == n` at {held}:31:8 is false: x = 0; or poke(n=2): `when x == n` "
        f"at {held}:31:8 is false: x = 0"
    )
    said = why(held, "reclaim: trylock_page\nreclaim: down_read\nreclaim: pick\n")
    assert said == (
        "<diagram>:3:1: step 3 cannot happen: reclaim at pick has nothing to choose: `with v "
        f"in s` at {held}:27:13 is empty"
    )


def test_an_instance_elsewhere_or_finished(held: Path) -> None:
    assert why(held, "reclaim: down_read\n") == (
        "<diagram>:1:1: step 1 cannot happen: reclaim is at trylock_page, not at down_read"
    )
    steps = "exit_mmap: down_write\nexit_mmap: unmap\nexit_mmap: up_write\n"
    assert why(held, steps + "exit_mmap: up_write\n") == (
        "<diagram>:4:1: step 4 cannot happen: exit_mmap has finished"
    )


def test_initially_pins_the_initial_state(held: Path) -> None:
    r = replay(held, "Initially: x = 2\nreclaim: trylock_page\n", None, TUPLE)
    assert r.verdict == IMPOSSIBLE and r.at == 0
    assert r.summary() == "the initial state cannot be: no initial state has x = 2 (it is 0)"
    r = replay(held, "Initially: x = 0,\n  page.count = 1\nreclaim: trylock_page\n", None, TUPLE)
    assert r.summary() == "possible: no invariant breaks; 1 step"
    # several initial states, the odd ones outside the constraint: pinned, or each tried
    spec = SPECS / "constraint_init.mms"
    r = replay(spec, "Initially: x = 3\nFlip\n", None, TUPLE)
    assert (
        r.summary()
        == "the initial state cannot be: no initial state has x = 3 (it is one of 0, 2, 4)"
    )
    r = replay(spec, "Initially: x = 4\nFlip\nFlip\n", None, TUPLE)
    assert r.verdict == POSSIBLE and r.trace[0].state == (4, 0)


def errors(spec: Path | str, diagram: str, consts: dict | None = None) -> str:
    with pytest.raises(SpecErrors) as e:
        replay(spec, diagram, consts, TUPLE)
    return e.value.format()


def test_diagram_errors_name_line_and_column(held: Path) -> None:
    said = errors(held, "exit_map: down_write\nreclaim: down_reed\npoke(n=3)\nnope()\nfoo bar\n")
    assert said == (
        "<diagram>:5:1: error: expected `instance: label` (or `action(arguments)`)\n"
        "    foo bar\n"
        "    ^\n"
        "1 error"
    )
    said = errors(held, "exit_map: down_write\n  reclaim: down_reed\npoke(n=3)\nnope()\n")
    assert said == (
        "<diagram>:1:1: error: no process instance 'exit_map' (the spec has: exit_mmap, reclaim)\n"
        "    exit_map: down_write\n"
        "    ^\n"
        "    hint: did you mean `exit_mmap`?\n"
        "<diagram>:2:3: error: reclaim has no label 'down_reed'\n"
        "      reclaim: down_reed\n"
        "      ^\n"
        "    hint: did you mean `down_read`?\n"
        "<diagram>:3:1: error: poke never takes n=3 (it takes: n=1, n=2)\n"
        "    poke(n=3)\n"
        "    ^\n"
        "<diagram>:4:1: error: no action 'nope' (the spec's actions: poke)\n"
        "    nope()\n"
        "    ^\n"
        "4 errors"
    )
    said = errors(held, "Initially: x = 0, y = 2\nreclaim: trylock_page\n")
    assert said.splitlines()[:3] == [
        "<diagram>:1:19: error: the spec has no 'y'",
        "    Initially: x = 0, y = 2",
        "                      ^",
    ]


def test_cpu_diagram_errors_name_line_and_column() -> None:
    broken = FLAGSHIP.replace(
        "                                      try_to_unmap_one()", " " * 38 + "try_to_unmap_one(v)"
    )
    said = errors(MLOCK, broken, {"FIXED": False})
    assert said.splitlines()[:3] == [
        "<diagram>:15:39: error: a process step's arguments go in `[...]` after `label()`",
        "                                          try_to_unmap_one(v)",
        "                                          ^",
    ]


def test_a_step_off_its_column_is_an_error_never_skipped() -> None:
    """A hand-edited step a column off its start, or an effect indented oddly, would be
    read as something a step did and dropped from the schedule: it is an error."""
    lines = FLAGSHIP.splitlines()
    n = next(k for k, line in enumerate(lines) if line.strip() == "try_to_unmap_one()")
    shifted = "\n".join(lines[:n] + [lines[n][1:]] + lines[n + 1 :]) + "\n"
    said = errors(MLOCK, shifted, {"FIXED": False})
    assert f"<diagram>:{n + 1}:{len(lines[n]) - len('try_to_unmap_one()')}: error: " in said
    assert "'try_to_unmap_one()' is off the columns: a step starts at a column's start" in said
    header = next(k for k, line in enumerate(lines) if line.startswith("CPU0"))
    effect = next(k for k in range(header, n) if lines[k].startswith("  ") and " = " in lines[k])
    odd = lines[:effect] + [" " + lines[effect]] + lines[effect + 1 :]
    said = errors(MLOCK, "\n".join(odd) + "\n", {"FIXED": False})
    assert said.startswith(f"<diagram>:{effect + 1}:") and "is off the columns" in said


def test_the_verb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    race = tmp_path / "race.txt"
    race.write_text(FLAGSHIP)
    assert main(["replay", str(MLOCK), str(race), "-D", "FIXED=false"]) == 1
    out = capsys.readouterr().out
    assert out == FLAGSHIP_HERE + "possible: invariant NoLeak breaks at step 11\n"
    assert main(["replay", str(MLOCK), str(race), "-D", "FIXED=false", "--trace", "text"]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{MLOCK}:233:1: violation: invariant NoLeak is violated")
    assert out.endswith(
        "Step 11: reclaim.putback_lru_page  [reclaim at putback_lru_page]\n"
        "  page.count: 2 -> 1\n"
        "  page.lru: false -> true\n"
        "  reclaim.pc: putback_lru_page -> Done\n"
        "possible: invariant NoLeak breaks at step 11\n"
    )
    race.write_text(FLAGSHIP_PLAIN)
    assert main(["replay", str(MLOCK), str(race), "-D", "FIXED=true"]) == EXIT_IMPOSSIBLE
    assert capsys.readouterr().out.startswith(f"{race}:5:1: step 4 cannot happen: reclaim is at")
    race.write_text("reclaim: nowhere\n")
    assert main(["replay", str(MLOCK), str(race)]) == 2
    assert capsys.readouterr().err.startswith(f"{race}:1:1: error: reclaim has no label 'nowhere'")
    assert main(["replay", str(MLOCK), str(tmp_path / "missing.txt")]) == 2
    assert "cannot read the diagram" in capsys.readouterr().err


def test_the_python_api() -> None:
    r = mmcheck.replay(MLOCK, FLAGSHIP_PLAIN, {"FIXED": False})
    assert r.verdict == POSSIBLE and r.violation is not None and r.violation.length == 11


WAITING_SPECS = [
    (MLOCK, {"FIXED": False}),
    (MLOCK, {"FIXED": True}),
    (MODELS / "migrate_page.mms", {"PATCH7": False}),
    (SPECS / "philosophers.mms", {}),
    (SPECS / "tutorial_spinlock.mms", {}),
    (SPECS / "either_labels.mms", {}),
    (SPECS / "pool_migrate.mms", {}),
    (None, {}),  # HELD: a `when`, an empty `with`, a lock in a prelude primitive
]


def every_step(prog: ir.Program) -> list[Line]:
    """A diagram line for each step of each process instance, and each action."""
    return [
        Line(NOWHERE, ir.instance_name(p, index), a.label, ())
        if a.process is not None
        else Line(NOWHERE, None, a.name, ())
        for a in prog.actions
        for p, index, _ in (
            [(p, i, s) for p, i, s in prog.process_instances() if p.name == a.process]
            if a.process is not None
            else [(None, None, None)]
        )
    ]


@pytest.mark.parametrize(("path", "consts"), WAITING_SPECS, ids=lambda x: getattr(x, "stem", ""))
def test_every_disabled_step_has_a_reason(path: Path | None, consts: dict, held: Path) -> None:
    """In every state reached (the first 2,000), every step that cannot be taken where its
    instance is at its label is explained by a wait that is false (ir.Action.waits), or
    by the constraint its successor breaks: never by the bare fallback."""
    prog = mmcheck.load(path or held, consts)
    search = make_search(prog, CheckOptions(symmetry=False), Limits())
    model = search.model
    moves = [_resolve(search, line) for line in every_step(prog)]
    seen = dict.fromkeys(model.init_states())
    frontier = list(seen)
    waits = 0
    while frontier and len(seen) < 2000:
        s = frontier.pop(0)
        for move in moves:
            taken = []
            for edge in move.edges:
                try:
                    taken.append(model.step(edge, s))
                except EvalError:
                    taken.append(s)  # enabled, and fails: no wait
            if any(n is not None for n in taken):
                new = [n for n in taken if n is not None and n not in seen]
                seen.update(dict.fromkeys(new))
                frontier += new
                continue
            reasons = _why_not(search, move, s)
            assert not any(r.endswith("is not enabled") for r in reasons), (move.line, reasons)
            waits += any(" is at " not in r and "finished" not in r for r in reasons)
    assert waits > 0
