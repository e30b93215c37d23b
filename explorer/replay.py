"""`mmcheck replay SPEC DIAGRAM`: replay a race written the way kernel developers argue
races on the list, and say whether it can happen.

DIAGRAM is the CPU diagram `check --trace cpu` prints (explorer/report/cpu.py: a column
per process instance under a `CPUk (instance)` header, a step's call line at its
column's start, its effects indented under it; `Initially:` pins the initial state),
or a plain list of `instance: label` lines (`reclaim: mlock_vma_page`, `fault[2]:
do_fault [branch 1]`, or `action(args)` for an action outside any process). Blank
lines and `#` comments are ignored. Arguments written with a step (`[with w = 1]`,
`shrink(n=2)`) must be among those the step takes; a step written without them may
take any.

The replay is exact: a breadth-first search over (state, position in the diagram) on
the tuple back end's model, each line taken by every edge of its instance's step at
its label whose arguments match, from every initial state the `Initially:` items allow
(or every initial state). So a `with` or `either` inside a step, or a choice of the
initial state, is tried every way. The answer is either "possible" (with the first
invariant that breaks, or step error, or the deadlock the schedule ends in, and the
trace), or the first line that no path can take, with why: the instance's pc is
elsewhere, or the step waits (its `await`, the lock it waits for and who holds it, a
`with` with nothing to choose: ir.Action.waits), each named as the spec writes it.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path

from mmcheck.explorer.core.limits import Limits
from mmcheck.explorer.core.model import EvalError, State
from mmcheck.explorer.core.options import CheckOptions
from mmcheck.explorer.core.result import EXIT_OK, EXIT_VIOLATION, Step, Violation
from mmcheck.explorer.core.search import Search
from mmcheck.explorer.core.writes import NotEvaluable, evaluate
from mmcheck.explorer.report.cpu import ACTIONS_COLUMN, INDENT
from mmcheck.explorer.report.view import (
    CYCLE_STARTS,
    find_action,
    headline,
    param_texts,
    slot_label,
    state_items,
    waiting,
)
from mmcheck.explorer.tuple.bfs import make_search
from mmcheck.spec import ir, program
from mmcheck.spec.arguments import add_spec_arguments, check_writable, load_spec, require_state
from mmcheck.spec.errors import (
    Loc,
    SpecError,
    SpecErrors,
    UsageError,
    did_you_mean,
    format_at,
    read_text,
    register_source,
    source_line,
)

POSSIBLE, IMPOSSIBLE = "possible", "impossible"
# the exit status of a schedule that cannot happen (0: possible, nothing breaks; 1:
# possible, and a violation; 2: a spec or diagram error)
EXIT_IMPOSSIBLE = 4
DIAGRAM_TEXT = "<diagram>"  # the file name errors give a diagram passed as text

_HEADER = re.compile(r"CPU\d+ \(([^()]*)\)|\(" + re.escape(ACTIONS_COLUMN) + r"\)")
_CALL = re.compile(r"([A-Za-z_][\w.]*)\((.*?)\)(?:\s+\[(.*)\])?\s*$")  # name(args)  [args]
_ACTION = re.compile(r"([A-Za-z_][\w.]*)\s*(?:\((.*)\))?")  # name, or name(args)
_PLAIN = re.compile(r"([A-Za-z_][\w.]*(?:\[[^\]]*\])?)\s*:\s*([A-Za-z_]\w*)\s*(?:\(\s*\))?(.*)$")
_BLOCKED = "// blocked"  # cpu.py's note beside a process a deadlock leaves waiting
_BACK = re.compile(r"-- back to .* --")  # the last line of a lasso (view.back_line)


# --------------------------------------------------------------------------- the diagram


@dataclass(frozen=True)
class Line:
    """One step of the diagram: an instance's label, or an action outside any process
    (`instance` None), with the arguments written beside it."""

    loc: Loc
    instance: str | None
    name: str
    args: tuple[str, ...]


@dataclass(frozen=True)
class Diagram:
    file: str
    steps: tuple[Line, ...]
    initially: tuple[tuple[str, str, Loc], ...] = ()  # (name, value, where) pinned


def _split(text: str) -> list[tuple[int, str]]:
    """`a, b = {1, 2}, c` split at the commas outside brackets, each item with its
    offset in `text`, stripped."""
    out, depth, start = [], 0, 0
    for k, c in enumerate(text + ","):
        if c in "([{<":
            depth += 1
        elif c in ")]}>":
            depth -= 1
        elif c == "," and depth <= 0:
            item = text[start:k]
            out.append((start + len(item) - len(item.lstrip()), item.strip()))
            start = k + 1
    return [(k, item) for k, item in out if item]


def _args(text: str | None) -> tuple[str, ...]:
    return tuple(item for _, item in _split(text or ""))


def _uncomment(line: str) -> str:
    """The line without a `#` comment (one at the line's start or after a blank)."""
    m = re.search(r"(^|\s)#", line)
    return (line[: m.start()] if m else line).expandtabs(8).rstrip()


def _unquoted(lines: list[str]) -> list[str]:
    """The lines of a diagram quoted in a reply (`> ` before each, `>> ` in a reply to a
    reply) with the quote marks made blanks, so that columns and places stay as they
    are in the text."""
    while any(line.strip() for line in lines) and all(
        line.lstrip(" ").startswith(">") for line in lines if line.strip()
    ):
        lines = [line.replace(">", " ", 1) if line.strip() else line for line in lines]
    return lines


def parse_diagram(text: str, file: str) -> Diagram:
    """The steps of a CPU diagram or of a plain list; SpecErrors at file:line:col."""
    register_source(file, text)
    lines = _unquoted([_uncomment(raw) for raw in text.splitlines()])
    errors: list[SpecError] = []
    first = next((n for n, line in enumerate(lines) if line.strip()), len(lines))
    initially, body_from = _initially(lines, first, file, errors)
    header = next(
        (n for n in range(body_from, len(lines)) if _HEADER.match(lines[n].lstrip())), None
    )
    if header is None:
        steps = _plain(lines, body_from, file, errors)
    else:
        steps = _columns(lines, header, file, errors)
    if errors:
        raise SpecErrors(errors)
    if not steps:
        raise SpecErrors([SpecError(Loc(file, 1, 1), "the diagram has no step")])
    return Diagram(file, tuple(steps), tuple(initially))


def _initially(
    lines: list[str], n: int, file: str, errors: list[SpecError]
) -> tuple[list[tuple[str, str, Loc]], int]:
    """The items of an `Initially:` at line `n` (its continuation lines indented), and
    the line after them; none where line `n` is no `Initially:`."""
    items: list[tuple[str, str, Loc]] = []
    if n == len(lines) or not lines[n].lstrip().startswith("Initially:"):
        return items, n
    k, indent = n, lines[n].index("Initially:")
    while True:
        start = indent + len("Initially:") if k == n else 0
        for off, item in _split(lines[k][start:]):
            name, eq, value = item.partition(" = ")
            loc = Loc(file, k + 1, start + off + 1)
            if eq:
                items.append((name.strip(), value.strip(), loc))
            else:
                errors.append(SpecError(loc, f"expected `name = value`, got {item!r}"))
        k += 1  # the items go on on the lines indented under it
        if k == len(lines) or len(lines[k]) - len(lines[k].lstrip()) <= indent:
            return items, k


def _plain(lines: list[str], start: int, file: str, errors: list[SpecError]) -> list[Line]:
    """`instance: label [args]` or `action(args)`, one a line."""
    out = []
    for n in range(start, len(lines)):
        text = lines[n].strip()
        if not text:
            continue
        loc = Loc(file, n + 1, len(lines[n]) - len(lines[n].lstrip()) + 1)
        m = _PLAIN.fullmatch(text)
        if m is not None:
            rest = m.group(3).strip()
            if rest and not (rest.startswith("[") and rest.endswith("]")):
                at = Loc(file, loc.line, loc.col + m.start(3) + m.group(3).index(rest))
                errors.append(
                    SpecError(at, f"expected `[arguments]` after the label, got {rest!r}")
                )
                continue
            out.append(Line(loc, m.group(1), m.group(2), _args(rest[1:-1])))
            continue
        m = _ACTION.fullmatch(text)
        if m is not None:
            out.append(Line(loc, None, m.group(1), _args(m.group(2))))
            continue
        errors.append(
            SpecError(loc, "expected `instance: label` (or `action(arguments)`)", hint=None)
        )
    return out


def _columns(lines: list[str], header: int, file: str, errors: list[SpecError]) -> list[Line]:
    """The steps of a CPU diagram: the lines that start exactly at a column's start,
    read until the `=>` outcome line."""
    columns = {m.start(): m.group(1) for m in _HEADER.finditer(lines[header])}
    out = []
    column: int | None = None  # where the last step starts
    nested = 0  # the depth of the line above under that step
    for n in range(header + 1, len(lines)):
        line = lines[n]
        text = line.strip()
        if text.startswith("=>"):
            break
        at = len(line) - len(line.lstrip())
        loc = Loc(file, n + 1, at + 1)
        if not text or text.endswith(_BLOCKED):
            continue  # a deadlock's note beside a waiting process
        if text == CYCLE_STARTS or _BACK.fullmatch(text):
            errors.append(
                SpecError(
                    loc,
                    "a lasso's mark: replay takes a finite schedule, not a cycle (`mmcheck "
                    "check` decides the spec's properties); delete the marks to replay its "
                    "steps once",
                )
            )
            continue
        if at not in columns:
            # what a step did (an effect, a macro call and what it did), under the step
            # and one INDENT deeper at most than the line above; a step off its column's
            # start would be lost: say so
            depth, rest = divmod(at - (column if column is not None else at), len(INDENT))
            if column is None or rest or not 1 <= depth <= nested + 1:
                starts = ", ".join(f"{c + 1}" for c in sorted(columns))
                errors.append(
                    SpecError(
                        loc,
                        f"{text!r} is off the columns: a step starts at a column's start "
                        f"(column {starts}), what it did {len(INDENT)} columns in under it",
                    )
                )
            else:
                nested = depth
            continue
        column, nested = at, 0
        m = _CALL.fullmatch(text)
        instance = columns[at]
        if m is None or (instance is None and m.group(3) is not None):
            errors.append(
                SpecError(loc, f"expected a step: `label()` or `action(...)`, got {text!r}")
            )
            continue
        if instance is not None and m.group(2).strip():
            errors.append(
                SpecError(loc, "a process step's arguments go in `[...]` after `label()`")
            )
            continue
        args = m.group(3) if instance is not None else m.group(2)
        out.append(Line(loc, instance, m.group(1), _args(args)))
    return out


def read_diagram(diagram: str | os.PathLike) -> Diagram:
    """A diagram from a path (os.PathLike, or a str without a newline) or from its text."""
    if isinstance(diagram, os.PathLike) or "\n" not in diagram:
        file = os.fspath(diagram)
        try:
            text = read_text(Path(file), file)
        except OSError as e:
            raise UsageError(f"{file}: cannot read the diagram: {e.strerror or e}") from None
        except SpecError as e:
            raise SpecErrors([e]) from None
        return parse_diagram(text, file)
    return parse_diagram(diagram, DIAGRAM_TEXT)


# --------------------------------------------------------------------------- the steps


@dataclass(frozen=True)
class Move:
    """A diagram line resolved against the program: the edges that may take it."""

    line: Line
    action: ir.Action
    process: ir.Process | None
    index: int | None  # the instance's `self`
    edges: tuple[int, ...]


def _resolve(search: Search, line: Line) -> Move:
    """The edges of `line` (a SpecError naming what the program does not have)."""
    prog, model = search.model.program, search.model
    process, index = None, None
    if line.instance is not None:
        instances = {ir.instance_name(p, i): (p, i) for p, i, _ in prog.process_instances()}
        if line.instance not in instances:
            close = did_you_mean(line.instance, instances)
            raise SpecError(
                line.loc,
                f"no process instance {line.instance!r} (the spec has: {', '.join(instances)})",
                hint=close,
            )
        process, index = instances[line.instance]
        if line.name not in process.labels:
            raise SpecError(
                line.loc,
                f"{process.name} has no label {line.name!r}",
                hint=did_you_mean(line.name, process.labels),
            )
        action = next(a for a in prog.actions if a.process == process.name and a.label == line.name)
    else:
        plain = [a.name for a in prog.actions if a.process is None]
        if line.name not in plain:
            raise SpecError(
                line.loc,
                f"no action {line.name!r} (the spec's actions: {', '.join(plain) or 'none'})",
                hint=did_you_mean(line.name, plain),
            )
        action = find_action(prog, line.name)
        assert action is not None
    group = next(g for g in model.groups if g.action is action)
    edges, taken = [], set()
    for off in range(group.count):
        values = group.params(off)
        params = tuple((p.name, v) for p, v in zip(action.params, values))
        if process is not None and process.index is not None and dict(params)["self"] != index:
            continue
        texts = param_texts(prog, action.name, params)
        taken.update(texts)
        if set(line.args) <= set(texts):
            edges.append(group.base + off)
    if not edges:
        who = f"{line.instance} at {line.name}" if line.instance is not None else line.name
        takes = ", ".join(sorted(taken)) or "no argument"
        raise SpecError(line.loc, f"{who} never takes {', '.join(line.args)} (it takes: {takes})")
    return Move(line, action, process, index, tuple(edges))


# --------------------------------------------------------------------------- why not


def _call_text(loc: Loc) -> str:
    """The call written at `loc`, up to its closing parenthesis: `spin_lock(ptl[v])`."""
    line = (source_line(loc.file, loc.line) or "")[loc.col - 1 :]
    depth = 0
    for k, c in enumerate(line):
        depth += {"(": 1, ")": -1}.get(c, 0)
        if c == ")" and depth == 0:
            return line[: k + 1]
    return line.strip()


def _site(w: ir.Wait) -> str:
    """A wait as the spec writes it: its statement and place, and the macro call it is
    in; inside a prelude primitive, the primitive's call (`spin_lock(ptl[v])` at ...)."""
    own = (source_line(w.loc.file, w.loc.line) or "").strip().partition(" {")[0]
    if w.via and w.via[-1].primitive:
        call = w.via[-1]
        called = f"`{_call_text(call.loc)}` at {call.loc}"
        return called if w.kind == "lock" else f"`{own}` in {called}"
    inside = f", in {w.via[-1].name}() called at {w.via[-1].loc}" if w.via else ""
    return f"`{own}` at {w.loc}{inside}"


def _reads(e: object) -> Iterator[ir.Read]:
    """The variables an expression reads, outermost first."""
    if isinstance(e, tuple):
        for x in e:
            yield from _reads(x)
    elif isinstance(e, ir.Read | ir.Unary | ir.Binary | ir.Ite | ir.Guard | ir.Quant):
        if isinstance(e, ir.Read):
            yield e
        for f in fields(e):
            yield from _reads(getattr(e, f.name))


def _values(prog: ir.Program, cond: ir.Expr, state: State, env: dict[str, int]) -> list[str]:
    """The state's values that a wait's condition reads (not the path condition that
    reaches it, nor program counters), as `page.locked = true`."""
    if isinstance(cond, ir.Binary) and cond.op == "=>":
        cond = cond.right
    out: list[str] = []
    for r in _reads(cond):
        if prog.var(r.var).role == "pc":
            continue
        try:
            slot = prog.slot_index(r.var, tuple(evaluate(prog, i, state, env) for i in r.index))
        except (NotEvaluable, IndexError, KeyError):
            continue  # an index reading a quantifier's variable
        item = f"{slot_label(prog, slot)} = {prog.show_slot(slot, state[slot])}"
        if item not in out:
            out.append(item)
    return out


def _wait_reason(
    prog: ir.Program, move: Move, w: ir.Wait, state: State, env: dict[str, int]
) -> str:
    if move.line.instance is None:  # an action: which one, its arguments said
        args = param_texts(prog, move.action.name, tuple(env.items()))
        who, at = f"{move.action.name}({', '.join(args)})", ""
    else:
        who, at = move.line.instance, f" at {move.line.name}"
    if w.kind == "lock" and w.place is not None and w.holder is not None:
        var, index = w.place
        try:
            slot = prog.slot_index(var, tuple(evaluate(prog, i, state, env) for i in index))
            holder = evaluate(prog, w.holder, state, env)
        except (NotEvaluable, IndexError):
            return f"{who} waits{at} for a lock: {_site(w)}"
        return (
            f"{who} waits{at} for {slot_label(prog, slot)}, held by "
            f"{prog.show_slot(slot, holder)} ({_site(w)})"
        )
    if w.kind == "with":
        return f"{who}{at} has nothing to choose: {_site(w)} is empty"
    values = _values(prog, w.cond, state, env)
    why = f": {', '.join(values)}" if values else ""
    waits = " waits" if move.line.instance is not None else ""
    return f"{who}{waits}{at}: {_site(w)} is false{why}"


def _why_not(search: Search, move: Move, state: State) -> list[str]:
    """Why no edge of `move` is taken from `state`: where the instance is, what each
    way through the step waits for, or the constraint its successor breaks."""
    prog, model = search.model.program, search.model
    if move.process is not None:
        slot = (
            prog.slot_index(move.process.pc_var, (move.index,))
            if move.process.index is not None
            else prog.offset(move.process.pc_var)
        )
        pc = state[slot]
        if pc == move.process.done:
            return [f"{move.line.instance} has finished"]
        label = move.process.labels[pc]
        if label != move.line.name:
            return [f"{move.line.instance} is at {label}, not at {move.line.name}"]
    waits, choices, outside = [], [], []
    for edge in move.edges:
        _, values = model.decode(edge)
        env = {p.name: v for p, v in zip(move.action.params, values)}
        try:
            nxt = model.step(edge, state)
        except EvalError:
            nxt = None
        if nxt is not None:  # taken, but out of the state space
            con = next(c for c, fn in model.constraints if not _holds(fn, nxt))
            outside.append(f"the state after it breaks constraint {con.name} ({con.loc})")
            continue
        for w in move.action.waits:
            try:
                holds = evaluate(prog, w.cond, state, env)
            except NotEvaluable:
                continue
            if not holds:
                reason = _wait_reason(prog, move, w, state, env)
                (choices if w.kind == "with" else waits).append(reason)
                break
    found = waits or choices or outside
    return list(dict.fromkeys(found)) or [
        f"{move.line.instance or move.action.name} is not enabled"
    ]


def _holds(fn: Callable[[State], object], state: State) -> bool:
    """Whether a constraint holds in `state` (one that fails to evaluate counts as
    holding: Search.kept keeps the state, for its error to be reported)."""
    try:
        return bool(fn(state))
    except EvalError:
        return True


# --------------------------------------------------------------------------- the replay


@dataclass
class Replay:
    """What a replay found. `verdict` POSSIBLE: every step happens (up to `violation`, if
    one breaks); `trace` the path taken. IMPOSSIBLE: step `at` cannot happen, `why`
    says why (one reason per way the steps before it could have gone, where they
    differ), `trace` the path to the state before it."""

    program: ir.Program
    diagram: Diagram
    verdict: str
    trace: tuple[Step, ...]
    violation: Violation | None = None
    at: int | None = None
    why: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.verdict == IMPOSSIBLE:
            return EXIT_IMPOSSIBLE
        return EXIT_VIOLATION if self.violation is not None else EXIT_OK

    @property
    def steps(self) -> int:
        return len(self.diagram.steps)

    def summary(self) -> str:
        """The answer in one line (then, for a step that cannot happen, the line of the
        diagram it is)."""
        if self.verdict == IMPOSSIBLE:
            what = "the initial state" if self.at == 0 else f"step {self.at}"
            reason = "; or ".join(self.why)
            if self.at == 0:
                return f"{what} cannot be: {reason}"
            loc = self.diagram.steps[self.at - 1].loc  # type: ignore[operator]
            return format_at(loc, reason, f"step {self.at} cannot happen")
        v = self.violation
        if v is None:
            return f"possible: no invariant breaks; {self.steps} step{'s' * (self.steps != 1)}"
        step = v.length
        if v.kind == "invariant":
            what = f"invariant {v.name} breaks at step {step}"
        elif v.kind == "deadlock":
            where = ", ".join(
                f"{i} at {label}" for i, label in waiting(self.program, v.trace[-1].state)
            )
            what = f"deadlock after step {step}: no step is enabled" + (
                f" ({where})" if where else ""
            )
        else:
            what = f"{headline(v, self.program)} at step {step}" + (
                f" ({v.loc})" if v.loc is not None else ""
            )
        rest = self.steps - step
        more = f" (the diagram's last {rest} steps are not replayed)" if rest > 0 else ""
        return f"possible: {what}{more}"


def _initial(search: Search, diagram: Diagram) -> tuple[list[State], list[str]]:
    """The initial states the diagram's `Initially:` allows, in the spec's order; where
    there is none, why."""
    prog = search.model.program
    states = [s for s in search.model.iter_init() if search.kept(s)]
    if not states:
        return [], ["the spec has no initial state (within its constraints)"]
    if not diagram.initially:
        return states, []
    names = {name for _, name, _ in state_items(prog, states[0])}
    for name, _, loc in diagram.initially:
        if name not in names:
            raise SpecError(loc, f"the spec has no {name!r}", hint=did_you_mean(name, names))
    for name, value, _ in diagram.initially:
        shown = [{n: v for _, n, v in state_items(prog, s)} for s in states]
        left = [s for s, items in zip(states, shown) if items[name] == value]
        if not left:
            have = list(dict.fromkeys(items[name] for items in shown))
            one_of = "it is" if len(have) == 1 else "it is one of"
            return [], [f"no initial state has {name} = {value} ({one_of} {', '.join(have)})"]
        states = left
    return states, []


def _path(parents: list[dict[State, tuple[State, int] | None]], state: State) -> list[tuple]:
    """(edge or None, state) from the initial state to `state` at the last level."""
    out: list[tuple] = []
    for level in reversed(parents):
        link = level[state]
        out.append((link[1] if link else None, state))
        if link:
            state = link[0]
    return out[::-1]


def run_replay(prog: ir.Program, diagram: Diagram, options: CheckOptions | None = None) -> Replay:
    """Replay `diagram` on `prog`, checking the invariants `options` chooses (every
    invariant by default) and deadlock unless it says not to."""
    options = options or CheckOptions()
    search = make_search(
        prog,
        CheckOptions(
            invariants=options.invariants,
            lemmas=options.lemmas,
            deadlock=options.deadlock,
            symmetry=False,
        ),
        Limits(),
    )
    model = search.model
    moves = []
    errors = []
    for line in diagram.steps:
        try:
            moves.append(_resolve(search, line))
        except SpecError as e:
            errors.append(e)
    if errors:
        raise SpecErrors(errors)

    def steps_to(state: State) -> list[Step]:
        return [model.trace_step(e, s) for e, s in _path(parents, state)]

    try:
        starts, why = _initial(search, diagram)
    except EvalError as e:
        return Replay(prog, diagram, POSSIBLE, (), search.init_error(e))
    except SpecError as e:
        raise SpecErrors([e]) from None
    if not starts:
        return Replay(prog, diagram, IMPOSSIBLE, (), at=0, why=why)
    parents: list[dict[State, tuple[State, int] | None]] = [dict.fromkeys(starts)]
    for s in starts:
        if not search.state_ok(s):
            steps = steps_to(s)
            return Replay(prog, diagram, POSSIBLE, tuple(steps), search.state_violation(steps))
    for k, move in enumerate(moves, 1):
        level: dict[State, tuple[State, int] | None] = {}
        for s in parents[-1]:
            for edge in move.edges:
                try:
                    nxt = model.step(edge, s)
                except EvalError as err:
                    steps = steps_to(s)
                    return Replay(
                        prog, diagram, POSSIBLE, tuple(steps), search.step_error(steps, edge, err)
                    )
                if nxt is None or not search.kept(nxt) or nxt in level:
                    continue
                level[nxt] = (s, edge)
                if not search.state_ok(nxt):
                    parents.append(level)
                    steps = steps_to(nxt)
                    violation = search.state_violation(steps)
                    return Replay(prog, diagram, POSSIBLE, tuple(steps), violation)
        if not level:
            why = [r for s in parents[-1] for r in _why_not(search, move, s)]
            first = next(iter(parents[-1]))
            return Replay(
                prog,
                diagram,
                IMPOSSIBLE,
                tuple(steps_to(first)),
                at=k,
                why=list(dict.fromkeys(why)),
            )
        parents.append(level)
    for s in parents[-1]:
        try:
            stuck = not model.successors(s) and search.is_stuck(s)
        except EvalError:
            stuck = False  # a step that fails from here: not the diagram's business
        if stuck:
            steps = steps_to(s)
            return Replay(prog, diagram, POSSIBLE, tuple(steps), search.stuck_violation(steps))
    return Replay(prog, diagram, POSSIBLE, tuple(steps_to(next(iter(parents[-1])))))


def replay(
    source_or_program: ir.Program | str | os.PathLike,
    diagram: str | os.PathLike,
    consts: dict | None = None,
    options: CheckOptions | None = None,
) -> Replay:
    """Replay a race diagram (a path, or the diagram's text) on a spec (a Program, a
    path or the spec's text) with constants `consts`: `Replay.verdict` is POSSIBLE or
    IMPOSSIBLE, `Replay.summary()` the answer in words, `Replay.violation` what breaks
    with its trace. Raises SpecErrors for a spec, or a diagram, that does not read
    (naming DIAGRAM:line:col)."""
    return run_replay(program(source_or_program, consts), read_diagram(diagram), options)


# --------------------------------------------------------------------------- the verb

HELP = "replay a race diagram (CPU columns or `instance: label` lines): can it happen?"
EXIT_STATUSES = (
    "exit status: 0 the schedule is possible and nothing breaks, 1 it is possible and "
    "an invariant breaks (or a step fails, or it ends in a deadlock), 2 a spec or "
    f"diagram error, {EXIT_IMPOSSIBLE} a step of it cannot happen (the reason is printed)"
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_spec_arguments(p)
    p.add_argument(
        "diagram",
        metavar="DIAGRAM",
        help="the race: a CPU diagram as `check --trace cpu` prints it, or `instance: label` "
        "lines (# comments allowed)",
    )
    p.add_argument(
        "--trace",
        choices=("text", "cpu", "itf"),
        default="cpu",
        help="format of the trace of a violation: cpu (default), text, itf",
    )
    p.add_argument("--out", metavar="FILE", help="write the trace to FILE, not stdout")
    p.add_argument("--inv", action="append", metavar="NAME", help="check only this invariant")
    p.add_argument("--no-deadlock", action="store_true", help="do not report a deadlock")
    p.epilog = EXIT_STATUSES


def run(args: argparse.Namespace) -> int:
    from mmcheck.explorer.commands import format_trace, write_out  # it registers this verb

    prog = load_spec(args)
    require_state(prog)
    if args.out:
        check_writable(args.out, "--out")
    options = CheckOptions(invariants=args.inv, deadlock=not args.no_deadlock)
    found = run_replay(prog, read_diagram(args.diagram), options)
    # ITF on stdout stays valid JSON: the answer goes to stderr beside it
    stream = sys.stderr if args.trace == "itf" and not args.out else sys.stdout
    if found.violation is not None:
        write_out(args, format_trace(args, prog, found.violation))
        if args.out:
            print(f"Trace ({args.trace}) written to {args.out}.", file=stream)
    print(found.summary(), file=stream)
    return found.exit_code


__all__ = ["EXIT_IMPOSSIBLE", "IMPOSSIBLE", "POSSIBLE", "Replay", "read_diagram", "replay"]
