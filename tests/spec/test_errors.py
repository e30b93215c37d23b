"""Every error a user can make in a spec: file:line:col, the source line, a caret, no
traceback, exit status 2, and all errors of a file at once."""

from __future__ import annotations

import re

import pytest


def assert_error(rc: int, err: str, line: int, col: int, message: str, source: str) -> None:
    assert rc == 2
    assert "Traceback" not in err
    m = re.search(rf"spec\.mms:{line}:{col}: error: (.*)", err)
    assert m, err
    assert message in m.group(1), err
    lines = err.splitlines()
    i = next(k for k, s in enumerate(lines) if f"spec.mms:{line}:{col}:" in s)
    assert lines[i + 1].strip() == source.strip()
    caret = lines[i + 2]
    assert caret.strip() == "^"
    # the caret sits under column `col` of the quoted line (4 spaces of indent)
    assert caret.index("^") - 4 == col - 1


CASES = [
    # (name, spec text, line, col, message fragment, quoted source line)
    (
        "unexpected token",
        "var x : bool = true\ninit x == == 1\n",
        2,
        11,
        "unexpected '=='",
        "init x == == 1",
    ),
    (
        "unexpected end of file",
        "var x : bool = true\ninvariant I: x and\n",
        2,
        19,
        "unexpected end of file; expected an expression",
        "invariant I: x and",
    ),
    (
        "bad character",
        "var x : bool = true @\n",
        1,
        21,
        "unexpected character '@'",
        "var x : bool = true @",
    ),
    (
        "unknown name",
        "var x : bool = true\ninvariant I: x or y\n",
        2,
        19,
        "unknown name 'y'",
        "invariant I: x or y",
    ),
    (
        "duplicate definition",
        "var x : bool = true\nconst x = 3\n",
        2,
        1,
        "duplicate definition of 'x'",
        "const x = 3",
    ),
    (
        "type mismatch",
        "var x : 0..3 = 1\ninvariant I: x == true\n",
        2,
        14,
        "type mismatch",
        "invariant I: x == true",
    ),
    (
        "enum of another enum",
        "type A = enum { a1, a2 }\ntype B = enum { b1 }\nvar x : A = a1\ninvariant I: x != b1\n",
        4,
        14,
        "a value of enum B compared with enum A",
        "invariant I: x != b1",
    ),
    (
        "range violation in an initial value",
        "var n : 0..3 = 4\n",
        1,
        16,
        "value 4 is outside the range 0..3 of n",
        "var n : 0..3 = 4",
    ),
    (
        "range violation in a map's initial value",
        "var m : [1..2] -> 0..3 = [i in 1..2 |-> 7]\n",
        1,
        26,
        "value 7 is outside the range 0..3 of m",
        "var m : [1..2] -> 0..3 = [i in 1..2 |-> 7]",
    ),
    (
        "maps over different domains compared",
        "var a : [0..2] -> bool = [i in 0..2 |-> false]\ninvariant I: a != [i in 1..4 |-> false]\n",
        2,
        14,
        "maps over different domains are not compared: [0..2] -> bool and [1..4] -> bool",
        "invariant I: a != [i in 1..4 |-> false]",
    ),
    (
        "map of another domain assigned",
        "var a : [0..2] -> bool = [i in 0..2 |-> false]\n"
        "var b : [1..4] -> bool = [i in 1..4 |-> true]\nprocess p {\nx: a := b\n}\n",
        4,
        4,
        "cannot assign a value of type [1..4] -> bool to a, which is [0..2] -> bool",
        "x: a := b",
    ),
    (
        "map outside its domain",
        "var m : [1..2] -> bool = [i in 1..2 |-> false]\ninvariant I: not m[3]\n",
        2,
        20,
        "index 3 is outside the map's domain 1..2",
        "invariant I: not m[3]",
    ),
    (
        "goto unknown label",
        "process p {\na: goto b\n}\n",
        2,
        4,
        "goto to unknown label 'b'",
        "a: goto b",
    ),
    (
        "self outside a process set",
        "var x : 0..3 = 0\nprocess p {\na: x := self\n}\n",
        3,
        9,
        "'self' is only defined inside a process set",
        "a: x := self",
    ),
    (
        "return outside a macro",
        "process p {\na: return true\n}\n",
        2,
        4,
        "return outside a macro",
        "a: return true",
    ),
    (
        "field of a record",
        "type R = record { a: bool }\nvar r : R = { a: true }\ninvariant I: r.b\n",
        3,
        14,
        "has no field 'b'",
        "invariant I: r.b",
    ),
    (
        "quantifier over a range that reads the state",
        "var n : 0..3 = 0\ninvariant I: forall i in 0..n: i >= 0\n",
        2,
        26,
        "a quantifier's domain must not depend on the state",
        "invariant I: forall i in 0..n: i >= 0",
    ),
    (
        "quantifier over results of arithmetic",
        "var n : 0..3 = 0\ninvariant I: forall i in {n + 1}: i >= 0\n",
        2,
        26,
        "a quantifier needs a finite domain: the elements of this set are integers of no known range",
        "invariant I: forall i in {n + 1}: i >= 0",
    ),
    (
        "lock outside a process",
        "lock l\naction a\n  when locked(l)\nmacro m() { lock l }\ninvariant I: trylock(l)\n",
        5,
        14,
        "trylock() changes the state",
        "invariant I: trylock(l)",
    ),
    (
        "keyword as a name",
        "var count : 0..3 = 0\n",
        1,
        5,
        "'count' is a keyword",
        "var count : 0..3 = 0",
    ),
    (
        "unassignable constant",
        "const N = 2\nprocess p {\na: N := 3\n}\n",
        3,
        4,
        "'N' is not a variable",
        "a: N := 3",
    ),
    (
        "failing assume",
        "const N = 5\nassume N <= 4\n",
        2,
        1,
        "assumption does not hold (N=5)",
        "assume N <= 4",
    ),
    (
        "constant without a value",
        "const N : 1..\n",
        1,
        1,
        "constant N has no value",
        "const N : 1..",
    ),
    (
        "symmetric ordering",
        "type C = symmetric 1..2\nvar o : C = 1\n",
        2,
        13,
        "breaks symmetry",
        "var o : C = 1",
    ),
    (
        "symmetric constant index",
        "type C = symmetric 1..2\nvar m : [C] -> bool = [c in C |-> false]\ninvariant I: m[1]\n",
        3,
        16,
        "a constant index breaks symmetry",
        "invariant I: m[1]",
    ),
    (
        "symmetric arithmetic",
        "type C = symmetric 1..3\nvar m : [C] -> bool = [c in C |-> false]\n"
        "invariant I: forall c in C: c < 2 or m[c]\n",
        3,
        29,
        "break symmetry",
        "invariant I: forall c in C: c < 2 or m[c]",
    ),
    (
        "symmetric enum literal",
        "type T = symmetric enum { a, b }\nvar x : T in T\ninvariant I: x != a\n",
        3,
        19,
        "'a' names one value of symmetric T: a literal breaks symmetry",
        "invariant I: x != a",
    ),
    ("lock assigned", "lock l\nprocess p {\na: l := 0\n}\n", 3, 4, "l is a lock", "a: l := 0"),
    (
        "unlock of a non-lock",
        "var x : bool = false\nprocess p {\na: unlock x\n}\n",
        3,
        11,
        "unlock of x, which is not a lock",
        "a: unlock x",
    ),
    (
        "wrong macro arity",
        "process p {\na: spin_lock()\n}\n",
        2,
        4,
        "spin_lock takes 1 argument",
        "a: spin_lock()",
    ),
    (
        "macro without a value used as one",
        "var x : bool = false\nmacro m() { x := true }\nprocess p {\na: m(); x := m()\n}\n",
        4,
        14,
        "macro m returns no value",
        "a: m(); x := m()",
    ),
    (
        "recursive def",
        "def f(x) = f(x)\ninvariant I: f(1) == 1\n",
        1,
        12,
        "definition f is recursive",
        "def f(x) = f(x)",
    ),
    (
        "expect of an unknown invariant",
        "var x : bool = true\ninvariant I: x\nexpect violates J\n",
        3,
        1,
        "no invariant 'J'",
        "expect violates J",
    ),
]


@pytest.mark.parametrize("name,text,line,col,message,source", CASES, ids=[c[0] for c in CASES])
def test_error(run_cli, name, text, line, col, message, source):
    rc, out, err = run_cli(text)
    assert_error(rc, err, line, col, message, source)


def test_several_errors_reported_at_once(run_cli):
    text = "var x : bool = 1\nvar y : 0..3 = 9\ninvariant I: z\ninvariant J: x + 1\n"
    rc, out, err = run_cli(text)
    assert rc == 2
    assert "4 errors" in err
    for where in ("spec.mms:1:16:", "spec.mms:2:16:", "spec.mms:3:14:", "spec.mms:4:14:"):
        assert where in err
    assert "Traceback" not in err


def test_define_unknown_constant(run_cli):
    rc, out, err = run_cli("spec S\nconst N = 2\n", "-D", "M=3")
    assert_error(
        rc, err, 1, 1, "-D M: there is no constant 'M' in this spec (constants: N)", "spec S"
    )


def test_define_wrong_type(run_cli):
    rc, out, err = run_cli("const N = 2\nconst FIXED = false\n", "-D", "FIXED=3")
    assert_error(
        rc,
        err,
        2,
        1,
        "-D FIXED=3: FIXED is a bool constant, give true or false (value came from -D)",
        "const FIXED = false",
    )
    rc, out, err = run_cli("const N = 2\n", "-D", "N=true")
    assert_error(rc, err, 1, 1, "N is an int constant, give an integer", "const N = 2")


def test_define_out_of_range(run_cli):
    rc, out, err = run_cli("const N : 1..4 = 2\n", "-D", "N=9")
    assert_error(rc, err, 1, 1, "-D N=9: outside the declared range 1..4", "const N : 1..4 = 2")


def test_define_then_assume(run_cli):
    rc, out, err = run_cli("const N = 2\nassume N < 3\n", "-D", "N=3")
    assert_error(rc, err, 2, 1, "assumption does not hold (N=3)", "assume N < 3")


def test_include_missing_file(run_cli):
    rc, out, err = run_cli('include "nothere.mms"\n')
    assert_error(
        rc, err, 1, 1, 'cannot include "nothere.mms": no such file', 'include "nothere.mms"'
    )


def test_include_cycle(run_cli, tmp_path):
    (tmp_path / "a.mms").write_text('include "b.mms"\n')
    (tmp_path / "b.mms").write_text('var y : bool = true\ninclude "a.mms"\n')
    rc, out, err = run_cli('include "a.mms"\n')
    assert rc == 2
    assert "Traceback" not in err
    assert re.search(r"b\.mms:2:1: error: include cycle: a\.mms -> b\.mms -> a\.mms", err), err
    assert 'include "a.mms"' in err


def test_syntax_errors_in_two_files_both_reported(run_cli, tmp_path):
    (tmp_path / "a.mms").write_text("var y : bool = \n")
    (tmp_path / "b.mms").write_text("var z : = 1\n")
    rc, out, err = run_cli('include "a.mms"\ninclude "b.mms"\n')
    assert rc == 2
    assert "a.mms:1:16: error: unexpected end of file" in err
    assert "b.mms:1:9: error: unexpected '='" in err
    assert "2 errors" in err


def test_several_syntax_errors_in_one_file(run_cli):
    text = "var x : bool = \nconst N = 3\ninvariant I: x and\ntype T = 1..2\nvar y : = 1\n"
    rc, out, err = run_cli(text)
    assert_error(
        rc,
        err,
        2,
        1,
        "unexpected 'const' (a keyword): the declaration or statement before it is incomplete",
        "const N = 3",
    )
    assert_error(rc, err, 4, 1, "unexpected 'type' (a keyword)", "type T = 1..2")
    assert_error(rc, err, 5, 9, "unexpected '='; expected", "var y : = 1")
    assert "3 errors" in err
