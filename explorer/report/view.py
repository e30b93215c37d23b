"""How states and steps read in every output format: slot names as the spec writes
them, values through the IR types, parameters, and the variables a step changed.

Shared by the text trace, the CPU diagram, ITF, the DOT graph and the coverage table.
"""

from __future__ import annotations

from dataclasses import dataclass

from mmcheck.explorer.core.result import FailedStep, Step, Violation
from mmcheck.spec import ir
from mmcheck.spec.errors import printable


def _index_text(dims: tuple[ir.Dim, ...], index: tuple[int, ...]) -> str:
    if not index:
        return ""
    return "[" + ", ".join(d.show(i) for d, i in zip(dims, index)) + "]"


def _owned_dims(program: ir.Program, var: ir.Var) -> int:
    """How many leading dimensions of a split variable index its owner rather than the
    variable itself: 1 for a local of a process set (the instance), all of them for a
    field of a map of records (the element), 0 otherwise."""
    head, dot, _ = var.name.partition(".")
    if not dot or not var.dims:
        return 0
    process = next((p for p in program.processes if p.name == head), None)
    if process is None:
        return len(var.dims)
    return 1 if process.index is not None else 0


def slot_label(program: ir.Program, slot: int) -> str:
    """A slot as the spec writes it: `pte[2]`, `page.count`, `pages[1].count`,
    and process variables under their instance: `fault[2].pc`, `reclaim.ok`."""
    s = program.slots[slot]
    var = program.var(s.var)
    k = _owned_dims(program, var)
    if k == 0:
        return var.name + _index_text(var.dims, s.index)
    head, _, tail = var.name.partition(".")
    process = next((p for p in program.processes if p.name == head), None)
    if process is not None:
        owner = ir.instance_name(process, s.index[0])
    else:
        owner = head + _index_text(var.dims, s.index)
    return f"{owner}.{tail}" + _index_text(var.dims[k:], s.index[k:])


def reading_order(program: ir.Program) -> list[int]:
    """The slots in the order a reader wants them: slot order, except that the fields
    of one record element (`pages[1].count`, `pages[1].locked`) and the variables of
    one process instance (`cpu[1].pc`, `cpu[1].was`) stand together."""
    position = {v.name: n for n, v in enumerate(program.vars)}
    group: dict[str, int] = {}
    for v in program.vars:
        group.setdefault(v.name.partition(".")[0], position[v.name])

    def key(slot: int) -> tuple:
        s = program.slots[slot]
        var = program.var(s.var)
        k = _owned_dims(program, var)
        return (group[var.name.partition(".")[0]], s.index[:k], position[var.name], s.index[k:])

    return sorted(range(len(program.slots)), key=key)


@dataclass(frozen=True)
class Change:
    slot: int
    name: str
    old: str
    new: str


def changes(program: ir.Program, old: tuple[int, ...], new: tuple[int, ...]) -> list[Change]:
    """The slots whose values differ between two states, in reading order."""
    return [
        Change(
            i, slot_label(program, i), program.show_slot(i, old[i]), program.show_slot(i, new[i])
        )
        for i in reading_order(program)
        if old[i] != new[i]
    ]


def state_items(program: ir.Program, state: tuple[int, ...]) -> list[tuple[int, str, str]]:
    """Every slot of a state as (slot, name, value), in reading order."""
    return [
        (i, slot_label(program, i), program.show_slot(i, state[i])) for i in reading_order(program)
    ]


def find_action(program: ir.Program, name: str | None) -> ir.Action | None:
    if name is None:
        return program.init
    for a in program.actions:
        if a.name == name:
            return a
    return None


def taken(decl: ir.Action | None, params: tuple[tuple[str, int], ...]) -> list[tuple[str, int]]:
    """The parameters without the `either`s the step did not reach (hidden, value 0)."""
    hidden = {p.name for p in decl.params if p.hidden} if decl else set()
    return [(n, v) for n, v in params if not (n in hidden and v == 0)]


def param_texts(
    program: ir.Program, action: str | None, params: tuple[tuple[str, int], ...]
) -> list[str]:
    """Parameters as the reader wants them: `expected=2`, an `either` choice as `branch k`;
    a process step's `self` is left out (the instance names it)."""
    decl = find_action(program, action)
    decls = {p.name: p for p in decl.params} if decl else {}
    out = []
    for name, value in taken(decl, params):
        p = decls.get(name)
        if p is not None and p.hidden:  # branches count from 1, as a reader counts them
            out.append(f"branch {value}")
        elif name == "self" and decl is not None and decl.process is not None:
            continue
        else:
            out.append(f"{name}={p.type.show(value) if p else value}")
    return out


def param_values(
    program: ir.Program, action: str | None, params: tuple[tuple[str, int], ...]
) -> list[tuple[str, int, ir.ScalarType | None]]:
    """Parameters as (name, raw value, type) for the machine-readable formats."""
    decl = find_action(program, action)
    decls = {p.name: p.type for p in decl.params} if decl else {}
    return [(n, v, decls.get(n)) for n, v in taken(decl, params)]


@dataclass(frozen=True)
class StepInfo:
    """Who took a step: the process and instance (None for a plain action) and label."""

    action: str | None
    process: str | None
    instance: str | None
    label: str | None


def step_info(program: ir.Program, step: Step | FailedStep) -> StepInfo:
    """The step's process, instance and label, from the step or else from its action."""
    decl = find_action(program, step.action) if step.action else None
    process = step.process or (decl.process if decl else None)
    label = step.label or (decl.label if decl else None)
    instance = step.instance
    if instance is None and process is not None:
        proc = next((p for p in program.processes if p.name == process), None)
        self_value = dict(step.params).get("self")
        if proc is not None:
            instance = ir.instance_name(proc, self_value if proc.index else None)
    return StepInfo(step.action, process, instance, label)


def instance_names(program: ir.Program) -> list[str]:
    """Every process instance, in declaration order."""
    return [ir.instance_name(p, i) for p, i, _ in program.process_instances()]


# An error computing the initial states leaves a violation without a trace.
NO_TRACE = "No trace: the error happened while computing the initial states."


def waiting(program: ir.Program, state: tuple[int, ...]) -> list[tuple[str, str]]:
    """The process instances not at their end, each with the label it waits at."""
    return [
        (ir.instance_name(p, i), program.show_slot(slot, state[slot]))
        for p, i, slot in program.process_instances()
        if state[slot] != p.done
    ]


def headline(violation: Violation, program: ir.Program | None = None) -> str:
    """One line saying what went wrong; given the program, a deadlock also says where
    each unfinished process waits."""
    if violation.kind == "invariant":
        return f"invariant {violation.name} is violated"
    if violation.kind == "deadlock":
        where = waiting(program, violation.trace[-1].state) if program else []
        at = ", ".join(f"{instance} at {label}" for instance, label in where)
        return "deadlock: no step is enabled" + (f" ({at})" if at else "")
    what = {
        "assert": "assertion failed",
        "lock": "lock misuse",
        "range": "value out of range",
        "domain": "map applied outside its domain",
        "div": "division by zero",
    }.get(violation.kind, violation.kind)
    return f"{what}: {printable(violation.message)}" if violation.message else what
