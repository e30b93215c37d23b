"""Translation of the IR to a readable Python module, compiled once per run.

Safety: the generated code never contains a name or string written in the spec. Slots,
parameters and bound variables become `s[k]`, `p<k>` and `q<k>`; spec names appear only
in comments, reduced to printable ASCII; error messages and locations live in the table
`_E` handed to the module, which raises them by number (`_fail(k)`). The module runs in
a namespace whose builtins are only the handful the generated code uses.

Speed: indices known at translation time become direct tuple positions (actions whose
parameters have few values are unrolled, so `self` is a constant), index and range
checks are left out where the declared bounds prove them, successors are built by
tuple slicing when every write goes to a known slot, and guard conjuncts are tested as
soon as the parameters they mention are bound.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable

from mmcheck.explorer.core.model import EdgeGroup, EvalError, edge_groups
from mmcheck.explorer.core.sandbox import exec_generated, sanitize
from mmcheck.explorer.tuple.model import CompiledModel
from mmcheck.spec import ir
from mmcheck.spec.errors import NOWHERE, Loc, SpecError
from mmcheck.spec.fold import APPLY, SWAPPED, conjuncts, interval, operands
from mmcheck.spec.ir import (
    Action,
    Assign,
    AssignAll,
    Binary,
    Const,
    Expr,
    Guard,
    Ite,
    Param,
    Program,
    Quant,
    Read,
    SymConst,
    Unary,
    const_int,
)

__all__ = ["EvalError", "compile_expr", "compile_model", "to_python_source"]

UNROLL_EDGES = 16  # unroll an action whose parameters have at most this many values
UNROLL_QUANT = 8  # unroll a quantifier over at most this many values
MAX_ENUM = 10**7  # values one action's parameters or a quantifier may take
INIT_PAUSE = 1 << 12  # initial choices between two pauses of iter_init (a power of 2)
# initial choices iter_init takes in nested loops; more in one (Python nests 20 blocks)
INIT_NESTING = 12
_HASH_MODULUS = (1 << 61) - 1  # CPython hashes ints modulo this Mersenne prime

Bounds = tuple[int, int] | None


class _Binding:
    """A parameter or bound variable in scope: its Python code and known bounds."""

    __slots__ = ("code", "lo", "hi")

    def __init__(self, code: str, lo: int | None, hi: int | None) -> None:
        self.code, self.lo, self.hi = code, lo, hi


Env = dict[str, _Binding]


class _Translator:
    def __init__(self, program: Program) -> None:
        if not program.is_concrete:
            raise ValueError("only a program with every constant fixed can be translated")
        self.p = program
        self.errors: list[tuple[str, Loc | None, str]] = []
        self._error_ids: dict[tuple[str, Loc | None, str], int] = {}
        self.error_sites = 0  # calls of error(): code that can raise was generated
        self.tmp = 0
        self.where: Loc = NOWHERE  # the construct being translated, for errors
        self.vars = {}
        for v in program.vars:
            dims = ir.dim_bounds(v)
            self.vars[v.name] = (
                program.offset(v.name),
                dims,
                ir.strides(ir.shape(dims)),
                const_int(v.type.lo),
                const_int(v.type.hi),
                v.type.kind,
            )

    # ------------------------------------------------------------------ helpers
    def error(self, kind: str, loc: Loc | None, message: str) -> int:
        self.error_sites += 1
        key = (kind, loc, message)
        if key not in self._error_ids:
            self._error_ids[key] = len(self.errors)
            self.errors.append(key)
        return self._error_ids[key]

    def fresh(self, prefix: str = "_t") -> str:
        self.tmp += 1
        return f"{prefix}{self.tmp}"

    def const(self, e: Expr, env: Env) -> int | None:
        """The value of `e` if known at translation time (no error possible)."""
        if isinstance(e, Const):
            return int(e.value)
        if isinstance(e, Param):
            b = env.get(e.name)
            return b.lo if b is not None and b.lo is not None and b.lo == b.hi else None
        if isinstance(e, Unary) and e.op == "neg":
            v = self.const(e.arg, env)
            return None if v is None else -v
        if isinstance(e, Unary) and e.op == "not":
            v = self.const(e.arg, env)
            return None if v is None else int(not v)
        if isinstance(e, Ite):
            c = self.const(e.cond, env)
            return None if c is None else self.const(e.then if c else e.other, env)
        if isinstance(e, Guard):  # known only where it cannot fail
            return self.const(e.then, env) if self.const(e.cond, env) else None
        if not isinstance(e, Binary):
            return None
        a = self.const(e.left, env)
        if e.op in ("and", "or", "=>"):  # decided by the left operand, or passed to the right
            if a is None:
                return None
            if (e.op == "and" and not a) or (e.op == "or" and a) or (e.op == "=>" and not a):
                return int(e.op != "and")
            b = self.const(e.right, env)
            return None if b is None else int(bool(b))
        b = self.const(e.right, env)
        if a is None or b is None or (e.op in ("div", "mod") and b == 0):
            return None
        return int(APPLY[e.op](a, b))

    def bounds(self, e: Expr, env: Env) -> Bounds:
        """Bounds on the value of `e` that hold whenever it evaluates without error."""
        c = self.const(e, env)
        if c is not None:
            return c, c
        if isinstance(e, Param):
            b = env.get(e.name)
            if b is None or b.lo is None or b.hi is None:
                return None
            return b.lo, b.hi
        if isinstance(e, Read):
            _, _, _, lo, hi, _ = self.vars[e.var]
            return lo, hi
        if isinstance(e, Unary):
            if e.op == "not":
                return 0, 1
            b = self.bounds(e.arg, env)
            return None if b is None else (-b[1], -b[0])
        if isinstance(e, Binary):
            if e.op not in ir.ARITH_OPS:  # a comparison or a connective
                return 0, 1
            if e.op == "mod":
                c = self.const(e.right, env)
                return (0, c - 1) if c is not None and c > 0 else None
            a, b = self.bounds(e.left, env), self.bounds(e.right, env)
            return None if a is None or b is None else interval(e.op, a, b)
        if isinstance(e, Ite):
            a, b = self.bounds(e.then, env), self.bounds(e.other, env)
            return None if a is None or b is None else (min(a[0], b[0]), max(a[1], b[1]))
        if isinstance(e, Guard):
            return self.bounds(e.then, env)
        if isinstance(e, Quant) and e.kind in ("forall", "exists"):
            return 0, 1
        return None

    @staticmethod
    def is_int_valued(e: Expr) -> bool:
        """`e` evaluates to a Python int (not a bool): safe to store in a slot as is."""
        if isinstance(e, Const | Read | Param):
            return True
        if isinstance(e, Unary):
            return e.op == "neg"
        if isinstance(e, Binary):
            return e.op in ir.ARITH_OPS
        if isinstance(e, Ite):
            return _Translator.is_int_valued(e.then) and _Translator.is_int_valued(e.other)
        if isinstance(e, Guard):
            return _Translator.is_int_valued(e.then)
        return isinstance(e, Quant) and e.kind in ("count", "sum")

    # ------------------------------------------------------------------ expressions
    def ex(self, e: Expr, env: Env) -> str:
        c = self.const(e, env)
        if c is not None:
            return str(c)
        if isinstance(e, Param):
            return env[e.name].code
        if isinstance(e, SymConst):
            raise ValueError(f"symbolic constant {e.name!r} in a concrete program")
        if isinstance(e, Read):
            return self.read(e, env)
        if isinstance(e, Unary):
            if e.op == "not":
                return f"(not {self.ex(e.arg, env)})"
            return f"(-{self.ex(e.arg, env)})"
        if isinstance(e, Binary):
            return self.binary(e, env)
        if isinstance(e, Ite):
            cond = self.const(e.cond, env)
            if cond is not None:
                return self.ex(e.then if cond else e.other, env)
            return (
                f"({self.ex(e.then, env)} if {self.ex(e.cond, env)} else {self.ex(e.other, env)})"
            )
        if isinstance(e, Guard):
            k = self.error(e.kind, e.loc, e.message)
            return f"({self.ex(e.then, env)} if {self.ex(e.cond, env)} else _fail({k}))"
        if isinstance(e, Quant):
            return self.quant(e, env)
        raise TypeError(f"not an IR expression: {e!r}")

    def position(
        self, var: str, index: tuple[Expr, ...], env: Env, loc: Loc | None
    ) -> tuple[int | None, str, str | None]:
        """Where var[index] is: (slot if known, slot code, check condition or None).

        The check condition binds the unchecked index values (walrus) and is false, or
        raises the domain error, when an index is outside its dimension; an index known
        to be outside gives the condition `_fail(k)`."""
        base, dims, strides, _, _, _ = self.vars[var]
        if len(index) != len(dims):
            raise ValueError(f"{var} indexed with {len(index)} values, has {len(dims)} dimensions")
        offset = base
        terms: list[str] = []
        checks: list[str] = []
        for idx, (lo, hi), stride in zip(index, dims, strides):
            c = self.const(idx, env)
            if c is not None:
                if not lo <= c <= hi:
                    k = self.error("domain", loc, f"{var}[{c}] is outside its domain {lo}..{hi}")
                    return None, "0", f"_fail({k})"
                offset += (c - lo) * stride
                continue
            offset -= lo * stride
            code = self.ex(idx, env)
            b = self.bounds(idx, env)
            if b is None or b[0] < lo or b[1] > hi:
                t = self.fresh()
                checks.append(f"{lo} <= ({t} := {code}) <= {hi}")
                code = t
            terms.append(code if stride == 1 else f"{code} * {stride}")
        if not terms:
            return offset, str(offset), None
        pos = " + ".join(([str(offset)] if offset else []) + terms)
        if not checks:
            return None, pos, None
        if len(dims) == 1:
            k = self.error("domain", loc, f"{var}[{{value}}] is outside its domain {lo}..{hi}")
            return None, pos, f"({checks[0]} or _fail({k}, {t}))"
        k = self.error("domain", loc, f"{var} is indexed outside its domain")
        return None, pos, f"({' and '.join(checks)} or _fail({k}))"

    def read(self, e: Read, env: Env) -> str:
        _, pos, check = self.position(e.var, e.index, env, e.loc)
        if check is None:
            return f"s[{pos}]"
        if check.startswith("_fail("):
            return check
        return f"(s[{pos}] if {check} else None)"

    def binary(self, e: Binary, env: Env) -> str:
        op = e.op
        a = self.ex(e.left, env)
        b = self.ex(e.right, env)
        if op in ("+", "-", "*", "==", "!=", "<", "<=", ">", ">="):
            return f"({a} {op} {b})"
        if op in ("min", "max"):
            return f"{op}({a}, {b})"
        if op in ("div", "mod"):
            pyop = "//" if op == "div" else "%"
            c = self.const(e.right, env)
            if c is not None and c != 0:
                return f"({a} {pyop} {c})"
            k = self.error("div", e.loc, f"the divisor of {op} is 0")
            return f"_{op}({a}, {b}, {k})"
        if op in ("and", "or", "=>") and self.const(e.left, env) is not None:
            return b  # a left operand that does not decide passes the right one through
        if op == "and":
            return f"({a} and {b})"
        if op == "or":
            return f"({a} or {b})"
        if op == "=>":
            return f"(not {a} or {b})"
        if op == "<=>":
            return f"((not {a}) == (not {b}))"
        raise ValueError(f"unknown operator {op!r}")

    def quant(self, e: Quant, env: Env) -> str:
        lo, hi = self.const(e.lo, env), self.const(e.hi, env)
        blo, bhi = self.bounds(e.lo, env), self.bounds(e.hi, env)
        if blo is not None and bhi is not None and bhi[1] - blo[0] + 1 > MAX_ENUM:
            raise SpecError(
                self.where,
                f"a quantifier here ranges over up to "
                f"{bhi[1] - blo[0] + 1} values; at most {MAX_ENUM} can be enumerated",
            )
        if lo is not None and hi is not None and hi - lo + 1 <= UNROLL_QUANT:
            bodies = []
            for v in range(lo, hi + 1):
                bodies.append(self.ex(e.body, {**env, e.var: _Binding(str(v), v, v)}))
            if e.kind == "forall":
                return "(" + " and ".join(bodies) + ")" if bodies else "True"
            if e.kind == "exists":
                return "(" + " or ".join(bodies) + ")" if bodies else "False"
            if e.kind == "count":
                bodies = [f"(1 if {b} else 0)" for b in bodies]
            return "(" + " + ".join(bodies) + ")" if bodies else "0"
        q = self.fresh("q")
        rng = f"range({self.ex(e.lo, env)}, {self.ex(e.hi, env)} + 1)"
        known = lo is not None and hi is not None
        body = self.ex(
            e.body, {**env, e.var: _Binding(q, lo if known else None, hi if known else None)}
        )
        if e.kind == "forall":
            return f"all({body} for {q} in {rng})"
        if e.kind == "exists":
            return f"any({body} for {q} in {rng})"
        if e.kind == "count":
            return f"sum(1 for {q} in {rng} if {body})"
        return f"sum({body} for {q} in {rng})"

    # ------------------------------------------------------------------ updates
    def slot_value(self, var: str, value: Expr, env: Env, loc: Loc) -> tuple[list[str], str]:
        """Code evaluating `value` for `var` with its range check: (statements, value)."""
        _, _, _, lo, hi, kind = self.vars[var]
        code = self.ex(value, env)
        if kind == "bool" and not self.is_int_valued(value):
            code = f"(1 if {code} else 0)"
        b = self.bounds(value, env)
        if b is not None and lo <= b[0] and b[1] <= hi:
            return [], code
        t = self.fresh("_v")
        k = self.error("range", loc, f"{var} := {{value}} is outside its range {lo}..{hi}")
        return [f"if not {lo} <= ({t} := {code}) <= {hi}: _fail({k}, {t})"], t

    def updates(self, action: Action, env: Env, ind: str) -> tuple[list[str], str]:
        """Statements computing the successor of `s` by the action, and its expression."""
        lines: list[str] = []
        writes: dict[int, str] = {}  # known slot -> value code, while slicing is possible
        dynamic = False  # some write goes to a slot known only at run time, or conditionally

        def may_fail(code: str) -> bool:
            return "_fail(" in code or "_div(" in code or "_mod(" in code

        def emit(
            slot_code: str,
            slot: int | None,
            value: Expr,
            var: str,
            cond: str | None,
            loc: Loc,
            env2: Env,
        ) -> None:
            nonlocal dynamic
            pre, code = self.slot_value(var, value, env2, loc)
            if cond is None and slot is not None and not dynamic:
                lines.extend(ind + x for x in pre)
                if may_fail(code):
                    t = self.fresh("_v")
                    lines.append(f"{ind}{t} = {code}")
                    code = t
                writes[slot] = code
                return
            if not dynamic:  # switch to a list copy holding the writes so far
                dynamic = True
                lines.append(f"{ind}t = list(s)")
                for k, c in writes.items():
                    lines.append(f"{ind}t[{k}] = {c}")
            inner = ind
            if cond is not None:
                lines.append(f"{ind}if {cond}:")
                inner = ind + "    "
            lines.extend(inner + x for x in pre)
            lines.append(f"{inner}t[{slot_code}] = {code}")

        for u in action.updates:
            c = self.const(u.cond, env)
            if c is not None and not c:
                continue
            cond = None if c is not None else self.ex(u.cond, env)
            base, dims, _, _, _, _ = self.vars[u.var]
            if isinstance(u, Assign):
                slot, slot_code, pre = self.position(u.var, u.index, env, u.loc)
                if pre is not None:
                    if cond is None:
                        lines.append(f"{ind}{pre}")
                    else:
                        cond = f"({cond}) and ({pre})"
                emit(slot_code, slot, u.value, u.var, cond, u.loc, env)
            else:
                for slot, idx in enumerate(ir.indices(dims), base):  # the slots in order
                    env2 = {**env, **{n: _Binding(str(i), i, i) for n, i in zip(u.params, idx)}}
                    c2 = self.const(u.cond, env2)
                    if c2 is not None and not c2:
                        continue
                    cond2 = None if c2 is not None else self.ex(u.cond, env2)
                    emit(str(slot), slot, u.value, u.var, cond2, u.loc, env2)
        if dynamic:
            return lines, "tuple(t)"
        return lines, self.splice(writes)

    def splice(self, writes: dict[int, str]) -> str:
        """A tuple expression: `s` with the known slots replaced."""
        if not writes:
            return "s"
        parts: list[str] = []
        prev = 0
        run: list[str] = []
        slots = sorted(writes)
        for i, k in enumerate(slots):
            if k > prev:
                parts.append(f"s[{prev or ''}:{k}]")
            run.append(writes[k])
            if i + 1 == len(slots) or slots[i + 1] != k + 1:
                parts.append("(" + ", ".join(run) + ",)")
                run = []
            prev = k + 1
        if prev < len(self.p.slots):
            parts.append(f"s[{prev}:]")
        return " + ".join(parts)

    # ------------------------------------------------------------------ actions
    @staticmethod
    def params_of(e: Expr) -> set[str]:
        out: set[str] = set()
        stack: list = [e]
        while stack:
            x = stack.pop()
            if isinstance(x, Param):
                out.add(x.name)
            stack.extend(operands(x))
        return out

    def body(self, action: Action, env: Env, ind: str, emit: Callable[[str], str]) -> list[str]:
        """Checks, updates and `emit(successor)` for one binding of the parameters."""
        lines: list[str] = []
        for chk in action.checks:
            c = self.const(chk.cond, env)
            if c is not None and c:
                continue
            k = self.error(chk.kind, chk.loc, chk.message)
            lines.append(f"{ind}if not {self.ex(chk.cond, env)}: _fail({k})")
        pre, succ = self.updates(action, env, ind)
        return lines + pre + [ind + emit(succ)]

    def header(self, action: Action) -> str:
        where = f" ({sanitize(str(action.loc))})" if action.loc else ""
        return f"    # action {sanitize(action.name)}{where}"

    def pc_test(self, c: Expr, env: Env) -> tuple[int, int] | None:
        """(slot, value) if `c` is `pc == value` for a known pc slot."""
        if not (isinstance(c, Binary) and c.op == "=="):
            return None
        read, value = (c.left, c.right) if isinstance(c.left, Read) else (c.right, c.left)
        if not isinstance(read, Read) or self.vars[read.var][5] != "pc":
            return None
        v = self.const(value, env)
        slot, _, check = self.position(read.var, read.index, env, read.loc)
        return None if v is None or slot is None or check is not None else (slot, v)

    def action_blocks(self, g: EdgeGroup) -> list[tuple[tuple[int, int] | None, list[str]]]:
        """The code appending (edge, successor) for the enabled edges of an action, as
        blocks: (the `pc == value` test the block needs, or None; its lines)."""
        a = g.action
        self.where = a.loc
        if g.count > MAX_ENUM:
            raise SpecError(
                a.loc,
                f"{a.name} has {g.count} parameter values; at most {MAX_ENUM} can be enumerated",
            )
        names = [p.name for p in a.params]
        conj = conjuncts(a.guard)
        head = self.header(a).strip()
        blocks: list[tuple[tuple[int, int] | None, list[str]]] = []
        if g.count <= UNROLL_EDGES:
            for off in range(g.count):
                values = g.params(off)
                env = {n: _Binding(str(v), v, v) for n, v in zip(names, values)}
                key = self.pc_test(conj[0], env)
                rest = conj[1:] if key else conj
                shown = ", ".join(f"{sanitize(n)}={v}" for n, v in zip(names, values))
                lines = [head + (f" {shown}" if shown else "")]
                conds = [x for x in (self.ex(c, env) for c in rest) if x not in ("1", "True")]
                ind = ""
                if conds:
                    lines.append(f"if {' and '.join(conds)}:")
                    ind = "    "
                edge = g.base + off
                lines += self.body(a, env, ind, lambda t, e=edge: f"out.append(({e}, {t}))")
                blocks.append((key, lines))
            return blocks
        # loops, with each guard conjunct tested as soon as its parameters are bound
        key = None if self.params_of(conj[0]) else self.pc_test(conj[0], {})
        pending = conj[1:] if key else list(conj)
        lines = [head]
        env: Env = {}
        ind = ""
        radices = ir.strides(g.sizes)  # edges are numbered row-major over the parameters
        edge_terms = [str(g.base - sum(lo * st for lo, st in zip(g.los, radices)))]
        for i, (p, lo, size) in enumerate(zip(a.params, g.los, g.sizes)):
            bound = set(names[:i])
            while pending and self.params_of(pending[0]) <= bound:
                lines.append(f"{ind}if {self.ex(pending.pop(0), env)}:")
                ind += "    "
            v = f"p{i}"
            env[p.name] = _Binding(v, lo, lo + size - 1)
            lines.append(f"{ind}for {v} in range({lo}, {lo + size}):  # {sanitize(p.name)}")
            ind += "    "
            st = radices[i]
            edge_terms.append(v if st == 1 else f"{v} * {st}")
        for c in pending:
            lines.append(f"{ind}if not {self.ex(c, env)}: continue")
        edge = " + ".join(t for t in edge_terms if t != "0") or "0"
        lines += self.body(a, env, ind, lambda t: f"out.append(({edge}, {t}))")
        return [(key, lines)]

    def successors_fn(self, groups: list[EdgeGroup]) -> list[str]:
        """`successors(s)`: every action inlined, dispatched on the program counters."""
        by_slot: dict[int, dict[int, list[tuple[int, list[str]]]]] = {}
        free: list[tuple[int, list[str]]] = []
        n = 0
        for g in groups:
            for key, lines in self.action_blocks(g):
                if key is None:
                    free.append((n, lines))
                else:
                    by_slot.setdefault(key[0], {}).setdefault(key[1], []).append((n, lines))
                n += 1
        out = ["def successors(s):", "    out = []"]
        order: list[int] = []
        for slot, cases in by_slot.items():
            out.append(f"    pc = s[{slot}]")
            for i, (value, blocks) in enumerate(cases.items()):
                out.append(f"    {'if' if i == 0 else 'elif'} pc == {value}:")
                for b, lines in blocks:
                    order.append(b)
                    out += ["        " + x for x in lines]
        for b, lines in free:
            order.append(b)
            out += ["    " + x for x in lines]
        if order != sorted(order):
            out.append("    out.sort()  # edge order")
        return out + ["    return out"]

    def step_fn(self, ai: int, g: EdgeGroup) -> list[str]:
        """`st_<i>(s, p0, ...)`: the successor by one edge of the action, or None."""
        a = g.action
        self.where = a.loc
        args = "".join(f", p{i}" for i in range(len(a.params)))
        env = {
            p.name: _Binding(f"p{i}", lo, lo + size - 1)
            for i, (p, lo, size) in enumerate(zip(a.params, g.los, g.sizes))
        }
        lines = [f"def st_{ai}(s{args}):", self.header(a)]
        guard = self.ex(a.guard, env)
        if guard not in ("1", "True"):
            lines.append(f"    if not {guard}: return None")
        return lines + self.body(a, env, "    ", lambda t: f"return {t}")

    def init_fn(self) -> list[str]:
        """`iter_init()`: generates the initial states, the init action's updates applied
        in order to a zeroed state (a generator, so a search can stop while it runs), and
        None after every INIT_PAUSE choices of the parameters, however few pass the
        guard. Each parameter runs over the values its conjuncts of the guard allow
        (`init_values`), not over its whole declared range, where no update can raise an
        error: the updates come before the guard (ir.Program.init), so a choice the guard
        rejects still raises the error its values make (an initial value outside its
        variable's range)."""
        a = self.p.init
        self.where = a.loc
        n = len(self.p.slots)
        full = [(const_int(p.type.lo), const_int(p.type.hi)) for p in a.params]
        env: Env = {p.name: _Binding(f"p{i}", *full[i]) for i, p in enumerate(a.params)}
        sites = self.error_sites
        self.init_updates(a, env, "")  # only to see whether any error can be raised
        prune = self.error_sites == sites
        lines = ["def iter_init():"]
        ind = "    "
        codes = []
        for i, (p, (lo, hi)) in enumerate(zip(a.params, full)):
            values = init_values(a.guard, p.name, lo, hi) if prune else range(lo, hi + 1)
            lo, hi = (values[0], values[-1]) if values else (0, -1)
            env[p.name] = _Binding(f"p{i}", lo, hi)
            code = f"range({lo}, {hi + 1})" if len(values) == hi - lo + 1 else repr(tuple(values))
            codes.append(code)
            lines.append(f"{ind}for p{i} in {code}:  # {sanitize(p.name)}")
            ind += "    "
        if len(codes) > INIT_NESTING:  # one loop over the combinations, in the same order
            names = ", ".join(f"p{i}" for i in range(len(codes)))
            lines[1:] = [f"    for {names} in _product({', '.join(codes)}):"]
            ind = "        "
        if a.params:  # a pause now and then, so that the caller can poll its bounds
            lines[1:1] = ["    n = 0"]
            lines += [f"{ind}n += 1", f"{ind}if not n & {INIT_PAUSE - 1}: yield None"]
        lines.append(f"{ind}s = [0] * {n}")
        lines += self.init_updates(a, env, ind)
        guard = self.ex(a.guard, env)
        if guard not in ("1", "True"):
            lines.append(f"{ind}if not {guard}: {'continue' if a.params else 'return'}")
        for chk in a.checks:
            k = self.error(chk.kind, chk.loc, chk.message)
            lines.append(f"{ind}if not {self.ex(chk.cond, env)}: _fail({k})")
        lines.append(f"{ind}yield tuple(s)")
        return lines

    def init_updates(self, a: Action, env: Env, ind: str) -> list[str]:
        """The lines of the init action's updates, each writing the state list `s`."""
        lines: list[str] = []
        for u in a.updates:
            cond = None
            c = self.const(u.cond, env)
            if c is not None and not c:
                continue
            if c is None:
                cond = self.ex(u.cond, env)
            inner = ind
            if cond is not None:
                lines.append(f"{ind}if {cond}:")
                inner = ind + "    "
            if isinstance(u, Assign):
                _, slot_code, pre = self.position(u.var, u.index, env, u.loc)
                if pre is not None:
                    lines.append(f"{inner}{pre}")
                vpre, code = self.slot_value(u.var, u.value, env, u.loc)
                lines += [inner + x for x in vpre]
                lines.append(f"{inner}s[{slot_code}] = {code}")
            else:
                assert isinstance(u, AssignAll)
                base, dims, _, _, _, _ = self.vars[u.var]
                for slot, idx in enumerate(ir.indices(dims), base):  # the slots in order
                    env2 = {**env, **{n: _Binding(str(i), i, i) for n, i in zip(u.params, idx)}}
                    vpre, code = self.slot_value(u.var, u.value, env2, u.loc)
                    lines += [inner + x for x in vpre]
                    lines.append(f"{inner}s[{slot}] = {code}")
        return lines

    def pred_fn(self, name: str, e: Expr | None, comment: str) -> list[str]:
        code = "False" if e is None else self.ex(e, {})
        return [f"def {name}(s):", f"    # {comment}", f"    return {code}"]

    def constraint_fns(self) -> list[str]:
        """`con_<j>(s)` per state constraint, and `constraints_ok(s)`: every one holds,
        evaluated in order, so an error in a later one is raised only if the earlier
        ones hold."""
        out: list[str] = []
        every = []
        for j, c in enumerate(self.p.constraints):
            self.where = c.loc
            out += self.pred_fn(f"con_{j}", c.expr, f"constraint {sanitize(c.name)}") + [""]
            every.append(f"({self.ex(c.expr, {})})")
        return out + [
            "def constraints_ok(s):",
            "    # every constraint, in order",
            f"    return {' and '.join(every) or 'True'}",
        ]

    def fingerprint_fn(self) -> list[str]:
        """`fingerprint(s)`: a 64-bit hash of the state. CPython hashes an int modulo
        2^61 - 1 (and -1 like -2), so two values of one slot collide for certain unless
        the slot's values are mapped into 0 .. 2^61 - 2 first: shifted by the low bound,
        and split in two ints where the range is wider still."""
        items = []
        for k, sl in enumerate(self.p.slots):
            if sl.lo >= 0 and sl.hi < _HASH_MODULUS:
                items.append(f"s[{k}]")
            elif sl.hi - sl.lo < _HASH_MODULUS:
                items.append(f"s[{k}] - {sl.lo}")
            else:
                items += [f"(s[{k}] - {sl.lo}) >> 60", f"(s[{k}] - {sl.lo}) & {(1 << 60) - 1}"]
        if len(items) == len(self.p.slots) and all(i == f"s[{k}]" for k, i in enumerate(items)):
            return ["def fingerprint(s):", "    return hash(s)"]
        return [
            "def fingerprint(s):",
            "    # slot values mapped into 0 .. 2^61 - 2, where ints hash to themselves",
            f"    return hash(({', '.join(items)},))",
        ]

    def all_done_fn(self) -> list[str]:
        tests = [f"s[{slot}] == {p.done}" for p, _, slot in self.p.process_instances()]
        return [
            "def all_done(s):",
            "    # every process instance is at Done",
            f"    return {' and '.join(tests) if tests else 'False'}",
        ]

    # ------------------------------------------------------------------ the module
    def module(self, groups: Iterable[EdgeGroup]) -> str:
        groups = list(groups)
        out = [
            f"# generated by mmcheck from spec {sanitize(self.p.name)}",
            "# runtime: _fail(k[, value]) raises error k of table _E; _div/_mod are checked // and %",
            "# slots:",
        ]
        for k, slot in enumerate(self.p.slots):
            out.append(f"#   s[{k}] = {sanitize(slot.name)}  ({slot.lo}..{slot.hi})")
        out.append("")
        body: list[str] = []
        body += self.init_fn() + [""]
        for ai, g in enumerate(groups):
            body += self.step_fn(ai, g) + [""]
        body += self.successors_fn(groups) + [""]
        for j, inv in enumerate(self.p.invariants):
            self.where = inv.loc
            body += self.pred_fn(f"inv_{j}", inv.expr, f"invariant {sanitize(inv.name)}") + [""]
        body += self.constraint_fns() + [""]
        for j, c in enumerate(self.p.covers):
            self.where = c.loc
            body += self.pred_fn(f"cov_{j}", c.expr, f"cover {sanitize(c.name)}") + [""]
        for j, prop in enumerate(self.p.properties):
            self.where = prop.loc
            what = f"property {sanitize(prop.name)}"
            body += self.pred_fn(f"prop_{j}_p", prop.p, what) + [""]
            if prop.q is not None:
                body += self.pred_fn(f"prop_{j}_q", prop.q, what + ", leads to") + [""]
        self.where = Loc(self.p.file, 1, 1)  # the IR keeps no place for `terminal`
        body += self.pred_fn("terminal", self.p.terminal, "terminal states") + [""]
        body += self.all_done_fn() + [""]
        body += self.fingerprint_fn() + [""]
        # the error table, for the reader (the module receives it as _E)
        table = ["# errors:"]
        for k, (kind, loc, msg) in enumerate(self.errors):
            table.append(f"#   {k}: {kind} at {sanitize(str(loc))}: {sanitize(msg)}")
        return "\n".join(out + table + [""] + body)


Choices = tuple[int, int] | frozenset[int] | None  # an interval, some values, or anything


def init_values(guard: Expr, name: str, lo: int, hi: int) -> list[int] | range:
    """The values of parameter `name` in lo..hi that `guard` may accept, in order: those
    that its conjuncts `name == c`, `name <= c`, ... (and their disjunctions) leave."""
    got = _choices(guard, name)
    if isinstance(got, frozenset):
        return sorted(v for v in got if lo <= v <= hi)
    if got is not None:
        lo, hi = max(lo, got[0]), min(hi, got[1])
    return range(lo, hi + 1)


inf = math.inf


def _choices(e: Expr, name: str) -> Choices:
    """A superset of the values of Param `name` for which `e` may be true (None: any)."""
    if e == Param(name):
        return frozenset({1})
    if isinstance(e, Unary) and e.op == "not" and e.arg == Param(name):
        return frozenset({0})
    if not isinstance(e, Binary):
        return None
    if e.op in ("and", "or"):
        a, b = _choices(e.left, name), _choices(e.right, name)
        return _meet(a, b) if e.op == "and" else _join(a, b)
    op, left, right = e.op, e.left, e.right
    if isinstance(left, Const) and right == Param(name) and op in SWAPPED:
        op, left, right = SWAPPED[op], right, left
    if left != Param(name) or not isinstance(right, Const):
        return None
    c = right.value
    return {
        "==": frozenset({c}),
        "<": (-inf, c - 1),
        "<=": (-inf, c),
        ">": (c + 1, inf),
        ">=": (c, inf),
    }.get(op)


def _meet(a: Choices, b: Choices) -> Choices:
    if a is None or b is None:
        return b if a is None else a
    if isinstance(a, frozenset) or isinstance(b, frozenset):
        if not isinstance(a, frozenset):
            a, b = b, a
        return frozenset(v for v in a if _has(b, v))
    return (max(a[0], b[0]), min(a[1], b[1]))


def _join(a: Choices, b: Choices) -> Choices:
    if a is None or b is None:
        return None
    if isinstance(a, frozenset) and isinstance(b, frozenset):
        return a | b
    if not a or not b:  # an empty set of values
        return b or a
    lo_a, hi_a = (min(a), max(a)) if isinstance(a, frozenset) else a
    lo_b, hi_b = (min(b), max(b)) if isinstance(b, frozenset) else b
    return (min(lo_a, lo_b), max(hi_a, hi_b))


def _has(c: Choices, v: int) -> bool:
    return v in c if isinstance(c, frozenset) else c is None or c[0] <= v <= c[1]


def to_python_source(program: Program) -> str:
    """The readable generated module (what `mmcheck translate` prints)."""
    t = _Translator(program)
    return t.module(edge_groups(program))


def compile_model(program: Program) -> CompiledModel:
    """Translate and compile `program` once; see explorer.tuple.model for what it provides."""
    t = _Translator(program)
    groups = edge_groups(program)
    source = t.module(groups)
    ns = exec_generated(source, f"<mmcheck {sanitize(program.name)}>", tuple(t.errors))
    return CompiledModel(
        program=program,
        source=source,
        groups=groups,
        init_choices=ns["iter_init"],
        successors=ns["successors"],
        _steps=tuple(ns[f"st_{i}"] for i in range(len(groups))),
        invariants=tuple((inv, ns[f"inv_{j}"]) for j, inv in enumerate(program.invariants)),
        all_hold=functools.partial(all_hold, program),
        constraints=tuple((c, ns[f"con_{j}"]) for j, c in enumerate(program.constraints)),
        constraints_ok=ns["constraints_ok"],
        covers=tuple((c, ns[f"cov_{j}"]) for j, c in enumerate(program.covers)),
        properties=tuple(
            (prop, ns[f"prop_{j}_p"], ns.get(f"prop_{j}_q"))
            for j, prop in enumerate(program.properties)
        ),
        branch_tests=functools.partial(branch_tests, program),
        fingerprint=ns["fingerprint"],
        terminal=ns["terminal"],
        all_done=ns["all_done"],
    )


def branch_tests(program: Program) -> tuple[tuple[Callable, ...], ...]:
    """Per action, per branch of it (ir.Action.branches): a function (state, *params)
    -> whether an edge with those parameters takes the branch."""
    return tuple(
        tuple(compile_expr(program, b.cond, tuple(p.name for p in a.params)) for b in a.branches)
        for a in program.actions
    )


def compile_expr(program: Program, expr: Expr, params: tuple[str, ...] = ()) -> Callable:
    """A function (state, *param_values) -> value of `expr` (a bool or an int)."""
    t = _Translator(program)
    env = {name: _Binding(f"p{i}", None, None) for i, name in enumerate(params)}
    code = t.ex(expr, env)
    args = "".join(f", p{i}" for i in range(len(params)))
    ns = exec_generated(f"def f(s{args}):\n    return {code}\n", "<mmcheck expr>", tuple(t.errors))
    return ns["f"]


def all_hold(program: Program, invariants: Iterable[ir.Invariant]) -> Callable:
    """A function s -> truthy where every one of `invariants` holds: their expressions
    joined by `and` in one function, one call a state (a call per invariant a state cost
    12 to 15% of the tuple back end's search on migrate_page)."""
    t = _Translator(program)
    code = " and ".join(f"({t.ex(inv.expr, {})})" for inv in invariants) or "True"
    ns = exec_generated(f"def f(s):\n    return {code}\n", "<mmcheck invariants>", tuple(t.errors))
    return ns["f"]
