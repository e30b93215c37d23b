"""The IR as readable text (`mmcheck ir FILE`): variables with their slots, the initial
states, every action with its guard, checks, updates and read/write sets."""

from __future__ import annotations

from mmcheck.spec import ir

_PREC = {
    "<=>": 1,
    "=>": 2,
    "or": 3,
    "and": 4,
    "==": 6,
    "!=": 6,
    "<": 6,
    "<=": 6,
    ">": 6,
    ">=": 6,
    "+": 7,
    "-": 7,
    "*": 8,
    "div": 8,
    "mod": 8,
}


def expr(e: ir.Expr, prec: int = 0, program: ir.Program | None = None) -> str:
    """An IR expression in the spec language's syntax (fully folded). With the program,
    a comparison of an enum, pc or lock slot with a constant shows the value's name."""

    def sub(x: ir.Expr, q: int = 0) -> str:
        return expr(x, q, program)

    if isinstance(e, ir.Const):
        return ("true" if e.value else "false") if e.is_bool else str(e.value)
    if isinstance(e, ir.SymConst):
        return e.name
    if isinstance(e, ir.Param):
        return e.name
    if isinstance(e, ir.ParamAt):
        return f"{e.name}[{', '.join(sub(i) for i in e.index)}]"
    if isinstance(e, ir.Read):
        return e.var + (f"[{', '.join(sub(i) for i in e.index)}]" if e.index else "")
    if isinstance(e, ir.Unary):
        s = f"not {sub(e.arg, 5)}" if e.op == "not" else f"-{sub(e.arg, 9)}"
        return f"({s})" if prec > (5 if e.op == "not" else 9) else s
    if isinstance(e, ir.Binary):
        if e.op in ("min", "max"):
            return f"{e.op}({sub(e.left)}, {sub(e.right)})"
        p = _PREC[e.op]
        op = {"div": "/", "mod": "%"}.get(e.op, e.op)
        right_assoc = e.op == "=>"
        right = sub(e.right, p + (not right_assoc))
        if (
            program is not None
            and e.op in ("==", "!=")
            and isinstance(e.left, ir.Read)
            and isinstance(e.right, ir.Const)
        ):
            t = program.var(e.left.var).type
            if t.kind in ("enum", "pc", "lock"):
                right = t.show(e.right.value)
        s = f"{sub(e.left, p + right_assoc)} {op} {right}"
        return f"({s})" if prec > p else s
    if isinstance(e, ir.Ite):
        s = f"if {sub(e.cond)} then {sub(e.then)} else {sub(e.other)}"
        return f"({s})" if prec > 0 else s
    if isinstance(e, ir.Guard):
        return f"guard({sub(e.cond)}, {e.kind}, {sub(e.then)})"
    if isinstance(e, ir.Quant):
        s = f"{e.kind} {e.var} in {sub(e.lo, 7)}..{sub(e.hi, 7)}: {sub(e.body)}"
        return f"({s})" if prec > 0 else s
    raise TypeError(e)


def scalar_type(t: ir.ScalarType) -> str:
    rng = f"{expr(t.lo)}..{expr(t.hi)}"
    if t.kind == "bool":
        return "bool"
    if t.names:
        shown = ", ".join(t.names) if len(t.names) <= 8 else ", ".join(t.names[:8]) + ", ..."
        return f"{t.kind} {{{shown}}}"
    sym = "".join(f" symmetric {s}@{o}" for s, o in t.sorts)
    return f"{t.kind} {rng}{sym}"


def dims(ds: tuple[ir.Dim, ...]) -> str:
    if not ds:
        return ""
    parts = [f"{expr(d.lo)}..{expr(d.hi)}" + (f" ({d.sort})" if d.sort else "") for d in ds]
    return "[" + ", ".join(parts) + "] -> "


def update(u: ir.Update, p: ir.Program) -> str:
    t = p.var(u.var).type
    if isinstance(u, ir.Assign):
        target = u.var + (f"[{', '.join(expr(i) for i in u.index)}]" if u.index else "")
    else:
        target = f"{u.var}[{', '.join(u.params)}]"
    when = "" if u.cond == ir.TRUE else f"   when {expr(u.cond, 0, p)}"
    value = expr(u.value, 0, p)
    if t.kind in ("enum", "pc") and isinstance(u.value, ir.Const):
        value = t.show(u.value.value)  # an enum value or a label, by name
    return f"{target} := {value}{when}"


def via(chain: tuple[ir.MacroCall, ...]) -> str:
    """Where an inlined update or check came from: the macro calls, outermost first,
    each with the place it was called."""
    return "via " + " > ".join(f"{m.name} at {m.loc}" for m in chain)


def slots(ss: frozenset[int]) -> str:
    return "{" + ", ".join(map(str, sorted(ss))) + "}"


def action(p: ir.Program, a: ir.Action, concrete: bool) -> list[str]:
    params = ", ".join(
        f"{p.name}: {dims(p.dims)}{scalar_type(p.type)}" + (" (hidden)" if p.hidden else "")
        for p in a.params
    )
    fair = {"weak": "fair ", "strong": "strongly fair "}.get(a.fairness or "", "")
    out = [f"{fair}action {a.name}({params})    # {a.loc}"]
    out.append(f"  guard  {expr(a.guard, 0, p)}")
    for c in a.checks:
        origin = f"; {via(c.via)}" if c.via else ""
        out.append(f"  check  {c.kind}: {expr(c.cond, 0, p)}    # {c.message!r} at {c.loc}{origin}")
    for u in a.updates:
        origin = f"    # {via(u.via)}" if u.via else ""
        out.append(f"  update {update(u, p)}{origin}")
    if concrete:
        out.append(f"  reads  {slots(a.reads)}  writes {slots(a.writes)}")
    return out


def temporal(prop: ir.Property, p: ir.Program) -> str:
    """A temporal property as the spec writes it, its predicates lowered."""
    q = f"({expr(prop.q, 0, p)})" if prop.q is not None else ""
    return prop.show(f"({expr(prop.p, 0, p)})", q)


def program(p: ir.Program) -> str:
    concrete = p.is_concrete
    out = [f"program {p.name}    # {p.file}"]
    for c in p.consts:
        value = "?" if c.value is None else ir.ScalarType.show(c.type, c.value)
        out.append(f"const {c.name} = {value}    # {scalar_type(c.type)}")
    for e, _ in p.assumes:
        out.append(f"assume {expr(e)}")
    if p.symmetric:
        sizes = dict(p.sort_sizes)
        out.append("symmetric " + ", ".join(f"{s} ({sizes.get(s, '?')})" for s in p.symmetric))
    out.append("")
    for v in p.vars:
        where = (
            f"    # slots {p.var_slots(v.name).start}..{p.var_slots(v.name).stop - 1}"
            if concrete
            else ""
        )
        role = "" if v.role == "var" else f"{v.role} "
        out.append(f"{role}var {v.name} : {dims(v.dims)}{scalar_type(v.type)}{where}")
    if concrete:
        out.append(f"# {len(p.slots)} slots")
    for proc in p.processes:
        idx = f"[{expr(proc.index.lo)}..{expr(proc.index.hi)}]" if proc.index else ""
        out.append(
            f"process {proc.name}{idx}: {', '.join(proc.labels)}    "
            f"# first lock holder {expr(proc.first_holder)}"
        )
    out.append("")
    out += action(p, p.init, concrete)
    for a in p.actions:
        out.append("")
        out += action(p, a, concrete)
    out.append("")
    for inv in p.invariants:
        kind = "lemma" if inv.lemma else "invariant"
        out.append(f"{kind} {inv.name}: {expr(inv.expr, 0, p)}")
    for c in p.constraints:
        out.append(f"constraint {c.name}: {expr(c.expr, 0, p)}")
    for c in p.covers:
        out.append(f"cover {c.name}: {expr(c.expr, 0, p)}")
    for prop in p.properties:
        out.append(f"property {prop.name}: {temporal(prop, p)}")
    if p.terminal is not None:
        out.append(f"terminal {expr(p.terminal, 0, p)}")
    for x in p.expects:
        consts = ", ".join(f"{n}={v}" for n, v in x.consts)
        bounds = (("steps", x.steps), ("states", x.states), ("cycle", x.cycle))
        extra = "".join(f" {k}={v}" for k, v in bounds if v)
        prop = f" {x.prop}" if x.prop else ""
        checks = f" (invariants {', '.join(x.checks)})" if x.checks is not None else ""
        covers = f", covers {', '.join(x.covers)}" if x.covers else ""
        head = f"expect {consts + ': ' if consts else ''}{x.verdict}"
        out.append(f"{head}{prop}{extra}{covers}{checks}")
    return "\n".join(out) + "\n"
