"""Expressions of the checked AST, evaluated directly on reference states.

`Symbols` is what the names of a spec stand for, read from the checker's Env (only the
symbol table and the constants' resolved values) and from the declarations; types are
resolved here by evaluating their bounds. `evaluate` follows docs/language.md: `and`,
`or`, `=>` and `if` evaluate left to right and short-circuit; `/` and `%` are floor
division and modulo; a failure (a map read outside its domain, a division by zero) is
recorded on the context and gives POISON, which everything computed from it inherits.
Map, record and set values are lazy, as TLC's function values: an element is evaluated
where it is used (`Lazy`, `LazySet`); comparing maps or records stops at the first
pair that differs (`_equal`), storing a value or comparing sets uses every element
(`force`).

A state is a dict: a global variable or lock by its name, a process instance's pc by
("pc", process, index) and its local by (process, index, name); the index of a single
process is None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from itertools import product

from mmcheck.explorer.reference.values import (
    NONE,
    POISON,
    Frozen,
    Holder,
    Instance,
    ProcSet,
    Seq,
    Some,
    TBool,
    TEnum,
    TInt,
    TLock,
    TMap,
    TOption,
    TRecord,
    TRef,
    TSeq,
    TSet,
    Type,
    domain,
)
from mmcheck.spec import ast
from mmcheck.spec.checker import PRELUDE, Env
from mmcheck.spec.errors import Loc, SpecError, SpecErrors

EFFECTS = ("trylock", "cas", "test_and_set", "alloc", "free")  # builtins that change the state


@dataclass(frozen=True)
class Fault:
    """A failure: kind (assert lock range domain div, or invariant), the invariant's
    name where one was being evaluated, where, and why."""

    kind: str
    name: str | None
    loc: Loc
    message: str


@dataclass(frozen=True)
class ByName:
    """A macro or def argument: the caller's expression, evaluated in the caller's scope."""

    expr: ast.Expr
    scope: dict


UNSET = object()  # a `Lazy` binding not evaluated yet


@dataclass
class Lazy:
    """A `let` binding or an element of a map, record or set value, evaluated at its
    first use and at most once: TLA+'s LET defines an operator and TLC's function values
    are lazy, so an element never used is never evaluated and its failures never happen
    (docs/language.md, "Errors and evaluation order")."""

    expr: ast.Expr
    ctx: Ctx
    value: object = UNSET

    def force(self, sym: Symbols) -> object:
        if self.value is UNSET:
            self.value = evaluate(sym, self.expr, self.ctx)
        return self.value


@dataclass(frozen=True)
class LazySet:
    """A set literal's elements ("lit"), or a union, inter or minus of two sets, each a
    `Lazy`. `x in S` stops as soon as it knows (`member`);
    anything else evaluates every element (`force`)."""

    op: str
    parts: tuple


@dataclass(frozen=True)
class FilterSet:
    """`{ x in S | P }`: `y in` it asks P of y only where y is in S (`member`); anything
    else evaluates P for every element of S, in order (`force`)."""

    domain: Lazy
    e: ast.SetFilter
    ctx: Ctx


@dataclass(frozen=True)
class ImageSet:
    """`{ e : x in S }`: `y in` it evaluates e for the elements of S in order up to the
    first equal to y (`member`); anything else evaluates e for every one (`force`)."""

    e: ast.SetImage
    ctx: Ctx


@dataclass
class Process:
    decl: ast.ProcessDecl
    labels: tuple[str, ...]
    index: Type | None  # the set's index type
    locals: dict[str, Type]
    # by label: the statements a step at it runs, and the label it goes to after them
    entries: dict[str, tuple[tuple[ast.Stmt, ...], str]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.decl.name

    def instances(self) -> list[Instance]:
        if self.index is None:
            return [(self.name, None)]
        return [(self.name, i) for i in domain(self.index)]


class Refused(Exception):
    """A construct the reference does not implement; raised as a SpecError by name."""

    def __init__(self, loc: Loc, what: str) -> None:
        super().__init__(what)
        self.loc = loc
        self.what = what

    def error(self) -> SpecErrors:
        return SpecErrors(
            [SpecError(self.loc, f"the reference interpreter does not support {self.what}")]
        )


@dataclass
class Ctx:
    """Where an expression is evaluated: the state it reads, the bound names, the process
    instance running (None outside a process), the failures so far, the location that
    failures inside a prelude primitive are reported at, and the values of the calls
    with effects of the statement being executed (by id of their Call node)."""

    state: dict
    faults: list[Fault]
    scope: dict = field(default_factory=dict)
    instance: Instance | None = None
    at: Loc | None = None
    effects: dict[int, object] = field(default_factory=dict)

    def fail(self, kind: str, loc: Loc, message: str) -> object:
        self.faults.append(Fault(kind, None, self.at or loc, message))
        return POISON


class Symbols:
    """The names of a spec, resolved: constants, types, variables, locks, enums, defs,
    macros, processes, and the declarations of initial values, invariants, actions."""

    def __init__(self, env: Env) -> None:
        self.env = env
        owned = [d for d in env.decls if not hasattr(d, "name") or env.owns(d)]
        self.consts: dict[str, object] = {}
        for d in owned:
            if isinstance(d, ast.ConstDecl):
                c = env.const_sym(d.name).value
                self.consts[d.name] = bool(c.value) if c.is_bool else c.value
        self.type_decls = {d.name: d for d in owned if isinstance(d, ast.TypeDecl)}
        self.enum_index: dict[str, int] = {}  # enum value -> its index in its enum
        self.enums: list[tuple[str, ...]] = []  # the values of each enum (names may repeat)
        self.defs = {d.name: d for d in owned if isinstance(d, ast.DefDecl)}
        self.macros = {d.name: d for d in owned if isinstance(d, ast.MacroDecl)}
        self.var_decls = [d for d in owned if isinstance(d, ast.VarDecl)]
        # a pool: its elements, a map over its references, and which are allocated
        self.pools = {d.name: d for d in owned if isinstance(d, ast.PoolDecl)}
        self.vars = {d.name: self.resolve(d.type) for d in self.var_decls}
        for d in self.pools.values():
            ref = (self.resolve(ast.NamedType(d.name, d.loc)),)
            self.vars[d.name] = TMap(ref, self.resolve(d.elem))
            self.vars[f"{d.name}.allocated"] = TMap(ref, TBool())
        self.locks = {
            d.name: TLock(tuple(self.resolve(t) for t in d.dims))
            for d in owned
            if isinstance(d, ast.LockDecl)
        }
        self.inits = [d for d in owned if isinstance(d, ast.InitDecl)]
        self.terminals = [d for d in owned if isinstance(d, ast.TerminalDecl)]
        self.invariants = [d for d in owned if isinstance(d, ast.InvariantDecl)]
        self.constraints = [d for d in owned if isinstance(d, ast.ConstraintDecl)]
        self.covers = [d for d in owned if isinstance(d, ast.CoverDecl)]
        self.properties = [d for d in owned if isinstance(d, ast.PropertyDecl)]
        self.actions = [d for d in owned if isinstance(d, ast.ActionDecl)]
        self.processes: dict[str, Process] = {}
        for d in owned:
            if isinstance(d, ast.ProcessDecl):
                index = self.resolve(d.index.type) if d.index else None
                local_types = {v.name: self.resolve(v.type) for v in d.locals}
                entries = entry_points(d)
                self.processes[d.name] = Process(d, tuple(entries), index, local_types, entries)
        for d in owned:  # enum values declared in types no variable uses
            if isinstance(d, ast.ActionDecl):
                for p in d.params:
                    self.resolve(p.type)
        for d in self.type_decls.values():
            self.resolve(d.type)

    # ------------------------------------------------------------------ types
    def resolve(self, t: ast.TypeExpr) -> Type:
        if isinstance(t, ast.BoolType):
            return TBool()
        if isinstance(t, ast.RangeType):
            if t.hi is None:
                raise Refused(t.loc, "an open range here")
            return TInt(self.constant(t.lo), self.constant(t.hi))
        if isinstance(t, ast.EnumType):
            names = tuple(n for n, _ in t.names)
            for i, n in enumerate(names):
                self.enum_index[n] = i
            self.enums.append(names)
            return TEnum(names)
        if isinstance(t, ast.NamedType) and t.name in self.pools:
            return TRef(t.name, self.constant(self.pools[t.name].size))
        if isinstance(t, ast.NamedType):
            return self.resolve(self.type_decls[t.name].type)
        if isinstance(t, ast.SymmetricType):  # no symmetry reduction: a plain range or enum
            return self.resolve(t.inner)
        if isinstance(t, ast.RecordType):
            return TRecord(tuple((f, self.resolve(ft)) for f, ft, _ in t.fields))
        if isinstance(t, ast.MapType):
            return TMap(tuple(self.resolve(d) for d in t.dims), self.resolve(t.elem))
        if isinstance(t, ast.SetType):
            return TSet(self.resolve(t.elem))
        if isinstance(t, ast.SeqType):
            elem = self.resolve(t.elem)
            # past its length, a position holds the first value; of a symmetric range
            # the one after its last, as no permutation moves it (docs/language.md)
            pad = elem.hi + 1 if self.symmetric(t.elem) else domain(elem)[0]  # type: ignore[union-attr]
            return TSeq(self.constant(t.cap), elem, pad)
        if isinstance(t, ast.OptionType):
            return TOption(self.resolve(t.inner))
        raise Refused(t.loc, f"the type {type(t).__name__}")

    def symmetric(self, t: ast.TypeExpr) -> bool:
        """Whether t is a symmetric type (written, or named)."""
        if isinstance(t, ast.NamedType):
            return self.symmetric(self.type_decls[t.name].type)
        return isinstance(t, ast.SymmetricType)

    def constant(self, e: ast.Expr) -> int:
        faults: list[Fault] = []
        v = evaluate(self, e, Ctx({}, faults))
        if faults or not isinstance(v, int):
            raise Refused(e.loc, "a bound that is not a constant integer")
        return v

    def ordered(self, values: frozenset) -> list:
        """A set's elements in slot order (enum values by their index); maps, records
        and sets (initial values) by their elements in that order."""
        names = {v for v in values if isinstance(v, str)}
        if names and len(names) == len(values):  # enum values: their enum's order
            enum = next(e for e in self.enums if names <= set(e))
            return sorted(values, key=enum.index)
        return sorted(values, key=self.order_key)

    def order_key(self, v: object) -> object:
        if isinstance(v, str):
            return self.enum_index.get(v, 0)
        if isinstance(v, Frozen):  # keys in one order for every value of a type
            return tuple(self.order_key(v.d[k]) for k in sorted(v.d, key=repr))
        if isinstance(v, frozenset):
            return sorted(map(self.order_key, v))  # type: ignore[type-var]
        return v

    def binder(self, instance: Instance) -> str | None:
        """The name a process set gives its index (`fault[i in Cpu]`: i)."""
        index = self.processes[instance[0]].decl.index
        return index.name if index else None

    def is_prelude(self, d: ast.MacroDecl) -> bool:
        return d.loc.file == str(PRELUDE)


def entry_points(d: ast.ProcessDecl) -> dict[str, tuple[tuple[ast.Stmt, ...], str]]:
    """Each label of a process, in the order written, with what a step at it runs and
    where the process is after that (docs/language.md, "Processes"): a step's label runs
    its statements, then the next step's label follows; a label inside a branch of one of
    its `either`s runs what follows in the branch, then what follows the `either`, then
    that same next label."""
    out: dict[str, tuple[tuple[ast.Stmt, ...], str]] = {}
    nexts = [s.label for s in d.steps[1:]] + ["Done"]
    for step, nxt in zip(d.steps, nexts):
        out[step.label] = (step.body, nxt)
        for k, stmt in enumerate(step.body):
            branches = stmt.branches if isinstance(stmt, ast.Either) else ()
            for branch in branches:
                for m, x in enumerate(branch):
                    if isinstance(x, ast.Label):
                        out[x.name] = ((*branch[m + 1 :], *step.body[k + 1 :]), nxt)
    return out


# --------------------------------------------------------------------------- evaluation


def evaluate(sym: Symbols, e: ast.Expr, ctx: Ctx) -> object:
    """The value of `e` in `ctx` (POISON if it failed; the failure is on ctx.faults)."""
    return _EVAL[type(e)](sym, e, ctx)


def force(sym: Symbols, v: object) -> object:
    """`v` with every element evaluated, in order: what storing a value, or any use of a
    set but `in`, needs. A failed element of a map or record is POISON
    inside it (`failed`); a set with a failed element is POISON."""
    if isinstance(v, Lazy):
        v = v.force(sym)
    if isinstance(v, Frozen):
        return Frozen({k: force(sym, x) for k, x in v.d.items()})
    if isinstance(v, Seq):
        return Seq(tuple(force(sym, x) for x in v.items))
    if isinstance(v, FilterSet):
        s = force(sym, v.domain)
        if s is POISON:
            return POISON
        kept = []
        for x in sym.ordered(s):  # type: ignore[arg-type]
            c = _holds(sym, v, x)
            if c is POISON:
                return POISON
            if c:
                kept.append(x)
        return frozenset(kept)
    if isinstance(v, ImageSet):
        values = _image(sym, v)
        if values is POISON:
            return POISON
        forced = [force(sym, x) for x in values]  # type: ignore[union-attr]
        return POISON if any(map(failed, forced)) else frozenset(forced)
    if isinstance(v, LazySet):
        parts = [force(sym, x) for x in v.parts]
        if v.op == "lit":
            parts = [unwrap(p, x.expr.loc, x.ctx) for p, x in zip(parts, v.parts)]
        if any(map(failed, parts)):  # a record or map element with a failed part too
            return POISON
        return frozenset(parts) if v.op == "lit" else ARITH[v.op](*parts)  # type: ignore[arg-type]
    return v


def unwrap(v: object, loc: Loc, ctx: Ctx) -> object:
    """v where a value is required (a condition, an operand, an index, a set literal's
    element, `in`'s left side): an option's value, and a null failure at loc for none."""
    if v is NONE:
        return ctx.fail("null", loc, "none where a value is required")
    return v.value if isinstance(v, Some) else v


def scalar(sym: Symbols, e: ast.Expr, ctx: Ctx) -> object:
    """The value of e where a value is required (see `unwrap`)."""
    return unwrap(evaluate(sym, e, ctx), e.loc, ctx)


def failed(v: object) -> bool:
    """Whether a forced value is POISON or holds a POISON element."""
    if isinstance(v, Seq):
        return any(failed(x) for x in v.items)
    return v is POISON or isinstance(v, Frozen) and any(failed(x) for x in v.d.values())


def member(sym: Symbols, x: object, s: object) -> object:
    """`x in s`: a literal's elements left to right up to the first equal to x, a union
    as `or`, an inter as `and`, a minus as `and not` (what the back ends do); a record
    x compared field by field up to the first that differs."""
    if isinstance(s, Lazy):
        s = s.force(sym)
    if isinstance(s, Seq):
        return _seq_has(sym, x, s)
    if isinstance(s, FilterSet):
        a = member(sym, x, s.domain)
        return a if a is POISON or not a else _holds(sym, s, x)
    if isinstance(s, ImageSet):
        values = _image(sym, s)
        if values is POISON:
            return POISON
        for v in values:  # type: ignore[union-attr]
            eq = _equal(sym, x, v, s.ctx)
            if eq is POISON or eq:
                return eq
        return False
    if not isinstance(s, LazySet):
        s = force(sym, s)
        if s is POISON:
            return POISON
        x = force(sym, x)  # a record with lazy fields
        return POISON if failed(x) else x in s  # type: ignore[operator]
    if s.op == "lit":
        for item in s.parts:
            v = unwrap(item.force(sym), item.expr.loc, item.ctx)
            if v is POISON:
                return POISON
            eq = _equal(sym, x, v, item.ctx) if isinstance(v, Frozen) else v == x
            if eq is POISON or eq:
                return eq
        return False
    a = member(sym, x, s.parts[0])
    if a is POISON or a == (s.op == "union"):  # known: in A of a union, not in A else
        return a
    b = member(sym, x, s.parts[1])
    if b is POISON:
        return POISON
    return not b if s.op == "minus" else b


def _holds(sym: Symbols, s: FilterSet, x: object) -> object:
    """The condition of the filter s for its element x."""
    scope = {**s.ctx.scope, s.e.binder.name: x}
    c = evaluate(sym, s.e.cond, replace(s.ctx, scope=scope))
    return POISON if c is POISON else bool(c)


def _image(sym: Symbols, s: ImageSet) -> list | object:
    """The values of the image s's expression, one per value of its binders, in order;
    each evaluated at its first use (`Lazy`), so that `member` stops at the first equal."""
    scopes = bindings(sym, s.e.binders, s.ctx)
    if scopes is POISON:
        return POISON
    return [Lazy(s.e.body, replace(s.ctx, scope=scope)) for scope in scopes]  # type: ignore[union-attr]


def snapshot(ctx: Ctx) -> Ctx:
    """ctx with the state as it is now: a lazy element reads the state its literal was
    evaluated in, though a later statement of the step changes it."""
    return replace(ctx, state=dict(ctx.state))


def _num(sym: Symbols, e: ast.Num, ctx: Ctx) -> object:
    return e.value


def _bool(sym: Symbols, e: ast.BoolLit, ctx: Ctx) -> object:
    return e.value


def _name(sym: Symbols, e: ast.Name, ctx: Ctx) -> object:
    n = e.name
    if n in ctx.scope:
        v = ctx.scope[n]
        if isinstance(v, ByName):
            return evaluate(sym, v.expr, replace(ctx, scope=v.scope))
        if isinstance(v, Lazy):
            return v.force(sym)
        return v
    if ctx.instance is not None and n in ("self", sym.binder(ctx.instance)):
        return ctx.instance[1]
    if ctx.instance is not None and n in sym.processes[ctx.instance[0]].locals:
        return ctx.state[(ctx.instance[0], ctx.instance[1], n)]
    if n in sym.consts:
        return sym.consts[n]
    if n in sym.pools:  # its references, as a type name is its values
        return frozenset(domain(sym.resolve(ast.NamedType(n, e.loc))))
    if n in sym.vars or n in sym.locks:
        return ctx.state[n]
    if n in sym.enum_index:
        return n
    if n in sym.type_decls:
        t = sym.resolve(sym.type_decls[n].type)
        return frozenset(domain(t))
    if n == "bool":  # a keyword, the set of its two values as a type name is
        return frozenset(domain(TBool()))
    if n in sym.defs:
        return _call_def(sym, sym.defs[n], (), e.loc, ctx)
    if n in sym.processes:
        p = sym.processes[n]
        return ProcSet(n) if p.index is not None else (n, None)
    if n == "none":
        return NONE
    raise Refused(e.loc, f"the name '{n}' here")


def _call_def(
    sym: Symbols, d: ast.DefDecl, args: tuple[ast.Expr, ...], loc: Loc, ctx: Ctx
) -> object:
    if len(args) != len(d.params):
        raise Refused(loc, f"a call of {d.name} with {len(args)} arguments")
    # inlined at the use: each argument is evaluated where the parameter is read
    scope = {p: ByName(a, ctx.scope) for p, a in zip(d.params, args)}
    return evaluate(sym, d.body, replace(ctx, scope=scope))


def instance_of(sym: Symbols, v: object, loc: Loc, ctx: Ctx) -> Instance | None | object:
    """A process reference (`reclaim`, `fault[i]`), as an Instance."""
    if isinstance(v, tuple) and len(v) == 2 and v[0] in sym.processes:
        return v
    if v is POISON:
        return POISON
    raise Refused(loc, "a process reference of this form")


def _call(sym: Symbols, e: ast.Call, ctx: Ctx) -> object:
    n, args = e.name, e.args
    if n in EFFECTS or n in sym.macros:
        if id(e) not in ctx.effects:
            raise Refused(
                e.loc, f"a call of {n} inside and/or/=>/if/let/a quantifier or outside a statement"
            )
        return ctx.effects[id(e)]
    if n in sym.defs:
        return _call_def(sym, sym.defs[n], args, e.loc, ctx)
    if n in SEQ_BUILTINS:
        return _seq_call(sym, e, ctx)
    vals = [force(sym, evaluate(sym, a, ctx)) for a in args] if n not in ("at", "done") else []
    if n in ("min", "max"):
        vals = [unwrap(v, a.loc, ctx) for v, a in zip(vals, args)]
    if any(v is POISON for v in vals):
        return POISON
    if n == "some":
        return Some(vals[0])
    if n == "allocated":
        r = unwrap(vals[0], args[0].loc, ctx)
        return POISON if r is POISON else ctx.state[f"{r.pool}.allocated"].d[(r,)]
    if n == "min":
        return min(vals)  # type: ignore[type-var]
    if n == "max":
        return max(vals)  # type: ignore[type-var]
    if n == "card":
        return len(vals[0])  # type: ignore[arg-type]
    if n == "locked":
        return vals[0] is not None
    if n == "held":
        return ctx.instance is not None and vals[0] == ctx.instance
    if n == "holder":
        return Holder(vals[0])  # type: ignore[arg-type]
    if n == "done":
        return _done(sym, evaluate(sym, args[0], ctx), ctx)
    if n == "at":
        inst = evaluate(sym, args[0], ctx)
        if inst is POISON:
            return POISON
        if not isinstance(args[1], ast.Name):
            raise Refused(e.loc, "at() with a label that is not a name")
        return ctx.state[("pc", *inst)] == args[1].name  # type: ignore[misc]
    raise Refused(e.loc, f"the builtin {n}")


def _done(sym: Symbols, v: object, ctx: Ctx) -> object:
    if v is POISON:
        return POISON
    if isinstance(v, ProcSet):
        return all(ctx.state[("pc", *i)] == "Done" for i in sym.processes[v.name].instances())
    return ctx.state[("pc", *v)] == "Done"  # type: ignore[misc]


def pool_of(sym: Symbols, e: ast.Expr, ctx: Ctx) -> str | None:
    """The pool e names (`Page` in `Page[r]`), unless a bound name or a local hides it."""
    if not isinstance(e, ast.Name) or e.name not in sym.pools or e.name in ctx.scope:
        return None
    inst = ctx.instance
    return None if inst is not None and e.name in sym.processes[inst[0]].locals else e.name


def pool_ref(sym: Symbols, e: ast.Index, ctx: Ctx) -> object:
    """The reference of `Page[r]`: POISON after a null failure at r, or a "free" one at e
    where it is not allocated (a use after free)."""
    (arg,) = e.args
    r = scalar(sym, arg, ctx)
    if r is POISON:
        return POISON
    if not ctx.state[f"{r.pool}.allocated"].d[(r,)]:  # type: ignore[union-attr]
        return ctx.fail("free", e.loc, f"{r.pool}[{r.index}] is not allocated")  # type: ignore[union-attr]
    return r


def _index(sym: Symbols, e: ast.Index, ctx: Ctx) -> object:
    pool = pool_of(sym, e.base, ctx)
    if pool is not None:
        r = pool_ref(sym, e, ctx)
        return POISON if r is POISON else element(sym, ctx.state[pool].d[(r,)])
    base = evaluate(sym, e.base, ctx)
    key = tuple(scalar(sym, a, ctx) for a in e.args)
    if base is POISON or POISON in key:
        return POISON
    if isinstance(base, ProcSet):
        if key[0] not in domain(sym.processes[base.name].index):  # type: ignore[arg-type]
            return ctx.fail("domain", e.loc, f"no instance {base.name}[{key[0]}]")
        return (base.name, key[0])
    if isinstance(base, Seq):
        if not 1 <= key[0] <= len(base.items):  # type: ignore[operator]
            return ctx.fail("domain", e.loc, f"position {key[0]} is outside the sequence")
        return element(sym, base.items[key[0] - 1])  # type: ignore[operator]
    assert isinstance(base, Frozen)
    if key not in base.d:
        shown = ", ".join(str(k) for k in key)
        return ctx.fail("domain", e.loc, f"index {shown} is outside the map's domain")
    return element(sym, base.d[key])


def _field(sym: Symbols, e: ast.Field, ctx: Ctx) -> object:
    enum = qualified_enum(sym, e, ctx)
    if enum is not None:
        return enum
    base = evaluate(sym, e.base, ctx)
    if base is POISON:
        return POISON
    if isinstance(base, ProcSet):  # fault.tries: the local of every instance, as a map
        return Frozen(
            {(i[1],): ctx.state[(*i, e.name)] for i in sym.processes[base.name].instances()}
        )
    if isinstance(base, tuple):  # reclaim.ok, fault[i].tries
        return ctx.state[(*base, e.name)]
    assert isinstance(base, Frozen)
    return element(sym, base.d[e.name])


def qualified_enum(sym: Symbols, e: ast.Field, ctx: Ctx) -> str | None:
    """`Pte.none`: the value none of the enum type Pte (a value is its name), if e.base
    names an enum type that no bound name, local or variable hides."""
    b = e.base
    if not isinstance(b, ast.Name) or b.name in ctx.scope or b.name not in sym.type_decls:
        return None
    inst = ctx.instance
    if inst is not None and b.name in sym.processes[inst[0]].locals:
        return None
    t = sym.resolve(sym.type_decls[b.name].type)
    return e.name if isinstance(t, TEnum) else None


def element(sym: Symbols, v: object) -> object:
    """An element read from a map or record: evaluated now if it is lazy."""
    return v.force(sym) if isinstance(v, Lazy) else v


def _unary(sym: Symbols, e: ast.Unary, ctx: Ctx) -> object:
    v = scalar(sym, e.arg, ctx)
    if v is POISON:
        return POISON
    return (not v) if e.op == "not" else -v  # type: ignore[operator]


def _equal(sym: Symbols, a: object, b: object, ctx: Ctx) -> object:
    """`a == b`. Maps and records are compared element by element, a map's in index
    order and a record's in the left operand's field order, up to the first pair that
    differs: the elements after it are not evaluated (docs/language.md)."""
    a, b = (v.force(sym) if isinstance(v, Lazy) else v for v in (a, b))
    if isinstance(a, Seq) and isinstance(b, Seq):  # the lengths, then position by position
        if len(a.items) != len(b.items):
            return False
        for x, y in zip(a.items, b.items):
            eq = _equal(sym, x, y, ctx)
            if eq is POISON or not eq:
                return eq
        return True
    if isinstance(a, Frozen) and isinstance(b, Frozen):
        for k, x in a.d.items():
            eq = _equal(sym, x, b.d[k], ctx)
            if eq is POISON or not eq:
                return eq
        return True
    a, b = force(sym, a), force(sym, b)  # a set: every element of both
    if failed(a) or failed(b):
        return POISON
    # an option equals a value of its inner type that it holds (an implicit `some`); an
    # enum's value `none` beside one is the option's none (no option is of an enum with
    # a value none: see `stored`)
    if a == "none" and (b is NONE or isinstance(b, Some)):
        a = NONE
    if b == "none" and (a is NONE or isinstance(a, Some)):
        b = NONE
    a, b = (v.value if isinstance(v, Some) else v for v in (a, b))
    if isinstance(b, Holder):
        a, b = b, a
    if isinstance(a, Holder):
        h = a.instance
        if isinstance(b, Holder):
            return h == b.instance
        if isinstance(b, ProcSet):
            return h is not None and h[0] == b.name
        if isinstance(b, tuple):
            return h == b
        # `holder(l) == self`: self is this instance's index
        return ctx.instance is not None and h == (ctx.instance[0], b)
    return a == b


ARITH: dict[str, Callable[[int, int], object]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "union": lambda a, b: a | b,  # type: ignore[operator]
    "inter": lambda a, b: a & b,  # type: ignore[operator]
    "minus": lambda a, b: a - b,
    "subset": lambda a, b: a <= b,
    "..": lambda a, b: frozenset(range(a, b + 1)),
}


def _binop(sym: Symbols, e: ast.BinOp, ctx: Ctx) -> object:
    op = e.op
    if op in ("union", "inter", "minus"):  # `x in A union B` is `x in A or x in B`
        at = snapshot(ctx)
        return LazySet(op, (Lazy(e.left, at), Lazy(e.right, at)))
    if op in ("in", "notin") and isinstance(e.right, COMPOUND_SETS):
        x = force(sym, evaluate(sym, e.left, ctx))  # every part of x, first
        if failed(x):
            return POISON
        is_in = _belongs(sym, x, e.right, ctx)
        return POISON if is_in is POISON else is_in == (op == "in")
    a = evaluate(sym, e.left, ctx)
    if op not in ("==", "!="):
        a = unwrap(a, e.left.loc, ctx)
    if a is POISON:
        return POISON
    if op in ("and", "or", "=>"):
        if (op == "and" and not a) or (op == "or" and a):
            return bool(a)
        if op == "=>" and not a:
            return True
        b = scalar(sym, e.right, ctx)
        return POISON if b is POISON else bool(b)
    b = evaluate(sym, e.right, ctx)
    if op not in ("==", "!="):
        b = unwrap(b, e.right.loc, ctx)
    if b is POISON:
        return POISON
    if op in ("==", "!="):
        eq = _equal(sym, a, b, ctx)
        return POISON if eq is POISON else eq == (op == "==")
    if op == "<=>":
        return bool(a) == bool(b)
    if op in ("/", "%"):
        if b == 0:
            return ctx.fail("div", e.loc, f"{'division' if op == '/' else 'modulo'} by zero")
        return a // b if op == "/" else a % b  # type: ignore[operator]
    if op in ("in", "notin"):
        is_in = member(sym, a, b)
        return POISON if is_in is POISON else is_in == (op == "in")
    a, b = force(sym, a), force(sym, b)
    if a is POISON or b is POISON:
        return POISON
    return ARITH[op](a, b)  # type: ignore[arg-type]


def _ifexpr(sym: Symbols, e: ast.IfExpr, ctx: Ctx) -> object:
    c = scalar(sym, e.cond, ctx)
    if c is POISON:
        return POISON
    return evaluate(sym, e.then if c else e.other, ctx)


def _let(sym: Symbols, e: ast.Let, ctx: Ctx) -> object:
    scope = dict(ctx.scope)
    for name, value, _ in e.bindings:  # a later binding may read the earlier ones
        scope[name] = Lazy(value, replace(ctx, scope=dict(scope)))
    return evaluate(sym, e.body, replace(ctx, scope=scope))


def elements(sym: Symbols, e: ast.Expr, ctx: Ctx) -> list | object:
    """The values of a quantifier's or map literal's domain, in slot order; a sequence's
    elements in order, each once per position it is at, evaluated where they are used."""
    s = evaluate(sym, e, ctx)
    if isinstance(s, Seq):
        return list(s.items)
    s = force(sym, s)
    return POISON if s is POISON else sym.ordered(s)  # type: ignore[arg-type]


def bindings(sym: Symbols, binders: tuple[ast.Binder, ...], ctx: Ctx) -> list[dict] | object:
    """Every assignment of values to the binders (a later domain may read earlier ones)."""
    out: list[dict] = [dict(ctx.scope)]
    for b in binders:
        nxt = []
        for scope in out:
            values = elements(sym, b.domain, replace(ctx, scope=scope))
            if values is POISON:
                return POISON
            nxt.extend({**scope, b.name: v} for v in values)  # type: ignore[union-attr]
        out = nxt
    return out


def _quant(sym: Symbols, e: ast.Quant, ctx: Ctx) -> object:
    scopes = bindings(sym, e.binders, ctx)
    if scopes is POISON:
        return POISON
    total = 0
    for scope in scopes:  # type: ignore[union-attr]
        v = scalar(sym, e.body, replace(ctx, scope=scope))
        if v is POISON:
            return POISON
        if e.kind == "forall" and not v:
            return False
        if e.kind == "exists" and v:
            return True
        total += v if e.kind == "sum" else bool(v)  # type: ignore[operator]
    return {"forall": True, "exists": False}.get(e.kind, total)


def _setlit(sym: Symbols, e: ast.SetLit, ctx: Ctx) -> object:
    at = snapshot(ctx)
    return LazySet("lit", tuple(Lazy(x, at) for x in e.items))


def _setfilter(sym: Symbols, e: ast.SetFilter, ctx: Ctx) -> object:
    at = snapshot(ctx)
    return FilterSet(Lazy(e.binder.domain, at), e, at)


def _setimage(sym: Symbols, e: ast.SetImage, ctx: Ctx) -> object:
    return ImageSet(e, snapshot(ctx))


def _recordlit(sym: Symbols, e: ast.RecordLit, ctx: Ctx) -> object:
    at = snapshot(ctx)
    return Frozen({f: Lazy(x, at) for f, x, _ in e.fields})


def _recordexcept(sym: Symbols, e: ast.RecordExcept, ctx: Ctx) -> object:
    base = evaluate(sym, e.base, ctx)
    if base is POISON:
        return POISON
    at = snapshot(ctx)
    return Frozen({**base.d, **{f: Lazy(x, at) for f, x, _ in e.fields}})  # type: ignore[union-attr]


def _maplit(sym: Symbols, e: ast.MapLit, ctx: Ctx) -> object:
    scopes = bindings(sym, e.binders, ctx)
    if scopes is POISON:
        return POISON
    at = snapshot(ctx)
    keys = [tuple(scope[b.name] for b in e.binders) for scope in scopes]  # type: ignore[union-attr]
    return Frozen({k: Lazy(e.body, replace(at, scope=scope)) for k, scope in zip(keys, scopes)})  # type: ignore[call-overload]


def _mapexcept(sym: Symbols, e: ast.MapExcept, ctx: Ctx) -> object:
    base = evaluate(sym, e.base, ctx)
    if base is POISON:
        return POISON
    d = dict(base.d)  # type: ignore[union-attr]
    at = snapshot(ctx)
    for args, x in e.updates:  # left to right: the index and its domain; the value is lazy
        key = tuple(scalar(sym, a, ctx) for a in args)
        if POISON in key:
            return POISON
        if key not in d:
            return ctx.fail("domain", args[0].loc, "index outside the map's domain in except")
        d[key] = Lazy(x, at)
    return Frozen(d)


def _funset(sym: Symbols, e: ast.FunSet, ctx: Ctx) -> object:
    """`[D -> S]`: every map from D to S (the front end allows it only as the set of a
    variable's initial values; `in` it is `_belongs`)."""
    codomain = force(sym, evaluate(sym, e.elem, ctx))
    if codomain is POISON:
        return POISON
    keys = list(product(*(domain(sym.resolve(d)) for d in e.dims)))
    return frozenset(
        Frozen(dict(zip(keys, values)))
        for values in product(sym.ordered(codomain), repeat=len(keys))  # type: ignore[arg-type]
    )


def _recordset(sym: Symbols, e: ast.RecordSet, ctx: Ctx) -> object:
    """`[f: S, ...]`: every record with each field in its set."""
    sets = [force(sym, evaluate(sym, x, ctx)) for _, x, _ in e.fields]
    if POISON in sets:
        return POISON
    names = [n for n, _, _ in e.fields]
    return frozenset(Frozen(dict(zip(names, values))) for values in product(*sets))  # type: ignore[call-overload]


def _subset(sym: Symbols, e: ast.SubsetOf, ctx: Ctx) -> object:
    """`subset S`: every subset of S."""
    base = force(sym, evaluate(sym, e.base, ctx))
    if base is POISON:
        return POISON
    items = list(base)  # type: ignore[call-overload]
    return frozenset(
        frozenset(x for x, keep in zip(items, bits) if keep)
        for bits in product((False, True), repeat=len(items))
    )


COMPOUND_SETS = (ast.FunSet, ast.RecordSet, ast.SubsetOf)


def _belongs(sym: Symbols, x: object, s: ast.Expr, ctx: Ctx) -> object:
    """`x in s` for a set s of maps, records or sets, from the value x (every part of it
    evaluated) without building s: a map's keys must be the index tuples of s's domain
    and a record's fields s's (else False), then each element, in index order, or field,
    in s's order, is in its set, up to the first that is not; each set is evaluated
    where it is first needed, once. A set x is a subset of s's base."""
    if isinstance(s, ast.SubsetOf):
        base = force(sym, evaluate(sym, s.base, ctx))
        return POISON if base is POISON else x <= base  # type: ignore[operator]
    assert isinstance(x, Frozen) and isinstance(s, ast.FunSet | ast.RecordSet)
    if isinstance(s, ast.RecordSet):
        keys: list = [n for n, _, _ in s.fields]
        sets = [sx for _, sx, _ in s.fields]
    else:
        keys = list(product(*(domain(sym.resolve(d)) for d in s.dims)))
        sets = [s.elem] * len(keys)
    if set(x.d) != set(keys):
        return False
    evaluated: dict[int, object] = {}
    for k, sx in zip(keys, sets):
        if isinstance(sx, COMPOUND_SETS):
            is_in = _belongs(sym, x.d[k], sx, ctx)
        else:
            v = unwrap(x.d[k], s.loc, ctx)  # an option's none: a null failure
            if v is POISON:
                return POISON
            if id(sx) not in evaluated:
                evaluated[id(sx)] = evaluate(sym, sx, ctx)
            is_in = member(sym, v, evaluated[id(sx)])
        if is_in is POISON or not is_in:
            return is_in
    return True


# --------------------------------------------------------------------------- sequences
# A sequence's elements are lazy, as a map's: `len`, `tail` and `append` evaluate none of
# them, `head` and `s[i]` the one they give, `in` and `==` left to right up to the
# first that decides.

SEQ_BUILTINS = ("len", "head", "tail", "append")


def _seqlit(sym: Symbols, e: ast.SeqLit, ctx: Ctx) -> object:
    at = snapshot(ctx)
    return Seq(tuple(Lazy(x, at) for x in e.items))


def _seq_call(sym: Symbols, e: ast.Call, ctx: Ctx) -> object:
    s = evaluate(sym, e.args[0], ctx)
    if s is POISON:
        return POISON
    assert isinstance(s, Seq)
    if e.name == "len":
        return len(s.items)
    if e.name == "append":
        return Seq((*s.items, Lazy(e.args[1], snapshot(ctx))))
    if not s.items:
        return ctx.fail("domain", e.loc, f"{e.name} of an empty sequence")
    return element(sym, s.items[0]) if e.name == "head" else Seq(s.items[1:])


def _seq_has(sym: Symbols, x: object, s: Seq) -> object:
    """`x in s` (of a scalar x): its elements left to right up to the first equal to x."""
    for item in s.items:
        v = element(sym, item)
        if v is POISON or v == x:
            return v if v is POISON else True
    return False


_EVAL: dict[type, Callable] = {
    ast.Num: _num,
    ast.BoolLit: _bool,
    ast.Name: _name,
    ast.Call: _call,
    ast.Index: _index,
    ast.Field: _field,
    ast.Unary: _unary,
    ast.BinOp: _binop,
    ast.IfExpr: _ifexpr,
    ast.Let: _let,
    ast.Quant: _quant,
    ast.SetLit: _setlit,
    ast.SeqLit: _seqlit,
    ast.RecordLit: _recordlit,
    ast.RecordExcept: _recordexcept,
    ast.MapLit: _maplit,
    ast.MapExcept: _mapexcept,
    ast.SetFilter: _setfilter,
    ast.SetImage: _setimage,
    ast.FunSet: _funset,
    ast.RecordSet: _recordset,
    ast.SubsetOf: _subset,
}
