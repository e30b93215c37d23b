# The Die Hard 3 jugs: with a 3-gallon and a 5-gallon jug, measure 4 gallons.
# The invariant says it cannot be done; its shortest counterexample is the solution.
spec DieHard

var small : 0..3 = 0
var big   : 0..5 = 0

action FillSmall
  small' = 3

action FillBig
  big' = 5

action EmptySmall
  small' = 0

action EmptyBig
  big' = 0

action SmallToBig
  big' = min(big + small, 5)
  small' = small - (min(big + small, 5) - big)

action BigToSmall
  small' = min(big + small, 3)
  big' = big - (min(big + small, 3) - small)

invariant NotFour: big != 4

expect violates NotFour in 6 steps
