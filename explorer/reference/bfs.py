"""Naive breadth-first exploration with the reference interpreter, and its `check`.

Levels of encoded states, a dict of every state reached, the edges between them and
the step errors of each state: enough for differential tests to ask whether a back
end's state, transition or error exists here too. Every violation of the shortest
length is collected (the level that finds one is finished, and deadlocks one level
further are looked for when an error or invariant violation ends a level), with one
shortest trace as a Result that every printer takes. A state a constraint cuts is
generated but neither stored nor an edge's end. Cost: a few thousand states a
second (Python objects and the AST walked for every step); for cross-checks, not for
large models.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from mmcheck.explorer.core.limits import Limits
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.result import (
    HOLDS,
    INCOMPLETE,
    VIOLATED,
    Cover,
    FailedStep,
    Result,
    Stats,
    Step,
    Violation,
)
from mmcheck.explorer.reference import liveness
from mmcheck.explorer.reference.evaluate import Fault
from mmcheck.explorer.reference.machine import Reference, RState, Transition
from mmcheck.spec import ast
from mmcheck.spec.errors import Loc, UsageError, unknown_invariant
from mmcheck.spec.ir import Program

POLL_EVERY = 1024  # states expanded between two polls of the limits

Encoded = tuple[int, ...]
Found = tuple[str, str | None, Loc | None]  # (kind, invariant name or None, loc)


@dataclass
class Exploration:
    ref: Reference
    verdict: str = HOLDS
    distinct: int = 0
    generated: int = 0
    depth: int = 0
    shortest: int | None = None
    violations: set[Found] = field(default_factory=set)
    states: dict[Encoded, RState] = field(default_factory=dict)
    reason: str | None = None
    result: Result | None = None
    initial: set[Encoded] = field(default_factory=set)
    edges: dict[Encoded, set[Encoded]] = field(default_factory=lambda: defaultdict(set))
    errors: dict[Encoded, set[tuple[str, Loc]]] = field(default_factory=lambda: defaultdict(set))
    # the first transition into each state (None for an initial state), for traces
    parent: dict[Encoded, tuple[Encoded, Transition] | None] = field(default_factory=dict)

    def is_transition(self, pre: Encoded, post: Encoded) -> bool:
        return post in self.edges.get(pre, ())

    def faults_from(self, pre: Encoded) -> set[tuple[str, Loc]]:
        return set(self.errors.get(pre, ()))

    def is_initial(self, t: Encoded) -> bool:
        return t in self.initial


class _Search:
    """One exploration: the levels, the violations found by length, and the first
    witness of each length for the trace."""

    def __init__(
        self,
        ref: Reference,
        deadlock: bool,
        invariants: list[str],
        max_depth: int | None,
        max_states: int | None,
        limits: Limits,
        properties: list[ast.PropertyDecl] | None = None,
    ) -> None:
        self.ref, self.deadlock, self.invariants = ref, deadlock, invariants
        self.properties = properties or []
        self.max_depth, self.max_states, self.limits = max_depth, max_states, limits
        self.ex = Exploration(ref)
        self.found: dict[int, set[Found]] = defaultdict(set)
        # length -> (state the trace ends at or None, failed transition or None, fault)
        self.witness: dict[int, tuple[Encoded | None, Transition | None, Fault]] = {}
        self.stats = Stats(backend="reference")
        # each cover's first state (states are added level by level: a shallowest one)
        self.unreached = [d.name for d in ref.sym.covers]
        self.witnessed: dict[str, Encoded] = {}

    def note(
        self,
        length: int,
        faults: list[Fault] | tuple[Fault, ...],
        at: Encoded | None,
        failed: Transition | None = None,
    ) -> None:
        for f in faults:
            self.found[length].add((f.kind, f.name, f.loc))
        if faults and length not in self.witness:
            self.witness[length] = (at, failed, faults[0])

    def add(
        self, t: RState, parent: tuple[Encoded, Transition] | None, depth: int, nxt: list[Encoded]
    ) -> None:
        ex = self.ex
        e = self.ref.encode(t)
        if e in ex.states:
            return
        ex.states[e] = t
        ex.parent[e] = parent
        nxt.append(e)
        self.note(depth, self.ref.invariant_faults(t, self.invariants), e)
        if self.unreached:
            for name in self.ref.covered(t, self.unreached):
                self.witnessed[name] = e
                self.unreached.remove(name)

    def expand(self, e: Encoded, depth: int, nxt: list[Encoded] | None) -> bool:
        """Transitions of a state at `depth`; new states go to `nxt` (None: only look
        for a deadlock). False if a new state was left out at the depth bound."""
        ref, ex = self.ref, self.ex
        ts = ref.transitions(ex.states[e])
        if not ts and self.deadlock:
            self.note(depth, ref.stuck_faults(ex.states[e]), e)
        if nxt is None:
            return True
        complete = True
        for t in ts:
            if t.target is None:
                ex.errors[e] |= {(f.kind, f.loc) for f in t.faults}
                if self.max_depth is not None and depth >= self.max_depth:
                    complete = False
                else:
                    self.note(depth + 1, t.faults, e, t)
                continue
            self.stats.generated += 1
            if ref.cut(t.target):  # not in the state space: no state, no edge
                continue
            post = ref.encode(t.target)
            ex.edges[e].add(post)
            if post in ex.states:
                continue
            if self.max_depth is not None and depth >= self.max_depth:
                complete = False
                continue
            if self.max_states is not None and len(ex.states) >= self.max_states:
                raise _Stop(f"max states {self.max_states} reached")
            self.add(t.target, (e, t), depth + 1, nxt)
        return complete

    def run(self) -> Exploration:
        ex, ref = self.ex, self.ref
        level: list[Encoded] = []
        try:
            self.poll()
            for t in ref.init_transitions():
                if t.target is None:
                    self.note(0, t.faults, None)
                    continue
                self.stats.generated += 1
                if ref.cut(t.target):
                    continue
                self.add(t.target, None, 0, level)
                ex.initial.add(ref.encode(t.target))
            if self.found[0] and not level:
                return self.finish(0)
            depth, polls, complete = 0, POLL_EVERY, True
            while level:
                self.stats.depth = depth
                nxt: list[Encoded] = []
                for e in level:
                    polls -= 1
                    if not polls:
                        polls = POLL_EVERY
                        self.poll()
                    complete = self.expand(e, depth, nxt) and complete
                if self.found[depth]:
                    return self.finish(depth)
                if self.found[depth + 1]:
                    for e in nxt:  # deadlocks of the same length
                        self.expand(e, depth + 1, None)
                    return self.finish(depth + 1)
                level = nxt
                depth += 1 if level else 0
            if not complete:
                raise _Stop(f"max depth {self.max_depth} reached")
            return self.finish(None)
        except _Stop as stop:
            lengths = [n for n, f in self.found.items() if f]
            return self.finish(min(lengths) if lengths else None, stop.reason)

    def poll(self) -> None:
        self.stats.distinct = len(self.ex.states)
        reason = self.stop_reason()
        if reason:
            raise _Stop(reason)

    def stop_reason(self) -> str | None:
        """Why the run must stop now (a bound or a signal), or None: for the properties'
        check, which ends the run itself."""
        return self.limits.poll(self.stats)

    def finish(self, shortest: int | None, reason: str | None = None) -> Exploration:
        ex, stats = self.ex, self.stats
        stats.distinct = ex.distinct = len(ex.states)
        ex.generated, ex.depth = stats.generated, stats.depth
        violation = None
        if shortest is None and reason is None and self.properties:
            # safety first: the properties of a complete search with no violation
            violation, stats.sccs, reason = liveness.check(self, self.properties)
            if violation is not None:
                ex.verdict = VIOLATED
                ex.violations = {(violation.kind, violation.name, violation.loc)}
        self.limits.finish(stats)
        if shortest is not None:
            ex.verdict, ex.shortest = VIOLATED, shortest
            ex.violations = set(self.found[shortest])
            violation = self.violation(*self.witness[shortest])
            stats.depth = max(stats.depth, len(violation.trace) - 1)
        elif reason is not None:
            ex.verdict, ex.reason = INCOMPLETE, reason
        consts = tuple(
            (n, v if isinstance(v, bool) else int(v))  # type: ignore[call-overload]
            for n, v in ref_consts(self.ref)
        )
        covers = [
            Cover(d.name, d.loc, tuple(self.trace(self.witnessed[d.name])))
            if d.name in self.witnessed
            else Cover(d.name, d.loc)
            for d in self.ref.sym.covers
        ]
        ex.result = Result(
            ex.verdict,
            stats,
            violation,
            ex.reason,
            None,
            self.ref.program.name,
            consts,
            covers=covers,
            program=self.ref.program,
        )
        return ex

    # ------------------------------------------------------------------ traces
    def trace(self, e: Encoded) -> list[Step]:
        steps: list[Step] = []
        at: Encoded | None = e
        while at is not None:
            link = self.ex.parent[at]
            if link is None:
                steps.append(Step(None, (), at))
                at = None
            else:
                pre, t = link
                steps.append(self.step(t, at))
                at = pre
        return steps[::-1]

    def step(self, t: Transition, post: Encoded) -> Step:
        """The step of transition t, to the state post."""
        return Step(
            t.action,
            self.params(t),
            post,
            process=process_of(t),
            instance=t.instance,
            label=t.label,
        )

    def params(self, t: Transition) -> tuple[tuple[str, int], ...]:
        """The parameter values as the IR numbers them: an enum value by its place among
        its parameter type's names (two enums may share a value name)."""
        program = self.ref.program
        decl = next((a for a in (program.init, *program.actions) if a.name == t.action), None)
        types = {p.name: p.type for p in decl.params} if decl else {}
        out = []
        for n, v in t.params:
            st = types.get(n)
            if isinstance(v, str) and st is not None and v in st.names:
                v = st.lo.value + st.names.index(v)  # type: ignore[union-attr]
            elif isinstance(v, str):
                v = self.ref.sym.enum_index[v]
            out.append((n, int(v)))  # type: ignore[call-overload]
        return tuple(out)

    def violation(self, at: Encoded | None, failed: Transition | None, f: Fault) -> Violation:
        steps = self.trace(at) if at is not None else []
        step = None
        if failed is not None:
            step = FailedStep(
                failed.action,
                self.params(failed),
                process_of(failed),
                failed.instance,
                failed.label,
            )
        return Violation(f.kind, f.name, f.message, f.loc, tuple(steps), step)


class _Stop(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


def process_of(t: Transition) -> str | None:
    return t.action.split(".")[0] if t.label is not None else None


def ref_consts(ref: Reference) -> list[tuple[str, object]]:
    return list(ref.sym.consts.items())


def explore(
    ref: Reference,
    *,
    deadlock: bool = True,
    invariants: list[str] | None = None,
    max_depth: int | None = None,
    max_states: int | None = None,
    limits: Limits | None = None,
    lemmas: bool = False,
    properties: Sequence[str] | None = None,
) -> Exploration:
    """Explore every state of `ref` reachable within the bounds, checking the invariants
    named (default: every one declared `invariant`) and, if `lemmas`, every `lemma`;
    then, if the search is complete and finds no violation, the temporal properties
    named (default: every one declared) by brute force (reference.liveness)."""
    if invariants is not None:
        have = [d.name for d in ref.sym.invariants]
        unknown = [n for n in invariants if n not in have]
        if unknown:
            raise unknown_invariant(unknown[0], have)
    chosen = [
        d.name
        for d in ref.sym.invariants
        if (lemmas and d.lemma) or (d.name in invariants if invariants is not None else not d.lemma)
    ]
    search = _Search(
        ref,
        deadlock,
        chosen,
        max_depth,
        max_states,
        limits or Limits(),
        liveness.chosen(ref, properties),
    )
    with search.limits.catching_signals():
        return search.run()


def check(
    source: Program | str | os.PathLike,
    consts: dict | None,
    options: CheckOptions,
    limits: Limits,
    initial: Iterable[tuple[int, ...]] | None = None,
) -> Result:
    """`explorer.check(..., backend="reference")`, once the registry's entry
    (reference.backend) has refused the options the reference does not support."""
    if initial is not None:
        raise UsageError("the reference back end does not support initial states given (initial=)")
    if isinstance(source, Program):  # reload its file with the same constants
        if not os.path.exists(source.file):
            raise UsageError(
                "the reference back end needs the spec's file or text, not a "
                "Program built from text"
            )
        consts = {c.name: bool(c.value) if c.type.is_bool else c.value for c in source.consts}
        source = source.file
    ref = Reference(source, consts)
    limits.restart()
    ex = explore(
        ref,
        deadlock=options.deadlock,
        invariants=list(options.invariants) if options.invariants is not None else None,
        max_depth=options.max_depth,
        max_states=options.max_states,
        limits=limits,
        lemmas=options.lemmas,
        properties=options.properties,
    )
    assert ex.result is not None
    if options.symmetry and ref.program.symmetric:
        ex.result.warnings.append("the reference back end does no symmetry reduction")
    return ex.result
