# One runtime error per value of ERR, each two steps from the initial state:
#   1: range (a value outside the variable's range)   2: domain (a map read outside
#   its domain)   3: div (division by zero)
spec RuntimeErrors

const ERR = 1

var n : 0..2 = 0
var m : [1..2] -> 0..9 = [i in 1..2 |-> 0]
var q : 0..9 = 0

action step
  when n < 2
  n' = n + 1

action fail
  when n == 2
  q' = if ERR == 1 then 10 + n else if ERR == 2 then m[n + 1] else 6 / (n - 2)

expect ERR=1: fails range in 3 steps
expect ERR=2: fails domain in 3 steps
expect ERR=3: fails div in 3 steps
