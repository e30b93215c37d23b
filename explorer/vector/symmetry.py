"""Symmetry reduction over batches: every state replaced by its smallest image.

The same canonical form as explorer.symmetry (the lexicographically smallest slot tuple
over every permutation of the symmetric sorts), computed for a whole batch: each
permutation is a gather of slots plus a value table per slot, and the running minimum
is kept column by column.
"""

from __future__ import annotations

import itertools

import numpy as np

from mmcheck.explorer.core.symmetry import MAX_PERMUTATIONS, permutations
from mmcheck.spec.ir import Program, const_int


class BatchCanon:
    def __init__(self, program: Program) -> None:
        perms = permutations(program)
        if len(perms) + 1 > MAX_PERMUTATIONS:
            raise ValueError(f"symmetry over {len(perms) + 1} permutations is too costly")
        self.images: list[tuple[np.ndarray, list[tuple[int, int, np.ndarray]]]] = []
        nslots = len(program.slots)
        for perm in perms:
            src = np.arange(nslots)
            tables: list[tuple[int, int, np.ndarray]] = []  # (dest slot, lo, value table)
            for v in program.vars:
                base = program.offset(v.name)
                lo, hi = const_int(v.type.lo), const_int(v.type.hi)
                vmap = list(range(lo, hi + 1))
                for sort, off in v.type.sorts:
                    for e, img in enumerate(perm.get(sort, ())):
                        if lo <= off + e <= hi:
                            vmap[off + e - lo] = off + img
                moved = vmap != list(range(lo, hi + 1))
                dims = [(const_int(d.lo), const_int(d.hi), d.sort) for d in v.dims]
                ranges = (range(dlo, dhi + 1) for dlo, dhi, _ in dims)
                for k, idx in enumerate(itertools.product(*ranges)):
                    dest = [
                        dlo + perm[s][i - dlo] if s in perm else i
                        for i, (dlo, _, s) in zip(idx, dims)
                    ]
                    j = program.slot_index(v.name, tuple(dest)) if dims else base
                    src[j] = base + k
                    if moved:
                        tables.append((j, lo, np.array(vmap, dtype=np.int64)))
            self.images.append((src, tables))

    def __call__(self, cols: np.ndarray) -> np.ndarray:
        """The canonical form of every state (column) of `cols`."""
        best = cols.copy()
        cols_idx = np.arange(cols.shape[1])
        for src, tables in self.images:
            img = cols[src]
            for j, lo, table in tables:
                img[j] = table[img[j] - lo]
            diff = img != best
            first = diff.argmax(axis=0)
            less = diff.any(axis=0) & (img[first, cols_idx] < best[first, cols_idx])
            best[:, less] = img[:, less]
        return best
