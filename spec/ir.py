"""The IR: the one seam between the language and every back end.

A program is a fixed set of variables, each a scalar or an array of scalars, and every
scalar is a bounded integer (bools are 0/1, enums, process counters and lock holders are
small integers). Laid out in declaration order, element by element (row-major), the
variables give the state *slots*: a state is a tuple of ints, one per slot.

Expressions are scalar-valued and read the pre-state only. Array-valued source
expressions (map literals, EXCEPT, set operations, record values, sequences) have been
eliminated by the lowering, so a back end only ever sees `Read(var, index)` of a single
element. (A sequence variable `q` is `q.len` and its positions `q[1..N]`, those past the
length holding one canonical value, so that equal sequences are equal states:
spec.types.seq_positions.)

Action semantics (every back end implements exactly this):
  1. for each value of the parameters (their domains are finite ranges), the action
     is enabled in state s iff `guard` evaluates to true in s;
  2. if enabled, each `Check` is evaluated in order; the first whose `cond` is false
     is a violation of kind `check.kind` at `check.loc` (no successor);
  3. otherwise the successor is s with the `updates` applied in order to a copy of s.
     Every expression in an update (index, value, cond) is evaluated in s (pre-state);
     an update whose `cond` is false writes nothing. Later writes win.
  (A check of kind "range" is a set written with an element outside its place's element
  range: the updates write one bool per element of that range, so they cannot say it.)
  Evaluating an expression may itself fail: `Read` with an index outside the array's
  dimension is a "domain" error, `div`/`mod` by zero a "div" error, and an update
  writing a value outside its variable's range a "range" error, each at the node's loc;
  `Guard` fails with its own kind at its loc where its `cond` is false (the lowering's
  "domain" error of a map value that is no variable, indexed outside its domain; "null",
  an option's none used as a value; "range", a value one past an option's inner type
  stored in it, where it would read as none; "free", a pool element not allocated,
  used). A Check of kind "free" is a pool element freed that is not allocated.
  `and`, `or`, `=>`, `Ite` and `Guard` evaluate left to right and short-circuit, so an
  error in a branch that is not taken does not happen.

`div` and `mod` are floor division and floor modulo (Python's // and %).

Constants are folded to `Const` by the lowering, except those left symbolic for the
prover (`SymConst`); a program with symbolic constants has no slot layout and only the
z3 back end accepts it (`Program.is_concrete`). Only such a program has an Init
parameter with dims (`ParamDecl.dims`: an initial choice in a process set of symbolic
size), whose value is one scalar per index, each read as `ParamAt`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from mmcheck.spec.errors import Loc

# --------------------------------------------------------------------------- expressions

_Node = TypeVar("_Node")


def _shared(cls: type[_Node]) -> type[_Node]:
    """Caches an expression class's hash, and compares hashes before fields. The lowering
    shares subtrees, so an expression is a DAG that may be exponentially larger as a tree;
    the dataclass's own __hash__ and __eq__ walk the whole tree on every call."""
    tree_hash, tree_eq = cls.__hash__, cls.__eq__

    def __hash__(self: _Node) -> int:
        h: int | None = self.__dict__.get("_hash")
        if h is None:
            h = self.__dict__["_hash"] = tree_hash(self)
        return h

    def __eq__(self: _Node, other: object) -> bool:
        if self is other:
            return True
        if other.__class__ is not self.__class__ or hash(self) != hash(other):
            return False
        return tree_eq(self, other)

    def __getstate__(self: _Node) -> dict[str, object]:  # a str's hash differs per process
        return {k: v for k, v in self.__dict__.items() if k != "_hash"}

    cls.__hash__ = __hash__  # type: ignore[assignment]
    cls.__eq__ = __eq__  # type: ignore[assignment]
    cls.__getstate__ = __getstate__  # type: ignore[attr-defined]
    return cls


@_shared
@dataclass(frozen=True)
class Const:
    value: int
    is_bool: bool = False


@_shared
@dataclass(frozen=True)
class SymConst:
    """A constant the prover keeps symbolic (`-D N=?`); its range is in `Program.consts`."""

    name: str


@_shared
@dataclass(frozen=True)
class Param:
    """An action parameter or a quantifier's bound variable."""

    name: str


@_shared
@dataclass(frozen=True)
class ParamAt:
    """One element of a per-instance initial choice: the Init action's parameter `name`
    (a ParamDecl with dims) at `index`. The lowering makes it only for `var x : T in S`
    in a process set of symbolic size, so only the z3 back end (a symbolic program)
    meets it; the explorers, the exports and the reference interpreter never do."""

    name: str
    index: tuple[Expr, ...]


@_shared
@dataclass(frozen=True)
class Read:
    """The value of a scalar variable (`index == ()`) or of one array element.

    `loc` is where a domain error of the index is reported; the lowering leaves it None
    only when every index is statically inside its dimension, and spec.fold.may_fail
    relies on that (a Read without a loc cannot fail, so a fold may drop it)."""

    var: str
    index: tuple[Expr, ...] = ()
    loc: Loc | None = None


UNARY_OPS = ("not", "neg")
ARITH_OPS = ("+", "-", "*", "div", "mod", "min", "max")
COMPARE_OPS = ("==", "!=", "<", "<=", ">", ">=")
LOGIC_OPS = ("and", "or", "=>", "<=>")


@_shared
@dataclass(frozen=True)
class Unary:
    op: str  # one of UNARY_OPS
    arg: Expr


@_shared
@dataclass(frozen=True)
class Binary:
    op: str  # one of ARITH_OPS, COMPARE_OPS, LOGIC_OPS
    left: Expr
    right: Expr
    loc: Loc | None = None  # where a div/mod by zero is reported


@_shared
@dataclass(frozen=True)
class Ite:
    cond: Expr
    then: Expr
    other: Expr


@_shared
@dataclass(frozen=True)
class Guard:
    """Evaluates `cond`; if false, a runtime error of `kind` at `loc` (with `message`),
    else the value of `then`, evaluated only then."""

    cond: Expr
    then: Expr
    kind: str  # "domain": the only one the lowering makes
    message: str
    loc: Loc | None


@_shared
@dataclass(frozen=True)
class Quant:
    """`kind` over `var` in lo..hi (inclusive): forall/exists give a bool, count the
    number of values for which `body` holds, sum the sum of the int `body`."""

    kind: str
    var: str
    lo: Expr
    hi: Expr
    body: Expr


Expr = Const | SymConst | Param | ParamAt | Read | Unary | Binary | Ite | Guard | Quant

TRUE = Const(1, True)
FALSE = Const(0, True)

# --------------------------------------------------------------------------- types


def _show_named(names: tuple[str, ...], lo: Expr, value: int) -> str:
    """`value` as the name it stands for (values count from `lo`), else as a number."""
    if names and isinstance(lo, Const) and 0 <= value - lo.value < len(names):
        return names[value - lo.value]
    return str(value)


@dataclass(frozen=True)
class ScalarType:
    """The values lo..hi of a scalar slot, and how to show them.

    kind: "bool" | "int" | "enum" | "pc" | "lock".
    names: for enum, pc and lock, the name of each value lo, lo+1, ...
      (a pc's names are its process's labels then "Done"; a lock's are "free" then
      the process instances that may hold it).
    sorts: the symmetric sorts whose elements these values stand for, each as
      (sort, offset): the values offset .. offset+|sort|-1 are the sort's elements
      in order. A permutation of the sort acts on those values and fixes the others.
    none: an option (`T?`): the value hi is `none`, lo..hi-1 are T's values (shown as
      `kind` and `names` say; an option of bool has kind "enum" and names false, true).
    """

    kind: str
    lo: Expr
    hi: Expr
    names: tuple[str, ...] = ()
    sorts: tuple[tuple[str, int], ...] = ()
    none: bool = False

    @property
    def is_bool(self) -> bool:
        return self.kind == "bool"

    def show(self, value: int) -> str:
        if self.none and isinstance(self.hi, Const) and value == self.hi.value:
            return "none"
        if self.kind == "bool":
            return "true" if value else "false"
        return _show_named(self.names, self.lo, value)


@dataclass(frozen=True)
class Dim:
    """One index dimension of an array: the integers lo..hi, shown with `names` if any
    (an enum-indexed map), permuted by symmetry if `sort` is a symmetric sort."""

    lo: Expr
    hi: Expr
    names: tuple[str, ...] = ()
    sort: str | None = None

    def show(self, value: int) -> str:
        return _show_named(self.names, self.lo, value)


@dataclass(frozen=True)
class Var:
    """A state variable. `role` is "var" (declared by the spec), "pc" (a process's
    program counter) or "lock". `source` is the spec variable it comes from (records
    are split into one Var per field, named "page.count"). A set of records is a bool
    per record, its last dimensions the records' fields: `elem_fields` names them, for
    the traces only (no back end reads it). `set_dims` is how many of its last
    dimensions are a set's element (a set is a bool per element: 1 for a set of scalars,
    one per field for a set of records; 0 for no set), for the values of a trace only."""

    name: str
    type: ScalarType
    dims: tuple[Dim, ...]
    loc: Loc
    role: str = "var"
    source: str = ""
    elem_fields: tuple[str, ...] = ()
    set_dims: int = 0


# --------------------------------------------------------------------------- actions


@dataclass(frozen=True)
class ParamDecl:
    name: str
    type: ScalarType  # the domain lo..hi, shown as the type says
    # introduced by the lowering, not by the spec: an `either`'s branch, 1..n, or 0 on the
    # paths of the step that do not reach it (then the domain starts at 0)
    hidden: bool = False
    # a hidden parameter that is a `with`'s choice: the name it binds. Its domain starts
    # one below the values the set may hold: that value stands for "not reached"
    binds: str = ""
    # an Init parameter chosen once per instance of a process set of symbolic size: one
    # value of `type` per index in these dimensions, read by ParamAt (never by Param)
    dims: tuple[Dim, ...] = ()

    def reached(self, value: int) -> bool:
        """Whether a hidden parameter's value is a choice the step made, not the value
        that stands for an `either` or `with` the step did not reach."""
        if not self.binds:
            return value != 0
        return not isinstance(self.type.lo, Const) or value != self.type.lo.value

    def chosen(self) -> ScalarType:
        """A `with` parameter's type without its "not reached" value."""
        t = self.type
        if t.names == ("not reached", "false", "true"):  # a bool, as 0 and 1
            return ScalarType("bool", Const(0), Const(1))
        lo = Const(t.lo.value + 1) if isinstance(t.lo, Const) else t.lo
        return replace(t, lo=lo, names=t.names[1:])


@dataclass(frozen=True)
class MacroCall:
    """One macro call that an update or check was inlined from: the macro's name, where
    it was called, and whether it is a prelude primitive (lock_page, get_page, ...)."""

    name: str
    loc: Loc
    primitive: bool = False


@dataclass(frozen=True)
class Assign:
    """var[index] := value when cond (a scalar variable has index ()).

    `via` is provenance for the traces only (every back end ignores it): the chain of
    macro calls, outermost first, whose inlined body this update came from; () for a
    statement of the step itself."""

    var: str
    index: tuple[Expr, ...]
    value: Expr
    cond: Expr
    loc: Loc
    via: tuple[MacroCall, ...] = ()


@dataclass(frozen=True)
class AssignAll:
    """var[p1, ..., pn] := value for every index, when cond; `params` name the indices
    inside `value` (one per dimension of var)."""

    var: str
    params: tuple[str, ...]
    value: Expr
    cond: Expr
    loc: Loc
    via: tuple[MacroCall, ...] = ()  # as Assign's


Update = Assign | AssignAll

CHECK_KINDS = ("assert", "lock", "range", "free")  # range: a set written with an element outside


@dataclass(frozen=True)
class Check:
    kind: str  # one of CHECK_KINDS
    cond: Expr
    message: str
    loc: Loc
    via: tuple[MacroCall, ...] = ()  # as Assign's


@dataclass(frozen=True)
class Branch:
    """An arm of an `if` (kind "then" or "else") or a branch of an `either` ("branch k")
    in a step, for coverage: an edge of the action takes it iff `cond` holds in the
    pre-state with the edge's parameters (hidden ones included). `loc`: the arm's first
    statement (the `if` or `either` itself where the arm is empty)."""

    kind: str
    loc: Loc
    cond: Expr


@dataclass(frozen=True)
class Wait:
    """What a step waits for, to say why it is not enabled (`mmcheck replay`); no back
    end reads it: the guard says it all. kind "await": an `await` at `loc`; "when": an
    action's `when` at `loc`; "lock": the wait of `lock` at `loc` for `place` (the
    lock's variable and index) to be free or the step's own, `holder` its value where
    the step reaches it; "with": a `with`'s choice of its parameter at `loc`. An edge
    is disabled wherever `cond` (over the pre-state and the action's parameters, hidden
    ones included) is false. `via`: the macro calls it came from, as Assign's."""

    kind: str
    cond: Expr
    loc: Loc
    via: tuple[MacroCall, ...] = ()
    place: tuple[str, tuple[Expr, ...]] | None = None
    holder: Expr | None = None


@dataclass(frozen=True)
class Action:
    """One transition group. For a process step, `process` and `label` name it and
    the process set's index is the parameter named "self"."""

    name: str
    params: tuple[ParamDecl, ...]
    guard: Expr
    checks: tuple[Check, ...]
    updates: tuple[Update, ...]
    loc: Loc
    process: str | None = None
    label: str | None = None
    reads: frozenset[int] = frozenset()  # slots read by guard, checks or updates
    writes: frozenset[int] = frozenset()  # slots possibly written
    # the `if` arms and `either` branches of a step, in source order (not those of the
    # prelude's macros): what branch coverage counts; no back end executes them
    branches: tuple[Branch, ...] = ()
    # the awaits, lock waits and `with` choices of a step, in the order they are reached:
    # what `mmcheck replay` names when a step cannot be taken; no back end executes them
    waits: tuple[Wait, ...] = ()
    # "weak" (`fair`, TLA+ WF) or "strong" (`strongly fair`, SF), for the liveness check
    # only: each (action, `self`) of a fair process's step is one fairness unit, a fair
    # action one unit for all its parameter values together; no back end executes it
    fairness: str | None = None


# --------------------------------------------------------------------------- the program


@dataclass(frozen=True)
class Process:
    """A process or process set. Its pc variable holds label indices; the value
    len(labels) is "Done". A set's instances are indexed by `index`."""

    name: str
    labels: tuple[str, ...]
    pc_var: str
    index: Dim | None
    loc: Loc
    # lock-holder value of its first instance (instances are consecutive); an expression
    # of the sizes of the sets before it where those are symbolic
    first_holder: Expr
    label_locs: tuple[Loc, ...] = ()

    @property
    def done(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class Invariant:
    name: str
    expr: Expr
    loc: Loc
    # a `lemma`: always in prove's hypothesis and goals, checked by the other back ends
    # only when asked (CheckOptions.lemmas, or by name)
    lemma: bool = False

    def checked(self, names: Collection[str] | None, lemmas: bool) -> bool:
        """Whether a check of the invariants `names` (None: every one that is not a
        lemma), with every lemma too if `lemmas`, checks this one."""
        if self.lemma and lemmas:
            return True
        return self.name in names if names is not None else not self.lemma


PROPERTY_KINDS = ("eventually", "always_eventually", "eventually_always", "leads_to")


@dataclass(frozen=True)
class Property:
    """A temporal property over state predicates: `kind` is one of PROPERTY_KINDS, `p`
    its predicate (the premise of leads_to), `q` the conclusion of leads_to, else None.
    What violates each is defined in docs/guarantees.md (a fair lasso)."""

    name: str
    kind: str
    p: Expr
    q: Expr | None
    loc: Loc

    def show(self, p: str = "P", q: str = "Q") -> str:
        """The property as the spec writes it, with its predicates shown as p and q."""
        if self.kind == "leads_to":
            return f"{p} leads_to {q}"
        return f"{self.kind.replace('_', ' ')} {p}"


@dataclass(frozen=True)
class ConstDecl:
    """A constant: its value (None while symbolic) and, for symbolic use, its range."""

    name: str
    value: int | None
    type: ScalarType
    loc: Loc


VERDICTS = (
    "holds",
    "invariant",
    "deadlock",
    "assert",
    "lock",
    "range",
    "domain",
    "div",
    "null",
    "free",
    "property",
)


@dataclass(frozen=True)
class Expect:
    """`expect C=V, ...: verdict` in a spec: the expected result for those constants.
    verdict is one of VERDICTS; `prop` names the invariant for "invariant" and the
    temporal property for "property"; `steps`/`states` pin the shortest trace length /
    the distinct-state count if given; `cycle` pins a property's lasso's cycle length."""

    consts: tuple[tuple[str, int], ...]
    verdict: str
    prop: str | None
    loc: Loc
    steps: int | None = None
    states: int | None = None
    checks: tuple[str, ...] | None = None  # the invariants checked; None: as a plain check
    covers: tuple[str, ...] = ()  # the covers the run must reach
    cycle: int | None = None


@dataclass(frozen=True)
class Slot:
    """One state slot: element `index` of variable `var`."""

    var: str
    index: tuple[int, ...]
    lo: int
    hi: int

    @property
    def name(self) -> str:
        return self.var + "".join(f"[{i}]" for i in self.index)


@dataclass(frozen=True)
class Program:
    name: str
    file: str
    consts: tuple[ConstDecl, ...]
    assumes: tuple[tuple[Expr, Loc], ...]
    vars: tuple[Var, ...]
    # The initial states, unlike other actions: for each value of the params (the `in`
    # choices), the updates are applied in order to a zeroed state, each reading the state
    # built so far (an initial value may read an earlier variable); then the guard (the
    # `init` constraints) and the checks are evaluated on the built state. So an error in
    # an initial value happens before the constraint is known: the lowering makes each
    # update conditional on the choices being members of their `in` sets.
    init: Action
    actions: tuple[Action, ...]
    invariants: tuple[Invariant, ...]
    processes: tuple[Process, ...] = ()
    terminal: Expr | None = None  # states where no step is enabled that are not deadlocks
    symmetric: tuple[str, ...] = ()  # the symmetric sorts
    sort_sizes: tuple[tuple[str, int], ...] = ()  # size of each symmetric sort
    expects: tuple[Expect, ...] = ()
    # state constraints (TLC's CONSTRAINT), in declaration order: a state where one is
    # false is not in the state space (not stored, checked or expanded)
    constraints: tuple[Invariant, ...] = ()
    # witness properties (`cover`), in declaration order: state predicates that the
    # search reports reached (in the first state stored where one holds) or not
    covers: tuple[Invariant, ...] = ()
    # temporal properties (`property`), in declaration order: checked for fair cycles
    properties: tuple[Property, ...] = ()
    _layout: dict = field(default_factory=dict, compare=False, repr=False)

    # --- lookups
    def var(self, name: str) -> Var:
        # a dict, built once: a search of `vars` per lookup is quadratic in big specs
        by_name = self._layout.get("vars")
        if by_name is None:
            by_name = self._layout["vars"] = {v.name: v for v in self.vars}
        return by_name[name]

    def const_value(self, name: str) -> int | None:
        for c in self.consts:
            if c.name == name:
                return c.value
        raise KeyError(name)

    @property
    def is_concrete(self) -> bool:
        return all(c.value is not None for c in self.consts)

    # --- the slot layout (concrete programs only)
    def _build_layout(self) -> None:
        if "slots" in self._layout:
            return
        if not self.is_concrete:
            raise ValueError("a program with symbolic constants has no slot layout")
        slots: list[Slot] = []
        offsets: dict[str, int] = {}
        for v in self.vars:
            offsets[v.name] = len(slots)
            lo, hi = const_int(v.type.lo), const_int(v.type.hi)
            slots.extend(Slot(v.name, idx, lo, hi) for idx in indices(dim_bounds(v)))
        self._layout["slots"] = tuple(slots)
        self._layout["offsets"] = offsets

    @property
    def slots(self) -> tuple[Slot, ...]:
        self._build_layout()
        return self._layout["slots"]

    def offset(self, var: str) -> int:
        """Index of the first slot of `var`."""
        self._build_layout()
        return self._layout["offsets"][var]

    def slot_index(self, var: str, index: tuple[int, ...]) -> int:
        """Slot of var[index]; raises IndexError outside the array's dimensions."""
        pos = 0
        for (lo, hi), i in zip(dim_bounds(self.var(var)), index, strict=True):
            if not lo <= i <= hi:
                raise IndexError(i)
            pos = pos * (hi - lo + 1) + (i - lo)  # row-major
        return self.offset(var) + pos

    def var_slots(self, var: str) -> range:
        start = self.offset(var)
        return range(start, start + math.prod(shape(dim_bounds(self.var(var)))))

    def show_slot(self, slot: int, value: int) -> str:
        """The value of a slot as the spec writes it (true, an enum name, a label)."""
        return self.var(self.slots[slot].var).type.show(value)

    def process_instances(self) -> Iterator[tuple[Process, int | None, int]]:
        """Every process instance as (process, index or None, pc slot)."""
        for p in self.processes:
            if p.index is None:
                yield p, None, self.offset(p.pc_var)
            else:
                for i in range(const_int(p.index.lo), const_int(p.index.hi) + 1):
                    yield p, i, self.slot_index(p.pc_var, (i,))


def const_int(e: Expr) -> int:
    """The value of a folded constant expression (bounds of concrete programs)."""
    if isinstance(e, Const):
        return e.value
    raise ValueError(f"not a constant: {e!r}")


# An array's slots are laid out row-major: its elements in the order `indices` gives,
# consecutive values of each index `strides` apart.


def dim_bounds(var: Var) -> tuple[tuple[int, int], ...]:
    """(lo, hi) of each dimension of a variable of a concrete program."""
    return tuple((const_int(d.lo), const_int(d.hi)) for d in var.dims)


def shape(dims: Iterable[tuple[int, int]]) -> tuple[int, ...]:
    """The number of values of each dimension (lo, hi)."""
    return tuple(hi - lo + 1 for lo, hi in dims)


def strides(sizes: Sequence[int]) -> tuple[int, ...]:
    """How many elements apart consecutive values of each index are, in a row-major
    array with dimensions of these sizes (the last index varies fastest)."""
    out = [1] * len(sizes)
    for k in range(len(sizes) - 1, 0, -1):
        out[k - 1] = out[k] * sizes[k]
    return tuple(out)


def indices(dims: Iterable[tuple[int, int]]) -> Iterator[tuple[int, ...]]:
    """Every index of an array over dims ((lo, hi) each) in row-major order, the order
    of its slots (one empty index for a scalar)."""
    return itertools.product(*(range(lo, hi + 1) for lo, hi in dims))


def instance_name(process: Process, index: int | None) -> str:
    if index is None:
        return process.name
    return f"{process.name}[{process.index.show(index) if process.index else index}]"
