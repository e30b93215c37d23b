"""The vector back end's kernels across runs: the generated source of a spec's kernels
kept in the per-user cache (mmcheck.spec.cache), and the one message that says when a
run compiles something.

An entry is keyed by the sha256 of the program (its IR, constants folded in), of the
instances, invariants and constraints the kernel covers, and of the code that generates
kernels and of the Python and numpy it runs on: any change to the spec, a constant or
mmcheck itself gives another key, never a stale kernel.

What is read back is checked before it runs: `checked` accepts only code made of what
the generator (explorer.vector.kernel) writes (the names, constants and functions
below), so an entry written by anything else (a damaged file, another program; a
spec's text, which the generator never puts outside comments) is not run: the kernels
are generated again and the entry replaced. A source is stored only if it passes the
same check.

The numba functions of the visited set (explorer.vector.visited) are cached by numba
itself (cache=True, beside their module or in numba's user cache); `announcing`
watches numba's compile events so that the message is printed before the first one.
"""

from __future__ import annotations

import contextlib
import json
import platform
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from types import CodeType

import numpy as np

from mmcheck.explorer.vector import kernel
from mmcheck.explorer.vector.actions import Instance
from mmcheck.explorer.vector.pack import Layout
from mmcheck.spec import cache, ir, ircache

COMPILING = "compiling kernels (first run only)..."
KIND = "kernels"
FORMAT = "1"

# the modules whose code decides a kernel's source
_GENERATORS = ("kernel.py", "pack.py", "actions.py", "expr.py")
_HERE = Path(__file__).parent


class Announcer:
    """Says COMPILING through `notice` once, before the first compilation of a run."""

    def __init__(self, notice: Callable[[str], None] | None) -> None:
        self.notice = notice
        self.said = False

    def __call__(self) -> None:
        if not self.said and self.notice is not None:
            self.notice(COMPILING)
        self.said = True


def entry_key(
    program: ir.Program,
    instances: list[Instance],
    invariants: list[ir.Expr],
    constraints: list[ir.Expr],
) -> str:
    generators = [(_HERE / name).read_bytes() for name in _GENERATORS]
    spec = Path(ir.__file__).parent  # the IR's helpers (shapes, slots) and folding
    generators += [(spec / name).read_bytes() for name in ("ir.py", "fold.py")]
    return cache.key(
        "vector kernels",
        FORMAT,
        platform.python_version(),
        platform.machine(),
        np.__version__,
        *generators,
        ircache.canonical(program),  # not its repr: equal programs, one text
        repr([(i.k, i.params) for i in instances]),
        repr(invariants),
        repr(constraints),
    )


def kernels(
    program: ir.Program,
    layout: Layout,
    instances: list[Instance],
    invariants: list[ir.Expr],
    constraints: list[ir.Expr],
    *,
    use_cache: bool,
    announce: Callable[[], None],
) -> kernel.Kernels:
    """The compiled kernels of a program: their source from the cache where an earlier
    run generated it (and it verifies), else generated (`announce` called first) and
    stored."""
    filename = kernel.kernel_filename(program)
    entry = entry_key(program, instances, invariants, constraints) if use_cache else None
    found = _read(entry, filename) if entry is not None else None
    if found is not None:
        return kernel.load_kernels(*found)
    announce()
    source, covered = kernel.KernelCompiler(program, layout).module(
        instances, invariants, constraints
    )
    code = checked(source, filename)
    if code is None:  # the generator wrote what `checked` does not know: not cached
        code = compile(source, filename, "exec")
    elif entry is not None:
        payload = json.dumps({"source": source, "covered": covered})
        cache.write(KIND, entry, payload.encode())
    return kernel.load_kernels(source, code, covered)


def _read(entry: str, filename: str) -> tuple[str, CodeType, list[int]] | None:
    """The source, code and covered instances of a cache entry that checks."""
    payload = cache.read(KIND, entry)
    if payload is None:
        return None
    try:
        data = json.loads(payload)
        source, covered = data["source"], data["covered"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(source, str) or not isinstance(covered, list):
        return None
    if not all(type(k) is int for k in covered):
        return None
    code = checked(source, filename)
    return None if code is None else (source, code, covered)


@contextlib.contextmanager
def announcing(announce: Callable[[], None]) -> Iterator[None]:
    """Within: `announce` is called as numba starts compiling a function (not when it
    loads one from its cache)."""
    from numba.core import event

    class Listener(event.Listener):
        def on_start(self, ev: event.Event) -> None:
            announce()

        def on_end(self, ev: event.Event) -> None:
            pass

    with event.install_listener("numba:compile", Listener()):
        yield


# ------------------------------------------------------------------ what a kernel may be
# The names a kernel's code may use, global or attribute: numpy's functions and the
# array methods the generator calls, the kernels' own names, and its numbered
# temporaries and constants (locals are not checked: a local name reaches nothing).
_NAMES = frozenset(
    {"np", "u64", "i64", "len", "expand", "bad_invariant", "constrained"}
    | {"where", "choose", "flatnonzero", "any", "zeros", "ones", "arange", "bool_"}
    | {"minimum", "maximum", "view", "astype", "append", "shape"}
)
_TEMP = re.compile(r"[tK][0-9]+")
_STRINGS = frozenset({"clip", "mode", "dtype"})  # the one string argument, keyword names
_FUNCTIONS = frozenset({"expand", "bad_invariant", "constrained"})


def checked(source: str, filename: str) -> CodeType | None:
    """The code of `source` if it uses only what the kernel generator writes, else None:
    no name outside the ones above (so no dunder, builtin or module can be reached; the
    sandbox's builtins hold none of them either), constants that are ints, bools, None
    and its few strings, and no code object but the kernel functions, defined at the top
    level. Checked on the compiled code, which the kernels run from (fast: no walk of a
    syntax tree)."""
    try:
        code = compile(source, filename, "exec")
    except (SyntaxError, ValueError):
        return None
    functions = [c for c in code.co_consts if isinstance(c, CodeType)]
    if not all(f.co_name in _FUNCTIONS for f in functions):
        return None
    for c in (code, *functions):
        if not all(n in _NAMES or _TEMP.fullmatch(n) for n in c.co_names):
            return None
        for k in c.co_consts:
            if isinstance(k, CodeType):
                if c is not code:  # no lambda or nested function inside a kernel
                    return None
            elif not _constant(k):
                return None
    return code


def _constant(k: object) -> bool:
    """A constant the generator writes: an int, a bool, None, one of its strings, or a
    tuple of those (a call's keyword names: ("dtype",))."""
    if type(k) is tuple:
        return all(_constant(x) for x in k)
    return k is None or type(k) in (int, bool) or (type(k) is str and k in _STRINGS)
