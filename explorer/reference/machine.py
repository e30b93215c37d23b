"""The reference state machine of a spec: its initial states and the transitions of a
state, read off the checked AST.

Counting follows TLC: each initial state (one per combination of `in` choices
satisfying the `init` constraints) and each enabled path of each step (action x
parameter values, process instance x `either` choices) is one transition.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from itertools import product
from typing import TypeVar

from mmcheck import spec
from mmcheck.explorer.reference.encode import Encoder
from mmcheck.explorer.reference.evaluate import (
    Ctx,
    Fault,
    Refused,
    Symbols,
    evaluate,
    force,
    scalar,
)
from mmcheck.explorer.reference.execute import Frame, Interpreter, Path, free_lock
from mmcheck.explorer.reference.values import (
    POISON,
    Frozen,
    Instance,
    domain,
    out_of_range,
    overflows,
    stored,
)
from mmcheck.spec.checker import ConstValue, Env
from mmcheck.spec.ir import Program
from mmcheck.spec.loader import Loader, source_of

T = TypeVar("T")
RState = tuple  # the values of the state keys, in `Reference.keys` order


@dataclass(frozen=True)
class Transition:
    action: str  # "<process>.<label>" for a process step, the action's name, or "Init"
    instance: str | None  # "fault[2]", for a process step
    label: str | None
    params: tuple[tuple[str, object], ...]
    target: RState | None  # None when the step failed
    faults: tuple[Fault, ...] = ()


class Reference:
    """A spec loaded for the reference interpreter. `source` and `consts` as spec.load
    takes them; ill-typed specs raise its SpecErrors, and so does a construct the
    reference does not implement (named in the error)."""

    def __init__(
        self, source: str | os.PathLike, consts: dict[str, ConstValue] | None = None
    ) -> None:
        self.program: Program = spec.load(source, consts)  # the checks, and the slot layout
        file, text = source_of(source)
        env = Env(file, Loader().load(file, text), dict(consts or {}))
        try:
            self.sym = Symbols(env)
            self.run = Interpreter(self.sym)
            self.keys: list[object] = [*self.sym.vars, *self.sym.locks]
            for p in self.sym.processes.values():
                for i in p.instances():
                    self.keys += [("pc", *i), *((*i, v) for v in p.locals)]
            self.encoder = Encoder(self.program, self.sym)
        except Refused as r:
            raise r.error() from None

    def _guarded(self, fn: Callable[..., T], *args: object) -> T:
        """fn(*args), a construct the reference does not implement refused by name."""
        try:
            return fn(*args)
        except Refused as r:
            raise r.error() from None

    def freeze(self, state: dict) -> RState:
        return tuple(state[k] for k in self.keys)

    def thaw(self, s: RState) -> dict:
        return dict(zip(self.keys, s))

    def encode(self, s: RState) -> tuple[int, ...]:
        return self.encoder.encode(self.thaw(s))

    def instance_name(self, inst: Instance) -> str:
        return self.encoder.instance_name(inst)

    # ------------------------------------------------------------------ initial states
    def initial(self) -> list[RState]:
        return [t.target for t in self.init_transitions() if t.target is not None]

    def init_transitions(self) -> list[Transition]:
        return self._guarded(self._init_transitions)

    def _init_transitions(self) -> list[Transition]:
        sym = self.sym
        # every element of a pool its initial value, none allocated
        pools: dict = {}
        for name in sym.pools:
            refs = domain(sym.vars[name].dims[0])  # type: ignore[union-attr]
            init = self.run.pool_init(name)
            pools[name] = Frozen({(r,): init for r in refs})
            pools[f"{name}.allocated"] = Frozen({(r,): False for r in refs})
        # partial initial states, each with its `in` choices and failures so far
        partial: list[tuple[dict, tuple, list[Fault]]] = [(pools, (), [])]
        decls = [(None, d) for d in sym.var_decls]
        for p in sym.processes.values():
            for inst in p.instances():
                decls += [(inst, d) for d in p.decl.locals]
        for inst, d in decls:
            key = d.name if inst is None else (*inst, d.name)
            t = sym.vars[d.name] if inst is None else sym.processes[inst[0]].locals[d.name]
            nxt = []
            for state, choices, faults in partial:
                ctx = Ctx(state, faults, instance=inst)
                v = evaluate(sym, d.init, ctx)
                if overflows(v, t):  # before any element is evaluated
                    ctx.fail("range", d.init.loc, f"a sequence longer than {t.cap} elements")  # type: ignore[union-attr]
                v = force(sym, v)
                values = sym.ordered(v) if d.is_choice and v is not POISON else [v]
                for x in values:
                    f = list(faults)
                    x, null = stored(x, t)
                    if null:
                        f.append(Fault("null", None, d.init.loc, "none stored as a value"))
                    elif out_of_range(x, t):
                        f.append(
                            Fault(
                                "range",
                                None,
                                d.init.loc,
                                f"initial value {x} is outside the variable's range",
                            )
                        )
                    name = self.keys_name(key)
                    c = (*choices, (name, x)) if d.is_choice else choices
                    nxt.append(({**state, key: x}, c, f))
            partial = nxt
        out = []
        for state, choices, faults in partial:
            for name, t in sym.locks.items():
                state[name] = free_lock(t)
            for p in sym.processes.values():
                for inst in p.instances():
                    state[("pc", *inst)] = p.labels[0] if p.labels else "Done"
            ok: object = True
            for d in sym.inits:
                ok = scalar(sym, d.expr, Ctx(state, faults))
                if ok is POISON or not ok:
                    break
            if faults:
                out.append(Transition("Init", None, None, choices, None, tuple(faults)))
            elif ok:
                out.append(Transition("Init", None, None, choices, self.freeze(state)))
        return out

    @staticmethod
    def keys_name(key: object) -> str:
        if isinstance(key, str):
            return key
        proc, index, var = key  # type: ignore[misc]
        return f"{proc}{'' if index is None else f'[{index}]'}.{var}"

    # ------------------------------------------------------------------ steps
    def transitions(self, s: RState) -> list[Transition]:
        return self._guarded(self._transitions, s)

    def _transitions(self, s: RState) -> list[Transition]:
        pre = self.thaw(s)
        out: list[Transition] = []
        for d in self.sym.actions:
            names = [p.name for p in d.params]
            doms = [domain(self.sym.resolve(p.type)) for p in d.params]
            for values in product(*doms):
                params = dict(zip(names, values))
                path = self.run.action(d, params, pre)
                if path is not None:
                    out.append(self._finish(d.name, None, None, tuple(params.items()), path))
        for p in self.sym.processes.values():
            for inst in p.instances():
                label = pre[("pc", *inst)]
                if label == "Done":
                    continue
                body, after = p.entries[label]
                params = (("self", inst[1]),) if p.index is not None else ()
                for path in self.run.block(body, [Path(dict(pre))], Frame({}, inst)):
                    path.state[("pc", *inst)] = path.jump or after
                    out.append(
                        self._finish(
                            f"{p.name}.{label}", self.instance_name(inst), label, params, path
                        )
                    )
        return out

    def _finish(
        self, action: str, instance: str | None, label: str | None, params: tuple, path: Path
    ) -> Transition:
        if path.faults or path.broken:
            return Transition(action, instance, label, params, None, tuple(path.faults))
        return Transition(action, instance, label, params, self.freeze(path.state))

    # ------------------------------------------------------------------ state properties
    def invariant_faults(self, s: RState, names: list[str] | None = None) -> list[Fault]:
        """The invariants (all, or those named) false or failing in s, after the failure
        to evaluate a constraint there, if one fails."""
        return self._guarded(self._invariant_faults, s, names)

    def cut(self, s: RState) -> bool:
        """Whether a constraint is false in s, so that s is not in the state space."""
        return self._guarded(self._constraints, s)[0]

    def _constraints(self, s: RState) -> tuple[bool, list[Fault]]:
        """(cut, failures): the constraints in order, up to the first that is false
        (s is cut) or fails to evaluate (s is kept, and that is a violation)."""
        state = self.thaw(s)
        for d in self.sym.constraints:
            faults: list[Fault] = []
            v = scalar(self.sym, d.expr, Ctx(state, faults))
            if faults:
                return False, [
                    Fault(f.kind, d.name, f.loc, f"{f.message} (evaluating constraint {d.name})")
                    for f in faults
                ]
            if not v:
                return True, []
        return False, []

    def covered(self, s: RState, names: list[str]) -> list[str]:
        """The covers among `names` that hold in s (one that fails to evaluate does not)."""
        return self._guarded(self._covered, s, names)

    def _covered(self, s: RState, names: list[str]) -> list[str]:
        state = self.thaw(s)
        out = []
        for d in self.sym.covers:
            if d.name in names:
                faults: list[Fault] = []
                if scalar(self.sym, d.expr, Ctx(state, faults)) and not faults:
                    out.append(d.name)
        return out

    def _invariant_faults(self, s: RState, names: list[str] | None) -> list[Fault]:
        state = self.thaw(s)
        out = self._constraints(s)[1]
        for d in self.sym.invariants:
            if names is not None and d.name not in names:
                continue
            faults: list[Fault] = []
            v = scalar(self.sym, d.expr, Ctx(state, faults))
            if faults:
                out += [
                    Fault(f.kind, d.name, f.loc, f"{f.message} (evaluating invariant {d.name})")
                    for f in faults
                ]
            elif not v:
                out.append(Fault("invariant", d.name, d.loc, f"invariant {d.name} is violated"))
        return out

    def stuck_faults(self, s: RState) -> list[Fault]:
        """For a state with no transition: a deadlock, the failures evaluating `terminal`,
        or nothing (terminal, or every process Done)."""
        state = self.thaw(s)
        procs = self.sym.processes.values()
        if procs and all(state[("pc", *i)] == "Done" for p in procs for i in p.instances()):
            return []
        faults: list[Fault] = []
        for d in self.sym.terminals:
            v = self._guarded(evaluate, self.sym, d.expr, Ctx(state, faults))
            if faults:
                return [
                    Fault(f.kind, None, f.loc, f"{f.message} (evaluating the terminal condition)")
                    for f in faults
                ]
            if v:
                return []
        return [Fault("deadlock", None, None, "deadlock: no step is enabled")]  # type: ignore[arg-type]
