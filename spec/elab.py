"""Expressions: type checking and lowering to IR in one pass (AST expr -> typed `Val`).

Every type error is recorded on the environment and yields a value of type `ErrT`, so
checking goes on and all errors of a file are reported together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from mmcheck.spec import ast, ir
from mmcheck.spec import fold as f
from mmcheck.spec.errors import Loc, did_you_mean
from mmcheck.spec.parser import MAX_INT, MAX_NESTING
from mmcheck.spec.symbols import (
    VALUE_SYMBOLS,
    ByName,
    ConstSym,
    DefSym,
    EnumChoices,
    EnumValSym,
    LockSym,
    MacroSym,
    PoolSym,
    ProcInfo,
    Span,
    TypeSym,
    Val,
    VarSym,
    enumerable,
    join_spans,
    spans_of,
)
from mmcheck.spec.types import (
    SCALARS,
    BoolT,
    EnumT,
    ErrT,
    HolderT,
    IntT,
    LockT,
    MapT,
    OptionT,
    Point,
    ProcT,
    RecordT,
    SeqT,
    SetT,
    Type,
    bounds,
    elem_dims,
    elem_index,
    elem_point,
    finite_elem,
    in_range,
    none_value,
    sort_clash,
    sort_of,
    unify,
    value_type,
    within,
)

if TYPE_CHECKING:
    from mmcheck.spec.checker import Env

Reader = Callable[[str, tuple[ir.Expr, ...], Loc | None], ir.Expr]


def pre_state(var: str, index: tuple[ir.Expr, ...], loc: Loc | None) -> ir.Expr:
    return ir.Read(var, index, loc)


class Effects(Protocol):
    """What a statement context offers expressions with side effects."""

    def assuming(self, cond: ir.Expr) -> AbstractContextManager[None]: ...
    def trylock(self, lv: LValue, loc: Loc) -> ir.Expr: ...
    def cas(self, lv: LValue, old: Val, new: Val, loc: Loc) -> ir.Expr: ...
    def test_and_set(self, lv: LValue, loc: Loc) -> ir.Expr: ...
    def alloc(self, pool: PoolSym, loc: Loc) -> ir.Expr: ...
    def free(self, pool: PoolSym, ref: ir.Expr, loc: Loc) -> None: ...
    def call_macro(
        self, macro: ast.MacroDecl, args: tuple[ast.Expr, ...], scope: dict, loc: Loc
    ) -> Val: ...


class LValue:
    """A place: the IR variable prefix, the index so far, and the type of what is there."""

    def __init__(
        self, irname: str, index: tuple[ir.Expr, ...], type: Type, lock: bool, name: str
    ) -> None:
        self.irname = irname
        self.index = index
        self.type = type
        self.lock = lock
        self.name = name  # as written, for messages ("pte_lock[i]")


ERR = Val(ErrT(), expr=ir.Const(0))
NONE = Val(OptionT(None), expr=ir.Const(0))  # the literal `none`, of any option type
NULL_HINT = (
    "there is no NULL: a value that may be NULL is an option, `var p : Pfn? = none` "
    "(`p := none`, `if p != none`)"
)
BUILTINS = (
    "done",
    "at",
    "locked",
    "held",
    "holder",
    "min",
    "max",
    "card",
    "trylock",
    "cas",
    "test_and_set",
    "some",
    "alloc",
    "free",
    "allocated",
    "len",
    "head",
    "tail",
    "append",
)


def has_option(t: Type) -> bool:
    if isinstance(t, RecordT):
        return any(has_option(ft) for _, ft in t.fields)
    return isinstance(t, OptionT) or isinstance(t, MapT) and has_option(t.elem)


def as_number(v: Val) -> ir.Expr:
    """The slot value of v in an option: a bool as the int 0 or 1, not as a condition
    (`o == true` folds to `o`, which is wrong where o may be none)."""
    if not isinstance(v.type, BoolT):
        return v.expr
    if isinstance(v.expr, ir.Const):
        return ir.Const(v.expr.value)
    return f.ite(v.expr, ir.Const(1), ir.Const(0))


def option_parts(v: Val) -> tuple[ir.Expr, ir.Expr]:
    """(whether v is none, its value where it is not) for a value of an option type, or
    of a type that is no option (never none: an implicit `some`)."""
    t = v.type
    if not isinstance(t, OptionT):
        return ir.FALSE, as_number(v)
    if t.inner is None:
        return ir.TRUE, ir.Const(0)
    n = none_value(t)
    return (ir.FALSE if n is None else f.binary("==", v.expr, n)), v.expr


def elem_record(t: Type) -> bool:
    """Whether t is a record that can be a set's element: its fields bools, enums or ints
    (of any range: the range of a set written is checked)."""
    return isinstance(t, RecordT) and all(
        isinstance(ft, BoolT | IntT | EnumT | ErrT) for _, ft in t.fields
    )


def member_type(t: SetT, member_any: bool) -> Type | None:
    """What is known of the x asked by the `member` of a set of type t made of other sets:
    of t's element type, unless it answers for any value (`member_any`); then nothing, so
    an operand asked does not take an x outside it for one of its elements."""
    return None if member_any else t.elem


def literal_span(v: Val) -> Span:
    """The values a set literal's element v may be: those of its type where it has a
    range, so that the range check of the set written folds away where it lies inside."""
    b = bounds(v.type)
    return Span(b[0], b[1]) if b else Span(v.expr, v.expr, ir.TRUE, True)


def point_of(v: Val) -> Point:
    """The set element that the value v is: a scalar, or a record's fields."""
    if v.fields is not None:
        return {n: x.expr for n, x in v.fields.items()}
    return v.expr


def at_member(kind: str, member: ir.Expr, val: ir.Expr) -> ir.Expr:
    """The body of the quantifier `kind` at one value of its bound variable: `val`
    where `member` says the value is in the domain (forall: true, else: 0 or false)."""
    if kind == "forall":
        return f.implies(member, val)
    if kind in ("exists", "count"):
        return f.conj((member, val))
    return f.ite(member, val, ir.Const(0))


def bound_val(t: Type, x: Point) -> Val:
    """The value of type t that the set element x is (what a binder over a set binds)."""
    if isinstance(t, RecordT):
        assert isinstance(x, dict)
        return Val(t, fields={n: Val(ft, expr=x[n]) for n, ft in t.fields})
    assert not isinstance(x, dict)
    return Val(t, expr=x)


def mentions(e: ir.Expr, names: set[str]) -> bool:
    """Whether e reads one of the bound variables `names`."""
    if isinstance(e, ir.Param):
        return e.name in names
    return any(mentions(x, names) for x in f.operands(e))


def unbound(t: Type, names: set[str]) -> Type:
    """The type t outside the binders of the bound variables `names`: an int whose bounds
    read one of them is of no known range there (`{ y : x in 0..2, y in 0..x }`)."""
    if isinstance(t, RecordT):
        return replace(t, fields=tuple((n, unbound(ft, names)) for n, ft in t.fields))
    if isinstance(t, IntT) and any(mentions(b, names) for b in (t.lo, t.hi) if b is not None):
        return IntT(sort=t.sort)
    return t


def is_point(x: Point, v: Val) -> ir.Expr:
    """Whether the set element x is the value v (x's fields in order, short-circuit)."""
    if isinstance(x, dict):
        return f.conj(f.binary("==", y, v.fields[n].expr) for n, y in x.items())
    return f.binary("==", x, v.expr)


def ite_val(c: ir.Expr, a: Val, b: Val, t: Type) -> Val:
    """`if c then a else b` for values of any type."""
    if f.is_true(c):
        return a
    if f.is_false(c):
        return b
    if isinstance(t, RecordT) and a.fields is not None and b.fields is not None:
        return Val(t, fields={n: ite_val(c, a.fields[n], b.fields[n], ft) for n, ft in t.fields})
    if isinstance(t, MapT) and a.get and b.get:
        return Val(t, get=lambda i, loc: ite_val(c, a.get(i, loc), b.get(i, loc), t.elem))
    if isinstance(t, SeqT) and a.length is not None and b.length is not None:
        return Val(
            t,
            length=f.ite(c, a.length, b.length),
            get=lambda i, loc: ite_val(c, a.get(i, loc), b.get(i, loc), t.elem or IntT()),
        )
    if isinstance(t, SetT) and a.member and b.member:
        both_any = a.member_any and b.member_any
        xt = member_type(t, both_any)
        return Val(
            t,
            member=lambda x: f.ite(c, a.contains(x, xt), b.contains(x, xt)),
            member_any=both_any,
            spans=join_spans(spans_of(a, c, True), spans_of(b, f.negate(c), True)),
        )
    if a.expr is not None and b.expr is not None:
        return Val(t, expr=f.ite(c, a.expr, b.expr))
    return ERR


def in_domain(idx: tuple[ir.Expr, ...], dims: tuple[Type, ...]) -> tuple[ir.Expr, str]:
    """Whether idx lies in a map's domain, and the domain as the error names it."""
    inside = f.conj(in_range(x, d) for x, d in zip(idx, dims))
    return inside, ", ".join(str(d) for d in dims)


def guard_val(cond: ir.Expr, v: Val, message: str, loc: Loc | None) -> Val:
    """v where `cond` holds, else a domain error at loc: every scalar v is made of is
    guarded, so the error happens wherever any part of v is used."""
    t = v.type
    if f.is_true(cond):
        return v
    if isinstance(t, RecordT) and v.fields is not None:
        return Val(t, fields={n: guard_val(cond, x, message, loc) for n, x in v.fields.items()})
    if isinstance(t, MapT) and v.get:
        return Val(t, get=lambda i, l2: guard_val(cond, v.get(i, l2), message, loc))
    if isinstance(t, SeqT) and v.length is not None:
        return Val(
            t,
            length=f.guard(cond, v.length, "domain", message, loc),
            get=lambda i, l2: guard_val(cond, v.get(i, l2), message, loc),
        )
    if isinstance(t, SetT) and v.member:
        xt = member_type(t, v.member_any)
        return Val(
            t,
            member=lambda x: f.guard(cond, v.contains(x, xt), "domain", message, loc),
            member_any=v.member_any,
            spans=spans_of(v, f.TRUE, False),  # not whole: each member is asked, guarded
        )
    if v.instance is not None:
        return replace(v, instance=f.guard(cond, v.instance, "domain", message, loc))
    if v.expr is not None:
        return Val(t, expr=f.guard(cond, v.expr, "domain", message, loc))
    return v


COMPOUND_SETS = (ast.FunSet, ast.RecordSet, ast.SubsetOf)  # TLA+'s [D -> S], [f: S], SUBSET

MAX_INLINED = 50_000  # expression nodes one use of a def may expand to


class _TooBig(Exception):
    """An inlined def is too deep or too large: unwinds to its outermost use."""


class Elab:
    """Elaborates expressions in one context: how state is read (pre-state, or the
    current symbolic state of a step), the process it runs in, and its effects."""

    def __init__(
        self,
        env: Env,
        reader: Reader | None = pre_state,
        proc: ProcInfo | None = None,
        fx: Effects | None = None,
        what: str = "",
        snapshot: Callable[[], Reader] | None = None,
    ) -> None:
        self.env = env
        self.reader = reader  # None: constants only
        # the state as it is now, for values read lazily (a step's store changes later)
        self.snapshot = snapshot
        self.proc = proc
        self.fx = fx
        self.what = what  # where state may not be read, for messages ("a constant")
        self.defs: list[str] = []  # defs being inlined (recursion check)
        self.depth = 0  # nesting of the expression being elaborated, defs inlined
        self.inlining = 0  # uses of defs being inlined, one inside another
        self.inlined = 0  # nodes elaborated under the outermost of them
        # the type the context wants of the expression being elaborated (the place it is
        # stored in, the other side of `==`), or None: it picks the enum of a value name
        # several enums declare; only the node itself sees it (an `if`, a set literal or a
        # `let` hands it on to their branches, elements, body)
        self.expected: Type | None = None

    # ------------------------------------------------------------------ helpers
    def error(self, loc: Loc, msg: str, hint: str | None = None) -> Val:
        self.env.error(loc, msg, hint)
        return ERR

    def fresh(self, name: str) -> str:
        """A bound-variable name not in use by an enclosing binder or parameter (of any
        elaborator: values built by one may be read inside another's quantifier)."""
        n, cand = 1, name
        while cand in self.env.bound or cand == "self":
            n += 1
            cand = f"{name}.{n}"
        return cand

    @contextmanager
    def binding(self, *names: str) -> Iterator[None]:
        new = [n for n in names if n not in self.env.bound]
        self.env.bound.update(new)
        try:
            yield
        finally:
            self.env.bound.difference_update(new)

    def me(self) -> ir.Expr:
        """The lock-holder value of the running process instance."""
        p = self.proc
        assert p is not None
        if p.index is None:
            return p.first_holder
        lo = bounds(p.index)[0]
        return f.binary("+", ir.Param("self"), f.binary("-", p.first_holder, lo))

    def self_val(self) -> Val | None:
        if self.proc is None or self.proc.index is None:
            return None
        return Val(self.proc.index, expr=ir.Param("self"))

    def boolean(self, e: ast.Expr, scope: dict) -> ir.Expr:
        v = self.unwrap(self.expr(e, scope), e.loc)
        if isinstance(v.type, ErrT):
            return f.TRUE
        if not isinstance(v.type, BoolT):
            self.error(e.loc, f"expected a bool, got {v.type}")
            return f.TRUE
        return v.expr

    def integer(self, e: ast.Expr, scope: dict, symmetric_ok: bool = False) -> ir.Expr:
        return self.int_val(e, scope, symmetric_ok).expr

    def int_val(self, e: ast.Expr, scope: dict, symmetric_ok: bool = False) -> Val:
        v = self.unwrap(self.expr(e, scope), e.loc)
        zero = Val(IntT(), expr=ir.Const(0))
        if isinstance(v.type, ErrT):
            return zero
        if not isinstance(v.type, IntT):
            self.error(e.loc, f"expected an integer, got {v.type}")
            return zero
        if v.type.sort and not symmetric_ok:
            self.error(
                e.loc,
                f"arithmetic and ordering on values of {self.sort_words(v.type.sort)} "
                "break symmetry",
            )
        return v

    def unwrap(self, v: Val, loc: Loc) -> Val:
        """v where a value of its inner type is required (arithmetic, a condition, an
        index, `in`): for an option, a "null" error at loc where it is none."""
        t = v.type
        if not isinstance(t, OptionT):
            return v
        if t.inner is None:
            return self.error(loc, "`none` is no value here: only an option can be none")
        n = none_value(t)
        if n is None:
            return Val(t.inner, expr=v.expr)
        message = f"none where a value of {t.inner} is required"
        x = f.guard(f.binary("!=", v.expr, n), v.expr, "null", message, loc)
        # a bool's slot value as a condition again
        return Val(
            t.inner, expr=f.binary("==", x, ir.Const(1)) if isinstance(t.inner, BoolT) else x
        )

    @staticmethod
    def none_for(v: Val, place: Type | None) -> Val:
        """v, or the literal `none` where v is the name `none` of an enum (`none_name`)
        and an option is expected (an option is never of an enum with a value none)."""
        return NONE if v.none_name and isinstance(place, OptionT) else v

    def encoded(self, v: Val, t: Type, loc: Loc | None) -> Val:
        """v as a value of type t, where t or v holds options: each option of v numbered
        as t numbers it (its none; a T as some T); with loc (a value stored), a "range"
        error there where a value is outside the option's inner type (one past it would
        read as none) and a "null" error where none is stored in a place of no option
        type; without (a merge of branches into their common type), unchecked."""
        if isinstance(v.type, ErrT) or not has_option(t) and not has_option(v.type):
            return v
        if isinstance(t, RecordT) and v.fields is not None:
            return Val(t, fields={n: self.encoded(v.fields[n], ft, loc) for n, ft in t.fields})
        if isinstance(t, MapT) and v.get is not None:
            return Val(t, get=lambda i, l2: self.encoded(v.get(i, l2), t.elem, loc))
        if not isinstance(t, OptionT) and loc is not None:
            return self.unwrap(v, loc)  # an option stored where a T is
        if not isinstance(t, OptionT) or t.inner is None:
            return v
        n = none_value(t)
        vt = value_type(v.type)
        fits = within(vt, t.inner) if not isinstance(vt, OptionT) else True
        if isinstance(v.type, OptionT) and none_value(v.type) == n and fits:
            return Val(t, expr=v.expr)
        is_none, x = option_parts(v)
        if not fits and loc is not None:
            x = f.guard(
                in_range(x, t.inner), x, "range", f"value outside {t.inner}, the values of {t}", loc
            )
        return Val(t, expr=f.ite(is_none, n, x))

    def constant(self, e: ast.Expr, scope: dict | None = None) -> Val:
        """A constant expression (folded to Const, or built from SymConsts)."""
        saved, self.reader = self.reader, None
        try:
            return self.expr(e, scope or {})
        finally:
            self.reader = saved

    # ------------------------------------------------------------------ values of variables
    def var_value(
        self,
        irname: str,
        t: Type,
        index: tuple[ir.Expr, ...],
        loc: Loc | None,
        reader: Reader | None = None,
    ) -> Val:
        """The value of a variable (or part of one) as of now, read element by element."""
        if reader is None:
            reader = self.snapshot() if self.snapshot else self.reader
        if isinstance(t, RecordT):
            return Val(
                t,
                fields={
                    n: self.var_value(f"{irname}.{n}", ft, index, loc, reader) for n, ft in t.fields
                },
            )
        if isinstance(t, MapT):
            # each element read at the loc its index gives: None where statically inside
            return Val(t, get=lambda i, l2: self.var_value(irname, t.elem, index + i, l2, reader))
        if isinstance(t, SetT):
            return Val(
                t,
                member=lambda x: self.read(irname, index + elem_index(t.elem, x), loc, reader),
            )
        if isinstance(t, SeqT):
            return Val(
                t,
                length=self.read(f"{irname}.len", index, loc, reader),
                get=lambda i, l2: self.var_value(irname, t.elem, index + i, l2, reader),
            )
        return Val(t, expr=self.read(irname, index, loc, reader))

    def read(
        self, irname: str, index: tuple[ir.Expr, ...], loc: Loc | None, reader: Reader | None = None
    ) -> ir.Expr:
        reader = reader or self.reader
        if reader is None:
            self.error(
                loc,
                f"{self.what or 'this'} cannot read the state (variable {irname.split('.')[0]})",
            )
            return ir.Const(0)
        return reader(irname, index, loc)

    def local_index(self, sym: VarSym) -> tuple[ir.Expr, ...]:
        return (ir.Param("self"),) if sym.process and sym.process.index else ()

    # ------------------------------------------------------------------ names
    def lookup(self, name: str, scope: dict, loc: Loc) -> object:
        if name in scope:
            return scope[name]
        if self.proc is not None:
            if name in self.proc.locals:
                return self.proc.locals[name]
            idx = self.proc.decl.index
            if self.proc.index is not None and name in ("self", idx.name if idx else "self"):
                return self.self_val()
        if name == "self":
            self.error(loc, "'self' is only defined inside a process set")
            return ERR
        sym = self.env.lookup(name)
        if sym is None:
            self.error(loc, f"unknown name '{name}'", self.unknown_name_hint(name, scope))
            return ERR
        return sym

    def unknown_name_hint(self, name: str, scope: dict) -> str | None:
        """C's NULL explained, else the value name in scope closest to `name`."""
        if name == "NULL":
            return NULL_HINT
        known = [*scope, *self.env.names(*VALUE_SYMBOLS)]
        if self.proc is not None:
            known += self.proc.locals
            if self.proc.decl.index is not None:
                known += ("self", self.proc.decl.index.name)
        return did_you_mean(name, known)

    def name(self, e: ast.Name, scope: dict) -> Val:
        if e.name == "bool":  # a keyword, never declared: the type name as a set
            return self.domain_of_type(BoolT(), e.loc)
        if (
            e.name == "none"
            and e.name not in scope
            and not (self.proc is not None and e.name in self.proc.locals)
            and self.env.lookup(e.name) is None
        ):
            return NONE
        sym = self.lookup(e.name, scope, e.loc)
        if isinstance(sym, Val):
            return sym
        if isinstance(sym, ByName):
            return self.expr(sym.expr, sym.scope, self.expected)
        if isinstance(sym, EnumChoices):
            sym = self.choose_enum(sym, e.loc)
            if sym is None:
                return ERR
        if isinstance(sym, ConstSym):
            return Val(sym.type, expr=sym.value)
        if isinstance(sym, EnumValSym):
            # `none` of an enum is the option's none where an option is expected
            v = replace(self.enum_value(sym, e.name, e.loc), none_name=e.name == "none")
            return self.none_for(v, self.expected)
        if isinstance(sym, VarSym):
            return self.var_value(sym.irname, sym.type, self.local_index(sym), e.loc)
        if isinstance(sym, LockSym):
            return self.var_value(e.name, sym.type, (), e.loc)
        if isinstance(sym, TypeSym):
            t = self.env.named_type(e.name, e.loc)
            return self.domain_of_type(t, e.loc)
        if isinstance(sym, PoolSym):  # its references, as a type name is its values
            return self.domain_of_type(sym.ref, e.loc)
        if isinstance(sym, DefSym):
            return self.inline_def(sym.decl, (), scope, e.loc)
        if isinstance(sym, ProcInfo):
            return Val(ProcT(sym.name), process=sym)
        if isinstance(sym, MacroSym):
            return self.error(e.loc, f"'{e.name}' is a macro, not a value")
        return self.error(e.loc, f"'{e.name}' is not a value ({sym.kind})")

    def choose_enum(self, sym: EnumChoices, loc: Loc) -> EnumValSym | None:
        """The value of the enum the context expects, of a name several enums declare;
        None after an error that lists how to write each."""
        want = self.expected
        if isinstance(want, ErrT):
            return None  # the other side had an error
        if isinstance(want, OptionT):
            want = want.inner
        if isinstance(want, EnumT):
            for c in sym.choices:
                if unify(want, c.type) is not None:
                    return c
        if isinstance(self.expected, OptionT) and sym.name == "none":
            return sym.choices[0]  # the option's none (see none_for)
        qualified = []
        for c in sym.choices:
            named = isinstance(self.env.symbols.get(c.type.name), TypeSym)
            qualified.append(
                f"`{c.type.name}.{sym.name}`" if named else f"the value of {c.type.name}'s enum"
            )
        self.error(
            loc,
            f"'{sym.name}' is a value of several enums: "
            + ("" if want is None else f"none of them is {want}; ")
            + f"write {' or '.join(qualified)}",
            None
            if all(q.startswith("`") for q in qualified)
            else "an enum declared in a variable's type has no name to qualify its values "
            "with: declare it as a type (`type T = enum { ... }`)",
        )
        return None

    def enum_value(self, sym: EnumValSym, shown: str, loc: Loc) -> Val:
        """The value sym names (written `shown`)."""
        if sym.type.sort:
            self.error(
                loc,
                f"'{shown}' names one value of symmetric {sym.type.sort}: a literal breaks symmetry",
            )
        return Val(sym.type, expr=ir.Const(sym.index))

    def qualified_enum(self, e: ast.Field, scope: dict) -> Val | None:
        """`Pte.none`: a value of the enum type Pte; None if e is no such name (Pte is not
        an enum type, or a name in scope hides it)."""
        base = e.base
        if not isinstance(base, ast.Name) or base.name in scope:
            return None
        if self.proc is not None and base.name in self.proc.locals:
            return None
        if not isinstance(self.env.symbols.get(base.name), TypeSym):
            return None
        t = self.env.named_type(base.name, base.loc)
        if not isinstance(t, EnumT):
            return None
        if e.name not in t.values:
            return self.error(
                e.loc,
                f"enum {base.name} has no value '{e.name}' (values: {', '.join(t.values)})",
                did_you_mean(e.name, t.values),
            )
        return self.enum_value(EnumValSym(t, t.values.index(e.name), e.loc), str(e.name), e.loc)

    def ambiguous(self, e: ast.Expr, scope: dict) -> bool:
        """Whether e is, or has where the type expected of e reaches (an `if`'s branches,
        a set literal's elements, a `let`'s or map literal's body, the new values of an
        `except`, a record literal's fields), a value name that several enums declare, so
        that its enum is the one the context expects."""
        if isinstance(e, ast.IfExpr):
            return self.ambiguous(e.then, scope) or self.ambiguous(e.other, scope)
        if isinstance(e, ast.SetLit):
            return any(self.ambiguous(i, scope) for i in e.items)
        if isinstance(e, ast.Let):
            return self.ambiguous(e.body, {**scope, **{n: None for n, _, _ in e.bindings}})
        if isinstance(e, ast.MapLit):
            return self.ambiguous(e.body, {**scope, **{b.name: None for b in e.binders}})
        if isinstance(e, ast.MapExcept):
            return any(self.ambiguous(v, scope) for _, v in e.updates)
        if isinstance(e, ast.RecordLit | ast.RecordExcept):
            return any(self.ambiguous(v, scope) for _, v, _ in e.fields)
        if not isinstance(e, ast.Name) or e.name in scope:
            return False
        if self.proc is not None and e.name in self.proc.locals:
            return False
        # `none`, an enum's value, is an option's none where the context wants an option
        return e.name == "none" or isinstance(self.env.symbols.get(e.name), EnumChoices)

    def domain_of_type(self, t: Type, loc: Loc) -> Val:
        if isinstance(t, ErrT):
            return ERR
        if not finite_elem(t):
            return self.error(loc, f"type {t} is not a finite domain")
        return Val(SetT(t), member=lambda x: f.TRUE, full=True)

    # ------------------------------------------------------------------ dispatch
    def expr(self, e: ast.Expr, scope: dict, expected: Type | None = None) -> Val:
        """The value of e; `expected`: the type the context wants (see `self.expected`)."""
        method = getattr(self, "x_" + type(e).__name__)
        if self.inlining:  # the parser bounds nesting within one expression, not across defs
            self.inlined += 1
            if self.depth > MAX_NESTING or self.inlined > MAX_INLINED:
                raise _TooBig
        self.depth += 1
        saved, self.expected = self.expected, expected
        try:
            v = method(e, scope)
        finally:
            self.depth -= 1
            self.expected = saved
        if isinstance(v.expr, ir.Const) and not -MAX_INT - 1 <= v.expr.value <= MAX_INT:
            return self.error(e.loc, "value out of the 64-bit range (-2^63 .. 2^63 - 1)")
        return v

    def x_Num(self, e: ast.Num, scope: dict) -> Val:
        return Val(IntT(ir.Const(e.value), ir.Const(e.value)), expr=ir.Const(e.value))

    def x_BoolLit(self, e: ast.BoolLit, scope: dict) -> Val:
        return Val(BoolT(), expr=f.const(e.value))

    def x_Name(self, e: ast.Name, scope: dict) -> Val:
        return self.name(e, scope)

    def x_Index(self, e: ast.Index, scope: dict) -> Val:
        pool = self.pool_named(e.base, scope)
        if pool is not None:
            idx = self.pool_index(pool, e, scope)
            return ERR if idx is None else self.var_value(pool.name, pool.elem, (idx,), None)
        base = self.expr(e.base, scope)
        if isinstance(base.type, ErrT):
            return ERR
        if isinstance(base.type, ProcT):
            return self.instance(base, e, scope)
        if isinstance(base.type, SeqT):
            return self.position(base, e, scope)
        if not isinstance(base.type, MapT):
            return self.error(e.loc, f"only maps can be indexed, not {base.type}")
        got = self.indices(base.type, e.args, scope, e.loc)
        if got is None:
            return ERR
        idx, inside = got
        # a map's get reports an index outside its domain at the loc it is given; None
        # where every index is statically inside, so no check is made for it
        return base.get(idx, None if inside else e.loc)

    def indices(
        self, t: MapT, args: tuple[ast.Expr, ...], scope: dict, loc: Loc
    ) -> tuple[tuple[ir.Expr, ...], bool] | None:
        """The index values, and whether every one lies statically inside its dimension."""
        if len(args) != len(t.dims):
            self.error(loc, f"map of {len(t.dims)} dimension(s) applied to {len(args)} index(es)")
            return None
        out = []
        inside = True
        for a, d in zip(args, t.dims):
            v = self.expr(a, scope, d)  # `m[none]`: the dimension says which enum's
            out.append(self.check_index(v, d, a))
            inside = inside and within(v.type, d)
        return tuple(out), inside

    def check_index(self, v: Val, d: Type, e: ast.Expr, process: ProcInfo | None = None) -> ir.Expr:
        """An index value (written e) against a map dimension, or against the index type
        of `process` for an instance of it: type, symmetry, and static range."""
        loc = e.loc
        v = self.unwrap(v, loc)
        if isinstance(v.type, ErrT) or isinstance(d, ErrT):
            return v.expr if v.expr is not None else ir.Const(0)
        if unify(v.type, d) is None or not isinstance(v.type, SCALARS):
            self.error(loc, f"index of type {v.type} for a map over {d}")
            return ir.Const(0)
        sort = sort_of(d)
        if sort and sort_of(v.type) != sort:
            if process is None:
                wanted = f"index into a map over symmetric {sort} must be a {sort} value"
            else:
                of = "its symmetric index" if sort == process.name else f"symmetric {sort}"
                wanted = (
                    f"an instance of symmetric process set {process.name} is named by a "
                    f"value of {of}"
                )
            self.error(
                loc,
                f"{wanted} ({self.not_of_sort(v, e, 'a constant index')})",
                self.sort_hint(sort),
            )
        elif sort_of(v.type) and not sort:
            hint = self.sort_hint(sort_of(v.type))
            self.error(
                loc,
                f"a value of {self.sort_words(sort_of(v.type))} indexes a map over {d}: "
                f"declare the map over {'T' if hint else sort_of(v.type)} so symmetry "
                "permutes it too",
                hint,
            )
        b = bounds(d)
        if (
            isinstance(v.expr, ir.Const)
            and b
            and all(isinstance(x, ir.Const) for x in b)
            and not b[0].value <= v.expr.value <= b[1].value
        ):
            shown = d.values[v.expr.value] if isinstance(d, EnumT) else v.expr.value
            self.error(loc, f"index {shown} is outside the map's domain {d}")
        return v.expr

    def instance(self, base: Val, e: ast.Index, scope: dict) -> Val:
        p = base.process
        if p.index is None or len(e.args) != 1:
            return self.error(e.loc, f"{p.name} is not a process set of one index")
        v = self.expr(e.args[0], scope)
        i = self.check_index(v, p.index, e.args[0], p)
        where = None if within(v.type, p.index) else e.loc
        return Val(ProcT(p.name), process=p, instance=i, instance_loc=where)

    def x_Field(self, e: ast.Field, scope: dict) -> Val:
        qualified = self.qualified_enum(e, scope)
        if qualified is not None:
            return qualified
        base = self.expr(e.base, scope)
        if isinstance(base.type, ErrT):
            return ERR
        if isinstance(base.type, ProcT):
            return self.process_local(base, e)
        if not isinstance(base.type, RecordT):
            return self.error(e.loc, f"{base.type} has no fields (.{e.name})")
        if base.type.field(e.name) is None:
            names = [n for n, _ in base.type.fields]
            return self.error(
                e.loc,
                f"{base.type} has no field '{e.name}' (fields: {', '.join(names)})",
                did_you_mean(e.name, names),
            )
        return base.fields[e.name]

    def process_local(self, base: Val, e: ast.Field) -> Val:
        """`reclaim.ok`, `fault[i].tries`: a process-local variable, read from outside;
        `fault.tries` of a whole set is a map over its instances."""
        p = base.process
        if e.name not in p.locals:
            names = ", ".join(p.locals) or "none"
            return self.error(
                e.loc,
                f"process {p.name} has no variable '{e.name}' (its variables: {names})",
                did_you_mean(e.name, p.locals),
            )
        sym = self.env.local_sym(p, e.name)
        if p.index is None:
            return self.var_value(sym.irname, sym.type, (), e.loc)
        if base.instance is not None:
            return self.var_value(sym.irname, sym.type, (base.instance,), e.loc)
        return self.var_value(sym.irname, MapT((p.index,), sym.type), (), e.loc)

    def x_Unary(self, e: ast.Unary, scope: dict) -> Val:
        if e.op == "not":
            return Val(BoolT(), expr=f.negate(self.boolean(e.arg, scope)))
        return Val(IntT(), expr=f.neg(self.integer(e.arg, scope)))

    def x_IfExpr(self, e: ast.IfExpr, scope: dict) -> Val:
        want = self.expected
        c = self.boolean(e.cond, scope)
        with self.effects_under(c):
            a = self.expr(e.then, scope, want)
        with self.effects_under(f.negate(c)):
            b = self.expr(e.other, scope, want or (None if isinstance(a.type, ErrT) else a.type))
        t = unify(a.type, b.type)
        if t is None:
            return self.error(e.loc, f"the branches have different types: {a.type} and {b.type}")
        if self.sorts_mix(a.type, b.type, e.loc, "the branches"):
            return ERR
        return ite_val(c, self.encoded(a, t, None), self.encoded(b, t, None), t)

    @contextmanager
    def effects_under(self, cond: ir.Expr) -> Iterator[None]:
        """Side effects of the sub-expression happen only where it is evaluated."""
        if self.fx is None:
            yield
        else:
            with self.fx.assuming(cond):
                yield

    def x_Let(self, e: ast.Let, scope: dict) -> Val:
        want = self.expected
        inner = dict(scope)
        for name, value, _ in e.bindings:
            inner[name] = self.expr(value, inner)
        return self.expr(e.body, inner, want)

    def x_BinOp(self, e: ast.BinOp, scope: dict) -> Val:
        before = len(self.env.errors)
        v = self.binop(e, scope)
        return ERR if len(self.env.errors) > before else v  # no cascades from an operand

    def binop(self, e: ast.BinOp, scope: dict) -> Val:
        op = e.op
        if op in ("and", "or", "=>", "<=>"):
            a = self.boolean(e.left, scope)
            guard = {"and": a, "or": f.negate(a), "=>": a}.get(op, f.TRUE)
            with self.effects_under(guard):
                b = self.boolean(e.right, scope)
            return Val(BoolT(), expr=f.binary(op, a, b))
        if op in ("+", "-", "*", "/", "%"):
            a, b = self.integer(e.left, scope), self.integer(e.right, scope)
            irop = {"/": "div", "%": "mod"}.get(op, op)
            return Val(IntT(), expr=f.binary(irop, a, b, e.loc))
        if op in ("<", "<=", ">", ">="):
            a, b = self.integer(e.left, scope), self.integer(e.right, scope)
            return Val(BoolT(), expr=f.binary(op, a, b))
        if op in ("==", "!="):
            if self.ambiguous(e.left, scope) and not self.ambiguous(e.right, scope):
                b = self.expr(e.right, scope)  # the other side says which enum's
                a = self.expr(e.left, scope, b.type)
            else:
                a = self.expr(e.left, scope)
                b = self.expr(e.right, scope, a.type)
            eq = self.equal(a, b, e.loc)
            return Val(BoolT(), expr=eq if op == "==" else f.negate(eq))
        if op == "..":
            a, b = self.int_val(e.left, scope), self.int_val(e.right, scope)
            lo, hi = a.expr, b.expr
            ba, bb = bounds(a.type), bounds(b.type)  # of the types of x and y in `x..y`
            state = f.reads_state(lo) or f.reads_state(hi)
            hull = (ba[0], bb[1]) if ba and bb and state else None
            return Val(
                SetT(IntT(lo, hi)),
                full=True,
                member=lambda x: f.conj((f.binary("<=", lo, x), f.binary("<=", x, hi))),
                member_any=True,
                spans=(Span(lo, hi, ir.TRUE, True, hull),),
            )
        if op in ("in", "notin") and isinstance(e.right, COMPOUND_SETS):
            x = self.expr(e.left, scope)
            if isinstance(x.type, ErrT):
                return ERR
            m = self.in_compound(x, e.right, scope, op)
            if m is None:
                return ERR
            # x is evaluated first, every part of it, where it is in no such set too
            first = self.eq_val(x, x, x.type, e.loc)
            m = f.conj((first, m)) if f.may_fail(first) else m
            return Val(BoolT(), expr=m if op == "in" else f.negate(m))
        if op in ("in", "notin"):
            if self.ambiguous(e.left, scope):  # the set says which enum's
                s = self.typed_val(e.right, scope, (SetT, SeqT), "a set")
                want = s.type.elem if s is not None else None
                x = self.unwrap(self.expr(e.left, scope, want), e.left.loc)
            else:
                x = self.unwrap(self.expr(e.left, scope), e.left.loc)
                s = self.typed_val(e.right, scope, (SetT, SeqT), "a set", SetT(x.type))
            if s is None or isinstance(x.type, ErrT):
                return ERR
            m = self.member_of(x, s, e.loc, op)
            if m is None:
                return ERR
            return Val(BoolT(), expr=m if op == "in" else f.negate(m))
        a, b = (
            self.typed_val(e.left, scope, SetT, "a set"),
            self.typed_val(e.right, scope, SetT, "a set"),
        )
        if a is None or b is None:
            return ERR
        return self.set_binop(a, b, op, e.loc)

    def set_binop(self, a: Val, b: Val, op: str, loc: Loc) -> Val:
        """`a op b` for sets a and b: `subset`, `union`, `inter` or `minus`."""
        t = unify(a.type, b.type)
        if t is None:
            return self.error(loc, f"{a.type} and {b.type} do not mix")
        if self.sorts_mix(a.type, b.type, loc, f"`{op}`"):
            return ERR
        # the elements range over the hull of both element types (see `unify`)
        # `and` short-circuits: a value outside a's type reaches b only in a union
        either_any = a.member_any and (b.member_any or op != "union")
        xt = t.elem if op == "subset" else member_type(t, either_any)  # subset: over t's elements
        in_a, in_b = (lambda x, v=v: v.contains(x, xt) for v in (a, b))
        if op == "subset":
            return Val(
                BoolT(),
                expr=self.over_elems("forall", t, lambda x: f.implies(in_a(x), in_b(x)), loc),
            )
        combine = {
            "union": lambda x: f.disj((in_a(x), in_b(x))),
            "inter": lambda x: f.conj((in_a(x), in_b(x))),
            "minus": lambda x: f.conj((in_a(x), f.negate(in_b(x)))),
        }[op]
        # a union holds all of both operands; `minus` some of a's values, `inter` some of
        # either's: b's if only they can be enumerated
        spans = spans_of(a, ir.TRUE, op == "union")
        if op == "union":
            spans = join_spans(spans, spans_of(b, ir.TRUE, True))
        elif op == "inter" and not enumerable(spans):
            spans = spans_of(b, ir.TRUE, False)
        return Val(t, member=combine, member_any=either_any, spans=spans)

    def member_of(self, x: Val, s: Val, loc: Loc, op: str) -> ir.Expr | None:
        """`x in s` for a value x of its inner type and a set or sequence s; None after
        an error."""
        if s.type.elem is not None and unify(x.type, s.type.elem) is None:
            self.error(loc, f"a {x.type} cannot be in a {s.type}")
            return None
        if s.type.elem is not None and self.sorts_mix(x.type, s.type.elem, loc, f"`{op}`"):
            return None
        if isinstance(s.type, SeqT):
            return self.seq_has(s, x)
        # x is evaluated first, where the set is empty too (`x == x` folds away unless x
        # may fail); a record's fields in order
        point = point_of(x)
        parts = point.values() if isinstance(point, dict) else (point,)
        first = [f.binary("==", p, p) for p in parts if p is not None]
        return f.conj((*first, s.contains(point, x.type)))

    def in_compound(
        self, x: Val, s: ast.FunSet | ast.RecordSet | ast.SubsetOf, scope: dict, op: str
    ) -> ir.Expr | None:
        """`x in s` for one of TLA+'s sets of maps, records and sets (x evaluated
        already): x's domain, or fields, compared with s's, statically (a map over
        another range, a record of other fields: false), then each element, or field, in
        its set, in index order (the set's field order), up to the first that is not; a
        set x is a subset. None after an error."""
        t = x.type
        if isinstance(s, ast.SubsetOf):
            if not isinstance(t, SetT):
                self.error(s.loc, f"a {t} cannot be in subset S (a set of sets): it is no set")
                return None
            base = self.typed_val(s.base, scope, SetT, "a set")
            if base is None:
                return None
            v = self.set_binop(x, base, "subset", s.loc)
            return None if isinstance(v.type, ErrT) else v.expr
        if isinstance(s, ast.RecordSet):
            if not isinstance(t, RecordT):
                self.error(
                    s.loc, f"a {t} cannot be in [f: S, ...] (a set of records): it is no record"
                )
                return None
            names = [n for n, _, _ in s.fields]
            for n, _, at in s.fields:
                if names.count(n) > 1:
                    self.error(at, f"field '{n}' given twice")
                    return None
            if set(names) != {n for n, _ in t.fields}:
                return self.checked_false(s, scope)  # TLA+: a record of other fields
            parts = []
            for n, sx, _ in s.fields:
                m = self.elem_in(x.fields[n], sx, scope, op, s.loc)
                if m is None:
                    return None
                parts.append(m)
            return f.conj(parts)
        if not isinstance(t, MapT):
            self.error(s.loc, f"a {t} cannot be in [D -> S] (a set of maps): it is no map")
            return None
        if len(s.dims) != len(t.dims):
            return self.checked_false(s, scope)  # a domain of tuples of another length
        same = True
        for d, dx in zip(t.dims, s.dims):
            given = self.env.domain(dx)
            eq = self.same_domain(d, given, dx.loc)
            if eq is None:
                return None
            same = same and eq
        if not same:
            return self.checked_false(s, scope)  # TLA+: a map over another domain
        failed = False

        def body(idx: tuple[ir.Expr, ...]) -> ir.Expr:
            nonlocal failed
            m = self.elem_in(x.get(idx, None), s.elem, scope, op, s.loc)
            failed = failed or m is None
            return f.TRUE if m is None else m

        out = self.over_dims("forall", t.dims, body, s.loc)
        return None if failed else out

    def checked_false(self, s: ast.Expr, scope: dict) -> ir.Expr | None:
        """False, for an `in` s whose members are of another domain or fields than x,
        once the sets inside s are type checked (None after an error)."""
        before = len(self.env.errors)
        if isinstance(s, ast.FunSet):
            for dx in s.dims:
                self.env.domain(dx)
            self.checked_false(s.elem, scope)
        elif isinstance(s, ast.RecordSet):
            for _, sx, _ in s.fields:
                self.checked_false(sx, scope)
        else:
            self.typed_val(s.base if isinstance(s, ast.SubsetOf) else s, scope, SetT, "a set")
        return f.FALSE if len(self.env.errors) == before else None

    def elem_in(self, x: Val, s: ast.Expr, scope: dict, op: str, loc: Loc) -> ir.Expr | None:
        """An element or field x of a map or record in its set s of `[D -> s]`,
        `[f: s]`; an option's none is a null error at loc (the set's), as in `x in s`."""
        if isinstance(s, COMPOUND_SETS):
            return self.in_compound(x, s, scope, op)
        v = self.typed_val(s, scope, SetT, "a set", SetT(x.type))
        if v is None:
            return None
        return self.member_of(self.unwrap(x, loc), v, s.loc, op)

    def same_domain(self, d: Type, given: Type, loc: Loc) -> bool | None:
        """Whether a map's dimension d and the domain `given` of a set of maps are the
        same set: ranges of other constant bounds are not; a domain of another type (bool,
        another enum, a range of another symmetric sort) is an error, as comparing such
        values is, and so are ranges not known to be equal or not (symbolic bounds).
        None after an error."""
        if isinstance(given, ErrT) or isinstance(d, ErrT):
            return None
        if unify(d, given) is None or isinstance(d, BoolT) != isinstance(given, BoolT):
            self.error(
                loc,
                f"a map over {d} is never in a set of maps over {given}: the "
                "domains are of different types",
            )
            return None
        if self.sorts_mix(d, given, loc, "the domains"):
            return None
        (dlo, dhi), (glo, ghi) = bounds(d), bounds(given)
        if (dlo, dhi) == (glo, ghi):
            return True
        if all(isinstance(b, ir.Const) for b in (dlo, dhi, glo, ghi)):
            return False
        self.error(
            loc,
            "cannot tell whether this domain is the map's: their bounds are not the same "
            "expressions, and not all constants (a symbolic constant, -D N=?)",
        )
        return None

    def typed_val(
        self,
        e: ast.Expr,
        scope: dict,
        kind: type | tuple[type, ...],
        what: str,
        expected: Type | None = None,
    ) -> Val | None:
        """The value of e if its type is a `kind` (what: "a set"), else None, reported
        unless e already had an error."""
        v = self.expr(e, scope, expected)
        if isinstance(v.type, ErrT):
            return None
        if not isinstance(v.type, kind):
            self.error(e.loc, f"expected {what}, got {v.type}")
            return None
        return v

    def equal(self, a: Val, b: Val, loc: Loc) -> ir.Expr:
        if isinstance(a.type, ErrT) or isinstance(b.type, ErrT):
            return f.TRUE
        if isinstance(a.type, HolderT) != isinstance(b.type, HolderT):
            return (
                self.held_by(a, b, loc) if isinstance(a.type, HolderT) else self.held_by(b, a, loc)
            )
        a, b = self.none_for(a, b.type), self.none_for(b, a.type)
        if isinstance(a.type, ErrT) or isinstance(b.type, ErrT):
            return f.TRUE
        t = unify(a.type, b.type)
        if t is None:
            self.mismatch(a.type, b.type, loc)
            return f.TRUE
        self.check_symmetric_literal(a, b, loc)
        return self.eq_val(a, b, t, loc)

    def held_by(self, h: Val, p: Val, loc: Loc) -> ir.Expr:
        """`holder(l) == p`: p is a process, an instance `fault[i]`, `self` in a process
        set (this instance), or a whole set `fault` (any of its instances)."""
        this = self.proc
        if this is not None and this.index is not None and p.expr == ir.Param("self"):
            return f.binary("==", h.expr, self.me())
        if not isinstance(p.type, ProcT):
            self.error(loc, f"a lock's holder is compared with a process, not {p.type}")
            return f.TRUE
        proc = p.process
        first = proc.first_holder
        if proc.index is None:
            return f.binary("==", h.expr, first)
        lo, hi = bounds(proc.index)
        if p.instance is not None:
            eq = f.binary("==", h.expr, f.binary("+", p.instance, f.binary("-", first, lo)))
            if p.instance_loc is None:
                return eq
            # an instance outside the set would stand for another process's holder value:
            # there, the read of its pc is the domain error at `p[i]`
            pc = self.read(proc.pc_var, (p.instance,), p.instance_loc)
            return f.ite(in_range(p.instance, proc.index), eq, f.binary("==", pc, ir.Const(0)))
        last = f.binary("+", first, f.binary("-", hi, lo))
        return f.conj((f.binary("<=", first, h.expr), f.binary("<=", h.expr, last)))

    def mismatch(self, a: Type, b: Type, loc: Loc) -> None:
        if isinstance(a, EnumT) and isinstance(b, EnumT):
            self.error(loc, f"a value of enum {b} compared with enum {a}")
        elif (
            isinstance(a, MapT)
            and isinstance(b, MapT)
            and len(a.dims) == len(b.dims)
            and any(bounds(x) != bounds(y) for x, y in zip(a.dims, b.dims))
        ):
            self.error(loc, f"maps over different domains are not compared: {a} and {b}")
        elif {type(a), type(b)} == {LockT, ProcT}:
            self.error(loc, f"type mismatch: {a} and {b} (compare holder(l) with a process)")
        else:
            self.error(loc, f"type mismatch: {a} and {b}")

    def check_symmetric_literal(self, a: Val, b: Val, loc: Loc) -> None:
        for x, y in ((a, b), (b, a)):
            s = sort_of(x.type)
            if y.type == NONE.type:  # none is of every option, of a sort too
                continue
            if s and sort_of(y.type) != s:
                self.error(
                    loc,
                    f"values of {self.sort_words(s)} may only be compared with each other "
                    f"({self.not_of_sort(y, None, 'a literal')})",
                    self.sort_hint(s),
                )
                return
        self.sorts_mix(a.type, b.type, loc, "compared values")  # maps, records, sets

    def sorts_mix(self, a: Type, b: Type, loc: Loc, what: str) -> bool:
        """Whether `what` (values compared, or merged into one) puts values of a symmetric
        sort beside other values (in a scalar, a map's index or element, a set's
        elements, a record's field), with an error if so: the reduction permutes a
        sort's values only where the type says the sort."""
        clash = sort_clash(a, b)
        if clash is None:
            return False
        s, other = (clash[0], clash[1]) if clash[0] else (clash[1], clash[0])
        assert s is not None
        with_ = (
            f"values of {self.sort_words(other)}"
            if other
            else "values of no symmetric sort (literals, plain variables)"
        )
        self.error(
            loc,
            f"{what} mix values of {self.sort_words(s)} with {with_}: that breaks symmetry",
            self.sort_hint(s),
        )
        return True

    def sort_words(self, sort: str) -> str:
        """A symmetric sort in messages: `symmetric T`, or, for the range or enum that
        `symmetric process p[i in ..]` made a sort (named p), the set's index."""
        if isinstance(self.env.symbols.get(sort), ProcInfo):
            return f"the symmetric index of process set {sort}"
        return f"symmetric {sort}"

    def sort_hint(self, sort: str | None) -> str | None:
        """How to name values of a process set's index sort outside the set (the sort
        has no name of its own), or None for a sort that is a type."""
        p = self.env.symbols.get(sort) if sort else None
        if not isinstance(p, ProcInfo) or p.decl.index is None:
            return None
        return (
            "declare the index type as a symmetric type (`type T = symmetric ...`, "
            f"`symmetric process {p.name}[{p.decl.index.name} in T]`): T names its values "
            "anywhere (`forall j in T`, `[T] -> bool`)"
        )

    def not_of_sort(self, v: Val, e: ast.Expr | None, constant: str) -> str:
        """Why v (written e, if known), where a value of a sort is wanted, breaks
        symmetry; `constant`: what a constant v is called ("a literal")."""
        if isinstance(v.expr, ir.Const):
            return f"{constant} breaks symmetry"
        if sort_of(v.type):
            return f"this is a value of {self.sort_words(sort_of(v.type))}"
        if isinstance(v.expr, ir.Param):  # bound by a quantifier, a comprehension, a parameter
            name = f"'{e.name}'" if isinstance(e, ast.Name) else "this value"
            return f"{name} is bound over {v.type}, which is not symmetric"
        return f"a value of {v.type} breaks symmetry"

    def eq_val(self, a: Val, b: Val, t: Type, loc: Loc) -> ir.Expr:
        if isinstance(t, RecordT):
            return f.conj(self.eq_val(a.fields[n], b.fields[n], ft, loc) for n, ft in t.fields)
        if isinstance(t, MapT):
            return self.over_dims(
                "forall",
                t.dims,
                lambda idx: self.eq_val(a.get(idx, None), b.get(idx, None), t.elem, loc),  # inside
                loc,
            )
        if isinstance(t, SetT):
            if t.elem is None:
                return f.TRUE
            return self.over_elems(
                "forall",
                t,
                lambda x: f.binary("<=>", a.contains(x, t.elem), b.contains(x, t.elem)),
                loc,
            )
        if isinstance(t, SeqT):
            return self.seq_equal(a, b, t, loc)
        if isinstance(t, OptionT):
            both = isinstance(a.type, OptionT) and isinstance(b.type, OptionT)
            if both and none_value(a.type) == none_value(b.type):
                return f.binary("==", a.expr, b.expr)  # both numbered alike: none too
            (na, va), (nb, vb) = option_parts(a), option_parts(b)
            return f.ite(na, nb, f.conj((f.negate(nb), f.binary("==", va, vb))))
        return f.binary("==", a.expr, b.expr)

    def over_elems(
        self, kind: str, t: SetT, body: Callable[[ir.Expr], ir.Expr], loc: Loc
    ) -> ir.Expr:
        if t.elem is None:
            return f.TRUE if kind == "forall" else ir.Const(0)
        elem = t.elem
        return self.over_dims(kind, elem_dims(elem), lambda idx: body(elem_point(elem, idx)), loc)

    def over_dims(
        self,
        kind: str,
        dims: tuple[Type, ...],
        body: Callable[[tuple[ir.Expr, ...]], ir.Expr],
        loc: Loc,
    ) -> ir.Expr:
        """A quantifier nest over the values of finite scalar types."""
        if not dims:
            return body(())
        lohi = bounds(dims[0])
        if lohi is None:  # a set of results of arithmetic (maps are over finite domains)
            self.error(
                loc,
                "cannot count or compare the elements of this set: they are "
                "integers of no known range (results of arithmetic)",
            )
            return f.TRUE if kind in ("forall", "exists") else ir.Const(0)
        lo, hi = lohi
        var = self.fresh("k")
        with self.binding(var):
            inner = self.over_dims(kind, dims[1:], lambda rest: body((ir.Param(var),) + rest), loc)
        if (kind, inner) in (("forall", f.TRUE), ("exists", f.FALSE)):
            return inner  # so whatever the range
        # over several dimensions, the outer ones add up what the innermost counts
        outer = "sum" if kind in ("count", "sum") and len(dims) > 1 else kind
        return ir.Quant(outer, var, lo, hi, inner)

    def x_Quant(self, e: ast.Quant, scope: dict) -> Val:
        return self.quant(e.kind, e.binders, e.body, scope, e.loc)

    def quant(
        self, kind: str, binders: tuple[ast.Binder, ...], body: ast.Expr, scope: dict, loc: Loc
    ) -> Val:
        def value(inner: dict) -> ir.Expr:
            return self.integer(body, inner) if kind == "sum" else self.boolean(body, inner)

        q = self.over_binders(kind, binders, scope, value)
        if q is None:
            return ERR
        return Val(BoolT() if kind in ("forall", "exists") else IntT(), expr=q)

    def over_binders(
        self,
        kind: str,
        binders: tuple[ast.Binder, ...],
        scope: dict,
        body: Callable[[dict], ir.Expr],
    ) -> ir.Expr | None:
        """The quantifier `kind` over the binders (each over a set: a later domain may read
        the earlier binders), of `body` given the scope with them bound; None after an
        error. A binder over a set of records is one bound variable per field."""
        b = binders[0]
        dom = self.typed_val(b.domain, scope, (SetT, SeqT), "a set")
        if dom is None:
            return None
        if isinstance(dom.type, SeqT):
            return self.over_positions(kind, binders, dom, scope, body)
        if dom.type.elem is None:  # `{}`: no value to bind
            return f.const(kind == "forall") if kind in ("forall", "exists") else ir.Const(0)
        elem = dom.type.elem
        lohis = [bounds(d) for d in elem_dims(elem)]
        if any(lohi is None for lohi in lohis):
            self.error(
                b.domain.loc,
                "a quantifier needs a finite domain: the elements "
                "of this set are integers of no known range (results of arithmetic)",
            )
            return None
        evaluated = f.TRUE  # the state-dependent bounds of dom that may fail, evaluated
        exact = not any(f.reads_state(x) for lohi in lohis for x in lohi)
        if not exact:
            got = self.static_domain(dom, b.domain.loc, "a quantifier")
            if got is None:
                return None
            elem, evaluated = got
            lohis = [bounds(elem)]
        names = (
            [self.fresh(f"{b.name}.{n}") for n, _ in elem.fields]
            if isinstance(elem, RecordT)
            else [self.fresh(b.name)]
        )
        x = elem_point(elem, tuple(ir.Param(n) for n in names))
        inner = dict(scope)
        inner[b.name] = bound_val(elem, x)
        with self.binding(*names):
            got = self.rest_of_binders(kind, binders, inner, body)
        if got is None:
            return None
        outer, val = got
        if exact:
            member = f.TRUE if dom.full else dom.member(x)
        else:
            member = dom.contains(x, elem)
        if outer == "forall":
            val = f.implies(member, val)
        elif outer in ("exists", "count"):
            val = f.conj((member, val))
        else:
            val = f.ite(member, val, ir.Const(0))
        for k, (name, (lo, hi)) in enumerate(reversed(list(zip(names, lohis)))):
            # a record's fields: the outer ones add up what the innermost counts or sums
            q = outer if k == 0 or outer in ("forall", "exists") else "sum"
            val = ir.Quant(q, name, lo, hi, val)
        if kind in ("forall", "exists"):
            return f.conj((evaluated, val))
        return f.ite(evaluated, val, ir.Const(0))

    def static_domain(self, dom: Val, loc: Loc, what: str) -> tuple[Type, ir.Expr] | None:
        """For a set of ints whose bounds read the state (`1..n`): the type a variable
        bound over it ranges over, of bounds that read no state (the hull of the ranges of
        its bounds' types: 1..3 for n : 0..3), each value then tested for membership; and a
        true expression that evaluates the bounds that may fail, so that an error there
        happens whatever the values bound, as where the domain is evaluated first. None
        after an error (`what`: "a quantifier", for it)."""
        t = dom.type.elem
        hulls = [sp.hull or (sp.lo, sp.hi) for sp in dom.support() or ()]
        if not hulls or any(any(map(f.reads_state, h)) for h in hulls):
            self.error(
                loc,
                f"{what} needs a finite domain: the bounds of this set read the state "
                "and are not variables or constants of a known range (`0..n + 1`: "
                "write `0..m` with a variable m, or test `i <= n + 1` in the body)",
            )
            return None
        lo, hi = hulls[0]
        for h in hulls[1:]:
            lo, hi = f.binary("min", lo, h[0]), f.binary("max", hi, h[1])
        evaluated = f.conj(
            f.binary("<=", f.binary("min", sp.lo, sp.hi), f.binary("max", sp.lo, sp.hi))
            for sp in dom.support() or ()
            if f.may_fail(sp.lo) or f.may_fail(sp.hi)
        )
        return IntT(lo, hi, t.sort if isinstance(t, IntT) else None), evaluated

    def x_SetLit(self, e: ast.SetLit, scope: dict) -> Val:
        want = self.expected.elem if isinstance(self.expected, SetT) else None
        vals: dict[int, Val] = {}
        if want is None:  # a value name of several enums is of the others' enum
            for k, i in enumerate(e.items):
                if not self.ambiguous(i, scope):
                    vals[k] = self.expr(i, scope)
                    want = want or (None if isinstance(vals[k].type, ErrT) else vals[k].type)
        items = [
            self.unwrap(vals[k] if k in vals else self.expr(i, scope, want), i.loc)
            for k, i in enumerate(e.items)
        ]
        t: Type | None = None
        for i, v in zip(e.items, items):
            if not isinstance(v.type, SCALARS + (ErrT,)) and not elem_record(v.type):
                return self.error(
                    i.loc, f"set elements must be scalars or records of them, not {v.type}"
                )
            u = unify(t, v.type) if t is not None else v.type
            if u is None:
                return self.error(i.loc, f"set elements of different types: {t} and {v.type}")
            if t is not None and self.sorts_mix(t, v.type, i.loc, "the set's elements"):
                return ERR
            t = u
        if isinstance(t, RecordT):  # no spans: see Exec.outside
            return Val(
                SetT(t), member=lambda x: f.disj(is_point(x, v) for v in items), member_any=True
            )
        exprs = [v.expr for v in items]
        return Val(
            SetT(t),
            member=lambda x: f.disj(f.binary("==", x, y) for y in exprs),
            member_any=True,
            spans=tuple(dict.fromkeys(map(literal_span, items))),
        )

    def x_SetFilter(self, e: ast.SetFilter, scope: dict) -> Val:
        b = e.binder
        dom = self.typed_val(b.domain, scope, SetT, "a set")
        if dom is None:
            return ERR
        elem = dom.type.elem
        if elem is None:  # `{}`: nothing to filter
            return dom
        reader = self.snapshot() if self.snapshot else self.reader

        def holds(x: Point) -> ir.Expr:
            saved = self.reader, self.snapshot, self.fx
            self.reader, self.snapshot, self.fx = reader, None, None
            try:
                return self.boolean(e.cond, {**scope, b.name: bound_val(elem, x)})
            finally:
                self.reader, self.snapshot, self.fx = saved

        # the condition's errors are reported here, once, whether or not it is asked
        probe = tuple(ir.Param(self.fresh(b.name)) for _ in elem_dims(elem))
        holds(elem_point(elem, probe))
        xt = member_type(dom.type, dom.member_any)
        return Val(
            dom.type,
            # only a member of the domain is tested: the condition is of its element type
            member=lambda x: f.conj((dom.contains(x, xt), holds(x))),
            member_any=dom.member_any,
            spans=spans_of(dom, ir.TRUE, False),
        )

    def x_SetImage(self, e: ast.SetImage, scope: dict) -> Val:
        reader = self.snapshot() if self.snapshot else self.reader

        def image(body: Callable[[Val], ir.Expr]) -> ir.Expr | None:
            """Whether some value of the binders gives a value of e.body for which `body`
            holds (None after an error)."""
            saved = self.reader, self.snapshot, self.fx
            self.reader, self.snapshot, self.fx = reader, None, None
            try:
                return self.over_binders(
                    "exists", e.binders, scope, lambda inner: body(self.expr(e.body, inner))
                )
            finally:
                self.reader, self.snapshot, self.fx = saved

        types: list[Type] = []
        binders: set[str] = set()  # the bound variables of the binders
        outside = set(self.env.bound)

        def probe(v: Val) -> ir.Expr:
            types.append(v.type)
            binders.update(self.env.bound - outside)
            return f.FALSE

        if image(probe) is None:
            return ERR
        if not types:  # a binder over `{}`: the empty set
            return Val(SetT(None), member=lambda x: ir.FALSE, member_any=True, spans=())
        t = unbound(types[0], binders)
        if isinstance(t, ErrT):
            return ERR
        if not isinstance(t, BoolT | IntT | EnumT) and not elem_record(t):
            return self.error(
                e.body.loc, f"set elements must be scalars or records of them, not {t}"
            )
        return Val(
            SetT(t),
            member=lambda x: image(lambda v: is_point(x, v)) or ir.FALSE,
            member_any=True,
        )

    def x_RecordLit(self, e: ast.RecordLit, scope: dict) -> Val:
        want = self.expected if isinstance(self.expected, RecordT) else None
        fields: dict[str, Val] = {}
        for name, value, loc in e.fields:
            if name in fields:
                self.error(loc, f"field '{name}' given twice")
            fields[name] = self.expr(value, scope, want.field(name) if want else None)
        t = RecordT(tuple((n, v.type) for n, v in fields.items()))
        return Val(t, fields=fields)

    def x_RecordExcept(self, e: ast.RecordExcept, scope: dict) -> Val:
        base = self.expr(e.base, scope)
        if isinstance(base.type, ErrT):
            return ERR
        if not isinstance(base.type, RecordT):
            return self.error(e.base.loc, f"expected a record, got {base.type}")
        fields = dict(base.fields)
        types = dict(base.type.fields)
        for name, value, loc in e.fields:
            ft = base.type.field(name)
            if ft is None:
                self.error(loc, f"{base.type} has no field '{name}'")
                continue
            v = self.expr(value, scope, ft)
            u = unify(ft, v.type)
            if u is None:
                self.error(value.loc, f"field '{name}' is {ft}, not {v.type}")
                continue
            if self.sorts_mix(ft, v.type, value.loc, f"field '{name}' and its new value"):
                continue
            fields[name], types[name] = v, u  # a set of a wider range widens the field
        return Val(RecordT(tuple(types.items()), base.type.name), fields=fields)

    def x_MapLit(self, e: ast.MapLit, scope: dict) -> Val:
        dims: list[Type] = []
        for b in e.binders:
            dom = self.typed_val(b.domain, scope, SetT, "a set")
            if dom is None:
                return ERR
            if not dom.full or dom.type.elem is None or bounds(dom.type.elem) is None:
                return self.error(b.domain.loc, "a map's domain must be a finite type or range")
            dims.append(dom.type.elem)

        # the body is elaborated at each use, against the state as it is here
        reader = self.snapshot() if self.snapshot else self.reader
        want = self.expected.elem if isinstance(self.expected, MapT) else None

        def get(idx: tuple[ir.Expr, ...], loc: Loc | None) -> Val:
            inner = dict(scope)
            for b, d, x in zip(e.binders, dims, idx):
                inner[b.name] = Val(d, expr=x)
            saved = self.reader, self.snapshot, self.fx
            self.reader, self.snapshot, self.fx = reader, None, None
            try:
                v = self.expr(e.body, inner, want)
            finally:
                self.reader, self.snapshot, self.fx = saved
            if loc is None:
                return v
            # no variable to read, so the domain is checked here (docs/language.md)
            inside, domain = in_domain(idx, dims)
            return guard_val(inside, v, f"a map value indexed outside {domain}", loc)

        probe = get(tuple(ir.Param(self.fresh(b.name)) for b in e.binders), None)
        return Val(MapT(tuple(dims), probe.type), get=get)

    def x_MapExcept(self, e: ast.MapExcept, scope: dict) -> Val:
        base = self.expr(e.base, scope)
        if isinstance(base.type, ErrT):
            return ERR
        if not isinstance(base.type, MapT):
            return self.error(e.base.loc, f"expected a map, got {base.type}")
        t = base.type
        updates = []
        checks = []  # each index not statically in the domain: (inside, message, where)
        for args, value in e.updates:
            got = self.indices(t, args, scope, value.loc)
            v = self.expr(value, scope, t.elem)
            u = unify(t.elem, v.type)
            if got is None or u is None:
                self.error(value.loc, f"the map holds {t.elem}, not {v.type}")
                continue
            if self.sorts_mix(t.elem, v.type, value.loc, "the map's elements and the new value"):
                continue
            t = MapT(t.dims, u)  # a set of a wider range widens the elements
            updates.append((got[0], v))
            if not got[1]:
                inside, domain = in_domain(got[0], t.dims)
                checks.append((inside, f"except at an index outside {domain}", args[0].loc))

        def get(idx: tuple[ir.Expr, ...], loc: Loc | None) -> Val:
            out = base.get(idx, loc)
            for at, v in updates:
                out = ite_val(f.eq_all(idx, at), v, out, t.elem)
            # an except's index is checked wherever its value is used, the first one first
            for inside, message, where in reversed(checks):
                out = guard_val(inside, out, message, where)
            return out

        return Val(t, get=get)

    def x_FunSet(self, e: ast.FunSet, scope: dict) -> Val:
        return self.initial_set_only(e.loc, "[D -> S] (a set of maps)")

    def x_RecordSet(self, e: ast.RecordSet, scope: dict) -> Val:
        return self.initial_set_only(e.loc, "[f: S, ...] (a set of records)")

    def x_SubsetOf(self, e: ast.SubsetOf, scope: dict) -> Val:
        return self.initial_set_only(e.loc, "subset S (a set of sets)")

    def initial_set_only(self, loc: Loc, what: str) -> Val:
        """Sets of maps, records and sets are the initial values of a variable (lowered
        by choosing each part, spec/lower.py) and the right side of `in` (`in_compound`)
        only, never values of the state."""
        return self.error(
            loc,
            f"{what} may only be the set a variable starts in (`var x : T in S`) "
            "or the right side of `in` and `notin`",
        )

    # ------------------------------------------------------------------ calls
    def x_Call(self, e: ast.Call, scope: dict) -> Val:
        if e.name in scope or (self.proc and e.name in self.proc.locals):
            return self.error(e.loc, f"'{e.name}' is not an operator")
        sym = self.env.lookup(e.name)
        if isinstance(sym, DefSym):
            args = tuple(self.expr(a, scope) for a in e.args)
            return self.inline_def(sym.decl, args, scope, e.loc)
        if isinstance(sym, MacroSym):
            if self.fx is None:
                return self.error(e.loc, f"macro {e.name} can only be called in a process step")
            if len(e.args) != len(sym.decl.params):
                return self.error(e.loc, f"{e.name} takes {len(sym.decl.params)} argument(s)")
            return self.fx.call_macro(sym.decl, e.args, scope, e.loc)
        if sym is None and e.name in BUILTINS:
            return getattr(self, "b_" + e.name)(e, scope)
        if sym is None:
            known = [*self.env.names(DefSym, MacroSym), *BUILTINS]
            return self.error(e.loc, f"unknown operator '{e.name}'", did_you_mean(e.name, known))
        return self.error(e.loc, f"'{e.name}' is not an operator")

    def apart(self, get: Callable[[], ir.Expr]) -> ir.Expr:
        """A value elaborated lazily where a read reaches it (a step's write, read later
        in the step), apart from the defs being inlined at that read: the write was made
        outside them, so meeting one of them again is no recursion."""
        saved, self.defs = self.defs, []
        try:
            return get()
        finally:
            self.defs = saved

    def inline_def(self, d: ast.DefDecl, args: tuple[Val, ...], scope: dict, loc: Loc) -> Val:
        if len(args) != len(d.params):
            return self.error(loc, f"{d.name} takes {len(d.params)} argument(s), got {len(args)}")
        if d.name in self.defs:
            return self.error(loc, f"definition {d.name} is recursive")
        if d.name in self.env.too_big:
            return ERR  # reported at its first use
        self.defs.append(d.name)
        self.inlining += 1
        try:
            return self.expr(d.body, dict(zip(d.params, args)))
        except _TooBig:
            if self.inlining > 1:
                raise
            self.env.too_big.add(d.name)
            if self.inlined > MAX_INLINED:
                return self.error(
                    loc, f"{d.name} is more than {MAX_INLINED} nodes once definitions are inlined"
                )
            return self.error(
                loc,
                f"{d.name} is nested more than {MAX_NESTING} levels "
                "deep once definitions are inlined",
            )
        finally:
            self.defs.pop()
            self.inlining -= 1
            if not self.inlining:
                self.inlined = 0

    def arity(self, e: ast.Call, n: int) -> bool:
        if len(e.args) != n:
            self.error(e.loc, f"{e.name} takes {n} argument(s), got {len(e.args)}")
            return False
        return True

    def b_done(self, e: ast.Call, scope: dict) -> Val:
        if not self.arity(e, 1):
            return ERR
        v = self.typed_val(e.args[0], scope, ProcT, "a process")
        if v is None:
            return ERR
        return Val(BoolT(), expr=self.at_label(v, len(v.process.labels), e.loc))

    def at_label(self, v: Val, label: int, loc: Loc) -> ir.Expr:
        p = v.process
        if p.index is not None and v.instance is None:
            lo, hi = bounds(p.index)
            var = self.fresh("p")
            read = self.read(p.pc_var, (ir.Param(var),), loc)
            return ir.Quant("forall", var, lo, hi, f.binary("==", read, ir.Const(label)))
        idx = (v.instance,) if v.instance is not None else ()
        return f.binary("==", self.read(p.pc_var, idx, v.instance_loc or loc), ir.Const(label))

    def b_at(self, e: ast.Call, scope: dict) -> Val:
        if not self.arity(e, 2):
            return ERR
        v = self.typed_val(e.args[0], scope, ProcT, "a process")
        if v is None:
            return ERR
        lab = e.args[1]
        labels = v.process.labels
        if not isinstance(lab, ast.Name) or lab.name not in labels:
            name = getattr(lab, "name", "?")
            return self.error(
                lab.loc,
                f"process {v.process.name} has no label '{name}' (labels: {', '.join(labels)})",
                did_you_mean(name, labels),
            )
        if v.process.index is not None and v.instance is None:
            return self.error(e.args[0].loc, f"at() needs one instance: {v.process.name}[i]")
        return Val(BoolT(), expr=self.at_label(v, labels.index(lab.name), e.loc))

    def lock_val(self, e: ast.Expr, scope: dict) -> ir.Expr | None:
        v = self.typed_val(e, scope, LockT, "a lock")
        return None if v is None else v.expr

    def b_locked(self, e: ast.Call, scope: dict) -> Val:
        if not self.arity(e, 1):
            return ERR
        x = self.lock_val(e.args[0], scope)
        return Val(BoolT(), expr=f.binary("!=", x, ir.Const(0))) if x is not None else ERR

    def b_held(self, e: ast.Call, scope: dict) -> Val:
        if not self.arity(e, 1):
            return ERR
        if self.proc is None:
            return self.error(e.loc, "held() is only defined inside a process")
        x = self.lock_val(e.args[0], scope)
        return Val(BoolT(), expr=f.binary("==", x, self.me())) if x is not None else ERR

    def b_holder(self, e: ast.Call, scope: dict) -> Val:
        if not self.arity(e, 1):
            return ERR
        x = self.lock_val(e.args[0], scope)
        return Val(HolderT(), expr=x) if x is not None else ERR

    def b_min(self, e: ast.Call, scope: dict) -> Val:
        if not self.arity(e, 2):
            return ERR
        a, b = self.integer(e.args[0], scope), self.integer(e.args[1], scope)
        return Val(IntT(), expr=f.binary(e.name, a, b))

    b_max = b_min

    # ------------------------------------------------------------------ pools
    def pool_named(self, e: ast.Expr, scope: dict) -> PoolSym | None:
        """The pool e names (`Page` in `Page[r]`), unless a bound name or local hides it."""
        if not isinstance(e, ast.Name) or e.name in scope:
            return None
        if self.proc is not None and e.name in self.proc.locals:
            return None
        sym = self.env.lookup(e.name)
        return sym if isinstance(sym, PoolSym) and not isinstance(sym.elem, ErrT) else None

    def pool_index(self, pool: PoolSym, e: ast.Index, scope: dict) -> ir.Expr | None:
        """The reference of `Page[r]`, guarded: a "free" error at e where r is not
        allocated (a use after free), a "null" one where r is none."""
        if len(e.args) != 1:
            self.error(e.loc, f"pool {pool.name} is indexed by one reference")
            return None
        r = self.check_index(self.expr(e.args[0], scope), pool.ref, e.args[0])
        live = self.read(pool.allocated, (r,), e.loc)
        return f.guard(live, r, "free", f"{pool.name}[..] is not allocated", e.loc)

    def pool_ref(self, e: ast.Call, scope: dict) -> tuple[PoolSym, ir.Expr] | None:
        """The pool and reference of `free(r)`, `allocated(r)`: r of a pool's type."""
        if not self.arity(e, 1):
            return None
        v = self.unwrap(self.expr(e.args[0], scope), e.args[0].loc)
        if isinstance(v.type, ErrT):
            return None
        pool = self.env.lookup(sort_of(v.type) or "")
        if not isinstance(pool, PoolSym):
            self.error(e.args[0].loc, f"{e.name}(..) takes a reference to a pool, not {v.type}")
            return None
        return pool, v.expr

    def b_alloc(self, e: ast.Call, scope: dict) -> Val:
        if not self.arity(e, 1):
            return ERR
        pool = self.pool_named(e.args[0], scope)
        if pool is None:
            return self.error(e.args[0].loc, "alloc(..) takes the name of a pool")
        if self.fx is None or self.proc is None:
            return self.error(e.loc, "alloc(..) is only allowed in a process step")
        return Val(OptionT(pool.ref), expr=self.fx.alloc(pool, e.loc))

    def b_free(self, e: ast.Call, scope: dict) -> Val:
        got = self.pool_ref(e, scope)
        if got is None:
            return ERR
        if self.fx is None or self.proc is None:
            return self.error(e.loc, "free(..) is only allowed in a process step")
        if getattr(self.fx, "value_wanted", False):
            return self.error(e.loc, "free(..) is a statement, it has no value")
        self.fx.free(*got, e.loc)
        return Val(BoolT(), expr=ir.TRUE)

    def b_allocated(self, e: ast.Call, scope: dict) -> Val:
        got = self.pool_ref(e, scope)
        if got is None:
            return ERR
        pool, r = got
        return Val(BoolT(), expr=self.read(pool.allocated, (r,), e.loc))

    def b_some(self, e: ast.Call, scope: dict) -> Val:
        if not self.arity(e, 1):
            return ERR
        v = self.expr(e.args[0], scope)
        if isinstance(v.type, ErrT):
            return ERR
        if not isinstance(v.type, BoolT | IntT | EnumT):
            return self.error(
                e.args[0].loc,
                f"some(..) makes an option of a bool, an int or an enum, not {v.type}",
            )
        return Val(OptionT(v.type), expr=as_number(v))

    def b_card(self, e: ast.Call, scope: dict) -> Val:
        if not self.arity(e, 1):
            return ERR
        s = self.typed_val(e.args[0], scope, SetT, "a set")
        if s is None:
            return ERR
        if s.type.elem is None:
            return Val(IntT(), expr=ir.Const(0))
        return Val(IntT(), expr=self.over_elems("count", s.type, s.member, e.loc))

    def effects(self, e: ast.Call) -> Effects | None:
        if self.fx is None:
            self.error(
                e.loc,
                f"{e.name}() changes the state: it is only allowed in a process "
                "step, as a statement or where a statement evaluates an expression",
            )
        return self.fx

    def atomic_place(self, e: ast.Call, scope: dict) -> tuple[Effects, LValue] | None:
        """The effects and the place of a one-argument atomic operation (None after an
        error)."""
        fx = self.effects(e)
        if fx is None or not self.arity(e, 1):
            return None
        lv = self.lvalue(e.args[0], scope)
        return None if lv is None else (fx, lv)

    def b_trylock(self, e: ast.Call, scope: dict) -> Val:
        got = self.atomic_place(e, scope)
        if got is None:
            return ERR
        fx, lv = got
        if not lv.lock or not isinstance(lv.type, LockT):
            return self.error(e.args[0].loc, f"trylock of {lv.name}, which is not a lock")
        return Val(BoolT(), expr=fx.trylock(lv, e.loc))

    def b_cas(self, e: ast.Call, scope: dict) -> Val:
        fx = self.effects(e)
        if fx is None or not self.arity(e, 3):
            return ERR
        lv = self.lvalue(e.args[0], scope)
        want = lv.type if lv is not None else None
        old, new = self.expr(e.args[1], scope, want), self.expr(e.args[2], scope, want)
        if lv is None:
            return ERR
        if not isinstance(lv.type, SCALARS) or lv.lock:
            return self.error(e.args[0].loc, "cas needs a scalar variable")
        return Val(BoolT(), expr=fx.cas(lv, old, new, e.loc))

    def b_test_and_set(self, e: ast.Call, scope: dict) -> Val:
        got = self.atomic_place(e, scope)
        if got is None:
            return ERR
        fx, lv = got
        if not isinstance(lv.type, BoolT):
            return self.error(e.args[0].loc, "test_and_set needs a bool variable")
        return Val(BoolT(), expr=fx.test_and_set(lv, e.loc))

    # ------------------------------------------------------------------ sequences
    # A sequence value is its `length` and `get((i,), loc)`, the element at position i,
    # asked only for 1 <= i <= length, so that no position past it is ever evaluated
    # (as the reference's lazy elements); a variable's positions past its length hold
    # a canonical value (`Val.stored`). Reads of a variable's positions stay inside
    # 1..cap for every value of a quantified position, guarded or not.

    def x_SeqLit(self, e: ast.SeqLit, scope: dict) -> Val:
        items = [self.unwrap(self.expr(i, scope), i.loc) for i in e.items]
        t: Type | None = None
        for i, v in zip(e.items, items):
            if not isinstance(v.type, BoolT | IntT | EnumT | ErrT):
                return self.error(i.loc, f"sequence elements must be scalars, not {v.type}")
            u = unify(t, v.type) if t is not None else v.type
            if u is None:
                return self.error(i.loc, f"sequence elements of different types: {t} and {v.type}")
            if t is not None and self.sorts_mix(t, v.type, i.loc, "the sequence's elements"):
                return ERR
            t = u

        def get(idx: tuple[ir.Expr, ...], loc: Loc | None) -> Val:
            if not items:  # never asked: `<<>>` has no position
                return Val(IntT(), expr=ir.Const(0))
            out = items[-1]
            for k in range(len(items) - 2, -1, -1):
                out = ite_val(f.binary("==", idx[0], ir.Const(k + 1)), items[k], out, t)
            return out

        return Val(SeqT(ir.Const(len(items)), t), length=ir.Const(len(items)), get=get)

    def seq_arg(self, e: ast.Call, scope: dict, n: int = 1) -> Val | None:
        """The sequence that is the first argument of the builtin call e, of n arguments."""
        if not self.arity(e, n):
            return None
        return self.typed_val(e.args[0], scope, SeqT, "a sequence")

    def b_len(self, e: ast.Call, scope: dict) -> Val:
        s = self.seq_arg(e, scope)
        return ERR if s is None else s.seq_length()

    def nonempty(self, s: Val, what: str, loc: Loc) -> ir.Expr | None:
        """That s has an element, where `what` (head, tail) needs one: None after the
        static error of the literal `<<>>`."""
        if s.type.elem is None:
            self.error(loc, f"{what} of the empty sequence")
            return None
        return f.binary(">=", s.length, ir.Const(1))

    def b_head(self, e: ast.Call, scope: dict) -> Val:
        s = self.seq_arg(e, scope)
        cond = None if s is None else self.nonempty(s, "head", e.loc)
        if cond is None:
            return ERR
        return guard_val(cond, s.get((ir.Const(1),), None), "head of an empty sequence", e.loc)

    def b_tail(self, e: ast.Call, scope: dict) -> Val:
        s = self.seq_arg(e, scope)
        cond = None if s is None else self.nonempty(s, "tail", e.loc)
        if cond is None:
            return ERR
        cap = s.type.cap
        length = f.binary("-", s.length, ir.Const(1))
        return Val(
            s.type,
            # every use of a sequence reads its length first: the error happens there
            length=f.guard(cond, length, "domain", "tail of an empty sequence", e.loc),
            get=lambda i, loc: s.get(
                (f.binary("min", f.binary("+", i[0], ir.Const(1)), cap),), loc
            ),
        )

    def b_append(self, e: ast.Call, scope: dict) -> Val:
        s = self.seq_arg(e, scope, 2)
        x = self.unwrap(self.expr(e.args[1], scope), e.args[1].loc) if s is not None else ERR
        if s is None or isinstance(x.type, ErrT):
            return ERR
        if not isinstance(x.type, BoolT | IntT | EnumT):
            return self.error(e.args[1].loc, f"sequence elements must be scalars, not {x.type}")
        t = unify(s.type.elem, x.type) if s.type.elem is not None else x.type
        if t is None:
            return self.error(e.args[1].loc, f"a {x.type} cannot be appended to a {s.type}")
        if s.type.elem is not None and self.sorts_mix(
            s.type.elem, x.type, e.args[1].loc, "the sequence's elements"
        ):
            return ERR
        cap, last = s.type.cap, f.binary("+", s.length, ir.Const(1))

        def get(idx: tuple[ir.Expr, ...], loc: Loc | None) -> Val:
            if s.type.elem is None:  # `<<>>`: position 1 is the only one
                return x
            before = s.get((f.binary("min", idx[0], cap),), loc)
            return ite_val(f.binary("==", idx[0], last), x, before, t)

        # one longer than s may be: stored where it does not fit, a range error there
        return Val(SeqT(f.binary("+", cap, ir.Const(1)), t), length=last, get=get)

    def position(self, s: Val, e: ast.Index, scope: dict) -> Val:
        """`s[i]`: the element at position i, counted from 1 as in TLA+; a domain error
        unless 1 <= i <= len(s)."""
        if len(e.args) != 1:
            return self.error(e.loc, f"a sequence is indexed by one position, not {len(e.args)}")
        before = len(self.env.errors)
        i = self.int_val(e.args[0], scope).expr
        if len(self.env.errors) > before:
            return ERR  # no cascade from the position
        # the sequence (its length) first, then the position, as they are written
        inside = f.conj((f.binary(">=", s.length, i), f.binary("<=", ir.Const(1), i)))
        if s.type.elem is None:
            return self.error(e.loc, "the empty sequence has no positions")
        if f.is_false(inside):
            return self.error(e.args[0].loc, f"position {i.value} is outside the sequence")
        # the element's own read is checked too: inside the guard, it never fails
        return guard_val(inside, s.get((i,), e.loc), "sequence indexed outside 1..len", e.loc)

    def seq_has(self, s: Val, x: Val) -> ir.Expr:
        """`x in s`: some position up to the length holds x (the first, left to right).
        x is evaluated first, where s is empty too: `x == x`, folded away unless x may
        fail."""
        first = f.binary("==", x.expr, x.expr)
        if s.type.elem is None:
            return f.conj((first, f.FALSE))
        k = self.fresh("k")
        with self.binding(k):
            at = ir.Param(k)
            found = f.binary("==", s.get((at,), None).expr, x.expr)
            body = f.conj((f.binary("<=", at, s.length), found))
        return f.conj((first, ir.Quant("exists", k, ir.Const(1), s.type.cap, body)))

    def seq_equal(self, a: Val, b: Val, t: SeqT, loc: Loc) -> ir.Expr:
        """The same length, then the same element at each position, left to right."""
        same = f.binary("==", a.length, b.length)
        if a.type.elem is None or b.type.elem is None:
            return same
        cap = a.type.cap if a.type.cap == b.type.cap else f.binary("min", a.type.cap, b.type.cap)
        k = self.fresh("k")
        with self.binding(k):
            at = ir.Param(k)
            eq = self.eq_val(a.get((at,), None), b.get((at,), None), t.elem, loc)
            body = f.implies(f.binary("<=", at, a.length), eq)
        return f.conj((same, ir.Quant("forall", k, ir.Const(1), cap, body)))

    def over_positions(
        self,
        kind: str,
        binders: tuple[ast.Binder, ...],
        dom: Val,
        scope: dict,
        body: Callable[[dict], ir.Expr],
    ) -> ir.Expr | None:
        """A binder over a sequence: over its positions up to the length, bound to the
        element at each, left to right (an element held twice counts twice)."""
        if dom.type.elem is None:  # `<<>>`
            return f.const(kind == "forall") if kind in ("forall", "exists") else ir.Const(0)
        name = self.fresh(binders[0].name)
        at = ir.Param(name)
        inner = dict(scope)
        inner[binders[0].name] = dom.get((at,), None)
        with self.binding(name):
            got = self.rest_of_binders(kind, binders, inner, body)
        if got is None:
            return None
        outer, val = got
        val = at_member(outer, f.binary("<=", at, dom.length), val)
        return ir.Quant(outer, name, ir.Const(1), dom.type.cap, val)

    def rest_of_binders(
        self,
        kind: str,
        binders: tuple[ast.Binder, ...],
        inner: dict,
        body: Callable[[dict], ir.Expr],
    ) -> tuple[str, ir.Expr] | None:
        """The body of the quantifier `kind` over binders[0], given the scope with it
        bound: the quantifier over the other binders (None after an error), and the kind
        of the one over binders[0] (a count or sum over the others is summed)."""
        if len(binders) == 1:
            return kind, body(inner)
        val = self.over_binders(kind, binders[1:], inner, body)
        if val is None:
            return None
        return ("sum" if kind in ("count", "sum") else kind), val

    # ------------------------------------------------------------------ places
    def lvalue(self, e: ast.Expr, scope: dict) -> LValue | None:
        """The place an assignment, lock or atomic operation acts on."""
        if isinstance(e, ast.Name):
            sym = self.lookup(e.name, scope, e.loc)
            if isinstance(sym, ByName):
                return self.lvalue(sym.expr, sym.scope)
            if isinstance(sym, VarSym):
                return LValue(sym.irname, self.local_index(sym), sym.type, False, e.name)
            if isinstance(sym, LockSym):
                return LValue(e.name, (), sym.type, True, e.name)
            if sym is not ERR:
                self.error(e.loc, f"'{e.name}' is not a variable")
            return None
        if isinstance(e, ast.Index) and (pool := self.pool_named(e.base, scope)) is not None:
            idx = self.pool_index(pool, e, scope)
            return (
                None
                if idx is None
                else LValue(pool.name, (idx,), pool.elem, False, f"{pool.name}[...]")
            )
        if isinstance(e, ast.Index):
            base = self.lvalue(e.base, scope)
            if base is None:
                return None
            if not isinstance(base.type, MapT):
                self.error(e.loc, f"{base.name} is not a map")
                return None
            got = self.indices(base.type, e.args, scope, e.loc)
            if got is None:
                return None
            return LValue(
                base.irname, base.index + got[0], base.type.elem, base.lock, f"{base.name}[...]"
            )
        if isinstance(e, ast.Field):
            base = self.lvalue(e.base, scope)
            if base is None:
                return None
            ft = base.type.field(e.name) if isinstance(base.type, RecordT) else None
            if ft is None:
                names = [n for n, _ in base.type.fields] if isinstance(base.type, RecordT) else []
                self.error(
                    e.loc, f"{base.name} has no field '{e.name}'", did_you_mean(e.name, names)
                )
                return None
            return LValue(
                f"{base.irname}.{e.name}", base.index, ft, base.lock, f"{base.name}.{e.name}"
            )
        self.error(e.loc, "not an assignable place (a variable, m[i] or r.f)")
        return None
