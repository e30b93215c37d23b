"""The model every engine explores: the `Model` protocol, and what its implementations share.

A state is a tuple of ints, one per slot of `program.slots`. Every transition of the
program is an *edge*: one action with one value for each of its parameters, numbered
0 .. n_edges-1 in action order and, inside an action, in the order of its parameter
values (the first parameter varies slowest); the edges of one action form an
`EdgeGroup`. Back ends store an edge number per state as its parent link and rebuild
traces by re-executing edges from an initial state (`Model.replay`).

An implementation provides the primitives (the tuple back end's is
explorer.tuple.model.CompiledModel, over the Python module explorer.tuple.translate
generates):
  init_choices() -> iterator of states: every initial state, in the order of the init
      choices (duplicates possible), and None after every few thousand choices (a
      pause, in which a search polls its bounds however few choices pass the guard).
      The init action's updates are applied in order to a zeroed state, each reading
      the state built so far; its guard and checks are then evaluated on the built state.
  successors(s) -> list of (edge, state): every enabled edge of s with its successor,
      in edge order. Raises EvalError on the first check failure or runtime error;
      `first_error` then finds the edge that raised.
  step(edge, s) -> state or None (edge disabled in s); may raise EvalError.
  first_error(s) -> (edge, EvalError) of the first edge that raises from s, or None.
  invariants: one (Invariant, function) per Program.invariants entry, the function
      s -> truthy when it holds; all_hold(chosen): for some of them, a function s ->
      truthy where all of the chosen hold, evaluated at once.
  constraints, constraints_ok(s): the same for Program.constraints (evaluated in order:
      an error in one is raised only where the earlier ones hold).
  covers: one (Invariant, function) per Program.covers entry, s -> truthy where it holds.
  branch_tests() -> per action, per ir.Action.branches entry, a function
      (s, *params) -> truthy where an edge with those parameters takes the branch
      (compiled on demand: branch coverage only).
  terminal(s): Program.terminal holds (False if the program has none).
  all_done(s): the program has processes and every instance is at Done.
  fingerprint(s): a 64-bit hash of s, without systematic collisions.
and inherits, by subclassing `Model`, what is written once over them: iter_init and
init_states (the initial states without pauses), decode, is_deadlock, the trace steps
(trace_step, failed_step, replay) and the dependency matrix (deps).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from mmcheck.explorer.core.result import FailedStep, Step
from mmcheck.spec.errors import Loc
from mmcheck.spec.ir import Action, Invariant, Program, const_int, instance_name
from mmcheck.spec.slots import slot_sets

State = tuple[int, ...]


class EvalError(Exception):
    """A runtime error of the spec: kind "domain", "div", "range" or a Check's kind.

    Raised by the generated code; also importable as explorer.tuple.translate.EvalError."""

    def __init__(self, kind: str, loc: Loc | None, message: str) -> None:
        super().__init__(f"{loc}: {message}" if loc else message)
        self.kind = kind
        self.loc = loc
        self.message = message


@dataclass(frozen=True)
class EdgeGroup:
    """The edges of one action: `base` .. `base + count - 1`."""

    action: Action
    base: int
    count: int
    los: tuple[int, ...]  # low bound of each parameter's domain
    sizes: tuple[int, ...]  # size of each parameter's domain

    def params(self, offset: int) -> tuple[int, ...]:
        """The parameter values of edge `base + offset`."""
        values = []
        for lo, size in zip(reversed(self.los), reversed(self.sizes)):
            offset, r = divmod(offset, size)
            values.append(lo + r)
        return tuple(reversed(values))


def edge_groups(program: Program) -> tuple[EdgeGroup, ...]:
    groups = []
    base = 0
    for a in program.actions:
        los = tuple(const_int(p.type.lo) for p in a.params)
        sizes = tuple(max(const_int(p.type.hi) - lo + 1, 0) for p, lo in zip(a.params, los))
        count = 1
        for n in sizes:
            count *= n
        groups.append(EdgeGroup(a, base, count, los, sizes))
        base += count
    return tuple(groups)


@dataclass(frozen=True)
class Deps:
    """One row of the dependency matrix (LTSmin's PINS): the slots an action's edges may
    read (in the guard, checks or updates) and may write. Two actions neither of which
    writes a slot the other reads or writes commute: the ground of partial-order
    reduction."""

    reads: frozenset[int]
    writes: frozenset[int]


class Model(Protocol):
    """What every engine needs of a model (see the module's docstring). The primitives
    are declared as attributes so that an implementation may hold plain functions; the
    other members are written here once, over the primitives, for an implementation to
    inherit by subclassing Model explicitly."""

    program: Program
    groups: tuple[EdgeGroup, ...]
    invariants: tuple[tuple[Invariant, Callable[[State], object]], ...]
    init_choices: Callable[[], Iterator[State | None]]
    successors: Callable[[State], list[tuple[int, State]]]
    all_hold: Callable[[Iterable[Invariant]], Callable[[State], object]]
    constraints: tuple[tuple[Invariant, Callable[[State], object]], ...]
    constraints_ok: Callable[[State], object]
    covers: tuple[tuple[Invariant, Callable[[State], object]], ...]
    branch_tests: Callable[[], tuple[tuple[Callable[..., object], ...], ...]]
    terminal: Callable[[State], bool]
    all_done: Callable[[State], bool]
    fingerprint: Callable[[State], int]

    def step(self, edge: int, state: State) -> State | None: ...

    def first_error(self, state: State) -> tuple[int, EvalError] | None: ...

    # --- written once, over the primitives
    @property
    def n_edges(self) -> int:
        return self.groups[-1].base + self.groups[-1].count if self.groups else 0

    def iter_init(self) -> Iterator[State]:
        return (s for s in self.init_choices() if s is not None)

    def init_states(self) -> list[State]:
        return list(self.iter_init())

    def group_of(self, edge: int) -> EdgeGroup:
        lo, hi = 0, len(self.groups) - 1
        while lo < hi:  # the last group whose base <= edge
            mid = (lo + hi + 1) // 2
            if self.groups[mid].base <= edge:
                lo = mid
            else:
                hi = mid - 1
        return self.groups[lo]

    def decode(self, edge: int) -> tuple[Action, tuple[int, ...]]:
        g = self.group_of(edge)
        return g.action, g.params(edge - g.base)

    def is_deadlock(self, state: State) -> bool:
        """For a state with no successor: is stopping there a deadlock?"""
        return not self.terminal(state) and not self.all_done(state)

    def deps(self) -> tuple[Deps, ...]:
        """The dependency matrix: one row per edge group, in group order."""
        return tuple(Deps(*slot_sets(self.program, g.action)) for g in self.groups)

    # --- trace steps
    def _describe(self, edge: int) -> dict:
        action, values = self.decode(edge)
        params = tuple((p.name, v) for p, v in zip(action.params, values))
        instance = None
        if action.process is not None:
            proc = next(p for p in self.program.processes if p.name == action.process)
            index = dict(params).get("self") if proc.index is not None else None
            instance = instance_name(proc, index)
        return {
            "action": action.name,
            "params": params,
            "process": action.process,
            "instance": instance,
            "label": action.label,
        }

    def trace_step(self, edge: int | None, state: State) -> Step:
        if edge is None:
            return Step(None, (), state)
        d = self._describe(edge)
        return Step(state=state, loc=self.decode(edge)[0].loc, **d)

    def failed_step(self, edge: int) -> FailedStep:
        return FailedStep(**self._describe(edge))

    def replay(self, initial: State, edges: list[int]) -> list[Step]:
        """The trace from `initial` following `edges` (each must be enabled)."""
        steps = [self.trace_step(None, initial)]
        state = initial
        for e in edges:
            nxt = self.step(e, state)
            if nxt is None:
                raise RuntimeError(f"edge {e} is not enabled while replaying a trace")
            state = nxt
            steps.append(self.trace_step(e, state))
        return steps
