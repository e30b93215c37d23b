"""The command's --version, and the end of every verb's --help: two examples, which
run as shown, and the exit statuses (spec.arguments.described)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

import mmcheck
from mmcheck.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
VERBS = sorted(build_parser().verbs)


def sections(verb: str) -> tuple[list[str], dict[int, str]]:
    """The examples (command lines) and the exit statuses the verb's help ends with."""
    text = build_parser().verbs[verb].format_help()
    assert "\nexamples:\n" in text and "\nexit status:\n" in text, verb
    examples, statuses = text.split("\nexamples:\n")[1].split("\nexit status:\n")
    lines = [line.removeprefix("  $ ") for line in examples.strip("\n").splitlines()]
    codes = {int(m[1]): m[2] for m in re.finditer(r"^  (\d+) +(.*)$", statuses, re.M)}
    return lines, codes


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out == f"mmcheck {version('mmcheck')}\n"
    assert mmcheck.__version__ == version("mmcheck") and "__version__" in dir(mmcheck)


def test_every_verb_is_described():
    assert {"check", "test", "graph", "export", "translate", "prove", "bmc", "ir"} <= set(VERBS)
    for verb in VERBS:
        examples, codes = sections(verb)
        assert len(examples) == 2, verb
        assert all(line.startswith(f"mmcheck {verb} ") for line in examples), examples
        assert 0 in codes and "error" in codes[2], (verb, codes)


@pytest.mark.parametrize("verb", VERBS)
def test_the_examples_run(verb, tmp_path, monkeypatch, capsys):
    """Each example parses, and runs to one of the statuses the help lists, not a usage
    or spec error (from a folder that sees the repository's spec/ and tests/)."""
    for folder in ("spec", "tests"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    monkeypatch.chdir(tmp_path)
    examples, codes = sections(verb)
    for line in examples:
        argv = shlex.split(line)[1:]
        args = build_parser().parse_args(argv)
        assert args.verb == verb
        status = main(argv)
        out, err = capsys.readouterr()
        assert status in codes and status != 2, (line, status, err)


def test_a_verb_loads_the_packages_up_to_its_own():
    """`mmcheck check` builds the explorer's verbs only (no prover, no z3 imported);
    help, or a verb that no package has, lists every verb."""
    assert "prove" not in build_parser("check").verbs
    assert {"check", "prove"} <= set(build_parser("prove").verbs)
    assert sorted(build_parser("chekc").verbs) == sorted(build_parser("").verbs) == VERBS
    code = (
        "import sys; from mmcheck.cli import main; "
        f"main(['check', {str(ROOT / 'tests/specs/diehard.mms')!r}, '--backend', 'tuple']); "
        "print(sorted(m for m in ('z3', 'mmcheck.invariants') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.splitlines()[-1] == "[]", out.stderr
