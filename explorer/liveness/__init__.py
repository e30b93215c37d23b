"""Liveness: temporal properties checked for fair cycles (docs/guarantees.md, Liveness).

cycles: the fair-cycle search over a behaviour graph and the lasso that shows a
violation (pure graph algorithms, numpy; no IR). behaviour: what a check of properties
refuses, and the observer that records the behaviour graph while a search expands
states and checks each property when the search ends. A layer above explorer.core:
the back ends that check properties import it, only when a spec has some; the
reference interpreter has its own brute force and imports nothing of it.
"""
