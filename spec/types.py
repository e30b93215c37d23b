"""Types of the checker and the lowering, and how a typed value maps onto IR slots.

Scalar types carry their bounds as IR expressions (constants folded, or symbolic);
`IntT(None, None)` is an int of unknown range (the result of arithmetic). A scalar of a
symmetric sort carries the sort's name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mmcheck.spec import ir
from mmcheck.spec.fold import binary, conj, const

if TYPE_CHECKING:
    from mmcheck.spec.symbols import Val


@dataclass(frozen=True)
class BoolT:
    def __str__(self) -> str:
        return "bool"


@dataclass(frozen=True)
class IntT:
    lo: ir.Expr | None = None
    hi: ir.Expr | None = None
    sort: str | None = None

    def __str__(self) -> str:
        if self.sort:
            return self.sort
        if isinstance(self.lo, ir.Const) and isinstance(self.hi, ir.Const) and self.lo != self.hi:
            return f"{self.lo.value}..{self.hi.value}"
        return "int"


@dataclass(frozen=True)
class EnumT:
    name: str
    values: tuple[str, ...]
    sort: str | None = None

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class OptionT:
    """`T?`: the values of a scalar T and `none`, in one slot where `none` is the value
    after T's last (`none_value`). `inner` None: the literal `none`, of any option type;
    an inner int of no known range (`some(x + 1)`) is never none."""

    inner: BoolT | IntT | EnumT | None

    def __str__(self) -> str:
        return f"{self.inner}?" if self.inner is not None else "none"


@dataclass(frozen=True)
class LockT:
    def __str__(self) -> str:
        return "lock"


@dataclass(frozen=True)
class RecordT:
    fields: tuple[tuple[str, Type], ...]
    name: str = ""

    def field(self, name: str) -> Type | None:
        return dict(self.fields).get(name)

    def __str__(self) -> str:
        return self.name or "record { " + ", ".join(f"{f}: {t}" for f, t in self.fields) + " }"


@dataclass(frozen=True)
class MapT:
    dims: tuple[Type, ...]  # scalar, finite
    elem: Type

    def __str__(self) -> str:
        return "[" + ", ".join(map(str, self.dims)) + f"] -> {self.elem}"


@dataclass(frozen=True)
class SetT:
    elem: Type | None  # None: the empty literal `{}`, a set of anything

    def __str__(self) -> str:
        return f"set of {self.elem}" if self.elem else "set"


@dataclass(frozen=True)
class SeqT:
    """`seq[N] of T`: sequences of at most `cap` elements of a finite scalar type (None:
    the empty literal `<<>>`, a sequence of anything). A variable of it is a length slot
    0..cap and one slot per position 1..cap (`leaves`); positions past the length hold
    the element type's first value, so that equal sequences are equal states."""

    cap: ir.Expr
    elem: Type | None

    def __str__(self) -> str:
        cap = self.cap.value if isinstance(self.cap, ir.Const) else "N"
        return f"seq[{cap}] of {self.elem}" if self.elem else "seq"


@dataclass(frozen=True)
class ProcT:
    """A process (instance) named in done(..)/at(..)."""

    process: str

    def __str__(self) -> str:
        return f"process {self.process}"


@dataclass(frozen=True)
class HolderT:
    """`holder(l)`: who holds a lock, compared with processes (instances)."""

    def __str__(self) -> str:
        return "holder"


@dataclass(frozen=True)
class ErrT:
    """The type of an expression that already had an error: compatible with anything."""

    def __str__(self) -> str:
        return "?"


Type = (
    BoolT | IntT | EnumT | OptionT | LockT | RecordT | MapT | SetT | SeqT | ProcT | HolderT | ErrT
)
SCALARS = (BoolT, IntT, EnumT, LockT)


def none_value(t: OptionT) -> ir.Expr | None:
    """The slot value that stands for `none` in an option of type t: one past the last
    of its inner type's (values of a symmetric sort keep their numbers, so the sort's
    offsets are those of the inner type); None where it has no known last value."""
    b = bounds(t.inner) if t.inner is not None else None
    return binary("+", b[1], const(1)) if b is not None else None


def bounds(t: Type) -> tuple[ir.Expr, ir.Expr] | None:
    """lo..hi of a finite scalar type (None for an int of unknown range)."""
    if isinstance(t, BoolT):
        return const(0), const(1)
    if isinstance(t, EnumT):
        return const(0), const(len(t.values) - 1)
    if isinstance(t, IntT):
        if t.lo is None or t.hi is None:
            return None
        return t.lo, t.hi
    return None


def within(a: Type, b: Type) -> bool:
    """Every value of the scalar type a lies, as far as is known statically, in b's bounds
    (of records of the same fields: every field's)."""
    if isinstance(a, RecordT) and isinstance(b, RecordT):
        return all(a.field(n) is not None and within(a.field(n), ft) for n, ft in b.fields)
    ba, bb = bounds(a), bounds(b)
    if ba is None or bb is None:
        return False

    def le(x: ir.Expr, y: ir.Expr) -> bool:
        return x == y or (
            isinstance(x, ir.Const) and isinstance(y, ir.Const) and x.value <= y.value
        )

    return le(bb[0], ba[0]) and le(ba[1], bb[1])


def in_range(x: Point, t: Type) -> ir.Expr:
    """x lies in the bounds of the scalar type t (true for an int of unknown range), or
    each field of a record's point in its field's."""
    if isinstance(t, RecordT):
        assert isinstance(x, dict)
        return conj(in_range(x[n], ft) for n, ft in t.fields)
    b = bounds(t)
    if b is None:
        return const(True)
    return conj((binary("<=", b[0], x), binary("<=", x, b[1])))


def finite_scalar(t: Type) -> bool:
    """Whether t is a finite domain: a bool, an enum or a range of known bounds."""
    return isinstance(t, BoolT | IntT | EnumT) and bounds(t) is not None


def finite_elem(t: Type) -> bool:
    """Whether t can be a set's element type: a finite domain or a record of them."""
    if isinstance(t, RecordT):
        return all(finite_scalar(ft) for _, ft in t.fields)
    return finite_scalar(t)


# An element of a set as the lowering asks for it: a scalar's value, or a record's field
# values by name (a set of records is a bitmap over the product of its fields' domains).
Point = ir.Expr | dict[str, ir.Expr]


def elem_dims(t: Type) -> tuple[Type, ...]:
    """The bitmap dimensions of a set of t: t itself, or a record's fields in order."""
    return tuple(ft for _, ft in t.fields) if isinstance(t, RecordT) else (t,)


def elem_point(t: Type, idx: tuple[ir.Expr, ...]) -> Point:
    """The element of a set of t at an index over `elem_dims(t)`."""
    return {n: x for (n, _), x in zip(t.fields, idx)} if isinstance(t, RecordT) else idx[0]


def elem_index(t: Type, x: Point) -> tuple[ir.Expr, ...]:
    """The index over `elem_dims(t)` of the element x of a set of t."""
    if isinstance(t, RecordT):
        assert isinstance(x, dict)
        return tuple(x[n] for n, _ in t.fields)
    assert not isinstance(x, dict)
    return (x,)


def sort_of(t: Type) -> str | None:
    if isinstance(t, OptionT):
        return sort_of(t.inner) if t.inner is not None else None
    return t.sort if isinstance(t, IntT | EnumT) else None


def value_type(t: Type) -> Type:
    """The type of the values an option of type t holds when it is not none (a type that
    is no option: itself)."""
    return t.inner if isinstance(t, OptionT) and t.inner is not None else t


def unify(a: Type, b: Type) -> Type | None:
    """The common type of two values that may be compared or merged, or None."""
    if isinstance(a, ErrT):
        return b
    if isinstance(b, ErrT):
        return a
    if isinstance(a, OptionT) or isinstance(b, OptionT):
        # an option and a T (implicitly `some`), or two options: an option of the common
        # inner type; the literal `none` goes with any option
        ia, ib = (x.inner if isinstance(x, OptionT) else x for x in (a, b))
        if ia is None and ib is None:
            return a  # none and none
        inner = ia if ib is None else ib if ia is None else unify(ia, ib)
        return OptionT(inner) if isinstance(inner, BoolT | IntT | EnumT) else None
    if isinstance(a, IntT) and isinstance(b, IntT):
        # the hull of both ranges: `s union {5}` has elements of either operand's range
        if None in (a.lo, a.hi, b.lo, b.hi):
            return IntT(sort=a.sort or b.sort)
        lo = a.lo if a.lo == b.lo else binary("min", a.lo, b.lo)
        hi = a.hi if a.hi == b.hi else binary("max", a.hi, b.hi)
        return IntT(lo, hi, a.sort or b.sort)
    if isinstance(a, EnumT) and isinstance(b, EnumT):
        return a if a.name == b.name else None
    if isinstance(a, RecordT) and isinstance(b, RecordT):
        bf = dict(b.fields)
        if {f for f, _ in a.fields} != set(bf):  # fields may be written in any order
            return None
        fields = []
        for f, ta in a.fields:
            u = unify(ta, bf[f])
            if u is None:
                return None
            fields.append((f, u))
        return RecordT(tuple(fields), a.name or b.name)
    if isinstance(a, MapT) and isinstance(b, MapT):
        if len(a.dims) != len(b.dims):
            return None
        # a map is a function over its domain: maps over different domains are of
        # different types (neither compared nor assigned), not merged over a hull; a
        # dimension whose type failed (an error already reported) matches any
        if any(
            unify(x, y) is None
            or (not isinstance(x, ErrT) and not isinstance(y, ErrT) and bounds(x) != bounds(y))
            for x, y in zip(a.dims, b.dims)
        ):
            return None
        elem = unify(a.elem, b.elem)
        return MapT(a.dims, elem) if elem is not None else None
    if isinstance(a, SetT) and isinstance(b, SetT):
        if a.elem is None or b.elem is None:
            return a if a.elem is not None else b
        elem = unify(a.elem, b.elem)
        return SetT(elem) if elem is not None else None
    if isinstance(a, SeqT) and isinstance(b, SeqT):
        # at most as many elements as the longer: storing one longer than its place's
        # bound is a range error of the place's length slot
        cap = a.cap if a.cap == b.cap else binary("max", a.cap, b.cap)
        if a.elem is None or b.elem is None:
            return SeqT(cap, a.elem or b.elem)
        elem = unify(a.elem, b.elem)
        return SeqT(cap, elem) if elem is not None else None
    if type(a) is type(b) and isinstance(a, BoolT | LockT | HolderT):
        return a
    if isinstance(a, ProcT) and isinstance(b, ProcT) and a.process == b.process:
        return a
    return None


def sort_clash(place: Type, value: Type) -> tuple[str | None, str | None] | None:
    """Where storing a value of type `value` in a place of type `place` (whose types
    unify) would mix a symmetric sort with anything else: the (place's, value's) sorts
    of the first scalar, map index or set element that differ; None if none does.
    Symmetry reduction permutes a sort's values only where the type says the sort, so a
    value of a sort stored elsewhere, or another value stored as one, is not permuted
    with the rest of the state: the reduction would merge states that differ."""
    if isinstance(place, OptionT) or isinstance(value, OptionT):
        place, value = value_type(place), value_type(value)
        if isinstance(place, OptionT) or isinstance(value, OptionT):
            return None  # the literal `none`: of no sort, and of any
    if isinstance(place, IntT | EnumT) and isinstance(value, IntT | EnumT):
        return (place.sort, value.sort) if place.sort != value.sort else None
    pairs: list[tuple[Type, Type]] = []
    if isinstance(place, MapT) and isinstance(value, MapT):
        pairs = [*zip(place.dims, value.dims), (place.elem, value.elem)]
    elif isinstance(place, RecordT) and isinstance(value, RecordT):
        fields = dict(value.fields)
        pairs = [(t, fields[f]) for f, t in place.fields if f in fields]
    elif isinstance(place, SeqT) and isinstance(value, SeqT) and place.elem and value.elem:
        pairs = [(place.elem, value.elem)]
    elif (
        isinstance(place, SetT)
        and isinstance(value, SetT)
        and None
        not in (
            place.elem,
            value.elem,
        )
    ):
        pairs = [(place.elem, value.elem)]  # type: ignore[list-item]
    for p, v in pairs:
        clash = sort_clash(p, v)
        if clash is not None:
            return clash
    return None


def seq_positions(elem: Type) -> tuple[ir.Expr, Type]:
    """What the positions of a sequence of elem hold past its length, and their slots'
    type: elem's first value; for a symmetric range, the value after its last, which
    is no value of the sort, so that a permutation of the sort leaves it as it is."""
    lo, hi = bounds(elem)
    if isinstance(elem, IntT) and elem.sort:
        past = binary("+", hi, const(1))
        return past, IntT(lo, past, elem.sort)  # the sort's values are still lo..hi
    return lo, elem


@dataclass(frozen=True)
class Leaf:
    """One IR variable of a spec value: its name suffix (".count"), the types of its extra
    dimensions, its scalar type, and how to get its element from a value of the whole.
    A set's leaf is one bool per element (`elem`: its last dimension, or the last of its
    fields' for a set of records, `elem_dims`); `part` gives the
    scalar or set value that the leaf's elements under an index of its other dimensions
    come from."""

    suffix: str
    dims: tuple[Type, ...]
    type: Type
    part: Callable[[Val, tuple[ir.Expr, ...]], Val] = field(compare=False)
    elem: Type | None = None

    def get(self, v: Val, idx: tuple[ir.Expr, ...]) -> ir.Expr:
        if self.elem is None:
            return self.part(v, idx).expr
        n = len(elem_dims(self.elem))
        return self.part(v, idx[:-n]).contains(elem_point(self.elem, idx[-n:]), self.elem)


def leaves(t: Type) -> list[Leaf]:
    """The scalar leaves of a type, in slot order: records split by field, maps and sets
    become dimensions (a set is a bool per element), a sequence is its length ("q.len")
    then its positions ("q", over 1..cap)."""
    if isinstance(t, RecordT):
        return [
            Leaf(
                f".{name}{lf.suffix}",
                lf.dims,
                lf.type,
                lambda v, idx, name=name, g=lf.part: g(v.fields[name], idx),
                lf.elem,
            )
            for name, ft in t.fields
            for lf in leaves(ft)
        ]
    if isinstance(t, MapT):
        n = len(t.dims)
        return [
            Leaf(
                lf.suffix,
                t.dims + lf.dims,
                lf.type,
                lambda v, idx, g=lf.part: g(v.get(tuple(idx[:n]), None), idx[n:]),
                lf.elem,
            )
            for lf in leaves(t.elem)
        ]
    if isinstance(t, SetT):
        assert t.elem is not None
        return [Leaf("", elem_dims(t.elem), BoolT(), lambda v, idx: v, t.elem)]
    if isinstance(t, SeqT):
        assert t.elem is not None
        pad, slot = seq_positions(t.elem)
        return [
            Leaf(".len", (), IntT(const(0), t.cap), lambda v, idx: v.seq_length()),
            Leaf("", (IntT(const(1), t.cap),), slot, lambda v, idx: v.stored(idx[0], pad, t.cap)),
        ]
    return [Leaf("", (), t, lambda v, idx: v)]
