"""The reference interpreter: a second, independent semantics of the spec language.

It evaluates the checked AST directly with Python values and explores by naive BFS,
sharing no code with the lowering, the translation, the vector kernels or the z3
encoding (tests/explorer/test_reference.py holds it to that), so that every back end
can be diffed against it. Written to be obviously correct, not fast.
"""

from explorer.reference.evaluate import Fault
from explorer.reference.explore import Exploration, check, explore
from explorer.reference.machine import Reference, RState, Transition

__all__ = ["Exploration", "Fault", "RState", "Reference", "Transition", "check", "explore"]
