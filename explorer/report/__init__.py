"""Every output format of a result, reading a Result (explorer.core.result) and the IR:
text and CPU-diagram traces, ITF, JSON, the statistics and coverage tables, the
progress line, and state graphs in DOT."""

from mmcheck.explorer.report.cpu import format_cpu
from mmcheck.explorer.report.dot import to_dot
from mmcheck.explorer.report.itf import dumps, to_itf
from mmcheck.explorer.report.json import result_json, violation_json
from mmcheck.explorer.report.text import format_text

__all__ = [
    "dumps",
    "format_cpu",
    "format_text",
    "result_json",
    "to_dot",
    "to_itf",
    "violation_json",
]
