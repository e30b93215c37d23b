"""The reference interpreter: a second, independent semantics of the spec language.

It evaluates the checked AST directly with Python values and explores by naive BFS,
sharing no code with the lowering, the translation, the vector kernels or the z3
encoding (tests/explorer/test_reference.py holds it to that), so that every back end
can be diffed against it. Written to be obviously correct, not fast.

Where the language reference said nothing, it makes these choices, each now written in
docs/language.md: `trylock` by the lock's holder is false (no misuse); `and`, `or`,
`=>`, `if` and the quantifiers stop as soon as their value is known (`forall` at the
first false element, `exists` at the first true one, in increasing order), so an error
further on never happens; `let` bindings are evaluated at their first use, at most once
(TLA+'s LET); a failure inside a step counts only if the step is enabled, and an `if`
whose condition failed goes down both branches: disabled whichever way, the step does
not happen, else it is an error at the condition; an `await` reading a failed value is
an error; several `terminal`s are or-ed, in order.
"""

from explorer.reference.evaluate import Fault
from explorer.reference.explore import Exploration, check, explore
from explorer.reference.machine import Reference, RState, Transition

__all__ = ["Exploration", "Fault", "RState", "Reference", "Transition", "check", "explore"]
