"""Whatever the text, loading a spec either succeeds or raises SpecErrors: no other
exception (a traceback for the user) from any stage of the front end."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmcheck import spec
from mmcheck.spec.errors import SpecErrors

SPECS = Path(__file__).parent.parent / "specs"
SOURCES = [(SPECS / n).read_text() for n in ("tutorial_spinlock.mms", "design_sketch.mms")]
TOKENS = [
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    ":=",
    "=",
    "==",
    "+",
    "..",
    ",",
    "self",
    "x",
    "true",
    "1",
    "0",
    "in",
    "forall",
    "if",
    "then",
    "else",
    "lock",
    "goto",
    "count",
    "Cpu",
    "locked",
    "{ c: 1 }",
    "[i in Cpu |-> 2]",
    "'",
    "\n",
    "done(cpu)",
]


def load_or_spec_errors(text: str) -> None:
    try:
        spec.load(text)
    except SpecErrors as e:
        assert e.errors and all(err.loc.line >= 0 for err in e.errors)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(SOURCES), st.data())
def test_mutated_specs_never_crash(source, data):
    words = source.split(" ")
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(words) - 1))
        op = data.draw(st.sampled_from(["drop", "insert", "replace"]))
        tok = data.draw(st.sampled_from(TOKENS))
        if op == "drop":
            del words[i]
        elif op == "insert":
            words.insert(i, tok)
        else:
            words[i] = tok
    load_or_spec_errors(" ".join(words))


def test_errors_in_declarations_do_not_crash_their_uses():
    text = (
        "const hold\nlock fork : [Phil]\nprocess phil[self in Phil] {\n"
        "a: lock fork[(self + 1) % N]\nb: unlock fork[self]\n}\n"
    )
    try:
        spec.load(text)
    except SpecErrors as e:
        assert [str(err.loc) for err in e.errors] == [
            "<string>:1:1",
            "<string>:2:14",
            "<string>:3:22",
            "<string>:4:27",
        ]
    else:
        raise AssertionError("no errors")
