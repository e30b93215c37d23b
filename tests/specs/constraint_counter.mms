# A counter bounded by a state constraint (TLC's CONSTRAINT): the states past N are not
# in the state space, and the last one kept, whose only successor is cut, is no deadlock.
# tests/specs/constraint_guard.mms bounds it by a guard instead, and deadlocks there.
spec ConstraintCounter

const N = 5

var x : 0..100 = 0

action Inc
  x' = x + 1

constraint Bounded: x <= N

invariant Small: x <= N

expect holds with 6 states
expect N=0: holds with 1 states
