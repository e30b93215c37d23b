"""IR actions applied to a whole batch of packed states at once.

Every action instance (an action with its parameters fixed) is applied to a batch: the
guard gives a mask over the batch, the checks and updates run on the enabled rows only,
and each successor is its parent's packed words with the written slots replaced. Errors
(a failing check, a domain/div/range error) are recorded per row with the first one the
sequential semantics of spec/ir.py would raise.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from mmcheck.explorer.vector.expr import (
    Columns,
    Compiled,
    Env,
    ExprCompiler,
    Frame,
    Mask,
    Unsupported,
    conj,
    negate,
    truth,
)
from mmcheck.explorer.vector.pack import Layout
from mmcheck.spec import ir
from mmcheck.spec.fold import conjuncts


@dataclass(frozen=True)
class Write:
    """One update of an action: var[index] := value when cond (index () for scalars)."""

    base: int  # first slot of the variable
    dims: tuple[tuple[int, int], ...]  # (lo, hi) per dimension
    index: tuple[Compiled, ...]
    value: Compiled
    cond: Compiled
    lo: int
    hi: int
    domain_site: int
    range_site: int
    env: tuple[tuple[str, int], ...] = ()  # AssignAll: this element's index names


@dataclass
class CompiledAction:
    action: ir.Action
    guard: list[Compiled]  # conjuncts: each is evaluated only where the previous hold
    checks: list[tuple[Compiled, int]]
    writes: list[Write]


@dataclass(frozen=True)
class Instance:
    """An action with its parameter values; `k` is its position in program order."""

    k: int
    action: CompiledAction
    params: tuple[tuple[str, int], ...]
    env: Env = field(hash=False, compare=False, default_factory=dict)


@dataclass
class Expansion:
    """What applying every instance to a batch gives: successors (words, parent row,
    instance), the rows with some instance enabled, and error events (row, k, site)."""

    enabled: np.ndarray
    words: list[np.ndarray] = field(default_factory=list)
    rows: list[np.ndarray] = field(default_factory=list)
    inst: list[np.ndarray] = field(default_factory=list)
    events: list[tuple[int, int, int]] = field(default_factory=list)

    def successors(self, nwords: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All successors (words, parent rows, edges); the per-instance pieces are let go."""
        if not self.words:
            return np.empty((nwords, 0), np.uint64), np.empty(0, np.int64), np.empty(0, np.int64)
        out = (
            np.concatenate(self.words, axis=1),
            np.concatenate(self.rows),
            np.concatenate(self.inst),
        )
        self.words, self.rows, self.inst = [], [], []
        return out


def param_domain(p: ir.ParamDecl) -> range:
    return range(ir.const_int(p.type.lo), ir.const_int(p.type.hi) + 1)


class ActionCompiler:
    def __init__(self, program: ir.Program, exprs: ExprCompiler) -> None:
        self.program = program
        self.exprs = exprs

    def compile(self, action: ir.Action) -> CompiledAction:
        ex = self.exprs
        checks = [(ex.compile(c.cond), ex.site(c.kind, c.loc, c.message)) for c in action.checks]
        writes: list[Write] = []
        for u in action.updates:
            var = self.program.var(u.var)
            dims = tuple((ir.const_int(d.lo), ir.const_int(d.hi)) for d in var.dims)
            common = dict(
                base=self.program.offset(u.var),
                dims=dims,
                value=ex.compile(u.value),
                cond=ex.compile(u.cond),
                lo=ir.const_int(var.type.lo),
                hi=ir.const_int(var.type.hi),
                domain_site=ex.site("domain", u.loc, f"{u.var} updated outside its domain"),
                range_site=ex.site("range", u.loc, f"value out of the range of {u.var}"),
            )
            if isinstance(u, ir.Assign):
                writes.append(Write(index=tuple(ex.compile(i) for i in u.index), **common))
            elif isinstance(u, ir.AssignAll):
                for idx in itertools.product(*(range(lo, hi + 1) for lo, hi in dims)):
                    consts = tuple(ir.Const(i) for i in idx)
                    writes.append(
                        Write(
                            index=tuple(ex.compile(c) for c in consts),
                            env=tuple(zip(u.params, idx)),
                            **common,
                        )
                    )
            else:
                raise Unsupported(f"update {type(u).__name__} cannot be vectorised")
        guard = [ex.compile(c) for c in conjuncts(action.guard)]
        return CompiledAction(action, guard, checks, writes)

    def instances(self, actions: tuple[ir.Action, ...]) -> list[Instance]:
        out: list[Instance] = []
        for a in actions:
            ca = self.compile(a)
            for values in itertools.product(*(param_domain(p) for p in a.params)):
                params = tuple((p.name, v) for p, v in zip(a.params, values))
                out.append(Instance(len(out), ca, params, dict(params)))
        return out


def _positions(w: Write, f: Frame, a: Mask, env: Env) -> tuple[object, Mask]:
    """Flat position of the written element inside its variable, and the rows where the
    index is outside the variable's dimensions."""
    pos: object = 0
    bad: object = False
    for fn, (lo, hi), stride in reversed(list(zip(w.index, w.dims, ir.strides(ir.shape(w.dims))))):
        i = fn(f, a, env)
        bad = bad | (i < lo) | (i > hi)
        pos = pos + (i - lo) * stride
    return pos, bad


def apply_instance(inst: Instance, layout: Layout, columns: Columns, out: Expansion) -> None:
    ca, env = inst.action, inst.env
    rows = np.arange(columns.n)
    for conjunct in ca.guard:  # narrow the rows conjunct by conjunct
        f = Frame(columns, rows if len(rows) < columns.n else None)
        g = truth(conjunct(f, None, env))
        if f.err is not None:  # errors in the guard: those rows raise, as if enabled
            failed = f.err >= 0
            out.enabled[rows[failed]] = True
            for r in np.flatnonzero(failed):
                out.events.append((int(rows[r]), inst.k, int(f.err[r])))
            g = ~failed & g
        if isinstance(g, np.ndarray):
            rows = rows[g]
        elif not g:
            return
        if len(rows) == 0:
            return
    out.enabled[rows] = True
    sub = Frame(columns, rows)
    for cond, site in ca.checks:
        live = sub.live()
        sub.fail(site, conj(sub, live, negate(cond(sub, live, env))))
    planned = []
    for w in ca.writes:
        wenv = {**env, **dict(w.env)} if w.env else env
        live = sub.live()
        c = truth(w.cond(sub, live, wenv))
        act = conj(sub, live, c)
        pos, bad = _positions(w, sub, act, wenv)
        if _some(bad):
            sub.fail(w.domain_site, conj(sub, act, bad))
        v = w.value(sub, act, wenv)
        out_of_range = (v < w.lo) | (v > w.hi)
        if _some(out_of_range):
            sub.fail(w.range_site, conj(sub, act, out_of_range))
        planned.append((w, pos, c, v))
    good, ok = rows, None
    if sub.err is not None:
        ok = sub.err < 0
        for r in np.flatnonzero(~ok):
            out.events.append((int(rows[r]), inst.k, int(sub.err[r])))
        good = rows[ok]
        if len(good) == 0:
            return
    succ = np.take(columns.words, good, axis=1)
    for w, pos, c, v in planned:
        if ok is not None:
            c = c[ok] if isinstance(c, np.ndarray) else c
            v = v[ok] if isinstance(v, np.ndarray) else v
            pos = pos[ok] if isinstance(pos, np.ndarray) else pos
        if isinstance(pos, np.ndarray):
            for p in range(math.prod(ir.shape(w.dims))):
                _write(layout, succ, w.base + p, v, c & (pos == p))
        else:
            _write(layout, succ, w.base + int(pos), v, c)
    out.words.append(succ)
    out.rows.append(good.astype(np.int32))
    out.inst.append(np.full(len(good), inst.k, dtype=np.int32))


def _some(x: object) -> bool:
    return bool(x.any()) if isinstance(x, np.ndarray) else bool(x)


def _write(layout: Layout, succ: np.ndarray, slot: int, v: object, mask: object) -> None:
    """slot := v on the successors where mask holds (mask: a bool or a row mask)."""
    if not isinstance(mask, np.ndarray):
        if mask:
            layout.write(succ, slot, v)
        return
    if mask.all():
        layout.write(succ, slot, v)
    elif mask.any():
        layout.write(succ, slot, np.where(mask, v, layout.read(succ, slot)))
