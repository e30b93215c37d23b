"""The reference interpreter's values and types: plain Python, hashable, no IR.

A value is an int, a bool, an enum value (its name: enum names are global), a
frozenset (a set), a `Frozen` mapping (a record: field -> value; a map: index tuple ->
value), a lock's holder (None or an `Instance`), or `POISON`: what an expression that
failed (domain, div) stands for, so that the step can go on to a later `await`.
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
class TLock:
    """A lock, or with dims an array of locks."""

    dims: tuple[Type, ...] = ()


Type = TBool | TInt | TEnum | TRecord | TMap | TSet | TLock


def domain(t: Type) -> list:
    """The values of a finite scalar type, in the order of their slot numbers."""
    if isinstance(t, TBool):
        return [False, True]
    if isinstance(t, TInt):
        return list(range(t.lo, t.hi + 1))
    if isinstance(t, TEnum):
        return list(t.names)
    raise TypeError(f"not a finite domain: {t}")


def indices(dims: tuple[Type, ...]) -> Iterator[tuple]:
    """Every index tuple of a map over `dims`, row-major."""
    return product(*(domain(d) for d in dims))


def out_of_range(value: object, t: Type) -> bool:
    """Whether some integer inside `value` is outside its declared range (or some set
    element outside the set's element type)."""
    if value is POISON:
        return False
    if isinstance(t, TInt):
        return not t.lo <= value <= t.hi  # type: ignore[operator]
    if isinstance(t, TRecord):
        return any(out_of_range(value.d[f], ft) for f, ft in t.fields)  # type: ignore[union-attr]
    if isinstance(t, TMap):
        return any(out_of_range(v, t.elem) for v in value.d.values())  # type: ignore[union-attr]
    if isinstance(t, TSet):
        allowed = set(domain(t.elem))
        return any(x not in allowed for x in value)  # type: ignore[union-attr]
    return False
