#!/usr/bin/env python3
"""Time to type-check a spec of N variable declarations (`var vK : 0..3 = 0`, one
action, one invariant), for N = 10,000, 20,000 and 40,000: the front end must stay
linear (bench/README.md quotes the figures).

    python3 bench/typecheck_scaling.py [N ...]
"""

from __future__ import annotations

import sys
import time

from mmcheck import spec

SIZES = (10_000, 20_000, 40_000)


def generated_spec(n: int) -> str:
    decls = "".join(f"var v{k} : 0..3 = 0\n" for k in range(n))
    return decls + "action Step\n  when v0 < 3\n  v0' = v0 + 1\ninvariant A: v0 + v1 <= 6\n"


def seconds(n: int) -> float:
    """Wall time of `spec.load` (parse, check, lower) of the generated spec."""
    text = generated_spec(n)
    start = time.perf_counter()
    spec.load(text, symbolic=True)
    return time.perf_counter() - start


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or list(SIZES)
    spec.load(generated_spec(2))  # build the parser first: not part of any size's time
    for n in sizes:
        t = seconds(n)
        print(f"typecheck {n:>7,} declarations: {t:7.2f} s ({t / n * 1e6:.0f} us each)", flush=True)


if __name__ == "__main__":
    main()
