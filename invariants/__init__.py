"""The z3 back end: the IR encoded as z3 terms, inductive proofs with counterexamples to
induction (`prove`), inferred strengthenings (`infer`), and bounded model checking
(`bmc`)."""

from mmcheck.invariants.bmc import bmc, bmc_json
from mmcheck.invariants.infer import InferResult, infer
from mmcheck.invariants.prove import ProveResult, Query, prove

__all__ = ["InferResult", "ProveResult", "Query", "bmc", "bmc_json", "infer", "prove"]
