"""IR expressions evaluated over a batch of states at once (numpy).

An expression is compiled once into a closure `fn(frame, active, env)` returning either a
Python int/bool (when it does not depend on the state) or a numpy array with one value per
row of the frame. `active` (None = every row) says which rows would evaluate this node in
the sequential semantics of spec/ir.py: runtime errors (domain, div) are recorded only for
those rows, so short-circuiting `and`/`or`/`=>`/`Ite` and quantifiers behave exactly as
the tuple back end. `env` maps parameter and bound-variable names to ints or row arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mmcheck.explorer.vector.pack import Layout
from mmcheck.spec import ir
from mmcheck.spec.errors import Loc
from mmcheck.spec.fold import APPLY

Value = int | bool | np.ndarray
Mask = np.ndarray | None
Env = dict[str, Value]
Compiled = Callable[["Frame", Mask, Env], Value]


class Unsupported(Exception):
    """An IR construct the vector back end cannot evaluate (reported at start-up)."""


@dataclass(frozen=True)
class ErrorSite:
    """Where a runtime error may happen; frames record these by index."""

    kind: str  # "domain", "div", "range" or a Check's kind
    loc: Loc | None
    message: str


class Columns:
    """The slot values of a batch of packed states, each slot unpacked on first use."""

    def __init__(self, layout: Layout, words: np.ndarray) -> None:
        self.layout = layout
        self.words = words
        self.n = words.shape[1]
        self._cache: dict[int, np.ndarray] = {}

    def col(self, slot: int) -> np.ndarray:
        c = self._cache.get(slot)
        if c is None:
            c = self._cache[slot] = self.layout.read(self.words, slot)
        return c


class Frame:
    """The rows of a batch an expression is evaluated on (all, or the subset `rows`),
    with the first error recorded for each row."""

    def __init__(self, columns: Columns, rows: np.ndarray | None = None) -> None:
        self.columns = columns
        self.rows = rows
        self.n = columns.n if rows is None else len(rows)
        self.err: np.ndarray | None = None  # per row: the first error site, -1 for none
        self._cache: dict[int, np.ndarray] = {}

    def col(self, slot: int) -> np.ndarray:
        if self.rows is None:
            return self.columns.col(slot)
        c = self._cache.get(slot)
        if c is None:
            c = self._cache[slot] = self.columns.col(slot)[self.rows]
        return c

    def gather(self, base: int, size: int, pos: np.ndarray) -> np.ndarray:
        """Per row r, the value of slot base + pos[r] (0 <= pos[r] < size)."""
        out = self.col(base).copy()
        for i in range(1, size):
            hit = pos == i
            if hit.any():
                out[hit] = self.col(base + i)[hit]
        return out

    def fail(self, site: int, mask: Mask) -> None:
        """Record error `site` for the rows of `mask` (None: all) that have none yet."""
        if mask is not None and not mask.any():
            return
        if self.err is None:
            self.err = np.full(self.n, -1, dtype=np.int32)
        fresh = self.err < 0
        self.err[fresh if mask is None else fresh & mask] = site

    def failure(self, site: int, mask: Mask) -> np.ndarray:
        """`fail(site, mask)`, and a value for the node that failed: zeros, a placeholder
        (the rows that evaluate the node fail there)."""
        self.fail(site, mask)
        return np.zeros(self.n, dtype=np.int64)

    def live(self) -> Mask:
        """The rows without an error (None: all of them)."""
        return None if self.err is None else self.err < 0

    def failed(self) -> np.ndarray:
        """The rows with an error."""
        return np.zeros(self.n, dtype=bool) if self.err is None else self.err >= 0


def conj(f: Frame, a: Mask, b: Value) -> Mask:
    """active & b as a mask (None = all rows)."""
    if not isinstance(b, np.ndarray):
        return a if b else np.zeros(f.n, dtype=bool)
    return b.astype(bool, copy=False) if a is None else a & b


def nothing(mask: Mask) -> bool:
    return mask is not None and not mask.any()


class ExprCompiler:
    """Compiles IR expressions of one concrete program; owns the table of error sites."""

    def __init__(self, program: ir.Program) -> None:
        self.program = program
        self.sites: list[ErrorSite] = []

    def site(self, kind: str, loc: Loc | None, message: str) -> int:
        self.sites.append(ErrorSite(kind, loc, message))
        return len(self.sites) - 1

    def compile(self, e: ir.Expr) -> Compiled:
        method = getattr(self, "_" + type(e).__name__.lower(), None)
        if method is None:
            raise Unsupported(f"expression {type(e).__name__} cannot be vectorised")
        return method(e)

    # ------------------------------------------------------------------ leaves
    def _const(self, e: ir.Const) -> Compiled:
        v: Value = bool(e.value) if e.is_bool else e.value
        return lambda f, a, env: v

    def _symconst(self, e: ir.SymConst) -> Compiled:
        raise Unsupported(f"symbolic constant {e.name} (the vector back end needs values)")

    def _param(self, e: ir.Param) -> Compiled:
        name = e.name
        return lambda f, a, env: env[name]

    def _read(self, e: ir.Read) -> Compiled:
        p = self.program
        var = p.var(e.var)
        base = p.offset(e.var)
        if not e.index:
            return lambda f, a, env: f.col(base)
        dims = ir.dim_bounds(var)
        strides = ir.strides(ir.shape(dims))
        site = self.site("domain", e.loc, f"{e.var} applied outside its domain")
        if all(isinstance(i, ir.Const | ir.Param) for i in e.index):
            return self._read_known(e, base, dims, strides, site)
        index = [self.compile(i) for i in e.index]
        size = len(p.var_slots(e.var))

        def read(f: Frame, a: Mask, env: Env) -> Value:
            pos: Value = 0
            bad: Value = False
            for fn, (lo, hi), st in zip(index, dims, strides):
                i = fn(f, a, env)
                bad = bad | (i < lo) | (i > hi)
                pos = pos + (i - lo) * st
            if not isinstance(pos, np.ndarray):
                return f.failure(site, a) if bad else f.col(base + int(pos))
            if isinstance(bad, np.ndarray) and bad.any():
                f.fail(site, bad if a is None else bad & a)
                pos = np.where(bad, 0, pos)
            return f.gather(base, size, pos)

        return read

    def _read_known(
        self,
        e: ir.Read,
        base: int,
        dims: tuple[tuple[int, int], ...],
        strides: tuple[int, ...],
        site: int,
    ) -> Compiled:
        """A read whose index is constants and parameters (ints, never arrays): the
        slot is known before looking at any state."""
        parts = [
            (
                i.value if isinstance(i, ir.Const) else None,
                i.name if isinstance(i, ir.Param) else "",
                lo,
                hi,
                st,
            )
            for i, (lo, hi), st in zip(e.index, dims, strides)
        ]

        def read(f: Frame, a: Mask, env: Env) -> Value:
            slot = base
            for value, name, lo, hi, st in parts:
                i = env[name] if name else value
                if i < lo or i > hi:
                    return f.failure(site, a)
                slot += (i - lo) * st
            return f.col(slot)

        return read

    # ------------------------------------------------------------------ operators
    def _unary(self, e: ir.Unary) -> Compiled:
        arg = self.compile(e.arg)
        if e.op == "not":
            return lambda f, a, env: negate(arg(f, a, env))
        return lambda f, a, env: -arg(f, a, env)

    def _binary(self, e: ir.Binary) -> Compiled:
        left, right = self.compile(e.left), self.compile(e.right)
        op = e.op
        if op in ("and", "or", "=>"):
            return _logic(op, left, right)
        if op in ("div", "mod"):
            site = self.site("div", e.loc, "division by zero")
            floor = np.floor_divide if op == "div" else np.mod

            def divide(f: Frame, a: Mask, env: Env) -> Value:
                x, y = left(f, a, env), right(f, a, env)
                zero = y == 0
                if not isinstance(zero, np.ndarray):
                    if zero:
                        return f.failure(site, a)
                    return floor(x, y) if isinstance(x, np.ndarray) else int(floor(x, y))
                if zero.any():
                    f.fail(site, zero if a is None else zero & a)
                    y = np.where(zero, 1, y)
                return floor(x, y)

            return divide
        fn = _BINARY[op]
        return lambda f, a, env: fn(left(f, a, env), right(f, a, env))

    def _ite(self, e: ir.Ite) -> Compiled:
        cond, then, other = self.compile(e.cond), self.compile(e.then), self.compile(e.other)

        def ite(f: Frame, a: Mask, env: Env) -> Value:
            c = cond(f, a, env)
            if not isinstance(c, np.ndarray):
                return then(f, a, env) if c else other(f, a, env)
            c = c.astype(bool, copy=False)
            t = then(f, conj(f, a, c), env)
            o = other(f, conj(f, a, ~c), env)
            return np.where(c, t, o)

        return ite

    def _guard(self, e: ir.Guard) -> Compiled:
        cond, then = self.compile(e.cond), self.compile(e.then)
        site = self.site(e.kind, e.loc, e.message)

        def guard(f: Frame, a: Mask, env: Env) -> Value:
            c = cond(f, a, env)
            if not isinstance(c, np.ndarray):
                return then(f, a, env) if c else f.failure(site, a)
            c = c.astype(bool, copy=False)
            if not c.all():
                f.fail(site, ~c if a is None else ~c & a)
            return then(f, conj(f, a, c), env)

        return guard

    def _quant(self, e: ir.Quant) -> Compiled:
        lo_fn, hi_fn, body = self.compile(e.lo), self.compile(e.hi), self.compile(e.body)
        kind, var = e.kind, e.var

        def quant(f: Frame, a: Mask, env: Env) -> Value:
            lo, hi = lo_fn(f, a, env), hi_fn(f, a, env)
            if isinstance(lo, np.ndarray) or isinstance(hi, np.ndarray):
                lo_a = np.broadcast_to(lo, (f.n,))
                hi_a = np.broadcast_to(hi, (f.n,))
                live = a if a is None else a.copy()
                first, last = int(lo_a.min(initial=0)), int(hi_a.max(initial=-1))
                bounded = True
            else:
                live, first, last, bounded = a, int(lo), int(hi), False
            acc: Value = kind == "forall" if kind in ("forall", "exists") else 0
            for v in range(first, last + 1):
                inside: Value = True
                act = live
                if bounded:
                    inside = (lo_a <= v) & (v <= hi_a)
                    act = conj(f, live, inside)
                    if nothing(act):
                        continue
                elif nothing(act):
                    break
                b = body(f, act, {**env, var: v})
                if kind in ("forall", "exists"):
                    b = truth(b)
                if kind == "forall":
                    acc = acc & (b | ~inside if bounded else b)
                    live = conj(f, a, acc)
                elif kind == "exists":
                    acc = acc | (b & inside if bounded else b)
                    live = conj(f, a, negate(acc))
                else:
                    term = np.where(inside, b, 0) if bounded else b
                    acc = acc + (
                        term.astype(np.int64) if isinstance(term, np.ndarray) else int(term)
                    )
                decided = kind in ("forall", "exists") and acc != (kind == "forall")
                if not isinstance(acc, np.ndarray) and decided:
                    break
            return acc

        return quant


def negate(x: Value) -> Value:
    return np.logical_not(x) if isinstance(x, np.ndarray) else not x


def truth(x: Value) -> Value:
    return x.astype(bool, copy=False) if isinstance(x, np.ndarray) else bool(x)


def _logic(op: str, left: Compiled, right: Compiled) -> Compiled:
    """Short-circuit and/or/=>: the right side is evaluated only on the rows where the
    left side does not decide (so only there are its errors recorded)."""
    implies = op == "=>"  # x => y is (not x) or y, deciding like `or` on not x
    decided_by = op != "and"  # the value of the (possibly negated) left side that decides

    def logic(f: Frame, a: Mask, env: Env) -> Value:
        x = truth(left(f, a, env))
        if implies:
            x = negate(x)
        if not isinstance(x, np.ndarray):
            return x if x == decided_by else truth(right(f, a, env))
        y = truth(right(f, conj(f, a, x != decided_by), env))
        return x | y if decided_by else x & y

    return logic


# The Python operators of APPLY work elementwise on arrays too; min, max and <=> need
# numpy's functions there. (div and mod are compiled apart: a zero divisor is an error.)
_BINARY: dict[str, Callable[[Value, Value], Value]] = {
    **APPLY,
    "min": lambda x, y: np.minimum(x, y) if _any_array(x, y) else min(x, y),
    "max": lambda x, y: np.maximum(x, y) if _any_array(x, y) else max(x, y),
    "<=>": lambda x, y: (
        np.equal(np.asarray(x, bool), np.asarray(y, bool))
        if _any_array(x, y)
        else bool(x) == bool(y)
    ),
}


def _any_array(x: Value, y: Value) -> bool:
    return isinstance(x, np.ndarray) or isinstance(y, np.ndarray)
