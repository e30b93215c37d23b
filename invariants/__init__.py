"""The z3 back end: the IR encoded as z3 terms, inductive proofs with counterexamples to
induction (`prove`), and bounded model checking (`bmc`)."""

from mmcheck.invariants.bmc import bmc, bmc_json
from mmcheck.invariants.prove import ProveResult, Query, prove

__all__ = ["ProveResult", "Query", "bmc", "bmc_json", "prove"]
