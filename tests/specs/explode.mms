# Ten independent counters: 8^10 (about 10^9) reachable states, far beyond any run.
# Exploring it must end on a bound, INCOMPLETE, never "holds".
spec Explode

type Idx = 1..10

var c : [Idx] -> 0..7 = [i in Idx |-> 0]

action tick(i: Idx)
  when c[i] < 7
  c[i]' = c[i] + 1

invariant Bounded: forall i in Idx: c[i] <= 7
