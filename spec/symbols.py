"""What a name can stand for after resolution, and the typed values of the lowering.

A `Val` is a spec value during lowering: a scalar is an IR expression; records, maps
and sets stay functional (fields, `get(index)`, `member(x)`) until they are read
element by element or written slot by slot, so no array value ever reaches the IR.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from mmcheck.spec import ast, ir
from mmcheck.spec import fold as f
from mmcheck.spec.errors import Loc
from mmcheck.spec.types import EnumT, IntT, Point, Type, bounds, in_range, within


@dataclass(frozen=True)
class Span:
    """Values lo..hi that a set may hold (a literal's element: lo is hi), for the range
    check of a set written (`Exec.outside`). Its bounds are evaluated where `where` holds
    (the `if` branches that choose it); `whole`: then all of lo..hi is in the set (no
    `inter` or `minus` takes any out); `hull`: bounds of lo..hi that read no state, where
    lo or hi do (None: lo..hi itself, or not known)."""

    lo: ir.Expr
    hi: ir.Expr
    where: ir.Expr = ir.TRUE
    whole: bool = False
    hull: tuple[ir.Expr, ir.Expr] | None = None


def spans_of(v: Val, where: ir.Expr, whole: bool) -> tuple[Span, ...] | None:
    """The spans of v as an operand: chosen where `where` holds, and wholly in the set
    made of it only if `whole`; None if not known."""
    s = v.support()
    if s is None:
        return None
    return tuple(replace(p, where=f.conj((where, p.where)), whole=whole and p.whole) for p in s)


def enumerable(spans: tuple[Span, ...] | None) -> bool:
    """Whether the values of each span can be listed where not all of them are in the set:
    a single value, or bounds (or a hull) that read no state."""
    if spans is None:
        return False
    return all(p.lo == p.hi or not any(map(f.reads_state, p.hull or (p.lo, p.hi))) for p in spans)


def join_spans(a: tuple[Span, ...] | None, b: tuple[Span, ...] | None) -> tuple[Span, ...] | None:
    return None if a is None or b is None else a + b


@dataclass
class Val:
    type: Type
    expr: ir.Expr | None = None  # scalars
    fields: dict[str, Val] | None = None  # records
    get: Callable[[tuple[ir.Expr, ...], Loc | None], Val] | None = None  # maps, sequences
    # a sequence's number of elements; its `get` gives the element at (i,), asked only
    # for 1 <= i <= length
    length: ir.Expr | None = None
    member: Callable[[Point], ir.Expr] | None = None  # sets
    full: bool = False  # a set holding every value of its element type
    member_any: bool = False  # `member` answers for any value, not only the element type's
    spans: tuple[Span, ...] | None = None  # a set's possible values; None: its element type's
    process: ProcInfo | None = None  # a process (instance) reference
    instance: ir.Expr | None = None
    # `p[i]`: where an i outside p's index range is reported (None: i is statically inside)
    instance_loc: Loc | None = None
    none_name: bool = False  # the name `none` read as an enum's value (see Elab.none_for)

    def contains(self, x: Point, xt: Type | None) -> ir.Expr:
        """`x in` this set, for x of type xt (None: not known). Unless `member_any`,
        `member` answers only for values of the element type (a variable's set has one slot
        per element), so a value outside that type is no member, and `member` is not asked."""
        t = self.type.elem
        if t is None:
            return ir.FALSE
        if xt is not None and within(xt, t):
            return ir.TRUE if self.full else self.member(x)
        if self.member_any:
            return self.member(x)
        if self.full:
            return in_range(x, t)
        return f.conj((in_range(x, t), self.member(x)))

    def seq_length(self) -> Val:
        return Val(IntT(ir.Const(0), self.type.cap), expr=self.length)

    def stored(self, i: ir.Expr, pad: ir.Expr, cap: ir.Expr) -> Val:
        """A sequence's position i (of 1..cap, its place's) as its slot holds it: the
        element up to the length, and past it `pad`, one canonical value, so that equal
        sequences are equal states. A value of fewer positions is asked inside them."""
        own = self.type.cap
        fits = own == cap or f.is_true(f.binary("<=", cap, own))
        elem = self.get((i if fits else f.binary("min", i, own),), None)
        return Val(elem.type, expr=f.ite(f.binary("<=", i, self.length), elem.expr, pad))

    def support(self) -> tuple[Span, ...] | None:
        """Spans covering every value this set may hold; None if not known (an int of no
        known range)."""
        if self.spans is not None:
            return self.spans
        b = bounds(self.type.elem) if self.type.elem is not None else None
        return None if b is None else (Span(b[0], b[1], ir.TRUE, self.full),)


@dataclass
class ByName:
    """A macro parameter: the caller's argument, evaluated in the caller's scope."""

    expr: ast.Expr
    scope: dict


@dataclass
class ConstSym:
    decl: ast.ConstDecl
    type: Type
    value: ir.Expr  # Const, or SymConst when left symbolic


@dataclass
class VarSym:
    decl: ast.VarDecl
    type: Type
    irname: str  # the prefix of its IR variables ("page" -> "page.count", ...)
    process: ProcInfo | None = None  # process-local: arrays over the process set


@dataclass
class LockSym:
    decl: ast.LockDecl
    type: Type  # LockT or a map of LockT


@dataclass
class EnumValSym:
    type: EnumT
    index: int
    loc: Loc


@dataclass
class EnumChoices:
    """A value name that several enums declare (`Pte.none` and `Page.none`): the value is
    the one of the enum the context expects (`Elab.expected`), or written qualified."""

    name: str
    choices: list[EnumValSym]


@dataclass
class TypeSym:
    decl: ast.TypeDecl


@dataclass
class DefSym:
    decl: ast.DefDecl


@dataclass
class MacroSym:
    decl: ast.MacroDecl


@dataclass(frozen=True)
class StepPart:
    """One step of a process: its label, the statements it runs, and the label it goes to
    when they end without a `goto` (`after`: the next step of the process body, or
    Done). A label inside an `either` branch starts a step of the rest of the branch, then
    of what follows the `either` in its step (docs/language.md, "Processes")."""

    label: str
    body: tuple[ast.Stmt, ...]
    after: str
    loc: Loc


def step_parts(d: ast.ProcessDecl) -> tuple[StepPart, ...]:
    """The steps of a process, in the order their labels are written."""
    tops = [s.label for s in d.steps]
    out = []
    for k, s in enumerate(d.steps):
        after = tops[k + 1] if k + 1 < len(tops) else "Done"
        out.append(StepPart(s.label, s.body, after, s.loc))
        for j, st in enumerate(s.body):
            if not isinstance(st, ast.Either):
                continue
            for branch in st.branches:
                for m, x in enumerate(branch):
                    if isinstance(x, ast.Label):
                        out.append(
                            StepPart(x.name, branch[m + 1 :] + s.body[j + 1 :], after, x.loc)
                        )
    return tuple(out)


@dataclass
class ProcInfo:
    decl: ast.ProcessDecl
    labels: tuple[str, ...]
    steps: tuple[StepPart, ...] = ()  # by label, in the order of `labels`
    index: IntT | EnumT | None = None  # the set's index type
    first_holder: ir.Expr = ir.Const(1)  # symbolic after a set of symbolic size
    locals: dict[str, VarSym] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.decl.name

    @property
    def pc_var(self) -> str:
        return f"{self.decl.name}.pc"


@dataclass
class OtherSym:
    """Names that exist but are not values (actions, invariants)."""

    kind: str
    loc: Loc


@dataclass
class PoolSym:
    """`pool Page[N] of T`: `ref`, the symmetric sort of its references 1..N (the type
    Page), and T; its elements are the IR variable named Page (a map over the sort) and
    which are allocated the variable `Page.allocated`."""

    decl: ast.PoolDecl
    ref: Type
    elem: Type

    @property
    def name(self) -> str:
        return self.decl.name

    @property
    def allocated(self) -> str:
        return f"{self.decl.name}.allocated"


Symbol = (
    ConstSym
    | VarSym
    | LockSym
    | EnumValSym
    | EnumChoices
    | TypeSym
    | DefSym
    | MacroSym
    | ProcInfo
    | PoolSym
    | OtherSym
)

# what a name read as a value may stand for, resolved or still its declaration
VALUE_SYMBOLS = (
    ConstSym,
    ast.ConstDecl,
    VarSym,
    ast.VarDecl,
    LockSym,
    ast.LockDecl,
    EnumValSym,
    EnumChoices,
    TypeSym,
    DefSym,
    ProcInfo,
    PoolSym,
    ast.PoolDecl,
)
