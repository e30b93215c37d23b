"""Steps of the reference interpreter: statements executed one by one on a copy of the
state, one `Path` per way through `either` and `if`.

The semantics, from docs/language.md and docs/guarantees.md (not from the lowering):
a process step (its label up to the next) or an action instance is atomic. A path is
dropped (the transition is disabled) when an `await`, or the wait of `lock` on a lock
held by another instance, is false where it is reached. Failures (assert, lock misuse,
range, domain, div) are recorded and the path goes on, so that a later false `await`
still disables it; a failure that leaves no value (domain, div) poisons what reads it,
and an `await` or lock operation reading POISON ends the path as an error. After an
`if` whose condition failed, what either branch may write is POISON and an `await`,
lock operation, `either` or `with` in a branch is an error (`spoil`); a later `await` that
reads no POISON and is false still disables the step.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from mmcheck.explorer.reference.evaluate import (
    EFFECTS,
    ByName,
    Ctx,
    Fault,
    Refused,
    Symbols,
    bindings,
    evaluate,
    failed,
    force,
    pool_of,
    pool_ref,
    scalar,
    unwrap,
)
from mmcheck.explorer.reference.values import (
    NONE,
    POISON,
    Frozen,
    Instance,
    Some,
    TLock,
    TRecord,
    Type,
    indices,
    out_of_range,
    overflows,
    stored,
)
from mmcheck.spec import ast
from mmcheck.spec.errors import Loc

NO_RETURN = object()  # a path that has not executed `return`


@dataclass
class Path:
    state: dict
    faults: list[Fault] = field(default_factory=list)
    jump: str | None = None  # the label of a `goto`: the step ends
    returned: object = NO_RETURN  # the value of a macro's `return`: the macro ends
    broken: bool = False  # an error left no value to go on with: the step ends

    @property
    def running(self) -> bool:
        return self.jump is None and self.returned is NO_RETURN and not self.broken

    def fork(self) -> Path:
        return Path(dict(self.state), list(self.faults), self.jump, self.returned, self.broken)


@dataclass(frozen=True)
class Frame:
    """Where statements run: the bound names (macro parameters), the process instance,
    and the location failures are reported at inside a prelude primitive."""

    scope: dict
    instance: Instance | None
    at: Loc | None = None


@dataclass(frozen=True)
class Place:
    """An assignable location: a state key and the accessors below it, with its type."""

    root: object
    path: tuple[object, ...]  # field names (str) and map index tuples
    type: Type


class Interpreter:
    """Statements and actions over `Symbols`."""

    def __init__(self, sym: Symbols) -> None:
        self.sym = sym

    def ctx(
        self, p: Path, frame: Frame, effects: dict | None = None, state: dict | None = None
    ) -> Ctx:
        return Ctx(
            p.state if state is None else state,
            p.faults,
            frame.scope,
            frame.instance,
            frame.at,
            effects or {},
        )

    # ------------------------------------------------------------------ places
    def place(self, e: ast.Expr, ctx: Ctx) -> Place | None:
        """The location `e` names (None if an index failed to evaluate)."""
        sym = self.sym
        if isinstance(e, ast.Name):
            v = ctx.scope.get(e.name)
            if isinstance(v, ByName):
                return self.place(v.expr, replace(ctx, scope=v.scope))
            inst = ctx.instance
            if inst is not None and e.name in sym.processes[inst[0]].locals:
                return Place((*inst, e.name), (), sym.processes[inst[0]].locals[e.name])
            if e.name in sym.vars:
                return Place(e.name, (), sym.vars[e.name])
            if e.name in sym.locks:
                return Place(e.name, (), sym.locks[e.name])
        elif isinstance(e, ast.Index) and (pool := pool_of(sym, e.base, ctx)) is not None:
            r = pool_ref(sym, e, ctx)
            return None if r is POISON else Place(pool, ((r,),), sym.vars[pool].elem)  # type: ignore[union-attr]
        elif isinstance(e, ast.Index):
            base = self.place(e.base, ctx)
            key = tuple(scalar(sym, a, ctx) for a in e.args)
            if base is None or POISON in key:
                return None
            t = base.type
            elem = TLock() if isinstance(t, TLock) else t.elem  # type: ignore[union-attr]
            return Place(base.root, (*base.path, key), elem)
        elif isinstance(e, ast.Field):
            base = self.place(e.base, ctx)
            if base is None:
                return None
            assert isinstance(base.type, TRecord)
            return Place(base.root, (*base.path, e.name), dict(base.type.fields)[e.name])
        raise Refused(e.loc, "this kind of assignment target")

    def read(self, p: Path, place: Place, loc: Loc, ctx: Ctx) -> object:
        v = p.state[place.root]
        for acc in place.path:
            if v is POISON:
                return POISON
            if acc not in v.d:  # type: ignore[union-attr]
                return ctx.fail("domain", loc, "index outside the map's domain")
            v = v.d[acc]  # type: ignore[union-attr]
        return v

    def write(self, p: Path, place: Place, value: object, loc: Loc, ctx: Ctx) -> None:
        """place := value, with the range check of its declared type; storing a value
        evaluates every element of it."""
        if overflows(value, place.type):
            ctx.fail("range", loc, f"a sequence longer than {place.type.cap} elements")  # type: ignore[union-attr]
        value, null = stored(force(self.sym, value), place.type)
        if null:
            ctx.fail("null", loc, "none stored as a value")
        elif out_of_range(value, place.type):
            ctx.fail("range", loc, f"value {value} is outside the variable's range")

        def put(v: object, path: tuple[object, ...]) -> object:
            if not path:
                return value
            if v is POISON:
                return POISON
            assert isinstance(v, Frozen)
            if path[0] not in v.d:
                ctx.fail("domain", loc, "assignment outside the map's domain")
                return v
            return v.replace(path[0], put(v.d[path[0]], path[1:]))

        p.state[place.root] = put(p.state[place.root], place.path)

    # ------------------------------------------------------------------ statements
    def block(self, stmts: tuple[ast.Stmt, ...], paths: list[Path], frame: Frame) -> list[Path]:
        for s in stmts:
            nxt: list[Path] = []
            for p in paths:
                nxt.extend(self.stmt(s, p, frame) if p.running else [p])
            paths = nxt
        return paths

    def stmt(self, s: ast.Stmt, p: Path, frame: Frame) -> list[Path]:
        if isinstance(s, ast.Skip):
            return [p]
        if isinstance(s, ast.Goto):
            p.jump = s.label
            return [p]
        if isinstance(s, ast.Label):  # in an `either` branch: the next step starts there
            p.jump = s.name
            return [p]
        if isinstance(s, ast.Either):
            return [q for b in s.branches for q in self.block(b, [p.fork()], frame)]
        if isinstance(s, ast.With):
            return self.with_(s, p, frame)
        if isinstance(s, ast.LockStmt | ast.UnlockStmt):
            return self.lock_op(s, p, frame)
        if isinstance(s, ast.CallStmt):
            return [q for q, _ in self.effect(s.call, p, frame, {})]
        expr = s.value if isinstance(s, ast.Assign | ast.Return) else s.cond  # type: ignore[union-attr]
        out: list[Path] = []
        for q, v, effects in self.with_effects(expr, p, frame):
            if q.running and not isinstance(s, ast.Assign | ast.Return):
                v = unwrap(v, expr.loc, self.ctx(q, frame, effects))  # a condition
            if not q.running:
                out.append(q)
            elif isinstance(s, ast.Assign):
                ctx = self.ctx(q, frame, effects)
                place = self.place(s.target, ctx)
                if place is None:
                    q.broken = True
                else:
                    self.write(q, place, v, s.loc, ctx)
                out.append(q)
            elif isinstance(s, ast.Return):
                q.returned = v
                out.append(q)
            elif isinstance(s, ast.Assert):
                if v is False:
                    msg = s.message or "assertion failed"
                    q.faults.append(Fault("assert", None, frame.at or s.loc, msg))
                out.append(q)
            elif isinstance(s, ast.If) and v is POISON:
                # the failure is on q; a later false await may still disable the step
                self.spoil(s.then + s.other, q, frame)
                out.append(q)
            elif v is POISON:  # await on a failed expression: an error
                q.broken = True
                out.append(q)
            elif isinstance(s, ast.Await):
                if v:
                    out.append(q)
            else:
                assert isinstance(s, ast.If)
                out.extend(self.block(s.then if v else s.other, [q], frame))
        return out

    def with_(self, s: ast.With, p: Path, frame: Frame) -> list[Path]:
        """One path per choice of the bound values, in the order of their domains' elements
        (a domain evaluated as a quantifier's is, after the earlier names are bound); none
        if a domain is empty. A domain that failed ends the path as an error."""
        scopes = bindings(self.sym, s.binders, self.ctx(p, frame))
        if scopes is POISON:
            p.broken = True
            return [p]
        return [
            q
            for scope in scopes  # type: ignore[union-attr]
            for q in self.block(s.body, [p.fork()], replace(frame, scope=scope))
        ]

    def spoil(self, stmts: tuple[ast.Stmt, ...], p: Path, frame: Frame) -> None:
        """After an `if` whose condition failed: every place its branches may write holds
        a failed value, and an await, lock operation, call with effects, `either`, `goto`
        or `return` there (what the step waits for or does next depends on the
        condition) ends the path as an error."""
        scratch = replace(self.ctx(p, frame), faults=[])  # the condition's failure is enough
        for s in stmts:
            if isinstance(s, ast.If):
                self.spoil(s.then + s.other, p, frame)
            elif isinstance(s, ast.Assign) and not self.effect_calls(s.value):
                place = self.place(s.target, scratch)
                if place is None:  # an index failed: the whole variable may be written
                    root = s.target
                    while isinstance(root, ast.Index | ast.Field):
                        root = root.base
                    place = self.place(root, scratch)
                assert place is not None
                self.write(p, place, POISON, s.loc, scratch)
            elif not isinstance(s, ast.Skip | ast.Assert):
                p.broken = True

    def lock_op(self, s: ast.LockStmt | ast.UnlockStmt, p: Path, frame: Frame) -> list[Path]:
        ctx = self.ctx(p, frame)
        place = self.place(s.target, ctx)
        held = POISON if place is None else self.read(p, place, s.loc, ctx)
        if held is POISON:
            p.broken = True
            return [p]
        assert place is not None
        me = frame.instance
        if isinstance(s, ast.LockStmt):
            if held is None:
                self.write(p, place, me, s.loc, ctx)
            elif held == me:
                ctx.fail("lock", s.loc, "lock re-acquired by its holder (self-deadlock)")
            else:
                return []  # waits for the holder: not enabled
        elif held is None:
            ctx.fail("lock", s.loc, "unlock of a lock that is not held")
        elif held != me:
            ctx.fail("lock", s.loc, "unlock by a process that is not the holder")
        else:
            self.write(p, place, None, s.loc, ctx)
        return [p]

    # ------------------------------------------------------------------ calls with effects
    def with_effects(
        self, e: ast.Expr, p: Path, frame: Frame
    ) -> Iterator[tuple[Path, object, dict]]:
        """(path, value of e, effects) for each path through the calls with effects in
        `e` (trylock, cas, test_and_set, macros), executed first, left to right."""
        states: list[tuple[Path, dict]] = [(p, {})]
        for call in self.effect_calls(e):
            nxt = []
            for q, effects in states:
                if not q.running:
                    nxt.append((q, effects))
                    continue
                for r, v in self.effect(call, q, frame, effects):
                    nxt.append((r, {**effects, id(call): v}))
            states = nxt
        for q, effects in states:
            v = evaluate(self.sym, e, self.ctx(q, frame, effects)) if q.running else None
            yield q, v, effects

    def effect_calls(self, e: ast.Expr) -> list[ast.Call]:
        """The calls with effects of a statement's expression, innermost first; refused
        under a short-circuit or binder (when they run would be a guess)."""
        out: list[ast.Call] = []

        def walk(x: object, lazy: bool) -> None:
            if isinstance(x, ast.Call) and (x.name in EFFECTS or x.name in self.sym.macros):
                if lazy:
                    raise Refused(
                        x.loc, f"a call of {x.name} under and/or/=>/if/let or a quantifier"
                    )
                for a in x.args:
                    if x.name in self.sym.macros:
                        walk(a, True)
                out.append(x)
                return
            lazy_here = (
                lazy
                or isinstance(x, ast.IfExpr | ast.Let | ast.Quant | ast.MapLit)
                or (isinstance(x, ast.BinOp) and x.op in ("and", "or", "=>"))
            )
            if isinstance(x, tuple):
                for y in x:
                    walk(y, lazy)
            elif hasattr(x, "__dataclass_fields__"):
                for name in x.__dataclass_fields__:  # type: ignore[union-attr]
                    if name != "loc":
                        walk(getattr(x, name), lazy_here)

        walk(e, False)
        return out

    def effect(
        self, call: ast.Call, p: Path, frame: Frame, effects: dict
    ) -> list[tuple[Path, object]]:
        """Run a call with effects; each path with the call's value."""
        sym = self.sym
        if call.name in sym.macros:
            d = sym.macros[call.name]
            if len(d.params) != len(call.args):
                raise Refused(call.loc, f"a call of {d.name} with {len(call.args)} arguments")
            scope = {n: ByName(a, frame.scope) for n, a in zip(d.params, call.args)}
            at = frame.at or (call.loc if sym.is_prelude(d) else None)
            out = []
            for q in self.block(d.body, [p], Frame(scope, frame.instance, at)):
                v, q.returned = q.returned, NO_RETURN
                out.append((q, None if v is NO_RETURN else v))
            return out
        if call.name not in EFFECTS:
            raise Refused(call.loc, f"a call of {call.name} as a statement")
        ctx = self.ctx(p, frame, effects)
        if call.name == "alloc":
            return self.alloc(call, p)
        if call.name == "free":
            self.free(call, p, frame, ctx)
            return [(p, None)]
        place = self.place(call.args[0], ctx)
        old = POISON if place is None else self.read(p, place, call.loc, ctx)
        if old is POISON:
            p.broken = True
            return [(p, POISON)]
        assert place is not None
        if call.name == "trylock":
            if old is not None:
                return [(p, False)]
            self.write(p, place, frame.instance, call.loc, ctx)
            return [(p, True)]
        if call.name == "test_and_set":
            self.write(p, place, True, call.loc, ctx)
            return [(p, old)]
        expected, new = (force(sym, evaluate(sym, a, ctx)) for a in call.args[1:])
        if failed(expected) or failed(new):
            p.broken = True
            return [(p, POISON)]
        if old != expected:
            return [(p, False)]
        self.write(p, place, new, call.loc, ctx)
        return [(p, True)]

    def alloc(self, call: ast.Call, p: Path) -> list[tuple[Path, object]]:
        """`alloc(Page)`: a path for each free reference, allocated there; none only
        where every one is allocated."""
        key = f"{call.args[0].name}.allocated"  # type: ignore[attr-defined]
        used = p.state[key]
        free = [k[0] for k, v in used.d.items() if not v]
        if not free:
            return [(p, NONE)]
        out = []
        for r in free:
            q = p.fork()
            q.state[key] = used.replace((r,), True)
            out.append((q, Some(r)))
        return out

    def free(self, call: ast.Call, p: Path, frame: Frame, ctx: Ctx) -> None:
        """`free(r)`: a double free where r is not allocated; else it is not, and its
        element is the pool's initial value again."""
        r = scalar(self.sym, call.args[0], ctx)
        if r is POISON:
            p.broken = True
            return
        key = f"{r.pool}.allocated"  # type: ignore[attr-defined]
        if not p.state[key].d[(r,)]:
            p.faults.append(Fault("free", None, frame.at or call.loc, "double free"))
            return
        p.state[key] = p.state[key].replace((r,), False)
        init = self.pool_init(r.pool)  # type: ignore[attr-defined]
        p.state[r.pool] = p.state[r.pool].replace((r,), init)  # type: ignore[attr-defined]

    def pool_init(self, pool: str) -> object:
        """The value of a free element of the pool: its declared initial value."""
        d = self.sym.pools[pool]
        value, _ = stored(
            force(self.sym, evaluate(self.sym, d.init, Ctx({}, []))), self.sym.vars[pool].elem
        )  # type: ignore[union-attr]
        return value

    # ------------------------------------------------------------------ actions
    def action(self, d: ast.ActionDecl, params: dict, pre: dict) -> Path | None:
        """One instance of an action: None if its guard is false."""
        p = Path(dict(pre))
        frame = Frame(params, None)
        ctx = self.ctx(p, frame, state=pre)
        for g in d.guards:
            v = scalar(self.sym, g, ctx)
            if v is POISON:
                p.broken = True
                return p
            if not v:
                return None
        # every right-hand side and index reads the pre-state; later writes win
        planned = []
        for u in d.updates:
            place = self.place(u.target, ctx)
            value = evaluate(self.sym, u.value, ctx)
            if place is None:
                p.broken = True
                continue
            planned.append((place, value, u.loc))
        for place, value, loc in planned:
            self.write(p, place, value, loc, ctx)
        return p


def free_lock(t: TLock) -> object:
    """A lock (array) with no holder."""
    return Frozen({k: None for k in indices(t.dims)}) if t.dims else None
