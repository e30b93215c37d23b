"""Partial-order reduction: which of a state's enabled edges a search may expand alone.

A *strong stubborn set* (Valmari, "Stubborn sets for reduced state space generation",
Advances in Petri Nets 1990; the conditions as Godefroid's persistent sets, LNCS 1032)
is computed at each expanded state s over the edges of the model (explorer.core.model:
one action with its parameters), enabled or not:

  D0  it contains an edge enabled in s (when one is);
  D1  for each edge in it disabled in s, a necessary enabling set: every edge that
      writes a slot read by the guard's conjuncts up to the first one false in s (no
      sequence of other edges can make that prefix true, nor make it fail);
  D2  for each edge in it enabled in s, every edge dependent on it: one that writes a
      slot the other reads or writes. Two independent edges commute, neither enables,
      disables or changes the errors of the other (each reads the same slots either way).

The reduced expansion of s is the set's enabled edges, and it is used only if it is
smaller than the full one and contains no *visible* edge (one that writes a slot read
by a checked invariant, a state constraint or a cover). The search adds the cycle
proviso (explorer.tuple.bfs): a state any of whose reduced successors was already
visited at its own level or above is fully expanded, so that every cycle of the
reduced graph has a fully expanded state (no edge is ignored forever).

Read and write sets are those of each edge instance (parameters substituted: the pc of
process instance 1 and that of instance 2 are different slots): an index that depends
on the parameters only is evaluated once, here; one that depends on the state stands
for every slot of its array. docs/guarantees.md says what is preserved and why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from mmcheck.explorer.core.model import EvalError, Model, State
from mmcheck.explorer.core.writes import NotEvaluable, evaluate
from mmcheck.spec import ir
from mmcheck.spec.fold import conjuncts, operands, reads_state

# compiles an expression of an action into a function (state, *param values) -> value
CompileExpr = Callable[[ir.Program, ir.Expr, tuple[str, ...]], Callable[..., object]]


class _Slots:
    """The slots read by expressions of one edge, its parameters bound to values."""

    def __init__(self, program: ir.Program, env: Mapping[str, int]) -> None:
        self.program = program
        self.env = env
        self.memo: dict[tuple[int, tuple[tuple[str, int], ...]], frozenset[int]] = {}

    def index(self, var: str, index: tuple[ir.Expr, ...], env: Mapping[str, int]) -> set[int]:
        """The slots var[index] may be: one if the index evaluates without the state
        (none if it is outside the array: a domain error, that reads nothing), else all."""
        try:
            if not any(map(reads_state, index)):
                at = tuple(evaluate(self.program, i, (), env) for i in index)
                try:
                    return {self.program.slot_index(var, at)}
                except IndexError:
                    return set()
        except (NotEvaluable, KeyError):  # a bound variable not known here, a div error
            pass
        return set(self.program.var_slots(var))

    def reads(self, e: ir.Expr, env: Mapping[str, int] | None = None) -> frozenset[int]:
        env = self.env if env is None else env
        key = (id(e), tuple(sorted(env.items())))  # expressions are shared DAGs
        found = self.memo.get(key)
        if found is not None:
            return found
        out: set[int] = set()
        if isinstance(e, ir.Read):
            out |= self.index(e.var, e.index, env)
        if isinstance(e, ir.Quant):
            out |= self.reads(e.lo, env) | self.reads(e.hi, env)
            inner = {k: v for k, v in env.items() if k != e.var}  # the bound name shadows
            try:
                lo, hi = (evaluate(self.program, x, (), env) for x in (e.lo, e.hi))
                values: Iterable[int] = range(lo, hi + 1) if hi - lo < 256 else ()
                whole = hi - lo >= 256
            except (NotEvaluable, KeyError):
                values, whole = (), True
            for v in values:
                out |= self.reads(e.body, {**inner, e.var: v})
            if whole:  # every index that depends on the bound variable: whole arrays
                out |= self.reads(e.body, inner)
        else:
            for x in operands(e):
                out |= self.reads(x, env)
        result = self.memo[key] = frozenset(out)
        return result


def edge_slots(
    program: ir.Program, action: ir.Action, values: tuple[int, ...]
) -> tuple[frozenset[int], frozenset[int], tuple[frozenset[int], ...]]:
    """(reads, writes, reads of each guard conjunct) of one edge of `action`."""
    env = {p.name: v for p, v in zip(action.params, values)}
    sl = _Slots(program, env)
    r: set[int] = set()
    conj = tuple(sl.reads(c) for c in conjuncts(action.guard))
    r.update(*conj)
    for c in action.checks:
        r |= sl.reads(c.cond)
    w: set[int] = set()
    for u in action.updates:
        r |= sl.reads(u.cond)
        if isinstance(u, ir.Assign):
            r |= sl.reads(u.value)
            for i in u.index:
                r |= sl.reads(i)
            w |= sl.index(u.var, u.index, env)
        else:  # the indices unbound in the value: every slot of the arrays they index
            r |= sl.reads(u.value, {k: v for k, v in env.items() if k not in u.params})
            w |= set(program.var_slots(u.var))
    return frozenset(r), frozenset(w), conj


class Reducer:
    """The stubborn sets of one model, for the `visible` slots (see the module), and the
    slots of the covers until `covers_reached` (a cover reached needs nothing more)."""

    def __init__(
        self,
        model: Model,
        visible: frozenset[int],
        compile_expr: CompileExpr,
        covers: frozenset[int] = frozenset(),
    ) -> None:
        program = model.program
        reads: list[frozenset[int]] = []
        writes: list[frozenset[int]] = []
        self.params: list[tuple[int, ...]] = []
        # per edge: its guard's conjuncts, as tests and as the slots each reads
        conj_tests: list[list[Callable[..., object]]] = []
        conj_reads: list[tuple[frozenset[int], ...]] = []
        for g in model.groups:
            names = tuple(p.name for p in g.action.params)
            fns = [compile_expr(program, c, names) for c in conjuncts(g.action.guard)]
            for off in range(g.count):
                values = g.params(off)
                r, w, conj = edge_slots(program, g.action, values)
                reads.append(r)
                writes.append(w)
                self.params.append(values)
                conj_tests.append(fns)
                conj_reads.append(conj)
        writers: dict[int, set[int]] = {}
        readers: dict[int, set[int]] = {}
        for e, (r, w) in enumerate(zip(reads, writes)):
            for x in w:
                writers.setdefault(x, set()).add(e)
            for x in r:
                readers.setdefault(x, set()).add(e)

        def writing(slots: Iterable[int]) -> frozenset[int]:
            return frozenset().union(*(writers.get(x, ()) for x in slots))

        # per edge, per guard conjunct: its test and the writers of the slots read by it
        # and by the conjuncts before it (D1's set where it is the first false one)
        self.tests: list[tuple[tuple[Callable[..., object], frozenset[int]], ...]] = []
        for fns, conj in zip(conj_tests, conj_reads):
            prefix: set[int] = set()
            tests = []
            for fn, c in zip(fns, conj):
                prefix |= c
                tests.append((fn, writing(prefix)))
            self.tests.append(tuple(tests))
        self.guard_writers = [t[-1][1] if t else frozenset() for t in self.tests]
        self.dependent: list[frozenset[int]] = []
        for e, (r, w) in enumerate(zip(reads, writes)):
            dep: set[int] = set()
            for x in w:
                dep |= writers[x] | readers.get(x, set())
            dep |= writing(r)
            dep.discard(e)
            self.dependent.append(frozenset(dep))
        self.always = [bool(w & visible) for w in writes]
        self.visible = [bool(w & (visible | covers)) for w in writes]
        self.inert = all(self.visible)  # no edge can seed a reduced set
        self.reads, self.writes = reads, writes

    def covers_reached(self) -> None:
        self.visible = self.always
        self.inert = all(self.visible)

    def enabling(self, edge: int, state: State) -> frozenset[int]:
        """D1: the writers of the guard's conjuncts up to the first false in `state`."""
        params = self.params[edge]
        try:
            for fn, prefix in self.tests[edge]:
                if not fn(state, *params):
                    return prefix
        except EvalError:
            pass  # not where the search expands: every guard evaluated there
        return self.guard_writers[edge]

    def reduce(self, state: State, successors: list[tuple[int, State]]) -> list[int] | None:
        """The positions in `successors` (the (edge, successor) pairs of the edges enabled
        in `state`, in edge order) of a smallest stubborn set's enabled edges found from
        one seed each, if smaller than all of them and without a visible edge; None if
        there is none such."""
        visible = self.visible
        if self.inert or len(successors) < 2 or all(visible[e] for e, _ in successors):
            return None  # no seed
        enabled = [e for e, _ in successors]
        en = {e: i for i, e in enumerate(enabled)}
        dependent, enabling = self.dependent, self.enabling
        best: list[int] | None = None
        bound = len(enabled)  # a set must have fewer enabled edges than this to be better
        for seed in enabled:
            if visible[seed]:
                continue
            chosen = [seed]
            stubborn = {seed}
            work = [seed]
            ok = True
            while work and ok:
                t = work.pop()
                for u in dependent[t] if t in en else enabling(t, state):
                    if u in stubborn:
                        continue
                    if u in en:
                        if visible[u] or len(chosen) + 1 >= bound:
                            ok = False
                            break
                        chosen.append(u)
                    stubborn.add(u)
                    work.append(u)
            if ok:
                best, bound = chosen, len(chosen)
                if bound == 1:
                    break
        return None if best is None else sorted(en[e] for e in best)


def visible_slots(program: ir.Program, props: Iterable[ir.Invariant]) -> frozenset[int]:
    """The slots read by the state predicates `props` (the checked invariants and the
    state constraints; or the covers): what a reduced expansion must not write."""
    sl = _Slots(program, {})
    out: set[int] = set()
    for p in props:
        out |= sl.reads(p.expr)
    return frozenset(out)
