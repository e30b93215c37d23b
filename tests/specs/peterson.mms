# Peterson's mutual exclusion for two processes: each raises its flag, gives the
# turn away, and waits until the other is not interested or it is its own turn.
spec Peterson

type Pid = 1..2

var flag : [Pid] -> bool = [i in Pid |-> false]
var turn : Pid = 1

process p[self in Pid] {
set_flag:
  flag[self] := true
set_turn:
  turn := 3 - self
wait:
  await not flag[3 - self] or turn == self
critical:
  skip
release:
  flag[self] := false
  goto set_flag
}

invariant MutualExclusion: not (at(p[1], critical) and at(p[2], critical))

expect holds
