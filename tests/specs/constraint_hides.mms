# A violation reachable only through states the constraint cuts is not found: "holds"
# is relative to the state space the constraints leave.
spec ConstraintHides

const LIMIT = 3

var x : 0..10 = 0
var y : bool = false

action Inc
  when x < 10
  x' = x + 1

action Toggle
  y' = not y

constraint Below: x <= LIMIT
constraint YFirst: y or x <= 1     # both must hold: past 1, only with y set

invariant NeverFive: x != 5

expect holds with 6 states
expect LIMIT=5: violates NeverFive in 6 steps
