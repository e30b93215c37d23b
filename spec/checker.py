"""The resolver: every declared name, constants (with -D overrides), types, duplicates.

`Env` is built from the declarations of a spec and its includes (the prelude first).
Names resolve lazily, so declaration order does not matter except where the language
says it does (a variable's initial value may read only variables declared before it).
Errors are collected on the Env; nothing stops at the first one.
"""

from __future__ import annotations

import re
from pathlib import Path

from mmcheck.spec import ast, ir
from mmcheck.spec import fold as f
from mmcheck.spec.elab import Elab
from mmcheck.spec.errors import Loc, SpecError, did_you_mean
from mmcheck.spec.fold import const
from mmcheck.spec.parser import MAX_INT
from mmcheck.spec.symbols import (
    ConstSym,
    DefSym,
    EnumChoices,
    EnumValSym,
    LockSym,
    MacroSym,
    OtherSym,
    PoolSym,
    ProcInfo,
    Symbol,
    TypeSym,
    VarSym,
    step_parts,
)
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
    finite_scalar,
)

PRELUDE = Path(__file__).with_name("prelude.mms")

ConstValue = int | bool | str


# what a C programmer writes, nothing more: int() also takes "+2", "2_0", other scripts'
# digits; a leading 0 (octal in C) is refused rather than read as decimal
_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)", re.ASCII)
_HEX = re.compile(r"-?0[xX][0-9a-fA-F]+", re.ASCII)


def parse_const_text(text: str) -> int | bool | str:
    """A -D value as given on the command line: true/false, an ASCII decimal or 0x hex
    integer (optionally negative), or "?"; anything else is returned as the string."""
    t = text.strip()
    if t in ("true", "false"):
        return t == "true"
    # past 2^63 (19 decimal or 16 hex digits) a value is refused as out of range; the
    # digits beyond the first few are not converted (int() refuses 4,300 of them)
    if _DECIMAL.fullmatch(t):
        return int(t[: len(t) - len(t.lstrip("-")) + 21])
    if _HEX.fullmatch(t):
        return int(t[: t.lower().index("x") + 18], 16)
    return t


class Env:
    def __init__(
        self,
        file: str,
        decls: list[ast.Decl],
        overrides: dict[str, ConstValue],
        symbolic: bool = False,
    ) -> None:
        self.file = file
        self.decls = decls
        self.overrides = overrides
        self.symbolic = symbolic
        self.errors: list[SpecError] = []
        self.seen_errors: set[tuple[Loc, str]] = set()
        self.symbols: dict[str, Symbol | ast.ConstDecl | ast.VarDecl] = {}
        self.locs: dict[str, Loc] = {}
        self.enums: dict[ast.EnumType, EnumT] = {}
        self.types: dict[str, Type] = {}
        self.resolving: set[str] = set()
        self.sorts: dict[str, ir.Expr] = {}  # symmetric sort -> size
        self.too_big: set[str] = set()  # defs refused once for their inlined size or depth
        self.processes: list[ProcInfo] = []
        self.bound: set[str] = set()  # IR parameter names bound where lowering is now
        self.name = Path(file).stem
        self.header_loc = Loc(file, 1, 1)
        self.elab = Elab(self, reader=None, what="a constant or type")
        self._collect()

    # ------------------------------------------------------------------ errors
    def error(self, loc: Loc | None, msg: str, hint: str | None = None) -> None:
        loc = loc or self.header_loc
        if (loc, msg) not in self.seen_errors:
            self.seen_errors.add((loc, msg))
            self.errors.append(SpecError(loc, msg, hint=hint))

    # ------------------------------------------------------------------ collection
    def _declare(self, name: str, sym: object, loc: Loc) -> bool:
        first_sym = self.symbols.get(name)
        if isinstance(sym, EnumValSym) and isinstance(first_sym, EnumValSym | EnumChoices):
            # a value name of several enums: each enum's own, chosen by the context
            choices = first_sym.choices if isinstance(first_sym, EnumChoices) else [first_sym]
            if all(c.type is not sym.type for c in choices):
                self.symbols[name] = EnumChoices(name, [*choices, sym])
                return True
        if name in self.symbols:
            first = self.locs[name]
            # a spec may redefine a prelude primitive
            if first.file != str(PRELUDE) or loc.file == str(PRELUDE):
                self.error(loc, f"duplicate definition of '{name}' (first defined at {first})")
                return False
        self.symbols[name] = sym
        self.locs[name] = loc
        return True

    def owns(self, d: ast.Decl) -> bool:
        """Whether the declaration is the one its name stands for (not a duplicate)."""
        return self.locs.get(getattr(d, "name", ""), None) == d.loc

    def _collect(self) -> None:
        for d in self.decls:
            if isinstance(d, ast.SpecHeader):
                self.name, self.header_loc = d.name, d.loc
            elif isinstance(d, ast.ConstDecl | ast.VarDecl | ast.PoolDecl):
                self._declare(d.name, d, d.loc)
            elif isinstance(d, ast.TypeDecl):
                self._declare(d.name, TypeSym(d), d.loc)
            elif isinstance(d, ast.LockDecl):
                self._declare(d.name, d, d.loc)
            elif isinstance(d, ast.DefDecl):
                self._declare(d.name, DefSym(d), d.loc)
            elif isinstance(d, ast.MacroDecl):
                self._declare(d.name, MacroSym(d), d.loc)
            elif isinstance(d, ast.ActionDecl):
                self._declare(d.name, OtherSym("an action", d.loc), d.loc)
            elif isinstance(d, ast.InvariantDecl):
                what = "a lemma" if d.lemma else "an invariant"
                self._declare(d.name, OtherSym(what, d.loc), d.loc)
            elif isinstance(d, ast.ConstraintDecl):
                self._declare(d.name, OtherSym("a constraint", d.loc), d.loc)
            elif isinstance(d, ast.CoverDecl):
                self._declare(d.name, OtherSym("a cover", d.loc), d.loc)
            elif isinstance(d, ast.PropertyDecl):
                self._declare(d.name, OtherSym("a property", d.loc), d.loc)
            elif isinstance(d, ast.ProcessDecl):
                self._collect_process(d)
        for d in self.decls:
            for t, owner in self._type_exprs(d):
                self._collect_enums(t, owner)
        for name in self.overrides:
            if not isinstance(self.symbols.get(name), ast.ConstDecl):
                consts = sorted(self.names(ast.ConstDecl))
                self.error(
                    self.header_loc,
                    f"-D {name}: there is no constant '{name}' in this "
                    f"spec (constants: {', '.join(consts) or 'none'})",
                    did_you_mean(name, consts),
                )

    def _collect_process(self, d: ast.ProcessDecl) -> None:
        labels: list[str] = []
        steps = step_parts(d)
        for s in steps:
            if s.label in labels:
                self.error(s.loc, f"duplicate label '{s.label}' in process {d.name}")
            elif s.label == "Done":
                self.error(s.loc, "'Done' is the end of every process, not a label")
            labels.append(s.label)
        p = ProcInfo(d, tuple(labels), steps)
        if not self._declare(d.name, p, d.loc):
            return
        self.processes.append(p)
        for v in d.locals:
            if v.name in p.locals:
                self.error(v.loc, f"duplicate definition of '{v.name}' in process {d.name}")
            p.locals[v.name] = VarSym(v, ErrT(), f"{d.name}.{v.name}", p)

    def _type_exprs(self, d: ast.Decl) -> list[tuple[ast.TypeExpr, str]]:
        if isinstance(d, ast.TypeDecl):
            return [(d.type, d.name)]
        if isinstance(d, ast.PoolDecl):
            return [(d.elem, d.name)]
        if isinstance(d, ast.VarDecl):
            return [(d.type, d.name)]
        if isinstance(d, ast.ActionDecl):
            return [(p.type, p.name) for p in d.params]
        if isinstance(d, ast.ProcessDecl):
            out = [(v.type, v.name) for v in d.locals]
            return out + ([(d.index.type, d.name)] if d.index else [])
        return []

    def _collect_enums(self, t: ast.TypeExpr, owner: str, sort: str | None = None) -> None:
        if isinstance(t, ast.EnumType):
            et = EnumT(owner, tuple(n for n, _ in t.names), sort)
            self.enums[t] = et
            for i, (n, loc) in enumerate(t.names):
                self._declare(n, EnumValSym(et, i, loc), loc)
        elif isinstance(t, ast.SymmetricType):
            self._collect_enums(t.inner, owner, owner)
        elif isinstance(t, ast.RecordType):
            for _, ft, _ in t.fields:
                self._collect_enums(ft, owner)
        elif isinstance(t, ast.MapType):
            for x in (*t.dims, t.elem):
                self._collect_enums(x, owner)
        elif isinstance(t, ast.SeqType):
            self._collect_enums(t.elem, owner)
        elif isinstance(t, ast.SetType | ast.OptionType):
            self._collect_enums(t.elem if isinstance(t, ast.SetType) else t.inner, owner)

    # ------------------------------------------------------------------ lookups
    def names(self, *kinds: type) -> list[str]:
        """The declared names whose symbol (resolved or still a declaration) is one of
        `kinds`: what a misspelt name of that kind may have meant."""
        return [n for n, s in self.symbols.items() if isinstance(s, kinds)]

    def lookup(self, name: str) -> Symbol | None:
        sym = self.symbols.get(name)
        if isinstance(sym, ast.ConstDecl):
            return self.const_sym(name)
        if isinstance(sym, ast.VarDecl):
            return self.var_sym(name)
        if isinstance(sym, ast.LockDecl):
            dims = tuple(self.domain(t) for t in sym.dims)
            resolved = LockSym(sym, MapT(dims, LockT()) if dims else LockT())
            self.symbols[name] = resolved
            return resolved
        if isinstance(sym, ast.PoolDecl):
            ref = self.pool_ref(sym)
            elem = self.resolve_type(sym.elem)
            if isinstance(elem, LockT) or isinstance(elem, RecordT) and elem.field("allocated"):
                self.error(
                    sym.elem.loc, f"a pool holds no locks nor a field 'allocated', not {elem}"
                )
                elem = ErrT()
            pool = PoolSym(sym, ref, elem)
            self.symbols[name] = pool
            return pool
        return sym

    def pool_ref(self, d: ast.PoolDecl) -> Type:
        """The type of a pool's references: the symmetric sort 1..N named after it."""
        if d.name in self.types:
            return self.types[d.name]
        size = self.elab.constant(d.size)
        t: Type = ErrT()
        if isinstance(size.type, IntT) and isinstance(size.expr, ir.Const):
            if size.expr.value < 1:
                self.error(d.size.loc, f"a pool of {size.expr.value} elements: it needs at least 1")
            else:
                self.sorts[d.name] = size.expr
                t = IntT(ir.Const(1), size.expr, d.name)
        elif not isinstance(size.type, ErrT):
            self.error(d.size.loc, "a pool's size is a constant integer")
        self.types[d.name] = t
        return t

    def const_sym(self, name: str) -> ConstSym:
        sym = self.symbols[name]
        if isinstance(sym, ConstSym):
            return sym
        d = sym
        assert isinstance(d, ast.ConstDecl)
        if name in self.resolving:
            self.error(d.loc, f"constant {name} is defined in terms of itself")
            return ConstSym(d, ErrT(), ir.Const(0))
        self.resolving.add(name)
        try:
            resolved = self._resolve_const(d)
        finally:
            self.resolving.discard(name)
        self.symbols[name] = resolved
        return resolved

    def _resolve_const(self, d: ast.ConstDecl) -> ConstSym:
        declared: Type | None = None
        if isinstance(d.type, ast.BoolType):
            declared = BoolT()
        elif isinstance(d.type, ast.RangeType):
            lo = self.elab.integer(d.type.lo, {})
            hi = self.elab.integer(d.type.hi, {}) if d.type.hi is not None else None
            declared = IntT(lo, hi)
        if d.name in self.overrides:
            overridden = self._override(d, declared, self.overrides[d.name])
            if overridden is not None:
                return overridden
        if d.value is None:
            if d.name not in self.overrides:
                self.error(d.loc, f"constant {d.name} has no value: give one with -D {d.name}=...")
            # go on with a value no use of it reports: the declared low bound, or none
            if isinstance(declared, IntT):
                return ConstSym(d, declared, declared.lo)
            return ConstSym(d, ErrT(), ir.Const(0))
        v = self.elab.expr(d.value, {})
        if isinstance(v.type, ErrT):
            return ConstSym(d, declared or ErrT(), ir.Const(0))
        if (
            not isinstance(v.type, BoolT | IntT)
            or v.type.__class__ is not (declared or v.type).__class__
        ):
            self.error(
                d.value.loc,
                f"constant {d.name} must be "
                f"{'an int or a bool' if declared is None else declared}, not {v.type}",
            )
            return ConstSym(d, declared or ErrT(), ir.Const(0))
        if declared is not None and not self._in_range(v.expr, declared):
            self.error(
                d.value.loc,
                f"{d.name} = {v.expr.value} is outside its range "
                f"{declared.lo.value}..{declared.hi.value if declared.hi else ''}",
            )
            # go on with a value in range: the rest of the spec may size arrays by it
            return ConstSym(d, declared, declared.lo)
        t = declared or (BoolT() if isinstance(v.type, BoolT) else IntT(v.expr, v.expr))
        return ConstSym(d, t, v.expr)

    def _in_range(self, e: ir.Expr, t: Type) -> bool:
        if not isinstance(t, IntT) or not isinstance(e, ir.Const):
            return True
        if isinstance(t.lo, ir.Const) and e.value < t.lo.value:
            return False
        return not (isinstance(t.hi, ir.Const) and e.value > t.hi.value)

    def _override(
        self, d: ast.ConstDecl, declared: Type | None, raw: ConstValue
    ) -> ConstSym | None:
        """The constant as -D sets it; None after an error about the value, so that the
        spec's own value is used and sizes nothing wrongly (a bad N as 0: "empty range")."""
        value = parse_const_text(raw) if isinstance(raw, str) else raw
        shown = f"-D {d.name}={raw if not isinstance(raw, bool) else str(raw).lower()}"
        if value == "?":
            if not self.symbolic:
                self.error(d.loc, f"{shown}: a symbolic constant ('?') is only allowed for prove")
                return None
            return ConstSym(d, declared or self._default_type(d), ir.SymConst(d.name))
        is_bool = self._is_bool_const(d, declared)
        if isinstance(value, str) or isinstance(value, bool) != is_bool:
            want = "true or false" if is_bool else "an integer (decimal or 0x hex)"
            self.error(
                d.loc,
                f"{shown}: {d.name} is {'a bool' if is_bool else 'an int'} "
                f"constant, give {want} (value came from -D)",
            )
            return None
        if not is_bool and not -(2**63) <= value <= MAX_INT:
            self.error(d.loc, f"{shown}: outside -2^63 .. 2^63 - 1 (value came from -D)")
            return None
        e = const(value)
        if declared is not None and not self._in_range(e, declared):
            hi = declared.hi.value if isinstance(declared.hi, ir.Const) else ""
            self.error(
                d.loc,
                f"{shown}: outside the declared range {declared.lo.value}..{hi} "
                "(value came from -D)",
            )
            return ConstSym(d, declared, declared.lo)
        t = declared or (BoolT() if is_bool else IntT(e, e))
        return ConstSym(d, t, e)

    def _is_bool_const(self, d: ast.ConstDecl, declared: Type | None) -> bool:
        if declared is not None:
            return isinstance(declared, BoolT)
        return isinstance(d.value, ast.BoolLit) or (
            d.value is not None and isinstance(self.elab.expr(d.value, {}).type, BoolT)
        )

    def _default_type(self, d: ast.ConstDecl) -> Type:
        return BoolT() if self._is_bool_const(d, None) else IntT()

    def var_sym(self, name: str) -> VarSym:
        sym = self.symbols[name]
        if isinstance(sym, VarSym):
            return sym
        assert isinstance(sym, ast.VarDecl)
        resolved = VarSym(sym, self.resolve_type(sym.type), name)
        self.symbols[name] = resolved
        return resolved

    def local_sym(self, p: ProcInfo, name: str) -> VarSym:
        v = p.locals[name]
        if isinstance(v.type, ErrT):
            v.type = self.resolve_type(v.decl.type)
        return v

    # ------------------------------------------------------------------ types
    def named_type(self, name: str, loc: Loc) -> Type:
        if name in self.types:
            return self.types[name]
        sym = self.symbols.get(name)
        if sym is None:
            self.error(loc, f"unknown type '{name}'", did_you_mean(name, self.names(TypeSym)))
            return ErrT()
        if isinstance(sym, ast.PoolDecl | PoolSym):
            return self.pool_ref(sym if isinstance(sym, ast.PoolDecl) else sym.decl)
        if not isinstance(sym, TypeSym):
            self.error(loc, f"'{name}' is not a type")
            return ErrT()
        if name in self.resolving:
            self.error(loc, f"type {name} is defined in terms of itself")
            return ErrT()
        self.resolving.add(name)
        try:
            t = self.resolve_type(sym.decl.type, name)
        finally:
            self.resolving.discard(name)
        self.types[name] = t
        return t

    def resolve_type(self, t: ast.TypeExpr, name: str | None = None) -> Type:
        """A type expression; `name` is the declared type's name (records, sorts)."""
        if isinstance(t, ast.BoolType):
            return BoolT()
        if isinstance(t, ast.RangeType):
            if any(isinstance(self.elab.expr(b, {}).type, ErrT) for b in (t.lo, t.hi)):
                return ErrT()  # reported where the bound went wrong (a constant without value)
            lo, hi = self.elab.integer(t.lo, {}), self.elab.integer(t.hi, {})
            if isinstance(lo, ir.Const) and isinstance(hi, ir.Const) and lo.value > hi.value:
                self.error(t.loc, f"empty range {lo.value}..{hi.value}")
            return IntT(lo, hi)
        if isinstance(t, ast.EnumType):
            return self.enums[t]
        if isinstance(t, ast.NamedType):
            return self.named_type(t.name, t.loc)
        if isinstance(t, ast.SymmetricType):
            if name is None:
                self.error(t.loc, "symmetric types must be named: type T = symmetric ...")
                return ErrT()
            inner = self.resolve_type(t.inner, name)
            if isinstance(inner, IntT) and bounds(inner):
                self.sorts[name] = f.binary("+", f.binary("-", inner.hi, inner.lo), ir.Const(1))
                return IntT(inner.lo, inner.hi, name)
            if isinstance(inner, EnumT):
                self.sorts[name] = const(len(inner.values))
                return inner
            self.error(t.loc, "only ranges and enums can be symmetric")
            return ErrT()
        if isinstance(t, ast.RecordType):
            fields: list[tuple[str, Type]] = []
            for fname, ft, floc in t.fields:
                if any(fname == n for n, _ in fields):
                    self.error(floc, f"duplicate field '{fname}'")
                fields.append((fname, self.resolve_type(ft)))
            return RecordT(tuple(fields), name or "")
        if isinstance(t, ast.MapType):
            return MapT(tuple(self.domain(d) for d in t.dims), self.resolve_type(t.elem))
        if isinstance(t, ast.SetType):
            return SetT(self.set_elem(t.elem))
        if isinstance(t, ast.SeqType):
            return self.seq_type(t)
        if isinstance(t, ast.OptionType):
            inner = self.resolve_type(t.inner)
            if isinstance(inner, ErrT):
                return inner
            if not isinstance(inner, BoolT | IntT | EnumT) or bounds(inner) is None:
                self.error(t.loc, f"only a bool, a range or an enum can be an option, not {inner}")
                return ErrT()
            if isinstance(inner, EnumT) and "none" in inner.values:
                # `none` in the option's place could be either
                self.error(
                    t.loc,
                    f"{inner} has a value none: an option of it would have two nones",
                    f"{inner}'s none already says that there is no value",
                )
                return ErrT()
            return OptionT(inner)
        raise AssertionError(t)

    def seq_type(self, t: ast.SeqType) -> Type:
        """`seq[N] of T`: N a constant of at least 1, T a finite scalar, not a symmetric
        enum (a position past the length holds a value outside a symmetric range's sort,
        `seq_positions`, which an enum has no number for)."""
        cap = self.elab.constant(t.cap)
        elem = self.resolve_type(t.elem)
        if isinstance(cap.type, ErrT) or isinstance(elem, ErrT):
            return ErrT()
        if not isinstance(cap.type, IntT):
            self.error(t.cap.loc, f"a sequence's bound is an integer constant, not {cap.type}")
            return ErrT()
        if isinstance(cap.expr, ir.Const) and cap.expr.value < 1:
            self.error(t.cap.loc, f"a sequence's bound must be at least 1, not {cap.expr.value}")
            return ErrT()
        if not finite_scalar(elem):
            self.error(t.elem.loc, f"a sequence's elements are bools, ranges or enums, not {elem}")
            return ErrT()
        if isinstance(elem, EnumT) and elem.sort:
            self.error(
                t.elem.loc,
                f"a sequence of values of symmetric enum {elem.sort} is not supported "
                "(of a symmetric range it is)",
            )
            return ErrT()
        return SeqT(cap.expr, elem)

    def set_elem(self, t: ast.TypeExpr) -> Type:
        """A set's element type: a finite scalar type, or a record of them (the set is a
        bitmap over the product of the fields' domains)."""
        r = self.resolve_type(t)
        if not isinstance(r, RecordT):
            return self.domain(t)
        for name, ft in r.fields:
            if isinstance(ft, ErrT):
                return ft
            if not finite_scalar(ft):
                self.error(
                    t.loc,
                    f"a set's elements are finite scalars or records of them: field '{name}' "
                    f"of {r} is {ft}, not a range, an enum or bool",
                )
                return ErrT()
        return r

    def domain(self, t: ast.TypeExpr) -> Type:
        """A map dimension or set element type: a finite scalar type."""
        r = self.resolve_type(t)
        if isinstance(r, ErrT):
            return r
        if not isinstance(r, BoolT | IntT | EnumT) or bounds(r) is None:
            self.error(t.loc, f"{r} is not a finite domain (a range, an enum or bool)")
            return ErrT()
        return r
