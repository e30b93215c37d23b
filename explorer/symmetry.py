"""Symmetry reduction: each state is replaced by its smallest image under every
permutation of the program's symmetric sorts (TLC's SYMMETRY, Murphi's scalarsets).

A permutation of a sort moves the elements of every array dimension whose `Dim.sort`
is that sort, and maps every slot value that stands for an element of the sort
(`ScalarType.sorts`). The canonicaliser is generated Python, one tuple expression per
permutation, and compared lexicographically with `min`.

Traces stay real: the search stores canonical states, so a trace is rebuilt by first
replaying the stored edges over canonical states, then, from the real initial state,
picking at each step a successor whose canonical form is the next canonical state.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from explorer.model import Model, State
from explorer.result import Step
from spec.ir import Program, const_int
from spec.translate import exec_generated

Canon = Callable[[State], State]

MAX_PERMUTATIONS = 40320  # 8! : beyond this the canonicaliser itself costs too much


def _permutations(program: Program) -> list[dict[str, tuple[int, ...]]]:
    sizes = dict(program.sort_sizes)
    sorts = [s for s in program.symmetric if sizes.get(s, 0) > 1]
    per_sort = [list(itertools.permutations(range(sizes[s]))) for s in sorts]
    out = [dict(zip(sorts, combo)) for combo in itertools.product(*per_sort)]
    return out[1:]  # the first is the identity


def canonicalizer(program: Program) -> Canon | None:
    """The canonical-form function of `program`, or None if it has no symmetry."""
    perms = _permutations(program)
    if not perms:
        return None
    if len(perms) + 1 > MAX_PERMUTATIONS:
        raise ValueError(f"symmetry over {len(perms) + 1} permutations is too costly")
    tables: dict[str, tuple[int, ...]] = {}
    images = []
    for pi, perm in enumerate(perms):
        src: dict[int, str] = {}
        for v in program.vars:
            base = program.offset(v.name)
            lo, hi = const_int(v.type.lo), const_int(v.type.hi)
            vmap = list(range(lo, hi + 1))
            for sort, off in v.type.sorts:
                if sort in perm:
                    for e, img in enumerate(perm[sort]):
                        if lo <= off + e <= hi:
                            vmap[off + e - lo] = off + img
            dims = [(const_int(d.lo), const_int(d.hi), d.sort) for d in v.dims]
            table = ""
            if vmap != list(range(lo, hi + 1)):
                table = f"_m{pi}_{base}"
                tables[table] = tuple(vmap)
            for k, idx in enumerate(itertools.product(*(range(lo, hi + 1) for lo, hi, _ in dims))):
                dest = list(idx)
                for d, (dlo, _, sort) in enumerate(dims):
                    if sort in perm:
                        dest[d] = dlo + perm[sort][idx[d] - dlo]
                j = program.slot_index(v.name, tuple(dest)) if dims else base
                read = f"s[{base + k}]"
                if table:
                    read = f"{table}[{read} - {lo}]" if lo else f"{table}[{read}]"
                src[j] = read
        images.append("(" + ", ".join(src[j] for j in range(len(program.slots))) + ",)")
    body = ",\n        ".join(["s"] + images)
    source = f"def canon(s):\n    return min((\n        {body},\n    ))\n"
    return exec_generated(source, "<mmcheck symmetry>", extra=tables)["canon"]


def real_trace(model: Model, canon: Canon, initial: State, edges: list[int]) -> list[Step]:
    """The real trace from `initial` whose states have the canonical forms reached by
    following `edges` over canonical states."""
    chain = []
    c = canon(initial)
    for e in edges:
        nxt = model.step(e, c)
        if nxt is None:
            raise RuntimeError(f"edge {e} is not enabled while replaying a trace")
        c = canon(nxt)
        chain.append(c)
    steps = [model.trace_step(None, initial)]
    state = initial
    for target in chain:
        for e, t in model.successors(state):
            if canon(t) == target:
                state = t
                steps.append(model.trace_step(e, t))
                break
        else:
            raise RuntimeError("no real step matches the canonical trace (is the spec symmetric?)")
    return steps
