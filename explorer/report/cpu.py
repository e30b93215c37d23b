"""The race diagram kernel developers mail each other: one column per process
instance (CPU0, CPU1, ...), each step written in its process's column, so time runs
down the page; the label (the kernel function) and, indented under it, its effect.

Under a step's label come its own effects, then those of each macro it called, under
the call's name (`do_wp_page()`), nested as the calls are; a macro stays inside its
step (the step is still one atomic transition), so these are sub-steps in name only.
Prelude primitives (get_page, spin_lock, ...) are no sub-steps: their effect is one
line that says it. A write that left the value as it was says so: `count = 1
(unchanged)`.

A lasso (a property's counterexample) has two marks from the left margin: `-- cycle
starts here --` above the first step of its cycle, and `-- back to step k: ... --`
after its last, which returns to the state after the k-th step; a stutter step (no
process moves) is `(stutter)` in the actions column.

Fixed width, spaces only, no colour: it must paste into a mail unchanged. On a colour
terminal, the unchanged writes are dimmed as well (the text stays the same).
"""

from __future__ import annotations

from mmcheck.explorer.core.result import STUTTER, Step, Violation
from mmcheck.explorer.report.color import dim
from mmcheck.explorer.report.view import (
    CYCLE_STARTS,
    NO_TRACE,
    Effect,
    back_line,
    effects,
    failed_via,
    headline,
    instance_names,
    param_texts,
    state_items,
    step_info,
    waiting,
)
from mmcheck.spec import ir

GAP = 4  # spaces between columns
ACTIONS_COLUMN = "actions"  # header of the column of actions outside any process
WIDTH = 76  # where the initial-state line wraps
INDENT = "  "  # under a label, and under each macro call
UNCHANGED = " (unchanged)"  # after a write that left the value as it was

MARK = -1  # the "column" of a lasso's marks, written from the left margin
Line = tuple[str, bool]  # a line of a column, and whether it is dimmed on a terminal


def _effect(
    program: ir.Program, e: Effect, old: tuple[int, ...], new: tuple[int, ...], instance: str | None
) -> str:
    """One effect, compactly: `page.mlocked = true`, `lock ptl`, `unlock ptl`."""
    name = e.name
    if instance is not None and name.startswith(instance + "."):
        name = name[len(instance) + 1 :]  # the column already says whose it is
    if program.var(program.slots[e.slot].var).type.kind == "lock":
        if old[e.slot] == 0:
            return f"lock {name}"
        if new[e.slot] == 0:
            return f"unlock {name}"
    return f"{name} = {e.new}" + (UNCHANGED if e.unchanged else "")


def _nested(items: list[tuple[tuple[ir.MacroCall, ...], int, Line]]) -> list[Line]:
    """Lines under a label, each under the macro calls it came from (outermost first):
    a group's own lines first, in the order given, then its calls' groups in the order
    of the calls (the least `order` of their items), each under the call's name. Calls
    are told apart by where they are made: a macro may be called twice."""
    first: dict[tuple[ir.MacroCall, ...], int] = {}
    for via, order, _ in items:
        for d in range(1, len(via) + 1):
            first[via[:d]] = min(first.get(via[:d], order), order)

    def key(k: int) -> tuple:
        via = items[k][0]
        return (*((1, first[via[:d]]) for d in range(1, len(via) + 1)), (0, k))

    out: list[Line] = []
    shown: tuple[ir.MacroCall, ...] = ()
    for k in sorted(range(len(items)), key=key):
        via, _, (text, dimmed) = items[k]
        common = 0
        while common < min(len(via), len(shown)) and via[common] == shown[common]:
            common += 1
        out.extend((INDENT * (d + 1) + f"{via[d].name}()", False) for d in range(common, len(via)))
        shown = via
        out.append((INDENT * (len(via) + 1) + text, dimmed))
    return out


def _unlabelled(via: tuple[ir.MacroCall, ...], label: str | None) -> tuple[ir.MacroCall, ...]:
    """The calls to show for an effect of a step at `label`: a step that calls the macro
    it is named after (`do_wp_page: do_wp_page(...)`) shows its effects right under the
    label, not under the same name again."""
    return via[1:] if via and via[0].name == label else via


def _effects(
    program: ir.Program, prev: Step, step: Step, instance: str | None, label: str | None
) -> list[Line]:
    """The step's effects in reading order, under the macro calls they came from.
    Program counters are left out: the labels in the column show the control flow."""
    items = [
        (
            _unlabelled(e.via, label),
            e.update if e.update is not None else -1,
            (_effect(program, e, prev.state, step.state, instance), e.unchanged),
        )
        for e in effects(program, prev, step)
        if program.var(program.slots[e.slot].var).role != "pc"
    ]
    return _nested(items)


def _call(
    program: ir.Program, action: str, params: tuple[tuple[str, int], ...], label: str | None
) -> str:
    if action == STUTTER:
        return STUTTER
    args = param_texts(program, action, params)
    if label is not None:
        return f"{label}()" + (f"  [{', '.join(args)}]" if args else "")
    return f"{action}({', '.join(args)})"


def _initially(program: ir.Program, state: tuple[int, ...]) -> list[str]:
    """The initial state, wrapped between items; program counters at their first label
    are left out (every process starts there)."""
    items = [
        f"{name} = {value}"
        for slot, name, value in state_items(program, state)
        if not (program.var(program.slots[slot].var).role == "pc" and state[slot] == 0)
    ]
    lines = ["Initially:"]
    for item in items:
        if len(lines[-1]) + len(item) + 2 > WIDTH:
            lines[-1] += ","
            lines.append("  " + item)
        else:
            lines[-1] += (" " if lines[-1].endswith(":") else ", ") + item
    return lines


def _blocks(program: ir.Program, violation: Violation) -> list[tuple[str | None, list[Line]]]:
    """Each step as (instance or None for a plain action, its lines), in order; for a
    deadlock, then a note in the column of every process left waiting."""
    blocks: list[tuple[str | None, list[Line]]] = []
    for prev, step in zip(violation.trace, violation.trace[1:]):
        info = step_info(program, step)
        call = _call(program, step.action or "", step.params, info.label)
        blocks.append(
            (
                info.instance,
                [(call, False), *_effects(program, prev, step, info.instance, info.label)],
            )
        )
    if violation.failed is not None:
        info = step_info(program, violation.failed)
        call = _call(program, violation.failed.action, violation.failed.params, info.label)
        failure = (
            _unlabelled(failed_via(program, violation), info.label),
            0,
            (f"// {headline(violation, program)}", False),
        )
        blocks.append((info.instance, [(call, False), *_nested([failure])]))
    if violation.kind == "deadlock":
        for instance, label in waiting(program, violation.trace[-1].state):
            blocks.append((instance, [(f"{label}()  // blocked", False)]))
    return blocks


def format_cpu(program: ir.Program, violation: Violation, color: bool = False) -> str:
    """The diagram; with `color`, for a terminal (color.color_allowed)."""
    where = f" at {violation.loc}" if violation.loc is not None else ""
    outcome = f"=> {headline(violation, program, full=True)}{where}"
    if not violation.trace:
        return f"{NO_TRACE}\n{outcome}"
    blocks = _blocks(program, violation)
    # only the instances that appear get a column, numbered in declaration order
    active = {instance for instance, _ in blocks}
    declared = instance_names(program)
    instances = [name for name in declared if name in active]
    instances += sorted(name for name in active if name is not None and name not in declared)
    idle = [name for name in declared if name not in active]
    headers = [f"CPU{k} ({name})" for k, name in enumerate(instances)]
    column_of: dict[str | None, int] = {name: k for k, name in enumerate(instances)}
    if None in active:
        column_of[None] = len(headers)
        headers.append(f"({ACTIONS_COLUMN})")
    rows = [(column_of[instance], line) for instance, lines in blocks for line in lines]
    if violation.loop is not None:  # a lasso: marks across the columns (MARK)
        at = sum(len(lines) for _, lines in blocks[: violation.loop])
        rows[at:at] = [(MARK, (CYCLE_STARTS, False))]
        rows.append((MARK, (back_line(violation), False)))

    widths = [len(h) for h in headers]
    for col, (text, _) in rows:
        if col != MARK:
            widths[col] = max(widths[col], len(text))
    starts = [sum(widths[:k]) + GAP * k for k in range(len(widths))]

    def line(col: int, text: str, dimmed: bool) -> str:
        if dimmed and color:  # the indent stays plain
            body = text.lstrip(" ")
            text = text[: len(text) - len(body)] + dim(body)
        return " " * starts[col] + text if col != MARK else text

    out = _initially(program, violation.trace[0].state)
    out.append("")
    out.append("".join(h.ljust(w + GAP) for h, w in zip(headers, widths)).rstrip())
    out.append("")
    out.extend(line(col, text, dimmed) for col, (text, dimmed) in rows)
    out.append("")
    out.append(outcome)
    if idle:
        out.append(f"   (no step taken by {', '.join(idle)})")
    return "\n".join(out)
