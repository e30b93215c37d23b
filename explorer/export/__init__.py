"""The program's IR written as a peer tool's model, to cross-check a spec with TLC
(`tla.export`: NAME.tla and NAME.cfg) or SPIN (`promela.export`: NAME.pml). Both read
the IR only, and the tuple back end for the initial states; `mmcheck export` and
bench/run call them.
"""

from __future__ import annotations

from mmcheck.explorer.tuple.translate import compile_model
from mmcheck.spec import ir


class ExportError(ValueError):
    """A program the export cannot express in the target language (said by name)."""


def initial_states(program: ir.Program) -> list[tuple[int, ...]]:
    """The program's initial states, each once, in the explorer's order (both exports
    list them explicitly)."""
    return list(dict.fromkeys(compile_model(program).init_states()))
