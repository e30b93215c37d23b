"""Inferred inductive invariants (`mmcheck prove --infer`): candidate lemmas from
templates over the IR's slots, filtered by the reachable states of the concrete
instance, pruned by Houdini to a set z3 proves inductive together with the goals, and
minimised to the lemmas the goals' proof needs.

1. Candidates. The tuple back end explores the instance (explorer.tuple.graph). Over
   its states (one int per slot), templates name every
   - literal of one slot that holds everywhere: `x == c`, `x <= c`, `x >= c`, a flag or
     its negation, `not at(p, L)`, `not locked(l)`, `holder(l) != p`;
   - implication `A => B` between two literals of different slots (size 2), A one value
     of a flag, an enum, a program counter (`at(p, L)`) or a lock (`locked(l)`,
     `holder(l) == p`), B the strongest literal the states where A holds give;
   - affine equality between counters: the int variables, flags (as 0 or 1), one-hot
     values of enums and program counters, and counts over arrays (`count i in
     1..PTES: pte[i] == present`), unconditionally and under each value of a flag.
     They are the kernel (null space) of the states' matrix of those terms, computed
     exactly over the rationals, at most _TERMS[size] terms each;
   - (size 3) `A and B => C`, A and B values of two scalar slots (flags, enums, program
     counters, `locked(l)`), C a literal of a third that neither alone gives;
   - cursors: `forall i in 1..PTES: i < x => pte[i] == c` (and `i >= x`, and `!=`), x
     a scalar int within the array's index range, alone and (size 2) under a value of
     a scalar slot as A and B above.
   A clause that holds at every index of an array over a size constant's range or a
   symmetric sort is one `forall`. Each candidate is spec text; the front end lowers
   it, as a `lemma` appended to the spec, so a candidate's meaning is the language's,
   and one it refuses is dropped. The lowered candidates are evaluated again on the
   states by the tuple back end (and on a larger instance's, if asked).
2. Houdini. z3 (encode.py's encoding, as prove.py's queries) asks, per action, for a
   step from a state satisfying every candidate left and the goals to one breaking one
   of them; each model drops the candidates it breaks, until no action breaks any.
   What is left is inductive together with the goals, if no goal was dropped.
3. Minimisation. Greedy deletion, decided by z3's sat or unsat alone (Houdini.minimise).
4. Proof. `prove` proves the goals with the lemmas left (initiation included), so each
   printed lemma is proved, never assumed.
5. Spacer. Where they do not prove the goals, z3's Spacer solves the program's
   constrained Horn clauses within a time budget; the conjuncts of its invariant, as
   spec text, are proved by `prove` in turn.
"""

from __future__ import annotations

import itertools
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from fractions import Fraction
from math import lcm
from pathlib import Path
from typing import Any

import numpy as np
import z3

from mmcheck import spec
from mmcheck.explorer.core.limits import Limits
from mmcheck.explorer.core.model import EvalError
from mmcheck.explorer.tuple.graph import explore
from mmcheck.explorer.tuple.translate import compile_expr
from mmcheck.invariants import interrupt
from mmcheck.invariants.encode import Encoder
from mmcheck.invariants.prove import PROVED, ProveResult, is_symbolic, pick, prove
from mmcheck.spec import ir
from mmcheck.spec.errors import SpecErrors, UsageError
from mmcheck.spec.loader import STRING_FILE, read_text, source_of
from mmcheck.spec.slots import reads

PREFIX = "Inferred"  # the inferred lemmas' names: Inferred1, Inferred2, ...
# --infer-size: 1, literals and equalities; 2, implications too; 3, conjunctions of two
# literals as an antecedent, and longer equalities
SIZES = (1, 2, 3)
_TERMS = {1: 4, 2: 6, 3: 12}  # per --infer-size, the most terms of an equality
_SAMPLE = 5000  # states on which the lowered candidates are evaluated again
_MAY_FAIL = "a step may fail from a state satisfying the lemmas kept"


@dataclass(frozen=True)
class Lemma:
    name: str
    text: str  # the expression, as the spec writes it

    @property
    def declaration(self) -> str:
        return f"lemma {self.name}: {self.text}"


@dataclass
class InferResult:
    spec: str
    consts: tuple[tuple[str, Any], ...]
    goals: tuple[str, ...]
    states: int  # reachable states of the instance the candidates were filtered on
    instances: int  # template instances considered
    candidates: int  # those holding on every reachable state, as spec text
    accepted: int  # of those, lowered by the front end and true on the states again
    kept: int  # what Houdini kept: inductive together with the goals
    lemmas: list[Lemma]  # the kept lemmas the goals' proof needs
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase
    dropped_goals: tuple[str, ...] = ()  # goals Houdini found not inductive
    reason: str | None = None  # why no strengthening was found, if none was
    spacer: str | None = None  # what Spacer found, where it was run
    proof: ProveResult | None = None  # the goals proved with `lemmas`
    # a symbolic size's value in the instance the candidates were filtered on, per
    # constant left symbolic ("?" in consts), where Houdini and the proof ran
    at: tuple[tuple[str, Any], ...] = ()
    elements: int = 0  # candidates dropped at a symbolic size: they name an element
    unknown: int = 0  # candidates (and goals) dropped where z3 gave no answer
    undecided: int = 0  # minimisation queries z3 gave no answer to (the lemma stays)

    @property
    def status(self) -> str:
        return self.proof.status if self.proof is not None else "unknown"

    @property
    def exit_code(self) -> int:
        return self.proof.exit_code if self.proof is not None else 3

    def text(self) -> str:
        """The lemmas as lines of the spec."""
        return "".join(lemma.declaration + "\n" for lemma in self.lemmas)

    def to_json(self) -> dict[str, Any]:
        """The `"inferred"` object of `prove --infer --json`."""
        return {
            "states": self.states,
            "instances": self.instances,
            "candidates": self.candidates,
            "accepted": self.accepted,
            "kept": self.kept,
            "lemmas": [{"name": x.name, "text": x.text} for x in self.lemmas],
            "seconds": self.seconds,
            "dropped_goals": list(self.dropped_goals),
            "reason": self.reason,
            "spacer": self.spacer,
            "symbolic": [k for k, _ in self.at],
            "filtered_at": {k: v for k, v in self.at},
            "elements": self.elements,
            "unknown": self.unknown,
            "undecided": self.undecided,
        }


def infer(
    source: str | os.PathLike,
    consts: dict | None = None,
    *,
    invariants: list[str] | tuple[str, ...] | None = None,
    size: int = 2,
    spec_lemmas: bool = True,
    timeout: float | None = None,
    max_states: int = 200_000,
    larger: dict | None = None,
    spacer: float | None = 30.0,
    at: dict | None = None,
) -> InferResult:
    """Infer lemmas that make the chosen invariants (by default every one not a lemma,
    and the spec's lemmas unless `spec_lemmas` is false: then they are neither assumed
    nor proved) inductive, at the sizes `consts` gives. `size`: see SIZES;
    `max_states`: the most reachable states the filter explores; `timeout`: per z3
    query, seconds; `larger`: constants (over `consts`) of a larger instance every
    candidate must hold in too, so that no lemma says what only the small instance's
    sizes make true (`faults <= 1`); `spacer`: seconds for z3's Spacer where the
    templates' lemmas do not prove the goals (None: not tried).

    A constant "?" in `consts` is a symbolic size: the candidates are filtered on the
    instance where it has its value in `at` (by default the spec's), and Houdini, the
    minimisation and the proof run at the symbolic size (Spacer is not tried there)."""
    if size not in SIZES:
        raise UsageError(f"--infer-size must be one of {', '.join(map(str, SIZES))}")
    consts = dict(consts or {})
    t0 = time.perf_counter()
    phases: dict[str, float] = {}
    file, text = source_of(source)
    if text is None:
        text = read_text(Path(file), file)
    concrete = _instance(source, consts, at or {})
    base = spec.load(source, concrete)
    own = () if spec_lemmas else tuple(i.name for i in base.invariants if i.lemma)
    if not spec_lemmas:
        base = replace(base, invariants=tuple(i for i in base.invariants if not i.lemma))
    chosen = pick(base, invariants, "invariant")
    if invariants is None:
        chosen = [i for i in chosen if not i.lemma]
    goals = chosen + [i for i in base.invariants if i.lemma and i not in chosen]
    if not goals:
        raise UsageError("the spec has no invariant to prove")
    result = InferResult(
        spec=file,
        consts=tuple(sorted(consts.items())),
        goals=tuple(g.name for g in goals),
        states=0,
        instances=0,
        candidates=0,
        accepted=0,
        kept=0,
        lemmas=[],
        seconds=0.0,
        phases=phases,
        at=tuple(sorted((k, v) for k, v in concrete.items() if consts.get(k) == "?")),
    )
    # 1. candidates, filtered on the reachable states
    graph = explore(base, max_states)
    states = _reachable(base, max_states, graph)
    result.states = len(states)
    result.reason = _refuted(base, goals, graph.errors, states)
    kept: list[_Candidate] = []
    violated = result.reason is not None
    if not violated:
        filters = [(concrete, states)]
        if larger:
            big = {**concrete, **larger}
            filters.append((big, _reachable(spec.load(source, big), max_states)))
        kept = _strengthen(source, text, base, goals, filters, consts, size, timeout, result)
    # 4. the proof, with the lemmas found (Houdini's, not minimised, if they are not
    # enough: its CTIs show what is missing)
    _, lowered = _lower(source, consts, text, base, [x.text for x in kept], spec_lemmas)
    result.proof = _prove(source, consts, text, lowered, chosen, own, timeout)
    if result.proof.status != PROVED and spacer and not violated and result.at:
        result.spacer = "not tried at a symbolic size (its invariant names the instance's elements)"
    elif result.proof.status != PROVED and spacer and not violated:
        # 5. Spacer, where the templates were not enough
        t1 = time.perf_counter()
        miner = _Miner(base, states, {}, size)
        result.spacer, found = _spacer(base, goals, spacer, miner)
        result.phases["spacer"] = time.perf_counter() - t1
        if found:
            _, spacers = _lower(source, consts, text, base, found, spec_lemmas)
            proof = _prove(source, consts, text, spacers, chosen, own, timeout)
            if len(spacers) < len(found):
                result.spacer += "; some conjuncts are not spec text"
            elif proof.status == PROVED:
                result.proof, lowered = proof, spacers
                result.reason = None
    result.lemmas = [Lemma(c.name, c.text) for c in lowered]
    result.proof.spec, result.proof.consts = file, result.consts
    result.seconds = time.perf_counter() - t0
    return result


def _instance(source: str | os.PathLike, consts: dict, at: dict) -> dict:
    """The constants of the instance the candidates are filtered on: `consts`, each
    symbolic one ("?") at its value in `at`, else at the spec's default."""
    symbolic = [k for k, v in consts.items() if v == "?"]
    stray = sorted(set(at) - set(symbolic))
    if stray:
        raise UsageError(f"--infer-at {', '.join(stray)}: not a constant left symbolic (-D NAME=?)")
    fixed = {k: v for k, v in consts.items() if v != "?"}
    if not symbolic:
        return fixed
    try:
        program = spec.load(source, {**fixed, **at})
    except SpecErrors:
        if at.keys() >= set(symbolic):
            raise
        spec.load(source, consts, symbolic=True)  # the spec's own errors, if any
        names = ", ".join(k for k in symbolic if k not in at)
        raise UsageError(
            f"--infer: no default value for {names}: give --infer-at NAME=VALUE"
        ) from None
    return {**fixed, **{k: program.const_value(k) for k in symbolic}}


def _spacer(
    program: ir.Program, goals: list[ir.Invariant], budget: float, miner: _Miner
) -> tuple[str, list[str]]:
    """z3's Spacer on the constrained Horn clauses of the program: an unknown predicate
    Inv over the slots, implied by Init, preserved by every step, excluding every goal's
    violation and every step's error. What it found (said in words), and the conjuncts
    of its invariant as spec text if it found one that is."""
    enc = Encoder(program)
    pre = enc.new_state("s")
    slots = _flat(enc, pre)
    inv = z3.Function("Inv", *(t.sort() for t in slots), z3.BoolSort(enc.ctx))
    # as z3.SolverFor("HORN", ctx), which names the logic in z3's main context
    horn = z3.Z3_mk_solver_for_logic(enc.ctx.ref(), z3.to_symbol("HORN", enc.ctx))
    s = z3.Solver(horn, enc.ctx)
    s.set("timeout", max(1, int(budget * 1000)))

    def rule(body: z3.BoolRef, head: z3.BoolRef, bound: list[z3.ExprRef]) -> None:
        rule_ = z3.Implies(body, head)
        s.add(z3.ForAll(bound, rule_) if bound else rule_)

    init, init_ok, init_step = enc.init("0")
    head = inv(*_flat(enc, init))
    rule(z3.And(init_step.domain, init_ok, enc.inside(init)), head, list(init_step.params.values()))
    hyp = z3.And(inv(*slots), enc.inside(pre), *enc.in_ranges(pre))
    for action in program.actions:
        step = enc.step(action, pre, enc.param_terms(action, "1"))
        bound = slots + list(step.params.values())
        rule(z3.And(hyp, step.fires, enc.inside(step.post)), inv(*_flat(enc, step.post)), bound)
        rule(z3.And(hyp, step.error), z3.BoolVal(False, enc.ctx), bound)
    for g in goals:
        rule(z3.And(hyp, z3.Not(enc.holds(g, pre))), z3.BoolVal(False, enc.ctx), slots)
    answer = s.check()
    if answer == z3.unsat:
        return "refuted: a goal fails or a step errs in a reachable state", []
    if answer != z3.sat:
        return f"no answer ({s.reason_unknown()}) within {budget:g}s", []
    interp = s.model()[inv]
    body = interp.else_value() if isinstance(interp, z3.FuncInterp) else interp
    found = z3.simplify(z3.substitute_vars(body, *slots))
    names = {t.get_id(): slot for slot, t in enumerate(slots)}
    parts = found.children() if z3.is_and(found) else [found]
    try:
        texts = [_show(p, names, miner) for p in parts if not z3.is_true(p)]
    except ValueError as e:
        return f"an inductive invariant, not in spec text ({e})", []
    return f"an inductive invariant of {len(texts)} conjuncts", texts


def _flat(enc: Encoder, st: Any) -> list[z3.ExprRef]:
    """A concrete state's terms, slot by slot."""
    out: list[z3.ExprRef] = []
    for v in enc.program.vars:
        val = st.vals[v.name]
        out.extend(val[k] for k in sorted(val)) if isinstance(val, dict) else out.append(val)
    return out


_Z3_OPS = {
    z3.Z3_OP_ADD: "+",
    z3.Z3_OP_SUB: "-",
    z3.Z3_OP_MUL: "*",
    z3.Z3_OP_LE: "<=",
    z3.Z3_OP_GE: ">=",
    z3.Z3_OP_LT: "<",
    z3.Z3_OP_GT: ">",
    z3.Z3_OP_EQ: "==",
    z3.Z3_OP_AND: "and",
    z3.Z3_OP_OR: "or",
    z3.Z3_OP_IMPLIES: "=>",
}


def _show(e: z3.ExprRef, names: dict[int, int], miner: _Miner) -> str:
    """A z3 term over the slots as spec text; ValueError for what it cannot say."""
    if z3.is_int_value(e):
        return str(e.as_long())
    if z3.is_true(e) or z3.is_false(e):
        return "true" if z3.is_true(e) else "false"
    slot = names.get(e.get_id())
    if slot is not None:
        p = miner.places.get(slot)
        if p is None or p.kind not in ("int", "bool"):
            raise ValueError(f"a value of {miner.program.slots[slot].name} as a number")
        return miner.ref(p.var, p.index)
    kids = e.children()
    if z3.is_not(e):
        return f"not ({_show(kids[0], names, miner)})"
    if z3.is_app_of(e, z3.Z3_OP_ITE):
        c, a, b = (_show(k, names, miner) for k in kids)
        return f"(if {c} then {a} else {b})"
    op = _Z3_OPS.get(e.decl().kind())
    if op in _HOLDS_AT and len(kids) == 2:
        # a program counter, enum or lock against a number: the values it allows
        for x, k, flip in ((kids[0], kids[1], False), (kids[1], kids[0], True)):
            slot = names.get(x.get_id())
            p = miner.places.get(slot) if slot is not None else None
            if p is None or p.kind not in ("pc", "enum", "lock") or not z3.is_int_value(k):
                continue
            test = _HOLDS_AT[op]
            c = k.as_long()
            allowed = [v for v in range(p.lo, p.hi + 1) if (test(c, v) if flip else test(v, c))]
            lits = [miner.lit_text(p, "==", v) for v in allowed]
            return "(" + " or ".join(lits) + ")" if lits else "false"
    if op is None:
        raise ValueError(f"z3's {e.decl().name()}")
    return "(" + f" {op} ".join(_show(k, names, miner) for k in kids) + ")"


_HOLDS_AT = {
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "==": lambda a, b: a == b,
}


def _strengthen(
    source: str | os.PathLike,
    text: str,
    base: ir.Program,
    goals: list[ir.Invariant],
    filters: list[tuple[dict, np.ndarray]],
    target: dict,
    size: int,
    timeout: float | None,
    result: InferResult,
) -> list[_Candidate]:
    """Steps 1 to 3: the candidates Houdini keeps, minimised if the goals are among
    them; the counts and times go to `result`. `filters`: the instance's constants and
    reachable states, then a larger instance's, if any, on which they must hold too;
    `target`: the constants Houdini runs at (symbolic sizes "?" among them, or the
    instance's)."""
    phases = result.phases
    consts, states = filters[0]
    t0 = time.perf_counter()
    fixed = {k: v for k, v in target.items() if v != "?"}  # a symbolic size generalises
    miner = _Miner(base, states, _size_consts(source, fixed, base), size)
    texts = miner.candidates()
    result.instances, result.candidates = miner.instances, len(texts)
    phases["candidates"] = time.perf_counter() - t0
    spec_lemmas = any(i.lemma for i in base.invariants)
    program, lemmas = _lower(source, consts, text, base, texts, spec_lemmas)
    lemmas = _still_true(program, lemmas, states[:: max(1, len(states) // _SAMPLE)])
    for big, big_states in filters[1:]:
        big_base = spec.load(source, big)
        big_program, big_lemmas = _lower(
            source, big, text, big_base, [x.text for x in lemmas], spec_lemmas
        )
        true = {x.text for x in _still_true(big_program, big_lemmas, big_states)}
        lemmas = [x for x in lemmas if x.text in true]
    result.accepted = len(lemmas)
    symbolic = is_symbolic(target)
    names = [g.name for g in goals]
    sizes = [consts] + _next_sizes(source, consts, target) if symbolic else [consts]
    if symbolic:
        # lowered again at the symbolic size, where Houdini runs
        texts = [x.text for x in lemmas]
        program, lemmas = _lower(source, target, text, base, texts, spec_lemmas)
        result.accepted = len(lemmas)
        lemmas = [x for x in lemmas if not _names_elements(program, x.inv.expr)]
        result.elements = result.accepted - len(lemmas)
        by_name = {i.name: i for i in program.invariants}
        goals = [by_name[n] for n in names]
    phases["lowering"] = time.perf_counter() - t0 - phases["candidates"]
    limits = Limits()
    with limits.catching_signals():
        if symbolic:
            # Houdini at the concrete sizes first, which is faster: a set inductive at
            # every size is inductive at these, so what they drop the symbolic Houdini
            # would drop too, and it keeps the same from what is left
            t1 = time.perf_counter()
            texts = [x.text for x in lemmas]
            for at in sizes:
                small, lowered = _houdini_at(source, text, base, at, names, texts, timeout, limits)
                active = small.run()
                result.unknown += len(small.unknown - set(names))
                texts = [x.text for x in lowered if x.name in active]
            lemmas = [x for x in lemmas if x.text in texts]
            phases["houdini (concrete)"] = time.perf_counter() - t1
        t1 = time.perf_counter()
        houdini = _Houdini(program, goals, lemmas, timeout, limits)
        active = houdini.run()
        kept = [x for x in lemmas if x.name in active]
        result.kept = len(kept)
        result.unknown += len(houdini.unknown)
        result.dropped_goals = tuple(g.name for g in goals if g.name not in active)
        phases["houdini"] = time.perf_counter() - t1
        t1 = time.perf_counter()
        if not result.dropped_goals:
            # the general lemmas (a forall, an equality of counts) are tried last
            order = sorted(kept, key=lambda x: x.text.startswith("forall ") or "count " in x.text)
            needed = None
            if symbolic:
                # minimised at the instance's sizes, which is faster: if what is left
                # is enough at the symbolic size, each lemma is needed there too
                # (without it the others fail at the instance's)
                texts = [x.text for x in order]
                small, lowered = _houdini_at(
                    source, text, base, consts, names, texts, timeout, limits
                )
                guess, why = small.minimise([x.name for x in lowered])
                guessed = {y.text for y in lowered if y.name in guess}
                chosen = {x.name for x in order if x.text in guessed}
                if why == _MAY_FAIL:  # at the symbolic size too, which has those sizes
                    at = ", ".join(f"{k}={v}" for k, v in sorted(consts.items()))
                    needed, result.reason = chosen, f"{why} ({at})"
                elif why is None and houdini.insufficient(chosen) is None:
                    needed = chosen
            if needed is None:
                needed, result.reason = houdini.minimise([x.name for x in order])
            result.undecided = houdini.undecided
            kept = [x for x in kept if x.name in needed]
        else:
            broken = [g for g in result.dropped_goals if g not in houdini.unknown]
            unknown = [g for g in result.dropped_goals if g in houdini.unknown]
            why = [f"not inductive with any subset of the candidates: {', '.join(broken)}"]
            why = (why if broken else []) + [f"z3 gave no answer for {', '.join(unknown)}"]
            result.reason = "; ".join(why if unknown else why[:1])
        phases["minimise"] = time.perf_counter() - t1
    return kept


def _next_sizes(source: str | os.PathLike, consts: dict, target: dict) -> list[dict]:
    """The instance with each symbolic size one larger, if the spec allows it."""
    bigger = {k: v + 1 if target.get(k) == "?" else v for k, v in consts.items()}
    try:
        spec.load(source, bigger)
    except SpecErrors:
        return []
    return [bigger]


def _houdini_at(
    source: str | os.PathLike,
    text: str,
    base: ir.Program,
    consts: dict,
    goals: list[str],
    texts: list[str],
    timeout: float | None,
    limits: Limits,
) -> tuple[_Houdini, list[_Candidate]]:
    """Houdini's queries at the concrete sizes `consts`, over the goals named and the
    candidates (spec text), and the candidates lowered there."""
    spec_lemmas = any(i.lemma for i in base.invariants)
    program, lemmas = _lower(source, consts, text, base, texts, spec_lemmas)
    by_name = {i.name: i for i in program.invariants}
    return _Houdini(program, [by_name[n] for n in goals], lemmas, timeout, limits), lemmas


def _reachable(program: ir.Program, max_states: int, graph: Any = None) -> np.ndarray:
    """The reachable states of a concrete program, one row each (tuple back end)."""
    graph = graph or explore(program, max_states)
    if graph.truncated:
        raise UsageError(
            f"--infer: the instance has more than {max_states} reachable states; "
            "give smaller sizes with -D"
        )
    if not graph.states:
        raise UsageError("--infer: the instance has no reachable state")
    return np.array(list(graph.states), dtype=np.int64).reshape(len(graph.states), -1)


def _refuted(
    program: ir.Program, goals: list[ir.Invariant], errors: list, states: np.ndarray
) -> str | None:
    """Why no lemma can help: a goal false in a reachable state, or a step erring."""
    rows = [tuple(r) for r in states.tolist()]
    for g in goals:
        fn = compile_expr(program, g.expr)
        try:
            if all(fn(s) for s in rows):
                continue
        except EvalError:
            pass
        return f"invariant {g.name} is violated in a reachable state (mmcheck check shows how)"
    if errors:
        return f"a reachable step fails: {errors[0][1].message} (mmcheck check shows how)"
    return None


# --------------------------------------------------------------------------- templates

Lit = tuple[int, str, int]  # (slot, op, value): op one of ==, !=, <=, >=


def _neg(lit: Lit, kind: str) -> Lit:
    slot, op, v = lit
    if kind == "bool":
        return (slot, "==", 1 - v)
    return {
        "==": (slot, "!=", v),
        "!=": (slot, "==", v),
        "<=": (slot, ">=", v + 1),
        ">=": (slot, "<=", v - 1),
    }[op]


def _size_consts(
    source: str | os.PathLike, consts: dict, program: ir.Program
) -> dict[tuple[int, int], str]:
    """(lo, hi) of a one-dimensional array -> its text `1..PTES`, where a constant of the
    spec left symbolic gives the bound (so that a count generalises to any size)."""
    out: dict[tuple[int, int], str] = {}
    for c in program.consts:
        if c.type.kind != "int" or c.name in consts:
            continue
        try:
            sym = spec.load(source, {**consts, c.name: "?"}, symbolic=True)
        except SpecErrors:
            continue
        for v, sv in zip(program.vars, sym.vars, strict=True):
            if len(v.dims) == 1 and sv.dims[0].hi == ir.SymConst(c.name):
                lo, hi = ir.dim_bounds(v)[0]
                out.setdefault((lo, hi), f"{lo}..{c.name}")
    return out


@dataclass(frozen=True)
class _Place:
    """What the templates know of one slot: its kind (bool, int, enum, pc, lock), its
    type's values, and how the spec names it."""

    var: ir.Var
    kind: str
    lo: int
    hi: int
    index: tuple[int, ...]


class _Miner:
    def __init__(
        self,
        program: ir.Program,
        states: np.ndarray,
        sizes: dict[tuple[int, int], str],
        size: int,
    ) -> None:
        self.program = program
        self.states = states
        self.sizes = sizes
        self.size = size
        self.instances = 0
        self.pcs = {p.pc_var: p for p in program.processes}
        self.procs = {p.name for p in program.processes}
        self.places: dict[int, _Place] = {}
        for slot, s in enumerate(program.slots):
            v = program.var(s.var)
            if v.set_dims or v.elem_fields or v.type.none:
                continue  # sets, options: not in the templates
            kind = {"bool": "bool", "int": "int", "enum": "enum", "pc": "pc", "lock": "lock"}
            if v.type.kind in kind:
                self.places[slot] = _Place(v, v.type.kind, s.lo, s.hi, s.index)

    # --- spec text
    def _index(self, v: ir.Var, index: tuple[int | str, ...]) -> str:
        parts = [d.show(i) if isinstance(i, int) else i for d, i in zip(v.dims, index)]
        return f"[{', '.join(parts)}]" if parts else ""

    def ref(self, v: ir.Var, index: tuple[int | str, ...]) -> str:
        """The variable's element as an expression (a pc's or a lock's: the process
        instance, the lock)."""
        if v.role == "pc":
            return self.pcs[v.name].name + self._index(v, index)
        head, _, rest = v.name.partition(".")
        if rest and v.source == v.name and head in self.procs:  # a process's local
            return f"{head}{self._index(v, index)}.{rest}"
        if rest and v.source == head:  # a record's field
            return f"{head}{self._index(v, index)}.{rest}"
        return v.name + self._index(v, index)

    def lit_text(self, place: _Place, op: str, value: int, index: tuple | None = None) -> str:
        v = place.var
        ref = self.ref(v, place.index if index is None else index)
        if place.kind == "bool":
            return ref if value else f"not {ref}"
        if place.kind == "pc":
            p = self.pcs[v.name]
            atom = f"done({ref})" if value == p.done else f"at({ref}, {p.labels[value]})"
            return atom if op == "==" else f"not {atom}"
        if place.kind == "lock":
            if value == 0:
                return f"not locked({ref})" if op == "==" else f"locked({ref})"
            return f"holder({ref}) {op} {v.type.show(value)}"
        return f"{ref} {op} {v.type.show(value)}"

    def text(self, lit: Lit) -> str:
        return self.lit_text(self.places[lit[0]], lit[1], lit[2])

    # --- the templates
    def candidates(self) -> list[str]:
        out = self._clauses()
        out += self._equalities()
        out += self._cursors()
        return list(dict.fromkeys(out))

    def _clauses(self) -> list[str]:
        X = self.states
        kinds = {s: p.kind for s, p in self.places.items()}
        seen: set[frozenset[Lit]] = set()
        out: list[str] = []

        # a clause whose array elements share one index of a size constant's range or
        # of a symmetric sort: per shape (its text at an index `i`), the indices it holds at
        shapes: dict[tuple[str, str], set[int]] = {}

        def emit(a: Lit | None, b: Lit) -> None:
            key = frozenset([b] if a is None else [_neg(a, kinds[a[0]]), b])
            if key in seen:
                return
            seen.add(key)
            lits = [b] if a is None else [a, b]
            general = self._general(lits)
            if general is not None:
                shapes.setdefault(general[:2], set()).add(general[2])
            out.append(" => ".join(self.text(x) for x in lits))

        def strongest(slot: int, col: np.ndarray, everywhere: np.ndarray | None) -> list[Lit]:
            """The literals of `slot` that hold on the values `col`, those that hold on
            every state (`everywhere`'s values) left out."""
            p = self.places[slot]
            vals = np.unique(col)
            domain = p.hi - p.lo + 1
            self.instances += 2 * domain if p.kind != "bool" else 2
            known = set() if everywhere is None else set(np.unique(everywhere).tolist())
            if len(vals) == 1:
                return [] if len(known) == 1 else [(slot, "==", int(vals[0]))]
            if p.kind == "bool":
                return []
            if p.kind == "int":
                lits: list[Lit] = []
                lo = p.lo if everywhere is None else min(known)
                hi = p.hi if everywhere is None else max(known)
                if vals[0] > lo:
                    lits.append((slot, ">=", int(vals[0])))
                if vals[-1] < hi:
                    lits.append((slot, "<=", int(vals[-1])))
                return lits
            pool = range(p.lo, p.hi + 1) if everywhere is None else sorted(known)
            return [(slot, "!=", x) for x in pool if x not in set(vals.tolist())]

        for slot in self.places:
            for lit in strongest(slot, X[:, slot], None):
                emit(None, lit)
        if self.size < 2:
            return out
        for a, p in self.places.items():
            if p.kind == "int":
                continue
            for value in np.unique(X[:, a]).tolist():
                rows = X[:, a] == value
                if p.kind == "lock" and value != 0:
                    antecedents = [(a, "==", value), (a, "!=", 0)]
                else:
                    antecedents = [(a, "==", value)]
                if p.kind == "lock" and value == 0:
                    antecedents = [(a, "==", 0)]
                for ante in antecedents:
                    mask = rows if ante[1] == "==" else X[:, a] != 0
                    for b in self.places:
                        if b != a:
                            for lit in strongest(b, X[mask, b], X[:, b]):
                                emit(ante, lit)
        if self.size >= 3:
            out += self._conjunctions(strongest)
        return self._generalised(out, shapes)

    def _conditions(self) -> list[tuple[Lit, np.ndarray]]:
        """The literals `x == value` of the scalar flags, enums and program counters,
        and `not locked(l)` and `locked(l)` of the scalar locks, each with the states it
        holds in; one that holds in every state or in none is left out."""
        out: list[tuple[Lit, np.ndarray]] = []
        for slot, p in self.places.items():
            if p.var.dims or p.kind == "int":
                continue
            col = self.states[:, slot]
            lits: list[Lit] = [(slot, "==", v) for v in np.unique(col).tolist()]
            if p.kind == "lock":  # held or not, whoever holds it
                lits = [(slot, "==", 0), (slot, "!=", 0)]
            for lit in lits:
                mask = col != 0 if lit[1] == "!=" else col == lit[2]
                if 0 < mask.sum() < len(col):
                    out.append((lit, mask))
        return out

    def _conjunctions(
        self, strongest: Callable[[int, np.ndarray, np.ndarray | None], list[Lit]]
    ) -> list[str]:
        """`A and B => C` (size 3): A and B conditions of two scalar slots, C a literal of
        a third slot that holds where both do, but neither where A holds nor where B
        holds."""
        out: list[str] = []
        conds = self._conditions()
        for (a, ma), (b, mb) in itertools.combinations(conds, 2):
            if a[0] == b[0]:
                continue
            both = ma & mb
            if not both.any():
                continue
            for c in self.places:
                if c in (a[0], b[0]):
                    continue
                for lit in strongest(c, self.states[both, c], self.states[:, c]):
                    if self._holds(lit, ma) or self._holds(lit, mb):
                        continue
                    out.append(f"{self.text(a)} and {self.text(b)} => {self.text(lit)}")
        return out

    def _holds(self, lit: Lit, mask: np.ndarray) -> bool:
        col = self.states[mask, lit[0]]
        slot, op, v = lit
        test = {"==": col == v, "!=": col != v, "<=": col <= v, ">=": col >= v}[op]
        return bool(test.all())

    def _dom(self, v: ir.Var) -> tuple[str, range] | None:
        """The text and values of a one-dimensional array's index range, if it is a
        symmetric sort or a size constant's range."""
        if len(v.dims) != 1:
            return None
        lo, hi = ir.dim_bounds(v)[0]
        text = v.dims[0].sort or self.sizes.get((lo, hi))
        return None if text is None else (text, range(lo, hi + 1))

    def _general(self, lits: list[Lit]) -> tuple[str, str, int] | None:
        """(the clause at index i, its range's text, the index) where the clause's
        array elements all have one index of such a range."""
        index: set[int] = set()
        doms = set()
        for slot, _, _ in lits:
            p = self.places[slot]
            if p.var.dims:
                dom = self._dom(p.var)
                if dom is None:
                    return None
                doms.add(dom[0])
                index.add(p.index[0])
        if len(index) != 1 or len(doms) != 1:
            return None
        texts = []
        for slot, op, value in lits:
            p = self.places[slot]
            texts.append(self.lit_text(p, op, value, ("i",) if p.var.dims else None))
        return " => ".join(texts), doms.pop(), index.pop()

    def _generalised(self, out: list[str], shapes: dict[tuple[str, str], set[int]]) -> list[str]:
        """The clauses, those of a shape that holds at every index as one `forall` (in
        front, for a spec of a symmetric sort can name no single element)."""
        general = []
        for (shape, dom), at in shapes.items():
            values = next(
                self._dom(p.var)[1]
                for p in self.places.values()
                if p.var.dims and self._dom(p.var) and self._dom(p.var)[0] == dom
            )
            if at == set(values):
                general.append(f"forall i in {dom}: {shape}")
        return general + out

    def _by_var(self) -> dict[str, list[int]]:
        """Each variable's slots in the templates."""
        out: dict[str, list[int]] = {}
        for slot, p in self.places.items():
            out.setdefault(p.var.name, []).append(slot)
        return out

    # --- cursors
    def _cursors(self) -> list[str]:
        """`forall i in 1..N: i < x => arr[i] == c` and `... i >= x => ...` (`!=` for an
        enum's, a program counter's or a lock's value): x a loop's cursor over the
        array (_cursor_pairs), the elements behind it (or from it on) all of one value,
        or never of one; at size 2 also under a condition A, as the conjunctions' (`A
        and i < x => ...`). Left out where vacuous (no index on that side in a state A
        holds in), where the literal holds at every index (the clauses give it), and,
        under A, where it holds without A."""
        conds: list[tuple[str | None, np.ndarray]] = [(None, np.ones(len(self.states), dtype=bool))]
        if self.size >= 2:
            conds += [(self.text(lit), mask) for lit, mask in self._conditions()]
        out: list[str] = []
        for x, slots in self._cursor_pairs():
            out += self._cursor_clauses(x, slots, conds)
        return out

    def _cursor_pairs(self) -> Iterator[tuple[int, list[int]]]:
        """(x, an array's slots): a scalar int x whose values lie in the index range of
        a one-dimensional array over a size constant (not a symmetric sort: unordered)."""
        arrays = [
            slots
            for slots in self._by_var().values()
            if self._dom(self.places[slots[0]].var) and not self.places[slots[0]].var.dims[0].sort
        ]
        for x, p in self.places.items():
            if p.kind != "int" or p.var.dims:
                continue
            for slots in arrays:
                _, values = self._dom(self.places[slots[0]].var)
                if values.start <= p.lo and p.hi < values.stop:
                    yield x, slots

    def _cursor_clauses(
        self, x: int, slots: list[int], conds: list[tuple[str | None, np.ndarray]]
    ) -> list[str]:
        """The cursor x's clauses over the array's slots, on each side, under each
        condition (None: none)."""
        elem = self.places[slots[0]]
        dom, _ = self._dom(elem.var)
        ref = self.ref(self.places[x].var, self.places[x].index)
        index = np.array([self.places[s].index[0] for s in slots])
        block = self.states[:, slots]
        cursor = self.states[:, x][:, None]
        out: list[str] = []
        for side, there in (("<", index[None, :] < cursor), (">=", index >= cursor)):
            unguarded: set[tuple[str, int]] = set()
            for cond, mask in conds:
                for op, value in self._cursor_lits(elem, block[mask], there[mask]):
                    if (op, value) in unguarded:
                        continue
                    if cond is None:
                        unguarded.add((op, value))
                    guard = "" if cond is None else f"{cond} and "
                    body = self.lit_text(elem, op, value, ("i",))
                    out.append(f"forall i in {dom}: {guard}i {side} {ref} => {body}")
        return out

    def _cursor_lits(
        self, elem: _Place, block: np.ndarray, side: np.ndarray
    ) -> list[tuple[str, int]]:
        """The strongest literals (op, value) of an array's elements that hold at every
        index on a cursor's side (`side`, per state and index) in the states `block`,
        but not at every index."""
        if not side.any():
            return []
        self.instances += 2 * (elem.hi - elem.lo + 1)
        there = set(np.unique(block[side]).tolist())
        if len(there) == 1:
            value = there.pop()
            return [] if (block == value).all() else [("==", value)]
        if elem.kind not in ("enum", "pc", "lock"):
            return []
        return [("!=", v) for v in sorted(set(np.unique(block).tolist()) - there)]

    # --- affine equalities
    def _terms(self) -> Iterator[tuple[str, np.ndarray, bool]]:
        """(text, value per state, whether a counter): the int variables, flags as 0/1,
        enums one-hot (all values but the commonest), counts over an array whose range
        is a size constant (those of its values but the commonest)."""
        X = self.states
        for slots in self._by_var().values():
            p = self.places[slots[0]]
            v = p.var
            if p.kind == "lock":
                continue
            dom = self._dom(v)
            if dom is not None and p.kind != "int":
                rng = dom[0]
                block = X[:, slots]
                for value in self._values(p, block):
                    body = self.lit_text(p, "==", value, ("i",))
                    col = (block == value).sum(axis=1)
                    yield f"(count i in {rng}: {body})", col, False
                continue
            for slot in slots:
                q = self.places[slot]
                col = X[:, slot]
                if q.kind == "int":
                    yield self.ref(v, q.index), col, True
                elif q.kind == "bool":
                    yield f"(if {self.ref(v, q.index)} then 1 else 0)", col, False
                else:
                    for value in self._values(q, col[:, None]):
                        yield (
                            f"(if {self.lit_text(q, '==', value)} then 1 else 0)",
                            (col == value).astype(np.int64),
                            False,
                        )

    def _values(self, p: _Place, block: np.ndarray) -> list[int]:
        if p.kind == "bool":
            return [1]  # a flag's count of true, whichever value is commoner
        counts = Counter(block.ravel().tolist())
        common = counts.most_common(1)[0][0]
        return [x for x in range(p.lo, p.hi + 1) if x != common]

    def _equalities(self) -> list[str]:
        terms = [t for t in self._terms() if np.ptp(t[1]) > 0]  # constants: literals
        # counters last, so that they are what each equality solves for
        terms.sort(key=lambda t: t[2])
        if not terms:
            return []
        texts = [t[0] for t in terms]
        M = np.column_stack([np.ones(len(self.states), dtype=np.int64)] + [t[1] for t in terms])
        contexts: list[tuple[str | None, np.ndarray]] = [(None, np.ones(len(M), dtype=bool))]
        for slot, p in self.places.items():
            if p.kind == "bool" and not p.var.dims:
                for value in np.unique(self.states[:, slot]).tolist():
                    lit = self.text((slot, "==", value))
                    contexts.append((lit, self.states[:, slot] == value))
        out: list[str] = []
        for cond, mask in contexts:
            rows = M[mask]
            self.instances += 1
            for vec in _kernel(rows.T @ rows):
                if cond is not None and not np.any(M @ _ints(vec)):
                    continue  # true in every state: the unconditional one says it
                used = sum(1 for x in vec[1:] if x)
                if used < 2 or used > _TERMS[self.size]:
                    continue
                eq = _equation(vec, texts)
                out.append(eq if cond is None else f"{cond} => {eq}")
        return out


def _ints(vec: list[Fraction]) -> np.ndarray:
    scale = lcm(*(x.denominator for x in vec))
    return np.array([int(x * scale) for x in vec], dtype=np.int64)


def _kernel(gram: np.ndarray) -> list[list[Fraction]]:
    """A basis of the kernel of a symmetric integer matrix (that of its rows' matrix:
    M^T M v = 0 iff M v = 0), one vector per free column of its reduced row echelon
    form, exact."""
    n = len(gram)
    rows = [[Fraction(int(x)) for x in r] for r in gram]
    pivots: list[int] = []
    r = 0
    for c in range(n):
        k = next((i for i in range(r, n) if rows[i][c]), None)
        if k is None:
            continue
        rows[r], rows[k] = rows[k], rows[r]
        pv = rows[r][c]
        rows[r] = [x / pv for x in rows[r]]
        for i in range(n):
            if i != r and rows[i][c]:
                f = rows[i][c]
                rows[i] = [a - f * b for a, b in zip(rows[i], rows[r])]
        pivots.append(c)
        r += 1
    basis = []
    for f in (c for c in range(n) if c not in pivots):
        vec = [Fraction(0)] * n
        vec[f] = Fraction(1)
        for i, c in enumerate(pivots):
            vec[c] = -rows[i][f]
        basis.append(vec)
    return basis


def _equation(vec: list[Fraction], texts: list[str]) -> str:
    """vec . (1, terms...) == 0 as `lhs == rhs`: its last term (a free column) alone on
    the left."""
    ints = _ints(vec).tolist()
    last = max(i for i, x in enumerate(ints) if x)
    k = ints[last]
    if k < 0:
        ints = [-x for x in ints]
        k = -k
    lhs = texts[last - 1] if k == 1 else f"{k} * {texts[last - 1]}"
    parts: list[str] = []
    for i, x in enumerate(ints[:last]):
        c = -x
        if not c:
            continue
        term = (
            str(abs(c)) if i == 0 else texts[i - 1] if abs(c) == 1 else f"{abs(c)} * {texts[i - 1]}"
        )
        parts.append(("- " if c < 0 else "+ ") + term)
    rhs = " ".join(parts) if parts else "0"
    rhs = rhs[2:] if rhs.startswith("+ ") else "-" + rhs[2:] if rhs.startswith("- ") else rhs
    return f"{lhs} == {rhs}"


# --------------------------------------------------------------------------- lowering


def _lower(
    source: str | os.PathLike,
    consts: dict,
    text: str,
    base: ir.Program,
    texts: list[str],
    spec_lemmas: bool,
) -> tuple[ir.Program, list[_Candidate]]:
    """The spec with the candidates appended as lemmas, lowered (the front end's
    meaning of each text), and the candidates as its invariants; a candidate the front
    end refuses is dropped. Without `spec_lemmas`, the spec's own are left out."""
    used = {i.name for i in base.invariants}
    names = (f"{PREFIX}{k}" for k in itertools.count(1))
    pending = {}
    for t in texts:
        name = next(n for n in names if n not in used)
        pending[name] = t
    while True:
        first = len(text.rstrip("\n").split("\n")) + 2
        at_line = {first + k: n for k, n in enumerate(pending)}
        try:
            program = spec.load(
                source, consts, text=_appended(text, pending), symbolic=is_symbolic(consts)
            )
        except SpecErrors as e:
            bad = {at_line.get(err.loc.line) for err in e.errors}
            if None in bad or not bad:
                raise
            for n in bad:
                del pending[n]
            continue
        break
    invs = tuple(
        i for i in program.invariants if i.name in pending or not (i.lemma and not spec_lemmas)
    )
    program = replace(program, invariants=invs)
    if source_of(source)[0] == STRING_FILE:
        program = replace(program, file=base.file)
    return program, [_Candidate(i, pending[i.name]) for i in invs if i.name in pending]


def _names_elements(program: ir.Program, e: ir.Expr) -> bool:
    """Whether e reads an element of an array over a symbolic size at a fixed index
    (`cpu[1]`): a clause of the instance the candidates were filtered on, which the
    templates did not generalise to a `forall` or a count over the range."""
    symbolic = {
        v.name
        for v in program.vars
        if any(not isinstance(b, ir.Const) for d in v.dims for b in (d.lo, d.hi))
    }
    return any(
        r.var in symbolic and all(isinstance(i, ir.Const) for i in r.index) for r in reads(e)
    )


def _appended(text: str, lemmas: dict[str, str]) -> str:
    """The spec's text with the lemmas (name -> expression) declared after a blank line."""
    lines = text.rstrip("\n").split("\n")
    return "\n".join([*lines, "", *(f"lemma {n}: {t}" for n, t in lemmas.items())]) + "\n"


def _prove(
    source: str | os.PathLike,
    consts: dict,
    text: str,
    lemmas: list[_Candidate],
    chosen: list[ir.Invariant],
    own: tuple[str, ...],
    timeout: float | None,
) -> ProveResult:
    """`prove` of the chosen goals on the spec with the lemmas appended (as _lower
    lowered them: the same names), the spec's lemmas named in `own` left out; from the
    source, so that a CTI at a symbolic size is shown at the sizes z3 chose."""
    return prove(
        source,
        consts,
        invariants=[g.name for g in chosen],
        timeout=timeout,
        text=_appended(text, {x.name: x.text for x in lemmas}),
        exclude=own,
    )


@dataclass(frozen=True)
class _Candidate:
    inv: ir.Invariant
    text: str

    @property
    def name(self) -> str:
        return self.inv.name


def _still_true(
    program: ir.Program, lemmas: list[_Candidate], states: np.ndarray
) -> list[_Candidate]:
    """The lowered candidates true on the states, by the tuple back end."""
    rows = [tuple(r) for r in states.tolist()]
    out = []
    for inv in lemmas:
        fn = compile_expr(program, inv.inv.expr)
        try:
            if all(fn(s) for s in rows):
                out.append(inv)
        except EvalError:
            continue
    return out


# --------------------------------------------------------------------------- Houdini


@dataclass(frozen=True)
class _Query:
    """One of Houdini's solvers: its hypothesis asserted, and per candidate or goal the
    condition that it fails in the state asked about (a step's post-state, or an
    initial state), with `Or(t(x) and fails(x))` asserted; for a step, `error` asks for
    the step to err."""

    solver: z3.Solver
    fails: dict[str, z3.BoolRef]
    error: z3.Solver | None = None


class _Houdini:
    """Per action, one solver: a pre-state where each candidate or goal x holds if its
    indicator a(x) is assumed, the step, and the post-state breaking some x whose
    target indicator t(x) is assumed; and one where the step errs. One more asks for an
    initial state breaking a target: the candidates hold in the initial states of the
    instance they were filtered on, but at a symbolic size there are others. Which x are
    assumed and which are targets is chosen per query by the assumptions. A symbolic
    count's definition (encode.py) is assumed only where the query without it is not
    unsat, as prove does."""

    def __init__(
        self,
        program: ir.Program,
        goals: list[ir.Invariant],
        candidates: list[_Candidate],
        timeout: float | None,
        limits: Limits,
    ) -> None:
        self.limits = limits
        self.goals = [g.name for g in goals]
        invs = {g.name: g for g in goals} | {c.name: c.inv for c in candidates}
        self.names = list(invs)
        self.unknown: set[str] = set()  # dropped by Houdini where z3 gave no answer
        self.undecided = 0  # minimisation queries z3 gave no answer to
        enc = Encoder(program, limits)
        self.ctx = enc.ctx
        self.a = {n: z3.Bool(f"assume!{n}", self.ctx) for n in self.names}
        self.t = {n: z3.Bool(f"target!{n}", self.ctx) for n in self.names}
        self.defs = z3.Bool("definitions!", self.ctx)
        self.defined: set[int] = set()  # the solvers given definitions (their ids)
        consts = enc.const_constraints()
        init, init_ok, init_step = enc.init("0")
        fails = {n: enc.refuted(inv, init)[0] for n, inv in invs.items()}
        s = self._solver(timeout)
        s.add(*consts, init_step.domain, init_ok, enc.inside(init), self._some(fails))
        s.add(*enc.facts)  # Encoder.facts: those of the states a query reads, as prove's
        self._define(s, enc.definitions)
        self.init = _Query(s, fails)
        pre_added = enc.scope()
        pre = enc.new_state("pre")
        hyp = [*consts, *enc.in_ranges(pre), enc.inside(pre)]
        hyp += [z3.Implies(self.a[n], enc.holds(inv, pre)) for n, inv in invs.items()]
        hyp += enc.facts
        pre_defs = pre_added.definitions
        self.steps: list[_Query] = []
        for action in program.actions:
            added = enc.scope()
            step = enc.step(action, pre, enc.param_terms(action, "1"))
            # a `forall` over a symbolic range fails at a witness (Encoder.refuted), an
            # index the frame lemmas count at
            refuted = {n: enc.refuted(inv, step.post) for n, inv in invs.items()}
            witnesses = [w for _, ws in refuted.values() for w in ws]
            frame = enc.frame_lemmas(pre, step.post, witnesses)
            fails = {n: r[0] for n, r in refuted.items()}
            s = self._solver(timeout)
            s.add(*hyp, step.fires, enc.inside(step.post), *frame, self._some(fails))
            e = self._solver(timeout)
            post_fails = z3.And(step.fires, enc.constraint_failed(step.post))
            e.add(*hyp, z3.Or(step.error, post_fails), *frame)
            for solver in (s, e):
                solver.add(*added.facts)
            # only this query's counts' definitions: z3 unfolded every other state's too
            defs = pre_defs + added.definitions
            self._define(s, defs)
            self._define(e, defs)
            self.steps.append(_Query(s, fails, e))

    def _define(self, s: z3.Solver, definitions: list[z3.BoolRef]) -> None:
        """The counts' definitions, in s, where the indicator `defs` is assumed."""
        if definitions:
            s.add(z3.Implies(self.defs, z3.And(definitions)))
            self.defined.add(id(s))

    def _some(self, fails: dict[str, z3.BoolRef]) -> z3.BoolRef:
        return z3.Or([z3.And(self.t[n], fails[n]) for n in self.names])

    def _solver(self, timeout: float | None) -> z3.Solver:
        s = z3.Solver(ctx=self.ctx)
        if timeout is not None:
            s.set("timeout", max(1, int(timeout * 1000)))
        return s

    def _assume(self, hyp: set[str], targets: set[str]) -> tuple[z3.BoolRef, ...]:
        return tuple(
            [self.a[n] if n in hyp else z3.Not(self.a[n]) for n in self.names]
            + [self.t[n] if n in targets else z3.Not(self.t[n]) for n in self.names]
        )

    def _ask(self, solver: z3.Solver, hyp: set[str], targets: set[str]) -> z3.CheckSatResult:
        """The solver's answer with `hyp` assumed and `targets` targeted: without the
        counts' definitions if that is unsat, else with them (a model is then one of
        the exact encoding)."""
        assume = self._assume(hyp, targets)
        answer = interrupt.check(solver, self.limits, assume)
        if answer != z3.unsat and id(solver) in self.defined:
            answer = interrupt.check(solver, self.limits, (*assume, self.defs))
        return answer

    def run(self) -> set[str]:
        """Houdini: the largest subset of the candidates and goals inductive together
        (initiation included). One z3 gives no answer for is dropped, as a broken one
        is, and recorded in `unknown`: nothing is kept that z3 did not prove."""
        active = set(self.names)
        changed = True
        while changed:
            changed = False
            for q in (self.init, *self.steps):
                before = len(active)
                self._settle(q, active)
                changed |= len(active) < before
        return active

    def _settle(self, q: _Query, active: set[str]) -> None:
        """Drops from `active` what q finds broken, until it finds nothing."""
        while True:
            answer = self._ask(q.solver, active, active)
            if answer == z3.unsat:
                return
            if answer == z3.sat and self._drop(q, active):
                continue
            # no answer, or a model in which no target's failure evaluates to true (a
            # quantifier left): one target at a time, the others assumed
            for n in [n for n in self.names if n in active]:
                if n not in active:
                    continue
                answer = self._ask(q.solver, active, {n})
                if answer == z3.sat:
                    self._drop(q, active)
                    active.discard(n)
                elif answer != z3.unsat:
                    active.discard(n)
                    self.unknown.add(n)
            return

    def _drop(self, q: _Query, active: set[str]) -> bool:
        """Drops from `active` what the model of q's solver breaks; whether any."""
        m = q.solver.model()
        broken = {n for n in active if z3.is_true(m.eval(q.fails[n], True))}
        active -= broken
        return bool(broken)

    def insufficient(self, hyp: set[str]) -> str | None:
        """None if hyp and the goals are inductive together and let no step err, else
        why not (initiation is each candidate's own, checked by run)."""
        keep = hyp | set(self.goals)
        for q in self.steps:
            for solver, targets in ((q.solver, keep), (q.error, set())):
                assert solver is not None
                answer = self._ask(solver, keep, targets)
                if answer == z3.sat:
                    return _MAY_FAIL
                if answer != z3.unsat:
                    self.undecided += 1
                    return f"z3: {solver.reason_unknown()}"
        return None

    def minimise(self, order: list[str]) -> tuple[set[str], str | None]:
        """The candidates the goals' proof needs, by greedy deletion in `order`: each is
        left out if the rest still proves itself and the goals and lets no step err (a
        query z3 gives no answer to keeps it); and None. Only z3's sat or unsat decides,
        never a model or an unsat core, so the result is the same in any process. Where
        a step errs or z3 gives no answer with them all: every candidate, and why."""
        needed = set(order)
        why = self.insufficient(needed)
        if why is not None:
            return needed, why
        for n in order:
            if self.insufficient(needed - {n}) is None:
                needed.discard(n)
        return needed, None
