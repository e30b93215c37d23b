"""CheckOptions: what a check explores and how, validated once, the same for every back
end (explorer.check builds it from keywords, the check and test verbs from flags)."""

from __future__ import annotations

from dataclasses import dataclass

from mmcheck.spec.errors import UsageError

# --backend auto hands the search over to the vector back end once a BFS level has this
# many states (--switch-at): a state space with no such level is searched by the tuple
# back end in about the vector back end's start-up (a second: numba, the kernels); one
# with such a level has more to come (bench/README.md, "--backend auto")
SWITCH_AT = 10_000


@dataclass(frozen=True)
class CheckOptions:
    """The options of one check (see explorer.check). Invalid combinations raise
    UsageError, with the flags spelt as the command line spells them."""

    invariants: tuple[str, ...] | None = None  # those to check; None: all (any iterable given)
    lemmas: bool = False  # check the spec's lemmas too (else only those named)
    # the temporal properties to check for fair cycles (explorer.liveness.behaviour): None
    # every one the spec declares, () none (any iterable given)
    properties: tuple[str, ...] | None = None
    deadlock: bool = True
    max_depth: int | None = None
    max_states: int | None = None
    time_limit: float | None = None
    memory_limit: float | None = None
    fingerprint: bool = False
    symmetry: bool = True
    simulate: int | None = None  # N random walks instead of BFS
    seed: int | None = None
    depth: int | None = None  # the length of a walk
    coverage: bool = False
    strict: bool = False  # a cover not reached by a complete search is a failure (exit 1)
    por: bool = False  # partial-order reduction (explorer.core.por)
    backend: str = "auto"  # tuple, then vector for a large state space (explorer.vector.auto)
    switch_at: int | None = None  # --backend auto: a level's states to switch at; None: SWITCH_AT
    # processes (vector) or actors (ray); None: all cores (ray: one per CPU of the cluster)
    workers: int | None = 1
    ray_address: str | None = None  # --backend ray: the cluster to join; None: a local one
    cache: bool = True  # the lowered spec and the vector kernels from and to the per-user cache

    def __post_init__(self) -> None:
        for name in ("invariants", "properties"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))
        for flag, value in (
            ("time-limit", self.time_limit),
            ("memory-limit", self.memory_limit),
            ("max-depth", self.max_depth),
            ("max-states", self.max_states),
            ("simulate", self.simulate),
            ("depth", self.depth),
            ("switch-at", self.switch_at),
        ):
            if value is not None and value < 0:
                raise UsageError(f"--{flag} must not be negative")
        if self.simulate is None and (self.seed is not None or self.depth is not None):
            raise UsageError("--seed and --depth go with --simulate")
        if self.switch_at is not None and self.backend != "auto":
            raise UsageError("--switch-at goes with --backend auto")
        if self.ray_address is not None and self.backend != "ray":
            raise UsageError("--ray-address goes with --backend ray")
        if self.simulate is not None and self.max_depth is not None:
            raise UsageError("--simulate walks --depth steps; --max-depth is for BFS")
        if self.por and self.simulate is not None:
            raise UsageError("--por reduces an exhaustive search: not with --simulate")
        if self.por and self.coverage:
            raise UsageError(
                "--por expands only some steps of a state: --coverage would count those, "
                "not the spec's"
            )
