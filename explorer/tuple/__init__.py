"""The tuple back end, at reference speed: the IR translated to a Python module
(translate), run in the core's sandbox, explored one state at a time (bfs, simulate,
graph) with states as tuples (store) and generated symmetry canonicalisers."""
