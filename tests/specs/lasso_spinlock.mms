# A plain spinlock shared by two CPUs, each weakly fair: CPU 2 can still starve. Its
# acquire is enabled only between CPU 1's critical sections, never continuously, so
# weak fairness lets CPU 1 take the lock again every time (docs/explorer.md: the
# lasso this prints).
spec LassoSpinlock

var locked : bool = false
var booted : [1..2] -> bool = [c in 1..2 |-> false]

fair process cpu[self in 1..2] {
boot:
  booted[self] := true
acquire:
  await not locked
  locked := true
release:
  locked := false
  goto acquire
}

invariant Booted: locked => booted[1] or booted[2]

property Cpu2Runs: always eventually at(cpu[2], release)

expect violates property Cpu2Runs (cycle of 2 steps)
