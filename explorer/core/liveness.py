"""Fair cycles: the liveness check over a behaviour graph, and the lasso that shows a
violation. Pure graph algorithms: no IR, no spec; an observer of the search
(explorer.core.observers) builds the `Graph` and turns a `Lasso` back into Steps.

The semantics (docs/guarantees.md): every node has an implicit stutter self-loop that
takes no fairness unit, so a single node is a cycle. A cycle visiting the node set S along
the edge set E is fair iff every weak unit is disabled in some node of S or labels an
edge of E, and every strong unit is enabled in no node of S or labels an edge of E; a unit
is enabled in a node iff the graph has an edge from it with that unit (wherever the edge
leads). A property of kind
  "eventually" P           is violated by a fair lasso whose nodes are all not-P;
  "always_eventually" P    by a reachable fair cycle of not-P nodes;
  "eventually_always" P    by a reachable fair cycle that visits a not-P node;
  "leads_to" P, Q          by a reachable P-and-not-Q node from which a fair lasso runs
                           through not-Q nodes only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

KINDS = ("eventually", "always_eventually", "eventually_always", "leads_to")
UNIT_KINDS = ("weak", "strong")
NO_UNIT = -1  # an edge's unit where its step belongs to no fairness unit
STUTTER = -1  # a cycle's step that stays in its node (the implicit self-loop)


@dataclass(frozen=True)
class Graph:
    """A behaviour graph. Nodes are 0..n-1; edge i goes src[i] -> dst[i] labelled by the
    fairness unit unit[i] (an index into `units`) or NO_UNIT. src, unit and dst are
    sequences of ints of one length: lists, array('i') or numpy integer arrays (an
    observer appending as the search expands states uses array('i')). Edge order is
    kept: among equal choices the lower edge index wins, so a lasso is deterministic."""

    n: int
    initial: Sequence[int]
    src: Sequence[int]
    unit: Sequence[int]
    dst: Sequence[int]
    units: Sequence[str]  # per unit id, "weak" or "strong"


@dataclass(frozen=True)
class Lasso:
    """A violating behaviour: `prefix` nodes from an initial node to the cycle's first
    node (both included; one node where the cycle starts at an initial node), joined by
    the edges `prefix_edges` (one fewer); then `cycle`, edge indices or STUTTER, from the
    cycle's first node back to it (at least one step), through `cycle_nodes` (one more
    than `cycle`: its first and last are prefix[-1])."""

    prefix: tuple[int, ...]
    prefix_edges: tuple[int, ...]
    cycle: tuple[int, ...]
    cycle_nodes: tuple[int, ...]

    @property
    def loop(self) -> int:
        """The index, in the nodes of prefix + cycle, of the node the cycle starts at."""
        return len(self.prefix) - 1


def find_violation(
    g: Graph, kind: str, p: Sequence[bool], q: Sequence[bool] | None = None
) -> tuple[Lasso | None, int]:
    """A fair lasso violating the property of `kind` with node predicates p (and q for
    "leads_to"; sequences of n bools), or None where it holds on `g`; and the number of
    strongly connected components examined. The prefix is a shortest one the property
    allows to any node of any fair cycle."""
    raise NotImplementedError
