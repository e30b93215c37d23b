# An error while evaluating a constraint is a violation, reported like an invariant's
# evaluation error: here a[i] reads past the map's domain once i reaches 3.
spec ConstraintError

var i : 0..3 = 0
var a : [0..2] -> bool = [k in 0..2 |-> false]

action Inc
  when i < 3
  i' = i + 1

constraint Unset: not a[i]

expect fails domain in 3 steps with 4 states
