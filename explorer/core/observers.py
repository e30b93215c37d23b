"""Observers: what watches a search expand states without changing what it explores.

An engine tells its Search's observers of every state it expands that has successors:
`expanded(state, successors)`, once per such state, with the state as the search stores
it (canonical under symmetry reduction) and its (edge, successor) pairs as the model
gives them, in edge order, before any is stored. Action coverage
(explorer.core.coverage) is one.

The liveness check (explorer.liveness.behaviour) is another: it records the behaviour
graph (each expanded state with its successors) and checks it for fair cycles when the
search ends; the engine also tells it the initial states it stores (Search.behaviour).

Partial-order reduction (explorer.core.por) chooses successors rather than watching
them, so it is a step of its own before the observers; they would see the successors it
keeps (--por refuses --coverage, and the liveness check refuses --por).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from mmcheck.explorer.core.model import State

Expanded = Callable[[State, list[tuple[int, State]]], None]


class Observer(Protocol):
    def expanded(self, state: State, successors: list[tuple[int, State]]) -> None:
        """`state` was expanded into `successors` ((edge, state) pairs, not empty)."""
        ...


def notifier(observers: Sequence[Observer]) -> Expanded | None:
    """One function that tells every observer of an expanded state, or None where there
    is no observer: an engine tests that once per state and pays nothing more."""
    if not observers:
        return None
    if len(observers) == 1:
        return observers[0].expanded
    calls = [o.expanded for o in observers]

    def expanded(state: State, successors: list[tuple[int, State]]) -> None:
        for call in calls:
            call(state, successors)

    return expanded
