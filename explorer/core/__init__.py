"""What every explicit-state back end and the prover share, with no numpy, numba or z3:
results and exit statuses, the runtime error type and the compiled-model interface,
the Search that checks properties and builds results, limits, symmetry's real traces,
coverage, the state graph, and the sandbox that runs generated code."""
