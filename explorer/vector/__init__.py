"""The vector back end: states packed into 64-bit words (pack), expressions and actions
as numpy over a whole BFS level (expr, actions, bounds), or as numba kernels (kernel),
a compiled visited set (visited), and the level-synchronous engine (engine) sharing
each level with forked workers (workers)."""
