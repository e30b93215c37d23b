"""A spec is data: nothing it says reaches Python as code.

Names crafted to escape (dunders, Python keywords and builtins, the generated module's
own names) are mangled; strings (assert messages, include paths) and -D
values never run; the generated module imports nothing and uses only names the
translator put there.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mmcheck import explorer, spec
from mmcheck.explorer.core.sandbox import BUILTINS, runtime
from mmcheck.explorer.tuple.translate import to_python_source

# attribute names the generated code may use (list methods): attribute chains are how
# code escapes a restricted namespace, so any other one fails these tests
GENERATED_ATTRIBUTES = {"append", "sort"}
# what the module finds in its namespace without defining it
RUNTIME_NAMES = set(runtime(())) | set(BUILTINS)

PAYLOAD = "__import__('os').system('touch PWNED')"

# a spec whose every kind of name is one Python gives meaning to
PYTHON_NAMES_SPEC = """
spec exec
const import = 2
type lambda = enum { None, True, print }
type yield = record { eval: 0..3, getattr: bool }
var s : 0..3 = 0
var range : [1..import] -> lambda = [t in 1..import |-> None]
var out : yield = { eval: 0, getattr: false }
var _E : bool = false
lock _fail
def open(x) = x + 1
process os[self in 1..import] {
  var sys : 0..3 = 0
system:
  lock _fail
  sys := open(s) % 4
  range[self] := True
compile:
  s := sys
  out.eval := min(s + 1, 3)
  unlock _fail
}
action globals(locals: 1..2)
  when range[locals] == True and not _E
  _E' = true
invariant class: s <= 3 and out.eval <= 3
"""


def plain_names(text: str) -> str:
    """The same spec with every Python-meaningful name replaced by a plain one."""
    names = [
        "exec",
        "import",
        "lambda",
        "None",
        "True",
        "print",
        "yield",
        "eval",
        "getattr",
        "range",
        "out",
        "_E",
        "_fail",
        "open",
        "os",
        "sys",
        "system",
        "compile",
        "globals",
        "locals",
        "class",
        "s",
    ]
    for i, n in enumerate(names):
        text = re.sub(rf"(?<![\w.]){re.escape(n)}(?!\w)", f"n{i}", text)
        text = re.sub(rf"(?<=\.){re.escape(n)}(?!\w)", f"n{i}", text)
    return text


def bound_names(tree: ast.AST) -> set[str]:
    """Names the module itself defines: functions, parameters, assignment targets."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            out.add(node.name)
        elif isinstance(node, ast.arg):
            out.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            out.add(node.id)
    return out


def assert_only_generated(source: str) -> set[str]:
    """The module imports nothing, holds no string, reaches no attribute but a list
    method, and reads only names it defines or its namespace holds. Returns its names."""
    tree = ast.parse(source)
    defined = bound_names(tree)
    used, attrs, bad = set(), set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            used.add(node.id)
        elif isinstance(node, ast.Attribute):
            attrs.add(node.attr)
        elif isinstance(
            node,
            ast.Import
            | ast.ImportFrom
            | ast.Global
            | ast.Nonlocal
            | ast.Lambda
            | ast.ClassDef
            | ast.With
            | ast.Try
            | ast.Delete,
        ):
            bad.append(node)
        elif isinstance(node, ast.Constant) and not isinstance(node.value, int | bool | None):
            bad.append(node)  # a string or bytes literal: spec text reaching the code
    assert not bad, [ast.dump(b) for b in bad]
    assert used - defined - RUNTIME_NAMES == set()
    assert not any(n.startswith("__") for n in used | defined)
    assert attrs <= GENERATED_ATTRIBUTES
    return defined | used


def test_generated_module_of_every_library_spec_uses_only_its_own_names(library_spec):
    program = spec.load(library_spec)
    assert_only_generated(to_python_source(program))


def test_python_names_in_a_spec_are_mangled():
    program = spec.load(PYTHON_NAMES_SPEC)
    source = to_python_source(program)
    names = assert_only_generated(source)
    plain = plain_names(PYTHON_NAMES_SPEC)
    assert "exec" not in plain and "range" not in plain
    # the module's names do not depend on the spec's names
    assert names == assert_only_generated(to_python_source(spec.load(plain)))
    # and it still means the spec
    result, renamed = explorer.check(program), explorer.check(plain)
    assert (result.verdict, result.stats.distinct) == (renamed.verdict, renamed.stats.distinct)
    assert result.verdict == "holds" and result.stats.distinct == 17


def test_comments_of_the_generated_module_are_single_printable_lines():
    # the comments carry spec names and locations: no line break may end one early
    source = to_python_source(spec.load(PYTHON_NAMES_SPEC))
    for line in source.splitlines():
        assert line.isascii() and line.isprintable(), repr(line)


@pytest.mark.parametrize("decl", [
    "var __class__ : bool = false",
    "var x : bool = false\naction __init__ when true\n  x' = true",
    "var x : bool = false\ndef __getattr__(a) = a",
    "type T = enum { __builtins__, ok }\nvar t : T = ok",
    "var r : record { __dict__: bool } = { __dict__: true }",
    "lock __lock",
    "process __main__ { l: skip }",
    "process p { __import__: skip }",
    "const __debug__ = 1\nvar x : 0..1 = __debug__",
    "var x : bool = false\ninvariant __I: x or not x",
])  # fmt: skip
def test_dunder_names_are_harmless(mm, spec_file, decl):
    """Dunder names are allowed (kernel functions carry them) and reach the generated
    module only in comments."""
    path = spec_file(decl + "\nterminal true\n")
    run = mm.run_inprocess(["check", str(path)])
    mm.assert_clean(run)
    assert run.rc == 0, run.err
    source = to_python_source(spec.load(path))
    assert_only_generated(source)
    assert all(line.lstrip().startswith("#") for line in source.splitlines() if "__" in line)


def test_dunder_attribute_is_an_unknown_field(mm, spec_file):
    run = mm.run_inprocess(
        ["check", str(spec_file("var x : bool = false\ninvariant I: x.__class__\n"))]
    )
    assert run.rc == 2
    mm.assert_clean(run)
    assert "bool has no fields (.__class__)" in run.err and "spec.mms:2:" in run.err


def test_strings_never_run(mm, tmp_path):
    """Assert messages and include paths with code in them are text, printed as such."""
    text = (
        "var x : 0..2 = 0\n"
        "process p {\n"
        "l:\n"
        f'  assert x == 1, "{PAYLOAD}\\"); {PAYLOAD}; (\\"{{{PAYLOAD}}} %s %(x)s \\\\"\n'
        "}\n"
    )
    path = tmp_path / "payload.mms"
    path.write_text(text)
    run = subprocess.run(
        [sys.executable, "-m", "mmcheck.cli", "check", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert run.returncode == 1, run.stderr
    assert f'{PAYLOAD}"); {PAYLOAD}; ("{{{PAYLOAD}}} %s %(x)s \\' in run.stdout
    assert not (tmp_path / "PWNED").exists()
    assert not (Path.cwd() / "PWNED").exists()


@pytest.mark.parametrize("path", [
    PAYLOAD, "/dev/zero", "../../../../../../etc/passwd", "x\\\"); import os; (\\\"",
    "spec.mms", "", "/",
])  # fmt: skip
def test_include_paths_are_only_paths(mm, spec_file, tmp_path, path):
    main = spec_file(f'include "{path}"\nvar x : bool = false\n', name="spec.mms")
    run = mm.run_inprocess(["typecheck", str(main)])
    mm.assert_clean(run)
    assert run.rc in (0, 2)  # including itself is a cycle, or a no-op once done
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("define", [
    f"N={PAYLOAD}", "N=1; import os", "N=1\nimport os", "N=(1)", "N=1+1", "N=0x10",
    "N=True", "N='1'", 'N="1"', "N={}", "N=1 if 1 else 2", "N=9" + "9" * 5000,
    f"{PAYLOAD}=1", "N.__class__=1", "N[0]=1", "=1", "N=", "N",
])  # fmt: skip
def test_defines_are_values_not_code(mm, spec_file, tmp_path, define):
    path = spec_file("const N = 1\nvar x : 0..20 = N\nterminal true\n")
    run = mm.run_inprocess(["check", str(path), "-D", define])
    mm.assert_clean(run)
    assert run.rc in (0, 2)
    if define == "N=0x10":  # an integer written in hex is a value like any other
        assert run.rc == 0
    assert not (tmp_path / "PWNED").exists()


def test_terminal_escapes_in_spec_text_are_not_printed_raw(mm, spec_file):
    """A message or name must not smuggle terminal control sequences into the output."""
    path = spec_file(
        'var x : bool = false\nprocess p {\nl:\n  assert x, "\x1b]0;owned\x07\x1b[2J"\n}\n'
    )
    run = mm.run_inprocess(["check", str(path)])
    assert run.rc == 1
    assert "assertion failed" in run.out
    for out in (run.out, mm.run_inprocess(["check", str(path), "--trace", "cpu"]).out):
        assert "\x1b" not in out and "\x07" not in out
