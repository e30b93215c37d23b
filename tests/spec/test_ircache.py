"""The lowered program across runs (spec.ircache): the IR read back equals the IR
lowered, an entry is used only for the spec, constants and files it was made from, and
an entry that is damaged or hostile is ignored (the spec is lowered again), never run.

Each test has a cache folder of its own (MMCHECK_CACHE_DIR)."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest

from mmcheck import explorer, spec
from mmcheck.spec import cache, ircache, loader
from mmcheck.spec.errors import SpecErrors

ROOT = Path(__file__).resolve().parents[2]
MODELS = sorted((ROOT / "spec/models").glob("*.mms"))
MIGRATE = ROOT / "spec/models/migrate_page.mms"
SEEDS = range(40)

sys.path.insert(0, str(ROOT / "tests/reliability"))
from specgen import generate  # noqa: E402


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV, str(where))
    return where


@pytest.fixture
def lowered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files a load parsed and lowered (a load the cache answers adds none)."""
    done: list[str] = []
    load = loader.Loader.load

    def counting(self: loader.Loader, file: str, text: str | None):
        done.append(Path(file).name)
        return load(self, file, text)

    monkeypatch.setattr(loader.Loader, "load", counting)
    return done


def round_trip(program: spec.ir.Program) -> spec.ir.Program:
    return ircache.decode(json.loads(json.dumps(ircache.encode(program))))


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_round_trip_library(path: Path) -> None:
    program = spec.load(path, cache=False)
    back = round_trip(program)
    assert back == program
    assert ircache.canonical(back) == ircache.canonical(program)
    assert back.slots == program.slots


def test_round_trip_symbolic() -> None:
    program = spec.load(MIGRATE, {"POOL": "?"}, symbolic=True, cache=False)
    assert not program.is_concrete
    assert round_trip(program) == program


def test_round_trip_a_choice_per_instance() -> None:
    """At a symbolic JOURNALS each journal's buffer is an Init parameter with a dimension,
    read by ParamAt: both are written and read back."""
    path = ROOT / "spec/models/async_buffer_migrate.mms"
    program = spec.load(path, {"JOURNALS": "?"}, symbolic=True, cache=False)
    (chosen,) = program.init.params
    assert (chosen.name, len(chosen.dims)) == ("journal.b", 1)
    back = round_trip(program)
    assert back == program
    assert ircache.canonical(back) == ircache.canonical(program)


def test_round_trip_random_specs() -> None:
    for seed in SEEDS:
        program = spec.load(generate(seed).text)
        assert round_trip(program) == program, seed


def test_shared_subexpressions_stay_shared() -> None:
    """A node is written once however many fields name it: the table grows with the
    DAG the lowering built, not with the tree it stands for."""
    e = spec.ir.Binary("+", spec.ir.Param("x"), spec.ir.Const(1))
    for _ in range(40):  # 2**40 leaves as a tree
        e = spec.ir.Binary("+", e, e)
    base = dataclasses.replace(spec.load(MIGRATE, cache=False), terminal=None)
    program = dataclasses.replace(base, terminal=e)

    def binaries(p: spec.ir.Program) -> int:
        return sum(node[0] == "Binary" for node in ircache.encode(p))

    assert binaries(program) - binaries(base) == 41
    assert ircache.canonical(round_trip(program)) == ircache.canonical(program)


def test_second_load_reads_the_program_back(cache_dir: Path, lowered: list[str]) -> None:
    first = spec.load(MIGRATE)
    assert lowered == ["migrate_page.mms"]
    assert len(list((cache_dir / ircache.KIND).iterdir())) == 1
    again = spec.load(MIGRATE)
    assert lowered == ["migrate_page.mms"]  # not lowered again
    assert again == first and again is not first
    assert spec.load(MIGRATE, cache=False) == first
    assert lowered == ["migrate_page.mms"] * 2


def test_key_has_the_constants(cache_dir: Path, lowered: list[str]) -> None:
    default = spec.load(MIGRATE)
    other = spec.load(MIGRATE, {"PATCH10": "false"})
    assert other != default
    assert spec.load(MIGRATE, {"PATCH10": "false"}) == other
    assert spec.load(MIGRATE, {"PATCH10": False}) == other  # a bool, not the same key
    assert spec.load(MIGRATE) == default
    assert lowered == ["migrate_page.mms"] * 3
    assert len(list((cache_dir / ircache.KIND).iterdir())) == 3


def test_a_changed_include_is_lowered_again(
    cache_dir: Path, lowered: list[str], tmp_path: Path
) -> None:
    (tmp_path / "part.mms").write_text("const N = 2\n")
    main = tmp_path / "main.mms"
    main.write_text('include "part"\nvar x : 0..N = 0\naction Up\n  x\' = min(x + 1, N)\n')
    assert spec.load(main).const_value("N") == 2
    assert spec.load(main).const_value("N") == 2
    assert lowered == ["main.mms"]
    (tmp_path / "part.mms").write_text("const N = 3\n")
    assert spec.load(main).const_value("N") == 3
    assert lowered == ["main.mms"] * 2
    (tmp_path / "part").write_text("const N = 4\n")  # the name now resolves to it
    assert spec.load(main).const_value("N") == 4
    assert lowered == ["main.mms"] * 3


def test_a_spec_with_errors_is_not_stored(
    cache_dir: Path, lowered: list[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.mms"
    bad.write_text("var x : 0..2 = 0\naction Up\n  x' = y\n")
    for _ in range(2):
        with pytest.raises(SpecErrors) as e:
            spec.load(bad)
        assert [(err.loc.line, err.loc.col) for err in e.value.errors] == [(3, 8)]
        assert "x' = y" in e.value.format()  # the source line quoted
    assert lowered == ["bad.mms"] * 2
    assert not (cache_dir / ircache.KIND).exists()


def test_a_trace_read_back_names_the_same_places(cache_dir: Path, lowered: list[str]) -> None:
    """A violation found with the program read back has the trace, locations and
    warnings of one found with the program lowered."""
    runs = [
        explorer.check(MIGRATE, {"PATCH10": "false"}, backend="tuple", properties=())
        for _ in range(2)
    ]
    assert lowered == ["migrate_page.mms"]
    first, second = runs
    assert first.verdict == second.verdict == "violated"
    assert second.violation == first.violation
    assert second.warnings == first.warnings


def hostile_payloads() -> list[bytes]:
    """Entries whose digest is right and whose data is not what `store` writes."""
    table = ircache.encode(spec.load(MIGRATE, cache=False))
    good = {"files": [], "absent": [], "program": table}

    def with_table(t: object) -> bytes:
        return json.dumps({**good, "program": t}).encode()

    *nodes, program = table
    deep = b"[" * 100_000 + b"]" * 100_000
    return [
        b"not json",
        b"[]",
        json.dumps({**good, "files": 5}).encode(),
        json.dumps({**good, "files": [[1, 2, 3]]}).encode(),
        json.dumps({**good, "files": [["/etc/passwd", "x", "0" * 64]]}).encode(),
        json.dumps({**good, "absent": ["/"]}).encode(),
        with_table([]),
        with_table([5]),
        with_table([["os.system", "echo"]]),  # not a class of the IR
        with_table([[["Const"], 1, False]]),
        with_table(nodes),  # the last node is not the program
        with_table([*nodes, program[:-1]]),  # a field missing
        with_table([*nodes, [program[0], 7, *program[2:]]]),  # an int for a str
        with_table([*nodes, [*program[:3], [len(table) + 5], *program[4:]]]),  # ahead
        with_table([*nodes, [*program[:3], [0], *program[4:]]]),  # a node of another class
        with_table([["Const", True, True]]),  # a bool for an int
        with_table([["Unary", "not", 0]]),  # a node naming itself
        b'{"files": [], "absent": [], "program": ' + deep + b"}",
    ]


def test_hostile_entries_are_lowered_again(cache_dir: Path, lowered: list[str]) -> None:
    fresh = spec.load(MIGRATE, cache=False)
    query = ircache.query(str(MIGRATE), {}, False)
    assert query is not None
    payloads = hostile_payloads()
    for k, payload in enumerate(payloads):
        cache.write(ircache.KIND, query.entry, payload)  # its digest right: only the data bad
        assert ircache.lookup(query) is None, k
        assert spec.load(MIGRATE) == fresh  # lowered, and the entry replaced
        assert ircache.lookup(query) == fresh
    assert lowered == ["migrate_page.mms"] * (len(payloads) + 2)  # and hostile_payloads' own


def test_a_damaged_file_is_lowered_again(cache_dir: Path, lowered: list[str]) -> None:
    fresh = spec.load(MIGRATE)
    (entry,) = (cache_dir / ircache.KIND).iterdir()
    data = entry.read_bytes()
    entry.write_bytes(data[: len(data) // 2])
    assert spec.load(MIGRATE) == fresh
    assert lowered == ["migrate_page.mms"] * 2
    assert entry.read_bytes() == data
