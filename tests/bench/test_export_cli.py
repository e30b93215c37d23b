"""`mmcheck export --tla DIR | --promela DIR` writes what the exporters write, and says
what it cannot write: an unwritable DIR, a construct the target cannot express."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mmcheck import spec
from mmcheck.cli import main
from mmcheck.explorer.export import ExportError, promela, tla

ROOT = Path(__file__).resolve().parents[2]
SPINLOCK = ROOT / "tests/specs/tutorial_spinlock.mms"
RACE = ROOT / "tests/golden/mlock_race.mms"
COUNTER = ROOT / "tests/specs/constraint_counter.mms"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


def test_tla_files_are_the_exporters(tmp_path: Path, capsys):
    out = tmp_path / "new" / "tla"  # made, parents too
    code, said, err = run(["export", str(RACE), "-D", "FIXED=true", "--tla", str(out)], capsys)
    assert (code, err) == (0, "")
    assert said == f"Wrote {out / 'mlock_race.tla'}, {out / 'mlock_race.cfg'}.\n"
    tla.export(spec.load(RACE, {"FIXED": "true"}), "mlock_race", tmp_path / "direct")
    assert files(out) == files(tmp_path / "direct")
    assert set(files(out)) == {"mlock_race.tla", "mlock_race.cfg"}
    assert files(out)["mlock_race.tla"].startswith("---- MODULE mlock_race ----\n")
    # -D reaches the export: the unfixed spec is another model
    tla.export(spec.load(RACE), "mlock_race", tmp_path / "unfixed")
    assert files(out) != files(tmp_path / "unfixed")


def test_promela_file_is_the_exporters(tmp_path: Path, capsys):
    code, said, _ = run(
        ["export", str(SPINLOCK), "--promela", str(tmp_path), "--name", "Spin"], capsys
    )
    assert (code, said) == (0, f"Wrote {tmp_path / 'Spin.pml'}.\n")
    direct = promela.export(spec.load(SPINLOCK), "Spin", tmp_path / "direct")
    assert (tmp_path / "Spin.pml").read_text() == direct.read_text()
    assert "proctype" in direct.read_text()


@pytest.mark.parametrize("flag", ["--tla", "--promela"])
def test_a_file_in_the_way_is_an_error_naming_it(tmp_path: Path, capsys, flag: str):
    blocker = tmp_path / "plain"
    blocker.write_text("")
    code, out, err = run(["export", str(SPINLOCK), flag, str(blocker)], capsys)
    assert (code, out) == (2, "")
    assert err == f"mmcheck export: error: {flag} {blocker}: not a directory\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_directory_is_an_error_naming_it(tmp_path: Path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        code, out, err = run(["export", str(SPINLOCK), "--tla", str(locked)], capsys)
    finally:
        locked.chmod(0o700)
    assert (code, out) == (2, "")
    assert err.startswith(f"mmcheck export: error: --tla {locked}: Permission denied")


def test_a_constraint_is_refused_by_name_for_promela(tmp_path: Path, capsys):
    code, out, err = run(["export", str(COUNTER), "--promela", str(tmp_path)], capsys)
    assert (code, out) == (2, "")
    assert err == (
        "mmcheck export: error: --promela: the Promela export cannot express constraint "
        "Bounded: SPIN has no state constraint\n"
    )
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ExportError, match="constraint Bounded"):
        promela.export(spec.load(COUNTER), "Counter", tmp_path)
    # TLC has CONSTRAINTs: the TLA+ export writes it
    assert run(["export", str(COUNTER), "--tla", str(tmp_path)], capsys)[0] == 0
    assert "CONSTRAINT v_Bounded" in (tmp_path / "constraint_counter.cfg").read_text()


@pytest.mark.parametrize(
    "targets, said",
    [
        ([], "one of the arguments --tla --promela is required"),
        (["--tla", "x", "--promela", "y"], "argument --promela: not allowed with argument --tla"),
    ],
)
def test_exactly_one_target(capsys, targets: list[str], said: str):
    with pytest.raises(SystemExit) as stop:  # argparse's usage error
        main(["export", str(SPINLOCK), *targets])
    assert stop.value.code == 2 and said in capsys.readouterr().err


def test_the_name_is_a_module_name(tmp_path: Path, capsys):
    code, out, err = run(["export", str(SPINLOCK), "--tla", str(tmp_path), "--name", "a-b"], capsys)
    assert (code, out) == (2, "")
    assert "--name 'a-b': use letters, digits and _" in err
    assert list(tmp_path.iterdir()) == []


PETERSON_FAIR = ROOT / "tests/specs/peterson_fair.mms"

FAIRNESS = """
spec Fairness
var x : 0..3 = 0
fair process w[self in 1..2] {
go:
  x := self
}
strongly fair action reset(to: 0..1) when x > 1
  x' = to
property Low: always eventually x <= 1
property Calm: eventually always x == 0
"""


def test_tla_properties_and_fairness(tmp_path: Path, capsys):
    path = tmp_path / "fairness.mms"
    path.write_text(FAIRNESS)
    code, _, err = run(["export", str(path), "--tla", str(tmp_path)], capsys)
    assert (code, err) == (0, "")
    text = (tmp_path / "fairness.tla").read_text()
    # each action an operator over its parameters, taken under \E in Next
    assert "v_w_go(v_self) ==\n" in text and "v_reset(v_to) ==\n" in text
    assert "\\/ (\\E v_self \\in 1..2: v_w_go(v_self))\n" in text
    assert text.endswith(
        "v_Low == []<>((v_x <= 1))\n\n"
        "v_Calm == <>[]((v_x = 0))\n\n"
        "Spec ==\n"
        "  /\\ Init\n"
        "  /\\ [][Next]_vars\n"
        "  /\\ SF_vars(\\E v_to \\in 0..1: v_reset(v_to))\n"
        "  /\\ (\\A v_self \\in 1..2: WF_vars(v_w_go(v_self)))\n\n"
        "====\n"
    )
    cfg = (tmp_path / "fairness.cfg").read_text()
    assert cfg == "SPECIFICATION Spec\nPROPERTY v_Low\nPROPERTY v_Calm\n"


def test_leads_to_and_without_properties_init_next(tmp_path: Path):
    text = tla.export(spec.load(PETERSON_FAIR), "P", tmp_path).read_text()
    assert "v_StarvationFree == (((v_p_pc[1] = 1) \\/ (v_p_pc[1] = 2))) ~> ((v_p_pc[1] = 3))" in (
        text
    )
    tla.export(spec.load(SPINLOCK), "S", tmp_path)
    assert (tmp_path / "S.cfg").read_text().startswith("INIT Init\nNEXT Next\n")
    assert "Spec == Init /\\ [][Next]_vars\n" in (tmp_path / "S.tla").read_text()


def test_promela_leaves_properties_out_and_says_so(tmp_path: Path, capsys):
    code, said, err = run(["export", str(PETERSON_FAIR), "--promela", str(tmp_path)], capsys)
    assert (code, said) == (0, f"Wrote {tmp_path / 'peterson_fair.pml'}.\n")
    assert err == (
        "note: temporal properties StarvationFree and fairness are not exported to Promela "
        "(safety only); --tla exports them\n"
    )
    assert (tmp_path / "peterson_fair.pml").read_text().splitlines()[1] == (
        "/* Not exported: temporal properties StarvationFree and fairness; check them with "
        "mmcheck or TLC (mmcheck export --tla). */"
    )
