"""One colour decision, rich's, for every verb; and no escape code or Console anywhere
but in explorer/report/color.py."""

import io
import re
from pathlib import Path

import pytest

from mmcheck.cli import main
from mmcheck.explorer.report.color import color_allowed

ROOT = Path(__file__).resolve().parents[3]
SPINLOCK = str(ROOT / "tests/specs/tutorial_spinlock.mms")  # a violation, and a CTI
PACKAGE = ["explorer", "invariants", "spec", "mmcheck"]


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def env(monkeypatch):
    """Set the environment of the colour decision: the variables given, no others."""

    def set_env(**values: str) -> None:
        for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TERM"):
            monkeypatch.delenv(name, raising=False)
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_env


def test_a_dumb_terminal_has_no_colour(env):
    env(TERM="xterm")
    assert color_allowed(_Tty())
    env(TERM="dumb")
    assert not color_allowed(_Tty())


@pytest.mark.parametrize(
    "argv",
    [
        ["check", SPINLOCK],
        ["check", SPINLOCK, "--trace", "cpu"],
        ["prove", SPINLOCK],
        ["bmc", SPINLOCK, "--depth", "6"],
    ],
    ids=["check", "check-cpu", "prove", "bmc"],
)
def test_every_verb_honours_no_color_and_force_color(env, capsys, argv):
    env(FORCE_COLOR="1")
    assert main(argv) == 1
    assert "\x1b[" in capsys.readouterr().out
    env(FORCE_COLOR="1", NO_COLOR="1")
    assert main(argv) == 1
    assert "\x1b" not in capsys.readouterr().out
    env()  # captured: no terminal
    assert main(argv) == 1
    assert "\x1b" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv", [["test", SPINLOCK], ["graph", SPINLOCK, "-o", "-"]], ids=["test", "graph"]
)
def test_verbs_without_colour_stay_plain(env, capsys, argv):
    env(FORCE_COLOR="1")
    main(argv)
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err


def test_escape_codes_and_consoles_only_in_the_colour_module():
    escape = re.compile(r"\\x1b|\\033|\\u001b|\\e\[|\bConsole\(")
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in PACKAGE
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != ROOT / "explorer/report/color.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if escape.search(line)
    ]
    assert found == []
