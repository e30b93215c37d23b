"""The default trace: the violation, the initial state in full, then per step the
action, who took it and only the variables it changed (old -> new)."""

from __future__ import annotations

from mmcheck.explorer.core.result import Step, Violation
from mmcheck.explorer.report.view import (
    NO_TRACE,
    changes,
    headline,
    param_texts,
    state_items,
    step_info,
)
from mmcheck.spec import ir
from mmcheck.spec.errors import format_at

_RESET, _BOLD, _RED, _GREEN = "\x1b[0m", "\x1b[1m", "\x1b[31m", "\x1b[32m"


class _Paint:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, *styles: str) -> str:
        return "".join(styles) + text + _RESET if self.color else text


def violation_header(program: ir.Program, violation: Violation) -> str:
    """The headline with file:line:col and the offending source line, if located."""
    text = headline(violation, program)
    if violation.loc is None:
        return f"violation: {text}"
    return format_at(violation.loc, text, "violation")


def step_title(program: ir.Program, step: Step, number: int) -> str:
    info = step_info(program, step)
    params = param_texts(program, step.action, step.params)
    title = f"Step {number}: {step.action}"
    if params:
        title += "(" + ", ".join(params) + ")"
    if info.instance is not None:
        title += f"  [{info.instance} at {info.label}]"
    return title


def format_text(program: ir.Program, violation: Violation, color: bool = False) -> str:
    paint = _Paint(color)
    out = [paint(violation_header(program, violation), _BOLD, _RED)]
    if not violation.trace:
        return "\n".join(out + [NO_TRACE])
    n = violation.length
    out.append(f"Trace of {n} step{'s' if n != 1 else ''}:")
    first = violation.trace[0]
    title = "State 0: initial state"
    if first.params:
        title += " (" + ", ".join(param_texts(program, None, first.params)) + ")"
    out.append(paint(title, _BOLD))
    for _, name, value in state_items(program, first.state):
        out.append(f"  {name} = {value}")
    for number, (prev, step) in enumerate(zip(violation.trace, violation.trace[1:]), 1):
        out.append(paint(step_title(program, step, number), _BOLD))
        for c in changes(program, prev.state, step.state):
            out.append(f"  {c.name}: {paint(c.old, _RED)} -> {paint(c.new, _GREEN)}")
    if violation.failed is not None:
        failed = violation.failed
        as_step = Step(
            failed.action,
            failed.params,
            violation.trace[-1].state,
            failed.process,
            failed.instance,
            failed.label,
        )
        out.append(paint(step_title(program, as_step, n), _BOLD))
        out.append(paint(f"  fails: {headline(violation, program)}", _RED))
    return "\n".join(out)
