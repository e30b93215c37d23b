// Two CPUs take a test-and-set spinlock: under weak fairness CPU 1 can still starve,
// as CPU 2 takes the lock each time it is free (CPU 1's step is disabled whenever the
// lock is held, so weak fairness never forces it). tests/explorer/tuple/test_liveness.py
// checks the same steps without fairness and with strong fairness.
spec liveness_spinlock

var locked : bool = false

fair process cpu[i in 1..2] {
  acquire: await not locked; locked := true
  cs: skip
  release: locked := false; goto acquire
}

property Progress: always eventually at(cpu[1], cs)
property Served: at(cpu[1], acquire) leads_to at(cpu[1], cs)
property Exclusive: eventually always not (at(cpu[1], cs) and at(cpu[2], cs))

expect violates property Progress (cycle of 3 steps)
