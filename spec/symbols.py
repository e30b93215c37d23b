"""What a name can stand for after resolution, and the typed values of the lowering.

A `Val` is a spec value during lowering: a scalar is an IR expression; records, maps
and sets stay functional (fields, `get(index)`, `member(x)`) until they are read
element by element or written slot by slot, so no array value ever reaches the IR.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from spec import ast, ir
from spec import fold as f
from spec.errors import Loc
from spec.types import EnumT, IntT, Type, in_range, within


@dataclass
class Val:
    type: Type
    expr: ir.Expr | None = None  # scalars
    fields: dict[str, Val] | None = None  # records
    get: Callable[[tuple[ir.Expr, ...], Loc | None], Val] | None = None  # maps
    member: Callable[[ir.Expr], ir.Expr] | None = None  # sets
    full: bool = False  # a set holding every value of its element type
    member_any: bool = False  # `member` answers for any value, not only the element type's
    process: ProcInfo | None = None  # a process (instance) reference
    instance: ir.Expr | None = None

    def contains(self, x: ir.Expr, xt: Type | None) -> ir.Expr:
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
class TypeSym:
    decl: ast.TypeDecl


@dataclass
class DefSym:
    decl: ast.DefDecl


@dataclass
class MacroSym:
    decl: ast.MacroDecl


@dataclass
class ProcInfo:
    decl: ast.ProcessDecl
    labels: tuple[str, ...]
    index: IntT | EnumT | None = None  # the set's index type
    first_holder: int = 1
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


Symbol = (
    ConstSym | VarSym | LockSym | EnumValSym | TypeSym | DefSym | MacroSym | ProcInfo | OtherSym
)
