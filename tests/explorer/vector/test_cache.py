"""Start-up of the vector back end: the per-user cache (spec.cache) of the kernels'
source and of the parser's tables, the message said when a run compiles, the wall and
search times, and a real progress line.

Each test has a cache folder of its own (MMCHECK_CACHE_DIR), so a first run here is a
miss whatever ran before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mmcheck import explorer
from mmcheck.explorer.core.limits import Limits
from mmcheck.explorer.vector import cache as kernel_cache
from mmcheck.explorer.vector.kernel import KernelCompiler
from mmcheck.spec import cache, load, parser

ROOT = Path(__file__).resolve().parents[3]
PHILOSOPHERS = ROOT / "tests/specs/philosophers.mms"
MODELS = sorted((ROOT / "spec/models").glob("*.mms"))


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV, str(where))
    return where


GENERATED: list[str] = []  # the programs whose kernels were generated, in order


@pytest.fixture(autouse=True)
def count_generated(monkeypatch: pytest.MonkeyPatch) -> None:
    """Counts the kernels generated: a counter of cache misses that numba's own cache
    (which other processes may rewrite) does not move, unlike the message."""
    module = KernelCompiler.module

    def counting(self: KernelCompiler, *args, **kwargs):
        GENERATED.append(self.p.name)
        return module(self, *args, **kwargs)

    monkeypatch.setattr(KernelCompiler, "module", counting)


def run(spec: Path | str = PHILOSOPHERS, consts: dict | None = None, **options):
    """The result of a vector check and how many kernels it generated."""
    options.setdefault("workers", 1)
    before = len(GENERATED)
    result = explorer.check(spec, consts, backend="vector", **options)
    return result, len(GENERATED) - before


def entries(cache_dir: Path) -> list[Path]:
    return sorted((cache_dir / kernel_cache.KIND).glob("*"))


def test_a_second_run_compiles_nothing(cache_dir: Path):
    said: list[str] = []
    first, made = run(notice=said.append)
    assert made == 1 and said == [kernel_cache.COMPILING]
    assert len(entries(cache_dir)) == 1
    said.clear()
    second, made = run(notice=said.append)
    assert made == 0 and said == []
    for r in (first, second):
        assert (r.verdict, r.stats.distinct, r.violation.kind, r.violation.length) == (
            "violated",
            14,
            "deadlock",
            3,
        )


def test_no_cache_neither_reads_nor_writes(cache_dir: Path, capsys: pytest.CaptureFixture[str]):
    from mmcheck.cli import main

    for _ in range(2):
        result, made = run(cache=False)
        assert made == 1
        assert result.stats.distinct == 14
    assert entries(cache_dir) == []
    argv = ["check", str(PHILOSOPHERS), "--backend", "vector", "--workers", "1", "--no-cache"]
    assert main(argv) == 1
    assert kernel_cache.COMPILING in capsys.readouterr().err
    assert entries(cache_dir) == []


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: data[:-10] + b"X" * 10,  # a payload that is not the digested one
        lambda data: b"",
        lambda data: b"\x00" * len(data),
    ],
)
def test_a_damaged_entry_is_ignored_and_rebuilt(cache_dir: Path, damage):
    run()
    (entry,) = entries(cache_dir)
    good = entry.read_bytes()
    entry.write_bytes(damage(good))
    result, made = run()
    assert made == 1
    assert result.stats.distinct == 14
    assert entry.read_bytes() == good  # written again
    assert run()[1] == 0


@pytest.mark.parametrize(
    "body",
    [
        "__import__('os').system('touch {marker}')",
        "open('{marker}', 'w')",
        "np.lib.npyio.os.system('touch {marker}')",
        "W.__class__.__base__.__subclasses__()",
    ],
)
def test_an_entry_not_written_by_the_generator_is_not_run(cache_dir: Path, tmp_path: Path, body):
    """A well-formed entry (its digest right) holding code the generator does not write
    is rejected before it runs; the kernels are generated again."""
    run()
    (entry,) = entries(cache_dir)
    data = json.loads(cache.read(kernel_cache.KIND, entry.name))
    marker = tmp_path / "ran"
    data["source"] = data["source"].replace(
        "def expand(W, en, out):\n", f"def expand(W, en, out):\n    {body.format(marker=marker)}\n"
    )
    data["source"] += f"\n{body.format(marker=marker)}\n"
    cache.write(kernel_cache.KIND, entry.name, json.dumps(data).encode())
    result, made = run()
    assert made == 1
    assert result.stats.distinct == 14
    assert not marker.exists()


def test_generated_kernels_of_every_library_model_pass_the_check(cache_dir: Path):
    """What the generator writes for the library's models is what `checked` accepts (so
    each is cached, not regenerated on every run)."""
    from mmcheck.explorer.tuple.bfs import make_search
    from mmcheck.explorer.vector.model import VectorModel

    for path in MODELS:
        search = make_search(load(path), explorer.CheckOptions(backend="vector"), Limits())
        vm = VectorModel(search)
        assert kernel_cache.checked(vm.kernels.source, "<kernel>") is not None, path.name
    assert len(entries(cache_dir)) == len(MODELS)


def test_the_key_follows_the_spec_and_its_constants(cache_dir: Path, tmp_path: Path):
    run()
    run(consts={"N": 4})
    assert len(entries(cache_dir)) == 2
    changed = tmp_path / "philosophers.mms"
    changed.write_text(PHILOSOPHERS.read_text().replace("goto take_left", "goto take_right"))
    assert run(changed)[1] == 1
    assert len(entries(cache_dir)) == 3
    assert run(consts={"N": 4})[1] == 0


def test_an_untrusted_folder_is_not_used(cache_dir: Path):
    """A cache folder others may write is neither read nor written (as ssh treats
    ~/.ssh)."""
    run()
    (entry,) = entries(cache_dir)
    os.chmod(cache_dir, 0o777)
    assert cache.read(kernel_cache.KIND, entry.name) is None
    assert run()[1] == 1
    os.chmod(cache_dir, 0o700)
    os.chmod(entry, 0o666)
    assert cache.read(kernel_cache.KIND, entry.name) is None
    os.chmod(entry, 0o600)
    assert cache.read(kernel_cache.KIND, entry.name) is not None


def test_an_entry_renamed_to_another_key_is_rejected(cache_dir: Path):
    cache.write("test", "a" * 64, b"payload")
    assert cache.read("test", "a" * 64) == b"payload"
    os.rename(cache_dir / "test" / ("a" * 64), cache_dir / "test" / ("b" * 64))
    assert cache.read("test", "b" * 64) is None


def test_writers_and_readers_at_once_see_whole_entries(cache_dir: Path):
    payload = os.urandom(1 << 20)
    seen: list[bytes | None] = []

    def write() -> None:
        for _ in range(20):
            cache.write("test", "k", payload)

    def read() -> None:
        for _ in range(200):
            seen.append(cache.read("test", "k"))

    threads = [threading.Thread(target=f) for f in (write, write, read, read)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {s for s in seen if s is not None} <= {payload}
    assert cache.read("test", "k") == payload
    assert [p.name for p in (cache_dir / "test").iterdir()] == ["k"]  # no temporary left


def test_concurrent_runs_share_one_entry(cache_dir: Path):
    """Three processes compiling the same spec at once: each checks it, one entry is
    left, and no temporary file."""
    cmd = [sys.executable, "-m", "mmcheck", "check", str(PHILOSOPHERS), "--backend", "vector"]
    cmd += ["--workers", "1", "--json"]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 1, err
        assert json.loads(out)["stats"]["distinct"] == 14
    assert len(entries(cache_dir)) == 1
    assert not [p for p in cache_dir.rglob(".tmp-*")]
    assert run()[1] == 0


def test_the_parser_tables_from_the_cache_parse_the_same(cache_dir: Path):
    parser._lark.cache_clear()
    try:
        built = repr(load(MODELS[0], cache=False))
        (entry,) = (cache_dir / "parser").iterdir()
        parser._lark.cache_clear()
        assert repr(load(MODELS[0], cache=False)) == built  # from the entry
        entry.write_bytes(entry.read_bytes()[:1000])
        parser._lark.cache_clear()
        assert repr(load(MODELS[0], cache=False)) == built  # built again
        assert cache.read("parser", entry.name) is not None
    finally:
        parser._lark.cache_clear()


def test_wall_and_search_time_are_reported(cache_dir: Path, capsys: pytest.CaptureFixture[str]):
    from mmcheck.cli import main

    assert main(["check", str(PHILOSOPHERS), "--backend", "vector", "--workers", "1"]) == 1
    out, err = capsys.readouterr()
    assert err.splitlines()[0] == kernel_cache.COMPILING
    assert " s search (" in out and " s in all), " in out
    assert main(["check", str(PHILOSOPHERS), "--backend", "vector", "--json"]) == 1
    out, err = capsys.readouterr()
    assert err == ""  # no notice in --json mode
    stats = json.loads(out)["stats"]
    assert 0 < stats["elapsed"] <= stats["wall"]
    result, _ = run()
    assert 0 < result.stats.elapsed <= result.stats.wall


def test_the_progress_line_of_the_vector_back_end_is_real(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    """The statistics the progress callback sees carry the depth and queue (they said
    Progress(0) and 0 states left on queue throughout)."""
    seen: list[tuple[int, int, int]] = []
    poll = Limits.poll

    def recording(self: Limits, stats: explorer.Stats) -> str | None:
        seen.append((stats.depth, stats.queue, stats.distinct))
        return poll(self, stats)

    monkeypatch.setattr(Limits, "poll", recording)
    result, _ = run(ROOT / "tests/specs/peterson.mms")
    assert result.verdict == "holds"
    assert [d for d, _, _ in seen] == sorted(d for d, _, _ in seen)
    assert seen[-1][0] == result.stats.depth > 0
    assert all(q > 0 for _, q, _ in seen)  # each chunk taken in had states left to expand
    assert [n for _, _, n in seen] == sorted(n for _, _, n in seen)
    assert seen[-1][2] <= result.stats.distinct
