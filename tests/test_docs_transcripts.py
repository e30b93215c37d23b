"""Every command shown in the docs prints what the docs say it prints.

A transcript is a fenced block whose lines starting with `$ mmcheck` are commands, each
followed by its output (stdout and stderr, as a terminal shows them). A last line
`[exit N]` is the exit status; without it the status must be 0 or 1 (the verdict line
says which). A line `...` (indented or not) stands for any number of lines left out. The commands run
from a scratch directory that sees the repository's spec/ and tests/, so a command that
writes a file (`--out`, `graph -o`) writes it there. They run in this process, through
the CLI's entry with its output on files as a subprocess's would be (a filter they are
piped into emulated), since a subprocess spends most of a short command importing; in a
shell where `run` says (z3's verbs, other shell syntax). Timings, rates and memory figures
differ per run and per machine: they are compared as placeholders. A block preceded by
`<!-- transcript: not compared ... -->` is illustrative (a time limit, a progress line, a
file edited as the text says, a tool that is not mmcheck) and the comment says why; one preceded by
`<!-- transcript: slow ... -->` is compared only with `-m slow` (a run of many seconds,
kept out of CI's time) and the comment says why.

Each page runs in a scratch directory of its own. A fenced block preceded by
`<!-- transcript: file NAME -->` is a file the reader writes along the page (the
tutorial's spec): before each command, the page's file blocks above it are written there
in order, so a command sees NAME as the text has it at that point;
`<!-- transcript: append NAME -->` adds the block to the end of NAME instead.

Regenerate after a deliberate change of output, then read the diff:
`MMCHECK_REGEN_DOCS=1 python -m pytest tests/test_docs_transcripts.py`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from mmcheck.cli import main

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
NOT_COMPARED = "<!-- transcript: not compared"
SLOW = "<!-- transcript: slow"
FILE_BLOCK = re.compile(r"^<!-- transcript: (file|append) ([\w.-]+) -->$")
# the exit statuses a transcript need not show: 0 and 1 read from the verdict line
SILENT_EXITS = (0, 1)

# run-dependent figures, each replaced by a placeholder before comparing
VOLATILE = [
    (re.compile(r"\b\d[\d,]*(\.\d+)? ?s\b(?!/)"), "<time>"),  # 0.03 s, (5.26s), 20.10 s
    (re.compile(r"\b\d[\d,]* distinct states/s\b"), "<rate> distinct states/s"),
    (re.compile(r"\b\d[\d,]* bytes per distinct state\b"), "<n> bytes per distinct state"),
    (re.compile(r"\b\d[\d,]*(\.\d+)? ?(MiB|GiB|KiB|MB|GB)\b"), "<memory>"),
    # the same figures in --json
    (
        re.compile(r'"(elapsed|wall|bytes_per_state|states_per_second|seconds)": [\d.e+-]+'),
        r'"\1": <n>',
    ),
    (re.compile(r" {2,}"), " "),  # column widths follow the timings
]


@dataclass
class Transcript:
    page: Path
    line: int  # of the `$` line, 1-based
    command: str
    output: list[str]
    compared: bool
    slow: bool = False


@dataclass
class FileBlock:
    """A file the reader writes along a page: written (or appended to) before the
    commands below it run."""

    page: Path
    line: int  # of the opening fence, 1-based
    name: str
    append: bool
    text: str


# lines printed or not by how the run went on this machine: the memory figure appears
# only where the peak resident set grew enough to mean something, and the vector back
# end's notice only where the kernels were not in the cache yet
OPTIONAL = re.compile(
    r"^(<n> bytes per distinct state\.|compiling kernels \(first run only\)\.\.\.)$"
)


def _normalise(text: str) -> str:
    for pattern, placeholder in VOLATILE:
        text = pattern.sub(placeholder, text)
    lines = (line.rstrip() for line in text.strip("\n").splitlines())
    return "\n".join(line for line in lines if not OPTIONAL.match(line))


def _blocks(page: Path) -> list[tuple[int, list[str], list[str]]]:
    """The fenced blocks of a page: the opening fence's line (1-based), the comments
    among the two lines above it, and the block's lines."""
    lines = page.read_text().splitlines()
    out: list[tuple[int, list[str], list[str]]] = []
    start = None
    for n, line in enumerate(lines, 1):
        if not line.startswith("```"):
            continue
        if start is None:
            start = n
            continue
        above = [s for s in lines[max(0, start - 3) : start - 1] if s.startswith("<!--")]
        out.append((start, above, lines[start : n - 1]))
        start = None
    return out


def transcripts(page: Path) -> list[Transcript]:
    out: list[Transcript] = []
    for start, above, body in _blocks(page):
        compared = not any(s.startswith(NOT_COMPARED) for s in above)
        slow = any(s.startswith(SLOW) for s in above)
        current: Transcript | None = None
        for n, line in enumerate(body, start + 1):
            if line.startswith("$ mmcheck "):
                current = Transcript(page, n, line[2:], [], compared, slow)
                out.append(current)
            elif current is not None:
                current.output.append(line)
    return out


def file_blocks(page: Path) -> list[FileBlock]:
    out = []
    for start, above, body in _blocks(page):
        for s in above:
            if m := FILE_BLOCK.match(s):
                text = "".join(line + "\n" for line in body)
                out.append(FileBlock(page, start, m[2], m[1] == "append", text))
    return out


ALL = [t for page in PAGES for t in transcripts(page)]


EXIT = re.compile(r"^\[exit (\d+)\]$")
# verbs whose output depends on what the process did before: z3 picks its counterexamples
# and CTIs by the order of the terms its context holds, so a trace after other proofs in
# the same process differs from a fresh process's
OWN_PROCESS = ("prove", "bmc")


def run(command: str, scratch: Path, show_exit: bool) -> str:
    """What the command prints, as the docs show it: run in this process through the CLI
    entry where it is `mmcheck ARGS`, alone or piped into one filter `_filter` emulates
    (a subprocess would spend most of its time importing), in a shell otherwise and for
    the verbs of OWN_PROCESS."""
    words = list(shlex.shlex(command, posix=True, punctuation_chars=True))
    bar = words.index("|") if "|" in words else len(words)
    argv, filters = words[1:bar], words[bar + 1 :]
    plain = not any(re.fullmatch(r"[|&;()<>]+", w) for w in argv + filters)
    if (
        plain
        and words[0] == "mmcheck"
        and not (argv and argv[0] in OWN_PROCESS)
        and (bar == len(words) or _filter(filters, ""))
    ):
        status, text, stderr = _in_process(argv, scratch, piped=bar < len(words))
        if bar < len(words):
            filtered = _filter(filters, text)
            assert filtered is not None
            status, text = filtered
            text = stderr + text  # mmcheck's stderr bypasses the pipe
        text = text.rstrip("\n")
    else:
        status, text = _in_shell(command, scratch)
    if show_exit or (status not in SILENT_EXITS and "|" not in command):
        text += f"\n[exit {status}]"
    return text


def _filter(argv: list[str], text: str) -> tuple[int, str] | None:
    """The exit status and output of `argv` reading `text`, for the filters the docs pipe
    into (`tail -N`, `head -N`, `grep [-E] PATTERN`); None for any other command."""
    lines = text.splitlines(keepends=True)
    match argv:
        case ["tail", n] if re.fullmatch(r"-\d+", n):
            return 0, "".join(lines[len(lines) - int(n[1:]) :])
        case ["head", n] if re.fullmatch(r"-\d+", n):
            return 0, "".join(lines[: int(n[1:])])
        # a basic pattern without regex syntax means the same to grep and to re
        case ["grep", pattern] if re.fullmatch(r"[\w ,:=-]+", pattern):
            picked = [s for s in lines if pattern in s]
        case ["grep", "-E", pattern]:
            picked = [s for s in lines if re.search(pattern, s)]
        case _:
            return None
    return (0 if picked else 1), "".join(picked)


def _in_process(argv: list[str], scratch: Path, piped: bool) -> tuple[int, str, str]:
    """Run `mmcheck argv` through the CLI entry with file descriptors 1 and 2 on files,
    so forked workers and C libraries write where Python does: one file, as `2>&1` makes
    it, or where `piped` two (the pipe takes stdout alone). Returns the exit status, what
    the first file holds and what the second holds ("" without one).
    Python's streams are buffered as on a pipe (stdout in blocks, stderr by lines), so
    they interleave as a subprocess's do. The environment is the subprocess's; it, the
    directory and the signal handlers are restored afterwards."""
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(tempfile.TemporaryFile())
        err = stack.enter_context(tempfile.TemporaryFile()) if piped else out
        saved_fds = os.dup(1), os.dup(2)
        saved_streams = sys.stdout, sys.stderr
        saved_env = dict(os.environ)
        saved_cwd = os.getcwd()
        saved_signals = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        streams = (
            open(1, "w", encoding="utf-8", closefd=False),  # noqa: SIM115
            open(2, "w", encoding="utf-8", closefd=False, buffering=1),  # noqa: SIM115
        )
        sys.stdout, sys.stderr = streams
        os.environ.update(NO_COLOR="1", COLUMNS="100")
        os.environ.pop("FORCE_COLOR", None)
        os.chdir(scratch)
        try:
            status = main(argv)
        except SystemExit as e:  # argparse's usage errors
            status = 0 if e.code is None else e.code if isinstance(e.code, int) else 1
        finally:
            for stream in streams:
                stream.close()  # flushes; the descriptors stay open (closefd=False)
            sys.stdout, sys.stderr = saved_streams
            for fd, saved in zip((1, 2), saved_fds, strict=True):
                os.dup2(saved, fd)
                os.close(saved)
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
            for s, h in saved_signals.items():
                signal.signal(s, h)
        texts = []
        for f in (out, err) if piped else (out,):
            f.seek(0)
            texts.append(f.read().decode())
    return status, texts[0], texts[1] if piped else ""


def _in_shell(command: str, scratch: Path) -> tuple[int, str]:
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
    return proc.returncode, proc.stdout.rstrip("\n")


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


def page_directory(scratch: Path, t: Transcript) -> Path:
    """The directory `t` runs in: its page's own (seeing spec/, tests/ and bench/ as
    `scratch` does), holding the page's files as they stand at `t`."""
    where = scratch / "pages" / _id(t).rsplit(":", 1)[0].replace("/", "_")
    if not where.exists():
        where.mkdir(parents=True)
        for name in ("spec", "tests", "bench"):
            (where / name).symlink_to(ROOT / name)
    blocks = file_blocks(t.page)
    for name in {b.name for b in blocks}:
        (where / name).unlink(missing_ok=True)
    for b in (b for b in blocks if b.line < t.line):
        with (where / b.name).open("a" if b.append else "w") as f:
            f.write(b.text)
    return where


def _id(t: Transcript) -> str:
    page = t.page.relative_to(ROOT) if t.page.is_relative_to(ROOT) else t.page.name
    return f"{page}:{t.line}"


@pytest.mark.parametrize(
    "t",
    [pytest.param(t, marks=[pytest.mark.slow] if t.slow else []) for t in ALL if t.compared],
    ids=_id,
)
def test_transcript(t: Transcript, scratch: Path) -> None:
    shows_exit = bool(t.output) and EXIT.match(t.output[-1]) is not None
    got = run(t.command, page_directory(scratch, t), shows_exit)
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
    # compared with -m slow only: each a run of many seconds
    slow = sorted(_id(t) for t in ALL if t.slow and t.compared)
    assert len(slow) <= 8, slow


def test_every_transcript_comment_is_understood() -> None:
    """A misspelt comment would silently compare a block, or write no file."""
    known = re.compile(
        rf"^({re.escape(NOT_COMPARED)}|{re.escape(SLOW)})[: ].*-->$|{FILE_BLOCK.pattern}"
    )
    for page in PAGES:
        for n, line in enumerate(page.read_text().splitlines(), 1):
            if line.startswith("<!-- transcript"):
                assert known.match(line), f"{page.relative_to(ROOT)}:{n}: {line}"


def test_a_file_block_is_written_before_the_commands_below_it(
    tmp_path: Path, scratch: Path
) -> None:
    page = tmp_path / "page.md"
    spec = ["var x : 0..1 = 0", "action flip", "  x' = 1 - x"]
    page.write_text(
        "\n".join(
            [
                "<!-- transcript: file s.mms -->",
                "```",
                *spec,
                "```",
                "```",
                "$ mmcheck typecheck s.mms",
                "```",
                "<!-- transcript: append s.mms -->",
                "```",
                "invariant Small: x <= 1",
                "```",
                "```",
                "$ mmcheck typecheck s.mms",
                "```",
                "",
            ]
        )
    )
    first, second = transcripts(page)
    assert "0 invariants" in run(first.command, page_directory(scratch, first), False)
    where = page_directory(scratch, second)
    assert "1 invariants" in run(second.command, where, False)
    assert (where / "s.mms").read_text() == "\n".join([*spec, "invariant Small: x <= 1", ""])
    # the first command sees the file as it stood above it, whatever ran before
    assert (page_directory(scratch, first) / "s.mms").read_text() == "\n".join([*spec, ""])


# commands run both in this process and in a shell: a verdict, an error on stderr, a
# filter, a usage error of argparse's
SAME_IN_A_SHELL = [
    "mmcheck check tests/specs/tutorial_spinlock.mms --trace cpu",
    "mmcheck check tests/specs/no_such.mms",
    "mmcheck check tests/specs/lemma_refcount.mms -D FIXED=false | tail -1",
    "mmcheck check tests/specs/tutorial_spinlock.mms | grep -E 'VIOLATED|HOLDS'",
    "mmcheck check --no-such-option",
]


@pytest.mark.parametrize("command", SAME_IN_A_SHELL)
def test_in_process_prints_what_a_shell_does(command: str, scratch: Path) -> None:
    status, text = _in_shell(command, scratch)
    if status not in SILENT_EXITS and "|" not in command:
        text += f"\n[exit {status}]"
    assert _normalise(run(command, scratch, False)) == _normalise(text)


def _page(tmp_path: Path, output: list[str]) -> Transcript:
    """A transcript of a page of its own, of the first command of SAME_IN_A_SHELL."""
    page = tmp_path / "page.md"
    page.write_text("\n".join(["Text.", "```", "$ " + SAME_IN_A_SHELL[0], *output, "```", ""]))
    (t,) = transcripts(page)
    return t


def test_a_wrong_transcript_fails_and_regeneration_rewrites_it(
    tmp_path: Path, scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    got = run(SAME_IN_A_SHELL[0], scratch, False).splitlines()
    wrong = [*got[:-1], got[-1].replace("VIOLATED", "HOLDS")]  # the verdict line
    assert wrong != got and matches("\n".join(got), got)
    monkeypatch.delenv("MMCHECK_REGEN_DOCS", raising=False)
    with pytest.raises(AssertionError, match="prints something else now"):
        test_transcript(_page(tmp_path, wrong), scratch)
    monkeypatch.setenv("MMCHECK_REGEN_DOCS", "1")
    test_transcript(_page(tmp_path, wrong), scratch)
    (t,) = transcripts(tmp_path / "page.md")
    assert matches("\n".join(got), t.output) and t.output != wrong
