"""Bounded model checking: Init /\\ Next^k /\\ (not Inv \\/ an error step), k = 0, 1, ...

Under state constraints every state of a path but the last satisfies them (a step into a
state one cuts is not a step), and the last is kept by them: its violation is then the
failure to evaluate a constraint, or an invariant's.

One solver, extended a step at a time; each depth is checked under push/pop, so the
first violation found is a shortest one, of the same length as the explorer's. An error
raised by the step from the state at depth k-1 is a violation of length k, as in the
explorer. Deadlock is not encoded: BMC looks for invariant violations and runtime
errors only.
"""

from __future__ import annotations

import time
from typing import Any

import z3

from mmcheck import spec
from mmcheck.explorer.core.limits import Limits
from mmcheck.explorer.core.result import (
    BOUNDED,
    INCOMPLETE,
    VIOLATED,
    Result,
    Stats,
    Step,
    Violation,
    const_values,
)
from mmcheck.explorer.report.json import consts_json, violation_json
from mmcheck.explorer.report.schema import BMC
from mmcheck.invariants import interrupt, traces
from mmcheck.invariants.encode import Encoder, State, StepEnc
from mmcheck.invariants.prove import pick, skipped_note
from mmcheck.spec import ir
from mmcheck.spec.errors import UsageError


def bmc(
    source: str | ir.Program,
    consts: dict | None = None,
    *,
    depth: int,
    invariants: list[str] | tuple[str, ...] | None = None,
    lemmas: bool = False,
    limits: Limits | None = None,
) -> Result:
    """Look for a violation of the chosen invariants (by default every one not a lemma),
    and of the lemmas if `lemmas`, or a runtime error in at most `depth` steps. A result
    that holds means only: none up to that depth. `limits`: those whose signals the
    caller already catches (while it loaded the spec)."""
    if depth < 0:
        raise UsageError("--depth must be at least 0")
    if any(v == "?" for v in (consts or {}).values()):
        raise UsageError("bmc needs concrete constants (no -D NAME=?)")
    limits = limits or Limits()
    with limits.catching_signals():  # from the start: a signal while loading stops cleanly too
        program = spec.program(source, consts)
        pick(program, invariants, "invariant")  # each name must exist
        invs = [i for i in program.invariants if i.checked(invariants, lemmas)]
        return _Bmc(program, invs, limits).run(depth)


def bmc_json(program: ir.Program, result: Result, depth: int) -> dict[str, Any]:
    """The result of `bmc(program, depth=depth)` as `mmcheck bmc --json` writes it
    (format mmcheck-bmc/2): "ended_at_depth" is the violation's length, `depth` where none
    was found, or the depth being checked when z3 gave up or a signal stopped it."""
    return {
        "format": BMC,
        "spec": result.spec or program.file,
        "consts": consts_json(program),
        "depth": depth,
        "verdict": result.verdict,
        "reason": result.reason,
        "ended_at_depth": result.stats.depth,
        "seconds": result.stats.elapsed,
        "violation": None
        if result.violation is None
        else violation_json(program, result.violation),
        "skipped_properties": [p.name for p in program.properties],
    }


class _Bmc:
    def __init__(self, program: ir.Program, invs: list[ir.Invariant], limits: Limits) -> None:
        self.program = program
        self.invs = invs
        self.enc = Encoder(program, limits)
        self.solver = z3.Solver(ctx=self.enc.ctx)
        self.states: list[State] = []
        self.choices: list[tuple[z3.ArithRef, list[StepEnc]]] = []  # per step: selector, steps
        self.init_step: StepEnc | None = None
        self.start = time.perf_counter()
        self.limits = limits
        self.depth = 0  # being checked

    def run(self, depth: int) -> Result:
        try:
            return self._run(depth)
        except _Unknown as e:
            return self._incomplete(f"z3 answered unknown at depth {self.depth}: {e}")
        except traces.Undecided as e:
            return self._incomplete(f"{e} (the violation at depth {self.depth})")
        except interrupt.Interrupted as e:
            return self._incomplete(f"{e.reason} at depth {self.depth}")

    def _incomplete(self, reason: str) -> Result:
        return self._result(INCOMPLETE, self.depth, None, reason)

    def _check(self, k: int) -> bool:
        """Is the solver's current query satisfiable (a violation at depth k)?"""
        self.depth = k
        answer = interrupt.check(self.solver, self.limits)
        if answer == z3.unknown:
            raise _Unknown(self.solver.reason_unknown())
        return answer == z3.sat

    def _run(self, depth: int) -> Result:
        enc, s = self.enc, self.solver
        s0, init_ok, self.init_step = enc.init("0")
        self.states.append(s0)
        # an initial state violating an invariant first, then one raising an error (no
        # trace): the explorer checks each initial state as it builds them, and erring
        # choices come last where their values leave a range
        s.push()
        s.add(init_ok)
        v = self._bad_state(0, self._bad(s0))
        s.pop()
        if v is not None:
            return self._result(VIOLATED, 0, v)
        s.push()
        s.add(self.init_step.error)
        if self._check(0):
            err = traces.first_error(s.model(), self.init_step.errors)
            return self._result(VIOLATED, 0, Violation(err.kind, None, err.message, err.loc, ()))
        s.pop()
        s.add(init_ok, enc.inside(s0))  # a path goes on only from states inside the constraints
        for k in range(1, depth + 1):
            prev = self.states[-1]
            steps = [enc.step(a, prev, enc.param_terms(a, str(k))) for a in self.program.actions]
            s.push()
            s.add(z3.Or([st.error for st in steps], enc.ctx))
            if self._check(k):
                return self._result(VIOLATED, k, self._error_violation(s.model(), k, steps))
            s.pop()
            nxt = enc.new_state(str(k))
            sel = z3.Int(f"action@{k}", enc.ctx)
            s.add(
                z3.Or(
                    [
                        z3.And(sel == i, st.fires, enc.equal(nxt, st.post))
                        for i, st in enumerate(steps)
                    ],
                    enc.ctx,
                )
            )
            self.states.append(nxt)
            self.choices.append((sel, steps))
            # the invariants are checked on each action's successor terms, so that the
            # frame lemmas relate its counts and sums to the same ones in prev
            for inv in self.invs:
                enc.holds(inv, prev)
            bad = [z3.And(sel == i, self._bad(st.post)) for i, st in enumerate(steps)]
            for st in steps:
                s.add(*enc.frame_lemmas(prev, st.post))
            if (v := self._bad_state(k, z3.Or(bad, enc.ctx))) is not None:
                return self._result(VIOLATED, k, v)
            s.add(enc.inside(nxt))
        return self._result(BOUNDED, depth, None)

    def _bad(self, st: State) -> z3.BoolRef:
        """st is kept by the constraints and its check fails: a constraint fails to
        evaluate, or they hold and an invariant does not."""
        broken = z3.Or([z3.Not(self.enc.holds(inv, st)) for inv in self.invs], self.enc.ctx)
        return z3.Or(self.enc.constraint_failed(st), z3.And(self.enc.inside(st), broken))

    def _bad_state(self, k: int, bad: z3.BoolRef) -> Violation | None:
        """The violation by the state at depth k (bad says which): the failure to
        evaluate a constraint, else an invariant's."""
        s, st = self.solver, self.states[k]
        s.push()
        s.add(bad)
        v = None
        if self._check(k):
            model = s.model()
            trace = self._trace(model, k)
            v = traces.constraint_error(model, self.enc, st, trace)
            if v is None:
                v = self._invariant_violation(model, st, trace)
        s.pop()
        return v

    def _invariant_violation(
        self, model: z3.ModelRef, st: State, trace: tuple[Step, ...]
    ) -> Violation:
        inv = next(i for i in self.invs if not traces.holds(model, self.enc.holds(i, st)))
        errs = self.enc.invariant_errors(inv, st)
        if any(traces.holds(model, e.cond) for e in errs):
            err = traces.first_error(model, errs)
            return Violation(err.kind, inv.name, err.message, err.loc, trace)
        return traces.invariant_violation(trace, inv)

    def _trace(self, model: z3.ModelRef, k: int) -> tuple[Step, ...]:
        prog, enc = self.program, self.enc
        assert self.init_step is not None
        init_params = traces.param_values(model, self.init_step)
        out = [Step(None, init_params, traces.state_tuple(enc, model, self.states[0], prog))]
        for j in range(k):
            sel, steps = self.choices[j]
            st = steps[traces.model_int(model, sel)]
            params = traces.param_values(model, st)
            state = traces.state_tuple(enc, model, self.states[j + 1], prog)
            out.append(traces.make_step(prog, st.action, params, state))
        return tuple(out)

    def _error_violation(self, model: z3.ModelRef, k: int, steps: list[StepEnc]) -> Violation:
        trace = self._trace(model, k - 1)
        st = next(st for st in steps if traces.holds(model, st.error))
        err = traces.first_error(model, st.errors)
        return traces.error_violation(trace, self.program, err, st, traces.param_values(model, st))

    def _result(
        self, verdict: str, k: int, violation: Violation | None, reason: str | None = None
    ) -> Result:
        stats = Stats(depth=k, elapsed=time.perf_counter() - self.start, backend="z3")
        if reason is None and violation is None:
            reason = f"no violation up to depth {k} (bounded model checking)"
        note = skipped_note(self.program, "bmc")
        return Result(
            verdict,
            stats,
            violation,
            reason,
            spec=self.program.file,
            consts=const_values(self.program),
            program=self.program,
            warnings=[note] if note else [],
        )


class _Unknown(Exception):
    """z3 answered unknown at the depth being checked; the message is z3's reason."""
