"""Write a program's IR as a Promela model, for SPIN (`mmcheck export --promela`).

Every IR variable becomes a global (arrays flattened); every process instance a
proctype, and the actions without a process one more; each action instance (parameters
substituted) is one `d_step` alternative of its proctype's loop: the guard, then every
updated value computed into hidden temporaries from the pre-state, then the writes,
then the invariants asserted. The initial state is set in `init` before the proctypes
are started. SPIN's counts differ from mmcheck's by the states of `init` and because
the proctypes' own program counters are part of its state (see bench/README.md).

Temporal properties and fairness are left out, with a comment naming them: SPIN's
weak fairness is per process, not per step or action, and a never claim over one
d_step per action would not keep mmcheck's fairness units; the export stays a safety
cross-check (TLC's export keeps both).
"""

from __future__ import annotations

from pathlib import Path

from mmcheck.explorer.export import ExportError, initial_states
from mmcheck.explorer.export.tla import flat_position, ident
from mmcheck.spec import ir


class PromelaWriter:
    def __init__(self, program: ir.Program) -> None:
        self.p = program
        self.temps = 0  # temporaries used by the current d_step
        self.max_temps = 0  # by any: d_steps are atomic, so they share them

    def ctype(self, var: ir.Var) -> str:
        lo, hi = ir.const_int(var.type.lo), ir.const_int(var.type.hi)
        if var.type.is_bool:
            return "bit"
        if lo >= 0 and hi <= 255:
            return "byte"
        return "short" if lo >= -32768 and hi <= 32767 else "int"

    def pos(self, var: str, idx: tuple[ir.Expr, ...], env: dict[str, int]) -> str:
        """The position of var[idx] in its flattened array."""
        return flat_position(ir.dim_bounds(self.p.var(var)), [self.ex(i, env) for i in idx])

    def const(self, e: ir.Expr, env: dict[str, int]) -> int:
        """The value of a bound that must not depend on the state."""
        match e:
            case ir.Const(value=v):
                return v
            case ir.Param(name=n):
                return env[n]
            case ir.Binary(op="+", left=a, right=b):
                return self.const(a, env) + self.const(b, env)
            case ir.Binary(op="-", left=a, right=b):
                return self.const(a, env) - self.const(b, env)
        raise ExportError(f"a quantifier bound that depends on the state: {e!r}")

    def ex(self, e: ir.Expr, env: dict[str, int]) -> str:
        match e:
            case ir.Const(value=v):
                return str(v)
            case ir.Param(name=n):
                return str(env[n])
            case ir.Read(var=v, index=()):
                return ident(v)
            case ir.Read(var=v, index=idx):
                return f"{ident(v)}[{self.pos(v, idx, env)}]"
            case ir.Unary(op="not", arg=a):
                return f"(!{self.ex(a, env)})"
            case ir.Unary(op="neg", arg=a):
                return f"(-{self.ex(a, env)})"
            case ir.Binary(op=op, left=a, right=b):
                x, y = self.ex(a, env), self.ex(b, env)
                if op in ("min", "max"):
                    cmp = "<=" if op == "min" else ">="
                    return f"({x} {cmp} {y} -> {x} : {y})"
                if op == "=>":
                    return f"(!{x} || {y})"
                if op == "<=>":
                    return f"((!{x}) == (!{y}))"
                sym = {"and": "&&", "or": "||", "div": "/", "mod": "%"}.get(op, op)
                return f"({x} {sym} {y})"
            case ir.Ite(cond=c, then=t, other=o):
                return f"({self.ex(c, env)} -> {self.ex(t, env)} : {self.ex(o, env)})"
            case ir.Guard(kind=k, loc=loc):  # an expression cannot stop SPIN here
                raise ExportError(
                    f"a {k} check at {loc} (a map value indexed outside its "
                    "domain) cannot be written in Promela"
                )
            case ir.Quant(kind=k, var=v, lo=lo, hi=hi, body=b):
                values = range(self.const(lo, env), self.const(hi, env) + 1)
                parts = [self.ex(b, {**env, v: x}) for x in values]
                if k == "forall":
                    return "(" + (" && ".join(parts) or "1") + ")"
                if k == "exists":
                    return "(" + (" || ".join(parts) or "0") + ")"
                if k == "count":
                    return "(" + (" + ".join(f"({q} -> 1 : 0)" for q in parts) or "0") + ")"
                return "(" + (" + ".join(parts) or "0") + ")"
        raise ExportError(f"cannot write {e!r} in Promela")

    def step(self, a: ir.Action, env: dict[str, int], invariants: str) -> str:
        """One d_step alternative: guard, values into temporaries, writes, invariants."""
        self.temps = 0
        lines = [f":: d_step {{ {self.ex(a.guard, env)} ->"]
        for c in a.checks:
            lines.append(f"     assert({self.ex(c.cond, env)});")
        writes = []
        for u in a.updates:
            if isinstance(u, ir.AssignAll):
                elems = [
                    (tuple(ir.Const(i) for i in idx), {**env, **dict(zip(u.params, idx))})
                    for idx in ir.indices(ir.dim_bounds(self.p.var(u.var)))
                ]
            else:
                elems = [(u.index, env)]
            for idx, e_env in elems:
                t = self.temp()
                # value and index are read only where the update happens
                lines.append(
                    f"     {t}c = {self.ex(u.cond, e_env)}; "
                    f"{t}v = ({t}c -> {self.ex(u.value, e_env)} : 0);"
                )
                target = ident(u.var)
                if idx:
                    lines.append(f"     {t}i = ({t}c -> {self.pos(u.var, idx, e_env)} : 0);")
                    target += f"[{t}i]"
                writes.append(f"     if :: {t}c -> {target} = {t}v :: else -> skip fi;")
        lines += writes
        if invariants:
            lines.append(f"     assert({invariants})")
        lines.append("   }")
        return "\n".join(lines)

    def temp(self) -> str:
        self.temps += 1
        self.max_temps = max(self.max_temps, self.temps)
        return f"t{self.temps}"

    def model(self, initial: tuple[int, ...]) -> str:
        out = [
            "/* Generated by mmcheck export from the mmcheck IR of "
            f"{Path(self.p.file).name}: do not edit. */"
        ]
        if self.p.properties:  # safety only: see the module's docstring
            names = ", ".join(prop.name for prop in self.p.properties)
            out.append(
                f"/* Not exported: temporal properties {names} and fairness; check them "
                "with mmcheck or TLC (mmcheck export --tla). */"
            )
        for v in self.p.vars:
            size = len(self.p.var_slots(v.name))
            dims = f"[{size}]" if v.dims else ""
            out.append(f"{self.ctype(v)} {ident(v.name)}{dims};")
        # what `mmcheck check` checks: the lemmas only on request
        checked = [i for i in self.p.invariants if i.checked(None, False)]
        invariants = " && ".join(self.ex(i.expr, {}) for i in checked)
        groups: dict[str, list[str]] = {}
        for a in self.p.actions:
            domains = [(ir.const_int(q.type.lo), ir.const_int(q.type.hi)) for q in a.params]
            for values in ir.indices(domains):
                env = {q.name: x for q, x in zip(a.params, values)}
                owner = a.process or "env"
                if a.process and "self" in env:
                    owner = f"{a.process}_{env['self']}"
                groups.setdefault(owner, []).append(self.step(a, env, invariants))
        for t in range(1, self.max_temps + 1):
            out.append(f"hidden int t{t}v, t{t}c, t{t}i;")
        for owner, steps in groups.items():
            out += ["", f"proctype {ident(owner)}() {{", "end:", "  do"] + steps
            out += ["  od", "}"]
        sets = "; ".join(
            f"{ident(s.var)}{'[' + str(k) + ']' if self.p.var(s.var).dims else ''} = {val}"
            for s, val, k in self._slot_values(initial)
        )
        runs = "; ".join(f"run {ident(o)}()" for o in groups)
        out += ["", "init {", f"  d_step {{ {sets} }};", f"  atomic {{ {runs} }}", "}"]
        return "\n".join(out) + "\n"

    def _slot_values(self, state: tuple[int, ...]) -> list[tuple[ir.Slot, int, int]]:
        out = []
        for v in self.p.vars:
            for k, s in enumerate(self.p.var_slots(v.name)):
                out.append((self.p.slots[s], state[s], k))
        return out


def export(program: ir.Program, name: str, out_dir: Path) -> Path:
    if program.constraints:
        # a guard on the successor would make a state whose successors are all cut an
        # end state, which SPIN reports as a deadlock (invalid end state)
        raise ExportError(
            f"the Promela export cannot express constraint {program.constraints[0].name}: "
            "SPIN has no state constraint"
        )
    initial = initial_states(program)
    if len(initial) != 1:
        raise ExportError(
            f"the Promela export needs exactly one initial state (the spec has {len(initial)})"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    pml = out_dir / f"{name}.pml"
    pml.write_text(PromelaWriter(program).model(initial[0]))
    return pml
