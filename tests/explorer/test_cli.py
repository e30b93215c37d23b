"""The explorer's verbs and reports: statistics, verdict lines, coverage, progress, flags."""

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mmcheck.cli import main
from mmcheck.explorer.core import limits as limits_module
from mmcheck.explorer.core.limits import MEMORY_MIN_GROWTH, MEMORY_MIN_STATES, Limits
from mmcheck.explorer.core.result import (
    HOLDS,
    INCOMPLETE,
    VIOLATED,
    CoverageEntry,
    Result,
    Stats,
    Step,
    Violation,
)
from mmcheck.explorer.report.progress import Progress, progress_line
from mmcheck.explorer.report.stats import format_coverage, format_stats, verdict_line

STATS = Stats(
    generated=12_345,
    distinct=6_789,
    queue=0,
    depth=14,
    elapsed=2.0,
    bytes_per_state=96.4,
    collision_probability=3.2e-12,
)


def test_statistics_in_tlc_vocabulary():
    text = format_stats(STATS)
    assert text.splitlines() == [
        "12,345 states generated, 6,789 distinct states found, 0 states left on queue.",
        "The depth of the state graph search is 14.",
        "2.00 s, 3,394 distinct states/s (tuple back end, 1 worker).",
        "96 bytes per distinct state.",
        "Fingerprint mode: probability that a collision hid a state, at most (for uniform "
        "fingerprints): 3.2e-12.",
    ]
    assert "bytes" not in format_stats(Stats(distinct=1, elapsed=1.0))


def test_verdict_lines():
    assert verdict_line(Result(HOLDS, STATS)) == (
        "HOLDS: no violation in the complete state space (6,789 distinct states)."
    )
    incomplete = verdict_line(Result(INCOMPLETE, STATS, reason="time limit of 5 s reached"))
    assert incomplete.startswith("INCOMPLETE: time limit of 5 s reached; no violation in the 6,789")
    trace = (Step(None, (), (0,)), Step("a", (), (1,)), Step("a", (), (2,)))
    v = Violation("invariant", "Mutex", "", None, trace)
    assert verdict_line(Result(VIOLATED, STATS, v)) == (
        "VIOLATED: invariant Mutex is violated (trace of 2 steps)."
    )


def test_coverage_lists_never_taken_first():
    entries = [
        CoverageEntry("p.a", "p", "a", enabled=10, taken=10),
        CoverageEntry("p.b", "p", "b", enabled=0, taken=0),
        CoverageEntry("tick", None, None, enabled=5, taken=3),
        CoverageEntry("p.c", "p", "c", enabled=2, taken=0),
    ]
    lines = format_coverage(entries).splitlines()
    assert [line.split()[:2] for line in lines[2:6]] == [
        ["!", "p.b"],
        ["!", "p.c"],
        ["p.a", "10"],
        ["tick", "5"],
    ]
    assert lines[2].endswith("<- never taken")
    assert lines[-1] == "2 of 4 actions never taken."


def test_progress_lines_are_throttled(monkeypatch):
    clock = iter([0.0, 1.0, 10.5, 12.0])
    monkeypatch.setattr("mmcheck.explorer.report.progress.time.monotonic", lambda: next(clock))
    out = io.StringIO()
    with Progress(out, live=False) as progress:  # created at t=0
        progress(Stats(generated=100, distinct=50, queue=7, depth=3))  # t=1: too early
        progress(Stats(generated=2200, distinct=900, queue=40, depth=5))  # t=10.5
        progress(Stats(generated=2300, distinct=950, queue=41, depth=5))  # t=12: too early
    assert out.getvalue().splitlines() == [
        "Progress(5): 2,200 states generated (210 states/s), 900 distinct states found, "
        "40 states left on queue"
    ]
    assert progress_line(Stats(depth=1), 0).startswith("Progress(1): 0 states generated")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["check", "x.mms", "--seed", "3"], "--seed and --depth go with --simulate"),
        (["check", "x.mms", "--simulate", "5", "--max-depth", "3"], "--max-depth is for BFS"),
        (["test", "no/such/dir"], "no/such/dir: no such file or directory"),
    ],
)
def test_usage_errors_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "x.mms", "--workers", "0"],
        ["check", "x.mms", "--trace", "svg"],
        ["check", "x.mms", "--time-limit", "-1"],
        ["check", "x.mms", "--max-depth", "many"],
        ["graph", "x.mms"],
    ],
)
def test_bad_flags_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2


# --------------------------------------------------------------------------- end to end

ROOT = Path(__file__).resolve().parents[2]
RACE = "tests/golden/mlock_race.mms"  # relative, so goldens name no machine path

MISUSE = """spec Misuse
lock l
process p {
a: lock l
b: unlock l
c: unlock l
}
"""

DEADLOCK = """spec Deadlock
lock a
lock b
process p {
one: lock a
two: lock b
three: unlock b; unlock a
}
process q {
one: lock b
two: lock a
three: unlock a; unlock b
}
expect deadlock in 2 steps
"""


@pytest.fixture
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_check_violation_text(at_root, capsys):
    code, out, _ = run(["check", RACE], capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"{RACE}:40:1: violation: invariant NoLeak is violated"
    assert "Trace of 6 steps:" in lines
    assert "Step 6: reclaim.out  [reclaim at out]" in lines
    assert "18 distinct states found" in out
    assert f"Expectation met: {RACE}:42:1: violates NoLeak in 6 steps." in lines
    assert lines[-1] == "VIOLATED: invariant NoLeak is violated (trace of 6 steps)."


def test_check_holds(at_root, capsys):
    code, out, _ = run(["check", RACE, "-D", "FIXED=true"], capsys)
    assert code == 0
    assert "21 states generated, 14 distinct states found, 0 states left on queue." in out
    assert out.splitlines()[-1] == (
        "HOLDS: no violation in the complete state space (14 distinct states)."
    )


@pytest.mark.parametrize("backend", ["tuple", "vector", "reference"])
def test_unknown_invariant_suggests_the_closest(at_root, capsys, backend):
    assert main(["check", RACE, "--inv", "NoLek", "--backend", backend]) == 2
    err = capsys.readouterr().err
    assert err.strip().endswith(
        "unknown invariant 'NoLek' (the spec has: NoLeak); did you mean `NoLeak`?"
    ), err


def test_cpu_diagram_of_a_real_spec_golden(at_root, capsys):
    code, out, _ = run(["check", RACE, "--trace", "cpu"], capsys)
    assert code == 1
    diagram = out[: out.index("=> ")] + out[out.index("=> ") :].splitlines()[0] + "\n"
    assert diagram == (ROOT / "tests/golden/mlock_race.cpu.txt").read_text()


def test_itf_to_file_golden(at_root, tmp_path, capsys):
    target = tmp_path / "trace.itf.json"
    code, out, _ = run(["check", RACE, "--trace", "itf", "--out", str(target)], capsys)
    assert code == 1
    assert f"Trace (itf) written to {target}." in out
    doc = json.loads(target.read_text())
    assert doc["#meta"]["format"] == "ITF"
    assert len(doc["states"]) == 7
    assert [s["#meta"]["action"] for s in doc["states"][:3]] == [
        "Init",
        "reclaim.try_to_unmap_one",
        "exit_mmap.munlock_vma_pages_range",
    ]
    assert doc["states"][-1]["page"] == {"mlocked": True, "count": {"#bigint": "2"}}
    assert target.read_text() == (ROOT / "tests/golden/mlock_race.itf.json").read_text()
    target.unlink()
    code, out, _ = run(
        ["check", RACE, "-D", "FIXED=true", "--trace", "itf", "--out", str(target)], capsys
    )
    assert code == 0 and not target.exists()
    assert f"No violation: no trace written to {target}." in out


def test_json_result(at_root, capsys):
    code, out, _ = run(["check", RACE, "--json"], capsys)
    assert code == 1
    doc = json.loads(out)
    assert doc["verdict"] == "violated"
    assert doc["stats"]["distinct"] == 18
    assert doc["violation"]["length"] == 6 and len(doc["violation"]["trace"]["states"]) == 7
    assert doc["expectations"] == [
        {
            "loc": f"{RACE}:42:1",
            "expected": "violates NoLeak in 6 steps",
            "got": "violates NoLeak in 6 steps",
            "met": True,
            "note": None,
            "invariants": None,
            "covers": [],
        }
    ]


@pytest.mark.parametrize(
    "flags, reason",
    [
        (["--max-states", "5"], "INCOMPLETE: max states 5 reached"),
        (["--max-depth", "2"], "INCOMPLETE: max depth 2 reached"),
    ],
)
def test_bounds_give_incomplete(at_root, capsys, flags, reason):
    code, out, _ = run(["check", RACE, *flags], capsys)
    assert code == 3
    assert "Expectations not compared: the run is incomplete." in out
    assert out.splitlines()[-1].startswith(reason)


def test_coverage_table(at_root, capsys):
    code, out, _ = run(["check", RACE, "-D", "FIXED=true", "--coverage"], capsys)
    assert code == 0
    assert "  reclaim.mlock_vma_page                      2           2" in out
    assert "0 of 6 actions never taken." in out


def test_expectation_mismatch_is_distinct(tmp_path, capsys):
    spec_file = tmp_path / "race.mms"
    spec_file.write_text(
        (ROOT / RACE)
        .read_text()
        .replace("expect FIXED=true: holds", "expect FIXED=true: violates NoLeak")
    )
    code, out, _ = run(["check", str(spec_file), "-D", "FIXED=true"], capsys)
    assert code == 1  # the check holds, but not as the spec expects
    assert f"{spec_file}:43:1: EXPECTATION NOT MET: expected violates NoLeak, got holds" in out
    assert "    expect FIXED=true: violates NoLeak" in out
    assert out.splitlines()[-1].startswith("HOLDS")


def test_lock_misuse_and_deadlock(tmp_path, capsys):
    (tmp_path / "misuse.mms").write_text(MISUSE)
    (tmp_path / "deadlock.mms").write_text(DEADLOCK)
    code, out, _ = run(["check", str(tmp_path / "misuse.mms")], capsys)
    assert code == 1
    assert out.splitlines()[0].endswith("violation: lock misuse: unlock of l, which is not held")
    assert "Step 3: p.c  [p at c]\n  fails: lock misuse" in out
    code, out, _ = run(["check", str(tmp_path / "deadlock.mms"), "--trace", "cpu"], capsys)
    assert code == 1
    assert "=> deadlock: no step is enabled (p at two, q at two)" in out
    assert "two()  // blocked" in out


def test_spec_error_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.mms"
    bad.write_text("spec X\nvar x : 0..3 = 0\naction a when x < 3 x = x + 1\n")
    code, _, err = run(["check", str(bad)], capsys)
    assert code == 2
    assert f"{bad}:3:23: error: unexpected '='" in err
    assert err.splitlines()[2].endswith("^")


def test_test_verb(tmp_path, capsys):
    (tmp_path / "race.mms").write_text((ROOT / RACE).read_text())
    (tmp_path / "deadlock.mms").write_text(DEADLOCK)
    code, out, _ = run(["test", str(tmp_path)], capsys)
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 4 and all(line.startswith("ok ") for line in lines[:3])
    assert "deadlock in 2 steps" in lines[0] and "7 states" in lines[0]
    assert "FIXED=true" in lines[2] and "14 states" in lines[2]
    assert lines[-1] == "3 cases in 2 spec files: 3 passed, 0 failed, 0 errors."
    (tmp_path / "deadlock.mms").write_text(DEADLOCK.replace("in 2 steps", "in 3 steps"))
    code, out, _ = run(["test", str(tmp_path)], capsys)
    assert code == 1
    assert out.splitlines()[0].startswith("FAIL")
    assert out.splitlines()[1] == f"      to see it: mmcheck check {tmp_path / 'deadlock.mms'}"
    assert out.splitlines()[-1] == "3 cases in 2 spec files: 2 passed, 1 failed, 0 errors."
    (tmp_path / "broken.mms").write_text("spec Broken\nvar x : bool = 3 +\n")
    code, out, _ = run(["test", str(tmp_path)], capsys)
    assert code == 2
    assert out.splitlines()[0].startswith("ERROR")
    assert "broken.mms:" in out


def test_graph(at_root, tmp_path, capsys):
    target = tmp_path / "race.dot"
    code, out, _ = run(["graph", RACE, "-o", str(target)], capsys)
    assert code == 1  # a violating state is in the graph
    assert out == f"Wrote {target}: 18 states, 25 edges, 1 violating.\n"
    dot = target.read_text()
    assert dot.startswith('digraph "MlockRace" {')
    assert dot.count("peripheries=2") == 1
    assert dot.count("fillcolor") == 1 and 'xlabel="violates NoLeak"' in dot
    assert dot.count("penwidth=2") == 6  # the shortest path: the 6 steps of the trace
    code, out, _ = run(
        ["graph", RACE, "-o", str(target), "-D", "FIXED=true", "--max-states", "5"], capsys
    )
    assert code == 3
    assert "5 states" in out and "truncated" in out


MISC = """spec Misc
type Kind = enum { anon, file }
type Pte = enum { present, migration, none }
type Page = record { count: 0..3, locked: bool }
var pages : [1..2] -> Page = [i in 1..2 |-> { count: 1, locked: false }]
var by_kind : [Kind] -> Pte = [k in Kind |-> present]
process worker[self in 1..2] {
go:
  either { pages[self].count := pages[self].count + 1 } or { by_kind[file] := migration }
check:
  assert pages[1].count + pages[2].count < 4, "too many references"
}
"""


def test_itf_on_stdout_is_json_and_regroups_records(tmp_path, capsys):
    (tmp_path / "misc.mms").write_text(MISC)
    code, out, err = run(["check", str(tmp_path / "misc.mms"), "--trace", "itf"], capsys)
    assert code == 1
    doc = json.loads(out)  # the report went to stderr
    assert "VIOLATED: assertion failed: too many references (trace of 3 steps)." in err
    first, second = doc["states"][:2]
    assert first["pages"]["#map"][0] == [
        {"#bigint": "1"},
        {"count": {"#bigint": "1"}, "locked": False},
    ]
    assert first["by_kind"] == {"#map": [["anon", "present"], ["file", "present"]]}
    assert second["#meta"]["process"] == "worker[1]"
    assert len(doc["states"]) == 3  # the failing step adds no state


def test_text_trace_of_either_and_record_maps(tmp_path, capsys):
    (tmp_path / "misc.mms").write_text(MISC)
    code, out, _ = run(["check", str(tmp_path / "misc.mms")], capsys)
    assert code == 1
    assert "Step 1: worker.go(branch 1)  [worker[1] at go]\n  pages[1].count: 1 -> 2" in out
    assert "  by_kind[file] = present" in out
    assert "Step 3: worker.check  [worker[1] at check]\n  fails: assertion failed" in out


def test_vector_backend_same_counts(at_root, capsys):
    code, out, _ = run(
        ["check", RACE, "-D", "FIXED=true", "--backend", "vector", "--workers", "2"], capsys
    )
    assert code == 0
    assert "14 distinct states found" in out and "(vector back end, 2 workers)" in out


def test_simulation_finds_the_race(at_root, capsys):
    code, out, _ = run(["check", RACE, "--simulate", "50", "--seed", "1", "--depth", "20"], capsys)
    assert code == 1
    assert "Expectations not compared: --simulate changes what is checked." in out
    assert out.splitlines()[-1].startswith("VIOLATED: invariant NoLeak is violated")


def test_live_progress_is_transient(monkeypatch):
    clock = iter([0.0, 5.0])
    monkeypatch.setattr("mmcheck.explorer.report.progress.time.monotonic", lambda: next(clock))
    out = io.StringIO()
    with Progress(out, live=True) as progress:
        progress(Stats(generated=10, distinct=5, queue=1, depth=1))
    shown = out.getvalue()
    assert "Progress(1): 10 states generated (2 states/s), 5 distinct states found" in shown
    assert shown.endswith("\x1b[2K")  # the live line is erased when the check ends


def test_error_computing_initial_states(tmp_path, capsys):
    spec_file = tmp_path / "init.mms"
    spec_file.write_text("spec R\nvar x : 0..3 = 0\nvar y : 0..3 in 0..3\ninit 4 / x == 1\n")
    for fmt in ("text", "cpu"):
        code, out, _ = run(["check", str(spec_file), "--trace", fmt], capsys)
        assert code == 1
        assert "No trace: the error happened while computing the initial states." in out
        assert out.splitlines()[-1] == (
            "VIOLATED: division by zero: the divisor of div is 0 (computing the initial states)."
        )
    code, out, _ = run(["check", str(spec_file), "--json"], capsys)
    assert json.loads(out)["violation"]["length"] == 0
    code, out, _ = run(["graph", str(spec_file), "-o", str(tmp_path / "g.dot")], capsys)
    assert code == 1
    assert 'label="div: the divisor of div is 0"' in (tmp_path / "g.dot").read_text()


def test_test_verb_names_specs_without_expectations(tmp_path, capsys):
    (tmp_path / "deadlock.mms").write_text(DEADLOCK)
    (tmp_path / "misuse.mms").write_text(MISUSE)
    code, out, _ = run(["test", str(tmp_path)], capsys)
    assert code == 0
    assert out.splitlines()[-2:] == [
        f"No expect lines, not checked: {tmp_path / 'misuse.mms'}",
        "1 case in 2 spec files: 1 passed, 0 failed, 0 errors.",
    ]


def test_cpu_diagram_of_plain_actions_and_of_a_deadlock(at_root, capsys):
    code, out, _ = run(["check", "tests/specs/diehard.mms", "--trace", "cpu"], capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines[2] == "(actions)"  # no process: one column for the actions
    assert sum(1 for line in lines if line.endswith("()")) == 6
    code, out, _ = run(["check", "tests/specs/philosophers.mms", "--trace", "cpu"], capsys)
    assert code == 1
    assert out.count("take_right()  // blocked") == 3
    assert (
        "=> deadlock: no step is enabled (phil[0] at take_right, phil[1] at take_right, "
        "phil[2] at take_right)" in out
    )


@pytest.mark.parametrize(
    ("argv", "unbuffered", "code"),
    [
        # the whole output in stdout's buffer: the run ends, its flush fails, its status stays
        (
            ["check", "spec/models/mlock_munlock.mms", "-D", "FIXED=false", "--trace", "cpu"],
            False,
            1,
        ),
        # unbuffered: the first line written fails, the run stops there
        (["typecheck", "spec/models/migrate_page.mms"], True, 141),
    ],
    ids=["at-exit", "mid-run"],
)
def test_a_closed_output_pipe_ends_quietly(argv, unbuffered, code):
    read, write = os.pipe()
    os.close(read)  # the reader went away before anything was written (`| head`)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "mmcheck.cli", *argv],
            stdout=write,
            stderr=subprocess.PIPE,
            env=env,
            cwd=ROOT,
            timeout=60,
        )
    finally:
        os.close(write)
    assert (proc.returncode, proc.stderr) == (code, b"")


# --------------------------------------------------------------------------- edges
# output files, a spec with nothing to check, -D N=?, graph -o -, bytes per state,
# what --simulate says

SPINLOCK = "tests/specs/tutorial_spinlock.mms"  # violates MutualExclusion in 6 steps


# --------------------------------------------------------------------------- --out


@pytest.mark.parametrize(
    "verb",
    [["check"], ["check", "--json"], ["prove", "--trace", "itf"], ["bmc", "--depth", "8"]],
    ids=["check", "check-json", "prove", "bmc"],
)
def test_an_unwritable_out_is_a_usage_error_before_the_run(at_root, tmp_path, capsys, verb):
    for target, reason in (
        (tmp_path / "no" / "such" / "dir" / "trace.txt", "No such file or directory"),
        (tmp_path, "Is a directory"),
    ):
        code, out, err = run([verb[0], SPINLOCK, *verb[1:], "--out", str(target)], capsys)
        assert code == 2, out + err
        message = f"mmcheck {verb[0]}: error: --out {target}: {reason}"
        if "--json" in verb:  # the error is the document, on stdout
            assert err == "" and json.loads(out)["error"]["message"] == message
            continue
        assert err == message + "\n"
        assert out == ""  # nothing was run: no statistics, no verdict


def test_out_leaves_no_file_where_there_is_no_trace(at_root, tmp_path, capsys):
    target = tmp_path / "trace.txt"
    code, out, _ = run(["check", SPINLOCK, "-D", "FIXED=true", "--out", str(target)], capsys)
    assert code == 0
    assert f"No violation: no trace written to {target}." in out
    assert not target.exists()  # the check before the run made it, and removed it
    target.write_text("kept\n")
    assert run(["check", SPINLOCK, "-D", "FIXED=true", "--out", str(target)], capsys)[0] == 0
    assert target.read_text() == "kept\n"
    assert run(["check", SPINLOCK, "--out", str(target)], capsys)[0] == 1
    assert target.read_text().startswith("tests/specs/tutorial_spinlock.mms:32:1: violation")


# --------------------------------------------------------------------------- nothing to check


@pytest.mark.parametrize("text", ["", "spec Empty\n", "spec C\nconst N = 2\ninvariant I: N > 1\n"])
@pytest.mark.parametrize(
    "verb", [["check"], ["bmc", "--depth", "3"], ["graph", "-o", "g.dot"]], ids=lambda v: v[0]
)
def test_a_spec_without_state_has_nothing_to_check(tmp_path, monkeypatch, capsys, text, verb):
    monkeypatch.chdir(tmp_path)
    Path("empty.mms").write_text(text)
    code, out, err = run([verb[0], "empty.mms", *verb[1:]], capsys)
    assert (code, out) == (2, "")  # not "VIOLATED: deadlock", nor a bmc that finds nothing
    assert err == (
        f"mmcheck {verb[0]}: error: empty.mms: the spec declares no variable and no "
        "process: nothing to check\n"
    )
    assert not Path("g.dot").exists()


# --------------------------------------------------------------------------- -D N=?


@pytest.mark.parametrize(
    "verb", [["check"], ["bmc", "--depth", "3"], ["graph", "-o", "-"]], ids=lambda v: v[0]
)
def test_a_symbolic_constant_outside_prove_is_one_error(at_root, capsys, verb):
    code, out, err = run([verb[0], SPINLOCK, "-D", "CPUS=?", *verb[1:]], capsys)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"{SPINLOCK}:7:1: error: -D CPUS=?: a symbolic constant ('?') is only allowed for prove",
        "    const CPUS = 2",
        "    ^",
        "1 error",
    ]


# --------------------------------------------------------------------------- graph -o -


def test_graph_to_stdout(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["graph", str(ROOT / SPINLOCK), "-o", "-"], capsys)
    assert code == 1
    assert out.startswith('digraph "TutorialSpinlock" {') and out.endswith("}\n")
    assert err == "Wrote the graph: 29 states, 40 edges, 1 violating.\n"
    assert list(tmp_path.iterdir()) == []  # no file named "-"
    code, out, _ = run(["graph", str(ROOT / SPINLOCK), "-o", "g.dot"], capsys)
    assert out == "Wrote g.dot: 29 states, 40 edges, 1 violating.\n"
    assert Path("g.dot").read_text().startswith('digraph "TutorialSpinlock" {')


def test_graph_to_an_unwritable_file_is_said_before_exploring(at_root, tmp_path, capsys):
    code, out, err = run(["graph", SPINLOCK, "-o", str(tmp_path)], capsys)
    assert (code, out) == (2, "")
    assert err == f"mmcheck graph: error: -o {tmp_path}: Is a directory\n"


# --------------------------------------------------------------------------- bytes per state


@pytest.mark.parametrize(
    "distinct, growth, workers, shown",
    [
        (18, 4_088_036 * 18, 1, False),  # the absurd figure of a tiny run
        (MEMORY_MIN_STATES - 1, 1 << 30, 1, False),
        (MEMORY_MIN_STATES, MEMORY_MIN_GROWTH - 1, 1, False),
        (MEMORY_MIN_STATES, MEMORY_MIN_GROWTH, 1, True),
        (500_000, 300 * 500_000, 1, True),
        (500_000, 300 * 500_000, 4, False),  # the states are in the workers
    ],
)
def test_bytes_per_state_only_where_it_means_something(
    monkeypatch, distinct, growth, workers, shown
):
    rss = iter([100 << 20, (100 << 20) + growth])
    monkeypatch.setattr(limits_module, "rss_bytes", lambda: next(rss))
    limits = Limits()  # the resident set at the start of the search
    stats = Stats(distinct=distinct, workers=workers)
    limits.finish(stats)  # and at its end
    assert (stats.bytes_per_state is not None) is shown
    text = format_stats(stats)
    if shown:
        assert stats.bytes_per_state == growth / distinct
        assert f"{growth / distinct:,.0f} bytes per distinct state." in text
    else:
        assert "bytes per distinct state" not in text


def test_a_small_run_prints_no_bytes_per_state(at_root, capsys):
    code, out, _ = run(["check", SPINLOCK], capsys)
    assert code == 1 and "bytes per distinct state" not in out
    code, out, _ = run(["check", SPINLOCK, "--json"], capsys)
    assert '"bytes_per_state": null' in out


# --------------------------------------------------------------------------- --simulate

SEED_LINE = re.compile(r"^Seed drawn: use --seed (0x[0-9a-f]+) to reproduce\.$", re.M)
MLOCK = "spec/models/mlock_munlock.mms"


def test_simulation_without_a_seed_prints_the_one_it_drew(at_root, capsys):
    argv = ["check", MLOCK, "--simulate", "100", "--depth", "30"]
    code, out, _ = run(argv, capsys)
    seed = SEED_LINE.search(out)
    assert seed, out
    again = run([*argv, "--seed", seed.group(1)], capsys)
    assert again[0] == code

    def walks(text: str) -> list[str]:  # what the walks found, without the times
        return [line for line in text.splitlines() if "states/s" not in line]

    # the same walks: the same trace, counts and verdict; no seed line where one was given
    assert walks(again[1]) == [line for line in walks(out) if not SEED_LINE.match(line)]


def test_simulation_speaks_of_walks(at_root, capsys):
    code, out, _ = run(
        ["check", MLOCK, "-D", "FIXED=true", "--simulate", "100", "--seed", "7", "--depth", "30"],
        capsys,
    )
    assert code == 3
    lines = out.splitlines()
    assert lines[:2] == [
        "100 random traces walked, 1,009 steps in all, 88 distinct states seen.",
        "The longest trace walked has 12 steps.",
    ]
    assert "queue" not in out and "state graph" not in out and "Seed" not in out
    assert lines[-4:] == [
        "INCOMPLETE: simulation; no violation in 100 random traces (88 distinct states seen), "
        "which proves nothing about the states not seen.",
        "cover LockedVmaNotFirst: reached in 7 steps",
        "cover LateMlock: reached in 3 steps",
        "cover MunlockPhase2: reached in 10 steps",
    ]
    assert (
        run(
            [
                "check",
                MLOCK,
                "-D",
                "FIXED=true",
                "--simulate",
                "100",
                "--seed",
                "0x7",
                "--depth",
                "30",
            ],
            capsys,
        )[1].splitlines()[:2]
        == lines[:2]
    )  # --seed takes hex too
