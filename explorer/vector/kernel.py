"""Fused numpy kernels: the action instances of a program as one straight-line numpy
function, generated as Python source and compiled once.

`expand(W, en, out)` applies every instance it covers to a chunk of packed states W
((words, n) uint64). A slot's field is masked out of its word once per chunk and shared
by every guard that tests it; a comparison of a slot with a constant compares the
masked field with the constant's packed bits, so no slot is unpacked for it. Guards are
evaluated over the whole chunk on bool arrays; for the enabled rows the successors are
the parents' words with the written fields replaced, values computed from the parents.
Parameters are constants per instance and folded, with every constant subexpression.
`bad_invariant(W)` and `constrained(W)` evaluate the invariants and the state
constraints of a chunk the same way, where they can be fused.

Exactness: the kernel evaluates strictly (both sides of and/or, both branches of an if),
so it covers only instances where no evaluation error can happen whatever the state:
reads at indices known and inside their domain, division by non-zero constants,
quantifiers over constant ranges. Checks, and writes whose value the declared ranges do
not prove in range, are tested on the enabled rows; where one fails, the kernel leaves
the instance to the interpreter (explorer/vector/actions.py) for that chunk, which records
the errors in the sequential order. Instances the kernel does not cover are always
interpreted. Like explorer/tuple/translate.py, the source holds no spec text outside comments.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from types import CodeType

import numpy as np

from mmcheck.explorer.core.sandbox import exec_generated, sanitize
from mmcheck.explorer.vector.actions import Instance
from mmcheck.explorer.vector.pack import Layout
from mmcheck.spec import ir
from mmcheck.spec.fold import APPLY, SWAPPED, interval

Bounds = tuple[int, int] | None
Kernel = Callable[[np.ndarray, np.ndarray, list], list[int]]


class Uncovered(Exception):
    """An instance the kernel leaves to the interpreter."""


@dataclass(frozen=True)
class Arr:
    """A value known only per row: the Python code of a numpy array."""

    code: str
    is_bool: bool


Val = int | bool | Arr


MAX_CHOICES = 32  # elements an index read from the state may pick from (np.choose)
_TEMP = re.compile(r"t[0-9]+")
_ARITH = {"+": "+", "-": "-", "*": "*", "div": "//", "mod": "%"}


class _Block:
    """Code emitted in one scope (the chunk, or an instance's enabled rows), with the
    values already computed there."""

    def __init__(self, parent: _Block | None, words: str, indent: str) -> None:
        self.parent = parent
        self.words = words  # the (words, rows) array slots are read from
        self.indent = indent
        self.lines: list[str] = []
        self.memo: dict[str, str] = {}

    def find(self, code: str) -> str | None:
        b: _Block | None = self
        while b is not None:
            if code in b.memo:
                return b.memo[code]
            b = b.parent if b.words == self.words else None
        return None


class KernelCompiler:
    def __init__(self, program: ir.Program, layout: Layout) -> None:
        self.p = program
        self.layout = layout
        self.consts: dict[int, str] = {}  # uint64 constant -> its name in the module
        self.tmp = 0
        self.errs: list[Arr] = []  # rows where an error may happen, in the code being built

    # ------------------------------------------------------------------ helpers
    def u64(self, value: int) -> str:
        name = self.consts.get(value)
        if name is None:
            name = self.consts[value] = f"K{len(self.consts)}"
        return name

    def emit(self, b: _Block, code: str, is_bool: bool) -> Arr:
        """`code` computed once in block b (or found computed in an enclosing one)."""
        name = b.find(code)
        if name is None:
            self.tmp += 1
            name = b.memo[code] = f"t{self.tmp}"
            b.lines.append(f"{b.indent}{name} = {code}")
        return Arr(name, is_bool)

    def slot_of(self, e: ir.Read, env: dict[str, int]) -> int:
        index = tuple(self.fold(i, env) for i in e.index)
        if all(isinstance(i, int) for i in index):
            with contextlib.suppress(IndexError):
                return self.p.slot_index(e.var, index)
        raise Uncovered("an index not known, or outside its domain")

    def fold(self, e: ir.Expr, env: dict[str, int]) -> int | None:
        """The value of a state-independent expression, else None."""
        if isinstance(e, ir.Const):
            return bool(e.value) if e.is_bool else e.value
        if isinstance(e, ir.Param):
            return env[e.name]
        return None

    def field(self, b: _Block, slot: int) -> Arr:
        """The slot's bits, in place in their word."""
        lay = self.layout
        return self.emit(
            b,
            f"{b.words}[{lay.word[slot]}] & {self.u64(int(lay.mask(slot)) << lay.shift[slot])}",
            False,
        )

    def value(self, b: _Block, slot: int) -> Arr:
        """The slot's value as int64."""
        lay = self.layout
        w, sh, lo = lay.word[slot], lay.shift[slot], lay.lo[slot]
        bits = f"{b.words}[{w}] >> {self.u64(sh)}" if sh else f"{b.words}[{w}]"
        code = f"(({bits}) & {self.u64(int(lay.mask(slot)))}).view(i64)"
        v = self.emit(b, code, False)
        return self.emit(b, f"{v.code} + {lo}", False) if lo else v

    # ------------------------------------------------------------------ expressions
    # `act` is where the sequential semantics evaluates the node (True: every row of the
    # block); errors are flagged only there, into self.errs.
    def ex(self, b: _Block, e: ir.Expr, env: dict[str, int], act: Val) -> Val:
        if isinstance(e, ir.Const | ir.Param):
            v = self.fold(e, env)
            assert v is not None
            return v
        if isinstance(e, ir.Read):
            return self.read(b, e, env, act)
        if isinstance(e, ir.Unary):
            a = self.ex(b, e.arg, env, act)
            if e.op == "not":
                return self.negate(b, a)
            return -a if not isinstance(a, Arr) else self.emit(b, f"-{a.code}", False)
        if isinstance(e, ir.Binary):
            return self.binary(b, e, env, act)
        if isinstance(e, ir.Ite):
            c = self.ex(b, e.cond, env, act)
            if not isinstance(c, Arr):
                return self.ex(b, e.then if c else e.other, env, act)
            c = self.truth(b, c)
            t = self.ex(b, e.then, env, self.logic(b, "and", act, c))
            o = self.ex(b, e.other, env, self.logic(b, "and", act, self.negate(b, c)))
            is_bool = all(x.is_bool if isinstance(x, Arr) else isinstance(x, bool) for x in (t, o))
            return self.emit(b, f"np.where({c.code}, {_code(t)}, {_code(o)})", is_bool)
        if isinstance(e, ir.Guard):
            c = self.ex(b, e.cond, env, act)
            if not isinstance(c, Arr):
                if not c:
                    raise Uncovered("a guard that always fails")
                return self.ex(b, e.then, env, act)
            c = self.truth(b, c)
            self.flag(b, act, self.negate(b, c))
            return self.ex(b, e.then, env, self.logic(b, "and", act, c))
        if isinstance(e, ir.Quant):
            return self.quant(b, e, env, act)
        raise Uncovered(f"{type(e).__name__}")

    def read(self, b: _Block, e: ir.Read, env: dict[str, int], act: Val) -> Val:
        var = self.p.var(e.var)
        index = [self.ex(b, i, env, act) for i in e.index]
        if not any(isinstance(i, Arr) for i in index):
            return self.value(b, self.slot_of(e, env))
        dims = ir.dim_bounds(var)
        size = len(self.p.var_slots(e.var))
        if size > MAX_CHOICES:
            raise Uncovered("a state-dependent index into a large array")
        at = self.read_position(b, e.index, index, dims, env, act)
        base = self.p.offset(e.var)
        cols = [self.value(b, base + j).code for j in range(size)]
        if size == 2:  # np.where is several times faster than np.choose
            return self.emit(b, f"np.where({at.code} > 0, {cols[1]}, {cols[0]})", False)
        return self.emit(b, f"np.choose({at.code}, ({', '.join(cols)},), mode='clip')", False)

    def read_position(
        self,
        b: _Block,
        exprs: tuple[ir.Expr, ...],
        index: list[Val],
        dims: tuple[tuple[int, int], ...],
        env: dict[str, int],
        act: Val,
    ) -> Arr:
        """The flat position of an element inside its variable (rows whose index is
        outside the dimensions are flagged where `act` holds)."""
        pos = ""
        bad: list[str] = []
        strides = ir.strides(ir.shape(dims))
        for i, ie, (lo, hi), stride in reversed(list(zip(index, exprs, dims, strides))):
            ib = self.bounds(ie, env)
            if ib is None or ib[0] < lo or ib[1] > hi:
                if not isinstance(i, Arr):
                    raise Uncovered("a constant index outside its domain")
                bad.append(f"({i.code} < {lo}) | ({i.code} > {hi})")
            off = _code(i) if not lo else f"({_code(i)} - {lo})"
            term = off if stride == 1 else f"{off} * {stride}"
            pos = term if not pos else f"{pos} + {term}"
        if bad:
            self.flag(b, act, self.emit(b, " | ".join(bad), True))
        return self.emit(b, pos, False)

    def flag(self, b: _Block, act: Val, bad: Arr) -> None:
        """Rows where an error happens: `bad` where the node is evaluated."""
        hit = self.logic(b, "and", act, bad)
        if hit is False:
            return
        hit = hit if isinstance(hit, Arr) else bad
        if hit not in self.errs:
            self.errs.append(hit)

    def truth(self, b: _Block, a: Arr) -> Arr:
        return a if a.is_bool else self.emit(b, f"{a.code} != 0", True)

    def negate(self, b: _Block, a: Val) -> Val:
        return (
            (not a) if not isinstance(a, Arr) else self.emit(b, f"~{self.truth(b, a).code}", True)
        )

    def logic(self, b: _Block, op: str, x: Val, y: Val) -> Val:
        """x and/or y on values (constants folded away)."""
        if not isinstance(x, Arr):
            x, y = y, x
        if not isinstance(x, Arr):
            return (bool(x) and bool(y)) if op == "and" else (bool(x) or bool(y))
        if not isinstance(y, Arr):
            if op == "and":
                return self.truth(b, x) if y else False
            return True if y else self.truth(b, x)
        sym = "&" if op == "and" else "|"
        left, right = sorted((self.truth(b, x).code, self.truth(b, y).code))
        return self.emit(b, f"{left} {sym} {right}", True)

    def binary(self, b: _Block, e: ir.Binary, env: dict[str, int], act: Val) -> Val:
        op = e.op
        if op in ("and", "or", "=>"):  # the right side is evaluated where the left does not decide
            x = self.ex(b, e.left, env, act)
            if op == "=>":
                x = self.negate(b, x)
            decides = op != "and"
            if not isinstance(x, Arr):
                if bool(x) == decides:
                    return decides
                y = self.ex(b, e.right, env, act)
                return self.truth(b, y) if isinstance(y, Arr) else bool(y)
            x = self.truth(b, x)
            y = self.ex(
                b, e.right, env, self.logic(b, "and", act, self.negate(b, x) if decides else x)
            )
            return self.logic(b, "or" if decides else "and", x, y)
        x, y = self.ex(b, e.left, env, act), self.ex(b, e.right, env, act)
        if op == "<=>":
            if not isinstance(x, Arr) and not isinstance(y, Arr):
                return bool(x) == bool(y)
            xs = _code(self.truth(b, x) if isinstance(x, Arr) else bool(x))
            ys = _code(self.truth(b, y) if isinstance(y, Arr) else bool(y))
            return self.emit(b, f"{xs} == {ys}", True)
        if op in ("div", "mod") and isinstance(y, Arr):
            self.flag(b, act, self.emit(b, f"{y.code} == 0", True))
            y = self.emit(b, f"np.where({y.code} == 0, 1, {y.code})", False)
        if not isinstance(x, Arr) and not isinstance(y, Arr):
            if op in ("div", "mod") and y == 0:
                raise Uncovered("division by zero")
            return APPLY[op](int(x), int(y))
        if op in ir.COMPARE_OPS:
            fast = self.field_compare(b, op, e, env, x, y)
            if fast is not None:
                return fast
            return self.emit(b, f"{_code(x)} {op} {_code(y)}", True)
        if op in ("div", "mod") and y == 0:
            raise Uncovered("division by zero")
        if op in ("min", "max"):
            return self.emit(b, f"np.{op}imum({_code(x)}, {_code(y)})", False)
        return self.emit(b, f"{_code(x)} {_ARITH[op]} {_code(y)}", False)

    def field_compare(
        self, b: _Block, op: str, e: ir.Binary, env: dict[str, int], x: Val, y: Val
    ) -> Val | None:
        """slot OP constant as a comparison of the slot's field with packed bits (the
        packed order is the value order), or None where that does not apply."""
        if isinstance(e.left, ir.Read) and not isinstance(y, Arr):
            read, c = e.left, y
        elif isinstance(e.right, ir.Read) and not isinstance(x, Arr):
            read, c, op = e.right, x, SWAPPED[op]
        else:
            return None
        if any(self.fold(i, env) is None for i in read.index):
            return None
        slot = self.slot_of(read, env)
        lo, hi = self.layout.lo[slot], self.layout.hi[slot]
        c = int(c)
        if not lo <= c <= hi:  # decided by the declared range if the same at both ends
            if op in ("==", "!="):
                return op == "!="
            at_lo, at_hi = APPLY[op](lo, c), APPLY[op](hi, c)
            return at_lo if at_lo == at_hi else None
        f = self.field(b, slot)
        bits = self.u64((c - lo) << self.layout.shift[slot])
        return self.emit(b, f"{f.code} {op} {bits}", True)

    def quant(self, b: _Block, e: ir.Quant, env: dict[str, int], act: Val) -> Val:
        lo, hi = self.ex(b, e.lo, env, act), self.ex(b, e.hi, env, act)
        if isinstance(lo, Arr) or isinstance(hi, Arr):
            raise Uncovered("a quantifier over a state-dependent range")
        acc: Val = {"forall": True, "exists": False}.get(e.kind, 0)
        for v in range(int(lo), int(hi) + 1):
            if e.kind == "forall":  # evaluated while no earlier value decided
                live = self.logic(b, "and", act, acc)
            elif e.kind == "exists":
                live = self.logic(b, "and", act, self.negate(b, acc))
            else:
                live = act
            if live is False:
                break
            body = self.ex(b, e.body, {**env, e.var: v}, live)
            if e.kind == "forall":
                acc = self.logic(b, "and", acc, body)
            elif e.kind == "exists":
                acc = self.logic(b, "or", acc, body)
            else:
                if e.kind == "count":
                    body = (
                        int(bool(body))
                        if not isinstance(body, Arr)
                        else self.emit(b, f"{self.truth(b, body).code}.astype(i64)", False)
                    )
                if not isinstance(acc, Arr) and not isinstance(body, Arr):
                    acc = acc + body
                elif acc == 0:
                    acc = body
                else:
                    acc = self.emit(b, f"{_code(acc)} + {_code(body)}", False)
        return acc

    def bounds(self, e: ir.Expr, env: dict[str, int]) -> Bounds:
        """Bounds on the value of `e` (None: not known)."""
        v = self.fold(e, env) if isinstance(e, ir.Const | ir.Param) else None
        if v is not None:
            return int(v), int(v)
        if isinstance(e, ir.Read):  # every element has the variable's range
            s = self.p.offset(e.var)
            return self.layout.lo[s], self.layout.hi[s]
        if isinstance(e, ir.Ite):
            t, o = self.bounds(e.then, env), self.bounds(e.other, env)
            return None if t is None or o is None else (min(t[0], o[0]), max(t[1], o[1]))
        if isinstance(e, ir.Guard):
            return self.bounds(e.then, env)
        if isinstance(e, ir.Unary):
            a = self.bounds(e.arg, env)
            return (0, 1) if e.op == "not" else None if a is None else (-a[1], -a[0])
        if isinstance(e, ir.Binary):
            if e.op not in ir.ARITH_OPS:  # a comparison or a connective
                return 0, 1
            x, y = self.bounds(e.left, env), self.bounds(e.right, env)
            return None if x is None or y is None else interval(e.op, x, y)
        return None

    # ------------------------------------------------------------------ instances
    def instance(self, inst: Instance, top: _Block) -> list[str]:
        """The code of one instance (guard in `top`, the rest in its own block)."""
        a = inst.action.action
        env = dict(inst.params)
        self.errs = []
        guard = self.ex(top, a.guard, env, True)
        if guard is False and not self.errs:
            return []
        k = inst.k
        sub = _Block(top, "S", "        ")
        head = [f"    # {k}: {sanitize(a.name)} {sanitize(str(dict(inst.params)))}"]
        rows = "ALL" if guard is True else f"np.flatnonzero({_code(guard)})"
        if self.errs:  # errors possible in the guard: those chunks are interpreted
            # np.any, not .any(): a C method may import lazily, and the namespace of
            # generated code has no __import__
            head += [
                f"    if np.any({' | '.join(e.code for e in self.errs)}):",
                f"        redo.append({k})",
                f"    elif len(r := {rows}):",
            ]
        else:
            head += [f"    if len(r := {rows}):"]
        head += ["        en[r] = True", "        S = W[:, r]"]
        self.errs = []
        for chk in a.checks:
            ok = self.ex(sub, chk.cond, env, True)
            if not isinstance(ok, Arr):
                if not ok:
                    raise Uncovered("a check that always fails")
                continue
            self.errs.append(self.negate(sub, ok))
        writes: list[tuple[int, Val, Val]] = []
        for u in a.updates:
            var = self.p.var(u.var)
            dims = ir.dim_bounds(var)
            if isinstance(u, ir.AssignAll):
                elems = [
                    ({**env, **dict(zip(u.params, idx))}, tuple(ir.Const(i) for i in idx))
                    for idx in ir.indices(dims)
                ]
            else:
                elems = [(env, u.index)]
            for wenv, index in elems:
                writes += self.write(sub, u, var, dims, index, wenv)
        body = list(sub.lines)
        ind = "        "
        if self.errs:
            body += [
                f"{ind}if np.any({' | '.join(e.code for e in self.errs)}):",
                f"{ind}    redo.append({k})",
                f"{ind}else:",
            ]
            ind += "    "
        body += [ind + line for line in self.writes(writes)]
        body.append(f"{ind}out.append(({k}, r, S))")
        return head + body

    def write(
        self,
        b: _Block,
        u: ir.Assign | ir.AssignAll,
        var: ir.Var,
        dims: tuple[tuple[int, int], ...],
        index: tuple[ir.Expr, ...],
        env: dict[str, int],
    ) -> list[tuple[int, Val, Val]]:
        """One element update as (slot, cond, value) writes: one for a known index,
        one per element (each under its own condition) for a state-dependent one."""
        cond = self.ex(b, u.cond, env, True)
        if cond is False:
            return []
        cond = self.truth(b, cond) if isinstance(cond, Arr) else True
        idx = [self.ex(b, i, env, cond) for i in index]
        base = self.p.offset(u.var)
        lo, hi = self.layout.lo[base], self.layout.hi[base]
        val = self.ex(b, u.value, env, cond)
        if not isinstance(val, Arr):
            if not lo <= int(val) <= hi:
                raise Uncovered("a write out of range")
        else:
            vb = self.bounds(u.value, env)
            if vb is None or vb[0] < lo or vb[1] > hi:
                self.flag(b, cond, self.emit(b, f"({val.code} < {lo}) | ({val.code} > {hi})", True))
        if not any(isinstance(i, Arr) for i in idx):
            return [(self.slot_of(ir.Read(u.var, index, u.loc), env), cond, val)]
        at = self.read_position(b, index, idx, dims, env, cond)
        return [
            (base + p, self.logic(b, "and", cond, self.emit(b, f"{at.code} == {p}", True)), val)
            for p in range(len(self.p.var_slots(u.var)))
        ]

    def writes(self, writes: list[tuple[int, Val, Val]]) -> list[str]:
        """Statements replacing the written fields of S (later writes win)."""
        lay = self.layout
        lines: list[str] = []
        for slot, cond, val in writes:
            w, sh, lo = lay.word[slot], lay.shift[slot], lay.lo[slot]
            keep = self.u64(~(int(lay.mask(slot)) << sh) & (2**64 - 1))
            if isinstance(val, Arr):
                v = val.code if not lo else f"({val.code} - {lo})"
                bits = f"({v}.astype(u64) << {self.u64(sh)})"
            else:
                bits = self.u64((int(val) - lo) << sh)
            new = f"(S[{w}] & {keep}) | {bits}"
            if cond is True:
                lines.append(f"S[{w}] = {new}")
            else:
                lines.append(f"S[{w}] = np.where({_code(cond)}, {new}, S[{w}])")
        return lines

    def invariants(self, exprs: list[ir.Expr]) -> list[str] | None:
        """`bad_invariant(W)`: per state, whether some invariant fails or raises an
        error (None if one of them cannot be fused)."""
        top = _Block(None, "W", "    ")
        self.errs = []
        bad: list[str] = []
        try:
            for e in exprs:
                v = self.ex(top, e, {}, True)
                if isinstance(v, Arr):
                    bad.append(self.negate(top, v).code)
                elif not v:
                    bad.append("np.ones(W.shape[1], dtype=np.bool_)")
        except Uncovered:
            return None
        bad += [e.code for e in self.errs]
        result = " | ".join(bad) if bad else "np.zeros(W.shape[1], dtype=np.bool_)"
        return ["def bad_invariant(W):", *top.lines, f"    return {result}"]

    def constraints(self, exprs: list[ir.Expr]) -> list[str] | None:
        """`constrained(W)`: VectorModel.constrained fused, per state (cut, failed): each
        constraint evaluated where the earlier ones hold without error, its errors
        flagged there (None if one of them cannot be fused)."""
        top = _Block(None, "W", "    ")
        live: Val = True  # where the constraint being built is evaluated
        cut: Val = False
        failed: Val = False
        try:
            for e in exprs:
                self.errs = []
                v = self.ex(top, e, {}, live)
                err: Val = False
                for hit in self.errs:
                    err = self.logic(top, "or", err, hit)
                failed = self.logic(top, "or", failed, err)
                fine = self.logic(top, "and", live, self.negate(top, err))
                cut = self.logic(top, "or", cut, self.logic(top, "and", fine, self.negate(top, v)))
                live = self.logic(top, "and", fine, v)
        except Uncovered:
            return None
        return ["def constrained(W):", *top.lines, f"    return {_mask(cut)}, {_mask(failed)}"]

    def module(
        self, instances: list[Instance], invariants: list[ir.Expr], constraints: list[ir.Expr]
    ) -> tuple[str, list[int]]:
        """The kernel's source, and the instances it covers."""
        top = _Block(None, "W", "    ")
        bodies: list[str] = []
        covered: list[int] = []
        for inst in instances:
            mark = len(top.lines), dict(top.memo)
            try:
                code = self.instance(inst, top)
            except Uncovered:
                del top.lines[mark[0] :]
                top.memo = mark[1]
                continue
            covered.append(inst.k)
            # guards of earlier instances are computed before this one's block
            bodies.append("\n".join(top.lines[mark[0] :] + code))
            del top.lines[mark[0] :]
        body = _free_dead_temps(_free_block_temps(_prune("\n".join(bodies).split("\n"))))
        inv = self.invariants(invariants)
        con = self.constraints(constraints)
        consts = [f"{name} = u64({value})" for value, name in self.consts.items()]
        src = [
            "# generated by explorer.vector_kernel: one chunk, every covered instance",
            *consts,
            "",
            "def expand(W, en, out):",
            "    redo = []",
            "    ALL = np.arange(W.shape[1])",
            *body,
            "    return redo",
            "",
            *(_free_dead_temps(_prune(inv)) + [""] if inv is not None else []),
            *(_free_dead_temps(_prune(con)) + [""] if con is not None else []),
        ]
        return "\n".join(src), covered


@dataclass
class Kernels:
    """The compiled kernels: `expand(W, en, out)` for the instances in `covered`
    (returns the ones to interpret for this chunk), `bad_invariant(W)` if every
    invariant could be fused, `constrained(W)` if every constraint could, and the source
    of all."""

    expand: Kernel
    covered: frozenset[int]
    bad_invariant: Callable[[np.ndarray], np.ndarray] | None
    constrained: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None
    source: str


def _prune(lines: list[str]) -> list[str]:
    """Straight-line code without the temporaries nothing reads (no loops: one
    backward pass)."""
    used: set[str] = set()
    out: list[str] = []
    for line in reversed(lines):
        target, sep, rhs = line.strip().partition(" = ")
        if sep and _TEMP.fullmatch(target):
            if target not in used:
                continue
            line_reads = rhs
        else:
            line_reads = line
        used.update(_TEMP.findall(line_reads))
        out.append(line)
    out.reverse()
    return out


def _free_block_temps(lines: list[str]) -> list[str]:
    """`del` of an instance block's temporaries at its end, so that a chunk's memory
    holds one block's at a time, not every block's until the kernel returns."""
    out: list[str] = []
    temps: list[str] = []
    for line in lines + ["    "]:
        if not line.startswith("     ") and temps:  # back at the top level
            out.append(f"        del {', '.join(temps)}")
            temps = []
        target = line.strip().partition(" = ")[0]
        if line.startswith("        ") and _TEMP.fullmatch(target) and target not in temps:
            temps.append(target)
        out.append(line)
    return out[:-1]


def _free_dead_temps(lines: list[str]) -> list[str]:
    """`del` of each top-level temporary after the last statement that reads it (a
    statement: a top-level line with the lines indented under it and its elif/else), so
    that a chunk's memory holds only the arrays still to be read, not all until return."""
    stmts: list[list[str]] = []
    for line in lines:
        deeper = line.startswith("     ") or line.strip().startswith(("elif ", "else:"))
        if deeper and stmts:
            stmts[-1].append(line)
        else:
            stmts.append([line])
    last: dict[str, int] = {}
    top: set[str] = set()
    for i, st in enumerate(stmts):
        target, sep, rhs = st[0].strip().partition(" = ")
        if sep and _TEMP.fullmatch(target):
            top.add(target)
            st_reads = [rhs, *st[1:]]
        else:
            st_reads = st
        for line in st_reads:
            for t in _TEMP.findall(line):
                last[t] = i
    dies: dict[int, list[str]] = {}  # statement -> the temporaries it reads last
    for t in top:
        if t in last:
            dies.setdefault(last[t], []).append(t)
    out: list[str] = []
    for i, st in enumerate(stmts):
        out += st
        dead = sorted(dies.get(i, ()), key=lambda t: int(t[1:]))
        if dead and not st[0].strip().startswith(("return ", "def ")):
            out.append(f"    del {', '.join(dead)}")
    return out


def _mask(v: Val) -> str:
    """A per-row bool array of a chunk W: the array's code, or a constant broadcast."""
    if isinstance(v, Arr):
        return v.code
    return f"np.{'ones' if v else 'zeros'}(W.shape[1], dtype=np.bool_)"


def _code(v: Val) -> str:
    if isinstance(v, Arr):
        return v.code
    return repr(bool(v)) if isinstance(v, bool) else repr(int(v))


def kernel_filename(program: ir.Program) -> str:
    return f"<mmcheck kernel {sanitize(program.name)}>"


def load_kernels(source: str, code: CodeType, covered: list[int]) -> Kernels:
    """The kernels of a source `KernelCompiler.module` wrote, compiled to `code`
    (compile(source, kernel_filename(program), "exec")), run in the sandbox of
    generated code."""
    ns = exec_generated(
        code,
        code.co_filename,
        extra={"np": np, "u64": np.uint64, "i64": np.int64, "len": len},
    )
    return Kernels(
        ns["expand"],
        frozenset(covered),
        ns.get("bad_invariant"),
        ns.get("constrained"),
        source,
    )
