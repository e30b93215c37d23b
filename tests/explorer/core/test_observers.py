"""Observers (explorer.core.observers): the tuple back end's BFS and random walks tell
each of them of every expanded state, once, with its successors; coverage is one."""

from mmcheck import spec
from mmcheck.explorer.core.coverage import Coverage
from mmcheck.explorer.core.limits import Limits
from mmcheck.explorer.core.observers import notifier
from mmcheck.explorer.core.search import Search
from mmcheck.explorer.tuple.bfs import _bfs
from mmcheck.explorer.tuple.simulate import _simulate
from mmcheck.explorer.tuple.translate import compile_model

COUNTERS = """spec Counters
var a : 0..2 = 0
var b : 0..2 = 0
action inc_a when a < 2 a' = a + 1
action inc_b when b < 2 b' = b + 1
terminal a == 2 and b == 2
"""


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def expanded(self, state: tuple, successors: list) -> None:
        self.calls.append((state, list(successors)))


def search(coverage: bool = False) -> Search:
    model = compile_model(spec.load(COUNTERS))
    return Search(
        model,
        list(model.invariants),
        True,
        Limits(),
        coverage=Coverage(model) if coverage else None,
    )


def test_notifier():
    assert notifier([]) is None
    one, two = Recorder(), Recorder()
    assert notifier([one]) == one.expanded
    notifier([one, two])((0,), [(1, (1,))])
    assert one.calls == two.calls == [((0,), [(1, (1,))])]


def test_bfs_tells_of_every_expanded_state_once():
    s = search(coverage=True)
    rec = Recorder()
    s.observers.append(rec)
    r = _bfs(s, s.initial(None), False, None, None)
    assert r.stats.distinct == 9
    states = [state for state, _ in rec.calls]
    assert len(states) == len(set(states)) == 8  # all but (2, 2), which has no successor
    assert all(succ == s.model.successors(state) for state, succ in rec.calls)
    taken = {c.action: c.taken for c in r.coverage}
    assert taken == {"inc_a": 6, "inc_b": 6}


def test_walks_tell_of_each_step():
    s = search()
    rec = Recorder()
    s.observers.append(rec)
    _simulate(s, s.model.init_states(), walks=3, seed=1, depth=10)
    assert len(rec.calls) == 3 * 4  # each walk: four steps to (2, 2)
    assert all(succ == s.model.successors(state) for state, succ in rec.calls)
