"""Verbs of the explorer package (registered in pyproject.toml, see mmcheck.cli): check,
test, graph, export, replay, translate.

A thin layer over `explorer.check`: parse flags, load the spec, run, print the trace,
the coverage table, the statistics, the expectations and the verdict.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

from mmcheck import explorer
from mmcheck.explorer import expect, replay, report
from mmcheck.explorer.core import registry
from mmcheck.explorer.core.options import SWITCH_AT, CheckOptions
from mmcheck.explorer.core.result import (
    EXIT_BROKEN_PIPE,
    EXIT_ERROR,
    EXIT_INCOMPLETE,
    EXIT_OK,
    EXIT_VIOLATION,
    Result,
    Violation,
)
from mmcheck.explorer.export import ExportError
from mmcheck.explorer.export import promela as promela_export
from mmcheck.explorer.export import tla as tla_export
from mmcheck.explorer.report.color import color_allowed
from mmcheck.explorer.report.progress import Progress
from mmcheck.explorer.report.schema import CHECK, TEST
from mmcheck.explorer.report.stats import (
    cover_lines,
    format_branches,
    format_coverage,
    format_stats,
    verdict_line,
)
from mmcheck.explorer.tuple.graph import explore
from mmcheck.explorer.tuple.translate import to_python_source
from mmcheck.spec import ir
from mmcheck.spec.arguments import (
    add_spec_arguments,
    check_writable,
    described,
    load_spec,
    require_state,
)
from mmcheck.spec.errors import UsageError, did_you_mean, format_at

TRACE_FORMATS = ("text", "cpu", "itf")


def _number(
    convert: Callable[[str], float], ok: Callable[[float], bool], what: str
) -> Callable[[str], float]:
    """An argparse type: `convert`, then reject values that are not `ok`."""

    def parse(text: str) -> float:
        try:
            x = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not ok(x):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text}")
        return x

    return parse


positive = _number(int, lambda n: n >= 1, "a whole number >= 1")
nonnegative = _number(int, lambda n: n >= 0, "a whole number >= 0")
positive_real = _number(float, lambda x: x > 0, "a number > 0")
any_integer = _number(lambda t: int(t, 0), lambda n: True, "an integer (decimal or 0x hex)")


def workers(text: str) -> int | None:
    """--workers: a whole number >= 1, or `all` (None: every core)."""
    if text == "all":
        return None
    try:
        return int(positive(text))
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number >= 1 or all, got {text!r}"
        ) from None


def add_engine_arguments(p: argparse.ArgumentParser) -> None:
    """Flags that pick how states are explored, shared by check and test."""
    backends = registry.backends()
    p.add_argument(
        "--backend",
        choices=[b.name for b in backends],
        default=CheckOptions.backend,  # the API's default, and the CLI's
        help="; ".join(f"{b.name}: {b.summary}" for b in backends),
    )
    p.add_argument(
        "--switch-at",
        type=positive,
        metavar="N",
        help=f"--backend auto: go on with the vector back end from the first BFS level of "
        f"N states (default {SWITCH_AT:,})",
    )
    p.add_argument(
        "--workers",
        type=workers,
        default=CheckOptions.workers,  # the API's default, and the CLI's
        metavar="N",
        help=f"processes sharing each BFS level of the vector back end, or Ray actors "
        f"(default {CheckOptions.workers}; all: every core, or one actor per CPU of the "
        "Ray cluster); the tuple back end runs one",
    )
    p.add_argument(
        "--ray-address",
        metavar="ADDR",
        help="--backend ray: the Ray cluster to run on, as `ray start --head` prints it "
        "(default: start a local one)",
    )
    p.add_argument(
        "--time-limit",
        type=positive_real,
        metavar="S",
        help="stop after S seconds (INCOMPLETE, exit 3)",
    )
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="lower the spec and (--backend vector) generate the kernels again, neither "
        "reading nor writing the per-user cache ($MMCHECK_CACHE_DIR, else ~/.cache/mmcheck)",
    )
    p.add_argument(
        "--por",
        action="store_true",
        help="partial-order reduction: expand a stubborn subset of each state's steps where "
        "one exists (tuple back end; a violation's trace is then found again unreduced)",
    )


# --------------------------------------------------------------------------- check


def add_check_arguments(p: argparse.ArgumentParser) -> None:
    add_spec_arguments(p)
    p.add_argument(
        "--inv",
        action="append",
        default=None,
        metavar="NAME",
        help="check only this invariant or lemma (repeatable; default: every invariant)",
    )
    p.add_argument("--lemmas", action="store_true", help="check the spec's lemmas too")
    p.add_argument("--no-deadlock", action="store_true", help="do not report deadlocks")
    p.add_argument(
        "--property",
        dest="properties",
        action="append",
        default=None,
        metavar="NAME",
        help="check only this temporal property (repeatable; default: every property)",
    )
    p.add_argument(
        "--no-properties",
        action="store_true",
        help="check no temporal property: safety (invariants, errors, deadlocks) only",
    )
    p.add_argument(
        "--fingerprint", action="store_true", help="store 64-bit fingerprints instead of states"
    )
    p.add_argument("--no-symmetry", action="store_true", help="no symmetry reduction")
    p.add_argument("--max-depth", type=nonnegative, metavar="N", help="explore N steps deep")
    p.add_argument("--max-states", type=positive, metavar="N", help="stop at N distinct states")
    p.add_argument(
        "--memory-limit",
        type=positive_real,
        metavar="GB",
        help="stop when the process grows past GB gigabytes",
    )
    p.add_argument("--simulate", type=positive, metavar="N", help="N random walks, no BFS")
    p.add_argument(
        "--seed",
        type=any_integer,
        metavar="S",
        help="random seed for --simulate (default: drawn, and printed to reproduce the run)",
    )
    p.add_argument("--depth", type=positive, metavar="D", help="walk length for --simulate")
    p.add_argument(
        "--coverage", action="store_true", help="how often each action was enabled and taken"
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="a cover that the complete search does not reach fails the check (exit 1)",
    )
    p.add_argument(
        "--witness",
        metavar="COVER",
        help="print the trace to the first state where this cover holds, not the violation's",
    )
    p.add_argument(
        "--trace",
        choices=TRACE_FORMATS,
        default="text",
        help="trace format: text (default), cpu (race diagram), itf (JSON)",
    )
    p.add_argument(
        "--out",
        metavar="FILE",
        help="write the trace (with --json: the result) to FILE, not stdout",
    )
    p.add_argument("--json", action="store_true", help="the whole result as JSON")
    p.set_defaults(json_format=CHECK)
    add_engine_arguments(p)


def check_options(args: argparse.Namespace) -> CheckOptions:
    """The options the flags of check (or of test: the engine's only) ask for."""
    flags = vars(args)
    given = {f.name: flags[f.name] for f in fields(CheckOptions) if f.name in flags}
    given["cache"] = not flags.get("no_cache", False)
    if "inv" in flags:  # check's flags that CheckOptions spells otherwise
        given.update(
            invariants=args.inv, deadlock=not args.no_deadlock, symmetry=not args.no_symmetry
        )
    if flags.get("no_properties"):
        if args.properties:
            raise UsageError("--property or --no-properties: not both")
        given["properties"] = ()
    return CheckOptions(**given)


def report_expectations(compared: list[expect.Comparison], skipped: str | None) -> list[str]:
    return [
        (f"Expectation met: {c.expect.loc}: {c.expected}" + (f" ({c.note})." if c.note else "."))
        if c.met
        else format_at(c.expect.loc, f"expected {c.expected}, got {c.got}", "EXPECTATION NOT MET")
        for c in compared
    ] + ([f"Expectations not compared: {skipped}."] if skipped else [])


def write_out(args: argparse.Namespace, text: str) -> None:
    if args.out:
        try:
            Path(args.out).write_text(text if text.endswith("\n") else text + "\n")
        except OSError as e:
            raise UsageError(f"--out {args.out}: {e.strerror}") from None
    else:
        print(text)


def chosen_trace(args: argparse.Namespace, result: Result) -> Violation | None:
    """The trace to print: the witness of --witness's cover (None where it is not
    reached), else the violation's."""
    if args.witness is None:
        return result.violation
    cover = next(c for c in result.covers if c.name == args.witness)
    return cover.witness() if cover.reached else None


def check_witness(args: argparse.Namespace, program: ir.Program) -> None:
    """--witness names a cover of the spec (said before the search, not after)."""
    have = [c.name for c in program.covers]
    if args.witness is not None and args.witness not in have:
        close = did_you_mean(args.witness, have)
        raise UsageError(
            f"--witness: unknown cover {args.witness!r} (the spec has: {', '.join(have) or 'none'})"
            + (f"; {close}" if close else "")
        )


def format_trace(args: argparse.Namespace, program: ir.Program, v: Violation) -> str:
    color = not args.out and color_allowed(sys.stdout)
    if args.trace == "cpu":
        return report.format_cpu(program, v, color=color)
    if args.trace == "itf":
        return report.dumps(report.to_itf(program, v.trace, v.loop))
    return report.format_text(program, v, color=color)


def check(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    options = check_options(args)
    program = load_spec(args)
    require_state(program)
    check_witness(args, program)
    if args.out:
        check_writable(args.out, "--out")
    with Progress(options=options) as progress:
        notice = None if args.json else progress.notice
        result = explorer.check(program, options=options, progress=progress, notice=notice)
    result.stats.wall = time.perf_counter() - start  # the spec's loading counted too
    for w in result.warnings:
        print(f"warning: {w}", file=sys.stderr)
    if args.json:
        doc = result.to_dict()
        write_out(args, report.dumps(doc))
        missed = any(not e["met"] for e in doc["expectations"])
        return EXIT_VIOLATION if missed and result.exit_code == EXIT_OK else result.exit_code
    compared, skipped = expect.expectations(options, program, result, Path(args.file))
    missed = any(not c.met for c in compared)
    code = EXIT_VIOLATION if missed and result.exit_code == EXIT_OK else result.exit_code
    trace = chosen_trace(args, result)
    # ITF on stdout stays valid JSON: the report goes to stderr beside it
    stream = sys.stderr if args.trace == "itf" and not args.out else sys.stdout
    if trace is not None:
        write_out(args, format_trace(args, program, trace))
        if args.out:
            print(f"Trace ({args.trace}) written to {args.out}.", file=stream)
    elif args.out:
        what = f"cover {args.witness} not reached" if args.witness else "No violation"
        print(f"{what}: no trace written to {args.out}.", file=stream)
    if result.coverage is not None:
        print(format_coverage(result.coverage), file=stream)
    if result.branches:
        print(format_branches(result.branches), file=stream)
    print(format_stats(result.stats), file=stream)
    if result.stats.seed is not None and args.seed is None:
        print(f"Seed drawn: use --seed {result.stats.seed:#x} to reproduce.", file=stream)
    for line in report_expectations(compared, skipped):
        print(line, file=stream)
    print(verdict_line(result, program), file=stream)
    for line in cover_lines(result):
        print(line, file=stream)
    return code


# --------------------------------------------------------------------------- test


def add_test_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "paths",
        nargs="+",
        metavar="DIR_OR_FILE",
        help="spec files, or directories searched for *.mms",
    )
    p.add_argument(
        "--json", action="store_true", help="one JSON document of every case, not the lines"
    )
    p.set_defaults(json_format=TEST)
    p.add_argument(
        "--ktap",
        action="store_true",
        help="KTAP version 1 (kselftest's and KUnit's format): a test per spec file, "
        "its expect lines as subtests",
    )
    p.add_argument(
        "-j",
        "--jobs",
        type=nonnegative,
        default=1,
        metavar="N",
        help="check N cases at a time, each in a process of its own (0: one per CPU; default 1)",
    )
    add_engine_arguments(p)


def test(args: argparse.Namespace) -> int:
    for p in args.paths:
        if not Path(p).exists():
            raise UsageError(f"{p}: no such file or directory")
    if args.json and args.ktap:
        raise UsageError("--json or --ktap: one format at a time")
    emit = (lambda line: None) if args.json else print
    # the lines fit a terminal; piped or in a file, they are whole
    terminal = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    run = expect.run_all(
        args.paths,
        emit,
        check_options(args),
        jobs=args.jobs,
        ktap=args.ktap,
        terminal=None if args.ktap else terminal,
    )
    if not run.cases and not run.not_run and not run.interrupted:
        raise UsageError("no expectations found in " + ", ".join(args.paths))
    if args.json:
        print(report.dumps(run.to_dict()))
    if run.interrupted or run.not_run or any(c.interrupted for c in run.cases):
        return EXIT_INCOMPLETE  # stopped: the cases not run may fail, or not load
    if any(c.error for c in run.cases):
        return EXIT_ERROR
    return EXIT_OK if all(c.ok for c in run.cases) else EXIT_VIOLATION


# --------------------------------------------------------------------------- graph


def add_graph_arguments(p: argparse.ArgumentParser) -> None:
    add_spec_arguments(p)
    p.add_argument(
        "-o", "--output", required=True, metavar="OUT.dot", help="DOT file to write (- for stdout)"
    )
    p.add_argument("--lemmas", action="store_true", help="mark the spec's lemmas' violations too")
    p.add_argument(
        "--max-states",
        type=positive,
        default=1000,
        metavar="N",
        help="stop adding states after N (default 1000)",
    )


def graph_verb(args: argparse.Namespace) -> int:
    program = load_spec(args)
    require_state(program)
    to_stdout = args.output == "-"
    if not to_stdout:
        check_writable(args.output, "-o")
    g = explore(program, args.max_states, args.lemmas)
    dot = report.to_dot(program, g)
    if to_stdout:
        sys.stdout.write(dot)
    else:
        try:
            Path(args.output).write_text(dot)
        except OSError as e:
            raise UsageError(f"-o {args.output}: {e.strerror}") from None
    note = f" (truncated at --max-states {args.max_states})" if g.truncated else ""
    print(  # beside DOT on stdout, on stderr
        f"Wrote {'the graph' if to_stdout else args.output}: {len(g.states):,} states, "
        f"{len(g.edges):,} edges, {g.n_violations} violating{note}.",
        file=sys.stderr if to_stdout else sys.stdout,
    )
    if g.truncated:
        return EXIT_INCOMPLETE
    return EXIT_VIOLATION if g.n_violations else EXIT_OK


# --------------------------------------------------------------------------- translate


def translate_verb(args: argparse.Namespace) -> int:
    print(to_python_source(load_spec(args)), end="")
    return EXIT_OK


# --------------------------------------------------------------------------- export


def add_export_arguments(p: argparse.ArgumentParser) -> None:
    add_spec_arguments(p)
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--tla", metavar="DIR", help="write NAME.tla and NAME.cfg (TLC) into DIR")
    target.add_argument("--promela", metavar="DIR", help="write NAME.pml (SPIN) into DIR")
    p.add_argument(
        "--name",
        help="the model's name: file names and TLA+ module (default: the spec file's stem)",
    )


def export_verb(args: argparse.Namespace) -> int:
    name = args.name or Path(args.file).stem
    if not re.fullmatch(r"[A-Za-z0-9_]*[A-Za-z][A-Za-z0-9_]*", name):
        # TLC reads module NAME from NAME.tla: an identifier of letters, digits and _
        raise UsageError(f"--name {name!r}: use letters, digits and _ (a TLA+ module name)")
    program = load_spec(args)
    require_state(program)
    flag, out, write = (
        ("--tla", args.tla, tla_export.export)
        if args.tla is not None
        else ("--promela", args.promela, promela_export.export)
    )
    if Path(out).exists() and not Path(out).is_dir():
        raise UsageError(f"{flag} {out}: not a directory")
    try:
        path = write(program, name, Path(out))
    except ExportError as e:
        raise UsageError(f"{flag}: {e}") from None
    except OSError as e:
        raise UsageError(f"{flag} {out}: {e.strerror or e}") from None
    written = [path, path.with_suffix(".cfg")] if args.tla is not None else [path]
    print(f"Wrote {', '.join(map(str, written))}.")
    if args.tla is None and program.properties:
        names = ", ".join(prop.name for prop in program.properties)
        print(
            f"note: temporal properties {names} and fairness are not exported to Promela "
            "(safety only); --tla exports them",
            file=sys.stderr,
        )
    return EXIT_OK


def interruptible(verb: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Ctrl-C outside a search (loading, compiling, drawing a graph) still ends the
    command cleanly: a one-line note and exit 3, never a traceback."""

    def run(args: argparse.Namespace) -> int:
        try:
            return verb(args)
        except KeyboardInterrupt:
            if getattr(args, "json", False):
                raise  # the dispatcher writes it as the --json document's error
            print(f"mmcheck {args.verb}: interrupted", file=sys.stderr)
            return EXIT_INCOMPLETE

    return run


# the exit statuses each verb's help ends with (spec.arguments.described)
USAGE_STATUS = {EXIT_ERROR: "an error in the spec or on the command line"}
CHECK_STATUSES = {
    EXIT_OK: "no violation in the complete state space",
    EXIT_VIOLATION: "a violation (its trace is printed), an expectation not met, or with "
    "--strict a cover not reached",
    **USAGE_STATUS,
    EXIT_INCOMPLETE: "incomplete: a bound, a signal (Ctrl-C) or lack of memory stopped it",
    EXIT_BROKEN_PIPE: "the output pipe closed before the end (| head)",
}
TEST_STATUSES = {
    EXIT_OK: "every expectation met",
    EXIT_VIOLATION: "an expectation not met",
    EXIT_ERROR: "a spec that does not load, or an error on the command line",
    EXIT_INCOMPLETE: "stopped (Ctrl-C) before every case ran",
}
GRAPH_STATUSES = {
    EXIT_OK: "the graph is written; no state of it violates an invariant",
    EXIT_VIOLATION: "the graph is written; some states violate an invariant (marked)",
    **USAGE_STATUS,
    EXIT_INCOMPLETE: "the graph is cut at --max-states",
}
WRITTEN_STATUSES = {EXIT_OK: "written", **USAGE_STATUS}

COMMANDS: dict = {
    "check": (
        "explore every reachable state; print the shortest violation",
        described(
            add_check_arguments,
            (
                "mmcheck check spec/models/mlock_munlock.mms --trace cpu",
                "mmcheck check spec/models/migrate_page.mms -D PTES=2 -D GUPS=2 "
                "--max-states 20000 --time-limit 60",
            ),
            CHECK_STATUSES,
        ),
        interruptible(check),
    ),
    "test": (
        "check every `expect` of every spec found; one line per case",
        described(
            add_test_arguments,
            (
                "mmcheck test tests/specs/peterson.mms tests/specs/philosophers.mms",
                "mmcheck test tests/specs/local_work.mms --json",
            ),
            TEST_STATUSES,
        ),
        interruptible(test),
    ),
    "graph": (
        "write the reachable state graph as Graphviz DOT",
        described(
            add_graph_arguments,
            (
                "mmcheck graph tests/specs/peterson.mms -o peterson.dot",
                "mmcheck graph spec/models/mlock_munlock.mms --max-states 200 -o mlock.dot",
            ),
            GRAPH_STATUSES,
        ),
        interruptible(graph_verb),
    ),
    "export": (
        "write the spec as TLA+ (for TLC) or Promela (for SPIN), to cross-check it",
        described(
            add_export_arguments,
            (
                "mmcheck export spec/models/mlock_munlock.mms --tla tla",
                "mmcheck export tests/specs/peterson.mms --promela spin --name Peterson",
            ),
            WRITTEN_STATUSES,
        ),
        interruptible(export_verb),
    ),
    "replay": (
        replay.HELP,
        described(
            replay.add_arguments,
            (
                "mmcheck replay tests/golden/mlock_race.mms tests/golden/mlock_race.cpu.txt",
                "mmcheck replay tests/golden/mlock_race.mms tests/golden/mlock_race.cpu.txt "
                "--trace text",
            ),
            {
                EXIT_OK: "the schedule is possible and nothing breaks",
                EXIT_VIOLATION: "it is possible and an invariant breaks (or a step fails, or "
                "it ends in a deadlock)",
                EXIT_ERROR: "an error in the spec, the diagram or the command line",
                replay.EXIT_IMPOSSIBLE: "a step of it cannot happen (the reason is printed)",
            },
        ),
        interruptible(replay.run),
    ),
    "translate": (
        "print the generated Python next-state module",
        described(
            add_spec_arguments,
            (
                "mmcheck translate tests/specs/peterson.mms",
                "mmcheck translate spec/models/mlock_munlock.mms -D VMAS=3",
            ),
            {EXIT_OK: "the module is printed", **USAGE_STATUS},
        ),
        translate_verb,
    ),
}
