"""Inductive proofs: initiation (Init => P) and consecution (Inv /\\ A => P') for every
invariant P and action A separately, as Apalache's IndInit/IndNext, with a CTI for
each failed query.

Inv, the hypothesis, is the conjunction of the chosen invariants and the lemmas (the
spec's `lemma` declarations and the invariants named as lemmas); every one of them is
also a goal, so a lemma is proved, never assumed. A further row checks
that no step errs from a state satisfying Inv (and that Init raises no error).

State constraints C (their conjunction, true without error): initiation assumes C in
the initial state, consecution C in the pre- and the post-state, and the error row also
asks for a state kept (an initial state, or a successor of a state satisfying Inv and
C) where a constraint fails to evaluate. All proved, every state the explorer stores
satisfies Inv and raises no error: by induction along its paths, each of whose states
but the last satisfies C (docs/prove.md).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from typing import Any

import z3

from mmcheck import spec
from mmcheck.explorer.core.limits import Limits
from mmcheck.explorer.core.result import Step, Violation, with_program
from mmcheck.explorer.report.json import consts_json, violation_json
from mmcheck.explorer.report.schema import PROVE
from mmcheck.invariants import interrupt, traces
from mmcheck.invariants.encode import Encoder, State, StepEnc
from mmcheck.spec import ir
from mmcheck.spec.errors import SpecErrors, UsageError

PROVED, CTI, UNKNOWN, TIMEOUT = "proved", "CTI", "unknown", "timeout"
INTERRUPTED = "interrupted"  # a result's status only: SIGINT or SIGTERM stopped the run
NO_ERROR = "(no runtime error)"  # the row of the error-freedom queries
INIT = "Init"  # the column of the initiation queries


@dataclass
class Query:
    invariant: str  # the goal's name, or NO_ERROR
    action: str  # INIT or an action name
    status: str  # PROVED, CTI, UNKNOWN or TIMEOUT
    seconds: float
    reason: str | None = None  # z3's reason_unknown
    cti: Violation | None = None  # a two-state trace (one state for initiation / errors)
    program: ir.Program | None = None  # the concrete program the CTI's states belong to
    reachability: str | None = None  # what --check-cti established
    real: Violation | None = None  # --check-cti: the trace from Init to a real violation

    def to_json(self, symbolic: list[str]) -> dict[str, Any]:
        """The query as `prove --json` writes it; `symbolic`: the constants left
        symbolic, whose sizes its CTI was found at are given."""
        program = self.program
        has_cti = self.cti is not None and program is not None
        return {
            "invariant": self.invariant,
            "action": self.action,
            "status": self.status,
            "reason": self.reason,
            "seconds": self.seconds,
            "cti": violation_json(program, self.cti) if has_cti else None,
            "sizes": {n: program.const_value(n) for n in symbolic} if has_cti else None,
            "reachability": self.reachability,
            "real": None
            if self.real is None or program is None
            else violation_json(program, self.real),
        }


@dataclass
class ProveResult:
    spec: str
    consts: tuple[tuple[str, int | str], ...]
    goals: tuple[str, ...]  # the chosen invariants, then the lemmas
    lemmas: tuple[str, ...]
    queries: list[Query] = field(default_factory=list)
    fallback: ProveResult | None = None  # concrete re-run after unknowns on symbolic sizes
    fallback_reason: str | None = None
    interrupted: str | None = None  # "interrupted (SIGINT)": the queries are those answered
    # every constant of the spec, typed as check --json gives them, "?" where symbolic
    constants: dict[str, int | bool | str] = field(default_factory=dict)
    # the spec's temporal properties: not invariants, so neither proved nor assumed
    skipped_properties: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        found = {q.status for q in self.queries}
        if CTI in found:
            return CTI
        if self.interrupted:
            return INTERRUPTED
        for s in (TIMEOUT, UNKNOWN):
            if s in found:
                return s
        return PROVED

    @property
    def exit_code(self) -> int:
        return {PROVED: 0, CTI: 1, UNKNOWN: 3, TIMEOUT: 3, INTERRUPTED: 3}[self.status]

    def to_dict(self) -> dict[str, Any]:
        """The proof as `mmcheck prove --json` writes it (format mmcheck-prove/2), with
        its fallback's the same way."""
        symbolic = [name for name, value in self.constants.items() if value == "?"]
        return {
            "format": PROVE,
            "spec": self.spec,
            "consts": self.constants,
            "goals": list(self.goals),
            "lemmas": list(self.lemmas),
            "status": self.status,
            "interrupted": self.interrupted,
            "queries": [q.to_json(symbolic) for q in self.queries],
            "fallback_reason": self.fallback_reason,
            "fallback": None if self.fallback is None else self.fallback.to_dict(),
            "skipped_properties": list(self.skipped_properties),
        }


def is_symbolic(consts: dict | None) -> bool:
    return any(v == "?" for v in (consts or {}).values())


def skipped_note(program: ir.Program, verb: str) -> str | None:
    """The line saying that `verb` (prove or bmc) leaves the spec's temporal properties
    alone, naming them; None for a spec without any."""
    return skipped_text([p.name for p in program.properties], verb)


def skipped_text(names: list[str] | tuple[str, ...], verb: str) -> str | None:
    """skipped_note of the properties named."""
    if not names:
        return None
    which = "property" if len(names) == 1 else "properties"
    return (
        f"note: {verb} skips the temporal {which} {', '.join(names)}: not invariants "
        f"(mmcheck check decides them)"
    )


def pick(
    program: ir.Program, names: list[str] | tuple[str, ...] | None, what: str
) -> list[ir.Invariant]:
    by_name = {i.name: i for i in program.invariants}
    if names is None:
        return list(program.invariants)
    missing = [n for n in names if n not in by_name]
    if missing:
        known = ", ".join(by_name) or "none"
        raise UsageError(f"no {what} named {', '.join(missing)} (the spec's invariants: {known})")
    return [by_name[n] for n in names]


def prove(
    source: str | os.PathLike | ir.Program,
    consts: dict | None = None,
    *,
    invariants: list[str] | tuple[str, ...] | None = None,
    lemmas: list[str] | tuple[str, ...] = (),
    timeout: float | None = None,
    fallback: int | None = None,
    text: str | None = None,
    exclude: tuple[str, ...] = (),
) -> ProveResult:
    """Prove the chosen invariants (by default every one not a lemma) inductive,
    strengthened by the spec's lemmas and the invariants named in `lemmas`. `text`, if
    given, is read in place of the spec file's own; the invariants and lemmas named in
    `exclude` are left out (neither proved nor assumed).

    `consts` values "?" leave a constant symbolic (constrained by its range and the
    spec's assumes). If a query on a symbolic program is unknown or times out, the whole
    proof is redone with those constants set to `fallback` (or to the spec's defaults)
    and attached as `fallback`."""
    limits = Limits()
    with limits.catching_signals():  # from the start: a signal while loading stops cleanly too
        program = _load(source, consts, text, exclude)
        named = pick(program, tuple(lemmas), "lemma")
        spec_lemmas = [i for i in program.invariants if i.lemma]
        lemma_invs = list(dict.fromkeys(spec_lemmas + named))
        chosen = pick(program, invariants, "invariant")
        if invariants is None:
            chosen = [i for i in chosen if i not in lemma_invs]
        goals = chosen + [i for i in lemma_invs if i not in chosen]
        if not goals:
            note = skipped_note(program, "prove")
            raise UsageError(
                "the spec has no invariant to prove"
                + (f" ({note[len('note: ') :]})" if note else "")
            )
        result = ProveResult(
            spec=program.file,
            consts=tuple(sorted((consts or {}).items())),
            goals=tuple(g.name for g in goals),
            lemmas=tuple(i.name for i in lemma_invs),
            constants={
                **consts_json(program),
                **{c.name: "?" for c in program.consts if c.value is None},
            },
            skipped_properties=tuple(p.name for p in program.properties),
        )
        prover = _Prover(program, source, consts or {}, timeout, limits, text, exclude)
        try:
            prover.run(goals, result.queries)
        except interrupt.Interrupted as e:
            result.interrupted = e.reason
            return result
    if (
        not program.is_concrete
        and any(q.status in (UNKNOWN, TIMEOUT) for q in result.queries)
        and not isinstance(source, ir.Program)
    ):
        concrete, why = _fallback_consts(source, program, consts or {}, fallback)
        result.fallback_reason = why
        if concrete is not None:
            result.fallback = prove(
                source,
                concrete,
                invariants=invariants,
                lemmas=lemmas,
                timeout=timeout,
                text=text,
                exclude=exclude,
            )
    return result


def _load(
    source: str | os.PathLike | ir.Program, consts: dict | None, text: str | None, exclude: tuple
) -> ir.Program:
    """The program to prove (see prove's `text` and `exclude`)."""
    if text is None:
        program = spec.program(source, consts, symbolic=is_symbolic(consts))
    else:
        assert not isinstance(source, ir.Program)
        program = spec.load(source, consts, symbolic=is_symbolic(consts), text=text)
    if exclude:
        program = replace(
            program, invariants=tuple(i for i in program.invariants if i.name not in exclude)
        )
    return program


def _fallback_consts(
    source: str | os.PathLike, program: ir.Program, consts: dict, size: int | None
) -> tuple[dict | None, str]:
    symbolic = [c for c in program.consts if c.value is None]
    names = ", ".join(c.name for c in symbolic)
    if size is not None:
        return {**consts, **{c.name: size for c in symbolic}}, f"{names} = {size} (--fallback)"
    rest = {k: v for k, v in consts.items() if v != "?"}
    try:
        defaults = spec.load(source, rest)
    except SpecErrors:
        return None, f"no default value for {names}: give --fallback N"
    values = {c.name: defaults.const_value(c.name) for c in symbolic}
    return {**rest, **values}, ", ".join(
        f"{k} = {v}" for k, v in values.items()
    ) + " (the spec's defaults)"


class _Prover:
    def __init__(
        self,
        program: ir.Program,
        source: object,
        consts: dict,
        timeout: float | None,
        limits: Limits,
        text: str | None = None,
        exclude: tuple[str, ...] = (),
    ) -> None:
        self.program = program
        self.source = source
        self.text, self.exclude = text, exclude  # how the source is loaded again
        self.consts = consts
        self.enc = Encoder(program, limits)
        self.timeout = timeout
        self.limits = limits  # its signal flag stops the run (interrupt.check)

    def _solver(self) -> z3.Solver:
        s = z3.Solver(ctx=self.enc.ctx)
        if self.timeout is not None:
            s.set("timeout", max(1, int(self.timeout * 1000)))
        s.add(*self.enc.const_constraints())
        return s

    def _check(self, s: z3.Solver) -> tuple[str, float, str | None]:
        t0 = time.perf_counter()
        answer = interrupt.check(s, self.limits)
        dt = time.perf_counter() - t0
        if answer == z3.unsat:
            return PROVED, dt, None
        if answer == z3.sat:
            return CTI, dt, None
        reason = s.reason_unknown()
        return (TIMEOUT if reason in ("timeout", "canceled") else UNKNOWN), dt, reason

    def run(self, goals: list[ir.Invariant], out: list[Query]) -> None:
        """Append each query to `out` once answered; Interrupted on a signal."""
        enc = self.enc
        # initiation
        s = self._solver()
        init_state, init_ok, init_step = enc.init("0")
        s.add(init_step.domain)
        inside = enc.inside(init_state)
        for g in goals:
            s.push()
            s.add(init_ok, inside, z3.Not(enc.holds(g, init_state)), *enc.facts)
            out.append(
                self._query(s, g.name, INIT, lambda m, g=g: self._init_cti(m, init_state, g))
            )
            s.pop()
        s.push()
        s.add(z3.Or(init_step.error, z3.And(init_ok, enc.constraint_failed(init_state))))
        s.add(*enc.facts)
        init_error = lambda m: self._init_error(m, init_state, init_step)  # noqa: E731
        out.append(self._query(s, NO_ERROR, INIT, init_error))
        s.pop()
        # consecution, one action at a time
        pre = enc.new_state("pre")
        s = self._solver()
        s.add(*enc.in_ranges(pre))
        s.add(*(enc.holds(g, pre) for g in goals), enc.inside(pre))
        s.add(*enc.facts)  # Encoder.facts: those of the goals in pre
        for action in self.program.actions:
            added = enc.scope()  # the step's facts, read at each query: goal_lemmas may add some
            step = enc.step(action, pre, enc.param_terms(action, "1"))
            # every goal's counts in the post-state exist before the frame lemmas
            refuted = {g.name: enc.refuted(g, step.post) for g in goals}
            inside = enc.inside(step.post)
            # asserted with each query: z3 was much slower with them a scope further out
            lemmas = enc.frame_lemmas(pre, step.post)
            s.push()
            s.add(step.fires)
            for g in goals:
                fails, witnesses = refuted[g.name]
                if witnesses:
                    goal_lemmas = enc.frame_lemmas(pre, step.post, witnesses)
                else:
                    goal_lemmas = lemmas
                s.push()
                s.add(inside, fails, *goal_lemmas, *added.facts)
                cti = lambda m, g=g, st=step: self._step_cti(m, pre, st, g)  # noqa: E731
                out.append(self._query(s, g.name, action.name, cti))
                s.pop()
            s.pop()
            s.push()
            post_fails = z3.And(step.fires, enc.constraint_failed(step.post))
            s.add(z3.Or(step.error, post_fails), *lemmas, *added.facts)
            cti = lambda m, st=step: self._error_cti(m, pre, st)  # noqa: E731
            out.append(self._query(s, NO_ERROR, action.name, cti))
            s.pop()

    def _query(self, s: z3.Solver, goal: str, action: str, make_cti: object) -> Query:
        status, dt, reason = self._check(s)
        if status != PROVED and self.enc.definitions:
            # asked first without the symbolic counts' definitions (encode.py): a proof
            # then stands, anything else is asked again with them, in the time left
            left = None if self.timeout is None else self.timeout - dt
            s.push()
            s.add(*self.enc.definitions)
            if left is not None:
                s.set("timeout", max(1, int(left * 1000)))
            status, dt2, reason = self._check(s)
            dt += dt2
            q = self._answer(s, Query(goal, action, status, dt, reason), make_cti)
            if left is not None:
                s.set("timeout", max(1, int(self.timeout * 1000)))
            s.pop()
            return q
        return self._answer(s, Query(goal, action, status, dt, reason), make_cti)

    def _answer(self, s: z3.Solver, q: Query, make_cti: object) -> Query:
        """q, with its CTI built from s's model if it is one, at the smallest sizes."""
        if q.status == CTI:
            model = self._smallest(s)
            try:
                q.program, cti = make_cti(model)
                q.cti = replace(cti, trace=with_program(cti.trace, q.program))  # .values
            except traces.Undecided as e:  # not proved, but no CTI to show
                q.status, q.reason = UNKNOWN, str(e)
            except SpecErrors as e:  # a size the spec does not load at (a static error)
                sizes = ", ".join(
                    f"{k}={v}" for k, v in traces.const_values(self.enc, model).items()
                )
                q.status = UNKNOWN
                q.reason = (
                    f"a counterexample at {sizes}, where the spec does not load: {e.errors[0]}"
                )
        return q

    def _smallest(self, s: z3.Solver) -> z3.ModelRef:
        """s's model with each symbolic constant in turn as small as a model allows, its
        value found by halving the distance to a bound with no model: a CTI at PTES=1
        reads better than one at 20,000, and a size past the slot limit cannot be shown
        at all. A check that is not sat or unsat (a timeout) ends the search there."""
        model = s.model()
        s.push()
        for term in self.enc.consts.values():
            known = traces.model_int(model, term)  # a model has it
            below: int | None = None  # no model has it at or below this
            step = 1
            while below is None or known - below > 1:
                bound = known - step if below is None else (known + below) // 2
                s.push()
                s.add(term <= bound)
                answer = interrupt.check(s, self.limits)
                if answer == z3.sat:
                    model = s.model()
                    known = traces.model_int(model, term)
                s.pop()
                if answer == z3.unsat:
                    below = bound
                elif answer != z3.sat:
                    break
                step *= 2
            s.add(term == known)
        s.pop()
        return model

    # --- CTIs as traces of the concrete program the model's constants give
    def _concrete(self, model: z3.ModelRef) -> ir.Program:
        if self.program.is_concrete:
            return self.program
        values = traces.const_values(self.enc, model)
        return _load(self.source, {**self.consts, **values}, self.text, self.exclude)

    def _init_cti(
        self, model: z3.ModelRef, st: State, goal: ir.Invariant
    ) -> tuple[ir.Program, Violation]:
        prog = self._concrete(model)
        trace = (Step(None, (), traces.state_tuple(self.enc, model, st, prog)),)
        return prog, traces.invariant_violation(trace, goal)

    def _init_error(
        self, model: z3.ModelRef, st: State, step: StepEnc
    ) -> tuple[ir.Program, Violation]:
        prog = self._concrete(model)
        if not traces.holds(model, step.error):
            trace = (Step(None, (), traces.state_tuple(self.enc, model, st, prog)),)
            v = traces.constraint_error(model, self.enc, st, trace)
            assert v is not None  # the query: an error building the state, or this
            return prog, v
        err = traces.first_error(model, step.errors)
        # as the explorer reports an initial state that errs: no trace
        return prog, Violation(err.kind, None, err.message, err.loc, ())

    def _step_cti(
        self, model: z3.ModelRef, pre: State, step: StepEnc, goal: ir.Invariant
    ) -> tuple[ir.Program, Violation]:
        prog = self._concrete(model)
        params = traces.param_values(model, step)
        trace = (
            Step(None, (), traces.state_tuple(self.enc, model, pre, prog)),
            traces.make_step(
                prog, step.action, params, traces.state_tuple(self.enc, model, step.post, prog)
            ),
        )
        return prog, traces.invariant_violation(trace, goal)

    def _error_cti(
        self, model: z3.ModelRef, pre: State, step: StepEnc
    ) -> tuple[ir.Program, Violation]:
        prog = self._concrete(model)
        params = traces.param_values(model, step)
        trace = (Step(None, (), traces.state_tuple(self.enc, model, pre, prog)),)
        if not traces.holds(model, step.error):
            post = traces.make_step(
                prog, step.action, params, traces.state_tuple(self.enc, model, step.post, prog)
            )
            v = traces.constraint_error(model, self.enc, step.post, (*trace, post))
            assert v is not None  # the query: an error taking the step, or this
            return prog, v
        err = traces.first_error(model, step.errors)
        return prog, traces.error_violation(trace, prog, err, step, params)
