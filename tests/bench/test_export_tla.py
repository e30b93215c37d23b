"""The TLA+ export (explorer/export/tla.py) writes TLA+ that TLC accepts: no bound variable
shadows another name in scope (TLC rejects that as "Multiply-defined symbol"), for every
library spec."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mmcheck import spec
from mmcheck.explorer.export import tla as export_tla

ROOT = Path(__file__).resolve().parents[2]

# every `NAME \in` of the export binds NAME (quantifiers, set and function constructors,
# the parameters of Next's disjuncts); LAMBDA binds too. A binder's scope is the bracket
# it stands in (to its end: wider than TLA+'s, so stricter), or the whole definition.
TOKENS = re.compile(r"[(\[{]|[)\]}]|(\w+) \\in |LAMBDA (\w+):")


def shadowed(tla: str) -> list[str]:
    """The binders of the module that reuse a name bound around them or defined at the
    top level, as "definition: name"."""
    defs = [d for d in tla.split("\n\n") if "==" in d]
    top = {d.split("==")[0].split("(")[0].strip() for d in defs}
    top |= set(re.search(r"VARIABLES (.*)", tla).group(1).split(", "))
    found = []
    for d in defs:
        name, body = d.split("==", 1)
        stack: list[set[str]] = [set()]
        for m in TOKENS.finditer(body):
            tok = m.group(0)
            if tok in "([{":
                stack.append(set())
            elif tok in ")]}":
                stack.pop()
            else:
                bound = m.group(1) or m.group(2)
                if bound in top or any(bound in s for s in stack):
                    found.append(f"{name.strip()}: {bound}")
                stack[-1].add(bound)
    return found


SHADOWING = """
const N = 2
var a : [1..N] -> 0..3 = [i in 1..N |-> 0]
var i_1 : bool = false
def above(i) = exists i_2 in 1..N: a[i_2] > i
action bump(i_2: 1..N)
  when a[i_2] < 3 and (forall i in 1..N: exists i in 1..N: a[i] >= i_2 - 1)
  a[i_2]' = a[i_2] + 1
action reset
  when forall i in 1..N: above(i) or (count i in 1..N: a[i] > 0) + (sum i in 1..N: a[i]) >= 0
  a' = [i in 1..N |-> 0]
invariant Small: forall i in 1..N: forall i in 1..N: (exists i in 1..N: a[i] <= 3) or i_1
"""


def test_nested_binders_of_one_name_are_renamed(tmp_path: Path):
    program = spec.load(SHADOWING)
    text = export_tla.export(program, "Shadowing", tmp_path).read_text()
    assert shadowed(text) == []
    # the parameter and the inner quantifier that the IR names i_2 and i#2 stay apart
    assert "\\E v_i_2 \\in 1..2:" in text
    assert "(\\E v_i_2_1 \\in 1..2: (v_a[v_i_2_1] >= (v_i_2 - 1)))" in text


def test_the_checker_finds_shadowing():
    text = "VARIABLES v_a\n\nX ==\n  \\E v_i \\in 1..2:\n     /\\ (\\A v_i \\in 1..2: TRUE)\n"
    assert shadowed(text) == ["X: v_i"]


@pytest.mark.parametrize(
    "path", sorted((ROOT / "spec" / "models").glob("*.mms")), ids=lambda p: p.stem
)
def test_every_library_spec_exports(tmp_path: Path, path: Path):
    text = export_tla.export(spec.load(path), path.stem, tmp_path).read_text()
    assert shadowed(text) == []
