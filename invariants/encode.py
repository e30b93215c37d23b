"""The IR as z3 terms: states, expressions with their runtime errors, and action steps.

Representation. Bool-typed values are z3 Bools, every other scalar (int ranges, enums,
pcs, lock holders, action parameters) a z3 Int; a value is coerced where the IR mixes
them. A variable over concrete dimensions is one term per element; a variable whose
dimensions involve a symbolic constant is a z3 array indexed by Ints.

Errors. Evaluating an expression gives its value and the list of runtime errors it can
raise, each with the condition under which it is the *first* error raised (the IR
evaluates left to right and short-circuits), so the errors of an expression are
mutually exclusive and a step errs exactly where the explorer's Python would.
Quantifiers over concrete bounds are unrolled; over symbolic bounds `forall`/`exists`
become z3 quantifiers and `count`/`sum` recursive functions (sound, but z3 cannot do
the induction a changed array needs, so such queries often come back unknown).

A symbolic count or sum (outside any z3 quantifier) is a constant, equated with its
recursive definition by an equation of `Encoder.definitions`: a query without them is
weaker (any real state satisfies it), so its unsat answer is a proof, and it spares z3
the unfolding of the definitions, which buried the few facts that matter (the frame
lemmas) under instantiations. The prover asks that first and adds them otherwise.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import z3

from mmcheck.explorer.core.limits import Limits
from mmcheck.invariants import interrupt
from mmcheck.spec import ir
from mmcheck.spec.errors import Loc
from mmcheck.spec.fold import operands


class Err(NamedTuple):
    cond: z3.BoolRef  # the error happens (and is the first one) exactly when cond holds
    kind: str  # "domain", "div", "range" or a Check's kind
    loc: Loc | None
    message: str


Val = tuple[z3.ExprRef, list[Err]]


def as_int(t: z3.ExprRef) -> z3.ArithRef:
    return z3.If(t, z3.IntVal(1, t.ctx), z3.IntVal(0, t.ctx)) if z3.is_bool(t) else t


def as_bool(t: z3.ExprRef) -> z3.BoolRef:
    return t if z3.is_bool(t) else t != 0


def ok(errs: list[Err], ctx: z3.Context) -> z3.BoolRef:
    """No error of the list happens."""
    return z3.And([z3.Not(e.cond) for e in errs]) if errs else z3.BoolVal(True, ctx)


def failed(errs: list[Err], ctx: z3.Context) -> z3.BoolRef:
    return z3.Or([e.cond for e in errs]) if errs else z3.BoolVal(False, ctx)


def guarded(cond: z3.BoolRef, errs: list[Err]) -> list[Err]:
    """The errors of something evaluated only when cond holds."""
    return [e._replace(cond=z3.And(cond, e.cond)) for e in errs]


def merged(errs: list[Err]) -> list[Err]:
    """One error per site (kind, loc and message), first where it happens first, raised
    where any of its conditions holds (they are mutually exclusive): a subexpression read
    at several places, or in both branches of an `if`, raises its errors once each, not
    a list doubled per level of the DAG the lowering shares (Encoder.expr)."""
    conds: dict[tuple, list[z3.BoolRef]] = {}
    first: dict[tuple, Err] = {}
    for e in errs:
        site = (e.kind, e.loc, e.message)
        first.setdefault(site, e)
        same = conds.setdefault(site, [])
        if not any(e.cond.eq(c) for c in same):
            same.append(e.cond)
    return [
        first[site]._replace(cond=cs[0] if len(cs) == 1 else z3.Or(cs))
        for site, cs in conds.items()
    ]


def seq(first: list[Err], then: list[Err]) -> list[Err]:
    """The errors of evaluating `first`, then (if it raised nothing) `then`."""
    if not first or not then:
        return first + then
    return merged(first + guarded(ok(first, first[0].cond.ctx), then))


def _range_text(info: VarInfo) -> str:
    lo, hi = int_value(info.lo), int_value(info.hi) if info.hi is not None else None
    return f" {lo}..{hi}" if lo is not None and hi is not None else ""


def int_value(t: z3.ExprRef) -> int | None:
    """The Python int of a term that simplifies to a numeral, else None."""
    if z3.is_int_value(t):
        return t.as_long()
    s = z3.simplify(t)
    if z3.is_int_value(s):
        return s.as_long()
    if z3.is_true(s):
        return 1
    if z3.is_false(s):
        return 0
    return None


def pydiv(a: z3.ArithRef, b: z3.ArithRef) -> z3.ArithRef:
    """Python's floor division (z3's div is Euclidean: they differ for b < 0)."""
    q = a / b
    return z3.If(z3.Or(b > 0, a % b == 0), q, q - 1)


def pymod(a: z3.ArithRef, b: z3.ArithRef) -> z3.ArithRef:
    """Python's floor modulo: the sign of the divisor."""
    r = a % b
    return z3.If(z3.Or(b > 0, r == 0), r, r + b)


@dataclass(frozen=True)
class DimInfo:
    lo: z3.ArithRef
    hi: z3.ArithRef
    lo_int: int | None
    hi_int: int | None


@dataclass(frozen=True)
class VarInfo:
    var: ir.Var
    dims: tuple[DimInfo, ...]
    lo: z3.ArithRef
    hi: z3.ArithRef | None  # None: unbounded above (a constant declared `1..`)

    @property
    def is_bool(self) -> bool:
        return self.var.type.is_bool

    @property
    def concrete(self) -> bool:
        return all(d.lo_int is not None and d.hi_int is not None for d in self.dims)

    def indices(self) -> Iterator[tuple[int, ...]]:
        """Every index of a concrete array in the order of its slots (() for a scalar)."""
        return ir.indices((d.lo_int, d.hi_int) for d in self.dims)

    def in_domain(self, idx: tuple[z3.ExprRef, ...]) -> z3.BoolRef:
        ctx = self.lo.ctx
        return z3.And([z3.And(d.lo <= i, i <= d.hi) for d, i in zip(self.dims, idx)], ctx)

    def in_range(self, v: z3.ExprRef) -> z3.BoolRef:
        if self.is_bool:
            return z3.BoolVal(True, v.ctx)
        v = as_int(v)
        return z3.And(self.lo <= v, v <= self.hi) if self.hi is not None else self.lo <= v

    def coerce(self, v: z3.ExprRef) -> z3.ExprRef:
        return as_bool(v) if self.is_bool else as_int(v)


# A variable's value: a term (scalar), a dict index -> term (concrete dimensions) or a
# z3 array (symbolic dimensions).
VarValue = z3.ExprRef | dict[tuple[int, ...], z3.ExprRef]


@dataclass
class State:
    vals: dict[str, VarValue] = field(default_factory=dict)
    # indices written in one-dimensional arrays since the copy (see frame_lemmas)
    points: list[z3.ArithRef] = field(default_factory=list)

    def copy(self) -> State:
        return State({k: dict(v) if isinstance(v, dict) else v for k, v in self.vals.items()})


def _first_element_shape(e: ir.Quant) -> tuple[ir.Expr, ir.Quant, ir.Expr] | None:
    """C, the forall and g of a sum `if C(p) and (forall q in ...: ...) then g(p) else 0`
    (either operand of the `and` first), where C has no quantifier (its terms are
    compared, and a quantifier's bound variable is fresh at each encoding); whether the
    forall is C's "none before p" is for Encoder._first_element to tell."""
    body = e.body
    if e.kind != "sum" or not isinstance(body, ir.Ite) or body.other != ir.Const(0):
        return None
    cond = body.cond
    if not (isinstance(cond, ir.Binary) and cond.op == "and"):
        return None
    for c, f in ((cond.left, cond.right), (cond.right, cond.left)):
        if isinstance(f, ir.Quant) and f.kind == "forall" and not _has_quant(c):
            return c, f, body.then
    return None


def _has_quant(e: ir.Expr) -> bool:
    return isinstance(e, ir.Quant) or any(map(_has_quant, operands(e)))


@dataclass(frozen=True)
class SumTerm:
    """A count or sum as evaluated in one state."""

    quant: ir.Quant
    env: dict[str, z3.ExprRef]
    state: State
    lo: z3.ArithRef
    hi: z3.ArithRef
    value: z3.ArithRef
    encoder: Encoder
    summands: tuple[z3.ArithRef, ...] = ()  # at lo, lo+1, ... when the bounds are concrete
    facts: tuple[z3.BoolRef, ...] = ()  # what its value's constants stand for (Encoder.facts)

    def body(self, i: z3.ArithRef) -> z3.ArithRef:
        """The summand at i (a written index outside the range too: the frame lemmas ask
        it under the condition that i lies in the range)."""
        if self.summands and z3.is_int_value(i):
            k = i.as_long() - self.lo.as_long()
            if 0 <= k < len(self.summands):
                return self.summands[k]
        t, _ = self.encoder.expr(self.quant.body, self.state, {**self.env, self.quant.var: i})
        return as_int(as_bool(t)) if self.quant.kind == "count" else as_int(t)

    def same_instance(self, other: SumTerm) -> bool:
        """The same count or sum: the same bounds and the same summand, other's read in
        this term's state. Compared as z3 terms, not as IR: a definition's parameter bound
        to a value (extra_refs(p) in a forall over p) and that value written out
        (extra_refs(OLD)) are one count, which two unrelated constants would make z3
        prove equal by the induction it cannot do."""
        if (
            self.quant == other.quant
            and self.env.keys() == other.env.keys()
            and all(t.eq(other.env[k]) for k, t in self.env.items())
        ):
            return True
        if self.quant.kind != other.quant.kind:
            return False
        enc, st = self.encoder, self.state
        bounds = (as_int(enc.expr(b, st, other.env)[0]) for b in (other.quant.lo, other.quant.hi))
        if not all(z3.simplify(a).eq(z3.simplify(b)) for a, b in zip((self.lo, self.hi), bounds)):
            return False
        if id(self) in enc.comparing:
            # this summand is being evaluated for a comparison already, and holds the
            # other count (sum i in 1..N, j in 1..N): evaluating it again would not end
            return False
        enc.comparing.add(id(self))
        try:
            i = enc._bound_var("same_instance")  # a count in the summand is a function of it
            theirs = replace(other, state=st, summands=())
            return z3.simplify(self.body(i)).eq(z3.simplify(theirs.body(i)))
        finally:
            enc.comparing.discard(id(self))


@dataclass(frozen=True)
class Scope:
    """The facts and definitions an encoder added since the scope was taken
    (Encoder.scope): those of one step, asserted with its queries only. Each read is of
    the lists as they are then, so it counts what was added meanwhile too."""

    encoder: Encoder
    facts_from: int
    definitions_from: int

    @property
    def facts(self) -> list[z3.BoolRef]:
        return self.encoder.facts[self.facts_from :]

    @property
    def definitions(self) -> list[z3.BoolRef]:
        return self.encoder.definitions[self.definitions_from :]


@dataclass
class StepEnc:
    """One action taken from a state with given parameter terms."""

    action: ir.Action
    params: dict[str, z3.ExprRef]
    domain: z3.BoolRef  # the parameters lie in their domains
    enabled: z3.BoolRef  # the guard evaluates to true without error
    errors: list[Err]  # first-error conditions of the step (guard, checks, updates)
    post: State  # the successor (meaningful where enabled and no error)

    @property
    def error(self) -> z3.BoolRef:
        return z3.And(self.domain, failed(self.errors, self.domain.ctx))

    @property
    def fires(self) -> z3.BoolRef:
        """The step produces a successor."""
        return z3.And(self.domain, self.enabled, ok(self.errors, self.domain.ctx))


class Encoder:
    """z3 terms for one program. Symbolic constants are z3 Ints named as the constant.

    Every term is made in the encoder's own z3 context, dropped with it: z3's search
    depends on the terms its context already holds, so a proof made in the global
    context could answer differently after other proofs in the same process."""

    def __init__(self, program: ir.Program, limits: Limits | None = None) -> None:
        self.program = program
        # a signal `limits` catches stops the encoding (interrupt.poll), from the end of
        # this constructor: the callers take Interrupted where they run queries
        self.limits: Limits | None = None
        self.ctx = z3.Context()
        self.consts = {c.name: z3.Int(c.name, self.ctx) for c in program.consts if c.value is None}
        self._fresh = itertools.count()
        self._rec_names = itertools.count()  # of the recursive definitions: see _recursive_sum
        self.sums: list[SumTerm] = []  # counts and sums evaluated, for frame_lemmas
        self.comparing: set[int] = set()  # the sums SumTerm.same_instance is evaluating
        # each symbolic sum's name equated with its recursive definition (see above)
        self.definitions: list[z3.BoolRef] = []
        # what the fresh constants of a first-element sum stand for (_first_element),
        # added again each time the sum is read: quantified but not recursive, cheap
        # enough to be asserted with the queries on the steps that read it
        self.facts: list[z3.BoolRef] = []
        self._bound: set[str] = set()  # the variables bound by z3 quantifiers and lambdas
        self._memo: dict[tuple, tuple] | None = None  # see expr
        self.vars: dict[str, VarInfo] = {}
        for v in program.vars:
            dims = []
            for d in v.dims:
                lo, hi = self.const_term(d.lo), self.const_term(d.hi)
                dims.append(DimInfo(lo, hi, int_value(lo), int_value(hi)))
            hi = self.const_term(v.type.hi) if v.type.hi is not None else None
            self.vars[v.name] = VarInfo(v, tuple(dims), self.const_term(v.type.lo), hi)
        self.limits = limits

    def scope(self) -> Scope:
        """The facts and definitions added from now on (a step's, for its queries)."""
        return Scope(self, len(self.facts), len(self.definitions))

    # ----------------------------------------------------------------- constants

    def const_term(self, e: ir.Expr) -> z3.ExprRef:
        """A bound or other constant expression (it reads no state)."""
        value, _ = self.expr(e, State(), {})
        return as_int(value)

    def const_constraints(self) -> list[z3.BoolRef]:
        """Ranges and `assume`s of the symbolic constants (nothing if all are concrete)."""
        if not self.consts:
            return []
        out = []
        for c in self.program.consts:
            if c.value is None:
                t = self.consts[c.name]
                if c.type.is_bool:
                    out.append(z3.And(t >= 0, t <= 1))
                    continue
                out.append(t >= self.const_term(c.type.lo))
                if c.type.hi is not None:
                    out.append(t <= self.const_term(c.type.hi))
        for e, _loc in self.program.assumes:
            value, errs = self.expr(e, State(), {})
            out.append(z3.And(ok(errs, self.ctx), as_bool(value)))
        return out

    def fresh(self, base: str) -> str:
        return f"{base}!{next(self._fresh)}"

    # ----------------------------------------------------------------- states

    def new_state(self, tag: str) -> State:
        """A state of fresh constants named `<var>[<index>]@<tag>`."""
        st = State()
        for name, info in self.vars.items():
            sort = z3.BoolSort(self.ctx) if info.is_bool else z3.IntSort(self.ctx)
            if not info.dims:
                st.vals[name] = z3.Const(f"{name}@{tag}", sort)
            elif info.concrete:
                st.vals[name] = {
                    idx: z3.Const(f"{name}{list(idx)}@{tag}", sort) for idx in info.indices()
                }
            else:
                doms = [z3.IntSort(self.ctx)] * len(info.dims)
                st.vals[name] = z3.Array(f"{name}@{tag}", *doms, sort)
        return st

    def in_ranges(self, st: State) -> list[z3.BoolRef]:
        """Every slot of the state lies in its variable's range."""
        out: list[z3.BoolRef] = []
        for name, info in self.vars.items():
            if info.is_bool:
                continue
            val = st.vals[name]
            if isinstance(val, dict):
                out.extend(info.in_range(t) for t in val.values())
            elif not info.dims:
                out.append(info.in_range(val))
            else:
                idx = [z3.Int(self.fresh("i"), self.ctx) for _ in info.dims]
                elem = z3.Select(val, *idx)
                out.append(
                    z3.ForAll(idx, z3.Implies(info.in_domain(tuple(idx)), info.in_range(elem)))
                )
        return out

    def equal(self, a: State, b: State) -> z3.BoolRef:
        """The two states agree on every slot (on the domain, for symbolic arrays)."""
        out: list[z3.BoolRef] = []
        for name, info in self.vars.items():
            x, y = a.vals[name], b.vals[name]
            if isinstance(x, dict):
                out.extend(x[k] == y[k] for k in x)
            elif not info.dims:
                out.append(x == y)
            else:
                idx = [z3.Int(self.fresh("i"), self.ctx) for _ in info.dims]
                same = z3.Select(x, *idx) == z3.Select(y, *idx)
                out.append(z3.ForAll(idx, z3.Implies(info.in_domain(tuple(idx)), same)))
        return z3.And(out, self.ctx)

    # ----------------------------------------------------------------- expressions

    def expr(self, e: ir.Expr, st: State, env: dict[str, z3.ExprRef]) -> Val:
        """The value of e in state st (env binds parameters) and the errors it raises.

        The lowering shares subtrees (ir._shared), so e is a DAG that may be exponentially
        larger as a tree: each node is encoded once per state and binding of the
        parameters within a call (or a step: see shared_terms), and its terms and error
        list are shared by every place that reads it."""
        with self.shared_terms() as memo:
            key = (id(e), id(st), tuple((k, t.get_id()) for k, t in env.items()))
            hit = memo.get(key)
            if hit is None:
                if self.limits is not None:
                    interrupt.poll(self.limits)
                # e, st and env kept alive with the value, so that no id in a key is reused
                hit = memo[key] = (self._expr(e, st, env), e, st, env)
            return hit[0]

    @contextmanager
    def shared_terms(self) -> Iterator[dict[tuple, tuple]]:
        """The memo of expr, kept while the outermost `with` lasts: no state read in it
        may change meanwhile (init's updates change the state they read: one per call)."""
        if self._memo is not None:
            yield self._memo
            return
        self._memo = {}
        try:
            yield self._memo
        finally:
            self._memo = None

    def _expr(self, e: ir.Expr, st: State, env: dict[str, z3.ExprRef]) -> Val:
        match e:
            case ir.Const(value, is_bool):
                return (
                    z3.BoolVal(bool(value), self.ctx) if is_bool else z3.IntVal(value, self.ctx)
                ), []
            case ir.SymConst(name):
                return self.consts[name], []
            case ir.Param(name):
                return env[name], []
            case ir.Read():
                return self._read(e, st, env)
            case ir.Unary(op, arg):
                v, errs = self.expr(arg, st, env)
                return (z3.Not(as_bool(v)) if op == "not" else -as_int(v)), errs
            case ir.Binary():
                return self._binary(e, st, env)
            case ir.Ite(cond, then, other):
                c, ce = self.expr(cond, st, env)
                c = as_bool(c)
                t, te = self.expr(then, st, env)
                o, oe = self.expr(other, st, env)
                if z3.is_bool(t) != z3.is_bool(o):
                    t, o = as_int(t), as_int(o)
                errs = seq(ce, merged(guarded(c, te) + guarded(z3.Not(c), oe)))
                return z3.If(c, t, o), errs
            case ir.Guard(cond, then, kind, message, loc):
                c, ce = self.expr(cond, st, env)
                c = as_bool(c)
                t, te = self.expr(then, st, env)
                if not z3.is_true(z3.simplify(c)):
                    ce = seq(ce, [Err(z3.Not(c), kind, loc, message)])
                return t, seq(ce, te)
            case ir.Quant():
                return self._quant(e, st, env)
            case ir.ParamAt(name, index):
                terms, errs = self._index(index, st, env)
                return z3.Select(env[name], *terms), errs
        raise TypeError(f"not an IR expression: {e!r}")

    def _index(
        self,
        index: Iterable[ir.Expr],
        st: State,
        env: dict,
        dims: Iterable[DimInfo] | None = None,
        loc: Loc | None = None,
        msg: str = "",
    ) -> tuple[list, list[Err]]:
        """The index terms, each evaluated then checked against its dimension in turn
        (dims None: no check, as for a ParamAt's index)."""
        terms, errs = [], []
        checked = ((i, None) for i in index) if dims is None else zip(index, dims)
        for i, d in checked:
            t, ie = self.expr(i, st, env)
            t = as_int(t)
            terms.append(t)
            errs = seq(errs, ie)
            if d is None:
                continue
            inside = z3.And(d.lo <= t, t <= d.hi)
            if not z3.is_true(z3.simplify(inside)):
                errs = seq(errs, [Err(z3.Not(inside), "domain", loc, msg)])
        return terms, errs

    def _read(self, e: ir.Read, st: State, env: dict) -> Val:
        info = self.vars[e.var]
        val = st.vals[e.var]
        if not info.dims:
            return val, []
        idx, errs = self._index(
            e.index, st, env, info.dims, e.loc, f"{e.var} applied outside its domain"
        )
        return self.select(info, val, idx), errs

    def select(self, info: VarInfo, val: VarValue, idx: list[z3.ArithRef]) -> z3.ExprRef:
        if not isinstance(val, dict):
            return z3.Select(val, *idx)
        known = [int_value(i) for i in idx]
        if all(k is not None for k in known):
            key = tuple(known)
            if key in val:
                return val[key]
        items = list(val.items())
        out = items[-1][1]  # outside the domain the read is an error: any value will do
        for key, term in reversed(items[:-1]):
            out = z3.If(z3.And([i == k for i, k in zip(idx, key)]), term, out)
        return out

    def _binary(self, e: ir.Binary, st: State, env: dict) -> Val:
        a, ae = self.expr(e.left, st, env)
        b, be = self.expr(e.right, st, env)
        op = e.op
        if op in ("and", "or", "=>"):
            a, b = as_bool(a), as_bool(b)
            # the right operand is evaluated only when the left does not decide
            when = {"and": a, "or": z3.Not(a), "=>": a}[op]
            value = {"and": z3.And, "or": z3.Or, "=>": z3.Implies}[op](a, b)
            return value, seq(ae, guarded(when, be))
        errs = seq(ae, be)
        if op == "<=>":
            return as_bool(a) == as_bool(b), errs
        if op in ("==", "!="):
            if z3.is_bool(a) != z3.is_bool(b):
                a, b = as_int(a), as_int(b)
            return (a == b if op == "==" else a != b), errs
        a, b = as_int(a), as_int(b)
        match op:
            case "<":
                return a < b, errs
            case "<=":
                return a <= b, errs
            case ">":
                return a > b, errs
            case ">=":
                return a >= b, errs
            case "+":
                return a + b, errs
            case "-":
                return a - b, errs
            case "*":
                return a * b, errs
            case "min":
                return z3.If(a <= b, a, b), errs
            case "max":
                return z3.If(a >= b, a, b), errs
            case "div" | "mod":
                if int_value(b) not in (None, 0):
                    zero: list[Err] = []
                else:
                    zero = [Err(b == 0, "div", e.loc, f"{op} by zero")]
                return (pydiv(a, b) if op == "div" else pymod(a, b)), seq(errs, zero)
        raise ValueError(f"unknown operator {op!r}")

    def _quant(self, e: ir.Quant, st: State, env: dict) -> Val:
        lo, le = self.expr(e.lo, st, env)
        hi, he = self.expr(e.hi, st, env)
        lo, hi = as_int(lo), as_int(hi)
        errs = seq(le, he)
        lo_i, hi_i = int_value(lo), int_value(hi)
        if lo_i is not None and hi_i is not None:
            value, be = self._unrolled(e, range(lo_i, hi_i + 1), st, env)
            if e.kind in ("count", "sum"):
                summands = tuple(value.children()) if z3.is_add(value) else (value,)
                if len(summands) != hi_i - lo_i + 1:  # an empty range, or z3 merged terms
                    summands = ()
                self._counted(SumTerm(e, env, st, lo, hi, value, self, summands))
        else:
            value, be = self._symbolic_quant(e, lo, hi, st, env)
        return value, seq(errs, be)

    def _counted(self, term: SumTerm) -> None:
        """Keep a count or sum for frame_lemmas, unless it is made to compare two others
        (SumTerm.same_instance): such a term is in no formula, and frame_lemmas, which
        compares the sums it keeps, would make more of them without end."""
        if not self.comparing:
            self.sums.append(term)

    def _unrolled(self, e: ir.Quant, values: range, st: State, env: dict) -> Val:
        terms, errs = [], []
        reached: z3.BoolRef = z3.BoolVal(True, self.ctx)  # the body is evaluated for this value
        for k in values:
            t, be = self.expr(e.body, st, {**env, e.var: z3.IntVal(k, self.ctx)})
            errs = seq(errs, guarded(reached, be))
            terms.append(t)
            if e.kind == "forall":
                reached = z3.And(reached, as_bool(t))
            elif e.kind == "exists":
                reached = z3.And(reached, z3.Not(as_bool(t)))
        match e.kind:
            case "forall":
                return z3.And([as_bool(t) for t in terms], self.ctx), errs
            case "exists":
                return z3.Or([as_bool(t) for t in terms], self.ctx), errs
            case "count":
                return self._sum([as_int(as_bool(t)) for t in terms]), errs
            case _:
                return self._sum([as_int(t) for t in terms]), errs

    def _sum(self, terms: list[z3.ArithRef]) -> z3.ArithRef:
        """The terms' sum, 0 for none."""
        return z3.Sum(terms) if terms else z3.IntVal(0, self.ctx)

    def _bound_var(self, base: str) -> z3.ArithRef:
        """A fresh variable for a z3 quantifier or lambda to bind."""
        v = z3.Int(self.fresh(base), self.ctx)
        self._bound.add(str(v))
        return v

    def _symbolic_quant(
        self, e: ir.Quant, lo: z3.ArithRef, hi: z3.ArithRef, st: State, env: dict
    ) -> Val:
        i = self._bound_var(e.var)
        body, be = self.expr(e.body, st, {**env, e.var: i})
        in_range = z3.And(lo <= i, i <= hi)
        if e.kind == "forall":
            value = z3.ForAll([i], z3.Implies(in_range, as_bool(body)))
        elif e.kind == "exists":
            value = z3.Exists([i], z3.And(in_range, as_bool(body)))
        else:
            # the same count evaluated again in a state (see refuted) is the same term
            term = SumTerm(e, env, st, lo, hi, z3.IntVal(0, self.ctx), self)
            known = [t for t in self.sums if t.state is st and t.same_instance(term)]
            if known:
                value = known[0].value
                self.facts.extend(known[0].facts)  # with the queries on this step's too
            else:
                # the variables enclosing z3 quantifiers bind, which the sum may read
                outer = {str(v): v for v in env.values() if str(v) in self._bound}
                first = None if outer else self._first_element(e, lo, hi, st, env)
                if first is None:
                    value = self._recursive_sum(e, i, body, lo, hi, tuple(outer.values()))
                    self._counted(replace(term, value=value))
                else:
                    value, fact = first
                    self.facts.append(fact)
                    self._counted(replace(term, value=value, facts=(fact,)))
        if not be:
            return value, []
        # the body at i is evaluated, and raises, only if every earlier value let it through
        j = self._bound_var(e.var)
        body_j, be_j = self.expr(e.body, st, {**env, e.var: j})
        through = ok(be_j, self.ctx)
        if e.kind == "forall":
            through = z3.And(through, as_bool(body_j))
        elif e.kind == "exists":
            through = z3.And(through, z3.Not(as_bool(body_j)))
        earlier = z3.ForAll([j], z3.Implies(z3.And(lo <= j, j < i), through))
        errs = []
        for err in be:
            cond = z3.Exists([i], z3.And(in_range, earlier, err.cond))
            errs.append(err._replace(cond=z3.And(ok(errs, self.ctx), cond)))
        return value, errs

    def _recursive_sum(
        self,
        e: ir.Quant,
        i: z3.ArithRef,
        body: z3.ExprRef,
        lo: z3.ArithRef,
        hi: z3.ArithRef,
        outer: tuple[z3.ArithRef, ...],
    ) -> z3.ArithRef:
        """The sum as a recursive function of i and of the `outer` bound variables it
        may read (as arguments: a definition is global, so a variable an enclosing
        quantifier binds would be a free constant in it, the same for every value of
        that quantifier), or, when there is none, a constant that `definitions` equates
        with it."""
        term = as_int(as_bool(body)) if e.kind == "count" else as_int(body)
        # z3 keeps recursive definitions as long as their context: names unique in it
        n = next(self._rec_names)
        sorts = [z3.IntSort(self.ctx)] * (1 + len(outer))
        f = z3.RecFunction(f"{e.kind}!{n}", *sorts, z3.IntSort(self.ctx))
        # the body is not kept in a variable: z3 reuses the ids of terms freed, and its
        # search depends on the ids (kept, the ticket lock's proof took four times longer)
        z3.RecAddDefinition(
            f, [i, *outer], z3.If(i > hi, z3.IntVal(0, self.ctx), term + f(i + 1, *outer))
        )
        if outer:
            return f(lo, *outer)
        name = z3.Int(f"{e.kind}~{n}", self.ctx)
        self.definitions.append(name == f(lo))
        return name

    def _first_element(
        self, e: ir.Quant, lo: z3.ArithRef, hi: z3.ArithRef, st: State, env: dict
    ) -> tuple[z3.ArithRef, z3.BoolRef] | None:
        """A sum over lo..hi whose summand is `if C(p) and (forall q in lo..p - 1: not C(q))
        then g(p) else 0` (the first element of a list, as compaction_alloc() takes it):
        g(w) for the least w of the range with C(w), or 0 where there is none (w and
        whether there is one are fresh constants), and the fact that pins them. At most
        one p contributes, so this is the sum, exactly, where the recursive definition
        needs an induction over the range that z3 does not do. None for any other
        summand. The summand's errors are the caller's, as for any sum: this is its
        value only."""
        shape = _first_element_shape(e)
        if shape is None:
            return None
        cond, inner, then = shape

        def c(t: z3.ArithRef, p: z3.ArithRef | None = None) -> z3.BoolRef:
            """C at t; C as the inner forall's body has it (negated back), at p."""
            if p is None:
                return as_bool(self.expr(cond, st, {**env, e.var: t})[0])
            body = self.expr(inner.body, st, {**env, e.var: p, inner.var: t})[0]
            return z3.Not(as_bool(body))

        x, y = self._bound_var(e.var), self._bound_var(e.var)
        # compared as z3 terms, as same_instance does: the reads of C in the inner range
        # carry a loc, those of the outer none, and an inner C that reads p differs here
        bounds = (inner.lo, inner.hi)
        inner_lo, inner_hi = (as_int(self.expr(b, st, {**env, e.var: y})[0]) for b in bounds)
        pairs = ((c(x), c(x, y)), (inner_lo, lo), (inner_hi, y - 1))
        if not all(z3.simplify(a).eq(z3.simplify(b)) for a, b in pairs):
            return None
        w, found = z3.Int(self.fresh("first"), self.ctx), z3.Bool(self.fresh("found"), self.ctx)
        j = self._bound_var(e.var)

        def none_up_to(end: z3.ArithRef) -> z3.BoolRef:
            return z3.ForAll([j], z3.Implies(z3.And(lo <= j, j <= end), z3.Not(c(j))))

        least = z3.And(lo <= w, w <= hi, c(w), none_up_to(w - 1))
        g = as_int(self.expr(then, st, {**env, e.var: w})[0])
        return z3.If(found, g, z3.IntVal(0, self.ctx)), z3.If(found, least, none_up_to(hi))

    def frame_lemmas(
        self, pre: State, post: State, witnesses: Iterable[z3.ArithRef] = ()
    ) -> list[z3.BoolRef]:
        """Facts about the counts and sums of a step from `pre` to
        `post`: a count (in either state) lies between 0 and the size of its range and
        counts a written index k, or one of the `witnesses` (see `refuted`), as its
        summand there; a count or sum in `post` equals the same one in
        `pre` when the summands agree everywhere, and differs by the change at k when
        they agree everywhere but at a written index k. All are theorems about finite
        sums (by induction on the bounds) that z3 cannot find by itself over symbolic
        bounds, and finds only by exponential case splits over concrete ones."""
        out: list[z3.BoolRef] = []
        points: list[z3.ArithRef] = []
        for k in post.points:  # an index is often written in several arrays
            if not any(k.eq(q) for q in points):
                points.append(k)
        counted = [*points, *(w for w in witnesses if not any(w.eq(q) for q in points))]
        counts = (
            t for t in self.sums if (t.state is pre or t.state is post) and t.quant.kind == "count"
        )
        for a in counts:
            size = z3.If(a.hi >= a.lo, a.hi - a.lo + 1, 0)
            out.append(z3.And(a.value >= 0, a.value <= size))
            for k in counted:  # one value of the range counts at most its own summand
                at_k = z3.And(a.lo <= k, k <= a.hi)
                out.append(
                    z3.Implies(at_k, z3.And(a.body(k) <= a.value, a.value <= size - 1 + a.body(k)))
                )
        for b in (t for t in self.sums if t.state is post):
            for a in (t for t in self.sums if t.state is pre and t.same_instance(b)):
                same_bounds = z3.And(a.lo == b.lo, a.hi == b.hi)
                everywhere = self._for_range(a, lambda i, a=a, b=b: a.body(i) == b.body(i))
                out.append(z3.Implies(z3.And(same_bounds, everywhere), b.value == a.value))
                for k in points:
                    elsewhere = self._for_range(
                        a, lambda i, a=a, b=b, k=k: z3.Or(i == k, a.body(i) == b.body(i))
                    )
                    at_k = z3.And(a.lo <= k, k <= a.hi)
                    change = a.value - a.body(k) + b.body(k)
                    out.append(z3.Implies(z3.And(same_bounds, at_k, elsewhere), b.value == change))
        return out

    def _for_range(self, t: SumTerm, prop: Callable[[z3.ArithRef], z3.BoolRef]) -> z3.BoolRef:
        """prop holds for every value of t's range: unrolled over concrete bounds."""
        lo, hi = int_value(t.lo), int_value(t.hi)
        if lo is not None and hi is not None:
            return z3.And([prop(z3.IntVal(j, self.ctx)) for j in range(lo, hi + 1)], self.ctx)
        # bound, so that a count in t's summand is a function of it (Encoder._quant)
        i = self._bound_var("i")
        return z3.ForAll([i], z3.Implies(z3.And(t.lo <= i, i <= t.hi), prop(i)))

    # ----------------------------------------------------------------- actions

    def param_terms(self, action: ir.Action, tag: str) -> dict[str, z3.ExprRef]:
        """A constant per parameter; an array for one chosen per instance (ParamAt)."""
        out: dict[str, z3.ExprRef] = {}
        for p in action.params:
            name = f"{action.name}.{p.name}@{tag}"
            if p.dims:
                ints = [z3.IntSort(self.ctx)] * (len(p.dims) + 1)
                out[p.name] = z3.Array(name, *ints)
            else:
                out[p.name] = z3.Int(name, self.ctx)
        return out

    def param_domain(self, action: ir.Action, params: dict[str, z3.ExprRef]) -> z3.BoolRef:
        return z3.And([self._param_domain(p, params[p.name]) for p in action.params], self.ctx)

    def _param_domain(self, p: ir.ParamDecl, term: z3.ExprRef) -> z3.BoolRef:
        """The parameter in its domain: for one chosen per instance, every element."""
        lo, hi = self.const_term(p.type.lo), self.const_term(p.type.hi)
        if not p.dims:
            return z3.And(lo <= term, term <= hi)
        idx = [self._bound_var("p") for _ in p.dims]
        inside = [
            z3.And(self.const_term(d.lo) <= i, i <= self.const_term(d.hi))
            for d, i in zip(p.dims, idx)
        ]
        x = z3.Select(term, *idx)
        return z3.ForAll(idx, z3.Implies(z3.And(inside), z3.And(lo <= x, x <= hi)))

    def step(self, action: ir.Action, st: State, params: dict[str, z3.ExprRef]) -> StepEnc:
        """The action taken in st with the given parameters, as the IR defines it."""
        with self.shared_terms():  # every expression reads st, which stays as it is
            g, errs = self.expr(action.guard, st, params)
            g = as_bool(g)
            enabled = z3.And(g, ok(errs, self.ctx))
            body = self._checks(action, st, params)
            post = st.copy()
            for u in action.updates:
                body = seq(body, self._update(u, st, params, post))
        errors = seq(errs, guarded(g, body))
        return StepEnc(action, params, self.param_domain(action, params), enabled, errors, post)

    def _checks(self, action: ir.Action, st: State, params: dict[str, z3.ExprRef]) -> list[Err]:
        """The errors of the action's checks, evaluated in order in st."""
        errs: list[Err] = []
        for chk in action.checks:
            c, ce = self.expr(chk.cond, st, params)
            errs = seq(errs, seq(ce, [Err(z3.Not(as_bool(c)), chk.kind, chk.loc, chk.message)]))
        return errs

    def _update(self, u: ir.Update, st: State, env: dict, post: State) -> list[Err]:
        """Apply u (evaluated in st) to post; return the errors it raises."""
        info = self.vars[u.var]
        if isinstance(u, ir.AssignAll):
            return self._assign_all(u, info, st, env, post)
        c, errs = self.expr(u.cond, st, env)
        c = as_bool(c)
        idx, mine = self._index(
            u.index, st, env, info.dims, u.loc, f"{u.var} assigned outside its domain"
        )
        v, ve = self.expr(u.value, st, env)
        v = info.coerce(v)
        mine = seq(mine, seq(ve, self._range_err(info, v, u.loc)))
        errs = seq(errs, guarded(c, mine))
        cur = post.vals[u.var]
        if not info.dims:
            post.vals[u.var] = z3.If(c, v, cur)
        elif isinstance(cur, dict):
            known = [int_value(i) for i in idx]
            for key, term in cur.items():
                if all(k is not None for k in known):
                    if tuple(known) == key:
                        cur[key] = z3.If(c, v, term)
                else:
                    hit = z3.And([i == k for i, k in zip(idx, key)])
                    cur[key] = z3.If(z3.And(c, hit), v, term)
            if len(idx) == 1:
                post.points.append(idx[0])
        else:
            post.vals[u.var] = z3.If(c, z3.Store(cur, *idx, v), cur)
            if len(idx) == 1:
                post.points.append(idx[0])
        return errs

    def _range_err(self, info: VarInfo, v: z3.ExprRef, loc: Loc) -> list[Err]:
        in_range = info.in_range(v)
        if z3.is_true(z3.simplify(in_range)):
            return []
        return [
            Err(
                z3.Not(in_range),
                "range",
                loc,
                f"value assigned to {info.var.name} outside its range{_range_text(info)}",
            )
        ]

    def _assign_all(
        self, u: ir.AssignAll, info: VarInfo, st: State, env: dict, post: State
    ) -> list[Err]:
        cur = post.vals[u.var]
        if isinstance(cur, dict) or not info.dims:
            errs: list[Err] = []
            for key in info.indices():
                sub = {**env, **{p: z3.IntVal(k, self.ctx) for p, k in zip(u.params, key)}}
                c, ce = self.expr(u.cond, st, sub)
                c = as_bool(c)
                v, ve = self.expr(u.value, st, sub)
                v = info.coerce(v)
                errs = seq(errs, seq(ce, guarded(c, seq(ve, self._range_err(info, v, u.loc)))))
                if isinstance(cur, dict):
                    cur[key] = z3.If(c, v, cur[key])
                else:
                    post.vals[u.var] = z3.If(c, v, cur)
            return errs
        idx = [self._bound_var(p) for p in u.params]
        sub = {**env, **dict(zip(u.params, idx))}
        c, ce = self.expr(u.cond, st, sub)
        c = as_bool(c)
        v, ve = self.expr(u.value, st, sub)
        v = info.coerce(v)
        post.vals[u.var] = z3.Lambda(idx, z3.If(c, v, z3.Select(cur, *idx)))
        mine = seq(ce, guarded(c, seq(ve, self._range_err(info, v, u.loc))))
        if not mine:
            return []
        # every element is written; report that some element errs (order across elements
        # is not tracked symbolically)
        in_dom = info.in_domain(tuple(idx))
        return [Err(z3.Exists(idx, z3.And(in_dom, e.cond)), e.kind, e.loc, e.message) for e in mine]

    def init(self, tag: str) -> tuple[State, z3.BoolRef, StepEnc]:
        """An initial state, as the explorer builds it: the init action's updates applied
        in order to a zeroed state, each reading the state built so far, then its guard
        (the initial constraint) and checks evaluated on the built state. Returns the
        state, the condition that it is initial, and the step (parameters, errors)."""
        action = self.program.init
        params = self.param_terms(action, tag)
        st = self.zero_state()
        errs: list[Err] = []
        for u in action.updates:
            errs = seq(errs, self._update(u, st, params, st))
        g, ge = self.expr(action.guard, st, params)
        g = as_bool(g)
        errors = seq(errs, seq(ge, guarded(g, self._checks(action, st, params))))
        step = StepEnc(
            action,
            params,
            self.param_domain(action, params),
            z3.And(g, ok(ge, self.ctx)),
            errors,
            st,
        )
        return st, step.fires, step

    def zero_state(self) -> State:
        st = State()
        for name, info in self.vars.items():
            zero = z3.BoolVal(False, self.ctx) if info.is_bool else z3.IntVal(0, self.ctx)
            if not info.dims:
                st.vals[name] = zero
            elif info.concrete:
                st.vals[name] = dict.fromkeys(info.indices(), zero)
            else:
                idx = [z3.Int(self.fresh("i"), self.ctx) for _ in info.dims]
                st.vals[name] = z3.Lambda(idx, zero)
        return st

    def holds(self, inv: ir.Invariant, st: State) -> z3.BoolRef:
        """The invariant evaluates to true, without error, in st."""
        v, errs = self.expr(inv.expr, st, {})
        return z3.And(ok(errs, self.ctx), as_bool(v))

    def refuted(self, inv: ir.Invariant, st: State) -> tuple[z3.BoolRef, list[z3.ArithRef]]:
        """The invariant does not hold in st: as not holds(inv, st), but a `forall` over
        symbolic bounds by which it can be false (the invariant itself, the right of an
        implication, a side of a conjunction, nested ones) is refuted by a fresh witness
        constant in its range rather than by a negated z3 quantifier. Equisatisfiable
        (each witness is existential, outside any quantifier); it gives the frame lemmas
        an index to count at. Returns the condition and the witnesses."""
        _, errs = self.expr(inv.expr, st, {})
        witnesses: list[z3.ArithRef] = []
        false = self._false(inv.expr, st, {}, witnesses)
        return z3.Or(failed(errs, self.ctx), z3.And(ok(errs, self.ctx), false)), witnesses

    def _false(self, e: ir.Expr, st: State, env: dict, witnesses: list[z3.ArithRef]) -> z3.BoolRef:
        """The value of e in st is false (its errors aside), with witnesses as in refuted."""
        if isinstance(e, ir.Quant) and e.kind == "forall":
            lo, hi = (as_int(self.expr(b, st, env)[0]) for b in (e.lo, e.hi))
            if int_value(lo) is None or int_value(hi) is None:
                w = z3.Int(self.fresh(e.var), self.ctx)
                witnesses.append(w)
                body = self._false(e.body, st, {**env, e.var: w}, witnesses)
                return z3.And(lo <= w, w <= hi, body)
        elif isinstance(e, ir.Binary) and e.op in ("and", "or", "=>"):
            right = self._false(e.right, st, env, witnesses)
            if e.op == "=>":
                return z3.And(as_bool(self.expr(e.left, st, env)[0]), right)
            left = self._false(e.left, st, env, witnesses)
            return z3.Or(left, right) if e.op == "and" else z3.And(left, right)
        return z3.Not(as_bool(self.expr(e, st, env)[0]))

    def invariant_errors(self, inv: ir.Invariant, st: State) -> list[Err]:
        return self.expr(inv.expr, st, {})[1]

    # --- state constraints: a state where one is false is not in the state space; they
    # are evaluated in order, so one is evaluated only where the earlier ones hold
    def inside(self, st: State) -> z3.BoolRef:
        """Every constraint holds, without error, in st: a state the explorer expands."""
        return z3.And([self.holds(c, st) for c in self.program.constraints], self.ctx)

    def constraint_errors(self, st: State) -> list[tuple[ir.Invariant, list[Err]]]:
        """Per constraint, the errors of its evaluation in st (where the earlier ones
        hold): a state where one happens is kept, and that is a violation."""
        out: list[tuple[ir.Invariant, list[Err]]] = []
        before: list[z3.BoolRef] = []
        for c in self.program.constraints:
            v, errs = self.expr(c.expr, st, {})
            out.append((c, guarded(z3.And(before, self.ctx), errs)))
            before.append(z3.And(ok(errs, self.ctx), as_bool(v)))
        return out

    def constraint_failed(self, st: State) -> z3.BoolRef:
        """A constraint fails to evaluate in st."""
        return failed([e for _, errs in self.constraint_errors(st) for e in errs], self.ctx)
