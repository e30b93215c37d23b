"""Verbs of the invariants package (registered in pyproject.toml, see mmcheck.cli): `prove` and `bmc`."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

from mmcheck.explorer.core.limits import Limits
from mmcheck.explorer.core.result import BOUNDED, Violation
from mmcheck.explorer.report import dumps, format_cpu, format_text, to_itf
from mmcheck.explorer.report.color import color_allowed
from mmcheck.explorer.report.schema import BMC, PROVE
from mmcheck.invariants.bmc import bmc, bmc_json
from mmcheck.invariants.cti import Reachability, check_cti
from mmcheck.invariants.infer import SIZES, InferResult, infer
from mmcheck.invariants.prove import (
    CTI,
    INIT,
    PROVED,
    ProveResult,
    Query,
    prove,
    skipped_note,
    skipped_text,
)
from mmcheck.spec import ir
from mmcheck.spec.arguments import (
    add_spec_arguments,
    check_writable,
    described,
    load_spec,
    parse_defines,
    require_state,
)
from mmcheck.spec.errors import UsageError


def _add_trace_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--trace",
        choices=("text", "cpu", "itf"),
        default="text",
        help="how to print a counterexample (default text)",
    )
    p.add_argument(
        "--out",
        metavar="FILE",
        help="write the ITF trace(s) (with --json: the result) to FILE instead of stdout",
    )
    p.add_argument("--json", action="store_true", help="the whole result as JSON")


def _add_prove_arguments(p: argparse.ArgumentParser) -> None:
    add_spec_arguments(p)
    p.add_argument(
        "--inv",
        action="append",
        metavar="NAME",
        help="invariant to prove (repeatable; default: every invariant not a lemma); "
        "the spec's lemmas are always assumed and proved",
    )
    p.set_defaults(json_format=PROVE)
    p.add_argument(
        "--lemma",
        action="append",
        default=[],
        metavar="NAME",
        help="invariant of the spec assumed as a strengthening, and proved too, as the "
        "spec's lemmas are (repeatable)",
    )
    p.add_argument("--timeout", type=float, metavar="S", help="z3 time limit per query, in seconds")
    p.add_argument(
        "--fallback",
        type=int,
        metavar="N",
        help="size for symbolic constants when z3 answers unknown (default: the spec's defaults)",
    )
    p.add_argument(
        "--check-cti",
        action="store_true",
        help="explore from Init to tell whether each CTI is reachable (a real bug) or not",
    )
    p.add_argument(
        "--infer",
        action="store_true",
        help="infer lemmas that make the invariants inductive (at the sizes given, "
        "symbolic ones too), print them and prove the invariants with them (docs/prove.md)",
    )
    p.add_argument(
        "--infer-size",
        type=int,
        default=2,
        choices=SIZES,
        help="with --infer: 1, literals and equalities only; 2, implications too; 3, "
        "conjunctions of two conditions as an antecedent, and equalities of up to 12 "
        "terms (default 2)",
    )
    p.add_argument(
        "--infer-larger",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="with --infer: a constant of a larger instance whose reachable states every "
        "candidate must hold in too (repeatable), so that lemmas generalise",
    )
    p.add_argument(
        "--infer-at",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="with --infer and -D NAME=?: the size the candidates are filtered on "
        "(default: the spec's); Houdini and the proof run at the symbolic size",
    )
    p.add_argument(
        "--spacer",
        type=float,
        default=30.0,
        metavar="S",
        help="with --infer: seconds for z3's Spacer where the templates' lemmas do not prove "
        "the invariants (default 30; 0: not tried)",
    )
    p.add_argument(
        "--no-spec-lemmas",
        action="store_true",
        help="with --infer: start from no lemmas (the spec's are neither assumed nor proved)",
    )
    p.add_argument(
        "--write",
        action="store_true",
        help="with --infer: append the inferred lemmas to the spec if they prove the invariants",
    )
    p.add_argument(
        "--max-states",
        type=int,
        default=1_000_000,
        metavar="N",
        help="bound of the --check-cti exploration and of --infer's (default 1000000)",
    )
    p.add_argument(
        "--time-limit", type=float, metavar="S", help="time bound of the --check-cti exploration"
    )
    _add_trace_arguments(p)


def _add_bmc_arguments(p: argparse.ArgumentParser) -> None:
    add_spec_arguments(p)
    p.add_argument(
        "--depth", type=int, required=True, metavar="K", help="longest trace to look for"
    )
    p.set_defaults(json_format=BMC)
    p.add_argument(
        "--inv",
        action="append",
        metavar="NAME",
        help="invariant or lemma to check (repeatable; default: every invariant)",
    )
    p.add_argument("--lemmas", action="store_true", help="check the spec's lemmas too")
    _add_trace_arguments(p)


def _show_trace(
    program: ir.Program, v: Violation, args: argparse.Namespace, itf: list
) -> str | None:
    if args.trace == "itf":
        itf.append(to_itf(program, v.trace))
        return None
    color = color_allowed(sys.stdout)  # --out takes the ITF traces only
    if args.trace == "cpu":
        return format_cpu(program, v, color=color)
    return format_text(program, v, color=color)


def _write_itf(itf: list, args: argparse.Namespace) -> None:
    if not itf:
        return
    _write(json.dumps(itf[0] if len(itf) == 1 else itf, indent=2), args)


def _write(text: str, args: argparse.Namespace) -> None:
    """The ITF traces or the --json document: on stdout, or in --out's FILE."""
    if args.out:
        try:
            with open(args.out, "w", encoding="utf-8") as f:
                f.write(text + "\n")
        except OSError as e:  # checked before the run: this is a race with it
            raise UsageError(f"--out {args.out}: {e.strerror}") from None
    else:
        print(text)


def _consts_text(consts: tuple) -> str:
    return f" ({', '.join(f'{k}={v}' for k, v in consts)})" if consts else ""


def _sizes(result: ProveResult, q: Query) -> str:
    """The sizes a CTI of a symbolic proof was found at."""
    symbolic = [name for name, value in result.consts if value == "?"]
    if not symbolic or q.program is None:
        return ""
    return " at " + ", ".join(f"{n}={q.program.const_value(n)}" for n in symbolic)


def _check_cti(q: Query, args: argparse.Namespace) -> Reachability:
    """--check-cti: whether q's CTI is reachable, kept in q."""
    assert q.program is not None and q.cti is not None
    reach = check_cti(q.program, q.cti, max_states=args.max_states, time_limit=args.time_limit)
    q.reachability, q.real = reach.verdict, reach.violation
    return reach


def report(result: ProveResult, args: argparse.Namespace, itf: list, title: str = "prove") -> None:
    print(
        f"{title} {result.spec}{_consts_text(result.consts)}: "
        f"{', '.join(result.goals)}"
        + (f" (lemmas: {', '.join(result.lemmas)})" if result.lemmas else "")
    )
    note = skipped_text(result.skipped_properties, "prove")
    if note:
        print(note)
    width = max((len(q.invariant) for q in result.queries), default=len("invariant"))
    awidth = max((len(q.action) for q in result.queries), default=len("action"))
    print(f"  {'invariant':<{width}}  {'action':<{awidth}}  {'result':<8}  time")
    for q in result.queries:
        status = q.status + (f" ({q.reason})" if q.reason and q.status != "timeout" else "")
        print(f"  {q.invariant:<{width}}  {q.action:<{awidth}}  {status:<8}  {q.seconds:.3f}s")
    for q in result.queries:
        if q.status != CTI or q.cti is None or q.program is None:
            continue
        print(f"\ncounterexample to induction: {q.invariant} by {q.action}{_sizes(result, q)}")
        shown = _show_trace(q.program, q.cti, args, itf)
        if shown and q.action != INIT:
            # the explorer's formats call state 0 initial: a CTI's is any state
            shown = shown.replace(
                "State 0: initial state", "State 0: pre-state (satisfies the invariants assumed)", 1
            )
        if shown:
            print(shown)
        if args.check_cti:
            reach = _check_cti(q, args)
            print(f"reachability: {reach.text}")
            found = reach.violation and _show_trace(q.program, reach.violation, args, itf)
            if found:
                print(found)
    n = len(result.queries)
    counts = {
        s: sum(q.status == s for q in result.queries)
        for s in ("proved", "CTI", "unknown", "timeout")
    }
    summary = ", ".join(f"{c} {s}" for s, c in counts.items() if c)
    total = sum(q.seconds for q in result.queries)
    verdict = "PROVED" if result.status == "proved" else "NOT PROVED"
    stopped = f"{result.interrupted} after " if result.interrupted else ""
    print(f"{verdict}: {stopped}{n} queries: {summary or 'none'} ({total:.2f}s in z3)")
    if result.fallback_reason:
        print(f"z3 gave no answer on the symbolic sizes; falling back to {result.fallback_reason}")
    if result.fallback is not None:
        report(result.fallback, args, itf, title="prove (fallback)")


def report_inferred(inferred: InferResult) -> None:
    """What --infer found, before the proof with it."""
    phases = ", ".join(f"{k} {v:.2f}s" for k, v in inferred.phases.items())
    at = ", ".join(f"{k}={v}" for k, v in inferred.at)
    symbolic = ", ".join(f"{k}=?" for k, _ in inferred.at)
    print(
        f"infer {inferred.spec}{_consts_text(inferred.consts)}: "
        + (f"filtered at {at}: " if at else "")
        + f"{inferred.states} reachable states, {inferred.instances} template instances, "
        f"{inferred.candidates} candidates ({inferred.accepted} lowered and true), "
        + (f"{inferred.elements} naming an element dropped, " if at else "")
        + f"{inferred.kept} kept by Houdini"
        + (f" at {symbolic}" if at else "")
        + f", {len(inferred.lemmas)} lemmas ({inferred.seconds:.2f}s"
        + (f": {phases})" if phases else ")")
    )
    if inferred.unknown:
        print(f"z3 gave no answer for {inferred.unknown} candidates: dropped, not assumed")
    if inferred.undecided:
        print(
            f"z3 gave no answer on {inferred.undecided} minimisation queries: "
            "the lemmas they asked about are kept"
        )
    if inferred.reason:
        print(f"no strengthening found: {inferred.reason}")
    if inferred.spacer:
        print(f"spacer: {inferred.spacer}")
    print(inferred.text(), end="")


def _write_lemmas(inferred: InferResult, path: str) -> None:
    """--write: the lemmas appended to the spec, after a comment line."""
    header = f"\n# inferred by mmcheck prove --infer ({len(inferred.lemmas)} lemmas)\n"
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(header + inferred.text())
    except OSError as e:
        raise UsageError(f"--write {path}: {e.strerror}") from None


def run_prove(args: argparse.Namespace) -> int:
    consts = parse_defines(args.defines)
    if args.out:
        check_writable(args.out, "--out")
    if not args.infer and (args.write or args.no_spec_lemmas or args.infer_larger or args.infer_at):
        raise UsageError("--write, --no-spec-lemmas, --infer-larger and --infer-at go with --infer")
    inferred = None
    if args.infer:
        if args.lemma or args.fallback is not None:
            raise UsageError("--infer takes no --lemma nor --fallback")
        inferred = infer(
            Path(args.file),
            consts,
            invariants=args.inv,
            size=args.infer_size,
            spec_lemmas=not args.no_spec_lemmas,
            timeout=args.timeout,
            max_states=args.max_states,
            larger=parse_defines(args.infer_larger),
            spacer=args.spacer,
            at=parse_defines(args.infer_at),
        )
        assert inferred.proof is not None
        result = inferred.proof
        if args.write and result.status == PROVED and inferred.lemmas:
            _write_lemmas(inferred, args.file)
    else:
        result = prove(
            Path(args.file),
            consts,
            invariants=args.inv,
            lemmas=args.lemma,
            timeout=args.timeout,
            fallback=args.fallback,
        )
    if args.json:
        proofs = [result] + ([result.fallback] if result.fallback else [])
        for q in (q for r in proofs for q in r.queries if args.check_cti):
            if q.status == CTI and q.cti is not None and q.program is not None:
                _check_cti(q, args)
        doc = result.to_dict()
        if inferred is not None:
            doc["inferred"] = inferred.to_json()
        _write(dumps(doc), args)
        return result.exit_code
    if inferred is not None:
        with contextlib.redirect_stdout(
            sys.stderr if args.trace == "itf" and not args.out else sys.stdout
        ):
            report_inferred(inferred)
    itf: list = []
    if args.trace == "itf":
        # one JSON document, an array of ITF traces (one per CTI, and per reachable
        # state found by --check-cti); without --out it is stdout's only text
        with contextlib.redirect_stdout(sys.stdout if args.out else sys.stderr):
            report(result, args, itf)
        _write(json.dumps(itf, indent=2), args)
        return result.exit_code
    report(result, args, itf)
    _write_itf(itf, args)
    return result.exit_code


def run_bmc(args: argparse.Namespace) -> int:
    if args.depth < 0:
        raise UsageError("--depth must be at least 0")
    if args.out:
        check_writable(args.out, "--out")
    limits = Limits()
    with limits.catching_signals():  # a signal while loading: "interrupted", as in a query
        program = load_spec(args)
        require_state(program)
        result = bmc(
            program, depth=args.depth, invariants=args.inv, lemmas=args.lemmas, limits=limits
        )
    if args.json:
        _write(dumps(bmc_json(program, result, args.depth)), args)
        return result.exit_code
    itf: list = []
    # ITF on stdout stays valid JSON: the report goes to stderr beside it, as check's
    stream = sys.stderr if args.trace == "itf" and not args.out else sys.stdout
    note = skipped_note(program, "bmc")
    if note:
        print(note, file=stream)
    if result.violation is not None:
        v = result.violation
        print(
            f"bmc {program.file}: violation of length {v.length} found ({result.stats.elapsed:.2f}s)",
            file=stream,
        )
        shown = _show_trace(program, v, args, itf)
        if shown:
            print(shown)
        _write_itf(itf, args)
    elif result.verdict == BOUNDED:
        print(
            f"bmc {program.file}: no violation up to depth {args.depth} "
            f"(invariants and runtime errors; deadlock not checked) ({result.stats.elapsed:.2f}s)",
            file=stream,
        )
    else:
        print(f"bmc {program.file}: incomplete: {result.reason}", file=stream)
    return result.exit_code


USAGE_STATUS = {2: "an error in the spec or on the command line"}

COMMANDS: dict = {
    "prove": (
        "prove invariants inductive with z3 (initiation and consecution per action)",
        described(
            _add_prove_arguments,
            (
                "mmcheck prove tests/specs/refcount.mms --inv MappedHasRef --check-cti",
                "mmcheck prove tests/specs/refcount.mms --inv MappedHasRef --lemma Balanced "
                "--lemma FrozenAlone --lemma Mapcount",
            ),
            {
                0: "every invariant asked for is proved inductive (with the lemmas)",
                1: "a counterexample to induction (CTI), printed",
                **USAGE_STATUS,
                3: "z3 answered unknown, ran past --timeout, or was interrupted",
            },
        ),
        run_prove,
    ),
    "bmc": (
        "bounded model checking with z3 up to a depth",
        described(
            _add_bmc_arguments,
            (
                "mmcheck bmc tests/specs/tutorial_spinlock.mms --depth 6 --trace cpu",
                "mmcheck bmc tests/specs/tutorial_spinlock.mms -D FIXED=true --depth 4 --json",
            ),
            {
                0: "no violation in any trace of up to --depth steps",
                1: "a violation, with its trace",
                **USAGE_STATUS,
                3: "z3 answered unknown, or it was interrupted",
            },
        ),
        run_bmc,
    ),
}
