"""The partitioned visited set (explorer.vector.partition): the partition function, the
merge of the owners' keys into the level's global order, and searches by owners (forked
workers, and every owner in this process) identical to one process's and to the tuple
back end's: verdict, distinct and generated counts, depth, violation and trace, covers."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

from mmcheck import explorer, spec
from mmcheck.explorer.core.limits import Limits
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.expect import expect_consts
from mmcheck.explorer.tuple.bfs import make_search
from mmcheck.explorer.vector import engine
from mmcheck.explorer.vector.model import VectorModel
from mmcheck.explorer.vector.partition import (
    Handed,
    Outgoing,
    Partition,
    expander_of,
    merge,
    owner_of,
    ranks,
)
from mmcheck.spec.errors import UsageError

ROOT = Path(__file__).resolve().parents[3]  # the repository
sys.path.insert(0, str(ROOT / "tests" / "reliability"))
sys.path.insert(0, str(ROOT / "tests"))
import specgen  # noqa: E402 - a helper module beside the tests, not a package
from outcomes import everything  # noqa: E402

MODELS = ROOT / "spec" / "models"
FILTER = ROOT / "bench" / "specs" / "peterson_filter.mms"


def test_owner_reads_bits_the_visited_set_does_not_index_with():
    rng = np.random.default_rng(1)
    fps = rng.integers(0, 1 << 63, 200_000, dtype=np.int64).astype(np.uint64) * np.uint64(2)
    for parts in (2, 3, 4):
        owner = owner_of(fps, parts)
        counts = np.bincount(owner, minlength=parts)
        assert counts.sum() == len(fps) and counts.min() > 0.97 * len(fps) / parts
        for j in range(parts):
            mine = fps[owner == j]
            # each owner's fingerprints cover the low bits (hash tables) and the top
            # bits (directory) evenly
            low = np.bincount((mine & np.uint64(15)).astype(np.int64), minlength=16)
            top = np.bincount((mine >> np.uint64(60)).astype(np.int64), minlength=16)
            assert low[1::2].sum() == 0  # the even fingerprints of this sample
            assert low[::2].min() > 0.9 * len(mine) / 8
            assert top.min() > 0.9 * len(mine) / 16


def test_merge_and_ranks_restore_global_order_beyond_32_bits():
    big = 1 << 33
    keys = [
        np.array([0, 7, big + 1, 3 * big], np.int64),
        np.array([], np.int64),
        np.array([5, big, big + 2], np.int64),
    ]
    merged = merge(keys)
    assert merged.dtype == np.int64
    assert merged.tolist() == [0, 5, 7, big, big + 1, big + 2, 3 * big]
    where = [ranks(k, keys[:j] + keys[j + 1 :]) for j, k in enumerate(keys)]
    assert [w.tolist() for w in where] == [[0, 2, 4, 6], [], [1, 3, 5]]


def test_merge_and_ranks_of_random_disjoint_keys():
    rng = np.random.default_rng(2)
    allkeys = rng.choice(1 << 40, 30_000, replace=False).astype(np.int64)
    owner = rng.integers(0, 3, len(allkeys))
    keys = [np.sort(allkeys[owner == j]) for j in range(3)]
    merged = merge(keys)
    assert (merged == np.sort(allkeys)).all()
    for j, k in enumerate(keys):
        w = ranks(k, keys[:j] + keys[j + 1 :])
        assert (merged[w] == k).all() and (np.diff(w) > 0).all()
        # the others' keys in sorted pieces, in any order (a worker's, a piece a receive)
        pieces = [p for o in keys[:j] + keys[j + 1 :] for p in np.array_split(o, 3)][::-1]
        assert (ranks(k, pieces) == w).all()


def test_expander_of_cuts_every_slice_in_consecutive_ranges():
    for size, slice_, parts in ((100, 37, 3), (10, 37, 2), (5, 2, 3), (1 << 34, 1 << 33, 2)):
        index = np.unique(np.linspace(0, size - 1, 2000).astype(np.int64))
        dest = expander_of(index, size, slice_, parts)
        assert dest.min() >= 0 and dest.max() < parts
        for lo in range(0, size, slice_):
            mine = dest[(index >= lo) & (index < lo + slice_)]
            assert (np.diff(mine) >= 0).all()  # ranges of consecutive states, in owner order
            if size < 1 << 20:  # every state sampled: the ranges' lengths differ by one at most
                counts = np.bincount(mine, minlength=parts)
                assert counts.max() - counts.min() <= 1


def test_hand_off_brings_every_state_to_its_expander_in_level_order():
    """States held by owners at random, each owner's in key order, in pieces as
    received: each reaches the owner `expander_of` names at its rank among all keys, in
    level order, with its words, a piece a slice."""
    prog = spec.load(str(FILTER), {"N": 3})
    search = make_search(prog, CheckOptions(backend="vector"), Limits())
    vm = VectorModel(search)
    rng = np.random.default_rng(3)
    size, slice_, parts = 200, 37, 3
    words = rng.integers(0, 1 << 62, (vm.layout.nwords, size), dtype=np.int64).astype(np.uint64)
    keys = np.sort(rng.choice(1 << 40, size, replace=False).astype(np.int64))
    holder = rng.integers(0, parts, size)
    owners = [Partition(vm, search.deadlock, False, i, parts, 8) for i in range(parts)]
    for j, p in enumerate(owners):
        mine = np.flatnonzero(holder == j)
        p.new = [words[:, mine[:10]], words[:, mine[10:]]]  # two pieces, as two receives
        p.keys = [keys[mine[:10]], keys[mine[10:]]]
    held = [keys[holder == j] for j in range(parts)]
    handed = [p.hand_off(held[:j] + held[j + 1 :], slice_) for j, p in enumerate(owners)]
    dest = expander_of(np.arange(size), size, slice_, parts)
    for j, p in enumerate(owners):
        p.adopt([h[j] for h in handed][::-1], slice_)
        assert p.new == p.keys == [] and (p.at == np.flatnonzero(dest == j)).all()
        assert len(p.level.pieces) == -(-size // slice_)
        assert (np.concatenate(p.level.pieces, axis=1) == words[:, p.at]).all()


class LocalOwners:
    """An Owners transport with every Partition in this process (no fork, no shared
    memory): the owners' logic alone, against the single-process engine."""

    def __init__(self, vm, deadlock, keep_words, parts, chunk):
        self.parts = parts
        self.owners = [Partition(vm, deadlock, keep_words, i, parts, chunk) for i in range(parts)]
        self.sent: list[list[Outgoing]] = []
        self.keys: list[list[np.ndarray]] = [[] for _ in range(parts)]

    def reported(self, news):
        for keys, new in zip(self.keys, news):
            keys.append(new.keys)
        return news

    def seed(self, blocks, covers):
        return self.reported([p.receive([b], covers) for p, b in zip(self.owners, blocks)])

    def expand(self, first, upto, meanwhile):
        meanwhile()
        if first:  # the keys each owner reported since the last hand-off
            keys = [np.concatenate(k) if k else np.empty(0, np.int64) for k in self.keys]
            self.keys = [[] for _ in self.owners]
            handed = [p.hand_off(keys[:j] + keys[j + 1 :], upto) for j, p in enumerate(self.owners)]
            for j, p in enumerate(self.owners):
                p.adopt([h[j] for h in handed][::-1], upto)  # in any order
        reports = [p.expand(upto) for p in self.owners]
        self.sent = [[r.outgoing[j] for r in reports] for j in range(self.parts)]
        for r in reports:
            r.outgoing = []
        return reports

    def receive(self, covers):
        got, self.sent = self.sent, []
        return self.reported(
            [p.receive(blocks[::-1], covers) for p, blocks in zip(self.owners, got)]
        )

    def generated_before(self, index):
        return sum(p.generated_before(index) for p in self.owners)

    def stored(self):
        return [len(p) for p in self.owners]

    def close(self):
        pass

    @staticmethod
    def running(search):
        """`search`, with the engine's owners in this process."""
        saved = engine.VectorBFS.owners

        def owners(run, workers):
            return LocalOwners(run.vm, run.search.deadlock, run.keep_words, workers, run.chunk)

        engine.VectorBFS.owners = owners
        try:
            return search()
        finally:
            engine.VectorBFS.owners = saved


def vector(path, consts=None, workers=1, **kw):
    return explorer.check(path, consts, backend="vector", workers=workers, **kw)


def agree(path, consts=None, tuple_too=True, **kw) -> tuple:
    """The outcome with one process, checked identical with 2 forked owners (a round a
    level), 3 owners in this process (small chunks and slices: many rounds a level, the
    deadlocks, errors, violations and bounds falling in any of them) and the tuple back
    end. Safety only: the vector back end checks no temporal property."""
    kw.setdefault("properties", ())
    one = everything(vector(path, consts, 1, **kw))
    assert everything(vector(path, consts, 2, **kw)) == one
    old = engine.CHUNK, engine.SLICE
    engine.CHUNK, engine.SLICE = 64, 37
    try:
        three = LocalOwners.running(lambda: vector(path, consts, 3, **kw))
    finally:
        engine.CHUNK, engine.SLICE = old
    assert everything(three) == one
    if tuple_too:  # as tests/reliability/test_differential.py compares them
        t = everything(explorer.check(path, consts, backend="tuple", **kw))
        assert t[0] == one[0]
        if t[0] == "holds":
            assert t[2:5] == one[2:5]
        if t[5] is not None:  # the violation's kind, name, loc and length
            assert t[5][:3] + t[5][4:5] == one[5][:3] + one[5][4:5]
    return one


# two models in CI (a violation each, ~5 s); every model with -m slow
CI_MODELS = ("ksm_unmerge.mms", "rmap_vma_adjust.mms")
LIBRARY = [
    n if n in CI_MODELS else pytest.param(n, marks=pytest.mark.slow)
    for n in sorted(p.name for p in MODELS.glob("*.mms"))
]


@pytest.mark.parametrize("name", LIBRARY)
@pytest.mark.parametrize("fingerprint", [False, True], ids=["exact", "fp"])
def test_library_expectations_identical_to_one_process(name, fingerprint):
    path = MODELS / name
    prog = spec.load(str(path))
    cases = [expect_consts(prog, e) for e in prog.expects]
    if name == "migrate_page.mms":  # its "holds" cases take the tuple back end seconds
        cases = [c for c, e in zip(cases, prog.expects) if e.verdict != "holds"]
    assert cases
    for consts in cases:
        agree(path, consts, fingerprint=fingerprint)


@pytest.mark.slow
def test_migrate_page_holds_identically():
    one = agree(MODELS / "migrate_page.mms", tuple_too=False)
    assert one[:5] == ("holds", None, 203_760, one[3], one[4])


@pytest.mark.parametrize(
    "seed", [*range(12), *(pytest.param(s, marks=pytest.mark.slow) for s in range(12, 40))]
)
def test_random_specs_identical_to_one_process(seed):
    g = specgen.generate(seed)
    try:
        vector(g.text, symmetry=False, max_states=20_000)
    except UsageError:
        pytest.skip("the vector back end refuses this spec")
    for fingerprint in (False, True):
        agree(g.text, symmetry=False, max_states=20_000, fingerprint=fingerprint)


@pytest.mark.parametrize("max_states", [1, 7, 500, 3000, 9819, 9820, 9821])
def test_max_states_stops_at_the_same_state(max_states):
    """--max-states: the same states stored (the first in the single-process order),
    the same successors generated, the same verdict; the queue is not compared."""
    one = agree(FILTER, {"N": 4}, tuple_too=False, max_states=max_states)
    assert one[2] == min(max_states, 9820)


@pytest.mark.parametrize("max_depth", [0, 1, 5, 31, 32])
def test_max_depth_identical(max_depth):
    agree(FILTER, {"N": 4}, max_depth=max_depth)


@pytest.mark.parametrize(
    "consts", [{"FIXED": False}, {"FIXED": False, "VMAS": 1}, {"FIXED": False, "MLOCKED": True}]
)
def test_violation_cut_by_max_states(consts):
    """A bound that falls before, at and after the violating state."""
    path = MODELS / "mlock_munlock.mms"
    full = vector(path, consts)
    for bound in range(max(1, full.stats.distinct - 3), full.stats.distinct + 2):
        agree(path, consts, tuple_too=False, max_states=bound)


def test_keys_and_indices_beyond_32_bits():
    """An owner whose states sit past 2^32 in their level: keys are int64, generated
    counts are found by global index."""
    prog = spec.load(str(FILTER), {"N": 3})
    search = make_search(prog, CheckOptions(backend="vector"), Limits())
    vm = VectorModel(search)
    part = Partition(vm, search.deadlock, False, 0, 1, 4)
    init = np.array(search.initial_states(None), np.int64).T
    words = vm.layout.pack(init)
    got = part.receive([Outgoing(np.arange(words.shape[1]), vm.layout.fingerprints(words), words)])
    assert len(got.keys) == len(part) == words.shape[1]
    base = (1 << 33) + 5
    adopt(part, base + 2 * np.arange(len(got.keys), dtype=np.int64))
    level = part.expand()
    (out,) = level.outgoing
    k = len(vm.instances)
    assert out.keys.dtype == np.int64 and (np.diff(out.keys) > 0).all()
    assert (out.keys // k >= base).all() and ((out.keys // k - base) % 2 == 0).all()
    assert part.generated_before(base) == 0
    assert part.generated_before(base + 1) == part.generated_before(base + 2) > 0
    assert part.generated_before(1 << 40) == level.generated
    new = part.receive([out])
    assert (merge([new.keys]) == new.keys).all()
    assert (ranks(new.keys, []) == np.arange(len(new.keys))).all()


def adopt(part: Partition, global_index: np.ndarray) -> None:
    """`part` expands all its new states, at these global indices."""
    new, part.new, part.keys = part.new, [], []
    part.adopt([Handed(global_index, np.concatenate(new, axis=1))], 1 << 20)


def filter_level(parts: int, base: int) -> list[Outgoing]:
    """The filter lock's (N=3) fourth level expanded by owner 0 of `parts` holding all
    of it, at global indices from `base` up by 2 (one call of the kernel a state)."""
    prog = spec.load(str(FILTER), {"N": 3})
    search = make_search(prog, CheckOptions(backend="vector"), Limits())
    vm = VectorModel(search)
    part = Partition(vm, search.deadlock, False, 0, parts, 1)
    init = np.array(search.initial_states(None), np.int64).T
    words = vm.layout.pack(init)
    part.receive([Outgoing(np.arange(words.shape[1]), vm.layout.fingerprints(words), words)])
    size = words.shape[1]
    for _ in range(3):
        adopt(part, np.arange(size))
        size = len(part.receive(part.expand().outgoing).keys)
    adopt(part, base + 2 * np.arange(size, dtype=np.int64))
    return part.expand().outgoing


def test_successors_routed_to_their_owners_in_key_order():
    """Each owner's block is the successors of one owner's whole expansion that it owns,
    in the same order (keys past 2^32: int64), with their words."""
    base = (1 << 33) + 5
    (whole,) = filter_level(1, base)
    assert len(whole) > 20 and whole.keys.min() > 1 << 33
    for parts in (2, 3):
        blocks = filter_level(parts, base)
        dest = owner_of(whole.fps, parts)
        for j, block in enumerate(blocks):
            assert (block.keys == whole.keys[dest == j]).all()
            assert (block.fps == whole.fps[dest == j]).all()
            assert (block.words == whole.words[:, dest == j]).all()


def test_per_owner_counts_add_up():
    r = vector(FILTER, {"N": 4}, 2)
    assert r.stats.workers == 2 and r.stats.distinct == 9820


@pytest.mark.skipif(not hasattr(os, "memfd_create"), reason="memfds are Linux's")
def test_no_memfd_left_after_a_run():
    before = set(os.listdir("/proc/self/fd"))
    vector(FILTER, {"N": 4}, 3)
    assert set(os.listdir("/proc/self/fd")) <= before


def test_memory_limit_counts_the_workers():
    """The workers hold the visited set: a bound the main process alone stays under."""
    from mmcheck.explorer.core.limits import GIB, rss_bytes

    bound = (rss_bytes() + (48 << 20)) / GIB
    r = vector(FILTER, {"N": 6}, 2, memory_limit=bound, fingerprint=True)
    assert (r.verdict, r.reason) == ("incomplete", f"memory limit of {bound:g} GiB reached")
    assert 0 < r.stats.distinct < 5_914_662
