"""The sandbox that runs generated code (the tuple back end's translated module, the
vector back end's kernels, the symmetry canonicaliser).

Generated code holds no name or string of the spec (see explorer.tuple.translate); it
runs in a namespace whose builtins are only the handful below, beside the runtime
helpers that raise the spec's runtime errors by number from a message table.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from types import CodeType

from mmcheck.explorer.core.model import EvalError
from mmcheck.spec.errors import Loc

BUILTINS = {
    "hash": hash,
    "range": range,
    "min": min,
    "max": max,
    "all": all,
    "any": any,
    "sum": sum,
    "tuple": tuple,
    "list": list,
}


def sanitize(text: str) -> str:
    """Spec text made safe for a comment: printable ASCII, no line break."""
    return "".join(c if " " <= c <= "~" else "?" for c in text)


def _fail_with(table: tuple[tuple[str, Loc | None, str], ...]) -> Callable[..., None]:
    def _fail(k: int, value: int | None = None) -> None:
        kind, loc, message = table[k]
        if value is not None:  # only the translator's own messages carry "{value}"
            message = message.replace("{value}", str(value))
        raise EvalError(kind, loc, message)

    return _fail


def runtime(table: tuple[tuple[str, Loc | None, str], ...]) -> dict:
    fail = _fail_with(table)

    def _div(a: int, b: int, k: int) -> int:
        if b == 0:
            fail(k)
        return a // b

    def _mod(a: int, b: int, k: int) -> int:
        if b == 0:
            fail(k)
        return a % b

    return {
        "__builtins__": dict(BUILTINS),
        "_fail": fail,
        "_div": _div,
        "_mod": _mod,
        "_E": table,
        "_product": itertools.product,  # iter_init's combinations of many initial choices
    }


def exec_generated(
    source: str | CodeType, filename: str, table: tuple = (), extra: dict | None = None
) -> dict:
    """Run generated code (its source, or the code compiled from it) in a namespace
    holding only the runtime helpers, the translator's builtins and `extra` (data
    tables); returns the namespace."""
    ns = runtime(table)
    ns.update(extra or {})
    exec(source if isinstance(source, CodeType) else compile(source, filename, "exec"), ns)
    return ns
