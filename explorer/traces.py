"""The output formats of a check: text and CPU-diagram traces, ITF, and the whole
result as JSON. The formats live in trace_text, trace_cpu and itf; this module is
the one place the CLI and other packages import them from."""

from __future__ import annotations

import dataclasses
from typing import Any

from explorer.itf import scalar, to_itf
from explorer.result import Result, Violation
from explorer.trace_cpu import format_cpu
from explorer.trace_text import format_text
from explorer.trace_view import headline, param_values, step_info
from spec import ir

__all__ = ["format_cpu", "format_text", "result_json", "to_itf", "violation_json"]


def violation_json(program: ir.Program, violation: Violation) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": violation.kind,
        "name": violation.name,
        "message": violation.message,
        "headline": headline(violation, program),
        "loc": str(violation.loc) if violation.loc else None,
        "length": violation.length,
        "trace": to_itf(program, violation.trace),
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
        }
    return out


def consts_json(program: ir.Program) -> dict[str, Any]:
    return {c.name: bool(c.value) if c.type.is_bool else c.value for c in program.consts}


def result_json(program: ir.Program, result: Result) -> dict[str, Any]:
    """The whole result: verdict, reason, statistics, violation with its ITF trace,
    coverage and warnings (the `--json` output)."""
    stats = dataclasses.asdict(result.stats)
    stats["states_per_second"] = result.stats.states_per_second
    return {
        "spec": result.spec or program.file,
        "consts": consts_json(program),
        "verdict": result.verdict,
        "reason": result.reason,
        "stats": stats,
        "violation": violation_json(program, result.violation) if result.violation else None,
        "coverage": (None if result.coverage is None
                     else [dataclasses.asdict(c) for c in result.coverage]),
        "warnings": list(result.warnings),
    }
