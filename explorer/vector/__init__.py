"""The vector back end: states packed into 64-bit words (pack), expressions and actions
as numpy over a whole BFS level (expr, actions, bounds), or as numba kernels (kernel),
the program compiled for batches (model), a compiled visited set (visited), levels and
parent links (level), and the level-synchronous engine (engine) having each level
expanded (expander) in process or by forked workers (workers)."""
