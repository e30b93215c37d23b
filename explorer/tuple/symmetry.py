"""Symmetry reduction for the tuple back end: the canonical-form function, generated
Python with one tuple expression per permutation of the symmetric sorts (see
explorer.core.symmetry), compared lexicographically with `min`.

A permutation of a sort moves the elements of every array dimension whose `Dim.sort`
is that sort, and maps every slot value that stands for an element of the sort
(`ScalarType.sorts`).
"""

from __future__ import annotations

import itertools

from mmcheck.explorer.core.sandbox import exec_generated
from mmcheck.explorer.core.symmetry import MAX_PERMUTATIONS, Canon, permutations
from mmcheck.spec.ir import Program, const_int


def canonicalizer(program: Program) -> Canon | None:
    """The canonical-form function of `program`, or None if it has no symmetry."""
    perms = permutations(program)
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
