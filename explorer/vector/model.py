"""The program compiled for the vector back end: a VectorModel expands a chunk of packed
states at once (the successors a constraint cuts dropped), checks invariants on a batch,
and tells deadlocks from terminal states.

It is built once, in the main process, before any worker is forked: each worker expands
with its copy as it was at the fork (explorer.vector.workers); nothing is pickled.
"""

from __future__ import annotations

import numpy as np

from mmcheck.explorer.core.search import Search
from mmcheck.explorer.vector import cache
from mmcheck.explorer.vector.actions import ActionCompiler, Expansion, Instance, apply_instance
from mmcheck.explorer.vector.bounds import check_int64
from mmcheck.explorer.vector.expr import (
    Columns,
    Compiled,
    ExprCompiler,
    Frame,
    Unsupported,
    truth,
)
from mmcheck.explorer.vector.level import Expanded, dedup
from mmcheck.explorer.vector.pack import Layout
from mmcheck.explorer.vector.symmetry import BatchCanon
from mmcheck.explorer.vector.visited import warm_up
from mmcheck.spec.errors import UsageError
from mmcheck.spec.ir import Invariant


class VectorModel:
    """The program compiled for batches: instances in edge order, invariants,
    deadlock test, packing layout."""

    def __init__(self, search: Search, use_cache: bool = True) -> None:
        """`use_cache`: read and write the kernels' source in the per-user cache
        (explorer.vector.cache); the kernels are the same either way."""
        program = search.model.program
        self.program = program
        self.layout = Layout.of(program)
        self.exprs = ExprCompiler(program)
        try:
            self.instances: list[Instance] = ActionCompiler(program, self.exprs).instances(
                program.actions
            )
            self.invariants = [self.exprs.compile(inv.expr) for inv, _ in search.invariants]
            self.constraints = [self.constraint(con) for con, _ in search.constraints]
            self.covers = [self.constraint(c, "cover") for c, _ in search.covers]
            self.terminal = self.exprs.compile(program.terminal) if program.terminal else None
            check_int64(program)
        except Unsupported as e:
            raise UsageError(f"the vector back end cannot check this spec: {e}") from None
        if len(self.instances) != search.model.n_edges:
            raise UsageError("the vector back end numbers edges differently from the model")
        announce = cache.Announcer(search.limits.notice)
        self.kernels = cache.kernels(
            program,
            self.layout,
            self.instances,
            [inv.expr for inv, _ in search.invariants],
            [con.expr for con, _ in search.constraints],
            use_cache=use_cache,
            announce=announce,
        )
        self.interpreted = [i for i in self.instances if i.k not in self.kernels.covered]
        self.pcs = [(slot, p.done) for p, _, slot in program.process_instances()]
        self.canon = BatchCanon(program) if search.canon is not None else None
        self.coverage = search.coverage is not None  # keep each chunk's edges for it
        with cache.announcing(announce):
            warm_up()

    def constraint(self, con: Invariant, what: str = "constraint") -> Compiled:
        try:
            return self.exprs.compile(con.expr)
        except Unsupported as e:
            raise Unsupported(f"{what} {con.name}: {e}") from None

    def first_covered(self, j: int, words: np.ndarray) -> int | None:
        """The index of the first of these packed states where cover j holds (an error
        evaluating it counts as not holding, as Search.covered), or None; by the numpy
        interpreter: a cover is evaluated only until reached."""
        f = Frame(Columns(self.layout, words))
        holds = np.broadcast_to(truth(self.covers[j](f, None, {})), f.n) & ~f.failed()
        hits = np.flatnonzero(holds)
        return int(hits[0]) if len(hits) else None

    def canonical(self, words: np.ndarray) -> np.ndarray:
        """Packed states replaced by their canonical forms (if the search uses symmetry)."""
        if self.canon is None or words.shape[1] == 0:
            return words
        return self.layout.pack(self.canon(self.layout.unpack(words)))

    def expand(self, words: np.ndarray, deadlock: bool, keep_words: bool) -> Expanded:
        """Apply every instance to a chunk of packed states and deduplicate the
        successors among themselves (the first discovery of each is kept). Invariants
        are left to check on the states not visited yet (VectorBFS.bad_new)."""
        n = words.shape[1]
        columns = Columns(self.layout, words)
        exp = Expansion(np.zeros(n, dtype=bool))
        fused: list[tuple[int, np.ndarray, np.ndarray]] = []
        redo = self.kernels.expand(words, exp.enabled, fused)
        for k, rows, succ in fused:
            exp.words.append(succ)
            exp.rows.append(rows)
            exp.inst.append(np.full(len(rows), k, dtype=np.int32))
        fused.clear()  # exp holds them now, and lets them go once joined
        for inst in self.interpreted + [self.instances[k] for k in redo]:
            apply_instance(inst, self.layout, columns, exp)
        succ, rows, inst = exp.successors(self.layout.nwords)
        gen = np.bincount(rows, minlength=n)  # the successors cut too, as the tuple back end
        edges = (
            np.sort(rows.astype(np.int64) * len(self.instances) + inst) if self.coverage else None
        )
        if self.constraints:
            keep = ~self.constrained(succ)[0]
            succ, rows, inst = succ[:, keep], rows[keep], inst[keep]
        succ = self.canonical(succ)
        err_row = min((r for r, _, _ in exp.events), default=n)
        dl_row = n
        stuck = np.flatnonzero(~exp.enabled)
        if deadlock and len(stuck):
            dl = stuck[self.stuck_is_deadlock(Frame(columns, stuck))]
            dl_row = int(dl[0]) if len(dl) else n
        order = rows.astype(np.int64) * len(self.instances) + inst
        del rows, inst, columns  # the unpacked slots: let them go before sorting
        uwords, fps, order = dedup(self.layout, succ, order, keep_words)
        if edges is None:
            return Expanded(n, uwords, fps, order, gen, err_row, dl_row)
        return Expanded(n, uwords, fps, order, gen, err_row, dl_row, words, edges)

    def bad_invariant(self, words: np.ndarray) -> np.ndarray:
        """Per state, whether its check fails: some checked invariant fails, or a
        constraint fails to evaluate (an error counts as failing: the tuple model reports
        the violation from its own check)."""
        failed = self.constrained(words)[1] if self.constraints else False
        if self.kernels.bad_invariant is not None:
            return self.kernels.bad_invariant(words) | failed
        f = Frame(Columns(self.layout, words))
        bad = np.zeros(f.n, dtype=bool)
        for fn in self.invariants:
            v = truth(fn(f, None, {}))
            bad |= ~v if isinstance(v, np.ndarray) else not v
        return bad | f.failed() | failed

    def constrained(self, words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per state, whether a constraint is false there (the state is cut) and whether
        one fails to evaluate (the state is kept, and its check fails), the constraints
        evaluated in order on the states where the earlier ones hold, as the tuple
        model's constraints_ok does: by the fused kernel, or the interpreter."""
        if self.kernels.constrained is not None:
            return self.kernels.constrained(words)
        return self.constrained_interpreted(words)

    def constrained_interpreted(self, words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        columns = Columns(self.layout, words)
        cut = np.zeros(columns.n, dtype=bool)
        failed = np.zeros(columns.n, dtype=bool)
        live = np.arange(columns.n)
        for fn in self.constraints:
            if not len(live):
                break
            f = Frame(columns, live)
            holds = np.broadcast_to(truth(fn(f, None, {})), f.n)
            err = f.failed()
            failed[live[err]] = True
            cut[live[~err & ~holds]] = True
            live = live[~err & holds]
        return cut, failed

    def stuck_is_deadlock(self, f: Frame) -> np.ndarray:
        """For states without successors: not terminal and not all processes done."""
        ok = np.zeros(f.n, dtype=bool)
        if self.terminal is not None:
            ok |= truth(self.terminal(f, None, {}))
        if self.pcs:
            done = np.ones(f.n, dtype=bool)
            for slot, d in self.pcs:
                done &= f.col(slot) == d
            ok |= done
        return ~ok
