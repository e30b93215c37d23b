"""Statements: symbolic execution of one atomic step into guard, checks and updates.

The store keeps, for each IR variable, the writes made so far in the step (a point
write of one element, or a write of every element under an index prefix), each with
the path condition under which it happens. Reading an element folds those writes over
the pre-state, so every expression stays an expression of the state before the step,
as the IR requires. Conditionals become path conditions (`cond` of the updates, Ite
values), `either` a hidden parameter, `goto` and `return` flags on the path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from mmcheck.spec import ast, ir
from mmcheck.spec import fold as f
from mmcheck.spec.checker import PRELUDE, Env
from mmcheck.spec.elab import ERR, Elab, LValue, Reader, ite_val, pre_state
from mmcheck.spec.errors import Loc, did_you_mean
from mmcheck.spec.parser import PROCESS_END_HINT
from mmcheck.spec.symbols import ByName, PoolSym, ProcInfo, Val, enumerable
from mmcheck.spec.types import (
    BoolT,
    EnumT,
    ErrT,
    IntT,
    Leaf,
    LockT,
    RecordT,
    SetT,
    Type,
    bounds,
    elem_dims,
    in_range,
    leaves,
    sort_clash,
    unify,
    within,
)


@dataclass
class Write:
    """var[prefix + rest] := value(rest) when cond, for every rest (none for a point write)."""

    prefix: tuple[ir.Expr, ...]
    value: Callable[[tuple[ir.Expr, ...]], ir.Expr]
    cond: ir.Expr
    loc: Loc
    via: tuple[ir.MacroCall, ...] = ()


class Store:
    def __init__(self, base: Reader, dims: Callable[[str], tuple[ir.Dim, ...] | None]) -> None:
        self.base = base
        self.dims = dims
        self.writes: dict[str, list[Write]] = {}
        self.order: list[tuple[str, int]] = []

    def read(
        self,
        var: str,
        idx: tuple[ir.Expr, ...],
        loc: Loc | None,
        upto: int | None = None,
        in_domain: bool = False,
    ) -> ir.Expr:
        """var[idx] as written so far (`upto`: by the first writes only). An index outside
        the dimensions that a write of every element covers reads the element there, so
        that it is the domain error it is in the pre-state (`in_domain`: it is not)."""
        ws = self.writes.get(var, [])
        for k in range((len(ws) if upto is None else upto) - 1, -1, -1):
            w = ws[k]
            n = len(w.prefix)
            c = f.conj((w.cond, f.eq_all(idx[:n], w.prefix)))
            if f.is_false(c):
                continue
            v = w.value(idx[n:])
            if not in_domain and n < len(idx):
                dims = self.dims(var) or ()
                inside = f.conj(
                    f.conj((f.binary("<=", d.lo, i), f.binary("<=", i, d.hi)))
                    for i, d in zip(idx[n:], dims[n:])
                )
                v = f.ite(inside, v, ir.Read(var, idx, loc))
            if f.is_true(c):
                return v
            return f.ite(c, v, self.read(var, idx, loc, k))
        return self.base(var, idx, loc)

    def snapshot(self) -> Reader:
        """A reader of the state as it is now, unaffected by later writes."""
        upto = {v: len(ws) for v, ws in self.writes.items()}
        return lambda var, idx, loc: self.read(var, idx, loc, upto.get(var, 0))

    def write(self, var: str, w: Write) -> None:
        if f.is_false(w.cond):
            return  # on no path (a branch the constants rule out)
        ws = self.writes.setdefault(var, [])
        self.order.append((var, len(ws)))
        ws.append(w)

    def updates(self) -> list[ir.Update]:
        out: list[ir.Update] = []
        for var, k in self.order:
            w = self.writes[var][k]
            n, dims = len(w.prefix), self.dims(var)
            if dims is None:
                continue  # its declaration had an error (already reported)
            total = len(dims)
            if n == total:
                out.append(ir.Assign(var, w.prefix, w.value(()), w.cond, w.loc, w.via))
                continue
            params = tuple(f"#{i + 1}" for i in range(total))
            idx = tuple(ir.Param(p) for p in params)
            value = w.value(idx[n:])
            if n:
                old = self.read(var, idx, w.loc, k, in_domain=True)
                value = f.ite(f.eq_all(idx[:n], w.prefix), value, old)
            out.append(ir.AssignAll(var, params, value, w.cond, w.loc, w.via))
        return out


def same_read(a: ir.Expr, b: ir.Expr) -> bool:
    """Both read the same element (wherever the reads were written)."""
    return (
        isinstance(a, ir.Read) and isinstance(b, ir.Read) and (a.var, a.index) == (b.var, b.index)
    )


def choice_type(t: BoolT | IntT | EnumT) -> ir.ScalarType:
    """The domain of a `with`'s parameter choosing a value of t: t's values (a bool as 0
    or 1) and, one below them, the value that stands for "not reached"."""
    lo, hi = bounds(t)
    if isinstance(t, IntT):
        sorts = ((t.sort, t.lo.value),) if t.sort and isinstance(t.lo, ir.Const) else ()
        below = f.binary("-", lo, ir.Const(1))
        # where the bounds' types leave no value (5..n, n : 0..3), only "not reached"
        return ir.ScalarType("int", below, f.binary("max", hi, below), (), sorts)
    names = ("false", "true") if isinstance(t, BoolT) else t.values
    sorts = ((t.sort, 0),) if isinstance(t, EnumT) and t.sort else ()
    return ir.ScalarType("enum", ir.Const(-1), hi, ("not reached", *names), sorts)


@dataclass
class Frame:
    """A macro being inlined: whether it has returned (on this path) and its value.
    `call` is where the outermost macro being inlined was called, `at` where this one was."""

    name: str
    returned: ir.Expr
    call: Loc
    at: Loc
    primitive: bool  # a prelude macro
    result: Val | None = None


class Exec:
    """Runs the statements of one step (or of the initial state, `proc` None)."""

    def __init__(
        self, env: Env, store: Store, proc: ProcInfo | None, label: int | None = None
    ) -> None:
        self.env = env
        self.store = store
        self.proc = proc
        self.elab = Elab(env, reader=store.read, proc=proc, fx=self, snapshot=store.snapshot)
        self.path: ir.Expr = f.TRUE
        self.jumped: ir.Expr = f.FALSE
        self.frames: list[Frame] = []
        self.guards: list[ir.Expr] = []
        self.checks: list[ir.Check] = []
        self.hidden: list[ir.ParamDecl] = []
        self.branches: list[ir.Branch] = []  # ir.Action.branches
        self.waits: list[ir.Wait] = []  # ir.Action.waits
        self.value_wanted = True  # whether the macro being called must return a value
        self.next_pc: ir.Expr | None = None
        if label is not None and proc is not None:
            self.next_pc = ir.Const(label + 1)

    def error(self, loc: Loc, msg: str, hint: str | None = None) -> None:
        self.elab.error(loc, msg, hint)

    def check(self, c: ir.Check) -> None:
        if not f.is_true(c.cond):  # statically fine (or on no path)
            self.checks.append(dataclasses.replace(c, via=self.via()))

    def via(self) -> tuple[ir.MacroCall, ...]:
        """The macro calls being inlined, outermost first (ir.Assign.via)."""
        return tuple(ir.MacroCall(fr.name, fr.at, fr.primitive) for fr in self.frames)

    def eff(self) -> ir.Expr:
        """The condition under which the statement being executed runs."""
        stops = [self.jumped] + [fr.returned for fr in self.frames]
        return f.conj([self.path] + [f.negate(s) for s in stops])

    @contextmanager
    def assuming(self, cond: ir.Expr) -> Iterator[None]:
        saved = self.path
        self.path = f.conj((saved, cond))
        try:
            yield
        finally:
            self.path = saved

    # ------------------------------------------------------------------ writes
    def assign(self, lv: LValue, v: Val, loc: Loc) -> None:
        if lv.lock:
            self.error(loc, f"{lv.name} is a lock: it changes only by lock, unlock and trylock")
            return
        v = self.elab.none_for(v, lv.type)
        if isinstance(v.type, ErrT) or isinstance(lv.type, ErrT):
            return
        if unify(lv.type, v.type) is None:
            self.error(
                loc, f"cannot assign a value of type {v.type} to {lv.name}, which is {lv.type}"
            )
            return
        if not self.sorts_match(lv.name, lv.type, v.type, loc):
            return
        self.write_val(lv.irname, lv.index, lv.type, v, loc)

    def sorts_match(self, name: str, place: Type, value: Type, loc: Loc) -> bool:
        """Storing a value of type `value` in `name` (of type `place`) keeps every
        symmetric sort where its type says it is; an error otherwise."""
        clash = sort_clash(place, value)
        if clash is None:
            return True
        s, vs = clash
        if s:
            self.error(
                loc, f"{name} holds symmetric {s} values; a literal or other value breaks symmetry"
            )
        else:
            assert vs is not None
            self.error(
                loc,
                f"{name} is not of {self.elab.sort_words(vs)}: storing one of its values there "
                "breaks symmetry (the reduction permutes them only where the type says so)",
                self.elab.sort_hint(vs),
            )
        return False

    def write_val(
        self,
        irname: str,
        idx: tuple[ir.Expr, ...],
        t: Type,
        v: Val,
        loc: Loc,
        cond: ir.Expr | None = None,
    ) -> None:
        cond = self.eff() if cond is None else cond
        loc = self.site(loc)
        v = self.elab.encoded(v, t, loc)
        for leaf in leaves(t):
            name = irname + leaf.suffix
            probe = tuple(ir.Param(f"#{i + 1}") for i in range(len(leaf.dims)))
            value = leaf.get(v, probe)
            self.check_range(value, leaf.type, name, loc)
            if leaf.elem is not None:
                self.check_elements(leaf, v, name, loc, cond)
            if self.store.base is pre_state and same_read(
                value, self.store.read(name, idx + probe, loc)
            ):
                continue  # writes back what is there (`{ r except f = e }` leaves the rest)

            def value(rest: tuple[ir.Expr, ...], g: Callable = leaf.get) -> ir.Expr:
                return self.elab.apart(lambda: g(v, rest))

            write = Write(idx, value, cond, loc, self.via())
            self.store.write(name, write)

    def site(self, loc: Loc) -> Loc:
        """Where a step's effects are reported: inside a prelude primitive, at its call."""
        for fr in self.frames:
            if loc.file == str(PRELUDE):
                return fr.call
        return loc

    def check_range(self, e: ir.Expr, t: Type, name: str, loc: Loc) -> None:
        if not isinstance(t, IntT) or not isinstance(e, ir.Const):
            return
        b = bounds(t)
        if (
            b
            and all(isinstance(x, ir.Const) for x in b)
            and not b[0].value <= e.value <= b[1].value
        ):
            self.error(
                loc, f"value {e.value} is outside the range {b[0].value}..{b[1].value} of {name}"
            )

    def check_elements(self, leaf: Leaf, v: Val, name: str, loc: Loc, cond: ir.Expr) -> None:
        """A set written with an element outside the element range of its place is a
        range error, as an int written outside its range is: statically where the element
        is there for certain, else a `range` check."""
        out = self.elab.over_dims(
            "exists",
            leaf.dims[: -len(elem_dims(leaf.elem))],
            lambda idx: self.outside(leaf.part(v, idx), leaf.elem, loc),
            loc,
        )
        what = f"{name} := a set with an element outside its range {leaf.elem}"
        if f.is_true(out):
            self.error(loc, what)
        else:
            self.check(ir.Check("range", f.implies(cond, f.negate(out)), what, loc))

    def outside(self, s: Val, elem: Type, loc: Loc) -> ir.Expr:
        """Whether the set s holds a value outside the int type elem (enums and bools
        unify only with their own type), asked of each span of values s may hold."""
        if isinstance(elem, RecordT):
            return self.outside_record(s, elem, loc)
        tb = bounds(elem)
        if not isinstance(elem, IntT) or tb is None:
            return f.FALSE
        spans = s.support()
        if spans is None:
            self.error(
                loc,
                f"cannot check that the elements of this set lie in {elem}: "
                "they are integers of no known range",
            )
            return f.FALSE
        parts = []
        for sp in spans:
            if sp.lo == sp.hi:  # one value, a literal's element
                outside = f.negate(in_range(sp.lo, elem))
                parts.append(f.conj((sp.where, outside, s.contains(sp.lo, None))))
                continue
            # all of a whole span is there: any value of its parts outside is one
            lo, hi = (sp.lo, sp.hi) if sp.whole else sp.hull or (sp.lo, sp.hi)
            if not sp.whole and not enumerable((sp,)):
                self.error(
                    loc,
                    f"cannot check that the elements of this set lie in {elem}: "
                    "under `inter` or `minus`, the bounds of a range that read the state "
                    "must be variables, not results of arithmetic",
                )
                return f.FALSE
            below = (lo, f.binary("min", hi, f.binary("-", tb[0], ir.Const(1))))
            above = (f.binary("max", lo, f.binary("+", tb[1], ir.Const(1))), hi)
            for a, b in (below, above):
                held = f.binary("<=", a, b) if sp.whole else self.holds_any(s, a, b)
                parts.append(f.conj((sp.where, held)))
        return f.disj(parts)

    def outside_record(self, s: Val, elem: RecordT, loc: Loc) -> ir.Expr:
        """Whether the set of records s holds one with a field outside elem's: asked of
        every record of the fields' ranges in s's type, which must be known."""
        vt = s.type.elem
        if not isinstance(vt, RecordT) or within(vt, elem):
            return f.FALSE
        for n, ft in vt.fields:
            b = bounds(ft)
            if b is None or any(map(f.reads_state, b)):
                self.error(
                    loc,
                    f"cannot check that the elements of this set lie in {elem}: field '{n}' "
                    "holds integers of no known constant range (results of arithmetic)",
                )
                return f.FALSE
        return self.elab.over_elems(
            "exists",
            SetT(vt),
            lambda x: f.conj((s.contains(x, vt), f.negate(in_range(x, elem)))),
            loc,
        )

    def holds_any(self, s: Val, lo: ir.Expr, hi: ir.Expr) -> ir.Expr:
        """Whether the set s holds a value of lo..hi (bounds that read no state)."""
        if isinstance(lo, ir.Const) and isinstance(hi, ir.Const) and hi.value - lo.value < 16:
            # few values: one by one, so that a literal's element folds to a static error
            return f.disj(
                s.contains(ir.Const(k), IntT(ir.Const(k), ir.Const(k)))
                for k in range(lo.value, hi.value + 1)
            )
        var = self.elab.fresh("k")
        with self.elab.binding(var):
            return ir.Quant("exists", var, lo, hi, s.contains(ir.Param(var), IntT(lo, hi)))

    def write_scalar(self, lv: LValue, value: ir.Expr, cond: ir.Expr, loc: Loc) -> None:
        self.store.write(lv.irname, Write(lv.index, lambda rest: value, cond, loc, self.via()))

    # ------------------------------------------------------------------ statements
    def run(self, stmts: tuple[ast.Stmt, ...], scope: dict) -> None:
        for s in stmts:
            getattr(self, "s_" + type(s).__name__)(s, scope)

    def s_Assign(self, s: ast.Assign, scope: dict) -> None:
        if self.elab.ambiguous(s.value, scope):  # the place says which enum's value
            lv = self.elab.lvalue(s.target, scope)
            v = self.elab.expr(s.value, scope, lv.type if lv is not None else None)
        else:
            v = self.elab.expr(s.value, scope)
            lv = self.elab.lvalue(s.target, scope)
        if lv is not None:
            self.assign(lv, v, s.loc)

    def s_Skip(self, s: ast.Skip, scope: dict) -> None:
        pass

    def s_Goto(self, s: ast.Goto, scope: dict) -> None:
        if self.proc is None or self.next_pc is None:
            self.error(s.loc, "goto is only allowed in a process step")
            return
        labels = self.proc.labels + ("Done",)  # `goto Done` ends the process
        if s.label not in labels:
            self.error(
                s.loc,
                f"goto to unknown label '{s.label}' (labels of {self.proc.name}: "
                f"{', '.join(labels)})",
                did_you_mean(s.label, labels),
            )
            return
        eff = self.eff()
        self.next_pc = f.ite(eff, ir.Const(labels.index(s.label)), self.next_pc)
        self.jumped = f.disj((self.jumped, eff))

    def branch(self, kind: str, stmts: tuple[ast.Stmt, ...], at: Loc, cond: ir.Expr) -> None:
        """Record an arm for coverage, taken where `cond` holds on a path reaching it
        (the arms of the prelude's macros are not the spec's)."""
        if not any(fr.primitive for fr in self.frames):
            loc = getattr(stmts[0], "loc", at) if stmts else at
            self.branches.append(ir.Branch(kind, loc, f.conj((self.eff(), cond))))

    def s_Label(self, s: ast.Label, scope: dict) -> None:
        """A label inside an `either` branch ends the step there, as `goto` it does."""
        nested = self.proc.steps if self.proc is not None and not self.frames else ()
        if not any(p.loc == s.loc for p in nested):
            self.error(
                s.loc,
                "a label inside a block may only stand directly in a branch of an `either` "
                "that is itself a statement of a step (not in an `if`, a `with`, a macro or "
                "a nested `either`)",
            )
            return
        self.s_Goto(ast.Goto(s.name, s.loc), scope)

    def s_If(self, s: ast.If, scope: dict) -> None:
        c = self.elab.boolean(s.cond, scope)
        self.branch("then", s.then, s.loc, c)
        if s.other:
            self.branch("else", s.other, s.loc, f.negate(c))
        with self.assuming(c):
            self.run(s.then, scope)
        with self.assuming(f.negate(c)):
            self.run(s.other, scope)

    def s_Await(self, s: ast.Await, scope: dict) -> None:
        c = self.elab.boolean(s.cond, scope)
        self.guards.append(f.implies(self.eff(), c))
        self.waits.append(ir.Wait("await", self.guards[-1], s.loc, self.via()))

    def s_Either(self, s: ast.Either, scope: dict) -> None:
        name = f"either#{len(self.hidden) + 1}"
        n = len(s.branches)
        eff = self.eff()
        # branches are 1..n; 0 stands for "not reached" on the paths that do not reach this
        # either, so each path is one transition and a trace names only branches taken
        lo = 1 if f.is_true(eff) else 0
        names = ("not reached",) * (1 - lo) + tuple(f"branch{i}" for i in range(1, n + 1))
        self.hidden.append(
            ir.ParamDecl(name, ir.ScalarType("int", ir.Const(lo), ir.Const(n), names), hidden=True)
        )
        chosen = ir.Param(name)
        if lo == 0:
            self.guards.append(f.ite(f.binary("==", chosen, ir.Const(0)), f.negate(eff), eff))
        for i, branch in enumerate(s.branches, 1):
            self.branch(f"branch {i}", branch, s.loc, f.binary("==", chosen, ir.Const(i)))
            with self.assuming(f.binary("==", chosen, ir.Const(i))):
                self.run(branch, scope)

    def s_With(self, s: ast.With, scope: dict) -> None:
        """One hidden parameter per binder, over values of the set's type that read no
        state and one below them, which stands for "not reached" (as an either's 0): the
        guard says the value is in the set where the `with` is reached, else that one."""
        inner = dict(scope)
        eff = self.eff()
        for b in s.binders:
            dom = self.elab.typed_val(b.domain, inner, SetT, "a set")
            if dom is None:
                return
            if dom.type.elem is None:  # `{}`: nothing to choose, so no transition
                self.guards.append(f.negate(eff))
                self.waits.append(ir.Wait("with", self.guards[-1], b.domain.loc, self.via()))
                return
            elem = dom.type.elem
            if not isinstance(elem, BoolT | IntT | EnumT) or bounds(elem) is None:
                self.error(
                    b.domain.loc,
                    f"`with` chooses from a set of bools, enum values or ints of a known "
                    f"range, not a {dom.type}",
                )
                return
            evaluated = f.TRUE
            varies = any(map(f.reads_state, bounds(elem))) or any(map(f.reads_param, bounds(elem)))
            exact = not varies
            if not exact:
                got = self.elab.static_domain(dom, b.domain.loc, "`with`")
                if got is None:
                    return
                elem, evaluated = got
                if isinstance(elem, IntT) and any(map(f.reads_param, bounds(elem))):
                    # `0..self`: a parameter's domain is constant, so it runs over the
                    # bounds' values for every instance and each value is tested
                    elem = self.param_hull(elem, b.domain.loc)
                    if elem is None:
                        return
            name = f"with#{len(self.hidden) + 1}"
            st = choice_type(elem)
            self.hidden.append(ir.ParamDecl(name, st, hidden=True, binds=b.name))
            chosen = ir.Param(name)
            x = f.binary("==", chosen, ir.Const(1)) if isinstance(elem, BoolT) else chosen
            if exact:
                member = f.TRUE if dom.full else dom.member(x)
            else:
                member = dom.contains(x, elem)
            # where the `with` is reached, its set's bounds are evaluated even if no
            # value is in it (the not-reached value's guard evaluates them too)
            self.guards.append(
                f.ite(
                    f.binary("==", chosen, st.lo),
                    f.conj((f.implies(eff, evaluated), f.negate(eff))),
                    f.conj((eff, evaluated, member)),
                )
            )
            self.waits.append(ir.Wait("with", self.guards[-1], b.domain.loc, self.via()))
            inner[b.name] = Val(elem, expr=x)
        self.run(s.body, inner)

    def param_hull(self, t: IntT, loc: Loc) -> IntT | None:
        """t with bounds that read parameters (`self`, an outer `with`'s value) widened to
        constants over the parameters' domains; None after an error."""
        doms = {h.name: (h.type.lo, h.type.hi) for h in self.hidden}
        if self.proc is not None and self.proc.index is not None:
            doms["self"] = bounds(self.proc.index)
        lo, hi = (f.const_bounds(x, doms) for x in bounds(t))
        if lo is None or hi is None:
            self.error(loc, "`with` needs a set whose bounds have a known range")
            return None
        return IntT(ir.Const(lo[0]), ir.Const(hi[1]), t.sort)

    def s_Assert(self, s: ast.Assert, scope: dict) -> None:
        c = self.elab.boolean(s.cond, scope)
        msg = s.message or "assertion failed"
        self.check(ir.Check("assert", f.implies(self.eff(), c), msg, self.site(s.loc)))

    def lock_place(self, target: ast.Expr, scope: dict, what: str) -> LValue | None:
        if self.proc is None:
            self.error(target.loc, f"{what} is only allowed inside a process")
            return None
        lv = self.elab.lvalue(target, scope)
        if lv is None:
            return None
        if not lv.lock or not isinstance(lv.type, LockT):
            self.error(target.loc, f"{what} of {lv.name}, which is not a lock")
            return None
        return lv

    def s_LockStmt(self, s: ast.LockStmt, scope: dict) -> None:
        lv = self.lock_place(s.target, scope, "lock")
        if lv is None:
            return
        held = self.store.read(lv.irname, lv.index, s.loc)
        me, eff = self.elab.me(), self.eff()
        self.guards.append(
            f.implies(eff, f.disj((f.binary("==", held, ir.Const(0)), f.binary("==", held, me))))
        )
        place = (lv.irname, lv.index)
        self.waits.append(ir.Wait("lock", self.guards[-1], s.loc, self.via(), place, held))
        self.check(
            ir.Check(
                "lock",
                f.implies(eff, f.binary("!=", held, me)),
                f"lock {lv.name} re-acquired by its holder (self-deadlock)",
                self.site(s.loc),
            )
        )
        self.write_scalar(lv, me, eff, self.site(s.loc))

    def s_UnlockStmt(self, s: ast.UnlockStmt, scope: dict) -> None:
        lv = self.lock_place(s.target, scope, "unlock")
        if lv is None:
            return
        held = self.store.read(lv.irname, lv.index, s.loc)
        me, eff = self.elab.me(), self.eff()
        self.check(
            ir.Check(
                "lock",
                f.implies(eff, f.binary("!=", held, ir.Const(0))),
                f"unlock of {lv.name}, which is not held",
                self.site(s.loc),
            )
        )
        self.check(
            ir.Check(
                "lock",
                f.implies(eff, f.binary("==", held, me)),
                f"unlock of {lv.name}, which is held by another process",
                self.site(s.loc),
            )
        )
        # an unlock by another process leaves the lock held: a later `lock` of the step
        # waits, and the step, disabled, fails nowhere (docs/language.md)
        mine = f.binary("==", held, me)
        self.write_scalar(lv, ir.Const(0), f.conj((eff, mine)), self.site(s.loc))

    def s_Return(self, s: ast.Return, scope: dict) -> None:
        if not self.frames:
            hint = PROCESS_END_HINT if self.proc is not None else None
            self.error(s.loc, "return outside a macro", hint)
            return
        fr = self.frames[-1]
        v = self.elab.expr(s.value, scope)
        eff = self.eff()
        if fr.result is None:
            fr.result = v
        else:
            t = unify(fr.result.type, v.type)
            if t is None:
                self.error(
                    s.loc, f"macro {fr.name} returns {fr.result.type} elsewhere, not {v.type}"
                )
                return
            fr.result = ite_val(eff, v, fr.result, t)
        fr.returned = f.disj((fr.returned, eff))

    def s_CallStmt(self, s: ast.CallStmt, scope: dict) -> None:
        saved, self.value_wanted = self.value_wanted, False  # a statement needs no value
        try:
            self.elab.expr(s.call, scope)
        finally:
            self.value_wanted = saved

    # ------------------------------------------------------------------ effects
    def trylock(self, lv: LValue, loc: Loc) -> ir.Expr:
        if self.proc is None:
            self.error(loc, "trylock is only allowed inside a process")
            return f.FALSE
        held = self.store.read(lv.irname, lv.index, loc)
        free = f.binary("==", held, ir.Const(0))
        self.write_scalar(lv, self.elab.me(), f.conj((self.eff(), free)), loc)
        return free

    def cas(self, lv: LValue, old: Val, new: Val, loc: Loc) -> ir.Expr:
        for v in (old, new):
            if not isinstance(v.type, ErrT) and unify(lv.type, v.type) is None:
                self.error(loc, f"cas on {lv.name} ({lv.type}) with a {v.type}")
                return f.FALSE
            if not self.sorts_match(lv.name, lv.type, v.type, loc):
                return f.FALSE
        cur = self.store.read(lv.irname, lv.index, loc)
        ok = f.binary("==", cur, old.expr)
        self.check_range(new.expr, lv.type, lv.name, loc)
        self.write_scalar(lv, new.expr, f.conj((self.eff(), ok)), loc)
        return ok

    def test_and_set(self, lv: LValue, loc: Loc) -> ir.Expr:
        cur = self.store.read(lv.irname, lv.index, loc)
        self.write_scalar(lv, f.TRUE, self.eff(), loc)
        return cur

    def alloc(self, pool: PoolSym, loc: Loc) -> ir.Expr:
        """`alloc(Page)`: a hidden parameter chooses the reference, any free one (each a
        transition), or none (N + 1) only where none is free; it is then allocated."""
        n = bounds(pool.ref)[1]
        assert isinstance(n, ir.Const)
        none = ir.Const(n.value + 1)
        name = f"alloc#{len(self.hidden) + 1}"
        shown = ir.ScalarType("int", ir.Const(1), none, (), ((pool.name, 1),), none=True)
        self.hidden.append(ir.ParamDecl(name, shown, hidden=True))
        x = ir.Param(name)
        is_none = f.binary("==", x, none)

        def used(r: ir.Expr) -> ir.Expr:
            return self.store.read(pool.allocated, (r,), loc)

        full = f.conj(used(ir.Const(i)) for i in range(1, n.value + 1))
        eff = self.eff()
        # not reached: none, so that each path is one transition
        self.guards.append(f.ite(eff, f.ite(is_none, full, f.negate(used(x))), is_none))
        idx = f.ite(is_none, ir.Const(1), x)  # inside the pool on every path
        got = f.conj((eff, f.negate(is_none)))
        self.store.write(pool.allocated, Write((idx,), lambda rest: ir.TRUE, got, loc))
        return x

    def free(self, pool: PoolSym, ref: ir.Expr, loc: Loc) -> None:
        """`free(r)`: r must be allocated (else a "free" error, a double free); then it
        is not, and its element is the pool's initial value again."""
        eff = self.eff()
        live = self.store.read(pool.allocated, (ref,), loc)
        message = f"{pool.name}[..] is freed but not allocated: a double free"
        self.check(ir.Check("free", f.implies(eff, live), message, self.site(loc)))
        self.store.write(pool.allocated, Write((ref,), lambda rest: ir.FALSE, eff, loc))
        self.write_val(pool.name, (ref,), pool.elem, self.elab.constant(pool.decl.init), loc, eff)

    def call_macro(
        self, macro: ast.MacroDecl, args: tuple[ast.Expr, ...], scope: dict, loc: Loc
    ) -> Val:
        if any(fr.name == macro.name for fr in self.frames):
            self.error(loc, f"macro {macro.name} calls itself")
            return ERR
        inner = {p: ByName(a, scope) for p, a in zip(macro.params, args)}
        wanted, self.value_wanted = self.value_wanted, True
        primitive = macro.loc.file == str(PRELUDE)
        fr = Frame(macro.name, f.FALSE, self.frames[0].call if self.frames else loc, loc, primitive)
        self.frames.append(fr)
        try:
            self.run(macro.body, inner)
        finally:
            self.frames.pop()
            self.value_wanted = wanted
        if fr.result is None:
            if wanted:
                self.error(loc, f"macro {macro.name} returns no value")
            return ERR
        return fr.result
