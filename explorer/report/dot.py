"""A state graph (explorer.core.graph) in Graphviz DOT.

Initial states have a double border; states that break an invariant or deadlock are
filled red and labelled with why; a step that raises an error leads to a red octagon
naming the error; the edges of a shortest path to the nearest violation are drawn thick
and red.
"""

from __future__ import annotations

from mmcheck.explorer.core.graph import StateGraph
from mmcheck.explorer.core.result import FailedStep, Step, Violation
from mmcheck.explorer.report.view import param_texts, state_items, step_info
from mmcheck.spec import ir

BAD_FILL = "#ffb3b3"


def edge_label(program: ir.Program, step: Step | FailedStep | None) -> str:
    if step is None:
        return "Init"
    info = step_info(program, step)
    params = param_texts(program, step.action, step.params)
    args = f" [{', '.join(params)}]" if params else ""
    if info.instance is not None:
        return f"{info.instance}: {info.label}{args}"
    return f"{step.action}({', '.join(params)})"


def why(v: Violation) -> str:
    """A violation in a few words: the invariant broken, deadlock, or the error."""
    if v.kind == "invariant":
        return f"violates {v.name}"
    if v.kind == "deadlock":
        return "deadlock"
    return f"{v.kind}: {v.message}"


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _lines(lines: list[str]) -> str:
    """A left-justified multi-line DOT label."""
    return "".join(_quote(line) + "\\l" for line in lines)


def to_dot(program: ir.Program, g: StateGraph) -> str:
    title = f"{program.name}: {len(g.states)} states, {len(g.edges)} edges"
    if g.truncated:
        title += " (truncated)"
    out = [
        f'digraph "{_quote(program.name)}" {{',
        f'  label="{_quote(title)}"; labelloc=t;',
        '  node [shape=box, fontname="monospace", fontsize=10];',
        '  edge [fontname="monospace", fontsize=9];',
    ]
    for s, n in g.states.items():
        lines = [f"{name} = {value}" for _, name, value in state_items(program, s)]
        attrs = [f'label="{_lines([f"#{n}"] + lines)}"']
        if n in g.initial:
            attrs.append("peripheries=2")
        if n in g.bad:
            text = ", ".join(map(why, g.bad[n]))
            attrs += ["style=filled", f'fillcolor="{BAD_FILL}"', f'xlabel="{_quote(text)}"']
        out.append(f"  s{n} [{', '.join(attrs)}];")
    path = g.shortest_path()
    for k, (src, step, dst) in enumerate(g.edges):
        label = edge_label(program, step)
        style = ", color=red, penwidth=2" if k in path else ""
        out.append(f'  s{src} -> s{dst} [label="{_quote(label)}"{style}];')
    for k, (src, error) in enumerate(g.errors):
        out.append(
            f'  e{k} [shape=octagon, style=filled, fillcolor="{BAD_FILL}", '
            f'label="{_quote(why(error))}"];'
        )
        if src is not None:
            label = edge_label(program, error.failed)
            out.append(f'  s{src} -> e{k} [label="{_quote(label)}", color=red];')
    out.append("}")
    return "\n".join(out) + "\n"
