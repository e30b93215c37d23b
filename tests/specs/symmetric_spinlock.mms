# CPUS interchangeable CPUs taking one spinlock around a shared counter; the
# counter update is split into a load and a store, safe only under the lock.
spec SymmetricSpinlock

const CPUS = 3
const LOCKED = true
type Cpu = symmetric 1..CPUS

lock ptl
var counter : 0..CPUS = 0
var seen : [Cpu] -> 0..CPUS = [c in Cpu |-> 0]

symmetric process cpu[self in Cpu] {
acquire:
  if LOCKED then spin_lock(ptl)
load:
  seen[self] := counter
store:
  counter := seen[self] + 1
release:
  if LOCKED then spin_unlock(ptl)
}

invariant NoLostUpdate: (forall c in Cpu: done(cpu[c])) => counter == CPUS
terminal done(cpu)

expect LOCKED=true: holds
expect LOCKED=false: violates NoLostUpdate
