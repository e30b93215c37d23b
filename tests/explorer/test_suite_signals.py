"""Ctrl-C and SIGTERM stop `mmcheck test` wherever they land: in a check, between two,
or as a short check ends (after its last poll, where its own handler takes the signal
and the check, complete, no longer looks at it)."""

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mmcheck.cli import main
from mmcheck.explorer import expect
from mmcheck.explorer.core.search import Search

ROOT = Path(__file__).resolve().parents[2]

# 1,728 to 4,096 states a case: a check of a few tens of milliseconds with one poll at
# its start, about as long as loading the spec for it
CUBE = """spec Cube
const N = 3
var a : 0..N = 0
var b : 0..N = 0
var c : 0..N = 0
action inc_a when a < N a' = a + 1
action inc_b when b < N b' = b + 1
action inc_c when c < N c' = c + 1
invariant Bounded: a + b + c <= 3 * N
terminal a == N and b == N and c == N
"""


def cube_suite(directory: Path, rounds: int) -> Path:
    lines = [f"expect N={n}: holds with {(n + 1) ** 3} states" for n in (11, 12, 13, 14, 15)]
    path = directory / "cube.mms"
    path.write_text(CUBE + "\n".join(lines * rounds) + "\n")
    return path


def test_a_signal_as_a_check_ends_stops_the_suite(tmp_path, monkeypatch, capsys):
    cube = cube_suite(tmp_path, 1)
    finish = Search.result
    signalled = []

    def result_then_signal(self, *args, **kwargs):
        if not signalled:  # the first check: SIGINT after its last poll, before it returns
            signalled.append(True)
            signal.raise_signal(signal.SIGINT)
        return finish(self, *args, **kwargs)

    monkeypatch.setattr(Search, "result", result_then_signal)
    before = signal.getsignal(signal.SIGINT), signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(before[1])
    assert main(["test", str(cube)]) == 3
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("ok ") and "1,728 states" in lines[0]  # it ran to the end
    assert lines[1:] == [
        "1 case in 1 spec file: 1 passed, 0 failed, 0 errors. Interrupted by SIGINT: 4 not run."
    ]
    # the suite gives back the handlers and the wakeup fd it found
    assert (signal.getsignal(signal.SIGINT), signal.set_wakeup_fd(-1)) == before
    signal.set_wakeup_fd(before[1])


def interrupt(
    spec: Path,
    signum: int,
    delay: float,
    jobs: int = 1,
    group: bool = False,
    flags: tuple[str, ...] = (),
) -> tuple[int, str, str, int]:
    """Run `mmcheck test -j jobs [flags] spec`, send `signum` `delay` seconds after its
    first line (to its whole process group if `group`, as a terminal's Ctrl-C); its
    status, stdout, stderr and process group."""
    command = ["test", "-j", str(jobs), *flags, str(spec)]
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "mmcheck.cli", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=0,  # readline takes the first line only: communicate reads the rest
        cwd=ROOT,
        start_new_session=True,  # its own process group, to look for leftovers in
    )
    try:
        first = proc.stdout.readline()
        time.sleep(delay)
        if group:
            os.killpg(proc.pid, signum)
        else:
            proc.send_signal(signum)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    return proc.returncode, (first + out).decode(), err.decode(), proc.pid


@pytest.mark.parametrize(
    "signum, jobs, group, delays",
    [
        (signal.SIGINT, 1, False, [0.0, 0.007, 0.015, 0.025, 0.04, 0.06, 0.09]),
        (signal.SIGTERM, 1, False, [0.02]),
        (signal.SIGINT, 2, False, [0.0, 0.03, 0.09]),  # to the main process alone: passed on
        (signal.SIGINT, 2, True, [0.0, 0.05]),  # to every process, as Ctrl-C in a terminal
        (signal.SIGTERM, 2, False, [0.02]),
    ],
)
def test_a_signal_at_any_moment_stops_the_suite(tmp_path, signum, jobs, group, delays):
    cube = cube_suite(tmp_path, 8)  # 40 cases, some 2 s: each run stops long before the end
    with ThreadPoolExecutor(len(delays)) as pool:
        runs = list(pool.map(lambda d: interrupt(cube, signum, d, jobs, group), delays))
    name = signal.Signals(signum).name
    for delay, (code, out, err, pid) in zip(delays, runs):
        where = f"-j {jobs}, {name} {delay} s after the first case:\n{out}{err}"
        assert code == 3, where
        assert "Traceback" not in out + err and err == "", where
        lines = out.splitlines()
        done = sum(1 for line in lines if line.startswith(("ok ", "FAIL ")))
        assert 0 < done < 40, where
        assert lines[-1].endswith(f"Interrupted by {name}: {40 - done} not run."), where
        # a case the signal stopped fails as incomplete (with -j, in a worker)
        stopped = [line for line in lines if line.startswith("FAIL ")]
        assert all(f"incomplete (interrupted ({name}))" in line for line in stopped), where
        with pytest.raises(ProcessLookupError):  # nothing left in its process group
            os.killpg(pid, 0)


def test_a_second_signal_as_a_worker_ends_is_ignored(monkeypatch):
    """A -j worker told to stop by Ctrl-C gets the signal twice, from the terminal and
    passed on by the main process: the second may land while it sets the signals to
    be ignored, raising KeyboardInterrupt there, and must not leave a traceback."""
    handlers: dict[int, object] = {}
    landed = []

    def set_handler(signum: int, handler: object) -> None:
        if not landed:  # the second signal, taken at this moment
            landed.append(signum)
            raise KeyboardInterrupt
        handlers[signum] = handler

    monkeypatch.setattr(expect.signal, "signal", set_handler)
    expect.ignore_stop_signals()
    assert landed and handlers == {s: signal.SIG_IGN for s in expect.STOP_SIGNALS}


BIG = """spec Big
const N = 2000
var a : 0..N = 0
var b : 0..N = 0
action inc_a when a < N a' = a + 1
action inc_b when b < N b' = b + 1
terminal a == N and b == N
expect N=2: holds with 9 states
expect holds
"""


def test_a_long_check_stops_as_incomplete(tmp_path):
    (tmp_path / "big.mms").write_text(BIG)
    code, out, err, _ = interrupt(tmp_path / "big.mms", signal.SIGINT, 0.5)
    assert code == 3, out + err
    assert "Traceback" not in out + err
    first, *lines = out.splitlines()
    assert first.startswith("ok ") and "9 states" in first
    if lines[0].startswith("FAIL"):  # stopped inside the big check, as it normally is
        assert "incomplete (interrupted (SIGINT))" in lines[0]
        assert lines[-1] == (
            "2 cases in 1 spec file: 1 passed, 1 failed, 0 errors. Interrupted by SIGINT: 0 not run."
        )
    else:  # stopped while loading the spec for it
        assert lines == [
            "1 case in 1 spec file: 1 passed, 0 failed, 0 errors. Interrupted by SIGINT: 1 not run."
        ]


def cpu_ticks(pid: int) -> int:
    """The user and system CPU time of process `pid`, in clock ticks (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
def test_a_killed_worker_fails_its_case_and_the_suite_goes_on(tmp_path):
    spec = tmp_path / "big.mms"
    spec.write_text(
        BIG.replace("expect N=2: holds with 9 states\nexpect holds\n", "")
        + "expect holds\nexpect N=2: holds with 9 states\nexpect N=3: holds with 16 states\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "mmcheck.cli", "test", "-j", "2", str(spec)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        children: list[int] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # until the big check has run a while
            time.sleep(0.5)
            task = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
            children = [int(c) for c in task.read_text().split()]
            if children and max(map(cpu_ticks, children)) > 50:
                break
        os.kill(max(children, key=cpu_ticks), signal.SIGKILL)  # the one checking the big case
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 1, out + err  # a failed case
    assert "Traceback" not in out + err and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("FAIL") and "expected holds" in lines[0]
    assert "got incomplete (the process checking it died (signal SIGKILL))" in lines[0]
    assert lines[1].startswith("      to see it: mmcheck check")
    assert lines[2].startswith("ok ") and "9 states" in lines[2]
    assert lines[3].startswith("ok ") and "16 states" in lines[3]
    assert lines[4] == "3 cases in 1 spec file: 2 passed, 1 failed, 0 errors."
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)
