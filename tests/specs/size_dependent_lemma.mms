# A lemma true at small sizes only: prove --infer -D N=? must not keep it.
#
# A clock counts up to N and wraps; an alarm at index i >= 5 can be armed once the clock has
# passed it, and an armed alarm rings. At N <= 4 no alarm is ever armed, so
# `forall i in 1..N: not armed[i]` holds in every reachable state and makes Silent
# inductive (at N = 2, the default, and at 3). From N = 5 an alarm is armed and rings:
# Silent is violated, and at the symbolic size Houdini drops the lemma and the goal.

spec SizeDependentLemma

const N : 1..10 = 2

var clock : 0..N = 0
var armed : [1..N] -> bool = [i in 1..N |-> false]
var rung  : bool = false

action tick
  when clock < N
  clock' = clock + 1

action wrap
  when clock == N
  clock' = 0

action arm(i: 1..N)
  when i >= 5 and clock >= i and not armed[i]
  armed[i]' = true

action ring(i: 1..N)
  when armed[i] and not rung
  rung' = true

invariant Silent: not rung

expect N=2: holds
expect N=5: violates Silent
