"""The reference interpreter's values and types: plain Python, hashable, no IR.

A value is an int, a bool, an enum value (its name: enum names are global), a
frozenset (a set), a `Frozen` mapping (a record: field -> value; a map: index tuple ->
value), a `Seq` (a sequence), a lock's holder (None or an `Instance`), an option's
value (`NONE`, or `Some` of its inner value), or `POISON`: what an expression that failed (domain, div) stands
for, so that the step can go on to a later `await`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import product

Instance = tuple[str, object]  # (process name, index or None for a single process)


class Poison:
    """The value of an expression whose evaluation failed; anything computed from it
    is poisoned too."""

    _instance: Poison | None = None

    def __new__(cls) -> Poison:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "POISON"


POISON = Poison()


class NoneValue:
    """`none`, the value of an option that holds none."""

    _instance: NoneValue | None = None

    def __new__(cls) -> NoneValue:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "none"


NONE = NoneValue()


@dataclass(frozen=True, order=True)
class Ref:
    """A reference to an element of a pool: the pool's name and the element's number
    (its slot value, 1..N)."""

    pool: str
    index: int

    def __int__(self) -> int:
        return self.index


@dataclass(frozen=True)
class Some:
    """An option that holds a value: what a place of an option type stores for one."""

    value: object


class Frozen:
    """An immutable, hashable mapping: records (field -> value) and maps (index tuple
    -> value). Never mutated after construction; `replace` makes a changed copy."""

    __slots__ = ("d", "_hash")

    def __init__(self, d: dict) -> None:
        self.d = d
        self._hash: int | None = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Frozen) and self.d == other.d

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self.d.items()))
        return self._hash

    def __repr__(self) -> str:
        return f"Frozen({self.d!r})"

    def replace(self, key: object, value: object) -> Frozen:
        d = dict(self.d)
        d[key] = value
        return Frozen(d)


@dataclass(frozen=True)
class Seq:
    """A sequence: its elements in order, each a value, or while it is not stored a
    `Lazy` one (evaluated where it is used, as a map's)."""

    items: tuple


@dataclass(frozen=True)
class ProcSet:
    """A process set named without an index (`fault` in `done(fault)`, `holder(l) ==
    fault`)."""

    name: str


@dataclass(frozen=True)
class Holder:
    """`holder(l)`: the instance holding l, or None when it is free."""

    instance: Instance | None


# --------------------------------------------------------------------------- types


@dataclass(frozen=True)
class TBool:
    pass


@dataclass(frozen=True)
class TInt:
    lo: int
    hi: int


@dataclass(frozen=True)
class TEnum:
    names: tuple[str, ...]


@dataclass(frozen=True)
class TRecord:
    fields: tuple[tuple[str, Type], ...]


@dataclass(frozen=True)
class TMap:
    dims: tuple[Type, ...]
    elem: Type


@dataclass(frozen=True)
class TSet:
    elem: Type


@dataclass(frozen=True)
class TOption:
    inner: Type


@dataclass(frozen=True)
class TRef:
    """The references of the pool named `pool`, of `size` elements."""

    pool: str
    size: int


@dataclass(frozen=True)
class TSeq:
    """`seq[N] of T`: at most `cap` elements; `pad`: the value its positions past the
    length are encoded with."""

    cap: int
    elem: Type
    pad: object


@dataclass(frozen=True)
class TLock:
    """A lock, or with dims an array of locks."""

    dims: tuple[Type, ...] = ()


Type = TBool | TInt | TEnum | TRecord | TMap | TSet | TSeq | TOption | TRef | TLock


def domain(t: Type) -> list:
    """The values of a finite scalar type, in the order of their slot numbers."""
    if isinstance(t, TBool):
        return [False, True]
    if isinstance(t, TInt):
        return list(range(t.lo, t.hi + 1))
    if isinstance(t, TEnum):
        return list(t.names)
    if isinstance(t, TRef):
        return [Ref(t.pool, i) for i in range(1, t.size + 1)]
    if isinstance(t, TRecord):  # a set of records: every record, the last field fastest
        names = [f for f, _ in t.fields]
        return [Frozen(dict(zip(names, vs))) for vs in product(*(domain(ft) for _, ft in t.fields))]
    raise TypeError(f"not a finite domain: {t}")


def indices(dims: tuple[Type, ...]) -> Iterator[tuple]:
    """Every index tuple of a map over `dims`, row-major."""
    return product(*(domain(d) for d in dims))


def out_of_range(value: object, t: Type) -> bool:
    """Whether some integer inside `value` is outside its declared range (or some set
    element outside the set's element type)."""
    if value is POISON or value is NONE:
        return False
    if isinstance(t, TOption):
        return out_of_range(value.value if isinstance(value, Some) else value, t.inner)
    if isinstance(t, TInt):
        return not t.lo <= value <= t.hi  # type: ignore[operator]
    if isinstance(t, TRecord):
        return any(out_of_range(value.d[f], ft) for f, ft in t.fields)  # type: ignore[union-attr]
    if isinstance(t, TMap):
        return any(out_of_range(v, t.elem) for v in value.d.values())  # type: ignore[union-attr]
    if isinstance(t, TSet):
        allowed = set(domain(t.elem))
        return any(x not in allowed for x in value)  # type: ignore[union-attr]
    if isinstance(t, TSeq):  # its length: `overflows`
        return any(out_of_range(x, t.elem) for x in value.items)  # type: ignore[union-attr]
    return False


def overflows(value: object, t: Type) -> bool:
    """Whether value is a sequence longer than the bound of the sequence type t: storing
    it is a range error before any of its elements is evaluated, as in the back ends,
    which write its length first."""
    return isinstance(t, TSeq) and isinstance(value, Seq) and len(value.items) > t.cap


def stored(value: object, t: Type) -> tuple[object, bool]:
    """`value` as a place of type t holds it: a value of an option's inner type as Some
    of it, an option where t is no option as its value. True with it where a none went
    into a place of no option type (the caller reports a null failure; POISON there).
    An enum's value `none` stored in an option is the option's none: no option is of an
    enum with a value none, so the checker read the name so (docs/language.md)."""
    if value is POISON:
        return value, False
    if isinstance(t, TOption):
        if value == "none":
            return NONE, False
        return (value if value is NONE or isinstance(value, Some) else Some(value)), False
    if value is NONE:
        return POISON, True
    if isinstance(value, Some):
        return value.value, False
    if isinstance(value, Frozen) and isinstance(t, TRecord | TMap):
        types = dict(t.fields) if isinstance(t, TRecord) else None
        out, null = {}, False
        for k, x in value.d.items():
            out[k], bad = stored(x, types[k] if types is not None else t.elem)  # type: ignore[union-attr]
            null = null or bad
        return Frozen(out), null
    return value, False
