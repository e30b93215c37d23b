"""The pytest plugin: `pytest DIR` collects each expect line of each .mms as an item,
checked as `mmcheck test` checks it. Each test runs pytest in a subprocess on a temporary
directory, as a user would (the plugin is loaded through its `pytest11` entry point)."""

import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

MUTEX = """\
spec Mutex

const FIXED = false

type Pid = 1..2

var flag : [Pid] -> bool = [i in Pid |-> false]

process p[self in Pid] {
wait:
  await not flag[3 - self]
set_flag:
  flag[self] := true
critical:
  skip
release:
  flag[self] := false
  goto wait
}

invariant MutualExclusion: not (at(p[1], critical) and at(p[2], critical))
invariant Flags: flag[1] or not flag[1]

expect FIXED=false: violates MutualExclusion in 4 steps
expect FIXED=false: violates MutualExclusion
expect FIXED=true: holds with 99 states
expect FIXED=true: holds with 16 states (invariants Flags)
"""


def pytest_run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "mutex.mms").write_text(MUTEX)
    return tmp_path


def test_collects_each_expect_line_named_as_mmcheck_test_names_it(specs):
    run = pytest_run(specs, "--collect-only", "-q", "specs")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[:4] == [
        "specs/mutex.mms::FIXED=false (line 24)",
        "specs/mutex.mms::FIXED=false (line 25)",
        "specs/mutex.mms::FIXED=true",
        "specs/mutex.mms::FIXED=true[Flags]",
    ]


def test_verdicts_failure_text_and_junitxml(specs):
    run = pytest_run(specs, "-rA", "--junitxml=out.xml", "specs/mutex.mms")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed, 3 passed" in run.stdout
    assert "PASSED specs/mutex.mms::FIXED=true[Flags]" in run.stdout
    failure = (
        "specs/mutex.mms:26:1: FIXED=true\n"
        "expected: holds with 99 states\n"
        "got:      violates MutualExclusion in 4 steps with 11 states\n"
        "to see it: mmcheck check specs/mutex.mms -D FIXED=true\n"
    )
    assert failure in run.stdout
    cases = ET.parse(specs / "out.xml").getroot().iter("testcase")
    outcome = {c.get("name"): [f.tag for f in c] for c in cases}
    assert outcome == {
        "FIXED=false (line 24)": [],
        "FIXED=false (line 25)": [],
        "FIXED=true": ["failure"],
        "FIXED=true[Flags]": [],
    }
    # the same verdicts as `mmcheck test`
    test = subprocess.run(
        [sys.executable, "-m", "mmcheck", "test", "specs"],
        cwd=specs,
        capture_output=True,
        text=True,
    )
    assert "4 cases in 1 spec file: 3 passed, 1 failed, 0 errors." in test.stdout
    assert test.stdout.startswith("ok    specs/mutex.mms  FIXED=false")


def test_k_and_x_select_and_stop(specs):
    run = pytest_run(specs, "-k", "Flags or line", "specs")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed, 1 deselected" in run.stdout
    run = pytest_run(specs, "-x", "-k", "true", "specs")
    assert run.returncode == 1
    assert "1 failed" in run.stdout and "passed" not in run.stdout


def test_a_spec_that_does_not_load_is_a_collection_error_naming_its_place(specs):
    (specs / "specs" / "bad.mms").write_text("spec Bad\nvar x : int = 0\nexpect holds\n")
    run = pytest_run(specs, "specs/bad.mms")
    assert run.returncode == 2, run.stdout + run.stderr
    assert "ERROR collecting specs/bad.mms" in run.stdout
    assert "bad.mms:2:" in run.stdout
    assert "Traceback" not in run.stdout


def test_specs_beside_test_modules_are_collected_only_when_asked(specs):
    (specs / "specs" / "test_other.py").write_text("def test_ok():\n    pass\n")
    run = pytest_run(specs, "--collect-only", "-q", "specs")
    assert run.stdout.splitlines()[0] == "specs/test_other.py::test_ok"
    assert ".mms" not in run.stdout
    run = pytest_run(specs, "--collect-only", "-q", "-o", "mmcheck_collect=true", "specs")
    assert "specs/mutex.mms::FIXED=false" in run.stdout


def test_ctrl_c_in_a_check_stops_the_session():
    """The check takes SIGINT and ends incomplete; the plugin turns that into pytest's
    interruption (exit 2), not a failed expectation."""
    root = Path(__file__).resolve().parents[2]
    spec = root / "spec" / "models" / "migrate_page.mms"  # `defaults` checks 203,760 states
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts="]
        + [str(spec), "-k", "defaults"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    out = ""
    while "collected" not in out:
        out += proc.stdout.readline()
    time.sleep(1.0)  # into the check, which runs for seconds
    proc.send_signal(signal.SIGINT)
    out += proc.stdout.read()
    assert proc.wait(timeout=60) == 2, out
    assert "KeyboardInterrupt" in out
    assert "failed" not in out
