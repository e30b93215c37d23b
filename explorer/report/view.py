"""How states and steps read in every output format: slot names as the spec writes
them, values through the IR types, parameters, and the variables a step changed.

Shared by the text trace, the CPU diagram, ITF, the DOT graph and the coverage table.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from mmcheck.explorer.core.result import FailedStep, Step, Violation
from mmcheck.explorer.core.writes import writers
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


def slot_label(program: ir.Program, slot: int, drop: int = 0) -> str:
    """A slot as the spec writes it: `pte[2]`, `page.count`, `pages[1].count`,
    and process variables under their instance: `fault[2].pc`, `reclaim.ok`. With
    `drop`, the value the slot is part of, without its last `drop` index values (the
    set of records that a slot is one record of: `msgs`, `node[2].inbox`)."""
    s = program.slots[slot]
    var = program.var(s.var)
    dims, index = var.dims[: len(var.dims) - drop], s.index[: len(s.index) - drop]
    k = min(_owned_dims(program, var), len(dims))
    if k == 0:
        return var.name + _index_text(dims, index)
    head, _, tail = var.name.partition(".")
    process = next((p for p in program.processes if p.name == head), None)
    if process is not None:
        owner = ir.instance_name(process, index[0])
    else:
        owner = head + _index_text(dims, index)
    return f"{owner}.{tail}" + _index_text(dims[k:], index[k:])


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


@dataclass(frozen=True)
class Effect:
    """What a step did to one slot: a change, or a write that left the value as it was
    (`unchanged`). `via` is the chain of macro calls it came from, outermost first,
    without prelude primitives: their effect is the line itself (`page.count = 2`).
    `update` is the index of the update that wrote it in the step's action (None where
    that is not known)."""

    slot: int
    name: str
    old: str
    new: str
    unchanged: bool = False
    via: tuple[ir.MacroCall, ...] = ()
    update: int | None = None

    @property
    def via_names(self) -> list[str]:
        return [call.name for call in self.via]


def effects(program: ir.Program, prev: Step, step: Step) -> list[Effect]:
    """The changes of a step and the writes that left a value unchanged, in reading
    order. Writes to program counters (the labels say the control flow) and locks
    (taken and released in one step) show only where they change the value, as does
    a write of a whole map or set (only the elements it changed)."""
    decl = find_action(program, step.action) if step.action is not None else None
    wrote = writers(program, decl, dict(step.params), prev.state) if decl else None
    if wrote is None:
        return seq_effects(
            program,
            prev.state,
            step.state,
            [
                Effect(c.slot, c.name, c.old, c.new)
                for c in changes(program, prev.state, step.state)
            ],
        )
    assert decl is not None
    out = []
    for i in reading_order(program):
        old, new = prev.state[i], step.state[i]
        k = wrote.get(i)
        u = decl.updates[k] if k is not None else None
        if old == new:
            var = program.var(program.slots[i].var)
            if not isinstance(u, ir.Assign) or var.role == "pc" or var.type.kind == "lock":
                continue
        via = tuple(call for call in u.via if not call.primitive) if u is not None else ()
        out.append(
            Effect(
                i,
                slot_label(program, i),
                program.show_slot(i, old),
                program.show_slot(i, new),
                old == new,
                via,
                k,
            )
        )
    return seq_effects(program, prev.state, step.state, out)


def failed_via(program: ir.Program, violation: Violation) -> tuple[ir.MacroCall, ...]:
    """The macro calls (no prelude primitive) of the check that failed in the failed step,
    where its action has one check of that kind at that place; else ()."""
    decl = find_action(program, violation.failed.action) if violation.failed else None
    vias = {
        tuple(call for call in c.via if not call.primitive)
        for c in (decl.checks if decl else ())
        if c.kind == violation.kind and c.loc == violation.loc
    }
    return vias.pop() if len(vias) == 1 else ()


def state_items(program: ir.Program, state: tuple[int, ...]) -> list[tuple[int, str, str]]:
    """Every slot of a state as (slot, name, value), in reading order; a sequence as one
    item (`waiters = <<2, 1>>`), a set of records too."""
    seqs = grouped(program)
    return [
        (i, seqs[i].name, seqs[i].show(program, state))
        if i in seqs
        else (i, slot_label(program, i), program.show_slot(i, state[i]))
        for i in reading_order(program)
        if i not in seqs or i == seqs[i].length
    ]


# ---------------------------------------------------------------------- sequences


@dataclass(frozen=True)
class SeqSlots:
    """One sequence of the spec in the state: the slot of its length and those of its
    positions 1..cap (the lowering's variables `q.len` and `q`)."""

    name: str  # as the spec writes it: `waiters`, `task[2].queue`
    length: int
    positions: tuple[int, ...]

    def elements(self, state: tuple[int, ...]) -> tuple[int, ...]:
        """The slots of its positions up to its length."""
        return self.positions[: state[self.length]]

    def show(self, program: ir.Program, state: tuple[int, ...]) -> str:
        """As the spec writes it: `<<2, 1>>`."""
        items = (program.show_slot(p, state[p]) for p in self.elements(state))
        return "<<" + ", ".join(items) + ">>"


def sequences(program: ir.Program) -> dict[int, SeqSlots]:
    """Each slot of a sequence, its length's and its positions', -> the sequence. A
    sequence is the IR variables `q.len` and `q`, whose last dimension is its positions
    (a process set's local: one sequence per instance)."""
    names = {v.name for v in program.vars}
    out: dict[int, SeqSlots] = {}
    for v in program.vars:
        base = v.name.removesuffix(".len")
        if base == v.name or base not in names:
            continue
        items = program.var(base)
        if len(items.dims) != len(v.dims) + 1:
            continue
        cap = ir.dim_bounds(items)[-1]
        size = cap[1] - cap[0] + 1
        start = program.offset(base)
        for n, slot in enumerate(program.var_slots(v.name)):
            positions = tuple(range(start + n * size, start + (n + 1) * size))
            seq = SeqSlots(slot_label(program, slot).removesuffix(".len"), slot, positions)
            out.update((s, seq) for s in (slot, *positions))
    return out


# ---------------------------------------------------------------------- sets of records


@dataclass(frozen=True)
class RecordSetSlots:
    """One set of records of the spec in the state: a slot per record (the lowering's
    bitmap, its last dimensions the records' fields)."""

    name: str  # as the spec writes it: `msgs`, `node[2].inbox`
    var: ir.Var
    slots: tuple[int, ...]  # in row-major order of the fields' values

    @property
    def length(self) -> int:
        """The slot that stands for the whole set (as a sequence's length slot does)."""
        return self.slots[0]

    def records(self, state: tuple[int, ...]) -> list[list[tuple[str, ir.Dim, int]]]:
        """Each record in the set, as (field, its dimension, its value) in field order."""
        n = len(self.var.elem_fields)
        dims = self.var.dims[-n:]
        return [
            list(zip(self.var.elem_fields, dims, ix))
            for slot, ix in zip(self.slots, ir.indices(ir.dim_bounds(self.var)[-n:]))
            if state[slot]
        ]

    def show(self, program: ir.Program, state: tuple[int, ...]) -> str:
        """As the spec writes it: `{{kind: commit, rm: 1}, {kind: commit, rm: 2}}`."""
        items = (
            "{" + ", ".join(f"{f}: {d.show(v)}" for f, d, v in rec) + "}"
            for rec in self.records(state)
        )
        return "{" + ", ".join(items) + "}"


def record_sets(program: ir.Program) -> dict[int, RecordSetSlots]:
    """Each slot of a set of records -> the set (one per index of the variable's other
    dimensions: a map's element, a process set's instance)."""
    out: dict[int, RecordSetSlots] = {}
    for v in program.vars:
        n = len(v.elem_fields)
        if not n:
            continue
        size = len(list(ir.indices(ir.dim_bounds(v)[-n:])))
        slots = program.var_slots(v.name)
        for start in range(slots.start, slots.stop, size):
            group = RecordSetSlots(
                slot_label(program, start, n), v, tuple(range(start, start + size))
            )
            out.update((s, group) for s in group.slots)
    return out


def grouped(program: ir.Program) -> dict[int, SeqSlots | RecordSetSlots]:
    """The slots shown together as one value: those of a sequence, of a set of records."""
    return {**sequences(program), **record_sets(program)}


def seq_effects(
    program: ir.Program, old: tuple[int, ...], new: tuple[int, ...], items: list[Effect]
) -> list[Effect]:
    """The effects with those on the slots of one sequence (or set of records) made one,
    where the first of them is (`waiters: <<2>> -> <<2, 3>>`)."""
    seqs = grouped(program)
    out: list[Effect] = []
    done: set[int] = set()
    for e in items:
        seq = seqs.get(e.slot)
        if seq is None:
            out.append(e)
        elif seq.length not in done:
            done.add(seq.length)
            before, after = seq.show(program, old), seq.show(program, new)
            out.append(
                replace(
                    e,
                    slot=seq.length,
                    name=seq.name,
                    old=before,
                    new=after,
                    unchanged=before == after,
                )
            )
    return out


def find_action(program: ir.Program, name: str | None) -> ir.Action | None:
    if name is None:
        return program.init
    for a in program.actions:
        if a.name == name:
            return a
    return None


def taken(decl: ir.Action | None, params: tuple[tuple[str, int], ...]) -> list[tuple[str, int]]:
    """The parameters without the `either`s and `with`s the step did not reach."""
    hidden = {p.name: p for p in decl.params if p.hidden} if decl else {}
    return [(n, v) for n, v in params if n not in hidden or hidden[n].reached(v)]


def param_texts(
    program: ir.Program, action: str | None, params: tuple[tuple[str, int], ...]
) -> list[str]:
    """Parameters as the reader wants them: `expected=2`, an `either` choice as `branch k`,
    a `with`'s as `with x = 2`; a process step's `self` is left out (the instance names
    it)."""
    decl = find_action(program, action)
    decls = {p.name: p for p in decl.params} if decl else {}
    out = []
    for name, value in taken(decl, params):
        p = decls.get(name)
        if p is not None and p.binds:
            out.append(f"with {p.binds} = {p.chosen().show(value)}")
        elif p is not None and p.hidden and p.type.none:  # `alloc`'s choice, or none
            out.append(f"alloc = {p.type.show(value)}")
        elif p is not None and p.hidden:  # branches count from 1, as a reader counts them
            out.append(f"branch {value}")
        elif name == "self" and decl is not None and decl.process is not None:
            continue
        else:
            out.append(f"{name}={p.type.show(value) if p else value}")
    return out


def param_values(
    program: ir.Program, action: str | None, params: tuple[tuple[str, int], ...]
) -> list[tuple[str, int, ir.ScalarType | None]]:
    """Parameters as (name, raw value, type) for the machine-readable formats; a `with`'s
    choice as `with x` and the value chosen."""
    decl = find_action(program, action)
    decls = {p.name: p for p in decl.params} if decl else {}
    out: list[tuple[str, int, ir.ScalarType | None]] = []
    for n, v in taken(decl, params):
        p = decls.get(n)
        if p is not None and p.binds:
            out.append((f"with {p.binds}", v, p.chosen()))
        else:
            out.append((n, v, p.type if p else None))
    return out


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


# Lasso marks (a property's counterexample, Violation.loop): the line before the state
# the cycle starts at, in the text trace and the CPU diagram alike, and what a stutter
# step (no process moves; result.STUTTER) says in place of its effects.
CYCLE_STARTS = "-- cycle starts here --"
STUTTER_NOTE = "nothing moves: the state stays as it is"


def back_line(violation: Violation) -> str:
    """The line that ends a lasso's trace: the step whose state the last step returns
    to, and the cycle's length."""
    k, cycle = violation.loop or 0, violation.cycle or 0
    to = f"step {k}" if k else "the initial state"
    return f"-- back to {to}: the cycle of {cycle} step{'s' * (cycle != 1)} repeats forever --"


def headline(violation: Violation, program: ir.Program | None = None, full: bool = False) -> str:
    """One line saying what went wrong; given the program, a deadlock also says where
    each unfinished process waits. A property's is its message up to what the lasso
    shows (`property Name (P leads_to Q) is violated`), or with `full` (above a trace)
    the whole message."""
    if violation.kind == "invariant":
        return f"invariant {violation.name} is violated"
    if violation.kind == "property":
        message = printable(violation.message)
        if full and message:
            return message
        short = message.split(": ", 1)[0]
        return short if short.startswith("property ") else f"property {violation.name} is violated"
    if violation.kind == "cover":
        return f"cover {violation.name} is reached"
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
        "null": "NULL dereference",
        "free": "use after free",
    }.get(violation.kind, violation.kind)
    return f"{what}: {printable(violation.message)}" if violation.message else what
