"""Action and branch coverage: per action (a process step is one label of one process),
in how many expanded states some instance of it was enabled and how many successors it
gave; per `if` arm and `either` branch of a step (ir.Action.branches), how many of those
successors took it. An observer of the search (explorer.core.observers)."""

from __future__ import annotations

from mmcheck.explorer.core.model import EvalError, Model, State
from mmcheck.explorer.core.result import BranchEntry, CoverageEntry


class Coverage:
    def __init__(self, model: Model) -> None:
        self.model = model
        self.owner: list[int] = []  # edge -> index of its action
        for gi, g in enumerate(model.groups):
            self.owner += [gi] * g.count
        self.enabled = [0] * len(model.groups)
        self.taken = [0] * len(model.groups)
        self.tests = model.branch_tests()  # per action, per branch
        self.branch_taken = [[0] * len(t) for t in self.tests]

    def expanded(self, state: State, successors: list[tuple[int, State]]) -> None:
        self.taken_edges(state, [e for e, _ in successors])

    def taken_edges(self, state: State, edges: list[int]) -> None:
        """`state` was expanded along `edges` (not empty): what `expanded` counts, for an
        engine that has the edges but not the successors as tuples (the vector one)."""
        owner, taken, groups = self.owner, self.taken, self.model.groups
        enabled = set()
        for e in edges:
            g = owner[e]
            taken[g] += 1
            enabled.add(g)
            if self.tests[g]:
                self.branches(state, g, groups[g].params(e - groups[g].base))
        for g in enabled:
            self.enabled[g] += 1

    def branches(self, state: State, g: int, params: tuple[int, ...]) -> None:
        """Count the branches of action g that its edge with `params` took from `state`
        (a branch condition that fails to evaluate was not taken: the step did not
        fail, so its path did not evaluate it)."""
        counts = self.branch_taken[g]
        for k, test in enumerate(self.tests[g]):
            try:
                if test(state, *params):
                    counts[k] += 1
            except EvalError:
                pass

    def entries(self) -> list[CoverageEntry]:
        """Never-taken actions first (they usually mean a spec bug), then spec order."""
        out = [
            CoverageEntry(g.action.name, g.action.process, g.action.label, en, tk)
            for g, en, tk in zip(self.model.groups, self.enabled, self.taken)
        ]
        return sorted(out, key=lambda c: c.taken > 0)

    def branch_entries(self) -> list[BranchEntry]:
        """Never-taken branches first ("unreached in proctype"), then spec order."""
        out = [
            BranchEntry(g.action.name, b.kind, b.loc, n)
            for g, counts in zip(self.model.groups, self.branch_taken)
            for b, n in zip(g.action.branches, counts)
        ]
        return sorted(out, key=lambda b: b.taken > 0)
