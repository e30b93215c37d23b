"""The abstract syntax tree of a spec file: frozen dataclasses, each with its `Loc`.

Built by spec.parser (one transformer method per grammar rule), read by the checker
and the lowering. Names are plain strings; nothing here is ever evaluated as Python.
"""

from __future__ import annotations

from dataclasses import dataclass

from mmcheck.spec.errors import Loc

# --------------------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Num:
    value: int
    loc: Loc


@dataclass(frozen=True)
class BoolLit:
    value: bool
    loc: Loc


@dataclass(frozen=True)
class Name:
    name: str
    loc: Loc


@dataclass(frozen=True)
class Call:
    """`f(args)`: a def, a macro, or a builtin (done, at, locked, held, min, max, card,
    trylock, cas, test_and_set)."""

    name: str
    args: tuple[Expr, ...]
    loc: Loc


@dataclass(frozen=True)
class Index:
    base: Expr
    args: tuple[Expr, ...]
    loc: Loc


@dataclass(frozen=True)
class Field:
    base: Expr
    name: str
    loc: Loc


@dataclass(frozen=True)
class Unary:
    op: str  # "not" | "-"
    arg: Expr
    loc: Loc


@dataclass(frozen=True)
class BinOp:
    """Binary operators as written: + - * / % == != < <= > >= in notin subset union
    minus inter .. and or => <=>."""

    op: str
    left: Expr
    right: Expr
    loc: Loc


@dataclass(frozen=True)
class IfExpr:
    cond: Expr
    then: Expr
    other: Expr
    loc: Loc


@dataclass(frozen=True)
class Binder:
    name: str
    domain: Expr
    loc: Loc


@dataclass(frozen=True)
class Let:
    bindings: tuple[tuple[str, Expr, Loc], ...]
    body: Expr
    loc: Loc


@dataclass(frozen=True)
class Quant:
    kind: str  # forall | exists | count | sum
    binders: tuple[Binder, ...]
    body: Expr
    loc: Loc


@dataclass(frozen=True)
class SetLit:
    items: tuple[Expr, ...]
    loc: Loc


@dataclass(frozen=True)
class SeqLit:
    """`<<a, b>>`: a sequence literal (`<<>>` the empty one)."""

    items: tuple[Expr, ...]
    loc: Loc


@dataclass(frozen=True)
class RecordLit:
    fields: tuple[tuple[str, Expr, Loc], ...]
    loc: Loc


@dataclass(frozen=True)
class RecordExcept:
    base: Expr
    fields: tuple[tuple[str, Expr, Loc], ...]
    loc: Loc


@dataclass(frozen=True)
class MapLit:
    binders: tuple[Binder, ...]
    body: Expr
    loc: Loc


@dataclass(frozen=True)
class SetFilter:
    """`{ x in S | P }`: the elements of S for which P holds."""

    binder: Binder
    cond: Expr
    loc: Loc


@dataclass(frozen=True)
class SetImage:
    """`{ e : x in S, y in T }`: the values of e for the elements of S (and T)."""

    body: Expr
    binders: tuple[Binder, ...]
    loc: Loc


@dataclass(frozen=True)
class MapExcept:
    base: Expr
    updates: tuple[tuple[tuple[Expr, ...], Expr], ...]
    loc: Loc


# Sets of compound values, TLA+'s [D -> S], [f: S, ...] and SUBSET S: only the set of
# a variable's initial values (`var x : T in S`) and the element sets inside them.


@dataclass(frozen=True)
class FunSet:
    """`[D1, D2 -> S]`: every map over the domains with elements in S."""

    dims: tuple[TypeExpr, ...]
    elem: Expr
    loc: Loc


@dataclass(frozen=True)
class RecordSet:
    """`[f: S, g: T]`: every record with field f in S and g in T."""

    fields: tuple[tuple[str, Expr, Loc], ...]
    loc: Loc


@dataclass(frozen=True)
class SubsetOf:
    """`subset S`: every subset of S."""

    base: Expr
    loc: Loc


Expr = (
    Num
    | BoolLit
    | Name
    | Call
    | Index
    | Field
    | Unary
    | BinOp
    | IfExpr
    | Let
    | Quant
    | SetLit
    | SeqLit
    | RecordLit
    | RecordExcept
    | MapLit
    | MapExcept
    | SetFilter
    | SetImage
    | FunSet
    | RecordSet
    | SubsetOf
)

# --------------------------------------------------------------------------- types


@dataclass(frozen=True)
class BoolType:
    loc: Loc


@dataclass(frozen=True)
class RangeType:
    lo: Expr
    hi: Expr | None  # None only for a constant's open range `1..`
    loc: Loc


@dataclass(frozen=True)
class EnumType:
    names: tuple[tuple[str, Loc], ...]
    loc: Loc


@dataclass(frozen=True)
class NamedType:
    name: str
    loc: Loc


@dataclass(frozen=True)
class SymmetricType:
    inner: TypeExpr
    loc: Loc


@dataclass(frozen=True)
class RecordType:
    fields: tuple[tuple[str, TypeExpr, Loc], ...]
    loc: Loc


@dataclass(frozen=True)
class MapType:
    dims: tuple[TypeExpr, ...]
    elem: TypeExpr
    loc: Loc


@dataclass(frozen=True)
class SetType:
    elem: TypeExpr
    loc: Loc


@dataclass(frozen=True)
class SeqType:
    """`seq[N] of T`: sequences of at most N (a constant) elements of T."""

    cap: Expr
    elem: TypeExpr
    loc: Loc


@dataclass(frozen=True)
class OptionType:
    """`T?`: T's values and `none`."""

    inner: TypeExpr
    loc: Loc


TypeExpr = (
    BoolType
    | RangeType
    | EnumType
    | NamedType
    | SymmetricType
    | RecordType
    | MapType
    | SetType
    | SeqType
    | OptionType
)

# --------------------------------------------------------------------------- statements


@dataclass(frozen=True)
class Assign:
    target: Expr  # a Name with Index/Field accessors
    value: Expr
    loc: Loc


@dataclass(frozen=True)
class Skip:
    loc: Loc


@dataclass(frozen=True)
class Goto:
    label: str
    loc: Loc


@dataclass(frozen=True)
class If:
    cond: Expr
    then: tuple[Stmt, ...]
    other: tuple[Stmt, ...]
    loc: Loc


@dataclass(frozen=True)
class Await:
    cond: Expr
    loc: Loc


@dataclass(frozen=True)
class Either:
    branches: tuple[tuple[Stmt, ...], ...]
    loc: Loc


@dataclass(frozen=True)
class Label:
    """`name:` inside a branch of an `either` that is a statement of a step: the branch's
    step ends there (as `goto name`), and the step `name` runs the rest of the branch, then
    what follows the `either` in its step."""

    name: str
    loc: Loc


@dataclass(frozen=True)
class With:
    """`with x in S, y in T { body }`: one transition per choice of the bound values (a
    later domain may read the earlier names); no choice, no transition."""

    binders: tuple[Binder, ...]
    body: tuple[Stmt, ...]
    loc: Loc


@dataclass(frozen=True)
class Assert:
    cond: Expr
    message: str | None
    loc: Loc


@dataclass(frozen=True)
class LockStmt:
    target: Expr
    loc: Loc


@dataclass(frozen=True)
class UnlockStmt:
    target: Expr
    loc: Loc


@dataclass(frozen=True)
class Return:
    value: Expr
    loc: Loc


@dataclass(frozen=True)
class CallStmt:
    call: Call
    loc: Loc


Stmt = (
    Assign
    | Skip
    | Goto
    | If
    | Await
    | Either
    | With
    | Label
    | Assert
    | LockStmt
    | UnlockStmt
    | Return
    | CallStmt
)

# --------------------------------------------------------------------------- declarations


@dataclass(frozen=True)
class SpecHeader:
    name: str
    loc: Loc


@dataclass(frozen=True)
class Include:
    path: str
    loc: Loc


@dataclass(frozen=True)
class ConstDecl:
    name: str
    type: TypeExpr | None  # BoolType or RangeType
    value: Expr | None
    loc: Loc


@dataclass(frozen=True)
class Assume:
    expr: Expr
    loc: Loc


@dataclass(frozen=True)
class TypeDecl:
    name: str
    type: TypeExpr
    loc: Loc


@dataclass(frozen=True)
class PoolDecl:
    """`pool Page[N] of T = init`: the symmetric type Page of N references, each to an
    element of type T; init is the value of a free element."""

    name: str
    size: Expr
    elem: TypeExpr
    init: Expr
    loc: Loc


@dataclass(frozen=True)
class VarDecl:
    """`var x : T = e` (value) or `var x : T in S` (choice, `is_choice`)."""

    name: str
    type: TypeExpr
    init: Expr
    is_choice: bool
    loc: Loc


@dataclass(frozen=True)
class InitDecl:
    expr: Expr
    loc: Loc


@dataclass(frozen=True)
class LockDecl:
    name: str
    dims: tuple[TypeExpr, ...]
    loc: Loc


@dataclass(frozen=True)
class DefDecl:
    name: str
    params: tuple[str, ...]
    body: Expr
    loc: Loc


@dataclass(frozen=True)
class MacroDecl:
    name: str
    params: tuple[str, ...]
    body: tuple[Stmt, ...]
    loc: Loc


@dataclass(frozen=True)
class Param:
    name: str
    type: TypeExpr
    loc: Loc


@dataclass(frozen=True)
class Primed:
    target: Expr
    value: Expr
    loc: Loc


@dataclass(frozen=True)
class ActionDecl:
    name: str
    params: tuple[Param, ...]
    guards: tuple[Expr, ...]
    updates: tuple[Primed, ...]
    loc: Loc
    fairness: str | None = None  # `fair`: "weak", `strongly fair`: "strong"


@dataclass(frozen=True)
class Step:
    label: str
    body: tuple[Stmt, ...]
    loc: Loc


@dataclass(frozen=True)
class ProcessDecl:
    name: str
    index: Param | None  # `[self in D]` of a process set
    symmetric: bool
    locals: tuple[VarDecl, ...]
    steps: tuple[Step, ...]
    loc: Loc
    fairness: str | None = None  # of each of its steps, as ActionDecl's


@dataclass(frozen=True)
class InvariantDecl:
    name: str
    expr: Expr
    loc: Loc
    lemma: bool = False  # `lemma`: proved and assumed by prove, checked only on request


@dataclass(frozen=True)
class TerminalDecl:
    expr: Expr
    loc: Loc


@dataclass(frozen=True)
class ConstraintDecl:
    """`constraint Name: expr`: states where expr is false are not in the state space."""

    name: str
    expr: Expr
    loc: Loc


@dataclass(frozen=True)
class CoverDecl:
    """`cover Name: expr`: a witness property, reported reached (with its shortest trace)
    or not reached; never a violation."""

    name: str
    expr: Expr
    loc: Loc


@dataclass(frozen=True)
class PropertyDecl:
    """`property Name: eventually P` and the other temporal forms: `kind` is one of
    ir.PROPERTY_KINDS; `q` is Q of `P leads_to Q`, else None."""

    name: str
    kind: str
    p: Expr
    q: Expr | None
    loc: Loc


@dataclass(frozen=True)
class ExpectDecl:
    consts: tuple[tuple[str, int | bool, Loc], ...]
    verdict: str  # holds | violates | deadlock | fails
    detail: str | None  # the invariant (violates) or the error kind (fails)
    steps: int | None
    states: int | None
    loc: Loc
    checks: tuple[tuple[str, Loc], ...] | None = None  # `(invariants A, B)`: what is checked
    covers: tuple[tuple[str, Loc], ...] = ()  # `, covers A, B`: witnesses the run must reach
    cycle: int | None = None  # `(cycle of N steps)` of `violates property`


Decl = (
    SpecHeader
    | Include
    | ConstDecl
    | Assume
    | TypeDecl
    | VarDecl
    | InitDecl
    | LockDecl
    | DefDecl
    | MacroDecl
    | ActionDecl
    | ProcessDecl
    | InvariantDecl
    | TerminalDecl
    | ConstraintDecl
    | CoverDecl
    | PropertyDecl
    | PoolDecl
    | ExpectDecl
)


@dataclass(frozen=True)
class Module:
    """One parsed file; `decls` in source order, includes not yet resolved."""

    file: str
    decls: tuple[Decl, ...]
