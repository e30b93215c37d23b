"""The whole result of a check as JSON (`check --json`, format mmcheck-check/2, its
schema in schemas/check.json): verdict, statistics, the violation with its trace in ITF
values, the constants."""

from __future__ import annotations

import dataclasses
from typing import Any

from mmcheck.explorer.core.result import Result, Violation
from mmcheck.explorer.report.itf import scalar, to_itf
from mmcheck.explorer.report.schema import CHECK
from mmcheck.explorer.report.view import failed_via, headline, param_values, step_info
from mmcheck.spec import ir


def violation_json(program: ir.Program, violation: Violation) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": violation.kind,
        "name": violation.name,
        "message": violation.message,
        "headline": headline(violation, program),
        "loc": str(violation.loc) if violation.loc else None,
        "length": violation.length,
        "loop": violation.loop,
        "trace": to_itf(program, violation.trace, violation.loop),
        "failed": None,
    }
    if violation.failed is not None:
        f = violation.failed
        info = step_info(program, f)
        out["failed"] = {
            "action": f.action,
            "params": {n: scalar(t, v) for n, v, t in param_values(program, f.action, f.params)},
            "process": info.instance,
            "label": info.label,
            "via": [call.name for call in failed_via(program, violation)],
        }
    return out


def consts_json(program: ir.Program) -> dict[str, Any]:
    return {c.name: bool(c.value) if c.type.is_bool else c.value for c in program.consts}


def result_json(program: ir.Program, result: Result) -> dict[str, Any]:
    """The whole result: verdict, reason, statistics, violation with its ITF trace,
    coverage, warnings and the covers, each with its witness's ITF trace if reached (the
    `--json` output)."""
    stats = dataclasses.asdict(result.stats)
    stats["states_per_second"] = result.stats.states_per_second
    return {
        "format": CHECK,
        "spec": result.spec or program.file,
        "consts": consts_json(program),
        "verdict": result.verdict,
        "reason": result.reason,
        "stats": stats,
        "violation": violation_json(program, result.violation) if result.violation else None,
        "coverage": (
            None if result.coverage is None else [dataclasses.asdict(c) for c in result.coverage]
        ),
        "branches": (
            None
            if result.branches is None
            else [
                {"action": b.action, "branch": b.kind, "loc": str(b.loc), "taken": b.taken}
                for b in result.branches
            ]
        ),
        "warnings": list(result.warnings),
        "covers": [
            {
                "name": c.name,
                "loc": str(c.loc),
                "reached": c.reached,
                "length": c.length if c.reached else None,
                "trace": to_itf(program, c.trace) if c.trace is not None else None,
            }
            for c in result.covers
        ],
    }
