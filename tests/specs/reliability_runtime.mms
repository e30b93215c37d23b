# One runtime error per value of ERR, reached by a worker that has taken two steps
# (the other process only acts for ERR=8). Each error is reported where it happens:
#   1 range: a value outside the variable's range     2 domain: a map written outside
#   its domain   3 div: division by zero   4 div: modulo by zero   5 lock: the holder
#   locks again (self-deadlock)   6 lock: unlock of a lock not held   7 domain: a map
#   read outside its domain   8 lock: unlock by a process that is not the holder
#   9 domain: an invariant reads a map outside its domain
spec ReliabilityRuntime

const ERR : 0..9 = 0

var n : 0..3 = 0
var d : 0..1 = 1
var idx : 1..3 = 1
var m : [1..2] -> 0..9 = [i in 1..2 |-> 0]
lock l

process worker {
  var mine : 0..9 = 0
prepare:
  n := 2
  d := 0
grab:
  lock l
  idx := 3
bad:
  if ERR == 1 { n := n + 2 }
  if ERR == 2 { m[idx] := 1 }
  if ERR == 3 { n := n / d }
  if ERR == 4 { n := n % d }
  if ERR == 5 { lock l }
  if ERR == 6 { unlock l; unlock l }
  if ERR == 7 { mine := m[idx] }
release:
  unlock l
}

process thief {
steal:
  await ERR == 8 and locked(l)
  unlock l
}

terminal ERR != 8 and done(worker)
invariant Readable: ERR != 9 or m[idx] >= 0

expect ERR=0: holds with 5 states
expect ERR=1: fails range in 3 steps
expect ERR=2: fails domain in 3 steps
expect ERR=3: fails div in 3 steps
expect ERR=4: fails div in 3 steps
expect ERR=5: fails lock in 3 steps
expect ERR=6: fails lock in 3 steps
expect ERR=7: fails domain in 3 steps
expect ERR=8: fails lock in 3 steps
expect ERR=9: fails domain in 2 steps
