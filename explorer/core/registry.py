"""The back ends that run a check, found through the entry-point group "mmcheck.backends"
(see pyproject.toml): each entry is a Backend, and a new back end is one module and one
entry, named nowhere else. An entry is loaded only when looked up, so a Backend's module
must stay light (numpy, numba and the like are imported by its `run`)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from mmcheck.explorer.core.options import CheckOptions
from mmcheck.spec.errors import UsageError

if TYPE_CHECKING:
    from mmcheck.explorer.core.limits import Limits
    from mmcheck.explorer.core.result import Result
    from mmcheck.spec.ir import Program

GROUP = "mmcheck.backends"


def refuses_nothing(options: CheckOptions) -> None:
    return None


@dataclass(frozen=True)
class Backend:
    """A back end: `run(source_or_program, consts, options, limits, initial)` checks a
    spec (loading it if given a path or text) within `limits`, from `initial` states if
    given, once `refuses(options)` has said None (otherwise why it cannot)."""

    name: str  # as --backend spells it: the name of its entry point
    summary: str  # its --backend help
    order: int  # its place among the others in names() and the help
    run: Callable[
        [
            Program | str | os.PathLike,
            dict | None,
            CheckOptions,
            Limits,
            Iterable[tuple[int, ...]] | None,
        ],
        Result,
    ]
    refuses: Callable[[CheckOptions], str | None] = refuses_nothing
    symmetry: bool = True  # it reduces by symmetry: its state counts are those specs pin
    por: bool = False  # it does partial-order reduction (--por); the others refuse it

    def refusal(self, options: CheckOptions) -> str | None:
        """Why this back end cannot run with `options`, or None."""
        if options.por and not self.por:
            return (
                f"the {self.name} back end does no partial-order reduction: "
                "--por needs --backend tuple"
            )
        return self.refuses(options)


def backends() -> list[Backend]:
    """Every back end registered, in order."""
    return sorted((p.load() for p in entry_points(group=GROUP)), key=lambda b: (b.order, b.name))


def names() -> list[str]:
    return [b.name for b in backends()]


def get(name: str) -> Backend:
    """The back end called `name`; a UsageError naming the others if there is none."""
    for point in entry_points(group=GROUP, name=name):
        backend: Backend = point.load()
        return backend
    known = names()
    listed = f"{', '.join(known[:-1])} or {known[-1]}" if len(known) > 1 else "".join(known)
    raise UsageError(f"unknown back end {name!r} ({listed})")
