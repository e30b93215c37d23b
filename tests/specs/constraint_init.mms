# A constraint applies to the initial states too: the odd ones are not in the state
# space (not stored, checked or counted).
spec ConstraintInit

var x : 0..5 in 0..5
var y : 0..1 = 0

action Flip
  y' = 1 - y

constraint Even: x % 2 == 0

invariant NotOdd: x % 2 == 0

expect holds with 6 states
