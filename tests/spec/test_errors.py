"""Every error a user can make in a spec: file:line:col, the source line, a caret, no
traceback, exit status 2, and all errors of a file at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mmcheck import spec


def assert_error(
    rc: int, err: str, line: int, col: int, message: str, source: str, hint: str | None = None
) -> None:
    """The error at line:col says `message`, quotes `source` with a caret under col, and
    ends with `hint` (None: with no hint)."""
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
    after = lines[i + 3] if i + 3 < len(lines) else ""
    if hint is None:
        assert not after.startswith("    hint:"), err
    else:
        assert after == f"    hint: {hint}", err


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
        "field of a record",
        "type R = record { a: bool }\nvar r : R = { a: true }\ninvariant I: r.b\n",
        3,
        14,
        "has no field 'b'",
        "invariant I: r.b",
    ),
    (
        "quantifier over a range whose bound reads the state and has no known range",
        "var n : 0..3 = 0\ninvariant I: forall i in 0..n + 1: i >= 0\n",
        2,
        26,
        "a quantifier needs a finite domain: the bounds of this set read the state",
        "invariant I: forall i in 0..n + 1: i >= 0",
    ),
    (
        "with over a range whose bound reads the state and has no known range",
        "var n : 0..3 = 0\nprocess p {\na:\n  with i in 0..n * 2 { n := i }\n}\n",
        4,
        13,
        "`with` needs a finite domain: the bounds of this set read the state",
        "  with i in 0..n * 2 { n := i }",
    ),
    (
        "with over a set of no known range",
        "var n : 0..3 = 0\nprocess p {\na:\n  with i in {n + 1} { n := i }\n}\n",
        4,
        13,
        "`with` chooses from a set of bools, enum values or ints of a known range",
        "  with i in {n + 1} { n := i }",
    ),
    (
        "label in an if inside an either branch",
        "var x : 0..3 = 0\nprocess p {\na:\n  either { if x == 0 {\n  b: x := 1 } } or { skip }\n}\n",
        5,
        3,
        "a label inside a block may only stand directly in a branch of an `either`",
        "b: x := 1 } } or { skip }",
    ),
    (
        "label in a with",
        "var x : 0..3 = 0\nprocess p {\na:\n  with i in 0..1 {\n  b: x := i }\n}\n",
        5,
        3,
        "a label inside a block may only stand directly in a branch of an `either`",
        "b: x := i }",
    ),
    (
        "label in a branch named like a step",
        "var x : 0..3 = 0\nprocess p {\na:\n  either { x := 1\n  a: x := 2 } or { skip }\n}\n",
        5,
        3,
        "duplicate label 'a' in process p",
        "a: x := 2 } or { skip }",
    ),
    (
        "enum value of several enums, no context",
        "type A = enum { x, none }\ntype B = enum { none, y }\ninvariant I: none == none\n",
        3,
        14,
        "'none' is a value of several enums: write `A.none` or `B.none`",
        "invariant I: none == none",
    ),
    (
        "enum value of several enums, the context of another type",
        "type A = enum { x, none }\ntype B = enum { none, y }\nvar n : 0..2 = none\n",
        3,
        16,
        "'none' is a value of several enums: none of them is 0..2; write `A.none` or `B.none`",
        "var n : 0..2 = none",
    ),
    (
        "one enum declares a value twice",
        "type A = enum { x, x }\n",
        1,
        20,
        "duplicate definition of 'x'",
        "type A = enum { x, x }",
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


PROC = "var x : 0..3 = 0\nvar y : bool = true\nprocess p {{\na: {}\n}}\n"  # line 4: the step

# fmt: off
HINTS = [
    # (name, spec text, line, col, message fragment, quoted source line, hint)
    ("qualified enum value that the enum lacks", "type A = enum { x, none }\nvar a : A = A.nnone\n",
     2, 13, "enum A has no value 'nnone' (values: x, none)", "var a : A = A.nnone",
     "did you mean `none`?"),
    ("C and", "var x : bool = true\ninvariant I: x && x\n", 2, 16, "unexpected '&&'",
     "invariant I: x && x", "use `and`"),
    ("C or", "var x : bool = true\ninvariant I: x || x\n", 2, 16, "unexpected '||'",
     "invariant I: x || x", "use `or`"),
    ("C not", "var x : bool = true\ninvariant I: !x\n", 2, 14, "unexpected '!'",
     "invariant I: !x", "use `not`, as in `not x`"),
    ("C increment", PROC.format("x++"), 4, 5, "unexpected '++'", "a: x++",
     "there is no `++`: write `x := x + 1`"),
    ("C decrement", PROC.format("x--"), 4, 5, "unexpected '--'", "a: x--",
     "there is no `--`: write `x := x - 1`"),
    ("C increment in an expression", PROC.format("x := x++"), 4, 10, "unexpected '++'",
     "a: x := x++", "there is no `++`: write `x := x + 1` as a statement"),
    ("C compound assignment", PROC.format("x += 1"), 4, 6, "unexpected '+='", "a: x += 1",
     "there is no `+=`: write `x := x + 1`"),
    ("C compound assignment of an expression", PROC.format("x -= x + 1 # c"), 4, 6,
     "unexpected '-='", "a: x -= x + 1 # c", "there is no `-=`: write `x := x - (x + 1)`"),
    ("C assignment", PROC.format("x = 1"), 4, 6, "unexpected '='", "a: x = 1",
     "use `:=` to assign"),
    ("C assignment as a condition", PROC.format("await x = 1"), 4, 12, "unexpected '='",
     "a: await x = 1", "use `==` to compare (`:=` assigns)"),
    ("assignment as a condition", PROC.format("if x := 1 { skip }"), 4, 9, "unexpected ':='",
     "a: if x := 1 { skip }", "use `==` to compare (`:=` assigns)"),
    ("C comparison as a statement", PROC.format("x == 1"), 4, 6, "unexpected '=='",
     "a: x == 1", "use `:=` to assign (`await x == ...` waits until it holds)"),
    ("C NULL", PROC.format("x := NULL"), 4, 9, "unknown name 'NULL'", "a: x := NULL",
     "there is no NULL: a value that may be NULL is an option, `var p : Pfn? = none` "
     "(`p := none`, `if p != none`)"),
    ("return in a process", PROC.format("x := 1; return 0"), 4, 12, "return outside a macro",
     "a: x := 1; return 0", "a process ends with `goto Done`"),
    ("return without a value in a process", PROC.format("return"), 5, 1,
     "unexpected '}'; expected an expression", "}", "a process ends with `goto Done`"),
    ("return without a value in a macro", "macro m() { return }\n", 1, 20,
     "unexpected '}'; expected an expression", "macro m() { return }",
     "`return` takes a value: a macro without one ends at its `}`"),
    ("misspelt name", "var page_count : 0..3 = 0\ninvariant I: page_cuont == 0\n", 2, 14,
     "unknown name 'page_cuont'", "invariant I: page_cuont == 0", "did you mean `page_count`?"),
    ("misspelt bound name", "invariant I: forall page in 0..2: pgae >= 0\n", 1, 35,
     "unknown name 'pgae'", "invariant I: forall page in 0..2: pgae >= 0",
     "did you mean `page`?"),
    ("misspelt goto label", "process p {\nstart: goto fnish\nfinish: skip\n}\n", 2, 8,
     "goto to unknown label 'fnish'", "start: goto fnish", "did you mean `finish`?"),
    ("misspelt at() label", "process p {\nstart: skip\n}\ninvariant I: at(p, strat)\n", 4, 20,
     "process p has no label 'strat'", "invariant I: at(p, strat)", "did you mean `start`?"),
    ("misspelt type", "type Pfn = 0..3\nvar x : Pnf = 0\n", 2, 9, "unknown type 'Pnf'",
     "var x : Pnf = 0", "did you mean `Pfn`?"),
    ("misspelt operator", "def is_free(x) = x == 0\ninvariant I: is_fre(1)\n", 2, 14,
     "unknown operator 'is_fre'", "invariant I: is_fre(1)", "did you mean `is_free`?"),
    ("misspelt macro", PROC.format("spin_lok(x)"), 4, 4, "unknown operator 'spin_lok'",
     "a: spin_lok(x)", "did you mean `spin_lock`?"),
    ("misspelt field", "type R = record { count: 0..3 }\nvar r : R = { count: 0 }\n"
     "invariant I: r.cuont == 0\n", 3, 14, "R has no field 'cuont'",
     "invariant I: r.cuont == 0", "did you mean `count`?"),
    ("misspelt expect constant", "const FIXED = true\nexpect FIXD=false: holds\n", 2, 8,
     "expect: there is no constant 'FIXD'", "expect FIXD=false: holds", "did you mean `FIXED`?"),
    ("misspelt expect invariant", "var x : bool = true\ninvariant NoLeak: x\n"
     "expect violates NoLeek\n", 3, 1, "expect: there is no invariant 'NoLeek'",
     "expect violates NoLeek", "did you mean `NoLeak`?"),
    ("a name close to none", "var page_count : 0..3 = 0\ninvariant I: zzz == 0\n", 2, 14,
     "unknown name 'zzz'", "invariant I: zzz == 0", None),
]
# fmt: on


@pytest.mark.parametrize("name,text,line,col,message,source,hint", HINTS, ids=[c[0] for c in HINTS])
def test_hint(run_cli, name, text, line, col, message, source, hint):
    rc, out, err = run_cli(text)
    assert_error(rc, err, line, col, message, source, hint)
    assert "1 error\n" in err or err.endswith("1 error"), err  # one error, not a cascade


def test_incomplete_only_when_it_is_the_cause(run_cli):
    """A keyword the parser took as a keyword is not what makes the text before it
    incomplete: the error is at the token after it."""
    rc, out, err = run_cli(PROC.format("await"))
    assert_error(rc, err, 5, 1, "unexpected '}'; expected an expression", "}")
    assert "is incomplete" not in err
    rc, out, err = run_cli("var x : bool =\nconst N = 3\n")
    message = "unexpected 'const' (a keyword): the declaration or statement before it is incomplete"
    assert_error(rc, err, 2, 1, message, "const N = 3")


def test_define_suggests_a_constant(run_cli):
    rc, out, err = run_cli("spec S\nconst FIXED = true\n", "-D", "FIXD=false")
    assert_error(
        rc, err, 1, 1, "-D FIXD: there is no constant 'FIXD'", "spec S", "did you mean `FIXED`?"
    )


SYMMETRIC_MAP = "type C = symmetric 1..2\nvar m : [C] -> bool = [c in C |-> false]\n"


@pytest.mark.parametrize(
    "line",
    [
        "invariant I: forall i in 1..2: m[i]",
        "invariant I: exists i in 1..2: m[i]",
        "invariant I: (count i in 1..2: m[i]) > 0",
        "invariant I: [i in 1..2 |-> m[i]] != [j in 1..2 |-> true]",
    ],
)
def test_bound_index_is_not_called_constant(run_cli, line):
    rc, out, err = run_cli(SYMMETRIC_MAP + line + "\n")
    message = "index into a map over symmetric C must be a C value ('i' is bound over 1..2"
    assert_error(rc, err, 3, line.index("m[i]") + 3, message, line)
    assert "constant" not in err


def test_symmetric_process_set_index_named(run_cli):
    text = "symmetric process p[i in 1..3] {\na: skip\n}\ninvariant I: at(p[1], a)\n"
    rc, out, err = run_cli(text)
    message = (
        "an instance of symmetric process set p is named by a value of its symmetric index "
        "(a constant index breaks symmetry)"
    )
    hint = (
        "declare the index type as a symmetric type (`type T = symmetric ...`, "
        "`symmetric process p[i in T]`): T names its values anywhere (`forall j in T`, "
        "`[T] -> bool`)"
    )
    assert_error(rc, err, 4, 19, message, "invariant I: at(p[1], a)", hint)
    text = text.replace("at(p[1], a)", "forall j in 1..3: at(p[j], a)")
    rc, out, err = run_cli(text)
    message = "named by a value of its symmetric index ('j' is bound over 1..3"
    assert_error(rc, err, 4, 37, message, "invariant I: forall j in 1..3: at(p[j], a)", hint)
    rc, out, err = run_cli("symmetric process p[i in 1..3] {\na: await i + 1 > 2\n}\n")
    message = "arithmetic and ordering on values of the symmetric index of process set p"
    assert_error(rc, err, 2, 10, message, "a: await i + 1 > 2")


ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted([*ROOT.glob("spec/models/*.mms"), *ROOT.glob("tests/specs/*.mms")])


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.name)
def test_no_hint_on_library_and_test_specs(path):
    """The hints read only where parsing or checking already failed: every library and
    test spec still type-checks."""
    spec.load(path, symbolic=True)


def test_no_hint_on_valid_operators(run_cli):
    """`!=`, `:=`, `==`, `=` where the language has them: no error, so no hint."""
    text = (
        "const N = 2\nvar x : 0..3 = 0\ndef f(a) = a != N\n"
        "action a\n  when x == 0 and not f(x)\n  x' = x + 1\n"
        "macro m() { if x == 1 { return true }; return false }\n"
        "process p {\na: x := 2; await x != 1; if m() { goto Done }\n}\n"
    )
    rc, out, err = run_cli(text)
    assert rc == 0, err


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
