"""Random well-typed specs that use every construct of docs/language.md, for the
differential tests (test_differential.py), in the manner of Csmith.

`generate(seed)` is deterministic per seed. The specs are small on purpose (tens to a
few thousand reachable states) so that the reference interpreter checks each in a
fraction of a second, and well typed, so that every one reaches the explorer; the
runtime errors (range, domain, div), lock misuse, failing asserts and invariants,
and deadlocks each happen in some of them. Each spec records the constructs it used,
named as in CONSTRUCTS, the checklist of the language reference: the coverage test
fails when a construct of the list is never produced.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from mmcheck import spec
from mmcheck.spec.errors import SpecErrors

# One entry per construct of docs/language.md (and of spec/prelude.mms).
CONSTRUCTS = (
    # top level
    "spec-header", "include-prelude", "comment-hash", "comment-slash", "semicolon",
    "hex-literal", "const-int", "const-bool", "const-range", "assume", "type-enum",
    "type-range", "type-record", "type-symmetric-range", "type-symmetric-enum",
    "var-int", "var-bool", "var-enum", "var-map1", "var-map2", "var-map-enum-domain",
    "var-map-bool-domain", "var-map-of-record", "var-record", "var-set-int", "var-set-enum",
    "var-in-range", "var-in-literal", "var-reads-earlier-var", "init-constraint", "lock",
    "lock-array", "def-no-params", "def-params", "invariant", "terminal", "expect",
    "lemma", "expect-invariants",
    "constraint", "cover", "expect-covers", "type-option", "option-none", "option-some",
    "option-eq-none", "option-implicit-some", "option-use", "option-enum-none",
    "pool-decl", "pool-alloc", "pool-free", "pool-allocated", "pool-read", "pool-write",
    # expressions
    "add", "sub", "mul", "div", "mod", "div-negative", "neg", "eq", "ne", "lt", "le", "gt",
    "ge", "not", "and", "or", "implies", "iff", "if-expr", "let", "let-multi", "forall",
    "exists", "count", "sum", "quant-range", "quant-type", "quant-set", "quant-two-binders",
    "min", "max", "map-index", "map-index2", "record-field", "map-record-field",
    "map-except", "map-except-multi", "record-except", "record-except-multi", "map-literal",
    "map-literal2", "bool-as-set", "record-literal", "set-in", "set-notin", "set-union", "set-inter",
    "set-minus", "card", "subset", "set-eq", "set-ne", "set-literal", "set-empty",
    "set-range", "set-type-name", "int-sets-different-ranges", "enum-eq", "map-eq",
    "record-eq", "def-call", "locked", "held", "holder-process", "holder-set",
    "holder-instance", "holder-self", "holder-holder", "holder-ne", "done-process",
    "done-set", "done-instance", "at-process", "at-instance", "self", "local-from-outside",
    "local-set-instance", "local-set-index",
    # actions
    "action", "action-params", "action-when", "action-multi-when", "action-braces",
    "primed-var", "primed-element", "primed-field",
    # processes and statements
    "process", "process-set", "process-set-binder", "symmetric-process-set",
    "symmetric-process-range", "local-var", "local-var-in", "label-dunder", "assign",
    "assign-element", "assign-field", "assign-element-field", "assign-record-except", "skip",
    "goto-forward", "goto-backward", "goto-done", "if-then", "if-then-else", "if-braces",
    "else-if", "await", "either", "either-three", "either-in-if", "either-in-either",
    "assert", "assert-message", "lock-stmt", "unlock-stmt", "trylock", "trylock-in-if",
    "cas", "test-and-set", "macro", "macro-return", "macro-return-in-if", "macro-place-arg",
    "spin_lock", "spin_unlock", "lock_page", "trylock_page", "unlock_page", "get_page",
    "put_page", "get_page_unless_zero", "page_ref_freeze", "page_ref_unfreeze",
    "page_freeze_refs", "page_unfreeze_refs",
    "with", "with-two-binders", "either-label",
    # scoped enum values, names that are keywords elsewhere, state-dependent domains
    "enum-qualified", "enum-shared-value", "var-named-keyword", "quant-state-bounds",
    # sequences
    "var-seq", "seq-literal", "seq-empty", "seq-len", "seq-head", "seq-tail", "seq-append",
    "seq-index", "seq-in", "seq-eq", "seq-quant",
    # sets of records and comprehensions
    "var-set-record", "set-record-literal", "set-record-in", "set-record-quant",
    "set-record-card", "set-record-type-name", "set-filter", "set-image",
    "set-image-two-binders",
    # initial values of maps, records and sets chosen from sets
    "var-in-maps", "var-in-records", "var-in-subsets", "var-in-values",
    # membership in those sets (TLA+'s TypeOK)
    "in-maps", "in-maps-other-domain", "in-records", "in-records-other-fields",
    "in-subsets", "notin-compound",
    # temporal properties and fairness (generate(seed, liveness=True) only)
    "property-eventually", "property-always-eventually", "property-eventually-always",
    "property-leads-to", "fair-process", "strongly-fair-process", "fair-symmetric-process",
    "fair-action", "strongly-fair-action", "expect-property", "expect-cycle",
)  # fmt: skip
# the constructs only a spec generated with liveness=True uses
LIVENESS = frozenset(CONSTRUCTS[CONSTRUCTS.index("property-eventually") :])
# What a sized spec (generate(seed, sized=True)) sizes by N, found in its text: each
# is a place where `prove -D N=?` has to reason about every size at once.
SIZED_CONSTRUCTS = {
    "bounded-size": r"^const N : 1\.\.(3|64) = 2$",
    "unbounded-size": r"^const N : 1\.\. = 2$",
    "second-symbolic-const": r"^const K : 1\.\.3 = ",
    "named-range": r"^type P = 1\.\.N$",
    "var-of-named-range": r"^var \w+ : P\b",
    "symmetric-type": r"^type S = symmetric 1\.\.N$",
    "process-set": r"^process \w+\[\w+ in 1\.\.N\]",
    "symmetric-process-range": r"^symmetric process \w+\[self in 1\.\.N\]",
    "lock-array": r"^lock LA : \[1\.\.N\]$",
    "map": r"^var \w+ : \[1\.\.N\] -> (?!record)",
    "map2": r"^var \w+ : \[\w+(\.\.\w+)?, 1\.\.N\] ->",
    "map-of-record": r"^var \w+ : \[1\.\.N\] -> record",
    "action-param": r"^action \w+\(k: 1\.\.N\)",
    "forall": r"\bforall \w+ in (1\.\.N|P)\b",
    "exists": r"\bexists \w+ in (1\.\.N|P)\b",
    "count": r"\bcount \w+ in (1\.\.N|P)\b",
    "sum": r"\bsum \w+ in (1\.\.N|P)\b",
    "quant-symmetric": r"\b(forall|exists|count|sum) \w+ in S\b",
    # g of the first x with C(x): if C(x) and (forall y in 1..x - 1: not C(y)) then g(x)
    "first-element": r"\bsum (\w+) in 1\.\.N: if .* and \(forall \w+ in 1\.\.\1 - 1: not ",
    # an initial choice per instance of a process set of symbolic size
    "local-choice": r"^(symmetric )?process \w+\[\w+ in (1\.\.N|S)\] \{\n(  var .*\n)*  var \w+ : .* in 0\.\.1$",
}

# ------------------------------------------------------------------ types


@dataclass(frozen=True)
class Int:
    lo: int
    hi: int
    text: str = ""  # how the range is written (a type name, "0..K"); default lo..hi

    def __str__(self) -> str:
        return self.text or f"{self.lo}..{self.hi}"


@dataclass(frozen=True)
class Bool:
    def __str__(self) -> str:
        return "bool"


@dataclass(frozen=True)
class Enum:
    name: str
    values: tuple[str, ...]

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Sym:
    """Values of a symmetric type (or of a symmetric process set's range)."""

    name: str
    size: int

    def __str__(self) -> str:
        return self.name


Domain = Int | Bool | Enum | Sym
UNKNOWN = Int(-(2**62), 2**62)  # let values, elements of a set expression: no known range


@dataclass(frozen=True)
class SetT:
    elem: Int | Enum

    def __str__(self) -> str:
        return f"set of {self.elem}"


@dataclass(frozen=True)
class Rec:
    fields: tuple[tuple[str, Int | Bool | Enum], ...]
    name: str = ""

    def __str__(self) -> str:
        return self.name or "record { " + ", ".join(f"{f}: {t}" for f, t in self.fields) + " }"


@dataclass(frozen=True)
class Map:
    dims: tuple[Domain, ...]
    val: Int | Bool | Enum | Rec

    def __str__(self) -> str:
        return f"[{', '.join(map(str, self.dims))}] -> {self.val}"


@dataclass(frozen=True)
class Seq:
    cap: int
    elem: Int | Bool | Enum

    def __str__(self) -> str:
        return f"seq[{self.cap}] of {self.elem}"


@dataclass(frozen=True)
class MsgSet:
    """A set of records (a message set)."""

    rec: Rec

    def __str__(self) -> str:
        return f"set of {self.rec}"


Type = Int | Bool | Enum | Sym | SetT | Rec | Map | Seq | MsgSet


def kind(t: Type) -> object:
    """What an expression of type t may be compared with or assigned from."""
    if isinstance(t, Int):
        return "int"
    if isinstance(t, SetT):
        return ("set", kind(t.elem))
    if isinstance(t, Seq):
        return ("seq", kind(t.elem))
    return t


def values(d: Domain) -> list[str]:
    if d in (Int(1, 2, "1..N"), Int(1, 2, "P")):
        return ["1", "N"]  # the values 1..N has at every N (2 is none at N=1)
    if isinstance(d, Int):
        return [str(v) for v in range(d.lo, d.hi + 1)]
    if isinstance(d, Bool):
        return ["false", "true"]
    if isinstance(d, Enum):
        return list(d.values)
    return []  # a symmetric value has no literal


def size(t: Type) -> int:
    """Number of values of a variable of type t (for the state-space budget)."""
    if isinstance(t, Int):
        return t.hi - t.lo + 1
    if isinstance(t, Bool):
        return 2
    if isinstance(t, Enum):
        return len(t.values)
    if isinstance(t, Sym):
        return t.size
    if isinstance(t, SetT):
        return 2 ** size(t.elem)
    if isinstance(t, Seq):
        return sum(size(t.elem) ** n for n in range(t.cap + 1))
    if isinstance(t, MsgSet):
        return 2 ** size(t.rec)
    if isinstance(t, Rec):
        n = 1
        for _, f in t.fields:
            n *= size(f)
        return n
    n = size(t.val)
    for d in t.dims:
        n **= size(d)
    return n


@dataclass
class Proc:
    name: str
    labels: list[str]
    domain: Domain | None = None  # a process set's index domain
    binder: str = "self"
    locals: dict[str, Type] = field(default_factory=dict)
    symmetric: bool = False


@dataclass
class Scope:
    """What an expression may read where it is generated."""

    vars: dict[str, Type]  # readable variables and bound names, with their types
    proc: Proc | None = None  # the process whose step this is
    in_step: bool = False  # statement context: trylock, cas, macros allowed
    bound: int = 0  # quantifier/let nesting, for fresh names


@dataclass
class Generated:
    seed: int
    text: str
    constructs: frozenset[str]
    invariants: tuple[str, ...]
    symmetric: bool  # the spec declares a symmetric type or process set
    lemmas: tuple[str, ...] = ()
    properties: tuple[str, ...] = ()  # the temporal properties, in declaration order
    sized: frozenset[str] = frozenset()  # of SIZED_CONSTRUCTS, in a sized spec


def sized_constructs(text: str) -> frozenset[str]:
    """The SIZED_CONSTRUCTS the spec text uses (S is sized only as symmetric 1..N)."""
    found = {n for n, p in SIZED_CONSTRUCTS.items() if re.search(p, text, re.MULTILINE)}
    if "symmetric-type" not in found:
        found.discard("quant-symmetric")
    return frozenset(found)


# ------------------------------------------------------------------ the generator


MAX_BOOL_INDICES = 6


class SpecGen:
    MAX_SPACE = 60_000  # product of the variables' value counts, pcs included

    def __init__(self, seed: int, draw: int = 0, sized: bool = False) -> None:
        self.seed = seed
        # sized: the domains 1..2 are written 1..N, a size constant the prover may
        # leave symbolic (generate's `sized`); its own draws come from r_size
        self.sized = sized
        self.r_size = random.Random(f"{seed}/{draw}/size")
        self.r = random.Random(seed if draw == 0 else f"{seed}/{draw}")
        # a stream of its own for the lemmas, so that they leave every other draw as it was
        self.r_lemma = random.Random(f"{seed}/{draw}/lemma")
        # and for whether there are constraints: they are drawn last, so a spec without
        # them is as it was
        self.r_constraint = random.Random(f"{seed}/{draw}/constraint")
        self.r_option = random.Random(f"{seed}/{draw}/option")  # options (emit_options)
        self.r_pool = random.Random(f"{seed}/{draw}/pool")  # pools (emit_pool)
        # and for the covers, drawn after the constraints
        self.r_cover = random.Random(f"{seed}/{draw}/cover")
        # and for sequences: a spec without a sequence variable is as it was
        self.r_seq = random.Random(f"{seed}/{draw}/seq")
        self.seqs: dict[str, Seq] = {}
        # and for the set of records `ms`: a spec without one is as it was
        self.r_msg = random.Random(f"{seed}/{draw}/msg")
        self.msgs: MsgSet | None = None
        # and for `with`, qualified and shared enum values, keyword-like names and ranges
        # whose bounds read the state: a spec that draws none of them is as it was
        self.r_choice = random.Random(f"{seed}/{draw}/choice")
        # and for the initial values of maps, records and sets chosen from sets
        self.r_init = random.Random(f"{seed}/{draw}/init")
        # and for membership in such sets (`compound_in`)
        self.r_compound = random.Random(f"{seed}/{draw}/compound")
        # and for whether a sum is a first element's (sized specs: first_element)
        self.r_first = random.Random(f"{seed}/{draw}/first")
        # and for the temporal properties and fairness, drawn last (emit_liveness)
        self.r_live = random.Random(f"{seed}/{draw}/live")
        self.used_labels: set[str] = set()
        self.used: set[str] = set()
        self.globals: dict[str, Type] = {}
        self.enums: list[Enum] = []
        self.named_ranges: list[Int] = []
        self.locks: list[str] = []
        self.lock_arrays: list[tuple[str, Domain]] = []
        self.procs: list[Proc] = []
        self.int_defs: list[tuple[str, int]] = []  # (name, arity)
        self.bool_defs: list[tuple[str, int]] = []
        self.macros: list[tuple[str, str]] = []  # (name, "place" | "value")
        self.page: str | None = None
        self.bool_indices = 0  # bool indices being generated, one inside another
        self.sym: Sym | None = None
        self.space = 1
        self.consts: dict[str, object] = {}
        self.types: dict[str, Type] = {}

    def pair(self) -> Int:
        """The domain 1..2: written 1..N in a sized spec."""
        return Int(1, 2, "1..N" if self.sized else "")

    def mark(self, *names: str) -> None:
        for n in names:
            assert n in CONSTRUCTS, n
        self.used.update(names)

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def pick(self, seq):  # noqa: ANN001, ANN201 - any sequence
        return self.r.choice(list(seq))

    # ---------------------------------------------------------------- literals

    def lit(self, v: int) -> str:
        if v > 0 and self.chance(0.05):
            self.mark("hex-literal")
            return hex(v)
        return str(v) if v >= 0 else f"({v})"

    # ---------------------------------------------------------------- reads

    def readable(self, sc: Scope, want: object) -> list[tuple[str, Type]]:
        """Variables (and bound names) whose type holds a value of kind `want`,
        directly or inside a map or record."""

        def holds(t: Type) -> bool:
            if kind(t) == want:
                return True
            if isinstance(t, Map):
                return holds(t.val)
            if isinstance(t, Rec):
                return any(holds(f) for _, f in t.fields)
            return False

        return [(n, t) for n, t in sc.vars.items() if holds(t) and self.can_index(sc, t)]

    def can_index(self, sc: Scope, t: Type) -> bool:
        """A map over a symmetric type is indexed only by a bound value of it."""
        if not isinstance(t, Map) or not any(isinstance(d, Sym) for d in t.dims):
            return True
        return any(isinstance(v, Sym) for v in sc.vars.values())

    def descend(self, sc: Scope, text: str, t: Type, want: object, depth: int) -> str:
        """Read a value of kind `want` out of `text` of type t."""
        if kind(t) == want:
            return text
        if isinstance(t, Map):
            idx = ", ".join(self.index(sc, d, depth) for d in t.dims)
            self.mark("map-index2" if len(t.dims) == 2 else "map-index")
            if isinstance(t.val, Rec):
                self.mark("map-record-field")
            return self.descend(sc, f"{text}[{idx}]", t.val, want, depth)
        assert isinstance(t, Rec)
        fields = [(f, ft) for f, ft in t.fields if kind(ft) == want]
        f, ft = self.pick(fields)
        self.mark("record-field")
        return f"{text}.{f}"

    def read(self, sc: Scope, want: object, depth: int) -> str | None:
        found = self.readable(sc, want)
        outside = self.outside_reads(sc, want)
        if not found and not outside:
            return None
        if outside and (not found or self.chance(0.15)):
            text, construct = self.pick(outside)
            self.mark(construct)
            return text
        n, t = self.pick(found)
        return self.descend(sc, n, t, want, depth)

    def outside_reads(self, sc: Scope, want: object) -> list[tuple[str, str]]:
        """Process locals read from outside their process, with the construct."""
        out = []
        for p in self.procs:
            if p is sc.proc or p.symmetric:
                continue
            for v, t in p.locals.items():
                if kind(t) != want:
                    continue
                if p.domain is None:
                    out.append((f"{p.name}.{v}", "local-from-outside"))
                else:
                    i = self.pick(values(p.domain))
                    out.append((f"{p.name}[{i}].{v}", "local-set-instance"))
                    out.append((f"{p.name}.{v}[{i}]", "local-set-index"))
        return out

    def index(self, sc: Scope, d: Domain, depth: int) -> str:
        """An index into domain d: in the domain almost always, but sometimes an int
        that may leave it (a domain error at run time, never a static one)."""
        if isinstance(d, Sym):
            return self.sym_value(sc)
        if isinstance(d, Int) and self.chance(0.06):
            v = self.read(sc, "int", 0)
            if v is not None and self.reads_state(v):
                # lo..hi+1: overlaps the domain, so never a static error
                return f"({v}) % {d.hi - d.lo + 2} + {self.lit(d.lo)}"
        same = [
            n
            for n, t in sc.vars.items()
            if t == d
            or (isinstance(d, Int) and isinstance(t, Int) and d.lo <= t.lo and t.hi <= d.hi)
        ]
        if same and self.chance(0.5):
            return self.pick(same)
        if isinstance(d, Bool):
            # a bool index may read a map over bool in turn: bound the chain
            if self.bool_indices >= MAX_BOOL_INDICES:
                return self.pick(["true", "false"])
            self.bool_indices += 1
            try:
                return self.bool_expr(sc, min(depth, 1))
            finally:
                self.bool_indices -= 1
        return self.pick(values(d))

    def sym_value(self, sc: Scope) -> str:
        names = [n for n, t in sc.vars.items() if isinstance(t, Sym)]
        assert names, "a symmetric index needs a bound value"
        return self.pick(names)

    # ---------------------------------------------------------------- int expressions

    def int_expr(self, sc: Scope, depth: int) -> str:
        if self.seqs and self.r_seq.random() < 0.12:
            return self.seq_int(sc, depth)
        if self.msgs and self.r_msg.random() < 0.12:
            return self.msg_int(sc, depth)
        r = self.r.random()
        if depth <= 0 or r < 0.3:
            return self.int_leaf(sc)
        d = depth - 1
        choice = self.pick(
            [
                "arith",
                "arith",
                "divmod",
                "neg",
                "if",
                "let",
                "minmax",
                "quant",
                "card",
                "def",
                "leaf",
            ]
        )
        if choice == "arith":
            op = self.pick("+-*")
            self.mark({"+": "add", "-": "sub", "*": "mul"}[op])
            return f"({self.int_expr(sc, d)} {op} {self.int_expr(sc, d)})"
        if choice == "divmod":
            op = self.pick("/%")
            self.mark("div" if op == "/" else "mod")
            if self.chance(0.3):  # may be zero: a div error sometimes
                den = self.int_leaf(sc)
            else:
                den = self.lit(self.pick([-3, -2, 2, 3]))
            num = self.int_expr(sc, d)
            if self.chance(0.3):
                num = f"({num} - {self.r.randint(2, 4)})"
                self.mark("div-negative", "sub")
            return f"({num} {op} {den})"
        if choice == "neg":
            self.mark("neg")
            return f"(-{self.int_leaf(sc)})"
        if choice == "if":
            self.mark("if-expr")
            return f"(if {self.bool_expr(sc, d)} then {self.int_expr(sc, d)} else {self.int_expr(sc, d)})"
        if choice == "let":
            return self.let(sc, d, self.int_expr)
        if choice == "minmax":
            f = self.pick(["min", "max"])
            self.mark(f)
            return f"{f}({self.int_expr(sc, d)}, {self.int_expr(sc, d)})"
        if choice == "quant":
            if self.sized and self.r_first.random() < 0.15:
                return self.first_element(sc, d)
            q = self.pick(["count", "sum"])
            self.mark(q)
            binders, inner = self.binders(sc, d)
            body = self.bool_expr(inner, d) if q == "count" else self.int_expr(inner, d)
            return f"({q} {binders}: {body})"
        if choice == "card":
            self.mark("card")
            return f"card({self.set_expr(sc, 'int' if self.chance(0.7) else None, d)})"
        if choice == "def" and self.int_defs:
            return self.call_def(sc, self.pick(self.int_defs), d)
        return self.int_leaf(sc)

    def first_element(self, sc: Scope, depth: int) -> str:
        """g(x) for the least x in 1..N with C(x), else 0, as a sum whose one summand
        that is not 0 is that x's (compaction_alloc()'s first page of a list): the prover
        encodes it as that x at a symbolic N (Encoder._first_element)."""
        self.mark("sum", "forall")
        inner = Scope(dict(sc.vars), sc.proc, sc.in_step, sc.bound + 1)
        x, y = f"i{inner.bound}_0", f"i{inner.bound}_1"
        inner.vars[x] = self.pair()
        cond, g = self.bool_expr(inner, depth), self.int_expr(inner, depth)
        before = re.sub(rf"\b{x}\b", y, cond)  # C(y): x is bound here only
        return f"(sum {x} in 1..N: if {cond} and (forall {y} in 1..{x} - 1: not {before}) then {g} else 0)"

    def int_leaf(self, sc: Scope) -> str:
        if self.chance(0.35):
            return self.lit(self.r.randint(-1, 3))
        if self.chance(0.1) and "K" in self.consts:
            return "K"
        v = self.read(sc, "int", 1)
        return v if v is not None else self.lit(self.r.randint(0, 2))

    def let(self, sc: Scope, depth: int, body) -> str:  # noqa: ANN001 - an expression method
        self.mark("let")
        inner = Scope(dict(sc.vars), sc.proc, sc.in_step, sc.bound + 1)
        binds = []
        for _ in range(2 if self.chance(0.3) else 1):
            name = f"v{inner.bound}_{len(binds)}"
            binds.append(f"{name} = {self.int_expr(sc, depth)}")
            inner.vars[name] = UNKNOWN
        if len(binds) > 1:
            self.mark("let-multi")
        return f"(let {', '.join(binds)} in {body(inner, depth)})"

    def binders(self, sc: Scope, depth: int) -> tuple[str, Scope]:
        inner = Scope(dict(sc.vars), sc.proc, sc.in_step, sc.bound + 1)
        parts = []
        for k in range(2 if self.chance(0.2) else 1):
            name = f"i{inner.bound}_{k}"
            dom, t = self.quant_domain(sc, depth)
            parts.append(f"{name} in {dom}")
            inner.vars[name] = t
        if len(parts) > 1:
            self.mark("quant-two-binders")
        return ", ".join(parts), inner

    def quant_domain(self, sc: Scope, depth: int) -> tuple[str, Type]:
        if self.sized and self.r_size.random() < 0.3:
            sized: list[tuple[str, Type]] = [("1..N", self.pair())]
            sized += [("P", self.types["P"])] if "P" in self.types else []
            if "type-symmetric-range" in self.used and self.r_size.random() < 0.5:
                return "S", self.sym
            return self.r_size.choice(sized)
        r = self.r.random()
        named: list[Domain] = [*self.enums, *self.named_ranges]
        if self.sym and self.sym.name == "S":
            named.append(self.sym)
        if r < 0.25 and named:
            t = self.pick(named)
            self.mark("quant-type")
            return str(t), t
        if r < 0.5:
            self.mark("quant-set")
            elem = self.pick([e for e in ["int", *self.enums]])
            s = self.set_expr(sc, elem, min(depth, 1))
            return s, UNKNOWN if elem == "int" else elem
        self.mark("quant-range")
        lo = self.r.randint(-1, 1)
        hi = lo + self.r.randint(0, 3)
        bounds = [(n, t) for n, t in sc.vars.items() if isinstance(t, Int) and t.hi >= lo]
        if sc.in_step and bounds and self.r_choice.random() < 0.3:
            n, t = self.r_choice.choice(bounds)
            if t != UNKNOWN:  # not a let's value (of no known range): lo..hi instead
                self.mark("quant-state-bounds")  # lo..x: over lo..(x's highest), tested
                return f"{self.lit(lo)}..{n}", Int(lo, t.hi)
        return f"{self.lit(lo)}..{self.lit(hi)}", Int(lo, hi)

    def call_def(self, sc: Scope, d: tuple[str, int], depth: int) -> str:
        self.mark("def-call")
        name, arity = d
        if not arity:
            return name
        return f"{name}({', '.join(self.int_expr(sc, depth) for _ in range(arity))})"

    # ---------------------------------------------------------------- bool expressions

    def bool_expr(self, sc: Scope, depth: int) -> str:
        if self.r_compound.random() < 0.025:
            found = self.compound_in(sc, depth)
            if found is not None:
                return found
        if self.seqs and self.r_seq.random() < 0.12:
            return self.seq_bool(sc, depth)
        if self.msgs and self.r_msg.random() < 0.12:
            return self.msg_bool(sc, depth)
        if depth <= 0 or self.chance(0.2):
            return self.bool_leaf(sc)
        d = depth - 1
        choice = self.pick(
            [
                "cmp",
                "cmp",
                "logic",
                "logic",
                "not",
                "quant",
                "set",
                "enum",
                "eq",
                "def",
                "proc",
                "lock",
                "if",
                "let",
                "sym",
            ]
        )
        if choice == "cmp":
            op = self.pick(["==", "!=", "<", "<=", ">", ">="])
            self.mark({"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}[op])
            return f"({self.int_expr(sc, d)} {op} {self.int_expr(sc, d)})"
        if choice == "logic":
            op = self.pick(["and", "or", "=>", "<=>"])
            self.mark({"and": "and", "or": "or", "=>": "implies", "<=>": "iff"}[op])
            return f"({self.bool_expr(sc, d)} {op} {self.bool_expr(sc, d)})"
        if choice == "not":
            self.mark("not")
            return f"(not {self.bool_expr(sc, d)})"
        if choice == "quant":
            q = self.pick(["forall", "exists"])
            self.mark(q)
            binders, inner = self.binders(sc, d)
            return f"({q} {binders}: {self.bool_expr(inner, d)})"
        if choice == "set":
            return self.set_pred(sc, d)
        if choice == "enum" and self.enums:
            e = self.pick(self.enums)
            a = self.read(sc, e, d)
            if a is not None:
                self.mark("enum-eq")
                return f"({a} {self.pick(['==', '!='])} {self.enum_expr(sc, e, d)})"
        if choice == "eq":
            compound = [(n, t) for n, t in self.globals.items() if isinstance(t, Map | Rec)]
            if compound:
                n, t = self.pick(compound)
                self.mark("map-eq" if isinstance(t, Map) else "record-eq")
                return f"({n} {self.pick(['==', '!='])} {self.value_of(sc, t, d)})"
        if choice == "def" and self.bool_defs:
            return self.call_def(sc, self.pick(self.bool_defs), d)
        if choice == "proc" and self.procs:
            return self.proc_pred(sc)
        if choice == "lock" and (self.locks or self.lock_arrays):
            return self.lock_pred(sc, d)
        if choice == "if":
            self.mark("if-expr")
            return f"(if {self.bool_expr(sc, d)} then {self.bool_expr(sc, d)} else {self.bool_expr(sc, d)})"
        if choice == "let":
            return self.let(sc, d, self.bool_expr)
        if choice == "sym" and any(isinstance(t, Sym) for t in sc.vars.values()):
            self.mark("eq")
            return f"({self.sym_value(sc)} {self.pick(['==', '!='])} {self.sym_value(sc)})"
        return self.bool_leaf(sc)

    def bool_leaf(self, sc: Scope) -> str:
        if self.chance(0.1):
            return self.pick(["true", "false"])
        if self.chance(0.1) and "FLAG" in self.consts:
            return "FLAG"
        v = self.read(sc, Bool(), 1)
        if v is None or self.chance(0.3):
            op = self.pick(["<", "<=", ">="])
            self.mark({"<": "lt", "<=": "le", ">=": "ge"}[op])
            a = self.read(sc, "int", 1) or "0"
            return f"({a} {op} {self.lit(self.r.randint(0, 2))})"
        return v

    def enum_expr(self, sc: Scope, e: Enum, depth: int) -> str:
        if self.chance(0.7):
            v = self.pick(e.values)
        else:
            v = self.read(sc, e, depth) or self.pick(e.values)
        if v in e.values and e.name == "E" and self.r_choice.random() < 0.2:
            self.mark("enum-qualified")
            return f"E.{v}"
        return v

    def set_pred(self, sc: Scope, depth: int) -> str:
        elem = self.pick(["int", "int", *self.enums])
        s = self.set_expr(sc, elem, depth)
        op = self.pick(["in", "notin", "subset", "==", "!="])
        if op in ("in", "notin"):
            self.mark("set-in" if op == "in" else "set-notin")
            x = self.int_expr(sc, depth) if elem == "int" else self.enum_expr(sc, elem, depth)
            return f"({x} {op} {s})"
        self.mark({"subset": "subset", "==": "set-eq", "!=": "set-ne"}[op])
        if elem == "int":
            self.mark("int-sets-different-ranges")
        return f"({s} {op} {self.set_expr(sc, elem, depth)})"

    def compound_in(self, sc: Scope, depth: int) -> str | None:
        """`x in [D -> S]`, `x in [f: S, ...]` or `x in subset S` (or `notin`) for a map,
        record or set variable x, or a value written for one: mostly of x's own domain and
        fields, now and then of another range or fewer fields (false). Drawn from
        `r_compound`, every stream of the expressions swapped for it: it draws nothing
        from theirs (the main stream goes on as it would have after the expression it
        replaces)."""
        saved = self.r, self.r_seq, self.r_msg, self.r_choice
        self.r = self.r_seq = self.r_msg = self.r_choice = self.r_compound
        try:
            found = [(n, t) for n, t in self.globals.items() if isinstance(t, Map | Rec | SetT)]
            if not found:
                return None
            n, t = self.pick(found)
            x = self.value_of(sc, t, depth - 1) if self.chance(0.3) else n
            op = "in" if self.chance(0.7) else "notin"
            if op == "notin":
                self.mark("notin-compound")
            return f"({x} {op} {self.compound_set(sc, t, depth - 1)})"
        finally:
            self.r, self.r_seq, self.r_msg, self.r_choice = saved

    def compound_set(self, sc: Scope, t: Map | Rec | SetT | Int | Bool | Enum, depth: int) -> str:
        """A set that values of t are in (mostly): `[D -> S]`, `[f: S, ...]`, `subset S`,
        or for a scalar a set of its values (an elem_set, or one that reads the state)."""
        if isinstance(t, Map):
            dims = []
            for d in t.dims:
                if isinstance(d, Int) and self.chance(0.1):
                    self.mark("in-maps-other-domain")
                    wider = d.lo == d.hi or self.chance(0.5)
                    dims.append(f"{d.lo}..{d.hi + 1}" if wider else f"{d.lo + 1}..{d.hi}")
                else:
                    dims.append(self.binder(d))
            self.mark("in-maps")
            return f"[{', '.join(dims)} -> {self.compound_set(sc, t.val, depth)}]"
        if isinstance(t, Rec):
            fields = self.r.sample(t.fields, len(t.fields))  # in any order
            if len(fields) > 1 and self.chance(0.25):
                self.mark("in-records-other-fields")
                fields = fields[1:]
            self.mark("in-records")
            return (
                "["
                + ", ".join(f"{f}: {self.compound_set(sc, ft, depth)}" for f, ft in fields)
                + "]"
            )
        if isinstance(t, SetT):
            self.mark("in-subsets")
            base = self.set_expr(sc, kind(t.elem), depth) if self.chance(0.5) else str(t.elem)
            return f"subset {base}"
        if not isinstance(t, Bool) and self.chance(0.2):
            return self.set_expr(sc, kind(t), depth)
        return self.elem_set(t, self.r)

    def set_expr(self, sc: Scope, elem: object, depth: int) -> str:
        """A set of ints (elem "int"), of an enum's values, or of either (None)."""
        if elem is None:
            elem = self.pick(["int", *self.enums])
        r = self.r.random()
        if depth > 0 and r < 0.35:
            op = self.pick(["union", "inter", "minus"])
            self.mark({"union": "set-union", "inter": "set-inter", "minus": "set-minus"}[op])
            right = self.set_expr(sc, elem, depth - 1)
            if self.chance(0.1):
                self.mark("set-empty")
                right = "{}"
            return f"({self.set_expr(sc, elem, depth - 1)} {op} {right})"
        if r < 0.7:
            found = self.read(sc, ("set", elem), depth)
            if found is not None:
                return found
        if elem == "int":
            choice = self.pick(["lit", "lit", "range", "type"])
            if choice == "range":
                self.mark("set-range")
                lo = self.r.randint(0, 2)
                return f"{self.lit(lo)}..{self.lit(lo + self.r.randint(0, 3))}"
            if choice == "type" and self.named_ranges:
                self.mark("set-type-name")
                return str(self.pick(self.named_ranges))
            self.mark("set-literal")
            return "{" + ", ".join(self.set_elem(sc) for _ in range(self.r.randint(1, 3))) + "}"
        assert isinstance(elem, Enum)
        if self.chance(0.2):
            self.mark("set-type-name")
            return elem.name
        self.mark("set-literal")
        return (
            "{" + ", ".join(self.enum_expr(sc, elem, 0) for _ in range(self.r.randint(1, 2))) + "}"
        )

    def set_elem(self, sc: Scope) -> str:
        """An element of an int set literal: of a known range (a literal or a read of
        a declared range), as the checker needs to count or compare the set."""
        if self.chance(0.5):
            v = self.read(
                Scope({n: t for n, t in sc.vars.items() if t != UNKNOWN}, sc.proc), "int", 0
            )
            if v is not None:
                return v
        return self.lit(self.r.randint(-1, 3))

    def proc_pred(self, sc: Scope) -> str:
        p = self.pick(self.procs)
        which = self.pick(["done", "at"])
        if p.symmetric and not any(t == p.domain for t in sc.vars.values()):
            self.mark("done-set")
            return f"done({p.name})"
        if p.domain is None:
            target = p.name
            self.mark(f"{which}-process")
        elif which == "done" and self.chance(0.4):
            target = p.name
            self.mark("done-set")
        else:
            target = f"{p.name}[{self.index(sc, p.domain, 0)}]"
            self.mark("done-instance" if which == "done" else "at-instance")
        if which == "done":
            return f"done({target})"
        return f"at({target}, {self.pick(p.labels)})"

    def a_lock(self, sc: Scope) -> str | None:
        choices = [
            *self.locks,
            *(
                f"{n}[{self.index(sc, d, 0)}]"
                for n, d in self.lock_arrays
                if self.can_index(sc, Map((d,), Bool()))
            ),
        ]
        return self.pick(choices) if choices else None

    def lock_pred(self, sc: Scope, depth: int) -> str:
        lk = self.a_lock(sc)
        if lk is None:
            return self.bool_leaf(sc)
        choice = self.pick(["locked", "held", "holder", "holder", "holder-holder"])
        if choice == "held" and sc.proc is not None:
            self.mark("held")
            return f"held({lk})"
        if choice == "holder" and self.procs:
            p = self.pick(self.procs)
            op = self.pick(["==", "!="])
            if op == "!=":
                self.mark("holder-ne")
            if p is sc.proc and p.domain is not None and self.chance(0.5):
                self.mark("holder-self")
                return f"(holder({lk}) {op} self)"
            if p.domain is None:
                self.mark("holder-process")
                return f"(holder({lk}) {op} {p.name})"
            if p.symmetric and not any(isinstance(t, Sym) for t in sc.vars.values()):
                self.mark("holder-set")
                return f"(holder({lk}) {op} {p.name})"
            if self.chance(0.4):
                self.mark("holder-set")
                return f"(holder({lk}) {op} {p.name})"
            self.mark("holder-instance")
            return f"(holder({lk}) {op} {p.name}[{self.index(sc, p.domain, depth)}])"
        if choice == "holder-holder":
            self.mark("holder-holder")
            return f"(holder({lk}) == holder({self.a_lock(sc) or lk}))"
        self.mark("locked")
        return f"locked({lk})"

    # ---------------------------------------------------------------- values of a type

    def value_of(self, sc: Scope, t: Type, depth: int) -> str:
        """An expression of type t, for assignment: ints mostly kept in range."""
        if isinstance(t, Int):
            return self.int_in(sc, t, depth)
        if isinstance(t, Bool):
            return self.bool_expr(sc, depth)
        if isinstance(t, Enum):
            return self.enum_expr(sc, t, depth)
        if isinstance(t, Sym):
            return self.sym_value(sc)
        if isinstance(t, Seq):
            return self.seq_value(sc, t, depth)
        if isinstance(t, MsgSet):
            return self.msg_value(sc, depth)
        if isinstance(t, SetT):
            if isinstance(t.elem, Int) and self.chance(0.8):
                # keep inside the element range mostly: inter with it
                s = self.set_expr(sc, "int", depth)
                return f"({s} inter {t.elem.lo}..{t.elem.hi})"
            return self.set_expr(sc, kind(t.elem), depth)
        if isinstance(t, Rec):
            n = next((n for n, v in sc.vars.items() if v == t), None)
            if n is not None and self.chance(0.6):
                chosen = self.r.sample(t.fields, self.r.randint(1, min(2, len(t.fields))))
                self.mark("record-except" if len(chosen) == 1 else "record-except-multi")
                ups = ", ".join(f"{f} = {self.value_of(sc, ft, depth - 1)}" for f, ft in chosen)
                return f"{{ {n} except {ups} }}"
            self.mark("record-literal")
            return (
                "{ "
                + ", ".join(f"{f}: {self.value_of(sc, ft, depth - 1)}" for f, ft in t.fields)
                + " }"
            )
        assert isinstance(t, Map)
        n = next((n for n, v in sc.vars.items() if v == t), None)
        if n is not None and self.can_index(sc, t) and self.chance(0.6):
            k = 2 if self.chance(0.3) else 1
            self.mark("map-except" if k == 1 else "map-except-multi")
            ups = ", ".join(
                f"[{', '.join(self.index(sc, d, 0) for d in t.dims)}] = "
                f"{self.value_of(sc, t.val, depth - 1)}"
                for _ in range(k)
            )
            return f"[{n} except {ups}]"
        return self.map_literal(sc, t, depth)

    def map_literal(self, sc: Scope, t: Map, depth: int) -> str:
        inner = Scope(dict(sc.vars), sc.proc, sc.in_step, sc.bound + 1)
        binds = []
        for k, d in enumerate(t.dims):
            name = f"j{inner.bound}_{k}"
            inner.vars[name] = d
            binds.append(f"{name} in {self.binder(d)}")
        self.mark("map-literal2" if len(t.dims) == 2 else "map-literal")
        return f"[{', '.join(binds)} |-> {self.value_of(inner, t.val, max(depth - 1, 0))}]"

    def int_in(self, sc: Scope, t: Int, depth: int) -> str:
        """An int expression that stays in t mostly; sometimes not (a range error)."""
        e = self.int_expr(sc, depth)
        r = self.r.random()
        width = t.hi - t.lo + 1
        if r < 0.4:
            self.mark("mod")
            return f"(({e}) % {width} + {t.lo})" if t.lo else f"(({e}) % {width})"
        if r < 0.7:
            self.mark("min", "max")
            return f"min(max({e}, {t.lo}), {t.hi})"
        if r < 0.85 and self.reads_state(e) and "dint(" not in e:
            # raw: may leave the range; not constant, so no static error (a def's
            # body may ignore its arguments: it is kept out)
            return e
        return self.pick(values(t))

    def reads_state(self, e: str) -> bool:
        state = set(self.globals) | {p.name for p in self.procs}
        for p in self.procs:
            state |= set(p.locals)
        return any(w in state for w in re.findall(r"[A-Za-z_]\w*", e))

    # ---------------------------------------------------------------- declarations

    def declare_var(self, lines: list[str], name: str, t: Type, sc: Scope) -> None:
        self.globals[name] = t
        self.space *= size(t)
        if isinstance(t, Int | Enum | Bool) and self.chance(0.5):
            if self.chance(0.5) or not isinstance(t, Int):
                opts = values(t)
                chosen = self.r.sample(opts, self.r.randint(1, min(3, len(opts))))
                self.mark("var-in-literal")
                lines.append(f"var {name} : {t} in {{{', '.join(chosen)}}}")
            else:
                self.mark("var-in-range")
                lo = self.r.randint(t.lo, t.hi)
                lines.append(f"var {name} : {t} in {lo}..{self.r.randint(lo, t.hi)}")
            if self.chance(0.3):
                self.mark("init-constraint")
                lines.append(f"init {self.bool_expr(Scope(dict(self.globals)), 1)}")
            return
        if isinstance(t, Int) and sc.vars and self.chance(0.3):
            prev = [n for n, v in sc.vars.items() if isinstance(v, Int)]
            if prev:
                self.mark("var-reads-earlier-var")
                lines.append(f"var {name} : {t} = min(max({self.pick(prev)}, {t.lo}), {t.hi})")
                return
        init = self.initial(t)
        if isinstance(t, Map | Rec | SetT) and self.r_init.random() < 0.15:
            lines.append(f"var {name} : {t} in {self.initial_set(t, init)}")
            if self.r_init.random() < 0.5:
                self.mark("init-constraint")
                lines.append(f"init {self.initial_constraint(name, t)}")
            return
        lines.append(f"var {name} : {t} = {init}")

    # drawn from `r_init` (and after the main stream's literal, which they replace) where
    # the main stream would change the specs without them
    def initial_set(self, t: Map | Rec | SetT, literal: str) -> str:
        """A set of initial values of a map, record or set variable: all maps to a set,
        all records of given field sets, all subsets, or a literal of values."""
        r = self.r_init
        if r.random() < 0.2:
            self.mark("var-in-values")
            return "{" + ", ".join(dict.fromkeys([literal, self.initial_literal(t)])) + "}"
        if isinstance(t, Map) and self.sized and self.pair() in t.dims:
            return "{" + literal + "}"  # prove refuses a map chosen over 1..N
        if isinstance(t, Map):
            self.mark("var-in-maps")
            return f"[{', '.join(map(str, t.dims))} -> {self.elem_set(t.val)}]"
        if isinstance(t, Rec):
            self.mark("var-in-records")
            return self.elem_set(t)
        self.mark("var-in-subsets")
        return f"subset {self.elem_set(t.elem)}"

    def initial_literal(self, t: Type) -> str:
        """`initial` drawing from r_init."""
        saved, self.r = self.r, self.r_init
        try:
            return self.initial(t)
        finally:
            self.r = saved

    def elem_set(self, t: Int | Bool | Enum | Rec, r: random.Random | None = None) -> str:
        """A set of values of t, now and then with one outside it (a range error where
        a variable starts in it), drawn from r (default r_init)."""
        r = r or self.r_init
        if isinstance(t, Rec):
            return "[" + ", ".join(f"{f}: {self.elem_set(ft, r)}" for f, ft in t.fields) + "]"
        if isinstance(t, Int) and r.random() < 0.1:
            return f"{t.lo}..{t.hi + 1}"
        if r.random() < 0.3:
            return self.binder(t)
        vals = values(t)
        return "{" + ", ".join(r.sample(vals, r.randint(1, min(2, len(vals))))) + "}"

    def initial_constraint(self, name: str, t: Map | Rec | SetT) -> str:
        """An `init` constraint on a chosen map, record or set."""
        r = self.r_init
        if isinstance(t, SetT):
            self.mark("card")
            return f"card({name}) <= {r.randint(0, 2)}"
        if isinstance(t, Rec):
            f, ft = r.choice(t.fields)
            self.mark("record-field")
            return f"{name}.{f} != {r.choice(values(ft))}"
        names = [f"q{k}" for k in range(len(t.dims))]
        binds = ", ".join(f"{n} in {d}" for n, d in zip(names, t.dims))
        elem = f"{name}[{', '.join(names)}]"
        val = t.val
        if isinstance(val, Rec):
            f, val = r.choice(val.fields)
            elem += f".{f}"
        self.mark("count", "map-index2" if len(names) == 2 else "map-index")
        return f"(count {binds}: {elem} == {r.choice(values(val))}) <= {r.randint(1, 2)}"

    def initial(self, t: Type) -> str:
        """A constant initial value of type t."""
        if isinstance(t, Int | Bool | Enum):
            return self.pick(values(t))
        if isinstance(t, SetT):
            vals = values(t.elem)
            chosen = self.r.sample(vals, self.r.randint(0, min(2, len(vals))))
            self.mark("set-literal" if chosen else "set-empty")
            return "{" + ", ".join(chosen) + "}"
        if isinstance(t, Rec):
            self.mark("record-literal")
            return "{ " + ", ".join(f"{f}: {self.initial(ft)}" for f, ft in t.fields) + " }"
        assert isinstance(t, Map)
        names = [f"q{k}" for k in range(len(t.dims))]
        self.mark("map-literal2" if len(t.dims) == 2 else "map-literal")
        binds = ", ".join(f"{n} in {self.binder(d)}" for n, d in zip(names, t.dims))
        return f"[{binds} |-> {self.initial(t.val)}]"

    def int_type(self) -> Int:
        if self.named_ranges and self.chance(0.3):
            return self.pick(self.named_ranges)
        lo = self.pick([0, 0, 0, 1, -1])
        return Int(lo, lo + self.r.randint(1, 3))

    def binder(self, d: Domain) -> str:
        """A domain as written after `in` (`bool` is the set of its two values)."""
        if isinstance(d, Bool):
            self.mark("bool-as-set")
        return str(d)

    def small_domain(self) -> Domain:
        r = self.r.random()
        if r < 0.2 and self.enums:
            self.mark("var-map-enum-domain")
            return self.pick(self.enums)
        if r < 0.3 and "B" in self.types:
            self.mark("var-map-bool-domain")
            return Bool()
        lo = self.pick([0, 1])
        return self.pair() if lo == 1 else Int(lo, lo + 1)

    def field_type(self) -> Int | Bool | Enum:
        r = self.r.random()
        if r < 0.4:
            return Bool()
        if r < 0.6 and self.enums:
            return self.pick(self.enums)
        lo = self.pick([0, 1])
        return Int(lo, lo + self.r.randint(1, 2))

    def var_type(self) -> Type:
        choice = self.pick(
            ["int", "int", "bool", "enum", "map1", "map2", "rec", "set", "set", "maprec"]
        )
        if choice == "int":
            self.mark("var-int")
            return self.int_type()
        if choice == "bool":
            self.mark("var-bool")
            return Bool()
        if choice == "enum" and self.enums:
            self.mark("var-enum")
            return self.pick(self.enums)
        if choice == "map1":
            self.mark("var-map1")
            return Map(
                (self.small_domain(),), self.pick([self.int_type(), Bool(), self.field_type()])
            )
        if choice == "map2":
            self.mark("var-map2")
            return Map((self.small_domain(), self.pair()), self.pick([Bool(), Int(0, 1)]))
        if choice == "rec":
            self.mark("var-record")
            return self.record_type()
        if choice == "maprec":
            self.mark("var-map-of-record")
            return Map((self.pair(),), self.record_type(2))
        if self.enums and self.chance(0.3):
            self.mark("var-set-enum")
            return SetT(self.pick(self.enums))
        self.mark("var-set-int")
        lo = self.pick([0, 1, -1])
        return SetT(Int(lo, lo + self.r.randint(1, 3)))

    def record_type(self, nfields: int = 0) -> Rec:
        named = [t for n, t in self.types.items() if isinstance(t, Rec)]
        if named and self.chance(0.5):
            return self.pick(named)
        n = nfields or self.r.randint(1, 3)
        return Rec(tuple((f, self.field_type()) for f in ("f", "g", "h")[:n]))

    # ---------------------------------------------------------------- the spec

    def generate(self, symmetric: bool | None = None, liveness: bool = False) -> Generated:
        if symmetric is None:
            symmetric = self.chance(0.2)
        out: list[str] = []
        if self.chance(0.5):
            self.mark("spec-header")
            out.append(f"spec Gen{self.seed}")
        if self.chance(0.3):
            self.mark("include-prelude")
            out.append('include "prelude"')
        out.append(f"# generated by specgen, seed {self.seed}")
        self.mark("comment-hash")
        self.declare_consts(out)
        self.declare_types(out, symmetric)
        sc = Scope({})
        for k in range(self.r.randint(2, 5)):
            t = self.var_type()
            if self.space * size(t) > self.MAX_SPACE:
                continue
            self.declare_var(out, f"x{k}", t, sc)
            sc.vars[f"x{k}"] = t
        if self.r_seq.random() < 0.3:
            self.declare_seq(out, sc)
        if self.r_msg.random() < 0.3:
            self.declare_msgs(out, sc)
        if self.sym is not None and self.sym.name == "S":
            self.globals["cnt"] = Map((self.sym,), Int(0, 2))
            self.space *= 9
            self.mark("var-map1")
            out.append("var cnt : [S] -> 0..2 = [c in S |-> 0]")
        if self.chance(0.4):
            self.page = "page"
            self.globals["page"] = Rec((("count", Int(0, 3)), ("locked", Bool())))
            self.space *= 8
            out.append(
                "var page : record { count: 0..3, locked: bool } = "
                "{ count: 1, locked: false }  // for the prelude's page primitives"
            )
            self.mark("comment-slash")
        self.declare_locks(out)
        self.declare_defs(out)
        self.declare_macros(out)
        self.plan_processes(symmetric)
        for p in self.procs:
            self.emit_process(out, p)
        for k in range(self.r.randint(0 if self.procs else 1, 2)):
            self.emit_action(out, k)
        invs, lemmas = self.emit_invariants(out)
        if self.chance(0.3):
            self.mark("terminal")
            out.append(f"terminal {self.bool_expr(Scope(dict(self.globals)), 1)}")
        if self.chance(0.1):
            self.mark("expect")
            checks = ""
            if self.r_lemma.random() < 0.5:
                self.mark("expect-invariants")
                checks = f" (invariants {', '.join(invs + lemmas)})"
            out.append(f"expect holds{checks}  # not checked here")
        self.emit_constraints(out)
        self.emit_covers(out)
        invs += self.emit_options(out)
        invs += self.emit_pool(out)
        properties = self.emit_liveness(out) if liveness else ()
        text = self.choices_in_text("\n".join(out) + "\n", sc)
        return Generated(
            self.seed,
            text,
            frozenset(self.used),
            invs,
            self.sym is not None or any(p.symmetric for p in self.procs),
            lemmas,
            properties,
            sized_constructs(text) if self.sized else frozenset(),
        )

    def choices_in_text(self, text: str, sc: Scope) -> str:
        """Drawn on a stream of their own, after the rest: a second enum F sharing E's first
        value name (E's written `E.e0` everywhere, F's unqualified where the context says
        F's), and x0 renamed `lock`, `init` or `with` (names but where a declaration or
        statement starts)."""
        shared = self.types["E"].values[0] if "E" in self.types else ""  # type: ignore[union-attr]
        # (not where the name is also bound, as a sequence's quantifier may bind it)
        if shared and self.r_choice.random() < 0.3 and not re.search(rf"\b{shared} in\b", text):
            self.mark("enum-shared-value", "enum-qualified")
            lines = text.splitlines()
            at = next(k for k, line in enumerate(lines) if line.startswith("type E = enum"))
            text = "\n".join(
                line if k == at else re.sub(rf"(?<![.\w]){shared}(?!\w)", f"E.{shared}", line)
                for k, line in enumerate(lines)
            )
            text = text.replace(
                lines[at],
                f"{lines[at]}\ntype F = enum {{ f_a, {shared} }}\nvar xf : F = {shared}"
                f"\ninit xf == {shared} or xf == F.f_a",
            )
            text += "\n"
        if "x0" in sc.vars and self.r_choice.random() < 0.2:
            self.mark("var-named-keyword")
            text = re.sub(r"\bx0\b", self.r_choice.choice(["lock", "init", "with"]), text)
        return text

    def declare_consts(self, out: list[str]) -> None:
        if self.sized:
            # `?` is every N of 1..3, of 1..64 or every N >= 1 (at which a CTI may take
            # z3's choice of N, as large as 30,000: seconds to build)
            out.append(f"const N : 1..{self.r_size.choice(['3', '64', ''])} = 2")
            if self.r_size.random() < 0.5:
                t = Int(1, 2, "P")
                self.types["P"] = t
                self.named_ranges.append(t)
                out.append("type P = 1..N")
        if self.chance(0.5):
            self.mark("const-int")
            self.consts["K"] = k = self.r.randint(1, 2)
            if self.chance(0.5):
                self.mark("const-range")
                out.append(f"const K : 1..3 = {k}")
            else:
                out.append(f"const K = {k}")
            if self.chance(0.3):
                self.mark("assume")
                out.append("assume K >= 1 and K <= 3")
            if self.chance(0.5):
                self.mark("type-range")
                t = Int(0, k, "R")
                self.types["R"] = t
                self.named_ranges.append(t)
                out.append("type R = 0..K")
        if self.chance(0.4):
            self.mark("const-bool")
            self.consts["FLAG"] = self.chance(0.5)
            out.append(f"const FLAG = {str(self.consts['FLAG']).lower()}")

    def declare_types(self, out: list[str], symmetric: bool) -> None:
        if self.chance(0.6):
            self.mark("type-enum")
            e = Enum("E", tuple(f"e{k}" for k in range(self.r.randint(2, 3))))
            self.enums.append(e)
            self.types["E"] = e
            out.append(f"type E = enum {{ {', '.join(e.values)} }}")
        if self.chance(0.3):
            self.mark("type-record")
            t = Rec(
                tuple((f, self.field_type()) for f in ("f", "count")[: self.r.randint(1, 2)]), "Rt"
            )
            self.types["Rt"] = t
            out.append(f"type Rt = record {{ {', '.join(f'{f}: {ft}' for f, ft in t.fields)} }}")
        if self.chance(0.3):
            self.types["B"] = Bool()
            out.append("type B = bool")
        if symmetric:
            if self.chance(0.7):
                self.mark("type-symmetric-range")
                self.sym = Sym("S", 2)
                out.append(f"type S = symmetric {self.pair()}")
            elif self.chance(0.5):
                self.mark("type-symmetric-enum")
                self.sym = Sym("S", 2)
                out.append("type S = symmetric enum { s_a, s_b }")
            else:
                self.sym = Sym("@range", 2)  # a symmetric process set over a range

    def declare_locks(self, out: list[str]) -> None:
        if self.chance(0.6):
            self.mark("lock")
            self.locks.append("L")
            out.append("lock L")
        if self.chance(0.3):
            self.mark("lock-array")
            d = self.sym if self.sym and self.sym.name == "S" and self.chance(0.5) else self.pair()
            self.lock_arrays.append(("LA", d))
            out.append(f"lock LA : [{d}]")

    def declare_defs(self, out: list[str]) -> None:
        sc = Scope(dict(self.globals))
        if self.chance(0.5):
            self.mark("def-no-params")
            out.append(f"def dflag = {self.bool_expr(sc, 2)}")
            self.bool_defs.append(("dflag", 0))
        if self.chance(0.5):
            self.mark("def-params")
            inner = Scope({**sc.vars, "a": UNKNOWN, "b": UNKNOWN})
            arity = self.r.randint(1, 2)
            inner.vars = {n: t for n, t in inner.vars.items() if n != "b" or arity == 2}
            params = ", ".join("ab"[:arity])
            if self.chance(0.5):
                out.append(f"def dint({params}) = {self.int_expr(inner, 2)}")
                self.int_defs.append(("dint", arity))
            else:
                out.append(f"def dpred({params}) = {self.bool_expr(inner, 2)}")
                self.bool_defs.append(("dpred", arity))

    def declare_macros(self, out: list[str]) -> None:
        if self.chance(0.4):
            self.mark("macro", "macro-place-arg")
            # by-name: the argument is a place; the update is kept in the range 0..1
            out.append("macro flip(v) { v := (v + 1) % 2 }")
            self.macros.append(("flip", "place"))
        if self.chance(0.4):
            self.mark("macro", "macro-return")
            body = "if v > 1 { return false }; return true" if self.chance(0.5) else "return v >= 1"
            self.mark("semicolon")
            out.append(f"macro small(v) {{ {body} }}")
            self.macros.append(("small", "value"))

    # ---------------------------------------------------------------- processes

    def plan_processes(self, symmetric: bool) -> None:
        n = self.r.randint(0, 2) if not symmetric else 1
        for k in range(n):
            labels = [f"p{k}l{j}" for j in range(self.r.randint(1, 3))]
            if self.chance(0.05):
                self.mark("label-dunder")
                labels[0] = f"__p{k}start"
            p = Proc(f"p{k}", labels)
            if self.chance(0.4) or (symmetric and k == 0):
                p.domain = self.pair()
                if self.chance(0.3):
                    self.mark("process-set-binder")
                    p.binder = "me"
            self.procs.append(p)
        if symmetric:
            p = Proc(
                "w",
                ["wl0", "wl1"],
                self.sym if self.sym.name == "S" else Sym("w", 2),
                symmetric=True,
            )
            self.mark(
                "symmetric-process-set" if self.sym.name == "S" else "symmetric-process-range"
            )
            self.procs.append(p)
        for p in self.procs:
            if self.chance(0.5):
                t: Type = self.pick([Int(0, 2), Bool()])
                p.locals["t"] = t
            if self.chance(0.3):
                p.locals["ok"] = Bool()
            per = len(p.labels) + 1
            for t in p.locals.values():
                per *= size(t)
            self.space *= per ** (size(p.domain) if p.domain else 1)

    def emit_process(self, out: list[str], p: Proc) -> None:
        head = "process"
        if p.symmetric:
            head = "symmetric process"
            dom = "S" if p.domain.name == "S" else str(self.pair())
            head += f" {p.name}[self in {dom}]"
        elif p.domain is not None:
            self.mark("process-set")
            head += f" {p.name}[{p.binder} in {p.domain}]"
        else:
            self.mark("process")
            head += f" {p.name}"
        out.append(f"{head} {{")
        for v, t in p.locals.items():
            self.mark("local-var")
            if isinstance(t, Int) and self.chance(0.5):
                self.mark("local-var-in")
                out.append(f"  var {v} : {t} in 0..1")
            else:
                out.append(f"  var {v} : {t} = {self.initial(t)}")
        sc = Scope(dict(self.globals), p, True)
        sc.vars.update(p.locals)
        if p.domain is not None:
            self_type = p.domain if not p.symmetric else Sym(p.domain.name, 2)
            sc.vars["self"] = self_type
            self.mark("self")
            if p.binder != "self":
                sc.vars[p.binder] = self_type
        for j, label in enumerate(p.labels):
            out.append(f"{label}:")
            body = self.block(sc, p, j, 2)
            for s in body:
                out.append("  " + s)
        out.append("}")

    def block(self, sc: Scope, p: Proc, j: int, depth: int) -> list[str]:
        """Statements of step j of p; the last may be a goto."""
        stmts = [self.statement(sc, p, j, depth) for _ in range(self.r.randint(1, 3))]
        if self.chance(0.25):
            stmts.append(self.goto(p, j))
        return stmts

    def goto(self, p: Proc, j: int) -> str:
        target = self.r.randrange(len(p.labels) + 1)
        if target == len(p.labels):
            self.mark("goto-done")
            return "goto Done"
        self.mark("goto-backward" if target <= j else "goto-forward")
        return f"goto {p.labels[target]}"

    def single(self, sc: Scope, p: Proc, j: int) -> str:
        """The statement after `then`/`else`: braced when it is itself an `if`."""
        s = self.statement(sc, p, j, 0)
        return "{ " + s + " }" if s.startswith("if ") else s

    def sub_block(self, sc: Scope, p: Proc, j: int, depth: int) -> str:
        return "{ " + "; ".join(self.block(sc, p, j, depth)) + " }"

    def statement(self, sc: Scope, p: Proc, j: int, depth: int) -> str:
        if depth > 0 and self.r_choice.random() < 0.03:
            return self.with_stmt(sc, p, j, depth - 1)
        choice = self.pick(
            [
                "assign",
                "assign",
                "assign",
                "if",
                "either",
                "await",
                "assert",
                "lock",
                "atomic",
                "macro",
                "prelude",
                "skip",
            ]
        )
        d = depth - 1
        if choice == "if" and depth > 0:
            return self.if_stmt(sc, p, j, d)
        if choice == "either" and depth > 0:
            return self.either(sc, p, j, d)
        if choice == "await":
            self.mark("await")
            return f"await {self.bool_expr(sc, 2)}"
        if choice == "assert":
            self.mark("assert")
            if self.chance(0.5):
                self.mark("assert-message")
                return f'assert {self.bool_expr(sc, 2)}, "check {j}"'
            return f"assert {self.bool_expr(sc, 2)}"
        if choice == "lock" and (self.locks or self.lock_arrays):
            return self.lock_stmt(sc)
        if choice == "atomic":
            s = self.atomic(sc)
            if s:
                return s
        if choice == "macro" and self.macros:
            return self.macro_stmt(sc, p, j, d)
        if choice == "prelude" and self.page:
            return self.prelude_stmt(sc)
        if choice == "skip":
            self.mark("skip")
            return "skip"
        return self.assign(sc)

    def if_stmt(self, sc: Scope, p: Proc, j: int, depth: int) -> str:
        cond = self.bool_expr(sc, 2)
        if self.locks and self.chance(0.15):
            self.mark("trylock-in-if", "trylock")
            cond = f"trylock({self.a_lock(sc)})"
        r = self.r.random()
        if r < 0.3:
            self.mark("if-then")
            return f"if {cond} then {self.single(sc, p, j)}"
        if r < 0.5:
            self.mark("if-then-else")
            return f"if {cond} then {self.single(sc, p, j)} else {self.single(sc, p, j)}"
        self.mark("if-braces")
        text = f"if {cond} {self.sub_block(sc, p, j, depth)}"
        if self.chance(0.3):
            self.mark("else-if")
            text += f" else if {self.bool_expr(sc, 1)} {self.sub_block(sc, p, j, depth)}"
        if self.chance(0.6):
            text += f" else {self.sub_block(sc, p, j, depth)}"
        if "either" in text:
            self.mark("either-in-if")
        return text

    def either(self, sc: Scope, p: Proc, j: int, depth: int) -> str:
        self.mark("either")
        n = 3 if self.chance(0.25) else 2
        if n == 3:
            self.mark("either-three")
        blocks = [self.block(sc, p, j, depth) for _ in range(n)]
        if depth == 1 and self.r_choice.random() < 0.15:  # an either that is a step's own
            self.mark("either-label")  # the branch goes on in a step of its own
            k = self.r_choice.randrange(n)
            at = self.r_choice.randrange(len(blocks[k]) + 1)
            blocks[k].insert(at, f"{p.labels[j]}_in{len(self.used_labels)}:")
            self.used_labels.add(blocks[k][at])
        branches = ["{ " + "; ".join(b).replace(":;", ":") + " }" for b in blocks]
        if any("either" in b for b in branches):
            self.mark("either-in-either")
        return "either " + " or ".join(branches)

    def with_stmt(self, sc: Scope, p: Proc, j: int, depth: int) -> str:
        """`with x in S { ... }`: S any quantifier domain (it may read the state)."""
        self.mark("with")
        text, inner = self.binders(sc, depth)
        if "," in text:
            self.mark("with-two-binders")
        inner = Scope(inner.vars, sc.proc, sc.in_step, inner.bound)
        return f"with {text} {self.sub_block(inner, p, j, depth)}"

    def lock_stmt(self, sc: Scope) -> str:
        lk = self.a_lock(sc)
        if lk is None:
            return self.assign(sc)
        r = self.r.random()
        if r < 0.35:
            if self.chance(0.3):
                self.mark("spin_lock")
                return f"spin_lock({lk})"
            self.mark("lock-stmt")
            return f"lock {lk}"
        if r < 0.7:
            if self.chance(0.3):
                self.mark("spin_unlock")
                return f"spin_unlock({lk})"
            self.mark("unlock-stmt")
            return f"unlock {lk}"
        place = self.bool_place(sc)
        if place is None:
            self.mark("unlock-stmt")
            return f"if held({lk}) then unlock {lk}"
        self.mark("trylock")
        return f"{place} := trylock({lk})"

    def bool_place(self, sc: Scope) -> str | None:
        places = self.places(sc, Bool())
        return self.pick(places) if places else None

    def places(self, sc: Scope, want: object) -> list[str]:
        """Assignable places holding kind `want` (no bound names)."""
        out = []
        for n, t in sc.vars.items():
            if n not in self.globals and (sc.proc is None or n not in sc.proc.locals):
                continue
            if not self.can_index(sc, t):
                continue
            if kind(t) == want:
                out.append(n)
            elif isinstance(t, Map | Rec) and self.readable(Scope({n: t}), want):
                out.append(self.descend(sc, n, t, want, 0))
        return out

    def atomic(self, sc: Scope) -> str | None:
        target = self.bool_place(sc)
        if target is None:
            return None
        if self.chance(0.5):
            # a scalar, whose range the new value must be in (else a static error)
            ints = [
                (n, t) for n, t in sc.vars.items() if isinstance(t, Int) and self.reads_state(n)
            ]
            if ints:
                self.mark("cas")
                x, t = self.pick(ints)
                return f"{target} := cas({x}, {self.pick(values(t))}, {self.pick(values(t))})"
        self.mark("test-and-set")
        return f"{target} := test_and_set({self.bool_place(sc)})"

    def macro_stmt(self, sc: Scope, p: Proc, j: int, depth: int) -> str:
        name, how = self.pick(self.macros)
        if how == "place":
            ints = [x for x in self.places(sc, "int")]
            return f"flip({self.pick(ints)})" if ints else "skip"
        arg = self.int_expr(sc, 1)
        target = self.bool_place(sc)
        if target is None or self.chance(0.4):
            self.mark("macro-return-in-if")
            return f"if {name}({arg}) {self.sub_block(sc, p, j, max(depth, 0))}"
        return f"{target} := {name}({arg})"

    def prelude_stmt(self, sc: Scope) -> str:
        prim = self.pick(
            [
                "lock_page",
                "trylock_page",
                "unlock_page",
                "get_page",
                "put_page",
                "get_page_unless_zero",
                "page_ref_freeze",
                "page_ref_unfreeze",
                "page_freeze_refs",
                "page_unfreeze_refs",
            ]
        )
        args = "page"
        if prim in (
            "page_ref_freeze",
            "page_ref_unfreeze",
            "page_freeze_refs",
            "page_unfreeze_refs",
        ):
            args += f", {self.r.randint(1, 2)}"
        call = f"{prim}({args})"
        if prim in ("trylock_page", "get_page_unless_zero", "page_ref_freeze", "page_freeze_refs"):
            target = self.bool_place(sc)
            if target is None:
                return "skip"
            call = f"{target} := {call}"
        self.mark(prim)
        return call

    def assign(self, sc: Scope) -> str:
        names = [n for n in sc.vars if n in self.globals or (sc.proc and n in sc.proc.locals)]
        n = self.pick(names) if names else None
        if n is None:
            return "skip"
        t = sc.vars[n]
        if isinstance(t, Map) and self.can_index(sc, t) and self.chance(0.7):
            idx = ", ".join(self.index(sc, d, 1) for d in t.dims)
            if isinstance(t.val, Rec):
                f, ft = self.pick(t.val.fields)
                self.mark("assign-element-field")
                return f"{n}[{idx}].{f} := {self.value_of(sc, ft, 2)}"
            self.mark("assign-element")
            return f"{n}[{idx}] := {self.value_of(sc, t.val, 2)}"
        if isinstance(t, Rec) and self.chance(0.6):
            f, ft = self.pick(t.fields)
            self.mark("assign-field")
            return f"{n}.{f} := {self.value_of(sc, ft, 2)}"
        if isinstance(t, Rec):
            self.mark("assign-record-except")
        self.mark("assign")
        return f"{n} := {self.value_of(sc, t, 2)}"

    # ---------------------------------------------------------------- actions, invariants

    def emit_action(self, out: list[str], k: int) -> None:
        self.mark("action")
        sc = Scope(dict(self.globals))
        params = []
        if self.chance(0.5):
            self.mark("action-params")
            d = self.pick([Int(0, 1), self.pair(), *self.enums])
            sc.vars["k"] = d
            params.append(f"k: {d}")
        head = f"action act{k}" + (f"({', '.join(params)})" if params else "")
        lines = []
        for _ in range(self.r.randint(1, 2)):
            self.mark("action-when")
            lines.append(f"  when {self.bool_expr(sc, 2)}")
        if len(lines) == 2:
            self.mark("action-multi-when")
        targets = [n for n in sc.vars if n in self.globals]
        for n in self.r.sample(targets, min(len(targets), self.r.randint(1, 2))):
            t = sc.vars[n]
            if (
                isinstance(t, Map)
                and not isinstance(t.val, Rec)
                and self.can_index(sc, t)
                and self.chance(0.5)
            ):
                self.mark("primed-element")
                idx = ", ".join(self.index(sc, d, 1) for d in t.dims)
                lines.append(f"  {n}[{idx}]' = {self.value_of(sc, t.val, 2)}")
            elif isinstance(t, Rec) and self.chance(0.5):
                self.mark("primed-field")
                f, ft = self.pick(t.fields)
                lines.append(f"  {n}.{f}' = {self.value_of(sc, ft, 2)}")
            else:
                self.mark("primed-var")
                lines.append(f"  {n}' = {self.value_of(sc, t, 2)}")
        if self.chance(0.3):
            self.mark("action-braces")
            out.append(head + " {")
            out.extend(lines)
            out.append("}")
        else:
            out.append(head)
            out.extend(lines)

    def range_fact(self, sc: Scope) -> str:
        """A fact that holds of a variable of a declared range (in most states)."""
        ints = [(n, t) for n, t in sc.vars.items() if isinstance(t, Int)]
        if not ints:
            return self.bool_expr(sc, 1)
        n, t = self.pick(ints)
        return f"({n} >= {self.lit(t.lo)} and {n} <= {self.lit(t.hi - self.r.randint(0, 1))})"

    def emit_constraints(self, out: list[str]) -> None:
        """State constraints, in some specs: an arbitrary predicate, mostly weakened by a
        fact that holds in most states, placed after it (the predicate is then always
        evaluated, and may fail to) or before it."""
        if self.r_constraint.random() >= 0.25:
            return
        sc = Scope(dict(self.globals))
        for k in range(self.r_constraint.randint(1, 2)):
            self.mark("constraint")
            body = self.bool_expr(sc, 2)
            r = self.r_constraint.random()
            if r < 0.5:
                body = f"{body} or {self.range_fact(sc)}"
            elif r < 0.9:
                body = f"{self.range_fact(sc)} or {body}"
            out.append(f"constraint Con{k}: {body}")

    def emit_covers(self, out: list[str]) -> None:
        """Witness properties, in some specs: arbitrary predicates (some reached, some
        not, some failing to evaluate in some states), and now and then an expectation
        naming them (not checked here)."""
        if self.r_cover.random() >= 0.4:
            return
        sc = Scope(dict(self.globals))
        names = []
        for k in range(self.r_cover.randint(1, 3)):
            self.mark("cover")
            names.append(f"Cov{k}")
            out.append(f"cover Cov{k}: {self.bool_expr(sc, self.r_cover.randint(1, 2))}")
        if self.r_cover.random() < 0.2:
            self.mark("expect-covers")
            out.append(f"expect holds, covers {', '.join(names)}  # not checked here")

    def emit_options(self, out: list[str]) -> tuple[str, ...]:
        """Options, in some specs (drawn on a stream of their own, after the rest): a
        variable `o` of type T? (T 0..2 or bool), now and then an enum with a value
        `none` beside it, actions that store none, some(..) and plain values in o and use
        it where a value is required (a null failure where it is none, a range failure
        past 2), and an invariant: the names of the invariants."""
        r = self.r_option
        if r.random() >= 0.3:
            return ()
        is_int = r.random() < 0.7
        vals = ["0", "1", "2"] if is_int else ["false", "true"]
        use = "(o + 1)" if is_int else "(not o)"  # a null failure where o is none
        lines = [f"var o : {'0..2' if is_int else 'bool'}? = "
                 + r.choice(["none", f"some({r.choice(vals)})", r.choice(vals)])]  # fmt: skip
        enum_none = r.random() < 0.5
        if enum_none:  # `none` an enum's value too: the option's where one is wanted
            self.mark("option-enum-none")
            lines += ["type OPte = enum { opresent, none }", "var opte : OPte = none"]
        guards = ["o == none", "o != none", f"o == some({r.choice(vals)})",
                  f"o != {r.choice(vals)}", "true", f"(o == none or {use} == {vals[1]})"]  # fmt: skip
        values = ["none", f"some({r.choice(vals)})", r.choice(vals), use,
                  f"(if o == none then {r.choice(vals)} else none)"]  # fmt: skip
        if enum_none:
            values.append("(if opte == none then none else o)")
        for k in range(r.randint(1, 2)):
            lines += [f"action opt{k}", f"  when {r.choice(guards)}", f"  o' = {r.choice(values)}"]
            if enum_none and r.random() < 0.5:
                lines.append("  opte' = if o == none then opresent else none")
        fact = f"o == none or {use} >= 1" if is_int else f"o != none => ({use} or o)"
        lines.append(f"invariant Opt: {fact}")
        text = "\n".join(lines)
        self.mark("type-option", "option-none", "option-eq-none", "option-use")
        if "some(" in text:
            self.mark("option-some")
        if re.search(r"= (?:[0-2]|true|false)$|o != [0-2a-z]|then [0-2a-z]+ else none", text, re.M):
            self.mark("option-implicit-some")
        out.extend(lines)
        return ("Opt",)

    def emit_pool(self, out: list[str]) -> tuple[str, ...]:
        """A pool, in some specs (drawn on a stream of its own, after the rest): a
        process that allocates an element, writes and reads it and frees it, now and
        then without checking for none, freeing twice or reading after the free (null
        and free failures), and an invariant over the allocated elements."""
        r = self.r_pool
        if r.random() >= 0.2:
            return ()
        self.mark("pool-decl", "pool-alloc", "pool-free", "pool-allocated", "pool-read")
        self.mark("pool-write")
        checked = r.random() < 0.7
        write = "Pg[pr] := " + r.choice(["1", "2", "(Pg[pr] + 1) % 3"])
        use = r.choice(["pv := Pg[pr]", "await Pg[pr] != 1", "skip"])
        lines = [
            "pool Pg[2] of 0..2 = " + r.choice(["0", "1"]),
            "var pr : Pg? = none",
            "var pv : 0..2 = 0",
            "process pl {",
            "  pa: pr := alloc(Pg)",
            f"      {'if pr != none then ' if checked else ''}{write}",
            "  pb: "
            + r.choice(
                ["free(pr)", "either { free(pr) } or { skip }", "if allocated(pr) then free(pr)"]
            ),  # fmt: skip
            f"  pc: {use}",
        ]
        if r.random() < 0.5:
            lines.append("      goto " + r.choice(["pa", "pb"]))
        lines.append("}")
        lines.append(
            "invariant PoolInv: forall q in Pg: allocated(q) => Pg[q] <= " + r.choice(["1", "2"])
        )
        out.extend(lines)
        return ("PoolInv",)

    # ---------------------------------------------------------------- sequences
    # drawn from `r_seq` where the main stream would change the specs without them

    def declare_seq(self, out: list[str], sc: Scope) -> None:
        r = self.r_seq
        # a symmetric range too (not an enum): its values come from bound names only
        sym = [self.sym] if self.sym and "type-symmetric-range" in self.used else []
        elem = r.choice([Int(0, r.randint(1, 2)), Bool(), *self.enums[:1], *sym])
        t = Seq(r.randint(1, 3), elem)
        if self.space * size(t) > self.MAX_SPACE:
            return
        self.mark("var-seq")
        self.globals["qs"] = sc.vars["qs"] = self.seqs["qs"] = t
        self.space *= size(t)
        n = 0 if isinstance(elem, Sym) else r.randint(0, t.cap)
        out.append(f"var qs : {t} = {self.seq_literal(t, n)}")

    def elem_value(self, sc: Scope, t: Seq) -> str | None:
        """A value of qs's element type, None where there is none to write: a symmetric
        value is only a name bound to one."""
        if isinstance(t.elem, Sym) and not any(v == t.elem for v in sc.vars.values()):
            return None
        return self.value_of(sc, t.elem, 1)

    def seq_literal(self, t: Seq, n: int, sc: Scope | None = None) -> str:
        """A literal of n elements: constants, or with a scope expressions of it."""
        self.mark("seq-literal" if n else "seq-empty")
        items = (
            self.value_of(sc, t.elem, 1) if sc else self.pick(values(t.elem)) for _ in range(n)
        )
        return "<<" + ", ".join(items) + ">>"

    def seq_value(self, sc: Scope, t: Seq, depth: int) -> str:
        """A sequence for `qs`: appended to (past its bound sometimes: a range error), its
        tail (of the empty one sometimes: a domain error), or a literal."""
        choice = self.r_seq.choice(["append", "append", "tail", "tail", "literal", "if"])
        x = self.elem_value(sc, t)
        if choice == "append" and x is not None:
            self.mark("seq-append")
            x = f"append(qs, {x})"
            if self.r_seq.random() < 0.6:
                self.mark("seq-len", "if-expr")
                return f"(if len(qs) < {t.cap} then {x} else qs)"
            return x
        if choice == "tail":
            self.mark("seq-tail")
            if self.r_seq.random() < 0.6:
                self.mark("seq-len", "if-expr")
                return "(if len(qs) > 0 then tail(qs) else qs)"
            return "tail(qs)"
        if choice == "if":
            self.mark("if-expr")
            a, b = self.seq_value(sc, t, depth), self.seq_value(sc, t, depth)
            return f"(if {self.bool_expr(sc, 1)} then {a} else {b})"
        n = self.r_seq.randint(0, t.cap) if x is not None else 0
        return self.seq_literal(t, n, sc)

    def seq_elem(self, sc: Scope, t: Seq) -> str:
        """An element of qs: its head, or at a position (outside its length sometimes:
        a domain error)."""
        r = self.r_seq.random()
        if r < 0.4:
            self.mark("seq-head")
            if self.r_seq.random() < 0.5 and values(t.elem):
                self.mark("seq-len", "if-expr")
                return f"(if len(qs) > 0 then head(qs) else {self.pick(values(t.elem))})"
            return "head(qs)"
        self.mark("seq-index")
        if r < 0.7:
            return f"qs[{self.r_seq.randint(1, t.cap)}]"
        return f"qs[max({self.int_expr(sc, 1)}, 1)]"

    def seq_int(self, sc: Scope, depth: int) -> str:
        t = self.seqs["qs"]
        r = self.r_seq.random()
        if r < 0.35 or depth <= 0:
            self.mark("seq-len")
            return "len(qs)"
        if r < 0.6 and isinstance(t.elem, Int):
            return self.seq_elem(sc, t)
        self.mark("seq-quant")
        q = self.r_seq.choice(["count", "sum"] if isinstance(t.elem, Int) else ["count"])
        self.mark(q)
        # named z.., not e..: the enum E's values are e0, e1, ...
        inner = Scope({**sc.vars, f"z{sc.bound}": t.elem}, sc.proc, sc.in_step, sc.bound + 1)
        body = self.bool_expr(inner, depth - 1) if q == "count" else self.int_expr(inner, depth - 1)
        return f"({q} z{sc.bound} in qs: {body})"

    def seq_bool(self, sc: Scope, depth: int) -> str:
        t = self.seqs["qs"]
        r = self.r_seq.random()
        x = self.elem_value(sc, t)
        if r < 0.3 and x is not None:
            self.mark("seq-in")
            op = self.r_seq.choice(["in", "notin"])
            return f"({x} {op} qs)"
        if r < 0.5:
            self.mark("seq-eq")
            other = self.seq_value(sc, t, max(depth - 1, 0))
            return f"(qs {self.r_seq.choice(['==', '!='])} {other})"
        if r < 0.7 and not isinstance(t.elem, Int) and x is not None:
            return f"({self.seq_elem(sc, t)} == {x})"
        self.mark("seq-quant")
        q = self.r_seq.choice(["forall", "exists"])
        self.mark(q)
        inner = Scope({**sc.vars, f"z{sc.bound}": t.elem}, sc.proc, sc.in_step, sc.bound + 1)
        return f"({q} z{sc.bound} in qs: {self.bool_expr(inner, max(depth - 1, 0))})"

    # ---------------------------------------------------------------- sets of records
    # drawn from `r_msg` where the main stream would change the specs without them

    def declare_msgs(self, out: list[str], sc: Scope) -> None:
        r = self.r_msg
        f = r.choice([Bool(), *self.enums[:1]])
        t = MsgSet(Rec((("f", f), ("g", Int(0, r.randint(1, 2)))), "M"))
        if self.space * size(t) > self.MAX_SPACE:
            return
        self.mark("var-set-record")
        self.msgs = self.globals["ms"] = sc.vars["ms"] = t
        self.space *= size(t)
        out.append(f"type M = record {{ f: {f}, g: {t.rec.fields[1][1]} }}")
        items = ", ".join(self.msg_record(None) for _ in range(r.randint(0, 2)))
        out.append(f"var ms : set of M = {{{items}}}")

    def msg_record(self, sc: Scope | None) -> str:
        """A record literal of M: its fields constants, or with a scope values of
        known ranges (ints of another range sometimes: a range error where stored)."""
        assert self.msgs is not None
        self.mark("record-literal")
        parts = []
        for name, ft in self.msgs.rec.fields:
            value = None
            if sc is not None and self.r_msg.random() < 0.5:
                known = Scope({n: t for n, t in sc.vars.items() if t != UNKNOWN}, sc.proc)
                value = self.read(known, kind(ft), 0)
            parts.append(f"{name}: {value or self.r_msg.choice(values(ft))}")
        return "{" + ", ".join(parts) + "}"

    def msg_scope(self, sc: Scope) -> tuple[str, Scope]:
        """A name bound to a record of M, and the scope with it."""
        assert self.msgs is not None
        name = f"m{sc.bound}"
        return name, Scope({**sc.vars, name: self.msgs.rec}, sc.proc, sc.in_step, sc.bound + 1)

    def msg_set(self, sc: Scope, depth: int) -> str:
        """A set of records of M, to read."""
        r = self.r_msg.random()
        if r < 0.1:
            self.mark("set-record-type-name")
            return "M"
        if r < 0.5 or depth <= 0:
            return "ms"
        return self.msg_value(sc, depth - 1)

    def msg_value(self, sc: Scope, depth: int) -> str:
        """A set of records of M: ms with a record added or taken out, a filter or an
        image of it, the image of M's fields' values, or a literal."""
        assert self.msgs is not None
        (_, f), (_, g) = self.msgs.rec.fields
        choice = self.r_msg.choice(["add", "add", "remove", "filter", "image", "image2", "lit"])
        if choice in ("add", "remove"):
            self.mark("set-record-literal", "set-union" if choice == "add" else "set-minus")
            op = "union" if choice == "add" else "minus"
            return f"(ms {op} {{{self.msg_record(sc)}}})"
        if choice == "filter":
            self.mark("set-filter")
            m, inner = self.msg_scope(sc)
            return f"{{ {m} in {self.msg_set(sc, depth)} | {self.bool_expr(inner, 1)} }}"
        if choice == "image":
            self.mark("set-image")
            m, inner = self.msg_scope(sc)
            gv = self.r_msg.choice(
                [f"{m}.g", "0", f"(if {self.bool_expr(inner, 0)} then 0 else {m}.g)"]
            )
            return f"{{ {{f: {m}.f, g: {gv}}} : {m} in {self.msg_set(sc, depth)} }}"
        if choice == "image2":
            self.mark("set-image", "set-image-two-binders")
            a, b, k = f"a{sc.bound}", f"b{sc.bound}", f"k{sc.bound}"
            # b's set may read a, the binder before it
            inner = Scope({**sc.vars, a: f, k: UNKNOWN}, sc.proc, sc.in_step, sc.bound + 1)
            cond = self.bool_expr(inner, 0)
            return f"{{ {{f: {a}, g: {b}}} : {a} in {self.binder(f)}, {b} in {{ {k} in {g} | {cond} }} }}"
        self.mark("set-record-literal")
        items = ", ".join(self.msg_record(sc) for _ in range(self.r_msg.randint(0, 2)))
        return f"{{{items}}}"

    def msg_int(self, sc: Scope, depth: int) -> str:
        r = self.r_msg.random()
        if r < 0.4:
            self.mark("card", "set-record-card")
            return f"card({self.msg_set(sc, depth)})"
        if r < 0.6:
            # a filter of a set of ints: the binder is of no known range to the generator
            self.mark("card", "set-filter")
            k = f"k{sc.bound}"
            inner = Scope({**sc.vars, k: UNKNOWN}, sc.proc, sc.in_step, sc.bound + 1)
            dom = self.set_expr(sc, "int", min(depth, 1))
            return f"card({{ {k} in {dom} | {self.bool_expr(inner, max(depth - 1, 0))} }})"
        q = self.r_msg.choice(["count", "sum"])
        self.mark(q, "set-record-quant")
        m, inner = self.msg_scope(sc)
        body = self.bool_expr(inner, max(depth - 1, 0)) if q == "count" else f"{m}.g"
        return f"({q} {m} in {self.msg_set(sc, depth)}: {body})"

    def msg_bool(self, sc: Scope, depth: int) -> str:
        r = self.r_msg.random()
        if r < 0.3:
            self.mark("set-record-in", "set-record-literal")
            op = self.r_msg.choice(["in", "notin"])
            return f"({self.msg_record(sc)} {op} {self.msg_set(sc, depth)})"
        if r < 0.45:
            # the image of a set of ints, asked of a value (of no known range: it is not
            # counted or compared)
            self.mark("set-image", "set-in")
            k = f"k{sc.bound}"
            dom = self.set_expr(sc, "int", min(depth, 1))
            return f"({self.int_expr(sc, 0)} in {{ {k} + 1 : {k} in {dom} }})"
        if r < 0.6:
            op = self.r_msg.choice(["subset", "==", "!="])
            self.mark({"subset": "subset", "==": "set-eq", "!=": "set-ne"}[op])
            return f"({self.msg_set(sc, depth)} {op} {self.msg_set(sc, depth)})"
        q = self.r_msg.choice(["forall", "exists"])
        self.mark(q, "set-record-quant")
        m, inner = self.msg_scope(sc)
        return f"({q} {m} in {self.msg_set(sc, depth)}: {self.bool_expr(inner, max(depth - 1, 0))})"

    def emit_liveness(self, out: list[str]) -> tuple[str, ...]:
        """`fair` or `strongly fair` before some processes and actions, and temporal
        properties of every kind over arbitrary predicates: their names. Every draw,
        those of the predicates included, is on a stream of its own, so that the rest
        of the spec is the one generate(seed) gives."""
        r = self.r_live
        for k, line in enumerate(out):
            head = line.split(" ")[0] if not line.startswith(" ") else ""
            if head in ("process", "symmetric", "action") and r.random() < 0.6:
                strong = r.random() < 0.35
                what = "process" if head != "action" else "action"
                self.mark(f"{'strongly-' if strong else ''}fair-{what}")
                if head == "symmetric":
                    self.mark("fair-symmetric-process")
                out[k] = f"{'strongly fair' if strong else 'fair'} {line}"
        streams = self.r, self.r_compound, self.r_seq, self.r_msg, self.r_choice
        self.r = self.r_compound = self.r_seq = self.r_msg = self.r_choice = r
        sc = Scope(dict(self.globals))
        names = []
        for k in range(r.randint(1, 3)):
            kind = r.choice(["eventually", "always-eventually", "eventually-always", "leads-to"])
            self.mark(f"property-{kind}")
            p = self.bool_expr(sc, r.randint(0, 2))
            if kind == "leads-to":
                body = f"{p} leads_to {self.bool_expr(sc, r.randint(0, 2))}"
            else:
                body = f"{kind.replace('-', ' ')} {p}"
            names.append(f"Prop{k}")
            out.append(f"property Prop{k}: {body}")
        self.r, self.r_compound, self.r_seq, self.r_msg, self.r_choice = streams
        if r.random() < 0.2:
            self.mark("expect-property")
            cycle = ""
            if r.random() < 0.5:
                self.mark("expect-cycle")
                cycle = f" (cycle of {r.randint(1, 4)} steps)"
            out.append(f"expect violates property {r.choice(names)}{cycle}  # not checked here")
        return tuple(names)

    def emit_invariants(self, out: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The invariants, some of them declared `lemma`: their names, and the lemmas'."""
        sc = Scope(dict(self.globals))
        names: list[str] = []
        lemmas: list[str] = []
        for k in range(self.r.randint(1, 3)):
            body = self.bool_expr(sc, 3)
            r = self.r.random()
            if r < 0.3:  # weaker invariants, so that some hold
                body = f"{body} or {self.bool_expr(sc, 1)}"
            elif r < 0.6:
                body = f"{self.range_fact(sc)} or {body}"
            if self.r_lemma.random() < 0.15:
                self.mark("lemma")
                lemmas.append(f"Lem{k}")
                out.append(f"lemma Lem{k}: {body}")
            else:
                self.mark("invariant")
                names.append(f"Inv{k}")
                out.append(f"invariant Inv{k}: {body}")
        return tuple(names), tuple(lemmas)


MAX_DRAWS = 20
STATIC_SET_RANGE = "a set with an element outside its range"
# an int written that folds to a constant outside the place's range (`if` of a constant
# condition, whose branch the generator took for one that reads the state)
STATIC_INT_RANGE = re.compile(r"^value -?\d+ is outside the range ")


@functools.cache  # loading takes a tenth of a second: the tests ask for each seed twice
def generate(
    seed: int, symmetric: bool | None = None, liveness: bool = False, sized: bool = False
) -> Generated:
    """The spec of `seed` (with `liveness`, the same spec with fairness and temporal
    properties: tests/reliability/test_liveness_differential.py; with `sized`, one whose
    domains 1..2 are 1..N, for a size constant `const N : 1..3 = 2` or `1.. = 2` that
    prove may leave symbolic: test_symbolic_differential.py). The generator does not track which set elements are certainly
    present, so a draw may write one certainly outside a set variable's range, which the
    checker rejects statically (as `x := 5` into a 0..2, which a value folded to a
    constant may be too); such a draw is replaced by the
    seed's next one, so that every spec reaches the explorer. Any other spec error is
    returned as it is, for the tests to report."""
    for draw in range(MAX_DRAWS):
        g = SpecGen(seed, draw, sized).generate(symmetric, liveness)
        try:
            spec.load(g.text)
        except SpecErrors as e:
            if all(
                STATIC_SET_RANGE in err.message or STATIC_INT_RANGE.match(err.message)
                for err in e.errors
            ):
                continue
        return g
    raise RuntimeError(f"seed {seed}: {MAX_DRAWS} draws all rejected statically")


def shrink(text: str, fails: Callable[[str], bool]) -> str:
    """A smaller spec that still `fails`: greedy deletion of lines, then of the
    operands of `and`/`or` and the branches of `either` (to reproduce a failure by
    hand: `shrink(generate(seed).text, predicate)`). `fails` gets candidate texts,
    ill-typed ones included: it should answer False on a spec error."""
    lines = text.splitlines()
    changed = True
    while changed:
        changed = False
        for k in range(len(lines) - 1, -1, -1):
            for cut in _simpler(lines[k]):
                candidate = lines[:k] + ([cut] if cut else []) + lines[k + 1 :]
                if fails("\n".join(candidate) + "\n"):
                    lines, changed = candidate, True
                    break
    return "\n".join(lines) + "\n"


def _simpler(line: str) -> list[str]:
    """The line deleted, or with one `{ ... }` branch or one `or`/`and` operand less."""
    out = [""]
    for sep in (" or ", " and "):
        parts = line.split(sep)
        out += [sep.join(parts[:k] + parts[k + 1 :]) for k in range(len(parts)) if len(parts) > 1]
    return out
