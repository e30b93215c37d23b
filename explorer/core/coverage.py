"""Action coverage: per action (a process step is one label of one process), in how
many expanded states some instance of it was enabled and how many successors it gave.
An observer of the search (explorer.core.observers)."""

from __future__ import annotations

from mmcheck.explorer.core.model import Model, State
from mmcheck.explorer.core.result import CoverageEntry


class Coverage:
    def __init__(self, model: Model) -> None:
        self.model = model
        self.owner: list[int] = []  # edge -> index of its action
        for gi, g in enumerate(model.groups):
            self.owner += [gi] * g.count
        self.enabled = [0] * len(model.groups)
        self.taken = [0] * len(model.groups)

    def expanded(self, state: State, successors: list[tuple[int, State]]) -> None:
        owner, taken = self.owner, self.taken
        groups = set()
        for e, _ in successors:
            g = owner[e]
            taken[g] += 1
            groups.add(g)
        for g in groups:
            self.enabled[g] += 1

    def entries(self) -> list[CoverageEntry]:
        """Never-taken actions first (they usually mean a spec bug), then spec order."""
        out = [
            CoverageEntry(g.action.name, g.action.process, g.action.label, en, tk)
            for g, en, tk in zip(self.model.groups, self.enabled, self.taken)
        ]
        return sorted(out, key=lambda c: c.taken > 0)
