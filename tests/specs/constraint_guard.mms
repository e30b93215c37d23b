# tests/specs/constraint_counter.mms with a guard in place of the constraint: the state
# where the guard is false has no successor at all, which is a deadlock.
spec ConstraintGuard

const N = 5

var x : 0..100 = 0

action Inc
  when x < N
  x' = x + 1

expect deadlock in 5 steps with 6 states
