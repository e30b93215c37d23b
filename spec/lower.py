"""AST -> IR: state variables, the initial-state action, actions, invariants, expectations.

See spec/ir.py for what the result means. Process steps and the initial state are
symbolically executed (spec/symexec.py); expressions are typed and lowered by
spec/elab.py; names are resolved by spec/checker.py.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from mmcheck.spec import ast, ir
from mmcheck.spec import fold as f
from mmcheck.spec.checker import Env
from mmcheck.spec.elab import ERR, Elab, ite_val, pre_state
from mmcheck.spec.errors import Loc, did_you_mean
from mmcheck.spec.slots import exprs_of, with_slot_sets
from mmcheck.spec.symbols import ProcInfo, Val, VarSym
from mmcheck.spec.symexec import Exec, Store, Write
from mmcheck.spec.types import (
    BoolT,
    EnumT,
    ErrT,
    IntT,
    LockT,
    MapT,
    OptionT,
    RecordT,
    SeqT,
    SetT,
    Type,
    bounds,
    elem_dims,
    leaves,
    none_value,
    unify,
)

FAIL_KINDS = ("assert", "lock", "range", "domain", "div", "null", "free")


def scalar_type(
    t: Type,
    lock_names: tuple[str, ...] = (),
    lock_hi: ir.Expr | None = None,
    lock_sorts: tuple[tuple[str, int], ...] = (),
) -> ir.ScalarType:
    if isinstance(t, OptionT):
        assert t.inner is not None
        st = scalar_type(t.inner)
        if st.kind == "bool":
            st = dataclasses.replace(st, kind="enum", names=("false", "true"))
        return dataclasses.replace(st, hi=none_value(t), none=True)
    if isinstance(t, BoolT):
        return ir.ScalarType("bool", ir.Const(0), ir.Const(1))
    if isinstance(t, EnumT):
        sorts = ((t.sort, 0),) if t.sort else ()
        return ir.ScalarType("enum", ir.Const(0), ir.Const(len(t.values) - 1), t.values, sorts)
    if isinstance(t, LockT):
        return ir.ScalarType("lock", ir.Const(0), lock_hi or ir.Const(0), lock_names, lock_sorts)
    assert isinstance(t, IntT) and t.lo is not None and t.hi is not None
    sorts = ((t.sort, t.lo.value),) if t.sort and isinstance(t.lo, ir.Const) else ()
    return ir.ScalarType("int", t.lo, t.hi, (), sorts)


def choice_type(s: Val, t: Type, params: list[ir.ParamDecl]) -> Type | None:
    """The values an initial choice `var x : t in s` runs over: every element of s, so
    that one outside x's range is a range error at the assignment (docs/language.md),
    never silently no choice; None if s's elements are no values of t. A parameter's
    domain is constant: a bound of s that reads earlier choices (`0..y`) is bounded
    through their domains (`params`); one of no known bound (`{y * z}`) is t's. So a
    choice runs over s's values, not t's (`in {0, 1}` for a 0..100: two)."""
    if s.type.elem is None:
        return t
    u = unify(s.type.elem, t)
    if u is None or not isinstance(u, IntT):
        return u
    hull, own = bounds(s.type.elem), bounds(t)
    if hull is None or own is None:
        return t
    doms = {p.name: (p.type.lo, p.type.hi) for p in params}
    lo = f.const_bounds(hull[0], doms)
    hi = f.const_bounds(hull[1], doms)
    return IntT(
        ir.Const(lo[0]) if lo is not None else own[0],
        ir.Const(hi[1]) if hi is not None else own[1],
        u.sort,
    )


def literal_text(v: Val, t: Type) -> str | None:
    """A constant record, set or scalar value as the spec writes it (None if not known:
    a map, or a value that reads the state)."""
    if isinstance(t, RecordT) and v.fields is not None:
        parts = [literal_text(v.fields[n], ft) for n, ft in t.fields]
        if None in parts:
            return None
        return "{" + ", ".join(f"{n}: {p}" for (n, _), p in zip(t.fields, parts)) + "}"
    if isinstance(t, SetT) and v.member is not None and t.elem is not None:
        lo, hi = bounds(t.elem) or (None, None)
        if not isinstance(lo, ir.Const) or not isinstance(hi, ir.Const):
            return None
        show = scalar_type(t.elem).show
        members = [(k, v.contains(ir.Const(k), t.elem)) for k in range(lo.value, hi.value + 1)]
        if not all(isinstance(m, ir.Const) for _, m in members):
            return None
        return "{" + ", ".join(show(k) for k, m in members if m.value) + "}"
    if isinstance(t, BoolT | IntT | EnumT) and isinstance(v.expr, ir.Const):
        return scalar_type(t).show(v.expr.value)
    return None


def holds_seq(t: Type) -> bool:
    """Whether t is a sequence or has one inside (a map's element, a record's field)."""
    if isinstance(t, RecordT):
        return any(holds_seq(ft) for _, ft in t.fields)
    return isinstance(t, SeqT) or isinstance(t, MapT) and holds_seq(t.elem)


@dataclass(frozen=True)
class Part:
    """The part of a variable an initial choice sets: the choice parameter's name
    (`votes[2]`, `p.mine[1]` for instance 1 of p), the part as the spec names it, for
    errors (`votes[2]`, `mine`), and where it is stored: IR variable and index prefix."""

    name: str
    what: str
    irname: str
    idx: tuple[ir.Expr, ...]
    loc: Loc  # the whole set's, where a range error of any part is reported

    def elem(self, shown: str, index: tuple[ir.Expr, ...]) -> Part:
        return dataclasses.replace(
            self, name=f"{self.name}[{shown}]", what=f"{self.what}[{shown}]", idx=self.idx + index
        )

    def field(self, name: str) -> Part:
        return dataclasses.replace(
            self,
            name=f"{self.name}.{name}",
            what=f"{self.what}.{name}",
            irname=f"{self.irname}.{name}",
        )


@dataclasses.dataclass(frozen=True)
class Each:
    """An initial choice made for every instance of a process set of symbolic size: the
    set's index type, and the bound variable that stands for the instance."""

    over: Type
    var: str


def dim(t: Type) -> ir.Dim:
    lo, hi = bounds(t) or (ir.Const(0), ir.Const(-1))
    names = t.values if isinstance(t, EnumT) else ()
    sort = t.sort if isinstance(t, IntT | EnumT) else None
    return ir.Dim(lo, hi, names, sort)


MAX_SLOTS = 10**6  # state slots in all (each state is a vector of them)
MAX_PROCESSES = 10**5  # instances of one process set
# expression nodes of one action written out as trees, as the back ends walk them: a read
# of a variable the step wrote earlier repeats its index once per write, so reads nested
# in one another's indices grow exponentially (the lowering itself shares the subtrees)
MAX_ACTION_NODES = 10**6


def tree_size(exprs: Iterable[ir.Expr]) -> int:
    """How many nodes the expressions have as trees, counted once per shared node."""
    size: dict[int, int] = {}

    def of(e: ir.Expr) -> int:
        n = size.get(id(e))
        if n is None:
            n = size[id(e)] = 1 + sum(map(of, f.operands(e)))
        return n

    return sum(map(of, exprs))


class Lowering:
    def __init__(self, env: Env) -> None:
        self.env = env
        self.vars: list[ir.Var] = []
        self.var_dims: dict[str, tuple[ir.Dim, ...]] = {}
        self.procs = env.processes
        self.instances: list[str] = []
        self.last_holder: ir.Expr = ir.Const(0)
        self.lock_sorts: list[tuple[str, int]] = []
        self.slots = 0  # state slots declared so far

    def error(self, loc: Loc, msg: str, hint: str | None = None) -> None:
        self.env.error(loc, msg, hint)

    # ------------------------------------------------------------------ processes
    def number_processes(self) -> None:
        """Give each process instance its lock-holder value: 1, 2, ... for the single
        processes, then the instances of each set in order. After a set of symbolic size
        the values are expressions of it (`1 + GUPS`), and no instance has a name."""
        holder: ir.Expr = ir.Const(1)
        for p in sorted(self.procs, key=lambda p: p.decl.index is not None):
            p.first_holder = holder
            if p.decl.index is None:
                self.instances.append(p.name)
                holder = f.binary("+", holder, ir.Const(1))
                continue
            t = self.env.domain(p.decl.index.type)
            if isinstance(t, ErrT):
                t = IntT(ir.Const(1), ir.Const(1))
            lo, hi = bounds(t)
            if isinstance(lo, ir.Const) and isinstance(hi, ir.Const):
                count = hi.value - lo.value + 1
                if count > MAX_PROCESSES:
                    self.error(
                        p.decl.loc,
                        f"process set {p.name} has {count} instances (at most {MAX_PROCESSES})",
                    )
                    t, lo, hi = IntT(ir.Const(1), ir.Const(1)), ir.Const(1), ir.Const(1)
            if p.decl.symmetric and not (isinstance(t, IntT | EnumT) and t.sort):
                self.env.sorts[p.name] = f.binary("+", f.binary("-", hi, lo), ir.Const(1))
                t = dataclasses.replace(t, sort=p.name)
            p.index = t
            # a symmetry sort's lock values (symmetry reduction is for concrete sizes)
            if t.sort and isinstance(holder, ir.Const):
                self.lock_sorts.append((t.sort, holder.value))
            if isinstance(lo, ir.Const) and isinstance(hi, ir.Const):
                for i in range(lo.value, hi.value + 1):
                    shown = t.values[i] if isinstance(t, EnumT) else str(i)
                    self.instances.append(f"{p.name}[{shown}]")
            size = hi if lo == ir.Const(1) else f.binary("+", f.binary("-", hi, lo), ir.Const(1))
            holder = f.binary("+", holder, size)
        self.last_holder = f.binary("-", holder, ir.Const(1))

    # ------------------------------------------------------------------ variables
    def add_var(
        self,
        name: str,
        t: Type,
        loc: Loc,
        prefix_dims: tuple[Type, ...] = (),
        role: str = "var",
        source: str = "",
    ) -> None:
        if isinstance(t, ErrT):
            return
        if isinstance(t, MapT | RecordT) and holds_seq(t):
            self.error(loc, "a sequence is a variable's own type, not a map's element or a field")
            return
        for leaf in leaves(t):
            if isinstance(leaf.type, ErrT) or any(isinstance(d, ErrT) for d in leaf.dims):
                continue
            if isinstance(leaf.type, IntT) and bounds(leaf.type) is None:
                continue
            st = scalar_type(
                leaf.type,
                ("free", *self.instances) if isinstance(self.last_holder, ir.Const) else (),
                self.last_holder,
                tuple(self.lock_sorts),
            )
            dims = tuple(dim(d) for d in prefix_dims + leaf.dims)
            # a set of records: its last dimensions are the fields, a bool shown as one
            fields = leaf.elem.fields if isinstance(leaf.elem, RecordT) else ()
            if fields:
                dims = dims[: -len(fields)] + tuple(
                    dataclasses.replace(d, names=("false", "true")) if isinstance(t, BoolT) else d
                    for d, (_, t) in zip(dims[-len(fields) :], fields)
                )
            irname = name + leaf.suffix
            if not self.count_slots(irname, dims, loc):
                return
            set_dims = len(elem_dims(leaf.elem)) if leaf.elem is not None else 0
            self.vars.append(
                ir.Var(
                    irname,
                    st,
                    dims,
                    loc,
                    role,
                    source or name,
                    tuple(n for n, _ in fields),
                    set_dims,
                )
            )
            self.var_dims[irname] = dims

    def count_slots(self, name: str, dims: tuple[ir.Dim, ...], loc: Loc) -> bool:
        """Add a variable's slots to the total; False (an error) past MAX_SLOTS."""
        n = 1
        for d in dims:
            if isinstance(d.lo, ir.Const) and isinstance(d.hi, ir.Const):
                n *= max(0, d.hi.value - d.lo.value + 1)
        self.slots += n
        if self.slots > MAX_SLOTS:
            self.error(
                loc, f"{name} needs {n} state slots, {self.slots} in all (at most {MAX_SLOTS})"
            )
            return False
        return True

    def declare_vars(self) -> None:
        for d in self.env.decls:
            if not self.env.owns(d):
                continue
            if isinstance(d, ast.VarDecl):
                sym = self.env.var_sym(d.name)
                if isinstance(sym.type, LockT) or self.has_lock(sym.type):
                    self.error(d.loc, "locks are declared with `lock`, not as variables")
                    continue
                self.add_var(d.name, sym.type, d.loc)
            elif isinstance(d, ast.LockDecl):
                sym = self.env.lookup(d.name)
                self.add_var(d.name, sym.type, d.loc, role="lock")
            elif isinstance(d, ast.PoolDecl):
                pool = self.env.lookup(d.name)
                if not isinstance(pool.ref, ErrT) and not isinstance(pool.elem, ErrT):
                    self.add_var(d.name, MapT((pool.ref,), pool.elem), d.loc)
                    self.add_var(pool.allocated, MapT((pool.ref,), BoolT()), d.loc, source=d.name)
            elif isinstance(d, ast.ProcessDecl):
                p = self.env.lookup(d.name)
                pdims = (p.index,) if p.index is not None else ()
                pc = ir.ScalarType("pc", ir.Const(0), ir.Const(len(p.labels)), p.labels + ("Done",))
                pc_dims = tuple(dim(x) for x in pdims)
                if not self.count_slots(p.pc_var, pc_dims, d.loc):
                    continue
                self.vars.append(ir.Var(p.pc_var, pc, pc_dims, d.loc, "pc", d.name))
                self.var_dims[p.pc_var] = pc_dims
                for v in d.locals:
                    sym = self.env.local_sym(p, v.name)
                    self.add_var(sym.irname, sym.type, v.loc, pdims, source=sym.irname)

    def has_lock(self, t: Type) -> bool:
        return isinstance(t, LockT) or (isinstance(t, MapT) and self.has_lock(t.elem))

    def dims(self, var: str) -> tuple[ir.Dim, ...] | None:
        """Dimensions of an IR variable; None if it was not declared (after an error)."""
        return self.var_dims.get(var)

    # ------------------------------------------------------------------ initial states
    def init(self) -> ir.Action:
        def uninitialized(var: str, idx: tuple[ir.Expr, ...], loc: Loc | None) -> ir.Expr:
            self.error(
                loc,
                f"{var} is read before its initial value is set (initial values "
                "may read only variables declared before)",
            )
            return ir.Const(0)

        store = Store(uninitialized, self.dims)
        ex = Exec(self.env, store, None)
        params: list[ir.ParamDecl] = []
        for d in self.env.decls:
            if not self.env.owns(d):
                continue
            if isinstance(d, ast.VarDecl):
                sym = self.env.var_sym(d.name)
                self.init_var(ex, sym, d, params, ex.elab)
            elif isinstance(d, ast.LockDecl):
                sym = self.env.lookup(d.name)
                self.init_zero(ex, d.name, sym.type, d.loc)
            elif isinstance(d, ast.PoolDecl):
                self.init_pool(ex, d)
            elif isinstance(d, ast.ProcessDecl):
                p = self.env.lookup(d.name)
                self.init_process(ex, p, params)
        guards = [
            ex.elab.boolean(d.expr, {}) for d in self.env.decls if isinstance(d, ast.InitDecl)
        ]
        # The back ends apply the updates before the guard, so that an initial value's
        # error happens whatever the `init` constraints say; an initial value is
        # evaluated for the members of each `in` set only, so each update is under them.
        chosen = f.conj(ex.guards)
        updates = [dataclasses.replace(u, cond=f.conj((chosen, u.cond))) for u in store.updates()]
        return ir.Action(
            "Init",
            tuple(params),
            f.conj(ex.guards + guards),
            tuple(ex.checks),
            tuple(updates),
            self.env.header_loc,
        )

    def init_pool(self, ex: Exec, d: ast.PoolDecl) -> None:
        """Every element of a pool its initial value (a constant), none allocated."""
        pool = self.env.lookup(d.name)
        if isinstance(pool.ref, ErrT) or isinstance(pool.elem, ErrT):
            return
        v = ex.elab.constant(d.init)
        if isinstance(v.type, ErrT):
            return
        if unify(pool.elem, v.type) is None:
            self.error(d.init.loc, f"pool {d.name} holds {pool.elem}, not {v.type}")
            return
        if not ex.sorts_match(d.name, pool.elem, v.type, d.init.loc):
            return
        dims = (pool.ref,)
        ex.write_val(
            d.name,
            (),
            MapT(dims, pool.elem),
            Val(MapT(dims, pool.elem), get=lambda i, at: v),
            d.loc,
            f.TRUE,
        )
        no = Val(BoolT(), expr=ir.FALSE)
        ex.write_val(
            pool.allocated,
            (),
            MapT(dims, BoolT()),
            Val(MapT(dims, BoolT()), get=lambda i, at: no),
            d.loc,
            f.TRUE,
        )

    def init_zero(
        self, ex: Exec, name: str, t: Type, loc: Loc, prefix: tuple[Type, ...] = ()
    ) -> None:
        whole = MapT(prefix, t) if prefix else t
        for leaf in leaves(whole):
            ex.store.write(name + leaf.suffix, Write((), lambda rest: ir.Const(0), f.TRUE, loc))

    def init_var(
        self,
        ex: Exec,
        sym: VarSym,
        d: ast.VarDecl,
        params: list[ir.ParamDecl],
        elab: Elab,
        scope: dict | None = None,
        index: tuple[ir.Expr, ...] = (),
    ) -> None:
        scope = scope or {}
        if isinstance(sym.type, ErrT):
            return
        if not d.is_choice:
            v = elab.expr(d.init, scope, sym.type)
            lv = elab.lvalue(ast.Name(d.name, d.loc), scope)
            if lv is not None:
                ex.assign(lv, v, d.init.loc)
            return
        lv = elab.lvalue(ast.Name(d.name, d.loc), scope)
        if lv is not None:
            at = Part(sym.irname, d.name, lv.irname, lv.index, d.init.loc)
            self.choose(ex, elab, scope, params, sym.type, d.init, at)

    def init_process(self, ex: Exec, p: ProcInfo, params: list[ir.ParamDecl]) -> None:
        loc = p.decl.loc
        if p.index is None:
            ex.store.write(p.pc_var, Write((), lambda rest: ir.Const(0), f.TRUE, loc))
            elab = Elab(self.env, reader=ex.store.read, proc=p, fx=ex, snapshot=ex.store.snapshot)
            for v in p.decl.locals:
                self.init_var(ex, self.env.local_sym(p, v.name), v, params, elab)
            return
        ex.store.write(p.pc_var, Write((), lambda rest: ir.Const(0), f.TRUE, loc))
        for v in p.decl.locals:
            sym = self.env.local_sym(p, v.name)
            if isinstance(sym.type, ErrT):
                continue
            if v.is_choice:
                self.init_choices(ex, p, sym, v, params)
                continue
            idx_t = p.index

            def get(
                idx: tuple[ir.Expr, ...],
                l2: Loc | None,
                v: ast.VarDecl = v,
                idx_t: Type = idx_t,
                want: Type = sym.type,
            ) -> Val:
                me = Val(idx_t, expr=idx[0])
                scope = {"self": me, p.decl.index.name: me}
                return Elab(
                    self.env, reader=ex.store.read, proc=None, snapshot=ex.store.snapshot
                ).expr(v.init, scope, want)

            probe = get((ir.Param("#1"),), v.loc)
            if unify(sym.type, probe.type) is None:
                self.error(
                    v.init.loc,
                    f"cannot assign a value of type {probe.type} to {v.name}, which is {sym.type}",
                )
                continue
            if not ex.sorts_match(v.name, sym.type, probe.type, v.init.loc):
                continue
            whole = Val(MapT((idx_t,), sym.type), get=get)
            ex.write_val(sym.irname, (), MapT((idx_t,), sym.type), whole, v.init.loc, f.TRUE)

    def init_choices(
        self, ex: Exec, p: ProcInfo, sym: VarSym, v: ast.VarDecl, params: list[ir.ParamDecl]
    ) -> None:
        """`var x : T in S` in a process set: one initial choice per instance."""
        lo, hi = bounds(p.index)
        elab = Elab(self.env, reader=ex.store.read, proc=None, snapshot=ex.store.snapshot)
        if not isinstance(lo, ir.Const) or not isinstance(hi, ir.Const):
            self.choose_each(ex, p, sym, v, params, elab, (lo, hi))
            return
        show = scalar_type(p.index).show
        # written instance by instance (and part by part) below
        whole = Part("", "", sym.irname, (), v.init.loc)
        self.first_write(ex, whole, MapT((p.index,), sym.type))
        for i in range(lo.value, hi.value + 1):
            me = Val(p.index, expr=ir.Const(i))
            scope = {"self": me, p.decl.index.name: me}
            at = Part(f"{sym.irname}[{show(i)}]", v.name, sym.irname, (ir.Const(i),), v.init.loc)
            if not self.choose(ex, elab, scope, params, sym.type, v.init, at):
                return

    def choose_each(
        self,
        ex: Exec,
        p: ProcInfo,
        sym: VarSym,
        v: ast.VarDecl,
        params: list[ir.ParamDecl],
        elab: Elab,
        span: tuple[ir.Expr, ir.Expr],
    ) -> None:
        """`var x : T in S` in a process set of symbolic size (its instances `span`): the
        choice made once, for an instance bound by a variable, with per-instance
        parameters (ParamAt) whose guard is quantified over every instance: the same
        choices as one per instance."""
        assert p.index is not None
        lo, hi = span
        var = elab.fresh(p.decl.index.name)
        me = Val(p.index, expr=ir.Param(var))
        scope = {"self": me, p.decl.index.name: me}
        first = len(ex.guards)
        at = Part(sym.irname, v.name, sym.irname, (), v.init.loc)
        with elab.binding(var):
            chosen = self.choose(ex, elab, scope, params, sym.type, v.init, at, Each(p.index, var))
        each = f.conj(ex.guards[first:])
        del ex.guards[first:]
        if chosen and not f.is_true(each):  # true: every value of the type (the domain's)
            ex.guards.append(ir.Quant("forall", var, lo, hi, each))

    def choose(
        self,
        ex: Exec,
        elab: Elab,
        scope: dict,
        params: list[ir.ParamDecl],
        t: Type,
        s: ast.Expr,
        at: Part,
        each: Each | None = None,
    ) -> bool:
        """`x in s` for an initial value: writes to the part `at` (of type t) a value
        chosen from the set s, by one choice parameter per scalar, per map element
        (`[D -> S]`), record field (`[f: S, ...]`) and element of the subsets of a set
        (`subset S`), or one over the values of a set literal of maps, records or sets.
        The parameters are named after the parts they choose (`votes[n1]`, `r.a`);
        the choice of each is the guard that its value is a member of its set. False
        after an error (reported once, not once per element). With `each`, a choice for
        every instance of a process set of symbolic size (choose_each): scalars and
        records of them only, the others need one parameter per element."""
        if each is not None and (
            isinstance(s, ast.FunSet | ast.SubsetOf)
            or isinstance(s, ast.SetLit)
            and s.items
            and not isinstance(t, BoolT | IntT | EnumT)
        ):
            return self.refuse(
                s.loc,
                f"{at.what} is {t}: in a process set of symbolic size `in` chooses a scalar "
                "or a record of scalars ([f: S, ...]); give the size a value (-D)",
            )
        if isinstance(s, ast.FunSet):
            return self.choose_map(ex, elab, scope, params, t, s, at)
        if isinstance(s, ast.RecordSet):
            if not isinstance(t, RecordT):
                return self.refuse(
                    s.loc, f"{at.what} is {t}, not a record: it cannot start in records"
                )
            given = {f_: (e, loc) for f_, e, loc in s.fields}
            for f_, _, loc in s.fields:
                if t.field(f_) is None or [g for g, _, _ in s.fields].count(f_) > 1:
                    why = "given twice" if t.field(f_) else f"not a field of {t}"
                    return self.refuse(loc, f"field '{f_}' {why}")
            missing = [f_ for f_, _ in t.fields if f_ not in given]
            if missing:
                return self.refuse(s.loc, f"the set of records gives no field '{missing[0]}'")
            return all(
                self.choose(ex, elab, scope, params, ft, given[f_][0], at.field(f_), each)
                for f_, ft in t.fields
            )
        if isinstance(s, ast.SubsetOf):
            return self.choose_subset(ex, elab, scope, params, t, s, at)
        if isinstance(t, SeqT):
            return self.refuse(s.loc, "a sequence's initial value is given by `=`, not `in`")
        if isinstance(s, ast.SetLit) and s.items and not isinstance(t, BoolT | IntT | EnumT):
            return self.choose_value(ex, elab, scope, params, t, s, at)
        if not isinstance(t, BoolT | IntT | EnumT):
            return self.refuse(
                s.loc,
                f"{at.what} is {t}: it starts in a set of such values: [D -> S] for a map, "
                "[f: S, ...] or a set literal of records for a record, subset S for a set",
            )
        v = elab.typed_val(s, scope, SetT, "a set")
        if v is None:
            return False
        if v.type.elem is None:
            return self.refuse(s.loc, f"{at.what} starts in an empty set: it has no initial value")
        u = choice_type(v, t, params)
        if u is None:
            return self.refuse(s.loc, f"{at.what} is {t}; it cannot start in a {v.type}")
        if not ex.sorts_match(at.what, t, v.type.elem, s.loc):
            return False
        if each is None:
            x: ir.Expr = self.choice(params, at.name, scalar_type(u))
            ex.write_val(at.irname, at.idx, t, Val(t, expr=x), at.loc, f.TRUE)
        else:
            x = self.choice_each(ex, params, at, t, scalar_type(u), each)
        ex.guards.append(v.contains(x, u))
        return True

    def choice_each(
        self,
        ex: Exec,
        params: list[ir.ParamDecl],
        at: Part,
        t: Type,
        st: ir.ScalarType,
        each: Each,
    ) -> ir.ParamAt:
        """A per-instance choice parameter, written to the part `at` of every instance:
        returns its element at the instance `each` binds."""
        params.append(ir.ParamDecl(at.name, st, dims=(dim(each.over),)))
        whole = MapT((each.over,), t)

        def get(idx: tuple[ir.Expr, ...], _: Loc | None) -> Val:
            return Val(t, expr=ir.ParamAt(at.name, idx))

        ex.write_val(at.irname, at.idx, whole, Val(whole, get=get), at.loc, f.TRUE)
        return ir.ParamAt(at.name, (ir.Param(each.var),))

    def choose_map(
        self,
        ex: Exec,
        elab: Elab,
        scope: dict,
        params: list[ir.ParamDecl],
        t: Type,
        s: ast.FunSet,
        at: Part,
    ) -> bool:
        """`x in [D1, .., Dn -> S]`: each element of the map chosen from S."""
        if not isinstance(t, MapT):
            return self.refuse(s.loc, f"{at.what} is {t}, not a map: it cannot start in maps")
        if len(s.dims) != len(t.dims):
            return self.refuse(
                s.loc, f"{at.what} has {len(t.dims)} index(es); these maps have {len(s.dims)}"
            )
        ranges = []
        for d, dx in zip(t.dims, s.dims):
            given = self.env.domain(dx)
            if isinstance(given, ErrT):
                return False
            if unify(d, given) is None or bounds(d) != bounds(given):
                return self.refuse(dx.loc, f"these maps are over {given}; {at.what} is over {d}")
            lo, hi = bounds(d)
            if not isinstance(lo, ir.Const) or not isinstance(hi, ir.Const):
                return self.refuse(
                    dx.loc, "a set of maps needs a domain of constant size (one choice per element)"
                )
            ranges.append(range(lo.value, hi.value + 1))
        self.first_write(ex, at, t)  # written element by element below
        shows = [scalar_type(d).show for d in t.dims]
        for key in itertools.product(*ranges):
            shown = ", ".join(show(k) for show, k in zip(shows, key))
            elem = at.elem(shown, tuple(ir.Const(k) for k in key))
            if not self.choose(ex, elab, scope, params, t.elem, s.elem, elem):
                return False
        return True

    def first_write(self, ex: Exec, at: Part, t: Type) -> None:
        """Writes the part `at` (of type t) whole, with a value of its range that the
        element by element writes of the choices overwrite: a read of an element at an
        index not known statically (`init forall n in Node: votes[n]`) ends with it, not
        with the state before the initial one."""
        for leaf in leaves(t):
            first = (bounds(leaf.type) or (ir.Const(0),))[0]
            write = Write(at.idx, lambda rest, v=first: v, f.TRUE, at.loc)
            ex.store.write(at.irname + leaf.suffix, write)

    def choose_subset(
        self,
        ex: Exec,
        elab: Elab,
        scope: dict,
        params: list[ir.ParamDecl],
        t: Type,
        s: ast.SubsetOf,
        at: Part,
    ) -> bool:
        """`x in subset S`: each value of S's element type in the set or not (one bool
        choice each, true only for a member of S). An element outside the set's own
        element type is chosen too, so that it is a range error, never silently left out."""
        if not isinstance(t, SetT):
            return self.refuse(s.loc, f"{at.what} is {t}, not a set: it cannot start in subsets")
        base = elab.typed_val(s.base, scope, SetT, "a set")
        if base is None:
            return False
        elem = t.elem
        if base.type.elem is not None:
            u = choice_type(base, t.elem, params)
            if u is None:
                return self.refuse(
                    s.base.loc, f"{at.what} is {t}; it cannot start in subsets of a {base.type}"
                )
            if not ex.sorts_match(at.what, t.elem, base.type.elem, s.base.loc):
                return False
            elem = u
        if not isinstance(elem, BoolT | IntT | EnumT):
            return self.refuse(s.loc, f"subset of a set of {elem} values is not supported")
        lo, hi = bounds(elem) or (None, None)
        if not isinstance(lo, ir.Const) or not isinstance(hi, ir.Const):
            return self.refuse(
                s.loc, "subsets need a set of constant bounds (one choice per element)"
            )
        show = scalar_type(elem).show
        flags = []
        for k in range(lo.value, hi.value + 1):
            b = self.choice(params, at.elem(show(k), ()).name, scalar_type(BoolT()))
            ex.guards.append(f.implies(b, base.contains(ir.Const(k), elem)))
            flags.append((k, b))

        def member(x: ir.Expr) -> ir.Expr:
            out: ir.Expr = ir.FALSE
            for k, b in reversed(flags):
                out = f.ite(f.binary("==", x, ir.Const(k)), b, out)
            return out

        chosen = Val(SetT(elem), member=member, member_any=True)
        ex.write_val(at.irname, at.idx, t, chosen, at.loc, f.TRUE)
        return True

    def choose_value(
        self,
        ex: Exec,
        elab: Elab,
        scope: dict,
        params: list[ir.ParamDecl],
        t: Type,
        s: ast.SetLit,
        at: Part,
    ) -> bool:
        """`x in {v1, .., vn}` for a map, record or set: one choice among the values
        (1..n), each value chosen once however often it is written."""
        vals = []
        for item in s.items:
            v = elab.expr(item, scope)
            if isinstance(v.type, ErrT):
                return False
            if unify(t, v.type) is None:
                return self.refuse(item.loc, f"{at.what} is {t}; it cannot start in a {v.type}")
            if not ex.sorts_match(at.what, t, v.type, item.loc):
                return False
            vals.append(v)
        shown = [literal_text(v, t) for v in vals]
        one, n = ir.Const(1), ir.Const(len(vals))
        known = None not in shown
        st = ir.ScalarType("enum", one, n, tuple(shown)) if known else ir.ScalarType("int", one, n)
        x = self.choice(params, at.name, st)  # shown as the value (else its position)
        value = vals[-1]
        for j in range(len(vals) - 2, -1, -1):
            value = ite_val(f.binary("==", x, ir.Const(j + 1)), vals[j], value, t)
        for j, v in enumerate(vals):
            same = f.disj(elab.eq_val(w, v, t, s.loc) for w in vals[:j])
            ex.guards.append(f.implies(f.binary("==", x, ir.Const(j + 1)), f.negate(same)))
        ex.write_val(at.irname, at.idx, t, value, at.loc, f.TRUE)
        return True

    def choice(self, params: list[ir.ParamDecl], name: str, st: ir.ScalarType) -> ir.Param:
        """A new choice parameter of the initial states. Their combinations are not
        bounded: the back ends enumerate them lazily, so a time limit or a signal stops a
        search that spends its time there (tests/reliability/test_faults.py)."""
        params.append(ir.ParamDecl(name, st))
        return ir.Param(name)

    def refuse(self, loc: Loc, msg: str) -> bool:
        self.error(loc, msg)
        return False

    # ------------------------------------------------------------------ actions
    def action(self, d: ast.ActionDecl) -> ir.Action:
        scope: dict[str, Val] = {}
        params = []
        for prm in d.params:
            t = self.env.domain(prm.type)
            if isinstance(t, ErrT):
                continue
            params.append(ir.ParamDecl(prm.name, scalar_type(t)))
            scope[prm.name] = Val(t, expr=ir.Param(prm.name))
        elab = Elab(self.env, reader=pre_state)
        store = Store(pre_state, self.dims)
        ex = Exec(self.env, store, None)
        with elab.binding(*scope):
            guards = [elab.boolean(g, scope) for g in d.guards]
            guard = f.conj(guards)
            for u in d.updates:
                # right-hand sides read the state before the step
                if elab.ambiguous(u.value, scope):  # the place says which enum's value
                    lv = elab.lvalue(u.target, scope)
                    v = elab.expr(u.value, scope, lv.type if lv is not None else None)
                else:
                    v = elab.expr(u.value, scope)
                    lv = elab.lvalue(u.target, scope)
                if lv is not None:
                    ex.assign(lv, v, u.loc)
            updates = tuple(store.updates())
        waits = tuple(ir.Wait("when", c, g.loc) for c, g in zip(guards, d.guards))
        return ir.Action(
            d.name,
            tuple(params),
            guard,
            tuple(ex.checks),
            updates,
            d.loc,
            waits=waits,
            fairness=d.fairness,
        )

    def steps(self, p: ProcInfo) -> list[ir.Action]:
        out = []
        for i, s in enumerate(p.steps):
            store = Store(pre_state, self.dims)
            ex = Exec(self.env, store, p, i)
            ex.next_pc = ir.Const((*p.labels, "Done").index(s.after))
            idx: tuple[ir.Expr, ...] = (ir.Param("self"),) if p.index is not None else ()
            at = f.binary("==", ir.Read(p.pc_var, idx, s.loc), ir.Const(i))
            ex.run(s.body, {})
            ex.store.write(p.pc_var, Write(idx, lambda rest, pc=ex.next_pc: pc, f.TRUE, s.loc))
            params = [ir.ParamDecl("self", scalar_type(p.index))] if p.index is not None else []
            out.append(
                ir.Action(
                    f"{p.name}.{s.label}",
                    tuple(params + ex.hidden),
                    f.conj([at] + ex.guards),
                    tuple(ex.checks),
                    tuple(store.updates()),
                    s.loc,
                    p.name,
                    s.label,
                    branches=tuple(ex.branches),
                    waits=tuple(ex.waits),
                    fairness=p.decl.fairness,
                )
            )
        return out

    # ------------------------------------------------------------------ the rest
    def consts(self) -> tuple[ir.ConstDecl, ...]:
        out = []
        for d in self.env.decls:
            if isinstance(d, ast.ConstDecl) and self.env.owns(d):
                sym = self.env.const_sym(d.name)
                value = sym.value.value if isinstance(sym.value, ir.Const) else None
                t = sym.type
                if isinstance(t, BoolT):
                    st = scalar_type(t)
                else:
                    own = ir.SymConst(d.name) if value is None else ir.Const(value)
                    lo = t.lo if isinstance(t, IntT) and t.lo is not None else own
                    hi = t.hi if isinstance(t, IntT) and t.hi is not None else own
                    st = ir.ScalarType("int", lo, hi)
                out.append(ir.ConstDecl(d.name, value, st, d.loc))
        return tuple(out)

    def assumes(self) -> tuple[tuple[ir.Expr, Loc], ...]:
        elab = Elab(self.env, reader=None, what="an assume")
        out = []
        for d in self.env.decls:
            if isinstance(d, ast.Assume):
                c = elab.boolean(d.expr, {})
                if f.is_false(c):
                    shown = ", ".join(
                        f"{n}={self.shown_const(n)}"
                        for n in sorted(names_in(d.expr))
                        if n in self.env.symbols and self.is_const(n)
                    )
                    self.error(
                        d.loc,
                        f"assumption does not hold ({shown})"
                        if shown
                        else "assumption does not hold",
                    )
                out.append((c, d.loc))
        return tuple(out)

    def is_const(self, name: str) -> bool:
        return (
            isinstance(self.env.symbols[name], ast.ConstDecl)
            or type(self.env.symbols[name]).__name__ == "ConstSym"
        )

    def shown_const(self, name: str) -> str:
        v = self.env.const_sym(name).value
        if isinstance(v, ir.Const):
            return ("true" if v.value else "false") if v.is_bool else str(v.value)
        return "?"

    def check_defs(self) -> None:
        """Check every def body once, used or not (its parameters of any type)."""
        elab = Elab(self.env, reader=pre_state)
        for d in self.env.decls:
            if isinstance(d, ast.DefDecl) and self.env.owns(d):
                scope = dict.fromkeys((*d.params, "self"), ERR)
                elab.defs.append(d.name)
                elab.expr(d.body, scope)
                elab.defs.pop()

    def invariants(self) -> tuple[ir.Invariant, ...]:
        elab = Elab(self.env, reader=pre_state)
        return tuple(
            ir.Invariant(d.name, elab.boolean(d.expr, {}), d.loc, d.lemma)
            for d in self.env.decls
            if isinstance(d, ast.InvariantDecl)
        )

    def constraints(self) -> tuple[ir.Invariant, ...]:
        """The state constraints: predicates of one state, elaborated as invariants."""
        return self.predicates(ast.ConstraintDecl)

    def covers(self) -> tuple[ir.Invariant, ...]:
        """The witness properties: predicates of one state, elaborated as invariants
        (the same symmetry rules: a cover is evaluated on canonical states)."""
        return self.predicates(ast.CoverDecl)

    def predicates(self, kind: type) -> tuple[ir.Invariant, ...]:
        elab = Elab(self.env, reader=pre_state)
        return tuple(
            ir.Invariant(d.name, elab.boolean(d.expr, {}), d.loc)
            for d in self.env.decls
            if isinstance(d, kind)
        )

    def properties(self) -> tuple[ir.Property, ...]:
        """The temporal properties: their predicates are of one state, as invariants'."""
        elab = Elab(self.env, reader=pre_state)
        return tuple(
            ir.Property(
                d.name,
                d.kind,
                elab.boolean(d.p, {}),
                elab.boolean(d.q, {}) if d.q is not None else None,
                d.loc,
            )
            for d in self.env.decls
            if isinstance(d, ast.PropertyDecl)
        )

    def terminal(self) -> ir.Expr | None:
        elab = Elab(self.env, reader=pre_state)
        ts = [elab.boolean(d.expr, {}) for d in self.env.decls if isinstance(d, ast.TerminalDecl)]
        return f.disj(ts) if ts else None

    def expects(self, invariants: tuple[ir.Invariant, ...]) -> tuple[ir.Expect, ...]:
        out = []
        inv_names = {i.name for i in invariants}
        cover_names = [d.name for d in self.env.decls if isinstance(d, ast.CoverDecl)]
        prop_names = [d.name for d in self.env.decls if isinstance(d, ast.PropertyDecl)]
        for d in self.env.decls:
            if not isinstance(d, ast.ExpectDecl) or d.loc.file != self.env.file:
                continue
            consts = []
            for name, value, loc in d.consts:
                sym = self.env.symbols.get(name)
                if not self.is_const(name) if sym is not None else True:
                    consts = filter(self.is_const, self.env.symbols)
                    hint = did_you_mean(name, consts)
                    self.error(loc, f"expect: there is no constant '{name}'", hint)
                    continue
                consts.append((name, int(value)))
            verdict, prop = d.verdict, None
            if verdict == "violates":
                verdict, prop = "invariant", d.detail
                if prop not in inv_names:
                    hint = did_you_mean(prop, inv_names)
                    self.error(d.loc, f"expect: there is no invariant '{prop}'", hint)
                elif d.checks is not None and prop not in (n for n, _ in d.checks):
                    self.error(d.loc, f"expect: {prop} is not among the invariants checked")
            elif verdict == "property":
                prop = d.detail
                if prop not in prop_names:
                    hint = did_you_mean(prop, prop_names)
                    self.error(d.loc, f"expect: there is no property '{prop}'", hint)
            elif verdict == "fails":
                verdict = d.detail or ""
                if verdict not in FAIL_KINDS:
                    self.error(d.loc, f"expect: `fails` takes one of {', '.join(FAIL_KINDS)}")
                    continue
            for name, loc in d.checks or ():
                if name not in inv_names:
                    self.error(loc, f"expect: there is no invariant or lemma '{name}'")
            for name, loc in d.covers:
                if name not in cover_names:
                    hint = did_you_mean(name, cover_names)
                    self.error(loc, f"expect: there is no cover '{name}'", hint)
            checks = tuple(n for n, _ in d.checks) if d.checks is not None else None
            covers = tuple(n for n, _ in d.covers)
            out.append(
                ir.Expect(
                    tuple(consts),
                    verdict,
                    prop,
                    d.loc,
                    d.steps,
                    d.states,
                    checks,
                    covers,
                    d.cycle,
                )
            )
        return tuple(out)


def names_in(e: object) -> set[str]:
    """Every Name used in an AST expression (for messages)."""
    if isinstance(e, ast.Name):
        return {e.name}
    out: set[str] = set()
    if dataclasses.is_dataclass(e):
        for fld in dataclasses.fields(e):
            v = getattr(e, fld.name)
            for x in v if isinstance(v, tuple) else (v,):
                out |= names_in(x)
    return out


def lower(env: Env) -> ir.Program:
    """The IR of a resolved spec; errors are collected on env (the caller raises)."""
    lw = Lowering(env)
    consts = lw.consts()
    assumes = lw.assumes()
    lw.number_processes()
    lw.declare_vars()
    init = lw.init()
    actions = [lw.action(d) for d in env.decls if isinstance(d, ast.ActionDecl)]
    for p in lw.procs:
        actions += lw.steps(p)
    invariants = lw.invariants()
    lw.check_defs()
    for a in (init, *actions):
        if tree_size(exprs_of(a)) > MAX_ACTION_NODES:
            lw.error(
                a.loc,
                f"{'the initial state' if a is init else a.name} lowers to more than "
                f"{MAX_ACTION_NODES:,} expression nodes (reads nested in the indices of "
                "variables written earlier in the step)",
            )
    processes = tuple(
        ir.Process(
            p.name,
            p.labels,
            p.pc_var,
            dim(p.index) if p.index is not None else None,
            p.decl.loc,
            p.first_holder,
            tuple(s.loc for s in p.steps),
        )
        for p in lw.procs
    )
    sorts = tuple(env.sorts)
    sizes = tuple((s, n.value) for s, n in env.sorts.items() if isinstance(n, ir.Const))
    program = ir.Program(
        env.name,
        env.file,
        consts,
        assumes,
        tuple(lw.vars),
        init,
        tuple(actions),
        invariants,
        processes,
        lw.terminal(),
        sorts,
        sizes,
        lw.expects(invariants),
        constraints=lw.constraints(),
        covers=lw.covers(),
        properties=lw.properties(),
    )
    if env.errors or not program.is_concrete:
        return program
    return with_slot_sets(program)
