"""The owners of a partitioned search as Ray actors: `RayOwners` is the transport
(explorer.vector.partition.Owners) the vector engine drives, `Owner` the actor.

Each actor builds its own VectorModel from the program (compiling the kernels where it
runs: nothing compiled is pickled) and keeps one Partition: its share of the visited
set, and its states of the current and the next level. A slice of a level (the engine's,
explorer.vector.partition) is two rounds of calls, three at a level's first:
  - `hand_off` (the first slice): every actor is given the other actors' keys of the
    level, from which it finds the global indices of its new states
    (explorer.vector.partition.ranks), and returns one block per owner of those that
    owner expands, each its own object in Ray's object store (numpy arrays pickled out
    of band: an owner on the same node maps them without a copy, one on another node
    gets them from that node's store);
  - `expand`: every actor (handed the references of the blocks for it, at the first
    slice) expands its states of the slice and returns its report and one block of
    successors per owner, each its own object in the object store;
  - `receive`: every actor is handed the references of the blocks for it (Ray moves
    them before the call runs; its own block stayed in the actor) and stores, checks
    and reports its new states.
The driver never sees a state or a successor: it gets the reports (a key per new
state), merges them for the parent links while the actors expand, and hands each actor
the other actors' keys at the hand-off (8 bytes a state of the level to each actor).

Placement: the actors take one CPU each, in a placement group whose bundles are SPREAD
over the cluster's nodes (on a cluster with at least as many nodes as actors, one actor a
node). A cluster without the CPUs is a UsageError, one whose CPUs stay busy a Fault.

Faults: every wait is a loop of short `ray.wait`s polling the search's bounds, so a
signal or the time limit ends it (a Fault with the reason: INCOMPLETE); an actor that
dies (killed, its node lost, its process out of memory) fails the calls on it and the
objects it made, and the wait turns that into a Fault naming it ("worker N died
(...)", N from 1): the search stops INCOMPLETE with its statistics. A MemoryError
inside an actor is a MemoryError here. `close` kills every actor and removes the
placement group, however the run ends; only on a session the run did not start
(`keep`), after a run whose calls were all answered, it unloads them instead and keeps
them for the driver's next run with as many actors.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import ray
from ray.exceptions import RayActorError, RayError, RayTaskError
from ray.util.placement_group import PlacementGroup, placement_group, remove_placement_group
from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

from mmcheck.explorer.core.limits import Fault, Limits, rss_bytes
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.result import Stats
from mmcheck.explorer.tuple.bfs import make_search
from mmcheck.explorer.vector.model import VectorModel
from mmcheck.explorer.vector.partition import (
    Handed,
    LevelExpansion,
    NewStates,
    Outgoing,
    Partition,
)
from mmcheck.spec.errors import UsageError
from mmcheck.spec.ir import Program

WAIT = 0.1  # seconds between two polls of the bounds while waiting on the actors
PLACEMENT_TIMEOUT = 60.0  # seconds to wait for the cluster to place the actors


@dataclass
class Load:
    """What one actor has done so far, for the progress lines."""

    node: str  # its node's address
    node_id: str  # its node's Ray id (nodes of a simulated cluster share an address)
    pid: int
    rss: int = 0  # its resident set, bytes
    stored: int = 0  # states in its share of the visited set
    expanded: int = 0  # states it expanded
    busy: float = 0.0  # seconds spent in expand and receive
    sent: int = 0  # bytes of states and successors it sent to other owners, last level
    # (its last slice, in a level of several)


class Owner:
    """One owner in a Ray actor (created as ray.remote(Owner) by RayOwners): `load`
    gives it its partition of a run, `unload` drops it (the actor may serve the next
    run of the same driver)."""

    def __init__(self) -> None:
        node_id = ray.get_runtime_context().get_node_id()
        self.node = (ray.util.get_node_ip_address(), node_id, os.getpid())
        self.unload()

    def load(
        self,
        program: Program,
        options: CheckOptions,
        index: int,
        parts: int,
        keep_words: bool,
        chunk: int,
    ) -> Load:
        search = make_search(program, options, Limits())
        vm = VectorModel(search, options.cache)
        self.part = Partition(vm, search.deadlock, keep_words, index, parts, chunk)
        return self._report()

    def unload(self) -> None:
        self.part: Partition | None = None
        self.own: Outgoing | None = None  # its successors of the level expanded
        self.held: Handed | None = None  # its states of the level handed to itself
        self.work = Load(*self.node)

    def _partition(self) -> Partition:
        if self.part is None:
            raise RuntimeError("an owner was called before `load`")
        return self.part

    def _report(self) -> Load:
        self.work.rss = rss_bytes()
        self.work.stored = len(self.part) if self.part is not None else 0
        return self.work

    def seed(self, covers: Sequence[int], block: Outgoing) -> tuple[NewStates, Load]:
        t = time.perf_counter()
        new = self._partition().receive([block], covers)
        self.work.busy += time.perf_counter() - t
        return new, self._report()

    def hand_off(self, slice_: int, *others: np.ndarray) -> tuple:
        """(Load, one block per owner: its states of the next level that owner expands,
        see Partition.hand_off, with the other owners' keys of the level); its own stays
        here (None in its place), for `expand`."""
        t = time.perf_counter()
        part = self._partition()
        blocks: list[Handed | None] = list(part.hand_off(others, slice_))
        self.held, blocks[part.index] = blocks[part.index], None
        self.work.sent = sum(b.at.nbytes + b.words.nbytes for b in blocks if b is not None)
        self.work.busy += time.perf_counter() - t
        return (self._report(), *blocks)

    def expand(self, upto: int, first: bool, *handed: Handed) -> tuple:
        """(report without successors, Load, one block per owner): its own stays here
        (None in its place), for its `receive`. At a level's `first` slice, which ends
        at `upto` (the slices' length): adopt its own block of the hand-off and
        `handed`, the other owners' (Partition.adopt); `upto`: Partition.expand's."""
        t = time.perf_counter()
        part = self._partition()
        if first:
            held, self.held = self.held, None
            part.adopt([held, *handed] if held is not None else list(handed), upto)
        out = part.expand(upto)
        self.work.expanded += out.expanded
        self.work.sent = (self.work.sent if first else 0) + sum(
            b.keys.nbytes + b.fps.nbytes + b.words.nbytes
            for j, b in enumerate(out.outgoing)
            if j != part.index
        )
        blocks, out.outgoing = out.outgoing, []
        self.own, blocks[part.index] = blocks[part.index], None
        self.work.busy += time.perf_counter() - t
        return (out, self._report(), *blocks)

    def receive(self, covers: Sequence[int], *blocks: Outgoing) -> tuple[NewStates, Load]:
        """Take in the blocks of the other owners and its own."""
        t = time.perf_counter()
        own, self.own = self.own, None
        new = self._partition().receive([own, *blocks], covers)
        self.work.busy += time.perf_counter() - t
        return new, self._report()

    def generated_before(self, index: int) -> int:
        return self._partition().generated_before(index)


class RayOwners:
    """`parts` Owner actors on the connected Ray cluster: the transport the vector
    engine drives (explorer.vector.partition.Owners). `poll` polls the search's bounds
    while it waits: the reason to stop (a signal, the time limit), or None.
    `stats.per_worker` is kept up to date, a line per actor, for the progress display
    (explorer.report.progress)."""

    def __init__(
        self,
        program: Program,
        options: CheckOptions,
        parts: int,
        keep_words: bool,
        chunk: int,
        poll: Callable[[], str | None],
        stats: Stats,
        keep: bool = False,
    ) -> None:
        self.parts = parts
        self.stats = stats
        self.poll = poll
        self.keep = keep
        self.blocks: list[list] = []  # per sender, the references of its blocks per owner
        self.keys: list[list[np.ndarray]] = [[] for _ in range(parts)]  # the next level's
        self.loads: list[Load] = []
        self.group, self.actors = _SPARE.pop((_job(), parts), (None, []))
        self.sound = True  # no call failed or was left running: the actors can serve again
        try:
            if not self.actors:
                _drop_spares()  # their CPUs, for these
                self._place()
            shared = ray.put(program)
            loading = [
                a.load.remote(shared, options, j, parts, keep_words, chunk)
                for j, a in enumerate(self.actors)
            ]
            self._show(self._get(loading))
        except BaseException:  # a signal, an actor lost: leave nothing on the cluster
            self.sound = False
            self.close()
            raise

    def _place(self) -> None:
        """Place the actors, one CPU each, spread over the nodes."""
        parts = self.parts
        cpus = int(ray.cluster_resources().get("CPU", 0))
        if parts > cpus:
            raise UsageError(
                f"the Ray cluster cannot place {parts} actors of one CPU each (it has "
                f"{cpus} CPUs): use --workers {max(cpus, 1)} or fewer"
            )
        self.group = placement_group([{"CPU": 1}] * parts, strategy="SPREAD")
        ready = self.group.ready()
        deadline = time.monotonic() + PLACEMENT_TIMEOUT
        while not ray.wait([ready], timeout=WAIT)[0]:
            why = self.poll()
            if why:
                raise Fault(why)
            if time.monotonic() > deadline:
                raise Fault(
                    f"the Ray cluster did not place {parts} actors of one CPU each in "
                    f"{PLACEMENT_TIMEOUT:g} s (its CPUs are busy)"
                )
        actor = ray.remote(max_restarts=0, max_task_retries=0)(Owner)
        for j in range(parts):
            strategy = PlacementGroupSchedulingStrategy(self.group, placement_group_bundle_index=j)
            self.actors.append(actor.options(num_cpus=1, scheduling_strategy=strategy).remote())

    # --- waiting, and faults
    def _get(self, refs: list) -> list:
        """The values of `refs` (refs[j] a call on actor j), once all are ready."""
        self.sound = False  # until every call is answered
        pending = list(refs)
        while pending:
            why = self.poll()
            if why:
                raise Fault(why)
            _, pending = ray.wait(pending, num_returns=len(pending), timeout=WAIT)
        out = []
        for j, ref in enumerate(refs):
            try:
                out.append(ray.get(ref))
            except RayTaskError as e:
                if isinstance(e.cause, MemoryError):
                    raise MemoryError(str(e.cause)) from None
                raise e.as_instanceof_cause() from None
            except RayError as e:
                raise self._died(j, e) from None
        self.sound = True
        return out

    def _died(self, j: int, e: RayError) -> Fault:
        """The fault of actor j's call failing with `e`: that actor died, or the one
        whose blocks it was handed."""
        why = self.poll()
        if why:  # Ctrl-C reaches a local cluster's processes too
            return Fault(why)
        if isinstance(e, RayActorError) and e.actor_id is not None:
            ids = [a._actor_id.hex() for a in self.actors]
            if e.actor_id in ids:
                j = ids.index(e.actor_id)
        return Fault(f"worker {j + 1} died ({type(e).__name__})")

    # --- the Owners protocol
    def seed(self, blocks: list[Outgoing], covers: Sequence[int]) -> list[NewStates]:
        covers = list(covers)
        got = self._get([a.seed.remote(covers, b) for a, b in zip(self.actors, blocks)])
        return self._loaded(got)

    def expand(self, first: bool, upto: int, meanwhile: Callable[[], None]) -> list[LevelExpansion]:
        handed: list[list] = [[] for _ in self.actors]  # for each owner, its blocks
        if first:
            keys = [ray.put(np.concatenate(k) if k else np.empty(0, np.int64)) for k in self.keys]
            self.keys = [[] for _ in self.actors]
            offs = [
                a.hand_off.options(num_returns=self.parts + 1).remote(
                    upto, *[k for i, k in enumerate(keys) if i != j]
                )
                for j, a in enumerate(self.actors)
            ]
            del keys  # the calls hold them: the store frees them once they are done
            self._show(self._get([c[0] for c in offs]))
            handed = [[c[j + 1] for i, c in enumerate(offs) if i != j] for j in range(self.parts)]
        calls = [
            a.expand.options(num_returns=self.parts + 2).remote(upto, first, *h)
            for a, h in zip(self.actors, handed)
        ]
        self.blocks = [c[2:] for c in calls]
        meanwhile()
        self._show(self._get([c[1] for c in calls]))
        return self._get([c[0] for c in calls])

    def receive(self, covers: Sequence[int]) -> list[NewStates]:
        covers = list(covers)
        calls = [
            a.receive.remote(covers, *[sent[j] for i, sent in enumerate(self.blocks) if i != j])
            for j, a in enumerate(self.actors)
        ]
        self.blocks = []
        return self._loaded(self._get(calls))

    def _loaded(self, got: list[tuple[NewStates, Load]]) -> list[NewStates]:
        """The reports of a `seed` or `receive`; their keys are kept for the hand-off."""
        self._show([load for _, load in got])
        for keys, (new, _) in zip(self.keys, got):
            keys.append(new.keys)
        return [new for new, _ in got]

    def _show(self, loads: list[Load]) -> None:
        self.loads = loads
        self.stats.per_worker = [  # type: ignore[attr-defined]
            f"worker {j + 1} on {x.node} (node {x.node_id[:8]}, pid {x.pid}): "
            f"{x.stored:,} states stored, "
            f"{x.expanded / x.busy if x.busy else 0:,.0f} states/s expanded, "
            f"{x.rss / (1 << 20):,.0f} MiB resident, {x.sent / 1e6:,.1f} MB sent last level"
            for j, x in enumerate(loads)
        ]

    def generated_before(self, index: int) -> int:
        return sum(self._get([a.generated_before.remote(index) for a in self.actors]))

    def stored(self) -> list[int]:
        return [load.stored for load in self.loads]

    def close(self) -> None:
        """Kill the actors and free their CPUs; or, with `keep` and every call answered,
        unload them and keep them for this driver's next run with as many."""
        self.blocks = []
        if self.keep and self.sound and self.actors:
            with contextlib.suppress(Fault, RayError):
                self._get([a.unload.remote() for a in self.actors])
                _SPARE[_job(), self.parts] = (self.group, self.actors)
                self.actors, self.group = [], None
                return
        _end(self.group, self.actors)
        self.actors = []
        self.group = None


# Actors of finished runs, by (job, number of actors): a driver that keeps its Ray
# session (explorer.ray.engine) starts its next run without starting processes.
_SPARE: dict[tuple[str, int], tuple[PlacementGroup | None, list]] = {}


def _job() -> str:
    return ray.get_runtime_context().get_job_id()


def _drop_spares() -> None:
    while _SPARE:
        _end(*_SPARE.popitem()[1])


def _end(group: PlacementGroup | None, actors: list) -> None:
    """Kill the actors and free their CPUs."""
    with contextlib.suppress(RayError):  # a cluster lost has nothing left to end
        for a in actors:
            ray.kill(a, no_restart=True)
        if group is not None:
            remove_placement_group(group)
