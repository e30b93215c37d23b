"""The reachable state graph (`mmcheck graph`): what an exploration of every state and
every edge gives, before an output format (explorer.report.dot) draws it.

What is wrong in the graph is kept as the Violations a check reports (explorer.core.search
decides them), each with its bad state alone as the trace: the graph holds the way there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mmcheck.explorer.core.model import State
from mmcheck.explorer.core.result import Step, Violation


@dataclass
class StateGraph:
    states: dict[State, int] = field(default_factory=dict)  # state -> node number
    initial: set[int] = field(default_factory=set)
    edges: list[tuple[int, Step, int]] = field(default_factory=list)  # (src, step, dst)
    # node -> its broken invariants, and its deadlock (or the error deciding one)
    bad: dict[int, list[Violation]] = field(default_factory=dict)
    # (src, error): a step from node src raised it (its `failed` names the step); src None:
    # computing the initial states raised it
    errors: list[tuple[int | None, Violation]] = field(default_factory=list)
    parent: dict[int, int] = field(default_factory=dict)  # node -> edge that found it
    truncated: bool = False

    @property
    def n_violations(self) -> int:
        return len(self.bad) + len(self.errors)

    def shortest_path(self) -> set[int]:
        """The edges from an initial state to the first violation found. Nodes are
        numbered in breadth-first order, so the smallest violating node is a nearest."""
        ends = [*self.bad, *(src for src, _ in self.errors if src is not None)]
        path: set[int] = set()
        node = min(ends, default=None)
        while node in self.parent:
            edge = self.parent[node]
            path.add(edge)
            node = self.edges[edge][0]
        return path
