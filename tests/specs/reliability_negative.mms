# Slot values -1 and -2: Python's hash(-1) == hash(-2), so a fingerprint that is the
# built-in hash of the state tuple cannot tell these states apart.
spec ReliabilityNegative

var x : -2..0 = 0
var y : -2..0 = 0

action dec_x
  when x > -2
  x' = x - 1

action dec_y
  when y > -2
  y' = y - 1

invariant NotBothLow: not (x == -2 and y == -1)

expect violates NotBothLow in 3 steps
