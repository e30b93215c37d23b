"""The default trace: the violation, the initial state in full, then per step the
action, who took it and only the variables it changed (old -> new) or wrote with the
value they had (`locked: true (unchanged)`), each written inside a macro with the
macro calls it came from (`[in take_lock() > set_locked()]`)."""

from __future__ import annotations

from mmcheck.explorer.core.result import STUTTER, Step, Violation
from mmcheck.explorer.report.color import dim
from mmcheck.explorer.report.color import paint as styled
from mmcheck.explorer.report.view import (
    CYCLE_STARTS,
    NO_TRACE,
    STUTTER_NOTE,
    Effect,
    back_line,
    effects,
    failed_via,
    headline,
    param_texts,
    state_items,
    step_info,
)
from mmcheck.spec import ir
from mmcheck.spec.errors import format_at


class _Paint:
    """`text` in a rich style (color.paint) where colour is on, else as it is."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, style: str) -> str:
        return styled(text, style) if self.color else text


def effect_line(e: Effect, paint: _Paint) -> str:
    if e.unchanged:
        line = f"{e.name}: {e.new} (unchanged)"
    else:
        line = f"{e.name}: {paint(e.old, 'red')} -> {paint(e.new, 'green')}"
    line += via_text(e.via)
    return "  " + (dim(line) if e.unchanged and paint.color else line)


def via_text(via: tuple[ir.MacroCall, ...]) -> str:
    """The macro calls a line came from, outermost first: `  [in a() > b()]`."""
    return "  [in " + " > ".join(f"{call.name}()" for call in via) + "]" if via else ""


def violation_header(program: ir.Program, violation: Violation) -> str:
    """The headline with file:line:col and the offending source line, if located."""
    text = headline(violation, program, full=True)
    what = "witness" if violation.kind == "cover" else "violation"
    if violation.loc is None:
        return f"{what}: {text}"
    return format_at(violation.loc, text, what)


def step_title(program: ir.Program, step: Step, number: int) -> str:
    info = step_info(program, step)
    params = param_texts(program, step.action, step.params)
    title = f"Step {number}: {step.action}"
    if params:
        title += "(" + ", ".join(params) + ")"
    if info.instance is not None:
        title += f"  [{info.instance} at {info.label}]"
    return title


def lasso_note(violation: Violation) -> str:
    """For a lasso, after its length: how many steps lead to the cycle, and the cycle's."""
    if violation.loop is None:
        return ""
    return f" (a lasso: {violation.loop} to the cycle, then a cycle of {violation.cycle})"


def format_text(program: ir.Program, violation: Violation, color: bool = False) -> str:
    paint = _Paint(color)
    out = [paint(violation_header(program, violation), "bold red")]
    if not violation.trace:
        return "\n".join(out + [NO_TRACE])
    n = violation.length
    out.append(f"Trace of {n} step{'s' if n != 1 else ''}{lasso_note(violation)}:")
    first = violation.trace[0]
    if violation.loop == 0:
        out.append(CYCLE_STARTS)
    title = "State 0: initial state"
    if first.params:
        title += " (" + ", ".join(param_texts(program, None, first.params)) + ")"
    out.append(paint(title, "bold"))
    for _, name, value in state_items(program, first.state):
        out.append(f"  {name} = {value}")
    for number, (prev, step) in enumerate(zip(violation.trace, violation.trace[1:]), 1):
        out.append(paint(step_title(program, step, number), "bold"))
        if step.action == STUTTER:
            out.append(f"  {STUTTER_NOTE}")
        out.extend(effect_line(e, paint) for e in effects(program, prev, step))
        if number == violation.loop:
            out.append(CYCLE_STARTS)
    if violation.loop is not None:
        out.append(back_line(violation))
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
        out.append(paint(step_title(program, as_step, n), "bold"))
        failure = f"  fails: {headline(violation, program)}"
        out.append(paint(failure, "red") + via_text(failed_via(program, violation)))
    return "\n".join(out)
