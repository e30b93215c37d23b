"""What a name can stand for after resolution, and the typed values of the lowering.

A `Val` is a spec value during lowering: a scalar is an IR expression; records, maps
and sets stay functional (fields, `get(index)`, `member(x)`) until they are read
element by element or written slot by slot, so no array value ever reaches the IR.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from spec import ast, ir
from spec.errors import Loc
from spec.types import EnumT, IntT, Type


@dataclass
class Val:
    type: Type
    expr: ir.Expr | None = None  # scalars
    fields: dict[str, Val] | None = None  # records
    get: Callable[[tuple[ir.Expr, ...], Loc | None], Val] | None = None  # maps
    member: Callable[[ir.Expr], ir.Expr] | None = None  # sets
    full: bool = False  # a set holding every value of its element type
    process: ProcInfo | None = None  # a process (instance) reference
    instance: ir.Expr | None = None


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
