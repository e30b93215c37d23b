"""The race diagram kernel developers mail each other: one column per process
instance (CPU0, CPU1, ...), each step written in its process's column, so time runs
down the page; the label (the kernel function) and, indented under it, its effect.

Fixed width, spaces only, no colour: it must paste into a mail unchanged.
"""

from __future__ import annotations

from mmcheck.explorer.core.result import Violation
from mmcheck.explorer.report.view import (
    NO_TRACE,
    changes,
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


def _effects(
    program: ir.Program, old: tuple[int, ...], new: tuple[int, ...], instance: str | None
) -> list[str]:
    """The changed variables, compactly: `page.mlocked = true`, `lock ptl`, `unlock ptl`.
    Program counters are left out: the labels in the column show the control flow."""
    out = []
    for c in changes(program, old, new):
        var = program.var(program.slots[c.slot].var)
        if var.role == "pc":
            continue
        name = c.name
        if instance is not None and name.startswith(instance + "."):
            name = name[len(instance) + 1 :]  # the column already says whose it is
        if var.type.kind == "lock" and old[c.slot] == 0:
            out.append(f"lock {name}")
        elif var.type.kind == "lock" and new[c.slot] == 0:
            out.append(f"unlock {name}")
        else:
            out.append(f"{name} = {c.new}")
    return out


def _call(
    program: ir.Program, action: str, params: tuple[tuple[str, int], ...], label: str | None
) -> str:
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


def _blocks(program: ir.Program, violation: Violation) -> list[tuple[str | None, list[str]]]:
    """Each step as (instance or None for a plain action, its lines), in order; for a
    deadlock, then a note in the column of every process left waiting."""
    blocks: list[tuple[str | None, list[str]]] = []
    for prev, step in zip(violation.trace, violation.trace[1:]):
        info = step_info(program, step)
        effects = _effects(program, prev.state, step.state, info.instance)
        call = _call(program, step.action or "", step.params, info.label)
        blocks.append((info.instance, [call] + ["  " + e for e in effects]))
    if violation.failed is not None:
        info = step_info(program, violation.failed)
        call = _call(program, violation.failed.action, violation.failed.params, info.label)
        blocks.append((info.instance, [call, f"  // {headline(violation, program)}"]))
    if violation.kind == "deadlock":
        for instance, label in waiting(program, violation.trace[-1].state):
            blocks.append((instance, [f"{label}()  // blocked"]))
    return blocks


def format_cpu(program: ir.Program, violation: Violation) -> str:
    where = f" at {violation.loc}" if violation.loc is not None else ""
    outcome = f"=> {headline(violation, program)}{where}"
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
    rows = [(column_of[instance], text) for instance, lines in blocks for text in lines]

    widths = [len(h) for h in headers]
    for col, text in rows:
        widths[col] = max(widths[col], len(text))
    starts = [sum(widths[:k]) + GAP * k for k in range(len(widths))]

    def line(col: int, text: str) -> str:
        return (" " * starts[col] + text).rstrip()

    out = _initially(program, violation.trace[0].state)
    out.append("")
    out.append("".join(h.ljust(w + GAP) for h, w in zip(headers, widths)).rstrip())
    out.append("")
    out.extend(line(col, text) for col, text in rows)
    out.append("")
    out.append(outcome)
    if idle:
        out.append(f"   (no step taken by {', '.join(idle)})")
    return "\n".join(out)
