"""The Ray back end reports what the vector back end reports with one process: verdict,
reason, generated, distinct and depth, the violation and its trace, and the covers
reached, on library models, small specs with every kind of violation, bounds, and
random specs. The whole module runs on one simulated two-node cluster
(ray.cluster_utils.Cluster, one CPU a node), so the actors of every run are spread over
two nodes and the successors they route cross the nodes' object stores.

Faults: an actor killed mid-run stops the run INCOMPLETE with its statistics, and
SIGTERM to `mmcheck check --backend ray` ends it (exit 3) and leaves none of the
processes of the Ray session it started.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")  # the extra mmcheck[ray]; the test extras install it

from ray.cluster_utils import Cluster  # noqa: E402

from mmcheck import explorer  # noqa: E402
from mmcheck.explorer.core.result import INCOMPLETE, Result  # noqa: E402
from mmcheck.explorer.vector import engine  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
MODELS = ROOT / "spec" / "models"
SPECS = ROOT / "tests" / "specs"
sys.path.insert(0, str(ROOT / "tests" / "reliability"))
sys.path.insert(0, str(ROOT / "tests"))
import specgen  # noqa: E402 - a helper module beside the tests, not a package
from outcomes import everything  # noqa: E402 - everything a run decides, timing aside

RANDOM_SEEDS = (3, 17, 42, 99, 123, 171)

# One cluster for the module, on one xdist worker, never beside test_faults.py's checks
# for leftover shared memory
pytestmark = pytest.mark.xdist_group("shm")


@pytest.fixture(scope="module", autouse=True)
def cluster():
    """Two nodes of one CPU each, this process connected: every check of the module
    runs on it (explorer.ray.engine joins the session it finds)."""
    c = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "include_dashboard": False},
    )
    c.add_node(num_cpus=1)
    c.wait_for_nodes()
    ray.init(address=c.address, include_dashboard=False, log_to_driver=False)
    yield c
    ray.shutdown()
    c.shutdown()


def agree(source, consts=None, actors: int = 2, **options) -> Result:
    """Check with the Ray back end (`actors` of them) and with the vector back end in one
    process: the same result."""
    mine = explorer.check(source, consts, backend="ray", workers=actors, **options)
    theirs = explorer.check(source, consts, backend="vector", workers=1, **options)
    assert everything(mine) == everything(theirs)
    assert mine.stats.backend == "ray" and mine.stats.workers == actors
    return mine


@pytest.mark.parametrize(
    "spec, consts, verdict",
    [
        (MODELS / "mlock_munlock.mms", {"VMAS": 3}, "violated"),
        (MODELS / "mlock_munlock.mms", {"FIXED": True, "VMAS": 3}, "holds"),
        (MODELS / "rawio_cow.mms", None, "violated"),
        (SPECS / "philosophers.mms", None, "violated"),  # a deadlock
        (SPECS / "runtime_errors.mms", None, "violated"),  # a step error
        (SPECS / "cover_spinlock.mms", None, None),  # covers
        (SPECS / "symmetric_spinlock.mms", None, None),  # symmetry
        (SPECS / "constraint_counter.mms", None, None),  # constraints
    ],
    ids=lambda x: x.name if isinstance(x, Path) else None,
)
def test_the_vector_back_end_agrees(spec, consts, verdict):
    r = agree(spec, consts)
    if verdict is not None:
        assert r.verdict == verdict


def test_mlock_munlock_pinned():
    r = agree(MODELS / "mlock_munlock.mms", {"VMAS": 3})
    assert (r.stats.distinct, r.stats.generated, r.violation.name, len(r.trace)) == (
        253,
        428,
        "NoLeak",
        12,
    )


@pytest.mark.parametrize(
    "options",
    [{"max_states": 100}, {"max_depth": 4}, {"fingerprint": True}, {"deadlock": False}],
    ids=lambda o: ",".join(o),
)
def test_bounds_and_modes_agree(options):
    r = agree(MODELS / "mlock_munlock.mms", {"FIXED": True, "VMAS": 3}, **options)
    if "max_states" in options:
        assert r.verdict == INCOMPLETE and r.stats.distinct == 100


@pytest.mark.parametrize("consts", [{"VMAS": 3}, {"FIXED": True, "VMAS": 3}])
def test_small_slices_agree(consts, monkeypatch):
    """Levels cut in slices of 37 states and chunks of 8: a hand-off at each level's
    first slice, a round of calls a slice."""
    monkeypatch.setattr(engine, "SLICE", 37)
    monkeypatch.setattr(engine, "CHUNK", 8)
    agree(MODELS / "mlock_munlock.mms", consts)


@pytest.mark.parametrize("seed", RANDOM_SEEDS)
def test_random_specs_agree(seed):
    agree(specgen.generate(seed).text)


def test_the_actors_are_spread_over_the_nodes():
    r = agree(MODELS / "mlock_munlock.mms", {"FIXED": True, "VMAS": 3})
    nodes = {re.search(r"\(node (\w+),", line).group(1) for line in r.stats.per_worker}
    assert len(nodes) == 2, r.stats.per_worker


def test_a_cluster_without_the_cpus_is_a_usage_error():
    from mmcheck.spec.errors import UsageError

    with pytest.raises(UsageError, match="cannot place 3 actors of one CPU each"):
        explorer.check(SPECS / "peterson.mms", backend="ray", workers=3)


def test_the_actors_serve_the_next_run():
    """On a session it did not start, a run leaves its actors for the next one."""
    first = explorer.check(SPECS / "peterson.mms", backend="ray", workers=2)
    again = explorer.check(SPECS / "peterson.mms", backend="ray", workers=2)
    assert everything(first) == everything(again)
    assert pids(first) == pids(again)


def pids(r: Result) -> list[int]:
    return [int(re.search(r"pid (\d+)", line).group(1)) for line in r.stats.per_worker]


def test_fewer_actors_than_the_spares_free_their_cpus():
    explorer.check(SPECS / "peterson.mms", backend="ray", workers=2)  # two kept, both CPUs
    agree(SPECS / "peterson.mms", actors=1)


def test_the_cli_joins_a_cluster(cluster):
    from mmcheck.explorer.ray.owners import _drop_spares

    _drop_spares()  # this process's actors hold the cluster's CPUs
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "mmcheck.cli",
            "check",
            MODELS / "mlock_munlock.mms",
            "-D",
            "FIXED=true",
            "--backend",
            "ray",
            "--workers",
            "2",
            "--ray-address",
            cluster.address,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert "93 distinct states found" in run.stdout
    assert "(ray back end, 2 workers)" in run.stdout


def test_an_address_where_no_cluster_answers_is_a_usage_error():
    from mmcheck.explorer.ray.engine import reachable
    from mmcheck.spec.errors import UsageError

    with pytest.raises(UsageError, match="^cannot join the Ray cluster at 127.0.0.1:1: "):
        reachable("127.0.0.1:1")


def test_ray_address_goes_with_the_ray_back_end():
    from mmcheck.explorer.core.options import CheckOptions
    from mmcheck.spec.errors import UsageError

    with pytest.raises(UsageError, match="^--ray-address goes with --backend ray$"):
        CheckOptions(backend="vector", ray_address="10.0.0.1:6379")


# --------------------------------------------------------------------------- faults

EXPLODE = SPECS / "explode.mms"  # about 10^9 states: only a bound or a fault ends it


def test_a_killed_actor_stops_the_run_incomplete():
    killed = []

    def kill_one(stats):
        if not killed and stats.distinct:
            pid = pids(Result(INCOMPLETE, stats))[1]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    r = explorer.check(EXPLODE, backend="ray", workers=2, time_limit=120, progress=kill_one)
    assert killed
    assert r.verdict == INCOMPLETE and re.fullmatch(r"worker 2 died \(\w+\)", r.reason), r.reason
    assert r.stats.distinct > 0 and r.stats.generated > 0


def descendants(pid: int) -> set[int]:
    """The processes below `pid` (children, theirs, ...), now."""
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                parent[int(d)] = int(
                    Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except (OSError, IndexError, ValueError):
                continue
    out, todo = set(), [pid]
    while todo:
        p = todo.pop()
        kids = {c for c, pp in parent.items() if pp == p}
        todo.extend(kids - out)
        out |= kids
    return out


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # gone
        return b""


def alive(pids: set[int]) -> set[int]:
    return {p for p in pids if Path(f"/proc/{p}").exists()}


def test_sigterm_ends_the_run_and_its_ray_session():
    """`mmcheck check --backend ray` with no address starts a local Ray session: SIGTERM
    stops the search (INCOMPLETE, exit 3) and every process of that session ends."""
    run = subprocess.Popen(
        [sys.executable, "-m", "mmcheck.cli", "check", EXPLODE, "--backend", "ray"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(
        b"ray::Owner" in cmdline(p) for p in descendants(run.pid)
    ):
        assert run.poll() is None, run.communicate()
        time.sleep(0.2)
    time.sleep(2)  # the actors compile and search
    started = descendants(run.pid)  # Ray's processes: the session's, the actors
    assert any(b"ray::Owner" in cmdline(p) for p in started), "no actor started"
    run.send_signal(signal.SIGTERM)
    out, err = run.communicate(timeout=60)
    assert run.returncode == 3, out + err[-3000:]
    assert "INCOMPLETE: interrupted (SIGTERM)" in out, out + err[-3000:]
    assert "Traceback" not in out + err, err[-3000:]
    deadline = time.monotonic() + 30
    while (left := alive(started)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, [Path(f"/proc/{p}/cmdline").read_bytes() for p in left]
