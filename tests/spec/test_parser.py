"""The grammar and the AST builder: shapes, precedence, positions, keywords."""

from __future__ import annotations

import io
import logging
import re

import lark

from mmcheck.spec import ast
from mmcheck.spec.parser import GRAMMAR, KEYWORDS, parse


def decls(text: str) -> tuple:
    return parse(text, "t.mms").decls


def expr(text: str) -> ast.Expr:
    (d,) = decls(f"invariant I: {text}\n")
    return d.expr


def test_grammar_is_lalr_without_conflicts():
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    lark.logger.addHandler(handler)
    old = lark.logger.level
    lark.logger.setLevel(logging.DEBUG)
    try:
        lark.Lark(GRAMMAR.read_text(), parser="lalr", lexer="contextual", debug=True)
    finally:
        lark.logger.removeHandler(handler)
        lark.logger.setLevel(old)
    assert "conflict" not in buf.getvalue().lower()


def test_precedence():
    e = expr("a or b and not c => d")
    assert isinstance(e, ast.BinOp) and e.op == "=>"
    assert e.left.op == "or" and e.left.right.op == "and"
    assert isinstance(e.left.right.right, ast.Unary)
    e = expr("1 + 2 * 3 == 7")
    assert e.op == "==" and e.left.op == "+" and e.left.right.op == "*"
    e = expr("a => b => c")  # right associative
    assert e.right.op == "=>"
    e = expr("x in 1..N union S")
    assert e.op == "in" and e.right.op == "union" and e.right.left.op == ".."


def test_quantifier_extends_right_and_ends_an_operator_chain():
    e = expr("p => forall i in 1..3: q(i) or r")
    assert e.op == "=>"
    q = e.right
    assert isinstance(q, ast.Quant) and q.kind == "forall" and q.body.op == "or"
    e = expr("(count i in D: p(i)) <= 1")
    assert e.op == "<=" and isinstance(e.left, ast.Quant) and e.left.kind == "count"


def test_positions():
    (_, d) = decls("var x : bool = true\ninvariant I:\n   x  and y\n")
    assert (d.loc.line, d.loc.col) == (2, 1)
    assert (d.expr.loc.line, d.expr.loc.col) == (3, 4)
    assert (d.expr.right.loc.line, d.expr.right.loc.col) == (3, 11)


def test_process_steps_labels_and_statements():
    (p,) = decls(
        "process p[self in 1..2] {\n var ok : bool = false\nl1: x := 1; goto l2\n"
        "l2:\n  if ok { skip } else if x == 1 then y := 2\n either { skip } or { await x > 0 }\n"
        "  ok := trylock(l)\n}\n"
    )
    assert p.index.name == "self" and [v.name for v in p.locals] == ["ok"]
    assert [s.label for s in p.steps] == ["l1", "l2"]
    l1, l2 = p.steps
    assert [type(s).__name__ for s in l1.body] == ["Assign", "Skip", "Goto"]
    assert [type(s).__name__ for s in l2.body] == ["If", "Either", "Assign"]
    assert isinstance(l2.body[0].other[0], ast.If)
    assert isinstance(l2.body[2].value, ast.Call) and l2.body[2].value.name == "trylock"


def test_action_ends_at_next_declaration():
    a, v = decls("action f(e: 1..4)\n  when c == e\n  c' = 0\n  m[1]' = 2\nvar z : bool = true\n")
    assert [p.name for p in a.params] == ["e"]
    assert len(a.guards) == 1 and len(a.updates) == 2
    assert isinstance(a.updates[1].target, ast.Index)
    assert isinstance(v, ast.VarDecl)


def test_expectations():
    ds = decls(
        "expect holds\nexpect A=false, N=-2: violates Inv in 9 steps with 12 states\n"
        "expect fails lock\nexpect deadlock\n"
    )
    assert [(d.verdict, d.detail, d.steps, d.states) for d in ds] == [
        ("holds", None, None, None),
        ("violates", "Inv", 9, 12),
        ("fails", "lock", None, None),
        ("deadlock", None, None, None),
    ]
    assert ds[1].consts[0][:2] == ("A", False) and ds[1].consts[1][:2] == ("N", -2)
    assert all(d.checks is None for d in ds)


def test_lemmas_and_expectations_naming_what_they_check():
    lemma, e = decls("lemma L: true\nexpect violates A in 2 steps (invariants A, L)\n")
    assert isinstance(lemma, ast.InvariantDecl) and lemma.lemma
    assert [n for n, _ in e.checks] == ["A", "L"] and e.steps == 2
    assert (e.checks[1][1].line, e.checks[1][1].col) == (2, 45)
    (inv,) = decls("invariant invariants: true\n")  # the clause's word is no keyword
    assert not inv.lemma and inv.name == "invariants"


def test_keywords_are_fine_as_field_names():
    t, v = decls(
        "type P = record { count: 0..3, locked: bool }\nvar p : P = { count: 0, locked: false }\n"
    )
    assert [f for f, _, _ in t.type.fields] == ["count", "locked"]
    e = expr("p.count > 0")
    assert e.left.name == "count"


def test_lock_init_with_are_names_except_where_they_start_something():
    text = (
        "var lock : bool = false\nvar init : 0..3 = 0\nvar with : [1..2] -> bool = x\n"
        "init init == 0\nlock l\n"
        "process p {\na:\n  lock := true\n  lock l\n  with[1] := lock\n"
        "  with i in 1..2 { init := init + i }\n  lock.f := 1\n}\n"
        "action A\n  init' = 0\n  lock' = false\n"
        "lock m\n"
    )
    v_lock, v_init, v_with, init, lock, proc, action, lock2 = decls(text)
    assert (v_lock.name, v_init.name, v_with.name) == ("lock", "init", "with")
    assert isinstance(init, ast.InitDecl) and init.expr.left.name == "init"
    assert isinstance(lock, ast.LockDecl) and isinstance(lock2, ast.LockDecl)
    s1, s2, s3, s4, s5 = proc.steps[0].body
    assert isinstance(s1, ast.Assign) and s1.target.name == "lock"
    assert isinstance(s2, ast.LockStmt) and s2.target.name == "l"
    assert isinstance(s3, ast.Assign) and s3.target.base.name == "with" and s3.value.name == "lock"
    assert isinstance(s4, ast.With) and [b.name for b in s4.binders] == ["i"]
    assert isinstance(s5, ast.Assign) and s5.target.base.name == "lock"
    assert [u.target.name for u in action.updates] == ["init", "lock"]


def test_with_takes_several_binders():
    (p,) = decls("process p {\na:\n  with x in s, y in 0..x { skip }\n}\n")
    (w,) = p.steps[0].body
    assert [b.name for b in w.binders] == ["x", "y"] and isinstance(w.body[0], ast.Skip)
    assert (w.loc.line, w.loc.col) == (3, 3)


def test_the_language_reference_lists_the_keywords():
    doc = (GRAMMAR.parents[1] / "docs" / "language.md").read_text()
    m = re.search(r"- Keywords are reserved and cannot name anything you declare: `([^`]*)`", doc)
    assert m and sorted(m.group(1).split()) == sorted(KEYWORDS)


def test_strings_are_data():
    (p,) = decls('process p {\na: assert x, "it\\"s \\\\ \\n done"\n}\n')
    assert p.steps[0].body[0].message == 'it"s \\ n done'


def test_hex_and_negative_literals():
    assert expr("x == 0x10").right.value == 16
    assert expr("x == -3").right.value == -3


def test_dunder_names_parse():
    # kernel functions such as __munlock_pagevec name labels; translation mangles them
    var, proc, inv = decls(
        "var __x : bool = true\nprocess p {\n__l: skip\n}\ninvariant I: __class__\n"
    )
    assert (var.name, proc.steps[0].label, inv.expr.name) == ("__x", "__l", "__class__")
