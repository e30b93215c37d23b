"""Every command shown in the docs prints what the docs say it prints.

A transcript is a fenced block whose lines starting with `$ mmcheck` are commands, each
followed by its output (stdout and stderr, as a terminal shows them). A last line
`[exit N]` is the exit status; without it the status must be 0 or 1 (the verdict line
says which). A line `...` (indented or not) stands for any number of lines left out. The commands run
from a scratch directory that sees the repository's spec/ and tests/, so a command that
writes a file (`--out`, `graph -o`) writes it there. Timings, rates and memory figures
differ per run and per machine: they are compared as placeholders. A block preceded by
`<!-- transcript: not compared ... -->` is illustrative (a time limit, a progress line, a
file the reader writes along a tutorial) and the comment says why.

Regenerate after a deliberate change of output, then read the diff:
`MMCHECK_REGEN_DOCS=1 python -m pytest tests/test_docs_transcripts.py`.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
NOT_COMPARED = "<!-- transcript: not compared"
# the exit statuses a transcript need not show: 0 and 1 read from the verdict line
SILENT_EXITS = (0, 1)

# run-dependent figures, each replaced by a placeholder before comparing
VOLATILE = [
    (re.compile(r"\b\d[\d,]*(\.\d+)? ?s\b(?!/)"), "<time>"),  # 0.03 s, (5.26s), 20.10 s
    (re.compile(r"\b\d[\d,]* distinct states/s\b"), "<rate> distinct states/s"),
    (re.compile(r"\b\d[\d,]* bytes per distinct state\b"), "<n> bytes per distinct state"),
    (re.compile(r"\b\d[\d,]*(\.\d+)? ?(MiB|GiB|KiB|MB|GB)\b"), "<memory>"),
    # the same figures in --json
    (re.compile(r'"(elapsed|bytes_per_state|states_per_second|seconds)": [\d.e+-]+'), r'"\1": <n>'),
    (re.compile(r" {2,}"), " "),  # column widths follow the timings
]


@dataclass
class Transcript:
    page: Path
    line: int  # of the `$` line, 1-based
    command: str
    output: list[str]
    compared: bool


# lines printed or not by how the run went on this machine: the memory figure appears
# only where the peak resident set grew enough to mean something
OPTIONAL = re.compile(r"^<n> bytes per distinct state\.$")


def _normalise(text: str) -> str:
    for pattern, placeholder in VOLATILE:
        text = pattern.sub(placeholder, text)
    lines = (line.rstrip() for line in text.strip("\n").splitlines())
    return "\n".join(line for line in lines if not OPTIONAL.match(line))


def transcripts(page: Path) -> list[Transcript]:
    lines = page.read_text().splitlines()
    out: list[Transcript] = []
    inside = False
    compared = True
    current: Transcript | None = None
    for n, line in enumerate(lines, 1):
        if line.startswith("```"):
            inside = not inside
            if inside and n >= 2:
                compared = not any(
                    lines[k].startswith(NOT_COMPARED) for k in range(max(0, n - 3), n - 1)
                )
            current = None
            continue
        if not inside:
            continue
        if line.startswith("$ mmcheck "):
            current = Transcript(page, n, line[2:], [], compared)
            out.append(current)
        elif current is not None:
            current.output.append(line)
    return out


ALL = [t for page in PAGES for t in transcripts(page)]


EXIT = re.compile(r"^\[exit (\d+)\]$")


def run(command: str, scratch: Path, show_exit: bool) -> str:
    """What the command prints, as the docs show it."""
    mmcheck = f"{shlex.quote(sys.executable)} -m mmcheck"
    shell = re.sub(r"^mmcheck ", mmcheck + " ", command)
    env = dict(os.environ, NO_COLOR="1", COLUMNS="100")
    env.pop("FORCE_COLOR", None)
    proc = subprocess.run(
        f"({shell}) 2>&1",
        shell=True,
        cwd=scratch,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    text = proc.stdout.rstrip("\n")
    if show_exit or (proc.returncode not in SILENT_EXITS and "|" not in command):
        text += f"\n[exit {proc.returncode}]"
    return text


def matches(got: str, expected: list[str]) -> bool:
    """Whether the output is the documented one, `...` lines standing for any lines."""
    parts = [
        r"(?:[^\n]*\n)*?" if line.strip() == "..." else re.escape(line) + r"\n"
        for line in _normalise("\n".join(expected)).splitlines()
    ]
    return re.fullmatch("".join(parts), _normalise(got) + "\n") is not None


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("docs")
    for name in ("spec", "tests", "bench"):
        (where / name).symlink_to(ROOT / name)
    return where


def _id(t: Transcript) -> str:
    return f"{t.page.relative_to(ROOT)}:{t.line}"


@pytest.mark.parametrize("t", [t for t in ALL if t.compared], ids=_id)
def test_transcript(t: Transcript, scratch: Path) -> None:
    shows_exit = bool(t.output) and EXIT.match(t.output[-1]) is not None
    got = run(t.command, scratch, shows_exit)
    if matches(got, t.output):
        return
    if os.environ.get("MMCHECK_REGEN_DOCS"):
        _rewrite(t, got)
        return
    assert _normalise(got) == _normalise("\n".join(t.output)), (
        f"{_id(t)}: `{t.command}` prints something else now "
        "(MMCHECK_REGEN_DOCS=1 rewrites the page; read the diff)"
    )


def _rewrite(t: Transcript, got: str) -> None:
    lines = t.page.read_text().splitlines()
    start = t.line  # the first output line, 0-based
    end = start + len(t.output)
    lines[start:end] = got.splitlines()
    t.page.write_text("\n".join(lines) + "\n")
    # later transcripts of the page moved: re-read them
    shift = len(got.splitlines()) - len(t.output)
    for other in ALL:
        if other.page == t.page and other.line > t.line:
            other.line += shift
    t.output = got.splitlines()


def test_every_command_is_compared_or_says_why() -> None:
    """A transcript left out names its reason; the set left out is this one."""
    skipped = sorted(_id(t) for t in ALL if not t.compared)
    for t in ALL:
        if not t.compared:
            assert t.command.startswith("mmcheck "), _id(t)
    assert len(ALL) >= 60
    assert len(skipped) <= 15, skipped
