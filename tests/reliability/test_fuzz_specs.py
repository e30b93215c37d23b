"""Fuzzing: no spec text makes mmcheck crash, hang or report an error without a location.

Two sources of specs: a generator that writes declarations from the grammar (mostly
well-typed, so that many reach the explorer, and some deliberately ill-typed or
ill-formed), and mutations of the library specs (tokens deleted, duplicated, swapped
or replaced; truncation; huge and negative numbers; deep nesting; non-ASCII and control
characters; empty and binary files). Each spec goes through `typecheck` and a bounded
`check`; both must exit 0..3 with no traceback, every error naming file:line:col.

The default run writes a few hundred specs; `-m slow` runs the long fuzz.
"""

from __future__ import annotations

import re
import tempfile
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
CORPUS = {
    p.name: p.read_text(encoding="utf-8")
    for p in sorted((ROOT / "spec" / "models").glob("*.mms"))
    + sorted((ROOT / "tests" / "specs").glob("*.mms"))
}

FAST = settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
LONG = settings(max_examples=4000, deadline=None, suppress_health_check=list(HealthCheck))

# ------------------------------------------------------------------ grammar generator

INT_VARS = ("x", "y")  # 0..3
BOOL_VARS = ("b",)
KEYWORDS = ("spec", "include", "const", "assume", "type", "var", "init", "lock", "def",
            "macro", "action", "process", "invariant", "terminal", "expect", "when", "in",
            "forall", "exists", "count", "sum", "let", "if", "then", "else", "not", "and",
            "or", "true", "false", "enum", "record", "set", "of", "symmetric", "skip",
            "goto", "await", "assert", "unlock", "return", "either", "union", "minus",
            "inter", "subset", "notin", "except", "holds", "violates", "deadlock", "fails")  # fmt: skip
NUMBERS = st.one_of(
    st.integers(0, 4),
    st.integers(-3, 10),
    st.sampled_from([2**31, 2**63 - 1, 2**63, 2**64, 10**30, -(2**63)]),
)


def num_text(n: int) -> str:
    return str(n) if n >= 0 else f"({n})"


@cache  # strategies are values: build each once
def int_expr(depth: int = 3) -> st.SearchStrategy[str]:
    leaf = st.one_of(NUMBERS.map(num_text), st.sampled_from(INT_VARS + ("m[1]", "m[2]", "N")))
    if depth == 0:
        return leaf
    sub = int_expr(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(sub, st.sampled_from(["+", "-", "*", "/", "%"]), sub).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        st.tuples(bool_expr(depth - 1), sub, sub).map(
            lambda t: f"(if {t[0]} then {t[1]} else {t[2]})"
        ),
        sub.map(lambda e: f"m[{e}]"),
        st.tuples(st.sampled_from(["min", "max"]), sub, sub).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})"
        ),
        st.tuples(st.sampled_from(["count", "sum"]), sub).map(
            lambda t: (
                f"({t[0]} i in 1..2: m[i] + {t[1]} > 0)"
                if t[0] == "count"
                else f"(sum i in 1..2: m[i] + {t[1]})"
            )
        ),
        sub.map(lambda e: f"(let z = {e} in z + 1)"),
        sub.map(lambda e: f"-{e}"),
    )


@cache
def bool_expr(depth: int = 3) -> st.SearchStrategy[str]:
    leaf = st.sampled_from(
        BOOL_VARS + ("true", "false", "done(p[1])", "at(p[2], l2)", "locked(mu)", "held(mu)", "B")
    )
    if depth == 0:
        return leaf
    sub, num = bool_expr(depth - 1), int_expr(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(num, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), num).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        st.tuples(sub, st.sampled_from(["and", "or", "=>", "<=>"]), sub).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        sub.map(lambda e: f"(not {e})"),
        st.tuples(st.sampled_from(["forall", "exists"]), num).map(
            lambda t: f"({t[0]} i in 1..2: m[i] != {t[1]})"
        ),
        st.tuples(num, st.sampled_from(["in", "notin"])).map(lambda t: f"({t[0]} {t[1]} {{1, 2}})"),
    )


@cache
def lvalue() -> st.SearchStrategy[str]:
    return st.sampled_from(INT_VARS + ("m[1]", "m[2]", "m[self]"))


@cache
def statement(depth: int = 2) -> st.SearchStrategy[str]:
    simple = st.one_of(
        st.tuples(lvalue(), int_expr(2)).map(lambda t: f"{t[0]} := {t[1]}"),
        bool_expr(2).map(lambda e: f"b := {e}"),
        bool_expr(2).map(lambda e: f"await {e}"),
        bool_expr(2).map(lambda e: f'assert {e}, "fuzz"'),
        st.sampled_from(
            [
                "skip",
                "lock mu",
                "unlock mu",
                "goto l1",
                "goto l2",
                "goto nowhere",
                "b := trylock(mu)",
                "b := cas(x, 0, 1)",
                "b := test_and_set(b)",
                "spin_lock(mu)",
                "spin_unlock(mu)",
            ]
        ),
    )
    if depth == 0:
        return simple
    sub = st.lists(statement(depth - 1), min_size=1, max_size=3).map("; ".join)
    return st.one_of(
        simple,
        st.tuples(bool_expr(1), sub, sub).map(
            lambda t: f"if {t[0]} {{ {t[1]} }} else {{ {t[2]} }}"
        ),
        st.tuples(sub, sub).map(lambda t: f"either {{ {t[0]} }} or {{ {t[1]} }}"),
    )


@cache
def declaration() -> st.SearchStrategy[str]:
    body = st.lists(statement(), min_size=1, max_size=3).map("\n    ".join)
    updates = st.lists(
        st.tuples(lvalue(), int_expr(2)).map(lambda t: f"  {t[0]}' = {t[1]}"),
        min_size=1,
        max_size=2,
    ).map("\n".join)
    return st.one_of(
        st.tuples(st.integers(0, 9), bool_expr(2), updates).map(
            lambda t: f"action a{t[0]}(k: 1..2)\n  when {t[1]}\n{t[2]}"
        ),
        st.tuples(st.integers(0, 9), bool_expr(3)).map(lambda t: f"invariant I{t[0]}: {t[1]}"),
        st.tuples(st.sampled_from(["init", "assume", "terminal"]), bool_expr(2)).map(" ".join),
        st.tuples(st.integers(0, 9), int_expr(2)).map(lambda t: f"def d{t[0]}(v) = v + {t[1]}"),
        st.tuples(st.sampled_from(["", "symmetric "]), body, body).map(
            lambda t: f"{t[0]}process q[self in 1..2] {{\nq1:\n    {t[1]}\nq2:\n    {t[2]}\n}}"
        ),
        st.sampled_from(
            [
                "expect holds",
                "expect violates I1 in 3 steps",
                "expect N=3: deadlock",
                "expect fails range with 10 states",
                'include "nowhere"',
                'include "../../../../etc/passwd"',
                "type T = enum { t1, t2 }",
                "lock locks : [1..2]",
                "var r : record { f: 0..3, g: bool } = { f: 1, g: true }",
                "var s : set of 1..3 = {1}",
                "spec Fuzz",
            ]
        ),
    )


PRELUDE = """const N : 1..4 = 2
const B = false
var x : 0..3 = 0
var y : 0..3 in 0..1
var b : bool = false
var m : [1..2] -> 0..3 = [i in 1..2 |-> 0]
lock mu
process p[self in 1..2] {
l1:
    {body1}
l2:
    {body2}
}
"""


@st.composite
def generated_spec(draw: st.DrawFn) -> str:
    """A spec from the grammar: a fixed set of declarations the expressions use, then
    random ones; a third of them then get a token broken."""
    text = PRELUDE.replace("{body1}", draw(statement())).replace("{body2}", draw(statement()))
    text += "\n".join(draw(st.lists(declaration(), max_size=6))) + "\n"
    if draw(st.integers(0, 2)) == 0:
        text = draw(mutated(text))
    return text


# ------------------------------------------------------------------ mutations

TOKEN = re.compile(
    r'\s+|[A-Za-z_]\w*|0x[0-9a-fA-F]+|\d+|"(?:\\.|[^"\\\n])*"|#[^\n]*|//[^\n]*|.', re.S
)
ODD_TEXT = [
    "é",
    "\u202e",
    "\ufeff",
    "💥",
    "\x00",
    "\x07",
    "\x1b[31m",
    "\r",
    "\x0c",
    "\t",
    "\u2028",
    "\\",
    '"',
    "'",
    "`",
    "$",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    ":",
    ";",
    "..",
]
HUGE = [
    "99999999999999999999",
    str(2**63),
    str(2**64),
    "0x" + "f" * 40,
    "-1",
    "-9223372036854775809",
    "0",
    "1000000",
    "9" * 5000,
    "0x" + "f" * 5000,
]
IDENTS = [
    "__import__",
    "__class__",
    "os",
    "self",
    "Done",
    "x",
    "true",
    "N",
    "count",
    "pc",
    "eval",
    "s",
    "_fail",
    "_E",
    "range",
]


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text)


@st.composite
def mutation(draw: st.DrawFn, text: str) -> str:
    toks = tokens(text)
    if not toks:
        return draw(st.sampled_from(ODD_TEXT))
    solid = [i for i, t in enumerate(toks) if not t.isspace()] or [0]
    i = draw(st.sampled_from(solid))
    op = draw(
        st.sampled_from(
            [
                "delete",
                "duplicate",
                "swap",
                "truncate",
                "number",
                "ident",
                "nest",
                "odd",
                "line",
                "keyword",
            ]
        )
    )
    if op == "delete":
        toks[i] = ""
    elif op == "duplicate":
        toks[i] = toks[i] + " " + toks[i]
    elif op == "swap":
        j = draw(st.sampled_from(solid))
        toks[i], toks[j] = toks[j], toks[i]
    elif op == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    elif op == "number":
        nums = [k for k in solid if toks[k][0].isdigit()] or [i]
        toks[draw(st.sampled_from(nums))] = draw(st.sampled_from(HUGE))
    elif op == "ident":
        names = [k for k in solid if toks[k][0].isalpha() or toks[k][0] == "_"] or [i]
        pool = sorted({toks[k] for k in names}) + IDENTS
        toks[draw(st.sampled_from(names))] = draw(st.sampled_from(pool))
    elif op == "nest":
        n = draw(st.sampled_from([2, 50, 150, 250, 1000, 3000]))
        kind = draw(st.sampled_from(["paren", "not", "minus", "plus", "if"]))
        wrap = {
            "paren": ("(" * n, ")" * n),
            "not": ("not " * n, ""),
            "minus": ("-" * n, ""),
            "plus": ("1 + " * n, ""),
            "if": ("if true then " * n, " else 0" * n),
        }[kind]
        toks[i] = wrap[0] + toks[i] + wrap[1]
    elif op == "odd":
        toks[i] = toks[i] + draw(st.sampled_from(ODD_TEXT))
    elif op == "keyword":
        toks[i] = draw(st.sampled_from(KEYWORDS))
    else:  # a line copied from elsewhere in the corpus
        lines = draw(st.sampled_from(sorted(CORPUS.values()))).splitlines() or [""]
        toks[i] = "\n" + draw(st.sampled_from(lines)) + "\n" + toks[i]
    return "".join(toks)


@st.composite
def mutated(draw: st.DrawFn, text: str | None = None) -> str:
    if text is None:
        text = CORPUS[draw(st.sampled_from(sorted(CORPUS)))]
    for _ in range(draw(st.integers(1, 3))):
        text = draw(mutation(text))
    return text


whole_files = st.one_of(
    st.just(b""),
    st.binary(max_size=300),
    st.sampled_from(sorted(CORPUS.values())).map(lambda t: t.encode("utf-16")),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
)


# ------------------------------------------------------------------ the property

_DIR = tempfile.TemporaryDirectory(prefix="mmcheck-fuzz-")


def exercise(mm, content: str | bytes) -> None:
    """typecheck and a bounded check of `content`: both end cleanly."""
    path = Path(_DIR.name) / "fuzz.mms"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    mm.assert_clean(mm.run_inprocess(["typecheck", str(path)]))
    mm.assert_clean(mm.run_inprocess(["check", str(path), *mm.CHECK_BOUNDS]))


@FAST
@given(text=generated_spec())
def test_generated_specs(mm, text):
    exercise(mm, text)


@FAST
@given(text=mutated())
def test_mutated_library_specs(mm, text):
    exercise(mm, text)


@settings(FAST, max_examples=30)
@given(content=whole_files)
def test_whole_files(mm, content):
    exercise(mm, content)


@settings(FAST, max_examples=5)
@given(text=st.one_of(mutated(), generated_spec()))
def test_subprocess_sample(mm, text):
    """The real command, for a sample: the same guarantees outside the test process."""
    path = Path(_DIR.name) / "sub.mms"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    for verb in (["typecheck"], ["check", *mm.CHECK_BOUNDS]):
        mm.assert_clean(mm.run_subprocess([verb[0], str(path), *verb[1:]]))


def test_generator_reaches_the_explorer(mm):
    """The generator is not all noise: its specs get past the front end."""

    def checked(text: str) -> bool:
        path = Path(_DIR.name) / "reach.mms"
        path.write_text(text, encoding="utf-8")
        return mm.run_inprocess(["check", str(path), *mm.CHECK_BOUNDS]).rc in (0, 1, 3)

    # no shrinking: any spec that checks will do
    find(
        generated_spec(), checked, settings=settings(FAST, max_examples=30, phases=[Phase.generate])
    )


@pytest.mark.slow
@LONG
@given(text=st.one_of(generated_spec(), mutated()))
def test_long_fuzz(mm, text):
    exercise(mm, text)
