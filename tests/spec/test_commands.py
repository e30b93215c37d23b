"""The verbs of the spec package: typecheck, ir, translate."""

from __future__ import annotations

from pathlib import Path

from mmcheck.cli import main

SPECS = Path(__file__).parent.parent / "specs"
TUTORIAL = str(SPECS / "tutorial_spinlock.mms")


def test_typecheck_summary(capsys):
    assert main(["typecheck", TUTORIAL]) == 0
    out = capsys.readouterr().out.strip()
    assert out.endswith(
        "ok: 4 variables, 7 slots, 4 actions, 1 invariants, 1 processes (2 instances)"
    )
    assert main(["typecheck", TUTORIAL, "-D", "CPUS=3"]) == 0
    assert "10 slots" in capsys.readouterr().out


def test_typecheck_symbolic(capsys):
    assert main(["typecheck", TUTORIAL, "-D", "CPUS=?"]) == 0
    assert "symbolic slots" in capsys.readouterr().out


def test_typecheck_design_sketch(capsys):
    assert main(["typecheck", str(SPECS / "design_sketch.mms")]) == 0
    assert "8 variables, 10 slots, 7 actions" in capsys.readouterr().out


def test_ir_prints_every_action(capsys):
    assert main(["ir", TUTORIAL]) == 0
    out = capsys.readouterr().out
    assert "var in_cs : [1..2] -> bool    # slots 1..2" in out
    assert "action cpu.spin(self: int 1..2)" in out
    assert "  guard  cpu.pc[self] == spin and not locked" in out
    assert "invariant MutualExclusion: (count c in 1..2: in_cs[c]) <= 1" in out
    assert "expect FIXED=0: invariant MutualExclusion steps=6" in out


def test_translate_prints_python(capsys):
    assert main(["translate", TUTORIAL]) == 0
    out = capsys.readouterr().out
    compile(out, "<translated>", "exec")  # a Python module
    assert "spin" in out


def test_usage_errors_have_no_traceback(capsys, tmp_path):
    assert main(["typecheck", str(tmp_path / "missing.mms")]) == 2
    err = capsys.readouterr().err
    assert "missing.mms:1:1: error: cannot read" in err and "Traceback" not in err
    assert main(["typecheck", TUTORIAL, "-D", "CPUS"]) == 2
    assert "-D expects NAME=VALUE" in capsys.readouterr().err


def test_ir_golden(capsys):
    """The whole printed IR of the fixed tutorial spec, pinned."""
    golden = Path(__file__).parent / "golden" / "tutorial_spinlock_fixed.ir.txt"
    assert main(["ir", TUTORIAL, "-D", "FIXED=true"]) == 0
    out = capsys.readouterr().out.replace(TUTORIAL, "tests/specs/tutorial_spinlock.mms")
    assert out == golden.read_text()


def test_ir_says_which_macro_call_an_update_or_check_came_from(capsys):
    """`via`: the prelude's get_page and spin_lock, inlined, are named with their call."""
    model = str(Path(__file__).parents[2] / "spec" / "models" / "mlock_munlock.mms")
    assert main(["ir", model]) == 0
    out = capsys.readouterr().out
    follow = out.split("action exit_mmap.follow_page_mask()")[1].split("\n\n")[0]
    assert "update ptl[1] := 1    # via spin_lock at " in follow
    assert "update page.count := page.count + 1   when pte[1]    # via get_page at " in follow
    assert "'get_page on a free page' at " in follow and "; via get_page at " in follow
    assert "update exit_mmap.pc := __munlock_pagevec\n" in follow + "\n"  # the step's own
